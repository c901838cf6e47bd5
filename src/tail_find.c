/*
 * tail_find: which file holds which generation.
 *
 * Identity: (dev, ino) and the first bytes of the file (the head, up to
 * SOURCE_HEAD_MAX, compared as a prefix because it grows with the file).
 * At start-up every open generation row is looked for under the live name
 * and the rotated siblings (mail.log.1, mail.log.2.gz, mail.log-2026...),
 * first by (dev, ino) and head, then by head alone, then inside .gz files.
 * A reconcile decides rotations (the path names another inode),
 * truncations (shorter than read, or another head), copies left by
 * copytruncate and generations that rotated past us.
 *
 * Not here: reading (tail_gen.c), inotify and timers (tail.c).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/inotify.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hook.h"
#include "log.h"
#include "tail_int.h"

/* At a restart, how often and how far apart to look at a directory that
 * is changing under us (logrotate at work): 50 times 20 ms. */
#define FIND_TRIES	50
#define FIND_WAIT_US	20000

/* Does name end in suffix? */
static int
find_endswith(const char *name, const char *suffix)
{
	size_t	n = strlen(name), k = strlen(suffix);

	return n >= k && strcmp(name + n - k, suffix) == 0;
}

/* Is a directory entry a rotated sibling of the path (name.*, name-*,
 * name_*, and not our own database or a lock)? */
static int
find_is_sibling(const struct tail_path *tp, const char *name)
{
	static const char *const skip[] = { ".lock", "-wal", "-shm", ".db",
	    ".tmp" };
	size_t	blen = strlen(tp->base), i;

	if (strncmp(name, tp->base, blen) != 0 ||
	    strchr(".-_", name[blen]) == NULL || name[blen] == '\0' ||
	    name[blen + 1] == '\0')
		return 0;
	for (i = 0; i < sizeof(skip) / sizeof(*skip); i++)
		if (find_endswith(name, skip[i]))
			return 0;
	return 1;
}

/* List the rotated siblings of a path as candidates: name, (dev, ino),
 * size, mtime and head, each file opened only to read its head (a
 * thousand siblings never hold a thousand descriptors).  Anything but a
 * regular file is refused with a log line (a FIFO must not block us); a
 * file we cannot open is an error.  The caller frees them with
 * find_cands_free. */
static size_t
find_siblings(struct tail_path *tp, struct tail_cand **out)
{
	struct tail_cand	*c = NULL, *nc;
	struct dirent		*de;
	struct stat		 st;
	DIR			*d;
	size_t			 n = 0;
	char			 full[4096];
	int			 fd;

	*out = NULL;
	if ((d = opendir(tp->dir)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		if (!find_is_sibling(tp, de->d_name))
			continue;
		if ((size_t)snprintf(full, sizeof(full), "%s/%s", tp->dir,
		    de->d_name) >= sizeof(full))
			continue;
		if ((fd = gen_openfile(full, &st)) == -2) {
			log_warnx("tail %s: %s is %s, not read", tp->path,
			    full, gen_filetype(&st));
			continue;
		}
		if (fd == -1) {
			if (errno != ENOENT) {
				log_warn("tail %s: open %s", tp->path, full);
				tp->t->errors++;
			}
			continue;
		}
		if ((nc = reallocarray(c, n + 1, sizeof(*c))) == NULL) {
			close(fd);
			continue;
		}
		c = nc;
		memset(&c[n], 0, sizeof(c[n]));
		if ((c[n].name = strdup(full)) == NULL) {
			close(fd);
			continue;
		}
		c[n].fd = -1;
		c[n].isgz = find_endswith(full, ".gz");
		c[n].dev = (int64_t)st.st_dev;
		c[n].ino = (int64_t)st.st_ino;
		c[n].size = (int64_t)st.st_size;
		c[n].mtime = (int64_t)st.st_mtime;
		c[n].headlen = gen_readhead(fd, c[n].isgz, c[n].head,
		    SOURCE_HEAD_MAX);
		close(fd);
		n++;
	}
	closedir(d);
	*out = c;
	return n;
}

/* Close the candidates nobody took. */
static void
find_cands_free(struct tail_cand *c, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		if (c[i].fd != -1)
			close(c[i].fd);
		free(c[i].name);
	}
	free(c);
}

/* Is the stored head h a prefix of the candidate's head? */
static int
find_headmatch(const unsigned char *h, size_t hl, const unsigned char *c,
    size_t cl)
{
	return hl > 0 && cl >= hl && memcmp(h, c, hl) == 0;
}

/* Is one head a prefix of the other?  For "have we seen this file": a
 * .gz still being written has a shorter head than the generation in it. */
static int
find_headsame(const unsigned char *a, size_t al, const unsigned char *b,
    size_t bl)
{
	size_t	m = al < bl ? al : bl;

	return m > 0 && memcmp(a, b, m) == 0;
}

/* Is candidate i a .gz whose uncompressed original is still there (gzip
 * at work)?  Then the original is the file to read. */
static int
find_twin(const struct tail_cand *c, size_t n, size_t i)
{
	size_t	len = strlen(c[i].name), j;

	if (!c[i].isgz)
		return 0;
	for (j = 0; j < n; j++)
		if (j != i && !c[j].isgz && strlen(c[j].name) == len - 3 &&
		    strncmp(c[j].name, c[i].name, len - 3) == 0)
			return 1;
	return 0;
}

/* The end of the last complete line at or before size (for --from-end). */
static int64_t
find_lastline(int fd, int64_t size)
{
	char	buf[8192];
	int64_t	end = size, start;
	ssize_t	r, i;

	while (end > 0) {
		start = end > (int64_t)sizeof(buf) ? end - (int64_t)sizeof(buf)
		    : 0;
		r = pread(fd, buf, (size_t)(end - start), (off_t)start);
		if (r <= 0)
			return 0;
		for (i = r - 1; i >= 0; i--)
			if (buf[i] == '\n')
				return start + i + 1;
		end = start;
	}
	return 0;
}

/* The other followed path holding st's file open, or NULL. */
static struct tail_path *
find_elsewhere(struct tail *t, struct tail_path *tp, const struct stat *st)
{
	struct tail_gen	*g;
	size_t		 i;

	for (i = 0; i < t->npaths; i++) {
		if (t->paths[i] == tp)
			continue;
		for (g = t->paths[i]->gens; g != NULL; g = g->next)
			if (gen_open(g) && g->dev == (int64_t)st->st_dev &&
			    g->ino == (int64_t)st->st_ino)
				return t->paths[i];
	}
	return NULL;
}

/* Why a path cannot be read and what to do, in tp->why: err is an errno
 * or -2 (not a regular file, st filled in). */
static void
find_why(struct tail *t, struct tail_path *tp, int err, const struct stat *st)
{
	struct passwd	*pw;
	struct group	*gr;
	struct stat	 sb;
	char		 user[64];
	const char	*again = t->o.oneshot ? "" :
			    "; it is read as soon as that changes";

	if ((pw = getpwuid(geteuid())) != NULL)
		snprintf(user, sizeof user, "%s", pw->pw_name);
	else
		snprintf(user, sizeof user, "%u", (unsigned)geteuid());
	if (err == -2)
		snprintf(tp->why, sizeof tp->why, "is %s, not a log file: "
		    "follow the mail log itself%s", gen_filetype(st), again);
	else if (err == ENOENT && stat(tp->dir, &sb) == -1)
		snprintf(tp->why, sizeof tp->why, "does not exist, nor does "
		    "its directory %s: check the follow line%s", tp->dir,
		    again);
	else if (err == ENOENT)
		snprintf(tp->why, sizeof tp->why, "does not exist: check the "
		    "follow line%s", again);
	else if (err == EACCES && stat(tp->path, &sb) == 0 &&
	    (sb.st_mode & S_IRGRP) && (gr = getgrgid(sb.st_gid)) != NULL)
		snprintf(tp->why, sizeof tp->why, "cannot be read by user %s "
		    "(permission denied): run smtptallyd as a user that can "
		    "read it, or add %s to group %s, the file's group%s", user,
		    user, gr->gr_name, again);
	else if (err == EACCES && stat(tp->path, &sb) == 0)
		snprintf(tp->why, sizeof tp->why, "cannot be read by user %s "
		    "(permission denied, mode %04o): run smtptallyd as a user "
		    "that can read it, or make it readable by a group %s is "
		    "in (chgrp adm, chmod g+r)%s", user,
		    (unsigned)(sb.st_mode & 07777), user, again);
	else if (err == EACCES)
		snprintf(tp->why, sizeof tp->why, "cannot be reached by user "
		    "%s (permission denied on a directory above it): run "
		    "smtptallyd as a user that can, or let %s search the "
		    "directory%s", user, user, again);
	else
		snprintf(tp->why, sizeof tp->why, "cannot be opened: %s%s",
		    strerror(err), again);
}

/* Is a path in error (not merely missing between two files)? */
int
find_in_error(const struct tail_path *tp)
{
	return tp->openerr != 0 && (tp->openerr != ENOENT || !tp->had_file);
}

/* The path could not be opened (err: errno, or -2 with st): say so once
 * for each new state. */
static void
find_fail(struct tail *t, struct tail_path *tp, int err, const struct stat *st)
{
	if (err == tp->openerr)
		return;
	tp->openerr = err;
	tp->err_since = time(NULL);
	t->pserial++;
	find_why(t, tp, err, st);
	if (!find_in_error(tp))
		return;
	log_warnx("tail %s: %s", tp->path, tp->why);
	if (err != ENOENT && err != -2)
		t->errors++;
}

/* Open the file now under the path as the live generation. */
static void
find_live(struct tail *t, struct tail_path *tp, int from_end)
{
	struct tail_path	*other;
	struct tail_gen	*g;
	struct stat	 st;
	int64_t		 off = 0;
	int		 fd;

	if ((fd = gen_openfile(tp->path, &st)) < 0) {
		find_fail(t, tp, fd == -2 ? -2 : errno, &st);
		return;
	}
	if (tp->openerr != 0) {
		log_info("tail %s: opened", tp->path);
		t->pserial++;
	}
	tp->openerr = 0;
	tp->had_file = 1;
	/* Another followed path's file (a hard link made later, a rename
	 * between two followed names): it is read there, once. */
	if ((other = find_elsewhere(t, tp, &st)) != NULL) {
		if (!tp->twin)
			log_warnx("tail %s: the same file as %s, not followed "
			    "twice", tp->path, other->path);
		tp->twin = 1;
		close(fd);
		return;
	}
	tp->twin = 0;
	/* The same inode we already hold (renamed back): live again. */
	for (g = tp->gens; g != NULL; g = g->next) {
		if (gen_open(g) && g->dev == (int64_t)st.st_dev &&
		    g->ino == (int64_t)st.st_ino &&
		    (g->state == GEN_ROTATED || g->state == GEN_ACTIVE)) {
			close(fd);
			gen_set(g, GEN_ACTIVE);
			return;
		}
	}
	if (from_end)
		off = find_lastline(fd, (int64_t)st.st_size);
	tp->live = gen_new(t, tp, fd, 0, tp->path, &st, off, GEN_ACTIVE, 0,
	    NULL);
}

/* Look for a copy of g (copytruncate) among the siblings: same head, at
 * least as long as what was committed; returns an open fd or -1. */
static int
find_copy(struct tail_path *tp, struct tail_gen *g, struct stat *st)
{
	struct tail_cand	*c;
	size_t			 n, i;
	int			 fd = -1;

	n = find_siblings(tp, &c);
	for (i = 0; i < n && fd == -1; i++) {
		if (c[i].isgz || (c[i].dev == g->dev && c[i].ino == g->ino) ||
		    c[i].size < g->pos ||
		    !find_headmatch(g->head, g->headlen, c[i].head,
		    c[i].headlen))
			continue;
		if ((fd = gen_openfile(c[i].name, st)) < 0)
			continue;
		if ((int64_t)st->st_dev != c[i].dev ||
		    (int64_t)st->st_ino != c[i].ino) {
			close(fd);
			fd = -1;
			continue;
		}
		log_info("tail %s: continuing from the copy %s", tp->path,
		    c[i].name);
	}
	find_cands_free(c, n);
	return fd;
}

/* The live file got shorter or its head changed: copytruncate. */
void
find_truncated(struct tail *t, struct tail_path *tp, struct tail_gen *g,
    int64_t size)
{
	struct stat	st;
	int		fd;

	log_warnx("tail %s: truncated (%lld bytes, had read %lld)", tp->path,
	    (long long)size, (long long)g->rdoff);
	if ((fd = find_copy(tp, g, &st)) != -1) {
		close(g->fd);
		g->fd = fd;
		g->dev = (int64_t)st.st_dev;
		g->ino = (int64_t)st.st_ino;
		g->size_seen = (int64_t)st.st_size;
		gen_set(g, GEN_ROTATED);
		gen_seek(g, g->pos);
	} else {
		g->lost_end = g->size_seen > g->rdoff ? g->size_seen : g->rdoff;
		log_warnx("tail %s: %lld bytes lost to the truncation",
		    tp->path, (long long)(g->lost_end - g->pos));
		gen_set(g, GEN_LOST);
	}
	if (tp->live == NULL)
		find_live(t, tp, 0);
}

/* Has the live file been truncated, or rewritten with another head? */
static void
find_check_live(struct tail *t, struct tail_path *tp, struct tail_gen *g,
    time_t now)
{
	unsigned char	head[SOURCE_HEAD_MAX];
	struct stat	st;
	ssize_t		r;

	if (fstat(g->fd, &st) == -1)
		return;
	/* Checked before size_seen moves: a refilled file's size says
	 * nothing about how much of the old content we missed. */
	if ((int64_t)st.st_size < g->rdoff ||
	    (int64_t)st.st_size < (int64_t)g->headlen) {
		find_truncated(t, tp, g, (int64_t)st.st_size);
		return;
	}
	if (g->headlen > 0) {
		r = pread(g->fd, head, g->headlen, 0);
		if (r == (ssize_t)g->headlen &&
		    memcmp(head, g->head, g->headlen) != 0) {
			find_truncated(t, tp, g, (int64_t)st.st_size);
			return;
		}
	}
	if ((int64_t)st.st_size > g->size_seen) {
		g->size_seen = (int64_t)st.st_size;
		g->grown = now;
	}
}

/* After a rotation: siblings we have never seen that were written since
 * the previous reconcile are generations that rotated past us (two
 * rotations between two looks, or while we were stopped): read them. */
static void
find_new(struct tail *t, struct tail_path *tp, time_t since)
{
	struct tail_cand	*c;
	struct source_row	*rows = NULL;
	struct tail_gen		*g;
	const char		*cause;
	size_t			 n, nrows = 0, i, j;
	int			 known;

	if (t->src.rows(t->src.arg, tp->path, &rows, &nrows, &cause) == -1) {
		log_warnx("tail %s: %s", tp->path, cause);
		return;
	}
	n = find_siblings(tp, &c);
	for (i = 0; i < n; i++) {
		if (c[i].headlen == 0 || c[i].mtime < (int64_t)since - 1)
			continue;
		known = find_twin(c, n, i);
		for (g = tp->gens; g != NULL && !known; g = g->next)
			known = (!c[i].isgz && g->dev == c[i].dev &&
			    g->ino == c[i].ino) || find_headsame(g->head,
			    g->headlen, c[i].head, c[i].headlen);
		for (j = 0; j < nrows && !known; j++)
			known = find_headsame(rows[j].head, rows[j].headlen,
			    c[i].head, c[i].headlen);
		if (known)
			continue;
		log_info("tail %s: reading %s, rotated past us", tp->path,
		    c[i].name);
		(void)gen_lazy(t, tp, &c[i], 0, GEN_ROTATED, NULL);
	}
	find_cands_free(c, n);
	t->src.rows_free(t->src.arg, rows, nrows);
}

/* Record a rotated file we chose not to read (first start without
 * --backfill) as a closed generation, so that later starts and rotations
 * know its head and never take it for a generation that rotated past us. */
static void
find_skip(struct tail *t, struct tail_path *tp, const struct tail_cand *c)
{
	struct source_row	r;

	if (c->headlen == 0)
		return;
	memset(&r, 0, sizeof(r));
	r.dev = c->dev;
	r.ino = c->ino;
	memcpy(r.head, c->head, c->headlen);
	r.headlen = c->headlen;
	r.offset = c->isgz ? 0 : c->size;
	r.state = SOURCE_CLOSED;
	if (gen_stub(t, tp, c->name, &r) != NULL)
		log_debug("tail %s: not reading %s (no --backfill)", tp->path,
		    c->name);
}

/* First sight of a path: backfill or skip the rotated siblings, then the
 * live file. */
void
find_first(struct tail *t, struct tail_path *tp)
{
	struct tail_cand	*c;
	size_t			 n, i, j, best;

	if (!t->o.backfill) {
		n = find_siblings(tp, &c);
		tp->had_file |= n > 0;
		for (i = 0; i < n; i++)
			if (!find_twin(c, n, i))
				find_skip(t, tp, &c[i]);
		find_cands_free(c, n);
	} else {
		n = find_siblings(tp, &c);
		tp->had_file |= n > 0;
		for (i = 0; i < n; i++) {
			/* Oldest first, by mtime. */
			for (best = i, j = i + 1; j < n; j++)
				if (c[j].mtime < c[best].mtime)
					best = j;
			if (best != i) {
				struct tail_cand tmp = c[i];
				c[i] = c[best];
				c[best] = tmp;
			}
			if (find_twin(c, n, i))
				continue;
			log_info("tail %s: backfilling %s", tp->path,
			    c[i].name);
			(void)gen_lazy(t, tp, &c[i], 0, GEN_ROTATED, NULL);
		}
		find_cands_free(c, n);
	}
	find_live(t, tp, t->o.from_end);
}

/* Pick the candidate holding a stored generation, or NULL. */
static struct tail_cand *
find_match(const struct source_row *r, struct tail_cand *c, size_t n)
{
	size_t	i;
	int	pass;

	for (pass = 0; pass < 3; pass++) {
		for (i = 0; i < n; i++) {
			if (c[i].claimed)
				continue;
			if (pass < 2 && c[i].isgz)
				continue;
			if (pass == 2 && (!c[i].isgz ||
			    find_twin(c, n, i)))
				continue;
			if (pass == 0 && (c[i].dev != r->dev ||
			    c[i].ino != r->ino))
				continue;
			if (r->headlen == 0) {
				/* Nothing read yet: only its own inode. */
				if (pass == 0 && c[i].live && r->offset == 0)
					return &c[i];
				continue;
			}
			if (find_headmatch(r->head, r->headlen, c[i].head,
			    c[i].headlen))
				return &c[i];
		}
	}
	return NULL;
}

/* The siblings and the live file, the live one first (so that pass 0 of
 * find_match prefers it), holding its descriptor. */
static size_t
find_look(struct tail_path *tp, struct tail_cand **out)
{
	struct tail_cand	*c, *nc, tmp;
	struct stat		 st;
	size_t			 n;
	int			 fd;

	n = find_siblings(tp, &c);
	if ((fd = gen_openfile(tp->path, &st)) < 0)
		goto out;
	if ((nc = reallocarray(c, n + 1, sizeof(*c))) == NULL) {
		close(fd);
		goto out;
	}
	c = nc;
	memset(&c[n], 0, sizeof(c[n]));
	if ((c[n].name = strdup(tp->path)) == NULL) {
		close(fd);
		goto out;
	}
	c[n].fd = fd;
	c[n].live = 1;
	c[n].dev = (int64_t)st.st_dev;
	c[n].ino = (int64_t)st.st_ino;
	c[n].size = (int64_t)st.st_size;
	c[n].mtime = (int64_t)st.st_mtime;
	c[n].headlen = gen_readhead(fd, 0, c[n].head, SOURCE_HEAD_MAX);
	if (n > 0) {
		tmp = c[0];
		c[0] = c[n];
		c[n] = tmp;
	}
	n++;
out:
	*out = c;
	return n;
}

/* Did the directory stay as find_look saw it?  Its mtime is what it was
 * before the look, every candidate's name still holds its (dev, ino), and
 * the live path is still the live candidate (or still absent).  A rename
 * between the listing and the resume (logrotate at our start) would
 * otherwise pair a stored generation with another file, or with none. */
static int
find_stable(struct tail_path *tp, const struct tail_cand *c, size_t n,
    const struct stat *before)
{
	struct stat	st;
	size_t		i;
	int		live = 0;

	if (stat(tp->dir, &st) == -1 ||
	    st.st_mtim.tv_sec != before->st_mtim.tv_sec ||
	    st.st_mtim.tv_nsec != before->st_mtim.tv_nsec)
		return 0;
	for (i = 0; i < n; i++) {
		live |= c[i].live;
		if (stat(c[i].name, &st) == -1 ||
		    (int64_t)st.st_dev != c[i].dev ||
		    (int64_t)st.st_ino != c[i].ino)
			return 0;
	}
	return live || stat(tp->path, &st) == -1;
}

/* Restart: find each open generation again and resume it at its
 * committed offset; pick up files that appeared while we were down.  The
 * directory is looked at until two looks agree (FIND_TRIES). */
void
find_resume(struct tail *t, struct tail_path *tp, struct source_row *rows,
    size_t nrows)
{
	struct tail_cand	*c, *m;
	struct tail_gen		*g;
	struct stat		 st, dir;
	size_t			 n, i, j;
	int64_t			 last = 0, off;
	int			 known, tries;

	for (tries = 1;; tries++) {
		if (stat(tp->dir, &dir) == -1)
			memset(&dir, 0, sizeof(dir));
		n = find_look(tp, &c);
		HOOK_SLEEP("resume_looked");
		if (find_stable(tp, c, n, &dir))
			break;
		if (tries == FIND_TRIES) {
			log_warnx("tail %s: %s kept changing while we looked; "
			    "resuming from the last look", tp->path, tp->dir);
			break;
		}
		if (tries == 1)
			log_info("tail %s: %s changed while we looked at it; "
			    "looking again", tp->path, tp->dir);
		find_cands_free(c, n);
		usleep(FIND_WAIT_US);
	}
	for (i = 0; i < nrows; i++) {
		if (rows[i].last_commit > last)
			last = rows[i].last_commit;
		if (rows[i].first_seen > last)
			last = rows[i].first_seen;
	}
	for (i = 0; i < nrows; i++) {
		if (rows[i].state != SOURCE_ACTIVE &&
		    rows[i].state != SOURCE_ROTATED)
			continue;
		if ((m = find_match(&rows[i], c, n)) == NULL) {
			log_warnx("tail %s: generation %lld (offset %lld) is "
			    "gone, marking it lost", tp->path,
			    (long long)rows[i].id, (long long)rows[i].offset);
			if ((g = gen_stub(t, tp, rows[i].name != NULL ?
			    rows[i].name : tp->path, &rows[i])) != NULL)
				gen_set(g, GEN_LOST);
			continue;
		}
		off = rows[i].offset;
		/* Truncated and refilled while we were away (shorter than
		 * what we read, or other bytes before the offset, even under
		 * the same head): a new content, read from 0; what was
		 * written after our last commit and before the truncation
		 * is lost, and the row says when. */
		if (!m->isgz && (m->size < off || gen_mark_same(m->name,
		    m->dev, m->ino, off, rows[i].mark, rows[i].marklen) == 0)) {
			log_warnx("tail %s: %s was truncated and rewritten "
			    "while we were away (%lld bytes, had read %lld): "
			    "reading it from the start; lines written after "
			    "the last commit and before that are lost",
			    tp->path, m->name, (long long)m->size,
			    (long long)off);
			m->fresh = 1;
			if ((g = gen_stub(t, tp, rows[i].name != NULL ?
			    rows[i].name : tp->path, &rows[i])) != NULL) {
				g->lost_from = rows[i].last_commit;
				g->lost_until = (int64_t)time(NULL);
				gen_set(g, GEN_LOST);
			}
			continue;
		}
		m->claimed = 1;
		if (m->live) {
			st.st_dev = (dev_t)m->dev;
			st.st_ino = (ino_t)m->ino;
			st.st_size = (off_t)m->size;
			g = gen_new(t, tp, m->fd, 0, m->name, &st, off,
			    GEN_ACTIVE, 0, &rows[i]);
			m->fd = -1;
		} else
			g = gen_lazy(t, tp, m, off, GEN_ROTATED, &rows[i]);
		if (g != NULL && m->live)
			tp->live = g;
		if (g != NULL)
			log_info("tail %s: resuming %s at %lld", tp->path,
			    m->name, (long long)off);
	}
	for (i = 0; i < n; i++) {
		if (c[i].claimed)
			continue;
		for (known = find_twin(c, n, i), j = 0; j < nrows &&
		    !known && !c[i].fresh; j++)
			known = find_headsame(rows[j].head, rows[j].headlen,
			    c[i].head, c[i].headlen);
		if (c[i].live) {
			if (fstat(c[i].fd, &st) == -1)
				continue;
			tp->live = gen_new(t, tp, c[i].fd, 0, c[i].name, &st,
			    0, GEN_ACTIVE, 0, NULL);
			c[i].fd = -1;
			continue;
		}
		if (!c[i].fresh && (known || (c[i].mtime < last &&
		    !t->o.backfill)))
			continue;
		log_info("tail %s: reading %s, new since the last run",
		    tp->path, c[i].name);
		(void)gen_lazy(t, tp, &c[i], 0, GEN_ROTATED, NULL);
	}
	find_cands_free(c, n);
}

/* Compare a path and its descriptors with the filesystem: rotations,
 * truncations, a new live file, drained generations. */
void
find_reconcile(struct tail *t, struct tail_path *tp, time_t now)
{
	struct tail_gen		*g, *next;
	struct stat		 st;
	int			 exists;

	exists = stat(tp->path, &st) == 0 && S_ISREG(st.st_mode);
	if ((g = tp->live) != NULL) {
		if (!exists || (int64_t)st.st_dev != g->dev ||
		    (int64_t)st.st_ino != g->ino) {
			log_info("tail %s: %s", tp->path, exists ? "rotated" :
			    "gone");
			gen_set(g, GEN_ROTATED);
			HOOK("mid_rotation");
			find_new(t, tp, tp->checked);
		} else
			find_check_live(t, tp, g, now);
	}
	/* Also when nothing is there: a path in error says so (find_fail),
	 * and is read once it can be. */
	if (tp->live == NULL)
		find_live(t, tp, 0);
	for (g = tp->gens; g != NULL; g = next) {
		next = g->next;
		if (g->state == GEN_ROTATED && gen_open(g))
			gen_check(t, g, now);
	}
	tp->checked = now;
}

/* A parked generation is no longer under its name: find it among the
 * siblings (renamed again, or compressed) and take the new name.  0, or
 * -1 if it is nowhere. */
int
find_relocate(struct tail *t, struct tail_gen *g)
{
	struct tail_cand	*c;
	char			*name;
	size_t			 n, i;
	int			 found = -1, pass;

	(void)t;
	n = find_siblings(g->tp, &c);
	for (pass = 0; pass < 2 && found == -1; pass++) {
		for (i = 0; i < n && found == -1; i++) {
			/* Pass 0: the same file; pass 1: its .gz. */
			if (pass == 0 && (c[i].isgz != g->isgz ||
			    c[i].dev != g->dev || c[i].ino != g->ino))
				continue;
			if (pass == 1 && (g->isgz || !c[i].isgz ||
			    find_twin(c, n, i) || !find_headmatch(g->head,
			    g->headlen, c[i].head, c[i].headlen)))
				continue;
			if ((name = strdup(c[i].name)) == NULL)
				break;
			free(g->name);
			g->name = name;
			g->isgz = c[i].isgz;
			g->dev = c[i].dev;
			g->ino = c[i].ino;
			found = 0;
		}
	}
	find_cands_free(c, n);
	if (found == 0)
		log_info("tail %s: generation %lld is now %s", g->tp->path,
		    (long long)g->id, g->name);
	return found;
}
