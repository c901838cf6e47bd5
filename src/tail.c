/*
 * tail: following log files through rotation, truncation and restarts.
 *
 * A path (what the user asked to follow) owns a list of generations: the
 * live one (the inode now under the path) and older ones still open by
 * descriptor (renamed by a rotation, deleted, or found at start-up under a
 * rotated name, possibly .gz).  This part keeps the paths, the wake-ups
 * and the commit side: inotify only wakes us, tail_reconcile (every
 * second, and on directory events or a queue overflow) has tail_find.c
 * look at every path; tail_deltas hands each dirty generation's row to
 * the caller's commit.
 *
 * The committed rows come from the caller (struct tail_sources); a new
 * generation gets an id at once and its row is written by the commit that
 * first carries it, so nothing here writes to the database.
 *
 * Not here: parsing, counting, SQL.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/inotify.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "log.h"
#include "tail_int.h"

/* How many generations may be open at once: half the descriptors left
 * after 64 for the rest of the daemon, at least 8, at most 512. */
static size_t
tail_maxopen(void)
{
	struct rlimit	rl;
	rlim_t		n;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1 || rl.rlim_cur == RLIM_INFINITY)
		return 512;
	n = rl.rlim_cur > 80 ? (rl.rlim_cur - 64) / 2 : 8;
	return n > 512 ? 512 : (size_t)n;
}

/* Make a follower; nothing is opened until tail_start. */
struct tail *
tail_new(struct event_base *base, const struct tail_sources *src,
    const struct tail_opts *o, tail_line_cb cb, tail_wake_cb wake, void *arg)
{
	struct tail	*t;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	t->base = base;
	t->src = *src;
	if (o != NULL)
		t->o = *o;
	if (t->o.maxline == 0)
		t->o.maxline = TAIL_MAXLINE_DEFAULT;
	if (t->o.quiet <= 0)
		t->o.quiet = TAIL_QUIET_DEFAULT;
	t->bufsz = t->o.maxline + TAIL_READSZ;
	t->cb = cb;
	t->wake = wake;
	t->arg = arg;
	t->ifd = -1;
	t->maxopen = tail_maxopen();
	return t;
}

/* Add a path to follow (before tail_start). */
int
tail_add(struct tail *t, const char *path, enum mta fmt, const char **cause)
{
	struct tail_path	**np, *tp;
	char			 *d = NULL, *b = NULL;
	size_t			  i;

	for (i = 0; i < t->npaths; i++) {
		if (strcmp(t->paths[i]->path, path) == 0) {
			*cause = "followed twice";
			return -1;
		}
	}
	if ((np = reallocarray(t->paths, t->npaths + 1, sizeof(*np))) ==
	    NULL) {
		*cause = "out of memory";
		return -1;
	}
	t->paths = np;
	if ((tp = calloc(1, sizeof(*tp))) == NULL ||
	    (tp->path = strdup(path)) == NULL || (d = strdup(path)) == NULL ||
	    (b = strdup(path)) == NULL ||
	    (tp->dir = strdup(dirname(d))) == NULL ||
	    (tp->base = strdup(basename(b))) == NULL) {
		if (tp != NULL) {
			free(tp->path);
			free(tp->dir);
		}
		free(tp);
		free(d);
		free(b);
		*cause = "out of memory";
		return -1;
	}
	free(d);
	free(b);
	tp->t = t;
	tp->fmt = fmt;
	tp->dirwd = -1;
	t->paths[t->npaths++] = tp;
	return 0;
}

/* Close a path's generations and forget it. */
static void
tail_path_free(struct tail *t, struct tail_path *tp)
{
	size_t	i;
	int	shared = 0;

	while (tp->gens != NULL)
		gen_free(t, tp->gens);
	/* inotify gives one directory one watch, shared by its paths. */
	for (i = 0; i < t->npaths; i++)
		shared |= t->paths[i] != tp && t->paths[i]->dirwd == tp->dirwd;
	if (tp->dirwd != -1 && t->ifd != -1 && !shared)
		inotify_rm_watch(t->ifd, tp->dirwd);
	free(tp->path);
	free(tp->dir);
	free(tp->base);
	free(tp);
}

/* Release everything; NULL is fine. */
void
tail_free(struct tail *t)
{
	if (t == NULL)
		return;
	while (t->npaths > 0)		/* the rest must stay valid */
		tail_path_free(t, t->paths[--t->npaths]);
	free(t->paths);
	if (t->iev != NULL)
		event_free(t->iev);
	if (t->timer != NULL)
		event_free(t->timer);
	if (t->ifd != -1)
		close(t->ifd);
	free(t->deltas);
	free(t->drows);
	free(t->dgens);
	free(t);
}

/* Close every rotated generation (renamed or deleted: the files an
 * operator deletes to free space); they are found again from their
 * committed positions once the hold ends. */
static void
tail_release(struct tail *t)
{
	struct tail_gen	*g;
	size_t		 i;

	for (i = 0; i < t->npaths; i++)
		for (g = t->paths[i]->gens; g != NULL; g = g->next)
			if (gen_open(g) && g->state != GEN_ACTIVE) {
				log_info("tail %s: letting go of %s while "
				    "commits fail", t->paths[i]->path, g->name);
				gen_park(t, g);
			}
}

/* Is a parked generation waiting for its first read since it was
 * parked? */
static int
tail_waiting(const struct tail *t)
{
	const struct tail_gen	*g;
	size_t			 i;

	if (t->hold)
		return 0;
	for (i = 0; i < t->npaths; i++)
		for (g = t->paths[i]->gens; g != NULL; g = g->next)
			if (g->parked && !g->spent &&
			    (g->state == GEN_ACTIVE || g->state == GEN_ROTATED))
				return 1;
	return 0;
}

/* Open parked generations while there is room, oldest first (the
 * order of each path's list); with spent, also those put aside after
 * they were read to their end (a reconcile looks at them again). */
static void
tail_unpark(struct tail *t, int spent)
{
	struct tail_gen	*g, *next;
	size_t		 i;
	int		 r;

	for (i = 0; i < t->npaths; i++) {
		for (g = t->paths[i]->gens; g != NULL; g = next) {
			next = g->next;
			if (t->nopen >= t->maxopen)
				return;
			if (t->hold && g->state != GEN_ACTIVE)
				continue;
			if (!g->parked || (g->spent && !spent) ||
			    (g->state != GEN_ACTIVE && g->state != GEN_ROTATED))
				continue;
			if ((r = gen_unpark(t, g)) == 0)
				g->spent = 0;
			else if (r == -1)
				g->spent = 1;	/* not now: later */
		}
	}
}

/* Read every open generation; stops at the first "full". */
enum tail_status
tail_read(struct tail *t, size_t budget)
{
	struct tail_gen		*g;
	enum tail_status	 r, all = TAIL_IDLE;
	size_t			 i;

	tail_unpark(t, 0);
	for (i = 0; i < t->npaths; i++) {
		for (g = t->paths[i]->gens; g != NULL; g = g->next) {
			if (g->state == GEN_CLOSED || g->state == GEN_LOST ||
			    !gen_open(g))
				continue;
			r = gen_read(t, g, budget);
			if (g->rewritten) {
				log_warnx("tail %s: %s was rewritten in place",
				    t->paths[i]->path, g->name);
				find_truncated(t, t->paths[i], g,
				    g->size_seen);
				all = TAIL_MORE;
				continue;
			}
			if (r == TAIL_FULL)
				return TAIL_FULL;
			if (r == TAIL_MORE)
				all = TAIL_MORE;
			else if (g->state == GEN_ROTATED && tail_waiting(t) &&
			    gen_at_end(g)) {
				/* Read to its end while others wait for a
				 * descriptor: make room, look again later. */
				gen_park(t, g);
				g->spent = 1;
			}
		}
	}
	return tail_waiting(t) ? TAIL_MORE : all;
}

/* Compare each path and descriptor with the filesystem: rotations,
 * truncations, new files, drained generations.  Every wake-up ends here. */
void
tail_reconcile(struct tail *t)
{
	struct tail_path	*tp;
	time_t			 now = time(NULL);
	size_t			 i;

	for (i = 0; i < t->npaths; i++) {
		tp = t->paths[i];
		if (t->ifd != -1 && tp->dirwd == -1)
			tp->dirwd = inotify_add_watch(t->ifd, tp->dir,
			    TAIL_DIRMASK);
		find_reconcile(t, tp, now);
	}
	if (t->hold)
		tail_release(t);
	if (!t->o.oneshot)
		tail_unpark(t, 1);
}

/* Drain inotify; directory events and overflows mean a reconcile. */
static void
tail_inotify(evutil_socket_t fd, short what, void *arg)
{
	struct tail		*t = arg;
	char			 buf[8192]
	    __attribute__((aligned(__alignof__(struct inotify_event))));
	const struct inotify_event *ie;
	ssize_t			 n, off;
	size_t			 i;
	int			 rescan = 0, overflow = 0;

	(void)what;
	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n <= 0)
			break;
		for (off = 0; off < n;
		    off += (ssize_t)sizeof(*ie) + (ssize_t)ie->len) {
			ie = (const struct inotify_event *)(buf + off);
			if (ie->mask & IN_Q_OVERFLOW)
				overflow = 1;
			for (i = 0; i < t->npaths; i++)
				if (ie->wd == t->paths[i]->dirwd)
					rescan = 1;
		}
	}
	if (overflow)
		log_warnx("tail: inotify queue overflow, rescanning");
	if (rescan || overflow)
		tail_reconcile(t);
	if (t->wake != NULL)
		t->wake(t->arg);
}

/* The periodic reconcile: inotify is only a hint. */
static void
tail_tick(evutil_socket_t fd, short what, void *arg)
{
	struct tail	*t = arg;

	(void)fd;
	(void)what;
	tail_reconcile(t);
	if (t->wake != NULL)
		t->wake(t->arg);
}

/* First sight of a path, or its resumption from its committed rows. */
static int
tail_path_start(struct tail *t, struct tail_path *tp, const char **cause)
{
	struct source_row	*rows;
	size_t			 n;

	if (t->src.rows(t->src.arg, tp->path, &rows, &n, cause) == -1)
		return -1;
	if (n == 0)
		find_first(t, tp);
	else {
		tp->had_file = 1;
		find_resume(t, tp, rows, n);
	}
	t->src.rows_free(t->src.arg, rows, n);
	return 0;
}

/* Open everything: resume known generations, set up inotify and the
 * reconcile timer (not in oneshot mode). */
int
tail_start(struct tail *t, const char **cause)
{
	struct timeval		 tv = { 1, 0 };
	size_t			 i;

	if (!t->o.oneshot && t->base != NULL) {
		if ((t->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) == -1)
			log_warn("tail: inotify_init1 (polling only)");
		else if ((t->iev = event_new(t->base, t->ifd,
		    EV_READ | EV_PERSIST, tail_inotify, t)) == NULL ||
		    event_add(t->iev, NULL) == -1) {
			*cause = "cannot add the inotify event";
			return -1;
		}
		if ((t->timer = event_new(t->base, -1, EV_PERSIST, tail_tick,
		    t)) == NULL || event_add(t->timer, &tv) == -1) {
			*cause = "cannot add the reconcile timer";
			return -1;
		}
	}
	for (i = 0; i < t->npaths; i++)
		if (tail_path_start(t, t->paths[i], cause) == -1)
			return -1;
	t->started = 1;
	tail_reconcile(t);
	return 0;
}

/* Follow one more path on a started tail (a reload): the others keep
 * every generation they hold, also those open only by descriptor. */
int
tail_follow(struct tail *t, const char *path, enum mta fmt,
    const char **cause)
{
	if (tail_add(t, path, fmt, cause) == -1)
		return -1;
	if (t->started && tail_path_start(t, t->paths[t->npaths - 1],
	    cause) == -1) {
		tail_path_free(t, t->paths[--t->npaths]);
		return -1;
	}
	tail_reconcile(t);
	return 0;
}

/* Stop following a path (a reload; commit first: what was read and not
 * committed is dropped with it).  0, or -1 if it was not followed. */
int
tail_unfollow(struct tail *t, const char *path)
{
	size_t	i;

	for (i = 0; i < t->npaths; i++) {
		if (strcmp(t->paths[i]->path, path) != 0)
			continue;
		tail_path_free(t, t->paths[i]);
		memmove(&t->paths[i], &t->paths[i + 1], (t->npaths - i - 1) *
		    sizeof(*t->paths));
		t->npaths--;
		t->pserial++;		/* its error, if any, is gone */
		return 0;
	}
	return -1;
}

/* Is there anything to commit at all? */
int
tail_pending(const struct tail *t)
{
	const struct tail_gen	*g;
	size_t			 i;

	for (i = 0; i < t->npaths; i++)
		for (g = t->paths[i]->gens; g != NULL; g = g->next)
			if (gen_dirty(g))
				return 1;
	return 0;
}

/* The per-generation part of the next commit; valid until the next call
 * of tail_deltas, tail_committed or tail_rewind. */
size_t
tail_deltas(struct tail *t, const struct source_delta **out)
{
	struct source_delta	*d, *nd;
	struct source_row	*r, *nr;
	struct tail_gen		*g, **ng;
	size_t			 i, cap;

	t->ndeltas = 0;
	for (i = 0; i < t->npaths; i++) {
		for (g = t->paths[i]->gens; g != NULL; g = g->next) {
			if (!gen_dirty(g))
				continue;
			if (t->ndeltas == t->dcap) {
				cap = t->dcap == 0 ? 8 : t->dcap * 2;
				if ((nd = reallocarray(t->deltas, cap,
				    sizeof(*nd))) == NULL)
					break;
				t->deltas = nd;
				if ((nr = reallocarray(t->drows, cap,
				    sizeof(*nr))) == NULL)
					break;
				t->drows = nr;
				if ((ng = reallocarray(t->dgens, cap,
				    sizeof(*ng))) == NULL)
					break;
				t->dgens = ng;
				t->dcap = cap;
			}
			r = &t->drows[t->ndeltas];
			memset(r, 0, sizeof(*r));
			r->id = g->id;
			r->kind = SOURCE_FILE;
			r->path = g->tp->path;
			r->name = g->name;
			r->format = g->tp->fmt;
			r->dev = g->dev;
			r->ino = g->ino;
			memcpy(r->head, g->head, g->headlen);
			r->headlen = g->headlen;
			r->offset = g->pos;
			gen_mark(g);
			memcpy(r->mark, g->mark, g->marklen);
			r->marklen = g->marklen;
			r->lost = gen_lost(g);
			r->lost_from = g->lost_from;
			r->lost_until = g->lost_until;
			r->state = (enum source_state)g->state;
			r->first_seen = g->first_seen;
			r->last_time = g->last_time;
			d = &t->deltas[t->ndeltas];
			memset(d, 0, sizeof(*d));
			d->insert = !g->inserted;
			d->old_offset = g->committed;
			d->lines = g->lines;
			d->unrecognised = g->unrec;
			d->long_lines = g->longl;
			t->dgens[t->ndeltas++] = g;
		}
	}
	for (i = 0; i < t->ndeltas; i++)
		t->deltas[i].row = &t->drows[i];
	*out = t->deltas;
	return t->ndeltas;
}

/* The commit of the last tail_deltas succeeded: move the offsets and let
 * go of generations that are closed or lost. */
void
tail_committed(struct tail *t)
{
	struct tail_gen	*g;
	size_t		 i;

	for (i = 0; i < t->ndeltas; i++) {
		g = t->dgens[i];
		g->inserted = 1;
		g->committed = t->drows[i].offset;
		g->lines = g->unrec = g->longl = 0;
		g->lost_c = t->drows[i].lost;
		g->lost_end = 0;
		g->headlen_c = t->drows[i].headlen;
		g->state_c = g->state;
		if (g->state == GEN_CLOSED || g->state == GEN_LOST) {
			log_debug("tail %s: generation %lld done", g->tp->path,
			    (long long)g->id);
			gen_free(t, g);
		}
	}
	t->ndeltas = 0;
}

/* The commit failed: forget what was read and go back to the committed
 * offsets, so the same lines are read (and counted) again. */
void
tail_rewind(struct tail *t)
{
	struct tail_gen	*g;
	size_t		 i;

	t->ndeltas = 0;
	for (i = 0; i < t->npaths; i++) {
		for (g = t->paths[i]->gens; g != NULL; g = g->next) {
			g->lines = g->unrec = g->longl = 0;
			if (g->state == GEN_CLOSED && gen_open(g))
				gen_set(g, GEN_ROTATED);
			g->spent = 0;
			if (gen_open(g))
				gen_seek(g, g->committed);
			else
				g->pos = g->rdoff = g->committed;
		}
	}
}

/* Bytes read since start and bytes there were to read (for --oneshot). */
void
tail_progress(const struct tail *t, uint64_t *done, uint64_t *total)
{
	const struct tail_gen	*g;
	size_t			 i;

	*done = *total = 0;
	for (i = 0; i < t->npaths; i++) {
		for (g = t->paths[i]->gens; g != NULL; g = g->next) {
			if (g->gz != NULL)
				continue;
			if (g->start_size > g->start_off)
				*total += (uint64_t)(g->start_size -
				    g->start_off);
			if (g->rdoff > g->start_off)
				*done += (uint64_t)(g->rdoff - g->start_off);
		}
	}
}

/* How many generations are open (for status and tests). */
size_t
tail_generations(const struct tail *t)
{
	const struct tail_gen	*g;
	size_t			 i, n = 0;

	for (i = 0; i < t->npaths; i++)
		for (g = t->paths[i]->gens; g != NULL; g = g->next)
			n++;
	return n;
}

/* Do two paths name one file?  The same (dev, ino) when both exist (a
 * symlink, a hard link, dir//name); else the same directory (by its
 * (dev, ino)) and the same name. */
static int
tail_same(const char *a, const char *b)
{
	struct stat	 sa, sb;
	char		*da = NULL, *db = NULL, *ba = NULL, *bb = NULL;
	int		 same = 0;

	if (stat(a, &sa) == 0 && stat(b, &sb) == 0)
		return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
	if ((da = strdup(a)) == NULL || (db = strdup(b)) == NULL ||
	    (ba = strdup(a)) == NULL || (bb = strdup(b)) == NULL)
		goto out;
	if (strcmp(basename(ba), basename(bb)) == 0 &&
	    stat(dirname(da), &sa) == 0 && stat(dirname(db), &sb) == 0)
		same = sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
out:
	free(da);
	free(db);
	free(ba);
	free(bb);
	return same;
}

/* Two of the paths that name one file (their indexes, 0), or -1 if all
 * are different files: following one file twice counts it twice. */
int
tail_twins(const char *const *paths, size_t n, size_t *a, size_t *b)
{
	size_t	i, j;

	for (i = 0; i < n; i++) {
		for (j = i + 1; j < n; j++) {
			if (strcmp(paths[i], paths[j]) == 0 ||
			    tail_same(paths[i], paths[j])) {
				*a = i;
				*b = j;
				return 0;
			}
		}
	}
	return -1;
}

/* The followed paths in error now, up to max of them into out; how many
 * in all. */
size_t
tail_problems(const struct tail *t, struct tail_problem *out, size_t max)
{
	const struct tail_path	*tp;
	size_t			 i, n = 0;

	for (i = 0; i < t->npaths; i++) {
		tp = t->paths[i];
		if (!find_in_error(tp))
			continue;
		if (n < max) {
			out[n].path = tp->path;
			out[n].why = tp->why;
			out[n].since = (int64_t)tp->err_since;
		}
		n++;
	}
	return n;
}

/* Changes each time a path's error comes, goes or changes. */
uint64_t
tail_problem_serial(const struct tail *t)
{
	return t->pserial;
}

/* Files that could not be opened (other than gone): for the log, status
 * and --oneshot's exit code. */
int64_t
tail_errors(const struct tail *t)
{
	return t->errors;
}

/* Commits fail (a full disk): hold nothing the operator may be deleting
 * to make room, or stop holding (commits work again: what was let go is
 * opened again by name, or found among the siblings, else it is lost
 * with its unread bytes recorded). */
void
tail_hold(struct tail *t, int hold)
{
	t->hold = hold;
	if (hold)
		tail_release(t);
}

/* For status: generations open now, and those let go or waiting for a
 * descriptor (parked). */
void
tail_held(const struct tail *t, size_t *open, size_t *parked)
{
	const struct tail_gen	*g;
	size_t			 i;

	*open = *parked = 0;
	for (i = 0; i < t->npaths; i++) {
		for (g = t->paths[i]->gens; g != NULL; g = g->next) {
			if (gen_open(g))
				(*open)++;
			else if (g->parked && (g->state == GEN_ACTIVE ||
			    g->state == GEN_ROTATED))
				(*parked)++;
		}
	}
}
