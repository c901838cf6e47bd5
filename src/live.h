/*
 * live: what only the daemon's memory knows, kept for the query threads:
 * the followed paths that cannot be read now, and why.
 *
 * The daemon's loop writes, query threads read; one mutex guards it all
 * and is held only to copy in or to walk (no I/O under it).
 *
 * Not here: the database, JSON.
 */
#ifndef SMTPTALLY_LIVE_H
#define SMTPTALLY_LIVE_H

#include <stddef.h>
#include <stdint.h>

struct live;

/* A followed path in error; strings borrowed (copied by live_set_problems,
 * valid during the call for live_each_problem). */
struct live_problem {
	const char	*path;
	const char	*why;
	int64_t		 since;		/* UTC seconds */
};

struct live	*live_new(void);
void		 live_free(struct live *);
/* Replace the list of paths in error; -1 out of memory (list kept). */
int		 live_set_problems(struct live *, const struct live_problem *,
		     size_t);
void		 live_each_problem(struct live *,
		     void (*)(const struct live_problem *, void *), void *);

#endif
