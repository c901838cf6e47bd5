/*
 * tail: following log files through rotation, truncation and restarts.
 *
 * A path (what the user asked to follow) owns a list of generations: the
 * live one (the inode now under the path) and older ones still open by
 * descriptor (renamed by a rotation, deleted, or found at start-up under a
 * rotated name, possibly .gz).  Each generation has a committed offset (in
 * the database), a read position (a line start, the offset the next commit
 * will write) and the bytes read beyond it (a partial line, or the part of
 * an over-long line already skipped).  Lines go to the caller's callback;
 * the callback may say "full" and the line is offered again later.
 *
 * Identity: (dev, ino) and the first bytes of the file (the head, up to
 * SOURCE_HEAD_MAX, compared as a prefix because it grows with the file).
 * At start-up every open generation row is looked for under the live name
 * and the rotated siblings (mail.log.1, mail.log.2.gz, mail.log-2026...),
 * first by (dev, ino) and head, then by head alone, then inside .gz files.
 *
 * inotify only wakes us: tail_reconcile (every second, and on directory
 * events or a queue overflow) stats the paths and descriptors and decides
 * rotations, truncations and closes.
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
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <zlib.h>

#include "hook.h"
#include "log.h"
#include "parse.h"
#include "source.h"
#include "tail.h"

#define TAIL_READSZ	(256 * 1024)
#define TAIL_DIRMASK	(IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | \
			 IN_DELETE | IN_ATTRIB)

/* The states are the source table's (source.h), one to one. */
enum gen_state {
	GEN_ACTIVE = SOURCE_ACTIVE,	/* the inode under the path */
	GEN_ROTATED = SOURCE_ROTATED,	/* renamed or deleted: drain, close */
	GEN_CLOSED = SOURCE_CLOSED,	/* drained and quiet: free after
					 * commit */
	GEN_LOST = SOURCE_LOST		/* content gone (truncated): free
					 * after commit */
};

struct tail_path;

struct tail_gen {
	struct tail_gen		*next;
	struct tail_path	*tp;
	int64_t			 id;		/* source row */
	int			 inserted;	/* the row is committed */
	int64_t			 first_seen;
	int			 fd;
	gzFile			 gz;		/* instead of fd for .gz */
	int			 wd;
	char			*name;		/* opened under this name */
	int64_t			 dev;
	int64_t			 ino;
	unsigned char		 head[SOURCE_HEAD_MAX];
	size_t			 headlen;
	size_t			 headlen_c;	/* as committed */
	int64_t			 committed;
	int64_t			 pos;		/* next line start */
	int64_t			 rdoff;		/* bytes read */
	int64_t			 lines;		/* deltas since commit */
	int64_t			 unrec;
	int64_t			 longl;
	int64_t			 lost_c;	/* lost as committed */
	int64_t			 lost_end;	/* content end when lost */
	enum gen_state		 state;
	enum gen_state		 state_c;
	int64_t			 size_seen;
	time_t			 grown;		/* last time it grew */
	int			 eof;
	int64_t			 start_off;	/* for progress */
	int64_t			 start_size;
	char			*buf;
	size_t			 boff;
	size_t			 bend;
	int			 skipping;
	int			 long_pending;
	int64_t			 long_end;
	size_t			 long_len;
	enum mta		 mta;
	int64_t			 ref_time;
	int64_t			 last_time;
	int			 readerr;
};

struct tail_path {
	char			*path;
	char			*dir;
	char			*base;
	enum mta		 fmt;
	struct tail_gen		*gens;
	struct tail_gen		*live;
	int			 dirwd;
	int			 openerr;
	time_t			 checked;	/* previous reconcile */
};

struct tail {
	struct event_base	*base;
	struct tail_sources	 src;
	struct tail_opts	 o;
	tail_line_cb		 cb;
	tail_wake_cb		 wake;
	void			*arg;
	struct tail_path	*paths;
	size_t			 npaths;
	size_t			 bufsz;
	int			 ifd;
	struct event		*iev;
	struct event		*timer;
	struct source_delta	*deltas;
	struct source_row	*drows;
	struct tail_gen		**dgens;
	size_t			 ndeltas;
	size_t			 dcap;
};

/* A candidate file seen at start-up: live path or rotated sibling. */
struct tail_cand {
	char			*name;
	int			 fd;
	int			 isgz;
	int			 live;
	int			 claimed;
	int64_t			 dev;
	int64_t			 ino;
	int64_t			 size;
	int64_t			 mtime;
	unsigned char		 head[SOURCE_HEAD_MAX];
	size_t			 headlen;
};

static void	gen_free(struct tail *, struct tail_gen *);

/* Does name end in suffix? */
static int
tail_endswith(const char *name, const char *suffix)
{
	size_t	n = strlen(name), k = strlen(suffix);

	return n >= k && strcmp(name + n - k, suffix) == 0;
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
	return t;
}

/* Add a path to follow (before tail_start). */
int
tail_add(struct tail *t, const char *path, enum mta fmt, const char **cause)
{
	struct tail_path	*np, *tp;
	char			*d = NULL, *b = NULL;
	size_t			 i;

	for (i = 0; i < t->npaths; i++) {
		if (strcmp(t->paths[i].path, path) == 0) {
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
	tp = &t->paths[t->npaths];
	memset(tp, 0, sizeof(*tp));
	if ((tp->path = strdup(path)) == NULL || (d = strdup(path)) == NULL ||
	    (b = strdup(path)) == NULL ||
	    (tp->dir = strdup(dirname(d))) == NULL ||
	    (tp->base = strdup(basename(b))) == NULL) {
		free(tp->path);
		free(tp->dir);
		free(d);
		free(b);
		*cause = "out of memory";
		return -1;
	}
	free(d);
	free(b);
	tp->fmt = fmt;
	tp->dirwd = -1;
	t->npaths++;
	return 0;
}

/* Release everything; NULL is fine. */
void
tail_free(struct tail *t)
{
	size_t	i;

	if (t == NULL)
		return;
	for (i = 0; i < t->npaths; i++) {
		while (t->paths[i].gens != NULL)
			gen_free(t, t->paths[i].gens);
		free(t->paths[i].path);
		free(t->paths[i].dir);
		free(t->paths[i].base);
	}
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

/* Close a generation's file and unlink it from its path. */
static void
gen_free(struct tail *t, struct tail_gen *g)
{
	struct tail_gen	**pp, *o;
	int		  shared = 0;

	for (pp = &g->tp->gens; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == g) {
			*pp = g->next;
			break;
		}
	}
	if (g->tp->live == g)
		g->tp->live = NULL;
	if (g->wd != -1 && t->ifd != -1) {
		for (o = g->tp->gens; o != NULL; o = o->next)
			shared |= o->wd == g->wd;
		if (!shared)
			inotify_rm_watch(t->ifd, g->wd);
	}
	if (g->gz != NULL)
		gzclose(g->gz);
	if (g->fd != -1)
		close(g->fd);
	free(g->buf);
	free(g->name);
	free(g);
}

/* Move the read position to off (a line start), dropping the buffer. */
static void
gen_seek(struct tail_gen *g, int64_t off)
{
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
}

/* Read up to n bytes of a file's head; for .gz the decompressed head. */
static size_t
tail_readhead(int fd, int isgz, unsigned char *head, size_t n)
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

/* Start following an open file: fd is taken over (for .gz, wrapped). */
static struct tail_gen *
gen_new(struct tail *t, struct tail_path *tp, int fd, int isgz,
    const char *name, const struct stat *st, int64_t offset,
    enum gen_state state, int64_t ref_time, const struct source_row *row)
{
	struct tail_gen	*g, **pp;

	if ((g = calloc(1, sizeof(*g))) == NULL ||
	    (g->name = strdup(name)) == NULL) {
		free(g);
		close(fd);
		log_warnx("tail %s: out of memory", tp->path);
		return NULL;
	}
	g->tp = tp;
	g->fd = fd;
	g->wd = -1;
	g->dev = (int64_t)st->st_dev;
	g->ino = (int64_t)st->st_ino;
	g->mta = tp->fmt;
	g->ref_time = ref_time;
	g->state = g->state_c = state;
	g->grown = time(NULL);
	g->size_seen = isgz ? 0 : (int64_t)st->st_size;
	g->headlen = tail_readhead(fd, isgz, g->head, SOURCE_HEAD_MAX);
	if (isgz) {
		if ((g->gz = gzdopen(fd, "rb")) == NULL) {
			close(fd);
			free(g->name);
			free(g);
			return NULL;
		}
		gzbuffer(g->gz, 128 * 1024);
		g->fd = -1;
	}
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
	} else {
		g->id = t->src.next_id(t->src.arg);
		g->first_seen = (int64_t)time(NULL);
		g->committed = offset;
		log_debug("tail %s: generation %lld is %s (dev %lld ino %lld) "
		    "from offset %lld", tp->path, (long long)g->id, name,
		    (long long)g->dev, (long long)g->ino, (long long)offset);
	}
	gen_seek(g, offset);
	g->start_off = offset;
	g->start_size = g->size_seen;
	if (t->ifd != -1 && !isgz)
		g->wd = inotify_add_watch(t->ifd, name, IN_MODIFY);
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

	/* A run of NULs before a line is a hole left by copytruncate and a
	 * writer without O_APPEND, not part of the line. */
	while (buf != NULL && len > 0 && *buf == '\0') {
		buf++;
		len--;
	}
	l.file_id = g->id;
	l.path = g->tp->path;
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

/* Read and deliver whole lines; returns a tail_status. */
static enum tail_status
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

/* Read every open generation; stops at the first "full". */
enum tail_status
tail_read(struct tail *t, size_t budget)
{
	struct tail_gen		*g;
	enum tail_status	 r, all = TAIL_IDLE;
	size_t			 i;

	for (i = 0; i < t->npaths; i++) {
		for (g = t->paths[i].gens; g != NULL; g = g->next) {
			if (g->state == GEN_CLOSED || g->state == GEN_LOST ||
			    (g->fd == -1 && g->gz == NULL))
				continue;
			r = gen_read(t, g, budget);
			if (r == TAIL_FULL)
				return TAIL_FULL;
			if (r == TAIL_MORE)
				all = TAIL_MORE;
		}
	}
	return all;
}

/* List the rotated siblings of a path (name.*, name-*, name_*) as open
 * candidates; the caller frees them with tail_cands_free. */
static size_t
tail_siblings(struct tail_path *tp, struct tail_cand **out)
{
	static const char *const skip[] = { ".lock", "-wal", "-shm", ".db",
	    ".tmp" };
	struct tail_cand	*c = NULL, *nc;
	struct dirent		*de;
	struct stat		 st;
	DIR			*d;
	size_t			 n = 0, blen = strlen(tp->base), i;
	char			 full[4096];
	int			 fd, bad;

	*out = NULL;
	if ((d = opendir(tp->dir)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, tp->base, blen) != 0 ||
		    strchr(".-_", de->d_name[blen]) == NULL ||
		    de->d_name[blen] == '\0' || de->d_name[blen + 1] == '\0')
			continue;
		for (bad = 0, i = 0; i < sizeof(skip) / sizeof(*skip); i++)
			bad |= tail_endswith(de->d_name, skip[i]);
		if (bad)
			continue;
		if ((size_t)snprintf(full, sizeof(full), "%s/%s", tp->dir,
		    de->d_name) >= sizeof(full))
			continue;
		if ((fd = open(full, O_RDONLY | O_CLOEXEC)) == -1)
			continue;
		if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
		    (nc = reallocarray(c, n + 1, sizeof(*c))) == NULL) {
			close(fd);
			continue;
		}
		c = nc;
		memset(&c[n], 0, sizeof(c[n]));
		if ((c[n].name = strdup(full)) == NULL) {
			close(fd);
			continue;
		}
		c[n].fd = fd;
		c[n].isgz = tail_endswith(full, ".gz");
		c[n].dev = (int64_t)st.st_dev;
		c[n].ino = (int64_t)st.st_ino;
		c[n].size = (int64_t)st.st_size;
		c[n].mtime = (int64_t)st.st_mtime;
		c[n].headlen = tail_readhead(fd, c[n].isgz, c[n].head,
		    SOURCE_HEAD_MAX);
		n++;
	}
	closedir(d);
	*out = c;
	return n;
}

/* Close the candidates nobody took. */
static void
tail_cands_free(struct tail_cand *c, size_t n)
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
tail_headmatch(const unsigned char *h, size_t hl, const unsigned char *c,
    size_t cl)
{
	return hl > 0 && cl >= hl && memcmp(h, c, hl) == 0;
}

/* Is one head a prefix of the other?  For "have we seen this file": a
 * .gz still being written has a shorter head than the generation in it. */
static int
tail_headsame(const unsigned char *a, size_t al, const unsigned char *b,
    size_t bl)
{
	size_t	m = al < bl ? al : bl;

	return m > 0 && memcmp(a, b, m) == 0;
}

/* Is candidate i a .gz whose uncompressed original is still there (gzip
 * at work)?  Then the original is the file to read. */
static int
tail_cand_twin(const struct tail_cand *c, size_t n, size_t i)
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
tail_lastline(int fd, int64_t size)
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

/* Open the file now under the path as the live generation. */
static void
path_open_live(struct tail *t, struct tail_path *tp, int from_end)
{
	struct tail_gen	*g;
	struct stat	 st;
	int64_t		 off = 0;
	int		 fd;

	if ((fd = open(tp->path, O_RDONLY | O_CLOEXEC)) == -1) {
		if (errno != tp->openerr && errno != ENOENT)
			log_warn("tail %s: open", tp->path);
		tp->openerr = errno;
		return;
	}
	if (tp->openerr != 0)
		log_info("tail %s: opened", tp->path);
	tp->openerr = 0;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		close(fd);
		return;
	}
	/* The same inode we already hold (renamed back): live again. */
	for (g = tp->gens; g != NULL; g = g->next) {
		if (g->fd != -1 && g->dev == (int64_t)st.st_dev &&
		    g->ino == (int64_t)st.st_ino &&
		    (g->state == GEN_ROTATED || g->state == GEN_ACTIVE)) {
			close(fd);
			g->state = GEN_ACTIVE;
			tp->live = g;
			return;
		}
	}
	if (from_end)
		off = tail_lastline(fd, (int64_t)st.st_size);
	tp->live = gen_new(t, tp, fd, 0, tp->path, &st, off, GEN_ACTIVE, 0,
	    NULL);
}

/* Look for a copy of g (copytruncate) among the siblings: same head, at
 * least as long as what was committed; returns an open fd or -1. */
static int
path_find_copy(struct tail_path *tp, struct tail_gen *g, struct stat *st)
{
	struct tail_cand	*c;
	size_t			 n, i;
	int			 fd = -1;

	n = tail_siblings(tp, &c);
	for (i = 0; i < n && fd == -1; i++) {
		if (c[i].isgz || (c[i].dev == g->dev && c[i].ino == g->ino) ||
		    c[i].size < g->pos ||
		    !tail_headmatch(g->head, g->headlen, c[i].head,
		    c[i].headlen))
			continue;
		if (fstat(c[i].fd, st) == -1)
			continue;
		fd = c[i].fd;
		c[i].fd = -1;
		log_info("tail %s: continuing from the copy %s", tp->path,
		    c[i].name);
	}
	tail_cands_free(c, n);
	return fd;
}

/* The live file got shorter or its head changed: copytruncate. */
static void
path_truncated(struct tail *t, struct tail_path *tp, struct tail_gen *g,
    int64_t size)
{
	struct stat	st;
	int		fd;

	log_warnx("tail %s: truncated (%lld bytes, had read %lld)", tp->path,
	    (long long)size, (long long)g->rdoff);
	tp->live = NULL;
	if ((fd = path_find_copy(tp, g, &st)) != -1) {
		close(g->fd);
		g->fd = fd;
		g->dev = (int64_t)st.st_dev;
		g->ino = (int64_t)st.st_ino;
		g->size_seen = (int64_t)st.st_size;
		g->grown = time(NULL);
		g->state = GEN_ROTATED;
		gen_seek(g, g->pos);
	} else {
		g->lost_end = g->size_seen > g->rdoff ? g->size_seen : g->rdoff;
		log_warnx("tail %s: %lld bytes lost to the truncation",
		    tp->path, (long long)(g->lost_end - g->pos));
		g->state = GEN_LOST;
		close(g->fd);
		g->fd = -1;
		free(g->buf);
		g->buf = NULL;
		g->boff = g->bend = 0;
	}
	path_open_live(t, tp, 0);
}

/* Has the live file been truncated, or rewritten with another head? */
static void
path_check_live(struct tail *t, struct tail_path *tp, struct tail_gen *g,
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
		path_truncated(t, tp, g, (int64_t)st.st_size);
		return;
	}
	if (g->headlen > 0) {
		r = pread(g->fd, head, g->headlen, 0);
		if (r == (ssize_t)g->headlen &&
		    memcmp(head, g->head, g->headlen) != 0) {
			path_truncated(t, tp, g, (int64_t)st.st_size);
			return;
		}
	}
	if ((int64_t)st.st_size > g->size_seen) {
		g->size_seen = (int64_t)st.st_size;
		g->grown = now;
	}
}

/* A rotated generation: note growth, close when drained and quiet. */
static void
gen_check_rotated(struct tail *t, struct tail_gen *g, time_t now)
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
	g->state = GEN_CLOSED;
	log_info("tail %s: closing %s at %lld (drained)", g->tp->path,
	    g->name, (long long)g->pos);
}

/* After a rotation: siblings we have never seen that were written since
 * the previous reconcile are generations that rotated past us (two
 * rotations between two looks, or while we were stopped): read them. */
static void
path_scan_new(struct tail *t, struct tail_path *tp, time_t since)
{
	struct tail_cand	*c;
	struct source_row	*rows = NULL;
	struct tail_gen		*g;
	struct stat		 st;
	const char		*cause;
	size_t			 n, nrows = 0, i, j;
	int			 known;

	if (t->src.rows(t->src.arg, tp->path, &rows, &nrows, &cause) == -1) {
		log_warnx("tail %s: %s", tp->path, cause);
		return;
	}
	n = tail_siblings(tp, &c);
	for (i = 0; i < n; i++) {
		if (c[i].headlen == 0 || c[i].mtime < (int64_t)since - 1)
			continue;
		known = tail_cand_twin(c, n, i);
		for (g = tp->gens; g != NULL && !known; g = g->next)
			known = (!c[i].isgz && g->dev == c[i].dev &&
			    g->ino == c[i].ino) || tail_headsame(g->head,
			    g->headlen, c[i].head, c[i].headlen);
		for (j = 0; j < nrows && !known; j++)
			known = tail_headsame(rows[j].head, rows[j].headlen,
			    c[i].head, c[i].headlen);
		if (known || fstat(c[i].fd, &st) == -1)
			continue;
		log_info("tail %s: reading %s, rotated past us", tp->path,
		    c[i].name);
		(void)gen_new(t, tp, c[i].fd, c[i].isgz, c[i].name, &st, 0,
		    GEN_ROTATED, c[i].mtime, NULL);
		c[i].fd = -1;
	}
	tail_cands_free(c, n);
	t->src.rows_free(t->src.arg, rows, nrows);
}

/* Compare each path and descriptor with the filesystem: rotations,
 * truncations, new files, drained generations.  Every wake-up ends here. */
void
tail_reconcile(struct tail *t)
{
	struct tail_path	*tp;
	struct tail_gen		*g, *next;
	struct stat		 st;
	time_t			 now = time(NULL);
	size_t			 i;
	int			 exists;

	for (i = 0; i < t->npaths; i++) {
		tp = &t->paths[i];
		if (t->ifd != -1 && tp->dirwd == -1)
			tp->dirwd = inotify_add_watch(t->ifd, tp->dir,
			    TAIL_DIRMASK);
		exists = stat(tp->path, &st) == 0 && S_ISREG(st.st_mode);
		if ((g = tp->live) != NULL) {
			if (!exists || (int64_t)st.st_dev != g->dev ||
			    (int64_t)st.st_ino != g->ino) {
				log_info("tail %s: %s", tp->path, exists ?
				    "rotated" : "gone");
				g->state = GEN_ROTATED;
				g->grown = now;
				tp->live = NULL;
				HOOK("mid_rotation");
				path_scan_new(t, tp, tp->checked);
			} else
				path_check_live(t, tp, g, now);
		}
		if (tp->live == NULL && exists)
			path_open_live(t, tp, 0);
		for (g = tp->gens; g != NULL; g = next) {
			next = g->next;
			if (g->state == GEN_ROTATED &&
			    (g->fd != -1 || g->gz != NULL))
				gen_check_rotated(t, g, now);
		}
		tp->checked = now;
	}
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
				if (ie->wd == t->paths[i].dirwd)
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

/* A generation known only by its row, no file open: a rotated file we
 * chose not to read, or a stored generation whose file is gone.  Its row
 * goes with the next commit, then it is freed. */
static struct tail_gen *
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
	if (row->id != 0) {
		g->id = row->id;
		g->inserted = 1;
		g->first_seen = row->first_seen;
		g->lost_c = row->lost;
		g->headlen_c = row->headlen;
		g->last_time = row->last_time;
	} else {
		g->id = t->src.next_id(t->src.arg);
		g->first_seen = (int64_t)time(NULL);
	}
	for (pp = &tp->gens; *pp != NULL; pp = &(*pp)->next)
		;
	*pp = g;
	return g;
}

/* Record a rotated file we chose not to read (first start without
 * --backfill) as a closed generation, so that later starts and rotations
 * know its head and never take it for a generation that rotated past us. */
static void
path_skip(struct tail *t, struct tail_path *tp, const struct tail_cand *c)
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
static void
path_first(struct tail *t, struct tail_path *tp)
{
	struct tail_cand	*c;
	struct stat		 st;
	size_t			 n, i, j, best;

	if (!t->o.backfill) {
		n = tail_siblings(tp, &c);
		for (i = 0; i < n; i++)
			if (!tail_cand_twin(c, n, i))
				path_skip(t, tp, &c[i]);
		tail_cands_free(c, n);
	} else {
		n = tail_siblings(tp, &c);
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
			if (tail_cand_twin(c, n, i) ||
			    fstat(c[i].fd, &st) == -1)
				continue;
			log_info("tail %s: backfilling %s", tp->path,
			    c[i].name);
			(void)gen_new(t, tp, c[i].fd, c[i].isgz, c[i].name, &st,
			    0, GEN_ROTATED, c[i].mtime, NULL);
			c[i].fd = -1;
		}
		tail_cands_free(c, n);
	}
	path_open_live(t, tp, t->o.from_end);
}

/* Pick the candidate holding a stored generation, or NULL. */
static struct tail_cand *
path_match(const struct source_row *r, struct tail_cand *c, size_t n)
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
			    tail_cand_twin(c, n, i)))
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
			if (tail_headmatch(r->head, r->headlen, c[i].head,
			    c[i].headlen))
				return &c[i];
		}
	}
	return NULL;
}

/* Restart: find each open generation again and resume it at its
 * committed offset; pick up files that appeared while we were down. */
static void
path_resume(struct tail *t, struct tail_path *tp, struct source_row *rows,
    size_t nrows)
{
	struct tail_cand	*c, *nc, *m;
	struct tail_gen		*g;
	struct stat		 st;
	size_t			 n, i, j;
	int64_t			 last = 0, off;
	int			 fd, known;

	n = tail_siblings(tp, &c);
	if ((fd = open(tp->path, O_RDONLY | O_CLOEXEC)) != -1) {
		if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
		    (nc = reallocarray(c, n + 1, sizeof(*c))) == NULL)
			close(fd);
		else {
			c = nc;
			memset(&c[n], 0, sizeof(c[n]));
			c[n].name = strdup(tp->path);
			c[n].fd = fd;
			c[n].live = 1;
			c[n].dev = (int64_t)st.st_dev;
			c[n].ino = (int64_t)st.st_ino;
			c[n].size = (int64_t)st.st_size;
			c[n].mtime = (int64_t)st.st_mtime;
			c[n].headlen = tail_readhead(fd, 0, c[n].head,
			    SOURCE_HEAD_MAX);
			/* The live file first, so pass 0 prefers it. */
			if (n > 0) {
				struct tail_cand tmp = c[0];
				c[0] = c[n];
				c[n] = tmp;
			}
			n++;
		}
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
		if ((m = path_match(&rows[i], c, n)) == NULL) {
			log_warnx("tail %s: generation %lld (offset %lld) is "
			    "gone, marking it lost", tp->path,
			    (long long)rows[i].id, (long long)rows[i].offset);
			if ((g = gen_stub(t, tp, rows[i].name != NULL ?
			    rows[i].name : tp->path, &rows[i])) != NULL)
				g->state = GEN_LOST;
			continue;
		}
		m->claimed = 1;
		off = rows[i].offset;
		if (!m->isgz && m->size < off) {
			log_warnx("tail %s: %s is shorter (%lld) than its "
			    "committed offset (%lld), resuming at its end",
			    tp->path, m->name, (long long)m->size,
			    (long long)off);
			off = m->size;
		}
		st.st_dev = (dev_t)m->dev;
		st.st_ino = (ino_t)m->ino;
		st.st_size = (off_t)(m->isgz ? 0 : m->size);
		g = gen_new(t, tp, m->fd, m->isgz, m->name, &st, off,
		    m->live ? GEN_ACTIVE : GEN_ROTATED, m->live ? 0 : m->mtime,
		    &rows[i]);
		m->fd = -1;
		if (g != NULL && m->live)
			tp->live = g;
		if (g != NULL)
			log_info("tail %s: resuming %s at %lld", tp->path,
			    m->name, (long long)off);
	}
	for (i = 0; i < n; i++) {
		if (c[i].claimed)
			continue;
		for (known = tail_cand_twin(c, n, i), j = 0; j < nrows &&
		    !known; j++)
			known = tail_headsame(rows[j].head, rows[j].headlen,
			    c[i].head, c[i].headlen);
		if (c[i].live) {
			if (fstat(c[i].fd, &st) == -1)
				continue;
			tp->live = gen_new(t, tp, c[i].fd, 0, c[i].name, &st,
			    0, GEN_ACTIVE, 0, NULL);
			c[i].fd = -1;
			continue;
		}
		if (known || (c[i].mtime < last && !t->o.backfill))
			continue;
		if (fstat(c[i].fd, &st) == -1)
			continue;
		log_info("tail %s: reading %s, new since the last run",
		    tp->path, c[i].name);
		(void)gen_new(t, tp, c[i].fd, c[i].isgz, c[i].name, &st, 0,
		    GEN_ROTATED, c[i].mtime, NULL);
		c[i].fd = -1;
	}
	tail_cands_free(c, n);
}

/* Open everything: resume known generations, set up inotify and the
 * reconcile timer (not in oneshot mode). */
int
tail_start(struct tail *t, const char **cause)
{
	struct source_row	*rows;
	struct timeval		 tv = { 1, 0 };
	size_t			 i, n;

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
	for (i = 0; i < t->npaths; i++) {
		if (t->src.rows(t->src.arg, t->paths[i].path, &rows, &n,
		    cause) == -1)
			return -1;
		if (n == 0)
			path_first(t, &t->paths[i]);
		else
			path_resume(t, &t->paths[i], rows, n);
		t->src.rows_free(t->src.arg, rows, n);
	}
	tail_reconcile(t);
	return 0;
}

/* The loss a generation's row should hold now (bytes). */
static int64_t
gen_lost(const struct tail_gen *g)
{
	if ((g->state == GEN_LOST || g->state == GEN_CLOSED) &&
	    g->lost_end > g->pos)
		return g->lost_c + (g->lost_end - g->pos);
	return g->lost_c;
}

/* Has a generation anything to commit? */
static int
gen_dirty(const struct tail_gen *g)
{
	return !g->inserted || (g->pos != g->committed || g->lines != 0 ||
	    g->state != g->state_c || g->headlen != g->headlen_c ||
	    gen_lost(g) != g->lost_c);
}

/* Is there anything to commit at all? */
int
tail_pending(const struct tail *t)
{
	const struct tail_gen	*g;
	size_t			 i;

	for (i = 0; i < t->npaths; i++)
		for (g = t->paths[i].gens; g != NULL; g = g->next)
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
		for (g = t->paths[i].gens; g != NULL; g = g->next) {
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
			r->lost = gen_lost(g);
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
		for (g = t->paths[i].gens; g != NULL; g = g->next) {
			g->lines = g->unrec = g->longl = 0;
			if (g->state == GEN_CLOSED && (g->fd != -1 ||
			    g->gz != NULL))
				g->state = GEN_ROTATED;
			if (g->fd != -1 || g->gz != NULL)
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
		for (g = t->paths[i].gens; g != NULL; g = g->next) {
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
		for (g = t->paths[i].gens; g != NULL; g = g->next)
			n++;
	return n;
}
