/*
 * live: the daemon's state that is not in the database, for /v1/status:
 * the followed paths in error.  See live.h.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "live.h"

struct live_prob {
	char		*path;
	char		*why;
	int64_t		 since;
};

struct live {
	pthread_mutex_t		 lock;
	struct live_prob	*problems;
	size_t			 nproblems;
};

/* An empty board. */
struct live *
live_new(void)
{
	struct live	*l;

	if ((l = calloc(1, sizeof(*l))) == NULL)
		return NULL;
	pthread_mutex_init(&l->lock, NULL);
	return l;
}

static void
live_problems_free(struct live_prob *p, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		free(p[i].path);
		free(p[i].why);
	}
	free(p);
}

/* Release everything; NULL is fine. */
void
live_free(struct live *l)
{
	if (l == NULL)
		return;
	live_problems_free(l->problems, l->nproblems);
	pthread_mutex_destroy(&l->lock);
	free(l);
}

/* The list is copied first and swapped in under the lock. */
int
live_set_problems(struct live *l, const struct live_problem *p, size_t n)
{
	struct live_prob	*np = NULL, *old;
	size_t			 i, nold;

	if (l == NULL)
		return 0;
	if (n > 0 && (np = calloc(n, sizeof(*np))) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		np[i].since = p[i].since;
		if ((np[i].path = strdup(p[i].path)) == NULL ||
		    (np[i].why = strdup(p[i].why)) == NULL) {
			live_problems_free(np, i + 1);
			return -1;
		}
	}
	pthread_mutex_lock(&l->lock);
	old = l->problems;
	nold = l->nproblems;
	l->problems = np;
	l->nproblems = n;
	pthread_mutex_unlock(&l->lock);
	live_problems_free(old, nold);
	return 0;
}

/* Call fn for each path in error, under the lock. */
void
live_each_problem(struct live *l, void (*fn)(const struct live_problem *,
    void *), void *arg)
{
	struct live_problem	p;
	size_t			i;

	if (l == NULL)
		return;
	pthread_mutex_lock(&l->lock);
	for (i = 0; i < l->nproblems; i++) {
		p.path = l->problems[i].path;
		p.why = l->problems[i].why;
		p.since = l->problems[i].since;
		fn(&p, arg);
	}
	pthread_mutex_unlock(&l->lock);
}
