/*
 * tail: following log files, one generation (inode stream) at a time.
 *
 * For each configured path tail keeps the live generation and the rotated
 * or deleted ones still being drained through their descriptors.  It hands
 * complete lines to a callback, never moves an offset past a line end,
 * skips over-long lines with bounded memory, and reports per generation how
 * far it has read so the caller can commit those offsets together with the
 * counts (tail_deltas: source rows, see source.h), then confirm
 * (tail_committed) or throw everything back (tail_rewind: seek to the
 * committed offsets).  tail never writes to the database: what it needs
 * to remember a file (the committed rows of a path, fresh row ids) comes
 * through struct tail_sources, which the daemon wires to the store.
 *
 * Identity is (dev, ino) plus the file's first bytes (up to 1 KiB), so a
 * restart finds a generation again under its live or rotated name, also
 * inside .gz files.  inotify (through libevent) only wakes us; a periodic
 * reconcile (tail_reconcile) stats everything and is the truth.
 *
 * Not here: parsing, aggregation, deciding when to commit.
 */
#ifndef SMTPTALLY_TAIL_H
#define SMTPTALLY_TAIL_H

#include <stddef.h>
#include <stdint.h>

#include "parse.h"
#include "source.h"

#define TAIL_MAXLINE_DEFAULT	65536
#define TAIL_QUIET_DEFAULT	60	/* seconds before a drained rotated
					 * generation is closed */

/* Return values of the line callback. */
#define TAIL_LINE_OK		0
#define TAIL_LINE_UNRECOGNISED	1	/* counted in file.unrecognised */
#define TAIL_LINE_FULL		2	/* not consumed: commit, then retry */

/* What tail_read did. */
enum tail_status {
	TAIL_IDLE,		/* everything read up to its end */
	TAIL_MORE,		/* budget used up, more to read */
	TAIL_FULL		/* the callback said full: commit first */
};

struct event_base;
struct tail;

/* What tail asks of whoever keeps the committed source rows: the rows of
 * one followed path (oldest first, freed with rows_free) and an id no row
 * has had.  The rows come back through tail_deltas in the next commit. */
struct tail_sources {
	int		(*rows)(void *, const char *, struct source_row **,
			    size_t *, const char **);
	void		(*rows_free)(void *, struct source_row *, size_t);
	int64_t		(*next_id)(void *);
	void		 *arg;
};

struct tail_opts {
	size_t		 maxline;	/* 0 = TAIL_MAXLINE_DEFAULT */
	int		 quiet;		/* 0 = TAIL_QUIET_DEFAULT */
	int		 from_end;	/* first sight: start at the end */
	int		 backfill;	/* first sight: read rotated siblings */
	int		 oneshot;	/* no inotify, never close generations */
};

/* One line handed to the callback.  buf is valid only during the call;
 * for a long line buf is NULL and len the bytes skipped.  The callback may
 * update mta (detected format) and last_time (time of the last event,
 * used to place lines without a time of their own). */
struct tail_line {
	int64_t		 file_id;
	const char	*path;
	const char	*name;		/* the generation's file (mail.log.1) */
	int64_t		 offset;	/* of buf[0] in it (decompressed for
					 * .gz) */
	struct parse_cache *cache;	/* the generation's stamp cache */
	enum mta	 mta;
	int64_t		 ref_time;	/* 0 = now; else the file's mtime */
	int64_t		 last_time;
	int		 is_long;
	const char	*buf;
	size_t		 len;
};

/* A followed path that cannot be read now: missing (unless a file was
 * read under it: between a rotation and the next file), unreadable, or
 * not a regular file.  Strings valid until the next call into tail. */
struct tail_problem {
	const char	*path;
	const char	*why;		/* and what to do */
	int64_t		 since;		/* UTC seconds */
};

typedef int	(*tail_line_cb)(struct tail_line *, void *);
typedef void	(*tail_wake_cb)(void *);

struct tail	*tail_new(struct event_base *, const struct tail_sources *,
		     const struct tail_opts *, tail_line_cb, tail_wake_cb,
		     void *);
void		 tail_free(struct tail *);
int		 tail_add(struct tail *, const char *, enum mta,
		     const char **);
int		 tail_start(struct tail *, const char **);
int		 tail_follow(struct tail *, const char *, enum mta,
		     const char **);
int		 tail_unfollow(struct tail *, const char *);
void		 tail_reconcile(struct tail *);
enum tail_status tail_read(struct tail *, size_t);
int		 tail_pending(const struct tail *);
size_t		 tail_deltas(struct tail *, const struct source_delta **);
void		 tail_committed(struct tail *);
void		 tail_rewind(struct tail *);
void		 tail_progress(const struct tail *, uint64_t *, uint64_t *);
size_t		 tail_generations(const struct tail *);
int64_t		 tail_errors(const struct tail *);
size_t		 tail_problems(const struct tail *, struct tail_problem *,
		     size_t);
uint64_t	 tail_problem_serial(const struct tail *);
void		 tail_hold(struct tail *, int);
void		 tail_held(const struct tail *, size_t *, size_t *);
int		 tail_twins(const char *const *, size_t, size_t *, size_t *);

#endif
