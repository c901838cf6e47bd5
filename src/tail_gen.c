/*
 * tail_gen: one generation of a followed file (one inode's stream of
 * bytes): its state, its descriptor, and reading it into lines.
 *
 * A generation has a committed offset (in the database), a read position
 * (a line start, the offset the next commit will write) and the bytes
 * read beyond it (a partial line, or the part of an over-long line
 * already skipped).  Lines go to the caller's callback with the
 * generation's own parse cache; the callback may say "full" and the line
 * is offered again later.  The state changes in gen_set only.
 *
 * Not here: which file is which generation (tail_find.c), when to read
 * (tail.c).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/inotify.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <zlib.h>

#include "log.h"
#include "tail_int.h"

/* Close a generation's file, if open (its inotify watch too, unless
 * another generation of the path shares it: same inode). */
static void
gen_close_file(struct tail_gen *g)
{
	struct tail	*t = g->tp->t;
	struct tail_gen	*o;
	int		 shared = 0;

	if (g->wd != -1 && t->ifd != -1) {
		for (o = g->tp->gens; o != NULL; o = o->next)
			shared |= o != g && o->wd == g->wd;
		if (!shared)
			inotify_rm_watch(t->ifd, g->wd);
	}
	g->wd = -1;
	if (gen_open(g) && t->nopen > 0)
		t->nopen--;
	if (g->gz != NULL)
		gzclose(g->gz);
	else if (g->fd != -1)
		close(g->fd);
	g->gz = NULL;
	g->fd = -1;
	free(g->buf);
	g->buf = NULL;
	g->boff = g->bend = 0;
}

/* Close a generation's file and unlink it from its path. */
void
gen_free(struct tail *t, struct tail_gen *g)
{
	struct tail_gen	**pp;

	(void)t;
	gen_close_file(g);
	for (pp = &g->tp->gens; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == g) {
			*pp = g->next;
			break;
		}
	}
	if (g->tp->live == g)
		g->tp->live = NULL;
	free(g->name);
	free(g);
}

/* Open a file to follow.  O_NONBLOCK: a FIFO must not block us in
 * open(2) (nothing but a regular file is read, see gen_filetype).
 * -1 with errno; EFTYPE-like cases (a FIFO, a directory) are -2 with st
 * filled in. */
int
gen_openfile(const char *name, struct stat *st)
{
	int	fd, e;

	if ((fd = open(name, O_RDONLY | O_CLOEXEC | O_NONBLOCK |
	    O_NOCTTY)) == -1)
		return -1;
	if (fstat(fd, st) == -1) {
		e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	if (!S_ISREG(st->st_mode)) {
		close(fd);
		return -2;
	}
	return fd;
}

/* What a file that is not a regular file is, for the log. */
const char *
gen_filetype(const struct stat *st)
{
	if (S_ISDIR(st->st_mode))
		return "a directory";
	if (S_ISFIFO(st->st_mode))
		return "a FIFO";
	if (S_ISSOCK(st->st_mode))
		return "a socket";
	if (S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode))
		return "a device";
	return "not a regular file";
}

/* Is the generation's file open? */
int
gen_open(const struct tail_gen *g)
{
	return g->fd != -1 || g->gz != NULL;
}

/* The one place a generation's state changes.  ACTIVE: the inode under
 * its path (the path's live generation).  ROTATED: renamed or deleted,
 * drained through the descriptor until quiet.  CLOSED: drained; freed
 * after the commit that records it (a failed commit turns it back into
 * ROTATED, to be read again from the committed offset).  LOST: content
 * gone; the file is let go at once, the row waits for the commit. */
void
gen_set(struct tail_gen *g, enum gen_state to)
{
	struct tail_path	*tp = g->tp;

	if (tp->live == g && to != GEN_ACTIVE)
		tp->live = NULL;
	switch (to) {
	case GEN_ACTIVE:
		tp->live = g;
		break;
	case GEN_ROTATED:
		g->grown = time(NULL);
		break;
	case GEN_CLOSED:
		break;
	case GEN_LOST:
		gen_close_file(g);
		g->parked = 0;
		break;
	}
	if (g->state != to)
		log_debug("tail %s: %s %s -> %s", tp->path, g->name,
		    source_state_name((enum source_state)g->state),
		    source_state_name((enum source_state)to));
	g->state = to;
}

/* Move the read position to off (a line start), dropping the buffer. */
void
gen_seek(struct tail_gen *g, int64_t off)
{
	ssize_t	r;
	size_t	n;

	g->boff = g->bend = 0;
	g->skipping = 0;
	g->long_pending = 0;
	g->long_len = 0;
	g->eof = 0;
	g->pos = g->rdoff = off;
	if (g->gz != NULL) {
		if (gzseek(g->gz, (z_off_t)off, SEEK_SET) == -1)
			log_warnx("tail %s: cannot seek to %lld in %s",
			    g->tp->path, (long long)off, g->name);
	} else if (g->fd != -1) {
		if (lseek(g->fd, (off_t)off, SEEK_SET) == -1)
			log_warn("tail %s: lseek %s", g->tp->path, g->name);
	}
	/* What is before off now is what the next read is checked by. */
	g->lastlen = 0;
	g->rewritten = 0;
	if (g->fd != -1 && off > 0) {
		n = off < TAIL_LASTMAX ? (size_t)off : TAIL_LASTMAX;
		r = pread(g->fd, g->last, n, (off_t)(off - (int64_t)n));
		if (r == (ssize_t)n)
			g->lastlen = n;
	}
}

/* Read up to n bytes of a file's head; for .gz the decompressed head. */
size_t
gen_readhead(int fd, int isgz, unsigned char *head, size_t n)
{
	gzFile	gz;
	ssize_t	r;
	int	dfd;
	size_t	got = 0;

	if (!isgz) {
		while (got < n) {
			r = pread(fd, head + got, n - got, (off_t)got);
			if (r <= 0)
				break;
			got += (size_t)r;
		}
		return got;
	}
	if ((dfd = dup(fd)) == -1)
		return 0;
	if (lseek(dfd, 0, SEEK_SET) == -1 || (gz = gzdopen(dfd, "rb")) ==
	    NULL) {
		close(dfd);
		return 0;
	}
	r = gzread(gz, head, (unsigned)n);
	gzclose(gz);
	lseek(fd, 0, SEEK_SET);
	return r > 0 ? (size_t)r : 0;
}

/* Grow the in-memory head while the file is shorter than SOURCE_HEAD_MAX. */
static void
gen_head_refresh(struct tail_gen *g)
{
	ssize_t	r;

	if (g->fd == -1 || g->headlen >= SOURCE_HEAD_MAX)
		return;
	r = pread(g->fd, g->head + g->headlen, SOURCE_HEAD_MAX - g->headlen,
	    (off_t)g->headlen);
	if (r > 0)
		g->headlen += (size_t)r;
}

/* A new generation of a path, its file not open yet: from its stored
 * row, or new (an id now, its row with the next commit) at offset. */
static struct tail_gen *
gen_alloc(struct tail *t, struct tail_path *tp, const char *name,
    int64_t dev, int64_t ino, int64_t offset, enum gen_state state,
    int64_t ref_time, const struct source_row *row)
{
	struct tail_gen	*g, **pp;

	if ((g = calloc(1, sizeof(*g))) == NULL ||
	    (g->name = strdup(name)) == NULL) {
		free(g);
		log_warnx("tail %s: out of memory", tp->path);
		return NULL;
	}
	g->tp = tp;
	g->fd = -1;
	g->wd = -1;
	g->dev = dev;
	g->ino = ino;
	g->mta = tp->fmt;
	g->ref_time = ref_time;
	g->state = g->state_c = state;
	g->grown = time(NULL);
	if (row != NULL) {
		g->id = row->id;
		g->inserted = 1;
		g->first_seen = row->first_seen;
		g->committed = row->offset;
		g->lost_c = row->lost;
		g->headlen_c = row->headlen;
		g->last_time = row->last_time;
		g->state_c = row->state == SOURCE_ACTIVE ? GEN_ACTIVE :
		    GEN_ROTATED;
		memcpy(g->mark, row->mark, row->marklen);
		g->marklen = row->marklen;
		g->lost_from = row->lost_from;
		g->lost_until = row->lost_until;
	} else {
		g->id = t->src.next_id(t->src.arg);
		g->first_seen = (int64_t)time(NULL);
		g->committed = offset;
		log_debug("tail %s: generation %lld is %s (dev %lld ino %lld) "
		    "from offset %lld", tp->path, (long long)g->id, name,
		    (long long)dev, (long long)ino, (long long)offset);
	}
	g->pos = g->rdoff = g->start_off = offset;
	for (pp = &tp->gens; *pp != NULL; pp = &(*pp)->next)
		;
	*pp = g;
	return g;
}

/* Give a generation its open file (fd is taken over; for .gz, wrapped)
 * and seek to its read position.  -1 if the .gz cannot be read. */
static int
gen_attach(struct tail *t, struct tail_gen *g, int fd, const struct stat *st)
{
	if (g->isgz) {
		if ((g->gz = gzdopen(fd, "rb")) == NULL) {
			close(fd);
			return -1;
		}
		gzbuffer(g->gz, 128 * 1024);
		g->fd = -1;
	} else {
		g->fd = fd;
		if ((int64_t)st->st_size > g->size_seen)
			g->size_seen = (int64_t)st->st_size;
	}
	t->nopen++;
	g->parked = 0;
	gen_seek(g, g->pos);
	if (t->ifd != -1 && !g->isgz)
		g->wd = inotify_add_watch(t->ifd, g->name, IN_MODIFY);
	return 0;
}

/* Start following an open file: fd is taken over (for .gz, wrapped). */
struct tail_gen *
gen_new(struct tail *t, struct tail_path *tp, int fd, int isgz,
    const char *name, const struct stat *st, int64_t offset,
    enum gen_state state, int64_t ref_time, const struct source_row *row)
{
	struct tail_gen	*g;

	if ((g = gen_alloc(t, tp, name, (int64_t)st->st_dev,
	    (int64_t)st->st_ino, row != NULL ? offset : offset, state,
	    ref_time, row)) == NULL) {
		close(fd);
		return NULL;
	}
	g->isgz = isgz;
	g->headlen = gen_readhead(fd, isgz, g->head, SOURCE_HEAD_MAX);
	g->start_size = isgz ? 0 : (int64_t)st->st_size;
	if (gen_attach(t, g, fd, st) == -1) {
		gen_free(t, g);
		return NULL;
	}
	return g;
}

/* A generation found under a rotated name, not opened until there is
 * room (tail_unpark): a thousand siblings never take a thousand
 * descriptors.  Its clock of growth starts at the file's mtime, so an
 * old file read to its end is closed at the next look. */
struct tail_gen *
gen_lazy(struct tail *t, struct tail_path *tp, const struct tail_cand *c,
    int64_t offset, enum gen_state state, const struct source_row *row)
{
	struct tail_gen	*g;

	if ((g = gen_alloc(t, tp, c->name, c->dev, c->ino, offset, state,
	    c->mtime, row)) == NULL)
		return NULL;
	g->isgz = c->isgz;
	memcpy(g->head, c->head, c->headlen);
	g->headlen = c->headlen;
	g->parked = 1;
	g->grown = (time_t)c->mtime;
	g->size_seen = c->isgz ? 0 : c->size;
	g->start_size = g->size_seen;
	/* Open it now if there is room: a rotation may delete it soon. */
	if (t->nopen < t->maxopen)
		(void)gen_unpark(t, g);
	return g;
}

/* Put a generation's file aside (closed) to make room; its read position
 * is a line start, where it goes on when opened again. */
void
gen_park(struct tail *t, struct tail_gen *g)
{
	(void)t;
	gen_close_file(g);
	g->rdoff = g->pos;
	g->skipping = g->long_pending = 0;
	g->long_len = 0;
	g->parked = 1;
}

/* Open a parked generation again, under its name if that is still it,
 * else wherever tail_find finds it.  0 open, -1 not now (the fd limit:
 * try later), -2 gone (it is lost). */
int
gen_unpark(struct tail *t, struct tail_gen *g)
{
	struct stat	st;
	int		fd, tries;

	for (tries = 0; tries < 2; tries++) {
		fd = gen_openfile(g->name, &st);
		if (fd == -1 && (errno == EMFILE || errno == ENFILE)) {
			if (!t->emfile)
				log_warnx("tail %s: too many open files: "
				    "reading %zu generations at a time",
				    g->tp->path, t->nopen);
			t->emfile = 1;
			if (t->nopen > 0)
				t->maxopen = t->nopen;
			return -1;
		}
		if (fd == -1 && errno != ENOENT) {
			if (!g->readerr)
				log_warn("tail %s: open %s", g->tp->path,
				    g->name);
			if (!g->readerr)
				t->errors++;
			g->readerr = 1;
			return -1;
		}
		if (fd >= 0 && (int64_t)st.st_dev == g->dev &&
		    (int64_t)st.st_ino == g->ino) {
			g->readerr = 0;
			if (gen_attach(t, g, fd, &st) == -1)
				return -2;
			return 0;
		}
		if (fd >= 0)
			close(fd);
		/* Renamed again (mail.log.1 -> mail.log.2, compressed)? */
		if (tries > 0 || find_relocate(t, g) == -1)
			break;
	}
	log_warnx("tail %s: %s is gone, %lld bytes unread", g->tp->path,
	    g->name, (long long)(g->size_seen > g->pos ? g->size_seen -
	    g->pos : 0));
	g->lost_end = g->size_seen;
	gen_set(g, GEN_LOST);
	return -2;
}

/* Has an open generation been read to the end of its file? */
int
gen_at_end(struct tail_gen *g)
{
	struct stat	st;

	if (g->gz != NULL)
		return g->eof;
	if (g->fd == -1 || fstat(g->fd, &st) == -1)
		return 0;
	return g->rdoff >= (int64_t)st.st_size;
}

/* A generation known only by its row, no file open: a rotated file we
 * chose not to read, or a stored generation whose file is gone.  Its row
 * goes with the next commit, then it is freed. */
struct tail_gen *
gen_stub(struct tail *t, struct tail_path *tp, const char *name,
    const struct source_row *row)
{
	struct tail_gen	*g, **pp;

	if ((g = calloc(1, sizeof(*g))) == NULL ||
	    (g->name = strdup(name)) == NULL) {
		free(g);
		log_warnx("tail %s: out of memory", tp->path);
		return NULL;
	}
	g->tp = tp;
	g->fd = -1;
	g->wd = -1;
	g->mta = tp->fmt;
	g->dev = row->dev;
	g->ino = row->ino;
	memcpy(g->head, row->head, row->headlen);
	g->headlen = row->headlen;
	g->committed = g->pos = g->rdoff = row->offset;
	g->start_off = g->start_size = row->offset;
	g->state = g->state_c = (enum gen_state)row->state;
	g->lost_from = row->lost_from;
	g->lost_until = row->lost_until;
	if (row->id != 0) {
		g->id = row->id;
		g->inserted = 1;
		g->first_seen = row->first_seen;
		g->lost_c = row->lost;
		g->headlen_c = row->headlen;
		g->last_time = row->last_time;
		memcpy(g->mark, row->mark, row->marklen);
		g->marklen = row->marklen;
	} else {
		g->id = t->src.next_id(t->src.arg);
		g->first_seen = (int64_t)time(NULL);
	}
	for (pp = &tp->gens; *pp != NULL; pp = &(*pp)->next)
		;
	*pp = g;
	return g;
}

/* Hand one line (or a skipped long one) to the callback. */
static int
gen_deliver(struct tail *t, struct tail_gen *g, const char *buf, size_t len,
    int islong)
{
	struct tail_line	l;
	int			r;

	l.offset = g->pos;
	/* A run of NULs before a line is a hole left by copytruncate and a
	 * writer without O_APPEND, not part of the line. */
	while (buf != NULL && len > 0 && *buf == '\0') {
		buf++;
		len--;
		l.offset++;
	}
	l.file_id = g->id;
	l.cache = &g->cache;
	l.path = g->tp->path;
	l.name = g->name;
	l.mta = g->mta;
	l.ref_time = g->ref_time;
	l.last_time = g->last_time;
	l.is_long = islong;
	l.buf = buf;
	l.len = len;
	r = t->cb(&l, t->arg);
	if (r == TAIL_LINE_FULL)
		return -1;
	g->mta = l.mta;
	g->last_time = l.last_time;
	g->lines++;
	if (r == TAIL_LINE_UNRECOGNISED)
		g->unrec++;
	if (islong)
		g->longl++;
	return 0;
}

/* read(2) or gzread, retrying on EINTR. */
static ssize_t
gen_fill(struct tail_gen *g, char *p, size_t n)
{
	ssize_t	r;
	int	err;

	if (g->gz != NULL) {
		/* gzread drops what it inflated in a call that meets damage
		 * (a bad member after good ones): take what zlib holds
		 * already inflated (have, public for gzgetc), and otherwise
		 * one byte, so the call that fails has nothing of ours. */
		if (g->gz->have > 0)
			n = n < g->gz->have ? n : g->gz->have;
		else
			n = 1;
		r = gzread(g->gz, p, (unsigned)n);
		if (r < 0) {
			const char *msg = gzerror(g->gz, &err);
			if (!g->readerr)
				log_warnx("tail %s: %s: %s", g->tp->path,
				    g->name, msg);
			g->readerr = 1;
			gzclearerr(g->gz);
			g->eof = 1;
			return 0;
		}
		if (r == 0)
			g->eof = 1;
		return r;
	}
	do {
		r = read(g->fd, p, n);
	} while (r == -1 && errno == EINTR);
	if (r == -1) {
		if (!g->readerr)
			log_warn("tail %s: read %s", g->tp->path, g->name);
		g->readerr = 1;
		return 0;
	}
	g->readerr = 0;
	return r;
}

/* Are the bytes before the read position still the ones we read?  Asked
 * after each read(2), so a rewrite in place (O_TRUNC and a refill past our
 * offset) between two reads is seen whenever it happened: before the read,
 * the bytes read are the new content and the check fails; after it, they
 * were the old content and are thrown away with it. */
static int
gen_same(struct tail_gen *g)
{
	unsigned char	now[TAIL_LASTMAX];
	ssize_t		r;

	if (g->fd == -1 || g->lastlen == 0)
		return 1;
	r = pread(g->fd, now, g->lastlen, (off_t)(g->rdoff -
	    (int64_t)g->lastlen));
	return r == (ssize_t)g->lastlen && memcmp(now, g->last,
	    g->lastlen) == 0;
}

/* Keep the last bytes read. */
static void
gen_remember(struct tail_gen *g, const unsigned char *p, size_t n)
{
	size_t	keep;

	if (g->fd == -1)
		return;
	if (n >= TAIL_LASTMAX) {
		memcpy(g->last, p + n - TAIL_LASTMAX, TAIL_LASTMAX);
		g->lastlen = TAIL_LASTMAX;
		return;
	}
	keep = g->lastlen + n > TAIL_LASTMAX ? TAIL_LASTMAX - n : g->lastlen;
	memmove(g->last, g->last + g->lastlen - keep, keep);
	memcpy(g->last + keep, p, n);
	g->lastlen = keep + n;
}

/* Read and deliver whole lines; returns a tail_status. */
enum tail_status
gen_read(struct tail *t, struct tail_gen *g, size_t budget)
{
	size_t		 done = 0, len, k, maxline = t->o.maxline;
	char		*p, *nl;
	ssize_t		 n;

	if (g->buf == NULL && (g->buf = malloc(t->bufsz)) == NULL)
		return TAIL_IDLE;
	if (g->headlen < SOURCE_HEAD_MAX)
		gen_head_refresh(g);
	if (g->long_pending) {
		if (gen_deliver(t, g, NULL, g->long_len, 1) == -1)
			return TAIL_FULL;
		g->pos = g->long_end;
		g->long_pending = 0;
		g->long_len = 0;
	}
	for (;;) {
		while (g->boff < g->bend) {
			p = g->buf + g->boff;
			if ((nl = memchr(p, '\n', g->bend - g->boff)) == NULL)
				break;
			len = (size_t)(nl - p);
			if (len > maxline) {
				if (gen_deliver(t, g, NULL, len, 1) == -1)
					return TAIL_FULL;
			} else if (gen_deliver(t, g, p, len, 0) == -1)
				return TAIL_FULL;
			g->pos += (int64_t)len + 1;
			g->boff += len + 1;
		}
		if (g->bend - g->boff > maxline) {
			/* An unterminated line already too long: skip on. */
			g->skipping = 1;
			g->long_len = g->bend - g->boff;
			g->boff = g->bend = 0;
		} else if (g->boff > 0) {
			memmove(g->buf, g->buf + g->boff, g->bend - g->boff);
			g->bend -= g->boff;
			g->boff = 0;
		}
		if (done >= budget)
			return TAIL_MORE;
		n = gen_fill(g, g->buf + g->bend, t->bufsz - g->bend);
		if (n <= 0)
			return TAIL_IDLE;
		if (!gen_same(g)) {
			g->rewritten = 1;
			return TAIL_IDLE;
		}
		gen_remember(g, (unsigned char *)g->buf + g->bend, (size_t)n);
		g->rdoff += n;
		done += (size_t)n;
		if (g->rdoff > g->size_seen) {
			g->size_seen = g->rdoff;
			g->grown = time(NULL);
		}
		if (!g->skipping) {
			g->bend += (size_t)n;
			continue;
		}
		/* Skipping: bend is 0, the chunk is at buf[0..n). */
		if ((nl = memchr(g->buf, '\n', (size_t)n)) == NULL) {
			g->long_len += (size_t)n;
			continue;
		}
		k = (size_t)(nl - g->buf);
		g->long_len += k;
		g->long_end = g->rdoff - (n - (ssize_t)k - 1);
		g->boff = k + 1;
		g->bend = (size_t)n;
		g->skipping = 0;
		if (gen_deliver(t, g, NULL, g->long_len, 1) == -1) {
			g->long_pending = 1;
			return TAIL_FULL;
		}
		g->pos = g->long_end;
		g->long_len = 0;
	}
}

/* A rotated generation: note growth, close when drained and quiet. */
void
gen_check(struct tail *t, struct tail_gen *g, time_t now)
{
	struct stat	st;
	int64_t		size;

	if (g->gz != NULL) {
		size = g->rdoff;
		if (!g->eof)
			return;
	} else {
		if (fstat(g->fd, &st) == -1)
			return;
		size = (int64_t)st.st_size;
		if (size > g->size_seen) {
			g->size_seen = size;
			g->grown = now;
		}
		if (g->rdoff < size || now - g->grown < t->o.quiet)
			return;
	}
	if (t->o.oneshot)
		return;
	g->lost_end = g->rdoff;	/* an unterminated last line is lost */
	gen_set(g, GEN_CLOSED);
	log_info("tail %s: closing %s at %lld (drained)", g->tp->path,
	    g->name, (long long)g->pos);
}

/* The loss a generation's row should hold now (bytes). */
int64_t
gen_lost(const struct tail_gen *g)
{
	if ((g->state == GEN_LOST || g->state == GEN_CLOSED) &&
	    g->lost_end > g->pos)
		return g->lost_c + (g->lost_end - g->pos);
	return g->lost_c;
}

/* Has a generation anything to commit? */
int
gen_dirty(const struct tail_gen *g)
{
	return !g->inserted || (g->pos != g->committed || g->lines != 0 ||
	    g->state != g->state_c || g->headlen != g->headlen_c ||
	    gen_lost(g) != g->lost_c);
}

/*
 * The mark: a keyed digest of the bytes just before the committed offset
 * (up to TAIL_MARKWIN), stored with the row, so that a file truncated and
 * refilled while we were away, even with the same first KiB, is told from
 * the one we read.  Byte 0 is the format (1), then the 16-byte key (random
 * per generation: a writer of log lines cannot aim at a collision), then
 * SipHash-2-4 of the window.  .gz files need none: they do not change.
 */
#define TAIL_MARKWIN	1024
#define TAIL_MARKLEN	25

#define SIP_ROTL(x, b)	(uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIP_ROUND(v0, v1, v2, v3) do {					\
	v0 += v1; v1 = SIP_ROTL(v1, 13); v1 ^= v0; v0 = SIP_ROTL(v0, 32);	\
	v2 += v3; v3 = SIP_ROTL(v3, 16); v3 ^= v2;			\
	v0 += v3; v3 = SIP_ROTL(v3, 21); v3 ^= v0;			\
	v2 += v1; v1 = SIP_ROTL(v1, 17); v1 ^= v2; v2 = SIP_ROTL(v2, 32);	\
} while (0)

static uint64_t
gen_le64(const unsigned char *p)
{
	uint64_t	v = 0;
	int		i;

	for (i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

/* SipHash-2-4 (Aumasson and Bernstein) of p[0..n) under a 16-byte key. */
static uint64_t
gen_siphash(const unsigned char *key, const unsigned char *p, size_t n)
{
	uint64_t	k0 = gen_le64(key), k1 = gen_le64(key + 8), m, b;
	uint64_t	v0 = k0 ^ 0x736f6d6570736575ULL;
	uint64_t	v1 = k1 ^ 0x646f72616e646f6dULL;
	uint64_t	v2 = k0 ^ 0x6c7967656e657261ULL;
	uint64_t	v3 = k1 ^ 0x7465646279746573ULL;
	size_t		i, left = n & 7;

	for (i = 0; i + 8 <= n; i += 8) {
		m = gen_le64(p + i);
		v3 ^= m;
		SIP_ROUND(v0, v1, v2, v3);
		SIP_ROUND(v0, v1, v2, v3);
		v0 ^= m;
	}
	b = (uint64_t)n << 56;
	while (left > 0) {
		left--;
		b |= (uint64_t)p[i + left] << (8 * left);
	}
	v3 ^= b;
	SIP_ROUND(v0, v1, v2, v3);
	SIP_ROUND(v0, v1, v2, v3);
	v0 ^= b;
	v2 ^= 0xff;
	for (i = 0; i < 4; i++)
		SIP_ROUND(v0, v1, v2, v3);
	return v0 ^ v1 ^ v2 ^ v3;
}

/* The digest of fd's window before off under key, into out[8]; -1 if
 * the bytes cannot all be read (the file is shorter). */
static int
gen_mark_digest(int fd, int64_t off, const unsigned char *key,
    unsigned char *out)
{
	unsigned char	win[TAIL_MARKWIN];
	uint64_t	h;
	size_t		n = off < TAIL_MARKWIN ? (size_t)off : TAIL_MARKWIN;
	int		i;

	if (pread(fd, win, n, (off_t)(off - (int64_t)n)) != (ssize_t)n)
		return -1;
	h = gen_siphash(key, win, n);
	for (i = 0; i < 8; i++)
		out[i] = (unsigned char)(h >> (8 * i));
	return 0;
}

/* Renew the mark for the read position (a line start), as the next
 * commit will record it. */
void
gen_mark(struct tail_gen *g)
{
	if (g->fd == -1 || g->isgz || g->pos == 0) {
		if (g->pos == 0)
			g->marklen = 0;
		return;
	}
	if (g->marklen != TAIL_MARKLEN) {
		g->mark[0] = 1;
		if (getentropy(g->mark + 1, 16) == -1)
			return;
	}
	if (gen_mark_digest(g->fd, g->pos, g->mark + 1, g->mark + 17) == 0)
		g->marklen = TAIL_MARKLEN;
	else
		g->marklen = 0;
}

/* Are the bytes before off in the file at name, if it is still (dev, ino),
 * those a mark was taken of?  1 yes, 0 no (changed, or shorter), -1 cannot
 * tell (no mark, or the name now holds another file). */
int
gen_mark_same(const char *name, int64_t dev, int64_t ino, int64_t off,
    const unsigned char *mark, size_t marklen)
{
	struct stat	st;
	unsigned char	d[8];
	int		fd, r;

	if (marklen != TAIL_MARKLEN || mark[0] != 1 || off <= 0)
		return -1;
	if ((fd = gen_openfile(name, &st)) < 0)
		return -1;
	/* Renamed since it was listed: not the file the mark is about. */
	if ((int64_t)st.st_dev != dev || (int64_t)st.st_ino != ino) {
		close(fd);
		return -1;
	}
	r = gen_mark_digest(fd, off, mark + 1, d) == 0 &&
	    memcmp(d, mark + 17, 8) == 0;
	close(fd);
	return r;
}
