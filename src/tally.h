/*
 * tally: in-memory aggregation of events between two commits.
 *
 * Two maps share one bounded open-addressing table: event counts per
 * (hour, domain, host, mta, direction, kind, status, hop, reply, enhanced,
 * reason text) and line counts per (hour, source, result).  The reason is
 * the normalised reply text of a failure (class 4 or 5), "" otherwise.
 * A delivery's delays (event.h) are a third map, per (hour, domain,
 * class, stage, bucket) with the bucket's count and the sum of its delays
 * in milliseconds (delay.h).  Each count also remembers the first next-hop name seen with it (not part
 * of the key), from which the store learns a domain's provider.  The bound
 * on distinct keys is the memory bound: when an add would pass it,
 * tally_add* returns TALLY_FULL and changes nothing; the caller commits,
 * clears and retries.  Running out of memory is TALLY_NOMEM.
 *
 * This module does no I/O and knows nothing of SQL or files.
 */
#ifndef SMTPTALLY_TALLY_H
#define SMTPTALLY_TALLY_H

#include <stddef.h>
#include <stdint.h>

#include "event.h"

#define TALLY_MAXKEYS_DEFAULT	32768
#define TALLY_OK		0
#define TALLY_FULL		1
#define TALLY_NOMEM		2

/* Line outcomes counted in lines_hour; names by tally_line_name(). */
enum tally_line {
	TALLY_LINE_EVENT,
	TALLY_LINE_IGNORED,
	TALLY_LINE_FOREIGN,
	TALLY_LINE_UNRECOGNISED,
	TALLY_LINE_LONG
};

struct tally;

/* Strings below are borrowed from the tally: valid until tally_clear. */
struct tally_count {
	int64_t		 hour;
	const char	*domain;
	const char	*host;
	enum mta	 mta;
	enum direction	 direction;
	enum kind	 kind;
	enum status	 status;
	enum hop	 hop;
	int		 reply;
	const char	*enhanced;
	const char	*reason;	/* normalised text, "" = none */
	const char	*relay;		/* first next hop seen, "" = none */
	uint64_t	 n;
};

struct tally_lines {
	int64_t		 hour;
	int64_t		 source;
	enum tally_line	 result;
	uint64_t	 n;
};

/* A delay histogram's delta: n delays of a stage in a bucket. */
struct tally_delay {
	int64_t		 hour;
	const char	*domain;
	int		 cls;		/* 2, 4 or 5 */
	int		 stage;		/* enum delay_stage */
	int		 bucket;	/* 0 .. DELAY_BUCKETS - 1 */
	uint64_t	 n;
	uint64_t	 ms;		/* their sum */
};

struct tally	*tally_new(size_t);
void		 tally_free(struct tally *);
void		 tally_clear(struct tally *);
int		 tally_add(struct tally *, const struct event *, int64_t);
int		 tally_add_line(struct tally *, int64_t, int64_t,
		     enum tally_line);
size_t		 tally_keys(const struct tally *);
uint64_t	 tally_events(const struct tally *);
int		 tally_next_count(const struct tally *, size_t *,
		     struct tally_count *);
int		 tally_next_lines(const struct tally *, size_t *,
		     struct tally_lines *);
int		 tally_next_delay(const struct tally *, size_t *,
		     struct tally_delay *);
const char	*tally_line_name(enum tally_line);

#endif
