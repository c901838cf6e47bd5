/*
 * classify: what a reply means for the postmaster.  Every outcome gets a
 * category and a party to blame from the fixed lists below (the contract
 * of issue 14: the API, the client, the report and /metrics print these
 * names, and the database stores their numbers, so values never change and
 * new ones go at the end), a finer reason ("spamhaus", "quota", "spf") and
 * the rule that decided.
 *
 * Pure: no I/O, no allocation, no globals; the rules are the caller's
 * (rules_load).  The text is the normalised reply text (reason_normalise),
 * the same the database keeps, so that categories can be recomputed from
 * the database when the rules change.
 *
 * Precedence: a sent attempt is delivered whatever it says; then the
 * rules in order (the local file before the shipped one; within a file
 * provider-specific text, generic text, enhanced code, reply code or
 * status); an expired outcome is "expired" with the blame and reason of
 * the text it expired with.  Nothing matched: other/unknown.
 */
#ifndef SMTPTALLY_CLASSIFY_H
#define SMTPTALLY_CLASSIFY_H

#include <stddef.h>

#include "event.h"

enum category {
	CAT_DELIVERED = 0,
	CAT_USER_UNKNOWN,
	CAT_MAILBOX_FULL,
	CAT_MAILBOX_DISABLED,
	CAT_DOMAIN_INVALID,	/* no such domain, null MX, no MX/A */
	CAT_GREYLISTED,
	CAT_RATE_LIMITED,
	CAT_REPUTATION,		/* blocklists, low reputation, complaints */
	CAT_SPAM_CONTENT,
	CAT_AUTHENTICATION,	/* SPF, DKIM, DMARC, reverse DNS */
	CAT_POLICY,		/* relaying denied, refused by policy */
	CAT_MESSAGE,		/* too large, content refused, syntax */
	CAT_NETWORK,		/* refused, timed out, lost, TLS, no reply */
	CAT_REMOTE_ERROR,	/* their temporary or internal trouble */
	CAT_EXPIRED,		/* given up after retries */
	CAT_OTHER,
	CAT_NCATEGORIES
};

enum blame {
	BLAME_NONE = 0,		/* delivered */
	BLAME_RECIPIENT,	/* the address, mailbox or domain */
	BLAME_SENDER_REPUTATION,
	BLAME_SENDER_CONFIG,	/* our DNS, authentication, TLS, HELO */
	BLAME_CONTENT,
	BLAME_REMOTE,		/* their trouble, transient */
	BLAME_NETWORK,
	BLAME_UNKNOWN,
	BLAME_NBLAMES
};

#define CLASSIFY_REASON_MAX	63	/* bytes of reason, without NUL */

struct classify_input {
	int		 provider;	/* enum provider */
	enum direction	 direction;
	enum kind	 kind;
	enum status	 status;
	enum hop	 hop;
	int		 reply;		/* 0 if none */
	const char	*enhanced;	/* "" or NULL if none */
	const char	*text;		/* normalised, NUL-terminated; or NULL */
};

struct classify_result {
	enum category	 category;
	enum blame	 blame;
	char		 reason[CLASSIFY_REASON_MAX + 1];
	const char	*file;		/* the rule's file, NULL if built in */
	unsigned	 line;		/* ... and line */
};

struct rules;

void		 classify(const struct rules *, const struct classify_input *,
		     struct classify_result *);

/*
 * A reply as a person pastes it: "550-5.7.1 first line 550-5.7.1 second",
 * optionally after Postfix's "host mx.example.com[192.0.2.1] said: ".
 * Sets the reply code (0 if none), the enhanced code ("" if none), the
 * next hop named by "host ... said:" (a slice of the input, or NULL) and
 * the normalised text (reason_normalise) in text.  Pure.
 */
void		 classify_split(const char *, size_t, int *, char *,
		     const char **, size_t *, char *, size_t);

const char	*classify_category_name(enum category);
const char	*classify_blame_name(enum blame);
int		 classify_category_from_name(const char *);	/* -1 */
int		 classify_blame_from_name(const char *);	/* -1 */

#endif
