/*
 * event: the vocabulary every module shares.  One event is one delivery
 * attempt (or skip, or final outcome) to one recipient, or one command our
 * own smtpd rejected.
 *
 * The enumerations' numeric values are stored in the database (the
 * outcome table), so they never change: new values go at the end.  Their
 * names are what the API, the client and the views print; each enum has
 * one table of names here and a _from_name for parsing requests.
 *
 * The class rule lives here and nowhere else: the store writes the class
 * of every outcome once, and queries read it from there.
 *
 * Not here: reading lines (parse), counting (tally), SQL (store, query).
 */
#ifndef SMTPTALLY_EVENT_H
#define SMTPTALLY_EVENT_H

#include <stddef.h>
#include <stdint.h>

#define EVENT_DOMAIN_MAX	253	/* RFC 1035 presentation limit */
#define EVENT_HOST_MAX		255
#define EVENT_ENHANCED_MAX	11	/* "5.123.123" plus slack */

/* Placeholders used instead of a domain that is absent or not a domain. */
#define EVENT_DOMAIN_NONE	"(none)"
#define EVENT_DOMAIN_INVALID	"(invalid)"

enum mta {
	MTA_UNKNOWN = 0,	/* detect from the line */
	MTA_POSTFIX,
	MTA_EXIM
};

enum direction {
	DIR_OUT,		/* our MTA delivering */
	DIR_IN			/* our smtpd rejecting */
};

enum kind {
	KIND_ATTEMPT,		/* next hop or mailbox contacted or tried */
	KIND_SKIP,		/* no attempt: suspended, retry time not reached */
	KIND_FINAL,		/* expired / retry timeout exceeded */
	KIND_VERIFY		/* address verification probe, not a delivery */
};

enum status {
	STATUS_SENT,
	STATUS_DEFERRED,
	STATUS_BOUNCED,
	STATUS_EXPIRED,
	STATUS_REJECTED,
	STATUS_DELIVERABLE,	/* verify only */
	STATUS_UNDELIVERABLE	/* verify only */
};

/* Where a delivery went.  Only remote and mailbox hops are deliveries to
 * the recipient's domain; a filter hop hands the message to a content
 * filter on this host (amavis, rspamd) that gives it back, and a discard
 * throws it away on purpose. */
enum hop {
	HOP_REMOTE,		/* SMTP/LMTP to another host */
	HOP_MAILBOX,		/* local, virtual, pipe, file, LMTP on this host */
	HOP_FILTER,		/* a content filter on this host */
	HOP_DISCARD		/* postfix/discard, Exim :blackhole: */
};

#define EVENT_DELAY_NONE	(-1)	/* a delay the line did not give */

struct event {
	int64_t		 time;		/* UTC seconds */
	enum mta	 mta;
	enum direction	 direction;
	enum kind	 kind;
	enum status	 status;
	enum hop	 hop;
	int		 reply;		/* 3-digit code said, 0 if none */
	char		 enhanced[EVENT_ENHANCED_MAX + 1];	/* "" if none */
	char		 domain[EVENT_DOMAIN_MAX + 1];	/* lower case */
	char		 host[EVENT_HOST_MAX + 1];	/* logging host, "" if none */
	const char	*text;		/* reply text, slice of the line */
	size_t		 textlen;
	const char	*relay;		/* next hop's name, slice of the line */
	size_t		 relaylen;	/* (0 when the line names none) */
	int64_t		 delay_ms;	/* whole delay, or EVENT_DELAY_NONE */
	int32_t		 stage_ms[4];	/* Postfix delays=a/b/c/d, Exim QT=
					 * in [1] and DT= in [3]; or NONE */
};

/* The class of an outcome: the reply's first digit, else the enhanced
 * code's, else what the status implies (2, 4 or 5). */
int		 event_class(int, const char *, enum status);
int		 event_class_of(const struct event *);

const char	*event_mta_name(enum mta);
const char	*event_direction_name(enum direction);
const char	*event_kind_name(enum kind);
const char	*event_status_name(enum status);
const char	*event_hop_name(enum hop);

/* Name to value; -1 when the name is not one of ours. */
int		 event_mta_from_name(const char *);
int		 event_direction_from_name(const char *);
int		 event_kind_from_name(const char *);
int		 event_status_from_name(const char *);
int		 event_hop_from_name(const char *);

/* The sent / deferred / bounced split of the views: bounced counts our
 * smtpd's rejections too; expired and the verify statuses are none. */
enum event_outcome {
	OUTCOME_SENT,
	OUTCOME_DEFERRED,
	OUTCOME_BOUNCED,
	OUTCOME_OTHER
};
enum event_outcome event_outcome(enum status);

#endif
