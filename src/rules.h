/*
 * rules: the rules file, one rule a line, that classify applies.
 *
 *   CATEGORY BLAME REASON [KEY=VALUE ...] ["TEXT"]
 *
 * KEY is provider, reply, code, status, kind, hop or direction; VALUE a
 * comma-separated list (reply=5xx, code=5.7.*, code=none).  TEXT is a POSIX
 * extended regular expression matched without regard to case against the
 * normalised reply text; REASON "$1" takes its first group (the blocklist's
 * name), "$2" its second and so on to "$9".  smtptally-rules(5) has the details.
 *
 * rules_parse is pure (it allocates the rules, no I/O); rules_load reads a
 * file and is the module's only I/O.  Errors come back as "file:line: why"
 * in *cause, which the caller frees.
 */
#ifndef SMTPTALLY_RULES_H
#define SMTPTALLY_RULES_H

#include <regex.h>
#include <stddef.h>
#include <stdint.h>

#include "classify.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR	"/etc"
#endif
/* The shipped file, replaced on upgrade, and the postmaster's, tried
 * first; smtptallyd.conf's rules and rules_local keys move them. */
#define RULES_PATH_DEFAULT	SYSCONFDIR "/smtptally/rules"
#define RULES_LOCAL_DEFAULT	SYSCONFDIR "/smtptally/rules.local"

#define RULES_MAX	4096		/* rules across all files */
#define RULES_LINE_MAX	2048		/* bytes of one line */
#define RULES_VALUES	8		/* values of one key */
#define RULES_LITERALS	24		/* prefilter strings of one rule */
#define RULES_LITERAL_MAX 23
#define RULES_PLAIN	256		/* strings of a plain text */
#define RULES_LBUCKETS	4096		/* chains of the literal index */
#define RULES_LITS_MAX	16384		/* distinct strings it indexes */

/* A reply or enhanced code pattern: digits, and 'x' or '*' for any. */
struct rules_code {
	char		 v[RULES_VALUES][12];
	int		 n;		/* 0: any */
};

struct rule {
	enum category	 category;
	enum blame	 blame;
	char		 reason[CLASSIFY_REASON_MAX + 1];  /* "$N": group N */
	int		 group;		/* N of "$N", or 0 */
	unsigned	 providers;	/* bit set; 0: any */
	unsigned	 statuses;	/* bit sets of the event enums; 0: any */
	unsigned	 kinds;
	unsigned	 hops;
	unsigned	 directions;
	struct rules_code reply;	/* "none" is "0" */
	struct rules_code code;		/* "none" is "" */
	int		 has_text;
	regex_t		*re;		/* own allocation: rules move */
	/* Lower-case strings one of which must occur for the text to
	 * match (none: no such test); a cheap test before regexec. */
	char		 literals[RULES_LITERALS][RULES_LITERAL_MAX + 1];
	int		 nliterals;
	int		 lit[RULES_LITERALS];	/* their ids in rules->lits */
	/* A text of literals and groups of them only ("a (b|c) d") and no
	 * "$N" reason: the lower-case strings it stands for.  It matches
	 * when one of them occurs, which needs no regexec. */
	char		**plain;
	int		 nplain;
	int		 pbit;		/* its bit of classify's plain hits */
	int		 level;		/* 1 provider text .. 4 reply */
	size_t		 file;		/* index in rules->files */
	unsigned	 line;
};

struct rules {
	struct rule	*v;
	size_t		 n, cap;
	char		**files;
	size_t		 nfiles;
	size_t		 missing;	/* files rules_load did not find */
	int		 sorted;
	/* rules_finish's index of the rules' literals and plain strings:
	 * every distinct one once, chained by a hash of its first three
	 * bytes, so that classify finds all that occur in a text in one
	 * pass over it.  Not indexed: classify searches each itself. */
	char		**lits;
	size_t		 nlits;
	int		*lnext;		/* next id in the chain, -1: end */
	int		*lrule;		/* a plain string: its rule's pbit; a
					 * literal: -1 */
	int		 lhead[RULES_LBUCKETS];
	int		 indexed;
	uint64_t	 digest;	/* of every file's text, in order:
					 * the store recomputes categories
					 * when it changes */
};

struct rules	*rules_new(void);
void		 rules_free(struct rules *);
int		 rules_parse(struct rules *, const char *, const char *,
		     size_t, char **);
int		 rules_load(struct rules *, const char *, int, char **);
void		 rules_finish(struct rules *);
/* The chain of the index's strings that may start with bytes a, b, c. */
#define RULES_LBUCKET(a, b, c) \
	((((unsigned char)(a) * 961u) ^ ((unsigned char)(b) * 31u) ^ \
	(unsigned char)(c)) % RULES_LBUCKETS)

#endif
