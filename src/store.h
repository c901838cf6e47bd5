/*
 * store: all SQL of the daemon, on one writer connection.
 *
 * store_open takes the single-instance lock (<db>.lock), opens or creates
 * the database from the embedded schema, checks it is ours, migrates it by
 * user_version (one transaction per step) and sets the pragmas the
 * exactly-once design depends on (WAL, synchronous=FULL, ...).
 * store_commit_sources writes a tally's deltas and the new positions of
 * the sources they came from in ONE transaction, with a compare-and-set on
 * each position.  store_maintain folds, thins and deletes old days in
 * small steps of their own.  Errors come back as -1/NULL with a cause
 * string that is valid until the next call on the same store.
 *
 * Not here: reading files, deciding when to commit, serving queries.
 */
#ifndef SMTPTALLY_STORE_H
#define SMTPTALLY_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "source.h"
#include "tally.h"

#define STORE_REASONS_DEFAULT	100000	/* distinct reason texts kept */
#define STORE_REASON_OTHER	"(other)"
#define STORE_STEP_DEFAULT	20000	/* rows per maintenance step */
#define STORE_STALE		(-2)	/* store_commit_sources: a position
					 * moved under us, an invariant broke;
					 * not retried */

struct store;

/* Names a domain's mailbox provider from the domain and a next hop's
 * name ("" = not known); the result must live as long as the store. */
typedef const char *(*store_provider_fn)(void *, const char *, const char *);

/* An outcome as the classifier sees it. */
struct store_outcome {
	enum mta	 mta;
	enum direction	 direction;
	enum kind	 kind;
	enum status	 status;
	enum hop	 hop;
	int		 reply;
	const char	*enhanced;
};

/* What a combination of outcome, reason text and provider means. */
struct store_verdict {
	char		 category[32];
	char		 blame[32];
	char		 detail[64];
	char		 rule[160];	/* file:line, "" if built in */
};

/* Fills a verdict from an outcome, its normalised text ("" if none) and
 * the domain's provider ("" if not known). */
typedef void (*store_verdict_fn)(void *, const struct store_outcome *,
    const char *, const char *, struct store_verdict *);

/* What maintenance keeps, counted in days back from the newest hour of
 * data (not from the clock, so a backfilled old log keeps its hours). */
struct store_policy {
	int		 hour_days;	/* days whose hours are kept; 0 = all */
	int		 keep_days;	/* days kept at all; 0 = all */
	int		 step;		/* rows a step, 0 = STORE_STEP_DEFAULT */
};

struct store	*store_open(const char *, const char **);
struct store	*store_open_steps(const char *, const char *const *, int,
		     const char **);
void		 store_close(struct store *);
int		 store_commit_sources(struct store *, const struct tally *,
		     const struct source_delta *, size_t, int64_t,
		     const char **);
int		 store_sources(struct store *, const char *,
		     struct source_row **, size_t *, const char **);
void		 store_sources_free(struct source_row *, size_t);
int64_t		 store_next_id(struct store *);
int		 store_maintain(struct store *, const struct store_policy *,
		     const char **);
void		 store_set_provider(struct store *, store_provider_fn, void *);
void		 store_set_max_reasons(struct store *, int64_t);
void		 store_set_verdicts(struct store *, store_verdict_fn, void *,
		     int64_t);
int		 store_checkpoint(struct store *, const char **);
int		 store_is_full(const struct store *);
int		 store_is_io_error(const struct store *);

#endif
