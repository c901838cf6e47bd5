/*
 * live: what only the daemon's memory knows, kept for the query threads:
 * the followed paths that cannot be read now (and why), and for each
 * source (a followed path or a journal) the last lines it did not
 * recognise.
 *
 * Also each journal's lag in seconds, which only the loop may ask
 * sd-journal for (a handle is not to be shared between threads, and the
 * loop closes and opens them while it reads).
 *
 * The daemon's loop writes, query threads read; one mutex guards it all
 * and is held only to copy in or to walk (no I/O under it).  Memory is
 * bounded: the first LIVE_RAW bytes of LIVE_LINES lines per source, at
 * most LIVE_SOURCES sources (the one fed longest ago makes room).  A
 * line is shown with control bytes, backslashes and bytes that are not
 * UTF-8 escaped (\xHH, \\), and C1 and bidi controls as \uHHHH, so it
 * is printable, valid JSON text, and cannot reorder a terminal's line.
 *
 * Not here: what a line means (parse), the database, JSON.
 */
#ifndef SMTPTALLY_LIVE_H
#define SMTPTALLY_LIVE_H

#include <stddef.h>
#include <stdint.h>

#define LIVE_LINES	20	/* unrecognised lines kept per source */
#define LIVE_RAW	256	/* bytes kept of each line */
#define LIVE_TEXT	(4 * LIVE_RAW + 1)	/* escaped, with the NUL */
#define LIVE_SOURCES	64	/* sources with lines kept */
#define LIVE_LAGS	64	/* journals with a lag kept */

struct live;

/* A followed path in error; strings borrowed (copied by live_set_problems,
 * valid during the call for live_each_problem). */
struct live_problem {
	const char	*path;
	const char	*why;
	int64_t		 since;		/* UTC seconds */
};

/* One unrecognised line as kept; valid during the walk's call only. */
struct live_line {
	const char	*source;	/* the followed path, or journal spec */
	const char	*name;		/* the file it was in, or the host */
	int64_t		 offset;	/* of the line's first byte, -1 none */
	int64_t		 time;		/* journal: the entry's, else 0 */
	size_t		 length;	/* bytes the line had */
	int		 truncated;	/* text is only its start */
	const char	*text;		/* escaped */
};

struct live	*live_new(void);
void		 live_free(struct live *);
/* Replace the list of paths in error; -1 out of memory (list kept). */
int		 live_set_problems(struct live *, const struct live_problem *,
		     size_t);
void		 live_each_problem(struct live *,
		     void (*)(const struct live_problem *, void *), void *);
/* Keep a line of source (name, offset or -1, time or 0; a line seen
 * again after a rewind is kept once); its first LIVE_RAW bytes only.
 * How many lines the source gave so far, this one included, or 0 when
 * it was not kept. */
int64_t		 live_add_line(struct live *, const char *, const char *,
		     int64_t, int64_t, const char *, size_t);
/* Each source's kept lines, oldest first. */
void		 live_each_line(struct live *,
		     void (*)(const struct live_line *, void *), void *);
/* Replace the journals' lags: specs[i] is lags[i] seconds behind (-1
 * unknown); at most LIVE_LAGS kept.  -1 out of memory (table kept). */
int		 live_set_lags(struct live *, const char *const *,
		     const int64_t *, size_t);
/* The lag of a journal spec as last set, or -1. */
int64_t		 live_lag(struct live *, const char *);
/* Escape p[0..n) into out (size len, NUL-terminated): returns the bytes
 * of p it took (n unless cut). */
size_t		 live_escape(const char *, size_t, char *, size_t);

#endif
