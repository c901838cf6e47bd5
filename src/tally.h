/*
 * tally: in-memory aggregation of events between two commits.
 *
 * Three maps share one bounded open-addressing table: event counts per
 * (hour, host, mta, direction, kind, status, reply, enhanced, domain), line
 * counts per (hour, file, result) and normalised reply texts per (day,
 * domain, direction, reply, enhanced, text).  The bound on distinct keys is
 * the memory bound: when an add would pass it, tally_add* returns
 * TALLY_FULL and changes nothing; the caller commits, clears and retries.
 *
 * This module does no I/O and knows nothing of SQL or files.
 */
#ifndef SMTPTALLY_TALLY_H
#define SMTPTALLY_TALLY_H

#include <stddef.h>
#include <stdint.h>

#include "event.h"

#define TALLY_MAXKEYS_DEFAULT	100000
#define TALLY_OK		0
#define TALLY_FULL		1

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
	int		 reply;
	const char	*enhanced;
	uint64_t	 n;
};

struct tally_lines {
	int64_t		 hour;
	int64_t		 file;
	enum tally_line	 result;
	uint64_t	 n;
};

struct tally_reason {
	int64_t		 day;
	const char	*domain;
	enum direction	 direction;
	int		 reply;
	const char	*enhanced;
	const char	*text;
	uint64_t	 n;
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
int		 tally_next_reason(const struct tally *, size_t *,
		     struct tally_reason *);
const char	*tally_line_name(enum tally_line);

#endif
