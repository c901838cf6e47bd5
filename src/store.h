/*
 * store: all SQL of the daemon, on one writer connection.
 *
 * store_open takes the single-instance lock (<db>.lock), opens or creates
 * the database from the embedded schema, checks it is ours, migrates it by
 * user_version (one transaction per step) and sets the pragmas the
 * exactly-once design depends on (WAL, synchronous=FULL, ...).
 * store_commit writes a tally's deltas and the new offsets of the file
 * generations they came from in ONE transaction, with a compare-and-set on
 * each offset.  Errors come back as -1/NULL with a cause string that is
 * valid until the next call on the same store.
 *
 * Not here: reading files, deciding when to commit, serving queries.
 */
#ifndef SMTPTALLY_STORE_H
#define SMTPTALLY_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "source.h"
#include "tally.h"

#define STORE_HEAD_MAX		1024	/* bytes of a file's head kept */
#define STORE_REASONS_MAX	20	/* texts per (day, domain, dir, code) */
#define STORE_REASON_OTHER	"(other)"
#define STORE_RETAIN_DAYS	90
#define STORE_STALE		(-2)	/* store_commit: an offset moved under
					 * us, an invariant broke; not retried */

struct store;

/* SQL that fills the empty roll-up tables (total_hour, total_day,
 * domain_month) from count_hour and count_day: the 1 -> 2 migration uses
 * it, and tests that write counts directly run it after them. */
extern const char store_rollup_fill_sql[];

/* One row of the file table: one generation of a followed file. */
struct store_file {
	int64_t		 id;
	char		*path;		/* owned by the row */
	char		 format[16];	/* postfix | exim | auto */
	int64_t		 dev;
	int64_t		 ino;
	unsigned char	 head[STORE_HEAD_MAX];
	size_t		 headlen;
	int64_t		 offset;
	int64_t		 lines;
	int64_t		 unrecognised;
	int64_t		 long_lines;
	int64_t		 bytes_lost;
	char		 state[16];	/* active | rotated | closed | lost */
	int64_t		 first_seen;
	int64_t		 last_commit;
};

/* One generation's progress in a commit: counters are deltas, others new
 * values; the row must still be at old_offset or the commit fails. */
struct store_delta {
	int64_t			 id;
	int64_t			 old_offset;
	int64_t			 new_offset;
	int64_t			 lines;
	int64_t			 unrecognised;
	int64_t			 long_lines;
	int64_t			 bytes_lost;	/* new total */
	const char		*state;
	const unsigned char	*head;
	size_t			 headlen;
};

struct store	*store_open(const char *, const char **);
struct store	*store_open_steps(const char *, const char *const *, int,
		     const char **);
void		 store_close(struct store *);
int		 store_files(struct store *, const char *, struct store_file **,
		     size_t *, const char **);
void		 store_files_free(struct store_file *, size_t);
int64_t		 store_file_add(struct store *, const struct store_file *,
		     const char **);
int		 store_file_set(struct store *, int64_t, const char *, int64_t,
		     const char **);
int		 store_commit(struct store *, const struct tally *,
		     const struct store_delta *, size_t, int64_t,
		     const char **);
int		 store_commit_sources(struct store *, const struct tally *,
		     const struct source_delta *, size_t, int64_t,
		     const char **);
int		 store_sources(struct store *, const char *,
		     struct source_row **, size_t *, const char **);
void		 store_sources_free(struct source_row *, size_t);
int64_t		 store_next_id(struct store *);
int		 store_retain(struct store *, int64_t, int, int,
		     const char **);
int		 store_is_full(const struct store *);

#endif
