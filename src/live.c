/*
 * live: the daemon's state that is not in the database, for /v1/status:
 * the followed paths in error and a ring of the last unrecognised lines
 * per source.  See live.h.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"
#include "live.h"

struct live_slot {
	char		*name;
	int64_t		 offset;
	int64_t		 time;
	size_t		 length;
	unsigned char	 raw[LIVE_RAW];	/* the line's first bytes */
	size_t		 rawlen;
};

struct live_ring {
	char		*source;
	uint64_t	 used;		/* when last fed (live.clock) */
	int64_t		 seen;		/* lines given in all */
	size_t		 next, n;
	struct live_slot slot[LIVE_LINES];
};

struct live_prob {
	char		*path;
	char		*why;
	int64_t		 since;
};

struct live_jlag {
	char		*spec;
	int64_t		 lag;
};

struct live {
	pthread_mutex_t		 lock;
	struct live_jlag	 lags[LIVE_LAGS];
	size_t			 nlags;
	struct live_prob	*problems;
	size_t			 nproblems;
	struct live_ring	*ring[LIVE_SOURCES];
	size_t			 nrings;
	uint64_t		 clock;
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

static void
live_ring_free(struct live_ring *r)
{
	size_t	i;

	for (i = 0; i < LIVE_LINES; i++)
		free(r->slot[i].name);
	free(r->source);
	free(r);
}

/* Release everything; NULL is fine. */
void
live_free(struct live *l)
{
	size_t	i;

	if (l == NULL)
		return;
	live_problems_free(l->problems, l->nproblems);
	for (i = 0; i < l->nlags; i++)
		free(l->lags[i].spec);
	for (i = 0; i < l->nrings; i++)
		live_ring_free(l->ring[i]);
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

/* The table is copied first and swapped in under the lock. */
int
live_set_lags(struct live *l, const char *const *specs, const int64_t *lags,
    size_t n)
{
	struct live_jlag	nl[LIVE_LAGS], old[LIVE_LAGS];
	size_t			i, nold;

	if (l == NULL)
		return 0;
	if (n > LIVE_LAGS)
		n = LIVE_LAGS;
	for (i = 0; i < n; i++) {
		nl[i].lag = lags[i];
		if ((nl[i].spec = strdup(specs[i])) == NULL) {
			while (i-- > 0)
				free(nl[i].spec);
			return -1;
		}
	}
	pthread_mutex_lock(&l->lock);
	nold = l->nlags;
	memcpy(old, l->lags, nold * sizeof(old[0]));
	memcpy(l->lags, nl, n * sizeof(nl[0]));
	l->nlags = n;
	pthread_mutex_unlock(&l->lock);
	for (i = 0; i < nold; i++)
		free(old[i].spec);
	return 0;
}

/* The lag last set for spec, under the lock. */
int64_t
live_lag(struct live *l, const char *spec)
{
	int64_t	lag = -1;
	size_t	i;

	if (l == NULL)
		return -1;
	pthread_mutex_lock(&l->lock);
	for (i = 0; i < l->nlags; i++)
		if (strcmp(l->lags[i].spec, spec) == 0)
			lag = l->lags[i].lag;
	pthread_mutex_unlock(&l->lock);
	return lag;
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

/* See live.h: whole escapes and characters only (escape_char). */
size_t
live_escape(const char *s, size_t n, char *out, size_t len)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 i = 0, o = 0, k, adv;
	char			 esc[ESCAPE_MAX];

	if (len == 0)
		return 0;
	while (i < n) {
		adv = escape_char(p + i, n - i, 1, esc);
		if (o + (k = strlen(esc)) >= len)
			break;
		memcpy(out + o, esc, k);
		o += k;
		i += adv;
	}
	out[o] = '\0';
	return i;
}

/* The ring of a source, made if need be (the least recently fed one
 * gives way when there are LIVE_SOURCES); NULL out of memory. */
static struct live_ring *
live_ring(struct live *l, const char *source)
{
	struct live_ring	*r;
	size_t			 i, old = 0;

	for (i = 0; i < l->nrings; i++)
		if (strcmp(l->ring[i]->source, source) == 0)
			return l->ring[i];
	if ((r = calloc(1, sizeof(*r))) == NULL ||
	    (r->source = strdup(source)) == NULL) {
		free(r);
		return NULL;
	}
	if (l->nrings < LIVE_SOURCES) {
		l->ring[l->nrings++] = r;
		return r;
	}
	for (i = 1; i < l->nrings; i++)
		if (l->ring[i]->used < l->ring[old]->used)
			old = i;
	live_ring_free(l->ring[old]);
	l->ring[old] = r;
	return r;
}

/* Keep one line (see live.h). */
int64_t
live_add_line(struct live *l, const char *source, const char *name,
    int64_t offset, int64_t time, const char *buf, size_t len)
{
	struct live_ring	*r;
	struct live_slot	*s;
	char			*nm;
	size_t			 i, keep = len < LIVE_RAW ? len : LIVE_RAW;
	int64_t			 seen = 0;

	if (l == NULL)
		return 0;
	if (name == NULL)
		name = "";
	pthread_mutex_lock(&l->lock);
	if ((r = live_ring(l, source)) == NULL)
		goto out;
	r->used = ++l->clock;
	/* Read again after a failed commit: the same line, kept once. */
	for (i = 0; i < r->n; i++) {
		s = &r->slot[i];
		if (s->offset == offset && s->time == time &&
		    s->length == len && s->rawlen == keep &&
		    memcmp(s->raw, buf, keep) == 0 &&
		    strcmp(s->name, name) == 0)
			goto out;
	}
	r->seen++;
	s = &r->slot[r->next];
	if (s->name == NULL || strcmp(s->name, name) != 0) {
		if ((nm = strdup(name)) == NULL)
			goto out;
		free(s->name);
		s->name = nm;
	}
	s->offset = offset;
	s->time = time;
	s->length = len;
	memcpy(s->raw, buf, keep);
	s->rawlen = keep;
	r->next = (r->next + 1) % LIVE_LINES;
	if (r->n < LIVE_LINES)
		r->n++;
	seen = r->seen;
out:
	pthread_mutex_unlock(&l->lock);
	return seen;
}

/* Call fn for each kept line, source by source, oldest first. */
void
live_each_line(struct live *l, void (*fn)(const struct live_line *, void *),
    void *arg)
{
	struct live_ring	*r;
	struct live_slot	*s;
	struct live_line	 ln;
	char			 text[LIVE_TEXT];
	size_t			 i, k;

	if (l == NULL)
		return;
	pthread_mutex_lock(&l->lock);
	for (i = 0; i < l->nrings; i++) {
		r = l->ring[i];
		for (k = 0; k < r->n; k++) {
			s = &r->slot[(r->next + LIVE_LINES - r->n + k) %
			    LIVE_LINES];
			ln.source = r->source;
			ln.name = s->name;
			ln.offset = s->offset;
			ln.time = s->time;
			ln.length = s->length;
			/* Escaped here, not on the ingest path: lines are
			 * kept far more often than they are asked for. */
			ln.truncated = live_escape((const char *)s->raw,
			    s->rawlen, text, sizeof text) < s->length;
			ln.text = text;
			fn(&ln, arg);
		}
	}
	pthread_mutex_unlock(&l->lock);
}
