/*
 * check_tail: following real files in a temporary directory: partial
 * lines, over-long lines, rename rotation with late writes, copytruncate
 * (with and without a copy), a file rewritten in place while we were down
 * (same inode, other head), resuming inside a rotated .gz, --from-end and
 * a real inotify wake-up.
 *
 * The harness plays the daemon: it records every line the callback gets
 * and commits the source rows into a table kept here the way the store
 * keeps it (a row inserted by the commit that first carries it, then a
 * compare-and-set on its offset; all or nothing), so no database is
 * needed: tail never talks to one.  Expected lines are the ones the test
 * wrote.
 */
#include <sys/stat.h>

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <event2/event.h>
#include <zlib.h>

#include "parse.h"
#include "source.h"
#include "tail.h"

static char	dir[64];
static char	logpath[128];

/* The committed source table. */
static struct {
	struct source_row	*rows;
	size_t			 n;
	int64_t			 lastid;
	int			 commits;
} db;

/* What the callback saw. */
static struct {
	char	**lines;
	void	**caches;	/* the parse cache each line came with */
	size_t	  n;
	size_t	  nlong;
	size_t	  longlen;
	long	  full_after;	/* say "full" after this many, -1 = never */
	int	  woken;
} seen;

/* A copy of a row with its own strings. */
static void
row_copy(struct source_row *to, const struct source_row *from)
{
	*to = *from;
	to->path = strdup(from->path);
	to->name = from->name != NULL ? strdup(from->name) : NULL;
	to->cursor = NULL;
}

static void
rows_free(void *arg, struct source_row *rows, size_t n)
{
	size_t	i;

	(void)arg;
	for (i = 0; i < n; i++) {
		free(rows[i].path);
		free(rows[i].name);
	}
	free(rows);
}

/* tail_sources: the rows of one path, oldest first. */
static int
src_rows(void *arg, const char *path, struct source_row **out, size_t *np,
    const char **cause)
{
	size_t	i, n = 0;

	(void)arg;
	(void)cause;
	ck_assert_ptr_nonnull(*out = calloc(db.n + 1, sizeof(**out)));
	for (i = 0; i < db.n; i++)
		if (strcmp(db.rows[i].path, path) == 0)
			row_copy(&(*out)[n++], &db.rows[i]);
	*np = n;
	return 0;
}

static int64_t
src_id(void *arg)
{
	(void)arg;
	return ++db.lastid;
}

static const struct tail_sources src = { src_rows, rows_free, src_id, NULL };

static struct source_row *
db_find(int64_t id)
{
	size_t	i;

	for (i = 0; i < db.n; i++)
		if (db.rows[i].id == id)
			return &db.rows[i];
	return NULL;
}

/* A commit: every delta checked first, then all applied; -1 if stale. */
static int
db_commit(const struct source_delta *d, size_t n)
{
	struct source_row	*r;
	int64_t			 lines, unrec, longl;
	size_t			 i;

	for (i = 0; i < n; i++) {
		r = db_find(d[i].row->id);
		if (d[i].insert ? r != NULL : r == NULL ||
		    r->offset != d[i].old_offset)
			return -1;
	}
	for (i = 0; i < n; i++) {
		if (d[i].insert) {
			ck_assert_ptr_nonnull(db.rows = reallocarray(db.rows,
			    db.n + 1, sizeof(*db.rows)));
			r = &db.rows[db.n++];
			row_copy(r, d[i].row);
			r->lines = r->unrecognised = r->long_lines = 0;
		} else {
			ck_assert_ptr_nonnull(r = db_find(d[i].row->id));
			lines = r->lines;
			unrec = r->unrecognised;
			longl = r->long_lines;
			free(r->path);
			free(r->name);
			row_copy(r, d[i].row);
			r->lines = lines;
			r->unrecognised = unrec;
			r->long_lines = longl;
		}
		r->lines += d[i].lines;
		r->unrecognised += d[i].unrecognised;
		r->long_lines += d[i].long_lines;
	}
	db.commits++;
	return 0;
}

/* The only row (the test has one generation). */
static const struct source_row *
db_one(void)
{
	ck_assert_uint_eq(db.n, 1);
	return &db.rows[0];
}

/* How many rows are in a state; -1 = any. */
static size_t
db_count(int state)
{
	size_t	i, k = 0;

	for (i = 0; i < db.n; i++)
		k += state == -1 || db.rows[i].state == (enum source_state)state;
	return k;
}

static int64_t
db_sum_lines(void)
{
	int64_t	v = 0;
	size_t	i;

	for (i = 0; i < db.n; i++)
		v += db.rows[i].lines;
	return v;
}

static int64_t
db_sum_lost(void)
{
	int64_t	v = 0;
	size_t	i;

	for (i = 0; i < db.n; i++)
		v += db.rows[i].lost;
	return v;
}

static int
cb_line(struct tail_line *l, void *arg)
{
	(void)arg;
	if (seen.full_after >= 0 && (long)(seen.n + seen.nlong) >=
	    seen.full_after)
		return TAIL_LINE_FULL;
	if (l->is_long) {
		seen.nlong++;
		seen.longlen = l->len;
		return TAIL_LINE_OK;
	}
	ck_assert_ptr_nonnull(l->cache);
	seen.lines = realloc(seen.lines, (seen.n + 1) * sizeof(char *));
	seen.caches = realloc(seen.caches, (seen.n + 1) * sizeof(void *));
	seen.lines[seen.n] = strndup(l->buf, l->len);
	seen.caches[seen.n] = l->cache;
	seen.n++;
	return TAIL_LINE_OK;
}

static void
cb_wake(void *arg)
{
	struct event_base *base = arg;

	seen.woken++;
	if (base != NULL)
		event_base_loopbreak(base);
}

static void
seen_reset(void)
{
	size_t	i;

	for (i = 0; i < seen.n; i++)
		free(seen.lines[i]);
	free(seen.lines);
	free(seen.caches);
	memset(&seen, 0, sizeof(seen));
	seen.full_after = -1;
}

/* Where the scratch directory goes: TMPDIR, unless it is unset or too
 * long for the fixed path buffers here (then /tmp). */
static const char *
scratch_tmp(void)
{
	const char	*tmp = getenv("TMPDIR");

	return tmp != NULL && *tmp != '\0' && strlen(tmp) <= 40 ? tmp :
	    "/tmp";
}

static void
setup(void)
{
	snprintf(dir, sizeof(dir), "%s/check_tail.XXXXXX", scratch_tmp());
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(logpath, sizeof(logpath), "%s/mail.log", dir);
	memset(&db, 0, sizeof(db));
	seen_reset();
}

static void
teardown(void)
{
	char	cmd[128];

	rows_free(NULL, db.rows, db.n);
	memset(&db, 0, sizeof(db));
	seen_reset();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	(void)system(cmd);
}

/* Append text to a file (created if needed). */
static void
put(const char *path, const char *text)
{
	int	fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0644);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

/* Append lines "<tag> <i>" for i in [from, to). */
static void
put_seq(const char *path, const char *tag, int from, int to)
{
	char	line[64];
	int	i;

	for (i = from; i < to; i++) {
		snprintf(line, sizeof(line), "%s %d\n", tag, i);
		put(path, line);
	}
}

static struct tail *
t_start(const struct tail_opts *o, struct event_base *base)
{
	struct tail	*t;
	const char	*cause;

	t = tail_new(base, &src, o, cb_line, cb_wake, base);
	ck_assert_ptr_nonnull(t);
	ck_assert_int_eq(tail_add(t, logpath, MTA_POSTFIX, &cause), 0);
	ck_assert_msg(tail_start(t, &cause) == 0, "%s", cause);
	return t;
}

/* Commit what was read (as the daemon does). */
static void
t_commit(struct tail *t)
{
	const struct source_delta	*d;
	size_t				 n;

	n = tail_deltas(t, &d);
	ck_assert_int_eq(db_commit(d, n), 0);
	tail_committed(t);
}

/* Read everything there is, then commit. */
static void
t_pump(struct tail *t)
{
	while (tail_read(t, 1 << 20) != TAIL_IDLE)
		;
	t_commit(t);
}

/* How many seen lines are exactly s. */
static size_t
seen_count(const char *s)
{
	size_t	i, k = 0;

	for (i = 0; i < seen.n; i++)
		k += strcmp(seen.lines[i], s) == 0;
	return k;
}

/* Every "<tag> i" for i in [from, to) seen exactly once. */
static void
seen_seq(const char *tag, int from, int to)
{
	char	line[64];
	int	i;

	for (i = from; i < to; i++) {
		snprintf(line, sizeof(line), "%s %d", tag, i);
		ck_assert_msg(seen_count(line) == 1, "%s seen %zu times", line,
		    seen_count(line));
	}
}

START_TEST(test_partial)
{
	struct tail	*t;

	put(logpath, "one\ntw");
	t = t_start(NULL, NULL);
	t_pump(t);
	ck_assert_uint_eq(seen.n, 1);
	ck_assert_int_eq(db_one()->offset, 4);
	put(logpath, "o\nthr");
	t_pump(t);
	ck_assert_uint_eq(seen.n, 2);
	ck_assert_str_eq(seen.lines[1], "two");
	ck_assert_int_eq(db_one()->offset, 8);
	tail_free(t);
	/* A restart resumes at the line start, then the line completes. */
	put(logpath, "ee\n");
	t = t_start(NULL, NULL);
	t_pump(t);
	ck_assert_uint_eq(seen.n, 3);
	ck_assert_str_eq(seen.lines[2], "three");
	ck_assert_int_eq(db_one()->lines, 3);
	tail_free(t);
}
END_TEST

/* Long-line sizes: just over the limit, a multiple of the read size,
 * and 10 MB (must be skipped without being held). */
static const size_t longs[] = { 257, 256 * 1024 * 3, 10 * 1000 * 1000 };

START_TEST(test_long)
{
	struct tail_opts	 o = { .maxline = 256 };
	struct tail		*t;
	char			*big;
	size_t			 len = longs[_i];
	int			 fd;

	big = malloc(len);
	memset(big, 'x', len);
	big[100] = '\0';	/* NUL bytes are just bytes */
	put(logpath, "before\n");
	fd = open(logpath, O_WRONLY | O_APPEND);
	ck_assert_int_eq(write(fd, big, len), (ssize_t)len);
	close(fd);
	free(big);
	put(logpath, "\nafter\n");
	t = t_start(&o, NULL);
	t_pump(t);
	ck_assert_uint_eq(seen.n, 2);
	ck_assert_str_eq(seen.lines[0], "before");
	ck_assert_str_eq(seen.lines[1], "after");
	ck_assert_uint_eq(seen.nlong, 1);
	ck_assert_uint_eq(seen.longlen, len);
	ck_assert_int_eq(db_one()->long_lines, 1);
	ck_assert_int_eq(db_one()->offset, (int64_t)(7 + len + 1 + 6));
	tail_free(t);
}
END_TEST

START_TEST(test_full_retry)
{
	struct tail	*t;

	/* "Full" mid-file: the line is offered again, never lost. */
	put_seq(logpath, "l", 0, 10);
	t = t_start(NULL, NULL);
	seen.full_after = 4;
	ck_assert_int_eq(tail_read(t, 1 << 20), TAIL_FULL);
	ck_assert_uint_eq(seen.n, 4);
	seen.full_after = -1;
	t_pump(t);
	seen_seq("l", 0, 10);
	ck_assert_uint_eq(seen.n, 10);
	tail_free(t);
}
END_TEST

START_TEST(test_rewind)
{
	struct tail	*t;

	put_seq(logpath, "r", 0, 5);
	t = t_start(NULL, NULL);
	t_pump(t);
	put_seq(logpath, "r", 5, 8);
	while (tail_read(t, 1 << 20) != TAIL_IDLE)
		;
	ck_assert_uint_eq(seen.n, 8);
	/* The commit failed: go back and read r 5..7 again. */
	tail_rewind(t);
	seen_reset();
	t_pump(t);
	ck_assert_uint_eq(seen.n, 3);
	seen_seq("r", 5, 8);
	tail_free(t);
}
END_TEST

START_TEST(test_rename)
{
	struct tail	*t;
	char		 old[160];

	snprintf(old, sizeof(old), "%s.1", logpath);
	put_seq(logpath, "a", 0, 100);
	t = t_start(NULL, NULL);
	t_pump(t);
	put_seq(logpath, "a", 100, 120);	/* not read before the move */
	ck_assert_int_eq(rename(logpath, old), 0);
	put_seq(old, "a", 120, 130);		/* the writer has not reopened */
	put_seq(logpath, "b", 0, 50);		/* the new file */
	tail_reconcile(t);
	t_pump(t);
	put_seq(old, "a", 130, 131);		/* later still */
	put_seq(logpath, "b", 50, 60);
	tail_reconcile(t);
	t_pump(t);
	seen_seq("a", 0, 131);
	seen_seq("b", 0, 60);
	ck_assert_uint_eq(seen.n, 191);
	/* Each generation parses with a stamp cache of its own. */
	ck_assert_str_eq(seen.lines[0], "a 0");
	ck_assert_str_eq(seen.lines[190], "b 59");
	ck_assert_ptr_ne(seen.caches[0], seen.caches[190]);
	ck_assert_uint_eq(db_count(-1), 2);
	ck_assert_int_eq(db_sum_lines(), 191);
	tail_free(t);

	/* Restart: both generations are found again, nothing re-read. */
	seen_reset();
	put_seq(old, "a", 131, 132);
	t = t_start(NULL, NULL);
	t_pump(t);
	ck_assert_uint_eq(seen.n, 1);
	seen_seq("a", 131, 132);
	tail_free(t);
}
END_TEST

START_TEST(test_copytruncate)
{
	struct tail	*t;
	char		 copy[160], cmd[1024];

	snprintf(copy, sizeof(copy), "%s.1", logpath);
	put_seq(logpath, "c", 0, 50);
	t = t_start(NULL, NULL);
	t_pump(t);
	put_seq(logpath, "c", 50, 60);		/* unread at the copy */
	snprintf(cmd, sizeof(cmd), "cp '%s' '%s' && : > '%s'", logpath, copy,
	    logpath);
	ck_assert_int_eq(system(cmd), 0);
	put_seq(logpath, "d", 0, 5);
	tail_reconcile(t);
	t_pump(t);
	seen_seq("c", 0, 60);			/* the rest came from the copy */
	seen_seq("d", 0, 5);
	ck_assert_uint_eq(seen.n, 65);
	ck_assert_int_eq(db_sum_lost(), 0);
	tail_free(t);
}
END_TEST

START_TEST(test_truncate_refill)
{
	struct tail	*t;
	int64_t		 lost;

	/* No copy: truncated and refilled past the old offset before the
	 * next reconcile.  Only the head tells. */
	put_seq(logpath, "e", 0, 10);
	t = t_start(NULL, NULL);
	t_pump(t);
	put_seq(logpath, "e", 10, 12);		/* seen, never read: lost */
	tail_reconcile(t);
	ck_assert_int_eq(truncate(logpath, 0), 0);
	put_seq(logpath, "refilled", 0, 20);
	tail_reconcile(t);
	t_pump(t);
	seen_seq("e", 0, 10);
	seen_seq("refilled", 0, 20);
	ck_assert_uint_eq(seen.n, 30);
	lost = (int64_t)strlen("e 10\ne 11\n");
	ck_assert_uint_eq(db_count(SOURCE_LOST), 1);
	ck_assert_int_eq(db_sum_lost(), lost);
	tail_free(t);
}
END_TEST

/* Rewritten while we were down: same inode, other head; shorter and
 * longer than the old offset. */
static const int reuse_lines[] = { 3, 40 };

START_TEST(test_inode_reuse)
{
	struct tail	*t;
	struct stat	 a, b;

	put_seq(logpath, "old", 0, 20);
	ck_assert_int_eq(stat(logpath, &a), 0);
	t = t_start(NULL, NULL);
	t_pump(t);
	tail_free(t);
	ck_assert_int_eq(truncate(logpath, 0), 0);
	put_seq(logpath, "new", 0, reuse_lines[_i]);
	ck_assert_int_eq(stat(logpath, &b), 0);
	ck_assert_int_eq(a.st_ino, b.st_ino);
	seen_reset();
	t = t_start(NULL, NULL);
	t_pump(t);
	seen_seq("new", 0, reuse_lines[_i]);
	ck_assert_uint_eq(seen.n, (size_t)reuse_lines[_i]);
	ck_assert_uint_eq(db_count(SOURCE_LOST), 1);
	tail_free(t);
}
END_TEST

START_TEST(test_gz_resume)
{
	struct tail	*t;
	char		 cmd[1024];

	put_seq(logpath, "g", 0, 100);
	t = t_start(NULL, NULL);
	seen.full_after = 30;
	while (tail_read(t, 1 << 20) == TAIL_MORE)
		;
	seen.full_after = -1;
	t_commit(t);
	tail_free(t);
	ck_assert_uint_eq(seen.n, 30);
	/* Down: rotated twice, the older one compressed. */
	snprintf(cmd, sizeof(cmd), "cd '%s' && mv mail.log mail.log.1 && "
	    "gzip -9 mail.log.1 && mv mail.log.1.gz mail.log.2.gz", dir);
	ck_assert_int_eq(system(cmd), 0);
	put_seq(logpath, "h", 0, 10);
	snprintf(cmd, sizeof(cmd), "cd '%s' && mv mail.log mail.log.1", dir);
	ck_assert_int_eq(system(cmd), 0);
	put_seq(logpath, "i", 0, 5);
	t = t_start(NULL, NULL);
	t_pump(t);
	seen_seq("g", 0, 100);
	seen_seq("h", 0, 10);
	seen_seq("i", 0, 5);
	ck_assert_uint_eq(seen.n, 115);
	tail_free(t);
}
END_TEST

START_TEST(test_two_rotations)
{
	struct tail	*t;
	char		 cmd[1024];

	/* Two rotations between two looks (a stopped daemon, SIGSTOP): the
	 * middle generation was never seen under the live name. */
	put_seq(logpath, "p", 0, 20);
	t = t_start(NULL, NULL);
	t_pump(t);
	put_seq(logpath, "p", 20, 25);
	snprintf(cmd, sizeof(cmd), "cd '%s' && mv mail.log mail.log.1", dir);
	ck_assert_int_eq(system(cmd), 0);
	put_seq(logpath, "q", 0, 30);
	snprintf(cmd, sizeof(cmd), "cd '%s' && gzip mail.log.1 && "
	    "mv mail.log.1.gz mail.log.2.gz && mv mail.log mail.log.1", dir);
	ck_assert_int_eq(system(cmd), 0);
	put_seq(logpath, "r", 0, 7);
	tail_reconcile(t);
	t_pump(t);
	seen_seq("p", 0, 25);
	seen_seq("q", 0, 30);
	seen_seq("r", 0, 7);
	ck_assert_uint_eq(seen.n, 62);
	tail_free(t);
	/* And a restart reads nothing twice. */
	seen_reset();
	t = t_start(NULL, NULL);
	t_pump(t);
	ck_assert_uint_eq(seen.n, 0);
	tail_free(t);
}
END_TEST

/* First start with rotated siblings present: read only with --backfill. */
static const int backfill_on[] = { 0, 1 };

START_TEST(test_backfill)
{
	struct tail_opts	 o = { .backfill = backfill_on[_i] };
	struct tail		*t;
	char			 path[160], cmd[1024];

	snprintf(path, sizeof(path), "%s.2", logpath);
	put_seq(path, "old", 0, 8);
	snprintf(cmd, sizeof(cmd), "gzip '%s'", path);
	ck_assert_int_eq(system(cmd), 0);
	snprintf(path, sizeof(path), "%s.1", logpath);
	put_seq(path, "mid", 0, 6);
	put_seq(logpath, "now", 0, 4);
	t = t_start(&o, NULL);
	t_pump(t);
	seen_seq("now", 0, 4);
	if (backfill_on[_i]) {
		seen_seq("old", 0, 8);
		seen_seq("mid", 0, 6);
	}
	ck_assert_uint_eq(seen.n, backfill_on[_i] ? 18 : 4);
	tail_free(t);
	/* A restart, with or without the option, reads nothing again. */
	seen_reset();
	t = t_start(&o, NULL);
	t_pump(t);
	ck_assert_uint_eq(seen.n, 0);
	tail_free(t);
}
END_TEST

START_TEST(test_gzip_in_progress)
{
	struct tail	*t;
	char		 cmd[1024];

	/* Stopped with mail.log.1 half read; at restart gzip is still
	 * writing mail.log.1.gz (both exist, the .gz is short).  The
	 * generation is read once, from mail.log.1. */
	put_seq(logpath, "z", 0, 200);
	t = t_start(NULL, NULL);
	seen.full_after = 50;
	while (tail_read(t, 1 << 20) == TAIL_MORE)
		;
	seen.full_after = -1;
	t_commit(t);
	tail_free(t);
	snprintf(cmd, sizeof(cmd), "cd '%s' && mv mail.log mail.log.1 && "
	    "gzip -c mail.log.1 | head -c 300 > mail.log.1.gz", dir);
	ck_assert_int_eq(system(cmd), 0);
	put_seq(logpath, "n", 0, 3);
	t = t_start(NULL, NULL);
	t_pump(t);
	seen_seq("z", 0, 200);
	seen_seq("n", 0, 3);
	ck_assert_uint_eq(seen.n, 203);
	tail_free(t);
}
END_TEST

START_TEST(test_from_end)
{
	struct tail_opts	 o = { .from_end = 1 };
	struct tail		*t;

	put_seq(logpath, "x", 0, 10);
	put(logpath, "partial");
	t = t_start(&o, NULL);
	t_pump(t);
	ck_assert_uint_eq(seen.n, 0);
	put(logpath, " line\n");
	put_seq(logpath, "y", 0, 3);
	t_pump(t);
	ck_assert_uint_eq(seen.n, 4);
	ck_assert_str_eq(seen.lines[0], "partial line");
	tail_free(t);
}
END_TEST

START_TEST(test_appears_later)
{
	struct tail	*t;

	t = t_start(NULL, NULL);
	t_pump(t);
	ck_assert_uint_eq(seen.n, 0);
	put_seq(logpath, "late", 0, 7);
	tail_reconcile(t);
	t_pump(t);
	seen_seq("late", 0, 7);
	/* Deleted: drained through the descriptor. */
	put_seq(logpath, "late", 7, 9);
	ck_assert_int_eq(unlink(logpath), 0);
	tail_reconcile(t);
	t_pump(t);
	seen_seq("late", 0, 9);
	tail_free(t);
}
END_TEST

/* Replace a file's content in place (same inode): O_TRUNC, then write. */
static void
rewrite(const char *path, const char *tag, int from, int to)
{
	FILE	*fp;
	int	 i;

	ck_assert_ptr_nonnull(fp = fopen(path, "w"));
	for (i = from; i < to; i++)
		fprintf(fp, "%s %d\n", tag, i);
	ck_assert_int_eq(fclose(fp), 0);
}

START_TEST(test_rewrite_live)
{
	struct tail	*t;
	struct stat	 a, b;

	/* Rewritten in place with more bytes than were read, and read on
	 * before any reconcile (an inotify IN_MODIFY wake-up): the reader
	 * must see that the bytes before its offset changed, not go on from
	 * there inside the new content, and the new content is read once
	 * from its start. */
	put_seq(logpath, "old", 0, 20);
	ck_assert_int_eq(stat(logpath, &a), 0);
	t = t_start(NULL, NULL);
	t_pump(t);
	rewrite(logpath, "new", 0, 60);
	ck_assert_int_eq(stat(logpath, &b), 0);
	ck_assert_int_eq(a.st_ino, b.st_ino);
	t_pump(t);
	tail_reconcile(t);
	t_pump(t);
	tail_reconcile(t);
	t_pump(t);
	seen_seq("old", 0, 20);
	seen_seq("new", 0, 60);
	ck_assert_uint_eq(seen.n, 80);
	ck_assert_int_eq(db_sum_lines(), 80);
	tail_free(t);
}
END_TEST

/* Truncated while we were down and refilled with the same first KiB and
 * more: the mark (a keyed digest of the bytes before the committed
 * offset) tells the new content from the old; longer and shorter. */
static const int same_head_new[] = { 5, 400 };

START_TEST(test_same_head)
{
	struct tail	*t;
	size_t		 i, k = 0;

	put_seq(logpath, "same", 0, 200);	/* 1,790 bytes */
	put_seq(logpath, "old", 0, 100);
	t = t_start(NULL, NULL);
	t_pump(t);
	tail_free(t);
	ck_assert_uint_eq(db_one()->marklen, 25);
	rewrite(logpath, "same", 0, 200);
	put_seq(logpath, "new", 0, same_head_new[_i]);
	t = t_start(NULL, NULL);
	t_pump(t);
	seen_seq("old", 0, 100);
	seen_seq("new", 0, same_head_new[_i]);
	for (i = 0; i < seen.n; i++)
		k += strncmp(seen.lines[i], "same ", 5) == 0;
	ck_assert_uint_eq(k, 400);		/* once in each content */
	ck_assert_uint_eq(db_count(SOURCE_LOST), 1);
	tail_free(t);
}
END_TEST

START_TEST(test_rows_in_commit)
{
	struct tail	*t;
	char		 old[160];

	/* tail writes no row by itself: a new generation, a sibling it chose
	 * not to read and a generation whose file is gone reach the table
	 * with the next commit, and a failed commit loses none of them. */
	snprintf(old, sizeof(old), "%s.1", logpath);
	put_seq(old, "s", 0, 5);
	put_seq(logpath, "m", 0, 3);
	t = t_start(NULL, NULL);
	while (tail_read(t, 1 << 20) != TAIL_IDLE)
		;
	ck_assert_uint_eq(seen.n, 3);
	ck_assert_uint_eq(db.n, 0);
	ck_assert_int_eq(tail_pending(t), 1);
	tail_rewind(t);				/* the commit failed */
	seen_reset();
	t_pump(t);
	seen_seq("m", 0, 3);
	ck_assert_uint_eq(seen.n, 3);
	ck_assert_uint_eq(db_count(-1), 2);
	ck_assert_uint_eq(db_count(SOURCE_CLOSED), 1);
	ck_assert_uint_eq(db_count(SOURCE_ACTIVE), 1);
	ck_assert_int_eq(db_sum_lines(), 3);
	ck_assert_int_eq(tail_pending(t), 0);
	tail_free(t);
	/* Gone while we were down: lost, in the first commit. */
	ck_assert_int_eq(unlink(logpath), 0);
	t = t_start(NULL, NULL);
	ck_assert_uint_eq(db_count(SOURCE_LOST), 0);
	t_pump(t);
	ck_assert_uint_eq(db_count(SOURCE_LOST), 1);
	ck_assert_uint_eq(db_count(-1), 2);
	tail_free(t);
}
END_TEST

/* The tail's reconcile timer among the base's events: its argument is
 * the tail, and it has no descriptor (the inotify event has one). */
struct timer_find {
	const struct tail	*tail;
	struct event		*ev;
};

static int
find_timer(const struct event_base *base, const struct event *ev, void *arg)
{
	struct timer_find	*f = arg;

	(void)base;
	if (event_get_callback_arg(ev) != f->tail || event_get_fd(ev) != -1)
		return 0;
	f->ev = (struct event *)(uintptr_t)ev;
	return 1;
}

START_TEST(test_inotify)
{
	struct event_base	*base = event_base_new();
	struct timeval		 bound = { 3, 0 };
	struct tail		*t;
	struct timer_find	 f;

	put_seq(logpath, "w", 0, 1);
	t = t_start(NULL, base);
	t_pump(t);
	/* Without the periodic timer, only inotify can wake the tail. */
	f.tail = t;
	f.ev = NULL;
	event_base_foreach_event(base, find_timer, &f);
	ck_assert_ptr_nonnull(f.ev);
	ck_assert_int_eq(event_del(f.ev), 0);
	seen.woken = 0;
	put_seq(logpath, "w", 1, 2);
	/* Wait for it (cb_wake breaks the loop), 3 s at most. */
	event_base_loopexit(base, &bound);
	event_base_loop(base, EVLOOP_ONCE);
	ck_assert_int_ge(seen.woken, 1);
	t_pump(t);
	seen_seq("w", 0, 2);
	tail_free(t);
	event_base_free(base);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("tail");
	TCase	*tc = tcase_create("tail");
	SRunner	*sr;
	int	 failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_partial);
	tcase_add_loop_test(tc, test_long, 0, sizeof(longs) / sizeof(*longs));
	tcase_add_test(tc, test_full_retry);
	tcase_add_test(tc, test_rewind);
	tcase_add_test(tc, test_rename);
	tcase_add_test(tc, test_copytruncate);
	tcase_add_test(tc, test_truncate_refill);
	tcase_add_loop_test(tc, test_inode_reuse, 0,
	    sizeof(reuse_lines) / sizeof(*reuse_lines));
	tcase_add_test(tc, test_gz_resume);
	tcase_add_test(tc, test_two_rotations);
	tcase_add_loop_test(tc, test_backfill, 0,
	    sizeof(backfill_on) / sizeof(*backfill_on));
	tcase_add_test(tc, test_gzip_in_progress);
	tcase_add_test(tc, test_from_end);
	tcase_add_test(tc, test_appears_later);
	tcase_add_test(tc, test_rewrite_live);
	tcase_add_loop_test(tc, test_same_head, 0,
	    sizeof(same_head_new) / sizeof(*same_head_new));
	tcase_add_test(tc, test_rows_in_commit);
	tcase_add_test(tc, test_inotify);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
