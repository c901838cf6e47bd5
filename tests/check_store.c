/*
 * check_store: schema and pragmas, upsert sums, the offset compare-and-set,
 * rollback, retention roll-up, the reason cap, the lock file and
 * migrations from an older (synthetic version 0) database, the roll-up
 * tables of version 2 (kept by each commit and by retention, and built by
 * the migration from a version 1 database).
 *
 * Each test works in its own mkdtemp directory under /tmp and reads the
 * database back through a second sqlite3 connection; expected values are
 * the test's own arithmetic.
 */
#include <sys/stat.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <sqlite3.h>

#include "parse.h"
#include "store.h"
#include "tally.h"

static char	dir[64];
static char	dbpath[128];

static void
setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/check_store.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(dbpath, sizeof(dbpath), "%s/t.db", dir);
}

static void
teardown(void)
{
	char	cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	(void)system(cmd);
}

/* One integer from a query on a separate connection. */
static int64_t
q_int(const char *sql)
{
	sqlite3		*db;
	sqlite3_stmt	*st;
	int64_t		 v = -1;

	ck_assert_int_eq(sqlite3_open(dbpath, &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	ck_assert_msg(sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK,
	    "%s: %s", sql, sqlite3_errmsg(db));
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

/* One text from a query, copied into buf. */
static const char *
q_text(const char *sql, char *buf, size_t len)
{
	sqlite3		*db;
	sqlite3_stmt	*st;

	buf[0] = '\0';
	ck_assert_int_eq(sqlite3_open(dbpath, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		snprintf(buf, len, "%s", sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	sqlite3_close(db);
	return buf;
}

static void
ev_make(struct event *ev, int64_t t, const char *dom, int reply,
    const char *text)
{
	memset(ev, 0, sizeof(*ev));
	ev->time = t;
	ev->mta = MTA_EXIM;
	ev->direction = DIR_OUT;
	ev->kind = KIND_ATTEMPT;
	ev->status = reply / 100 == 2 ? STATUS_SENT : STATUS_BOUNCED;
	ev->reply = reply;
	snprintf(ev->domain, sizeof(ev->domain), "%s", dom);
	snprintf(ev->host, sizeof(ev->host), "mx");
	ev->text = text;
	ev->textlen = text != NULL ? strlen(text) : 0;
}

/* A file row at offset 0; returns its id. */
static int64_t
file_add(struct store *s, const char *path)
{
	struct store_file	 f;
	const char		*cause;
	int64_t			 id;

	memset(&f, 0, sizeof(f));
	f.path = (char *)(uintptr_t)path;
	snprintf(f.format, sizeof(f.format), "postfix");
	f.dev = 1;
	f.ino = 2;
	memcpy(f.head, "head", 4);
	f.headlen = 4;
	snprintf(f.state, sizeof(f.state), "active");
	id = store_file_add(s, &f, &cause);
	ck_assert_int_gt(id, 0);
	return id;
}

static void
delta_make(struct store_delta *d, int64_t id, int64_t from, int64_t to,
    int64_t lines)
{
	memset(d, 0, sizeof(*d));
	d->id = id;
	d->old_offset = from;
	d->new_offset = to;
	d->lines = lines;
	d->state = "active";
	d->head = (const unsigned char *)"head";
	d->headlen = 4;
}

START_TEST(test_schema)
{
	struct store	*s;
	const char	*cause = NULL;
	char		 buf[64];

	s = store_open(dbpath, &cause);
	ck_assert_msg(s != NULL, "open: %s", cause);
	store_close(s);
	ck_assert_int_eq(q_int("PRAGMA user_version"), 3);
	ck_assert_int_eq(q_int("PRAGMA application_id"), 1397577817);
	ck_assert_str_eq(q_text("PRAGMA journal_mode", buf, sizeof(buf)),
	    "wal");
	ck_assert_int_eq(q_int("SELECT count(*) FROM sqlite_schema WHERE "
	    "name IN ('count_hour', 'count_day', 'source', 'lines_hour', "
	    "'reason_day', 'domain', 'host', 'meta', 'total_hour', "
	    "'total_day', 'domain_month', 'domain_total')"), 12);
	/* Opening again neither fails nor migrates again. */
	s = store_open(dbpath, &cause);
	ck_assert_msg(s != NULL, "reopen: %s", cause);
	store_close(s);
	ck_assert_int_eq(q_int("PRAGMA user_version"), 3);
}
END_TEST

START_TEST(test_upsert)
{
	struct store		*s;
	struct tally		*t = tally_new(100);
	struct store_delta	 d;
	struct event		 ev;
	const char		*cause;
	int64_t			 id;
	int			 i;

	ck_assert_ptr_nonnull(s = store_open(dbpath, &cause));
	id = file_add(s, "/x");
	/* Three commits of 2, 3 and 4 events on one key: 9. */
	for (i = 2; i <= 4; i++) {
		int k;
		for (k = 0; k < i; k++) {
			ev_make(&ev, 7200 + k, "Up.example", 250, NULL);
			ck_assert_int_eq(tally_add(t, &ev, id), TALLY_OK);
		}
		delta_make(&d, id, (i - 2) * 100, (i - 1) * 100, i);
		ck_assert_msg(store_commit(s, t, &d, 1, 1000, &cause) == 0,
		    "%s", cause);
		tally_clear(t);
	}
	store_close(s);
	tally_free(t);
	ck_assert_int_eq(q_int("SELECT n FROM count_hour WHERE hour = 7200"),
	    9);
	ck_assert_int_eq(q_int("SELECT count(*) FROM count_hour"), 1);
	ck_assert_int_eq(q_int("SELECT offset FROM source"), 300);
	ck_assert_int_eq(q_int("SELECT lines FROM source"), 9);
	ck_assert_int_eq(q_int("SELECT n FROM lines_hour WHERE "
	    "result = 'event'"), 9);
	ck_assert_int_eq(q_int("SELECT count(*) FROM domain"), 1);
}
END_TEST

START_TEST(test_cas)
{
	struct store		*s;
	struct tally		*t = tally_new(100);
	struct store_delta	 d[2];
	struct event		 ev;
	const char		*cause = NULL;
	int64_t			 id, id2;

	ck_assert_ptr_nonnull(s = store_open(dbpath, &cause));
	id = file_add(s, "/x");
	id2 = file_add(s, "/y");
	ev_make(&ev, 3600, "a.example", 250, NULL);
	ck_assert_int_eq(tally_add(t, &ev, id), TALLY_OK);
	delta_make(&d[0], id, 0, 100, 1);
	ck_assert_int_eq(store_commit(s, t, d, 1, 1, &cause), 0);
	tally_clear(t);

	/* The same batch again: the stored offset is 100, not 0. */
	ev_make(&ev, 3600, "new.example", 250, NULL);
	ck_assert_int_eq(tally_add(t, &ev, id), TALLY_OK);
	delta_make(&d[0], id2, 0, 50, 1);	/* fine on its own */
	delta_make(&d[1], id, 0, 100, 1);	/* stale */
	ck_assert_int_eq(store_commit(s, t, d, 2, 2, &cause), STORE_STALE);
	ck_assert_ptr_nonnull(strstr(cause, "stale"));
	/* A row that does not exist is refused the same way. */
	delta_make(&d[0], 999, 0, 10, 1);
	ck_assert_int_eq(store_commit(s, t, d, 1, 2, &cause), STORE_STALE);
	/* After failures the connection still commits (id cache dropped). */
	delta_make(&d[0], id, 100, 200, 1);
	ck_assert_msg(store_commit(s, t, d, 1, 3, &cause) == 0, "%s", cause);
	store_close(s);
	tally_free(t);
	ck_assert_int_eq(q_int("SELECT offset FROM source WHERE id = 1"), 200);
	ck_assert_int_eq(q_int("SELECT offset FROM source WHERE id = 2"), 0);
	ck_assert_int_eq(q_int("SELECT sum(n) FROM count_hour"), 2);
	ck_assert_int_eq(q_int("SELECT count(*) FROM domain"), 2);
}
END_TEST

START_TEST(test_rollback)
{
	struct store		*s;
	struct tally		*t = tally_new(1000);
	struct store_delta	 d;
	struct event		 ev;
	const char		*cause;
	int64_t			 id;
	int			 i;

	ck_assert_ptr_nonnull(s = store_open(dbpath, &cause));
	id = file_add(s, "/x");
	for (i = 0; i < 50; i++) {
		char dom[32];
		snprintf(dom, sizeof(dom), "d%d.example", i);
		ev_make(&ev, 3600 * i, dom, 550, "550 5.1.1 no such user");
		ck_assert_int_eq(tally_add(t, &ev, id), TALLY_OK);
	}
	delta_make(&d, id, 7, 100, 50);	/* stale: the row is at 0 */
	ck_assert_int_eq(store_commit(s, t, &d, 1, 1, &cause), STORE_STALE);
	store_close(s);
	tally_free(t);
	ck_assert_int_eq(q_int("SELECT count(*) FROM count_hour"), 0);
	ck_assert_int_eq(q_int("SELECT count(*) FROM lines_hour"), 0);
	ck_assert_int_eq(q_int("SELECT count(*) FROM reason_day"), 0);
	ck_assert_int_eq(q_int("SELECT count(*) FROM domain"), 0);
	ck_assert_int_eq(q_int("SELECT count(*) FROM host"), 0);
	ck_assert_int_eq(q_int("SELECT offset FROM source"), 0);
}
END_TEST

START_TEST(test_retention)
{
	struct store		*s;
	struct tally		*t = tally_new(10000);
	struct store_delta	 d;
	struct event		 ev;
	const char		*cause;
	const int64_t		 now = 100 * 86400 + 5000;
	int64_t			 id, total = 0, k;

	ck_assert_ptr_nonnull(s = store_open(dbpath, &cause));
	id = file_add(s, "/x");
	/* Hour h of days 0..99 gets (h % 5) + 1 events on two domains. */
	for (k = 0; k < 100 * 24; k++) {
		int64_t j, n = (k % 5) + 1;
		for (j = 0; j < n; j++) {
			ev_make(&ev, k * 3600 + j, k % 2 ? "a.example" :
			    "b.example", 250, NULL);
			ck_assert_int_eq(tally_add(t, &ev, id), TALLY_OK);
			total++;
		}
	}
	delta_make(&d, id, 0, 1, total);
	ck_assert_int_eq(store_commit(s, t, &d, 1, 1, &cause), 0);
	/* Keep 30 days of hours: days 0..69 roll up (cut at day 70). */
	ck_assert_msg(store_retain(s, now, 30, 0, &cause) == 0, "%s", cause);
	store_close(s);
	tally_free(t);
	ck_assert_int_eq(q_int("SELECT (SELECT sum(n) FROM count_hour) + "
	    "(SELECT sum(n) FROM count_day)"), total);
	ck_assert_int_eq(q_int("SELECT min(hour) FROM count_hour"), 70 * 86400);
	ck_assert_int_eq(q_int("SELECT max(day) FROM count_day"), 69 * 86400);
	ck_assert_int_eq(q_int("SELECT count(*) FROM count_day"), 70 * 2);
	/* One day is 24 hours of (h%5)+1 over a 5-cycle; day 0 starts the
	 * cycle at k=0: sum over k=0..23 of (k%5)+1 = 4*15 + (1+2+3+4) = 70. */
	ck_assert_int_eq(q_int("SELECT sum(n) FROM count_day WHERE day = 0"),
	    70);
}
END_TEST

/*
 * Roll-ups against the counts.  Two independent checks: the test's own
 * sums (events by status), and a rebuild of the roll-ups from the count
 * tables into TEMP tables of the same names (which shadow the main ones
 * for unqualified names) compared row for row with what the commits and
 * the retention kept.
 */
static int64_t
rollups_differ(void)
{
	sqlite3		*db;
	sqlite3_stmt	*st;
	int64_t		 v = -1;
	char		*err = NULL;

	ck_assert_int_eq(sqlite3_open(dbpath, &db), SQLITE_OK);
	ck_assert_msg(sqlite3_exec(db, "CREATE TEMP TABLE total_hour AS "
	    "SELECT * FROM main.total_hour WHERE 0; CREATE TEMP TABLE "
	    "total_day AS SELECT * FROM main.total_day WHERE 0; CREATE TEMP "
	    "TABLE domain_month AS SELECT * FROM main.domain_month WHERE 0; "
	    "CREATE TEMP TABLE domain_total AS SELECT * FROM "
	    "main.domain_total WHERE 0;",
	    NULL, NULL, &err) == SQLITE_OK, "temp: %s", err);
	ck_assert_msg(sqlite3_exec(db, store_rollup_fill_sql, NULL, NULL,
	    &err) == SQLITE_OK, "fill: %s", err);
	ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT "
	    "(SELECT count(*) FROM (SELECT * FROM main.total_hour EXCEPT "
	    "SELECT * FROM temp.total_hour)) + "
	    "(SELECT count(*) FROM (SELECT * FROM temp.total_hour EXCEPT "
	    "SELECT * FROM main.total_hour)) + "
	    "(SELECT count(*) FROM (SELECT * FROM main.total_day EXCEPT "
	    "SELECT * FROM temp.total_day)) + "
	    "(SELECT count(*) FROM (SELECT * FROM temp.total_day EXCEPT "
	    "SELECT * FROM main.total_day)) + "
	    "(SELECT count(*) FROM (SELECT * FROM main.domain_month EXCEPT "
	    "SELECT * FROM temp.domain_month)) + "
	    "(SELECT count(*) FROM (SELECT * FROM temp.domain_month EXCEPT "
	    "SELECT * FROM main.domain_month)) + "
	    "(SELECT count(*) FROM (SELECT * FROM main.domain_total EXCEPT "
	    "SELECT * FROM temp.domain_total)) + "
	    "(SELECT count(*) FROM (SELECT * FROM temp.domain_total EXCEPT "
	    "SELECT * FROM main.domain_total))", -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

/* Random events over five months in many commits; sums[0] = all,
 * [1] sent, [2] deferred, [3] bounced or rejected, [4] class 4, each for
 * kind attempt and events at or after keep_from. */
static void
rollup_fill(struct store *s, int64_t id, int64_t *off, int64_t keep_from,
    int64_t sums[5])
{
	static const char *const doms[] = { "a.example", "b.example",
	    "c.example", "d.example", "e.example" };
	static const char *const enh[] = { "", "2.0.0", "4.7.1", "5.1.1" };
	static const int replies[] = { 0, 250, 421, 451, 550, 554 };
	struct tally		*t;
	struct store_delta	 d;
	struct event		 ev;
	const char		*cause;
	uint32_t		 x = 12345;
	int			 c, i, n, cls;

	for (c = 0; c < 40; c++) {
		t = tally_new(100000);
		for (i = n = 0; i < 500; i++, n++) {
			x = x * 1103515245u + 12345u;
			/* 2026-01-01 + up to 150 days, any second. */
			ev_make(&ev, 1767225600LL + (int64_t)(x >> 8) % (150 *
			    86400), doms[(x >> 3) % 5], replies[(x >> 11) % 6],
			    NULL);
			ev.status = (x >> 14) % 5;	/* sent .. rejected */
			ev.direction = (x >> 17) % 2 ? DIR_OUT : DIR_IN;
			ev.kind = (x >> 18) % 4 == 0 ? KIND_SKIP : KIND_ATTEMPT;
			ev.mta = (x >> 20) % 2 ? MTA_EXIM : MTA_POSTFIX;
			snprintf(ev.enhanced, sizeof(ev.enhanced), "%s",
			    enh[(x >> 21) % 4]);
			snprintf(ev.host, sizeof(ev.host), "mx%u",
			    (x >> 23) % 3);
			ck_assert_int_eq(tally_add(t, &ev, id), TALLY_OK);
			if (ev.kind != KIND_ATTEMPT || ev.time < keep_from)
				continue;
			sums[0]++;
			if (ev.status == STATUS_SENT)
				sums[1]++;
			else if (ev.status == STATUS_DEFERRED)
				sums[2]++;
			else if (ev.status == STATUS_BOUNCED ||
			    ev.status == STATUS_REJECTED)
				sums[3]++;
			/* The class rule of issue 4, written out again. */
			cls = ev.reply != 0 ? ev.reply / 100 :
			    ev.enhanced[0] != '\0' ? ev.enhanced[0] - '0' :
			    ev.status == STATUS_SENT ? 2 :
			    ev.status == STATUS_DEFERRED ? 4 : 5;
			if (cls == 4)
				sums[4]++;
		}
		delta_make(&d, id, *off, *off + 1, n);
		ck_assert_msg(store_commit(s, t, &d, 1, 1, &cause) == 0, "%s",
		    cause);
		(*off)++;
		tally_free(t);
	}
}

START_TEST(test_rollups)
{
	struct store	*s;
	const char	*cause;
	int64_t		 id, off = 0, sums[5] = { 0, 0, 0, 0, 0 };
	/* Now: 2026-06-10; keep 30 days hourly, 100 days at all. */
	const int64_t	 now = 1781049600LL, keep = now - 100 * 86400;

	ck_assert_ptr_nonnull(s = store_open(dbpath, &cause));
	id = file_add(s, "/x");
	rollup_fill(s, id, &off, keep - keep % 86400, sums);
	ck_assert_int_eq(rollups_differ(), 0);
	ck_assert_msg(store_retain(s, now, 30, 100, &cause) == 0, "%s",
	    cause);
	store_close(s);
	ck_assert_int_eq(rollups_differ(), 0);
	ck_assert_int_gt(q_int("SELECT count(*) FROM count_day"), 0);
	ck_assert_int_gt(q_int("SELECT count(*) FROM total_hour"), 0);
	ck_assert_int_eq(q_int("SELECT min(month) FROM domain_month"),
	    1772323200);	/* 2026-03-01: the cut (03-02) is inside */
	ck_assert_int_eq(q_int("SELECT (SELECT sum(n) FROM total_hour WHERE "
	    "kind = 'attempt') + (SELECT sum(n) FROM total_day WHERE "
	    "kind = 'attempt')"), sums[0]);
	ck_assert_int_eq(q_int("SELECT sum(n) FROM domain_month WHERE "
	    "kind = 'attempt'"), sums[0]);
	ck_assert_int_eq(q_int("SELECT sum(sent) FROM domain_month WHERE "
	    "kind = 'attempt'"), sums[1]);
	ck_assert_int_eq(q_int("SELECT sum(deferred) FROM domain_month WHERE "
	    "kind = 'attempt'"), sums[2]);
	ck_assert_int_eq(q_int("SELECT sum(bounced) FROM domain_month WHERE "
	    "kind = 'attempt'"), sums[3]);
	ck_assert_int_eq(q_int("SELECT sum(n) FROM domain_month WHERE "
	    "kind = 'attempt' AND class = 4"), sums[4]);
	ck_assert_int_eq(q_int("SELECT sum(n) FROM domain_total WHERE "
	    "kind = 'attempt' AND class = 4"), sums[4]);
	ck_assert_int_eq(q_int("SELECT sum(bounced) FROM domain_total WHERE "
	    "kind = 'attempt'"), sums[3]);
}
END_TEST

/* A version 1 database with counts (version 2 less its roll-ups) is
 * upgraded in one step, the roll-ups built from the counts. */
START_TEST(test_migrate_v2)
{
	struct store	*s;
	sqlite3		*db;
	const char	*cause;
	int64_t		 id, off = 0, sums[5] = { 0, 0, 0, 0, 0 };

	ck_assert_ptr_nonnull(s = store_open(dbpath, &cause));
	id = file_add(s, "/x");
	rollup_fill(s, id, &off, 0, sums);
	/* Some days as retention leaves them, so both tables have rows. */
	ck_assert_msg(store_retain(s, 1767225600LL + 200 * 86400, 120, 0,
	    &cause) == 0, "%s", cause);
	store_close(s);
	ck_assert_int_eq(sqlite3_open(dbpath, &db), SQLITE_OK);
	/* Back to version 1: no roll-ups, and the source table as the file
	 * table it was before version 3. */
	ck_assert_int_eq(sqlite3_exec(db, "DROP TABLE total_hour; DROP TABLE "
	    "total_day; DROP TABLE domain_month; DROP TABLE domain_total; "
	    "ALTER TABLE source RENAME TO file; "
	    "ALTER TABLE file RENAME COLUMN lost TO bytes_lost; "
	    "ALTER TABLE file DROP COLUMN kind; ALTER TABLE file DROP COLUMN "
	    "name; ALTER TABLE file DROP COLUMN mark; ALTER TABLE file DROP "
	    "COLUMN cursor; ALTER TABLE file DROP COLUMN lost_from; ALTER "
	    "TABLE file DROP COLUMN lost_until; ALTER TABLE file DROP COLUMN "
	    "last_time; ALTER TABLE lines_hour RENAME COLUMN source TO file; "
	    "PRAGMA user_version = 1;",
	    NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	ck_assert_int_gt(q_int("SELECT count(*) FROM count_day"), 0);
	ck_assert_int_gt(q_int("SELECT count(*) FROM count_hour"), 0);

	s = store_open(dbpath, &cause);
	ck_assert_msg(s != NULL, "open: %s", cause);
	store_close(s);
	ck_assert_int_eq(q_int("PRAGMA user_version"), 3);
	ck_assert_int_eq(rollups_differ(), 0);
	ck_assert_int_eq(q_int("SELECT (SELECT sum(n) FROM total_hour) + "
	    "(SELECT sum(n) FROM total_day)"), q_int("SELECT (SELECT sum(n) "
	    "FROM count_hour) + (SELECT sum(n) FROM count_day)"));
	ck_assert_int_eq(q_int("SELECT sum(n) FROM domain_month"),
	    q_int("SELECT (SELECT sum(n) FROM count_hour) + "
	    "(SELECT sum(n) FROM count_day)"));
	ck_assert_int_eq(q_int("SELECT (SELECT sum(n) FROM total_hour WHERE "
	    "kind = 'attempt') + (SELECT sum(n) FROM total_day WHERE "
	    "kind = 'attempt')"), sums[0]);
	ck_assert_int_eq(q_int("SELECT sum(bounced) FROM domain_month WHERE "
	    "kind = 'attempt'"), sums[3]);
}
END_TEST

START_TEST(test_reason_cap)
{
	struct store		*s;
	struct tally		*t = tally_new(1000);
	struct store_delta	 d;
	struct event		 ev;
	const char		*cause;
	char			 text[64];
	int64_t			 id;
	int			 i, batch;

	ck_assert_ptr_nonnull(s = store_open(dbpath, &cause));
	id = file_add(s, "/x");
	/* 15 texts in one commit, 10 more in a second: 20 kept, 5 other. */
	for (batch = 0, i = 0; batch < 2; batch++) {
		for (; i < (batch == 0 ? 15 : 25); i++) {
			snprintf(text, sizeof(text), "550 mailbox %c%c is "
			    "unavailable", 'a' + i / 26 % 26, 'a' + i % 26);
			ev_make(&ev, 86400 + i, "cap.example", 550, text);
			ck_assert_int_eq(tally_add(t, &ev, id), TALLY_OK);
		}
		delta_make(&d, id, batch, batch + 1, 1);
		ck_assert_msg(store_commit(s, t, &d, 1, 1, &cause) == 0, "%s",
		    cause);
		tally_clear(t);
	}
	store_close(s);
	tally_free(t);
	ck_assert_int_eq(q_int("SELECT count(*) FROM reason_day"), 21);
	ck_assert_int_eq(q_int("SELECT n FROM reason_day WHERE "
	    "text = '(other)'"), 5);
	ck_assert_int_eq(q_int("SELECT sum(n) FROM reason_day"), 25);
}
END_TEST

START_TEST(test_lock)
{
	struct store	*s, *s2;
	const char	*cause = NULL;
	char		 want[256];

	ck_assert_ptr_nonnull(s = store_open(dbpath, &cause));
	s2 = store_open(dbpath, &cause);
	ck_assert_ptr_null(s2);
	snprintf(want, sizeof(want), "another smtptallyd (pid %ld) holds "
	    "%s.lock; stop it or use another --db", (long)getpid(), dbpath);
	ck_assert_str_eq(cause, want);
	store_close(s);
	/* Released on close. */
	ck_assert_ptr_nonnull(s = store_open(dbpath, &cause));
	store_close(s);
}
END_TEST

/* A synthetic version 0: one table the step to version 1 reshapes. */
static const char *const steps_v1[] = {
	"CREATE TABLE new(x INTEGER); INSERT INTO new SELECT x * 2 FROM old; "
	"DROP TABLE old;",
};
static const char *const steps_bad[] = {
	"CREATE TABLE new(x INTEGER); INSERT INTO new SELECT x * 2 FROM old; "
	"DROP TABLE old;",
	"CREATE TABLE t2(a); INSERT INTO nosuch VALUES (1);",
};

START_TEST(test_migrate)
{
	struct store	*s;
	sqlite3		*db;
	const char	*cause = NULL;

	ck_assert_int_eq(sqlite3_open(dbpath, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(db, "PRAGMA application_id = "
	    "1397577817; CREATE TABLE old(x INTEGER); INSERT INTO old "
	    "VALUES (1), (2), (3);", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	ck_assert_int_eq(q_int("PRAGMA user_version"), 0);

	/* The store's own statements need the real schema, so open with the
	 * synthetic steps fails after migrating; the migration stays. */
	s = store_open_steps(dbpath, steps_v1, 1, &cause);
	store_close(s);
	ck_assert_int_eq(q_int("PRAGMA user_version"), 1);
	ck_assert_int_eq(q_int("SELECT sum(x) FROM new"), 12);
	ck_assert_int_eq(q_int("SELECT count(*) FROM sqlite_schema WHERE "
	    "name = 'old'"), 0);

	/* A failing step 2 leaves the database at version 1, unchanged. */
	s = store_open_steps(dbpath, steps_bad, 2, &cause);
	ck_assert_ptr_null(s);
	ck_assert_ptr_nonnull(strstr(cause, "migration to version 2"));
	ck_assert_int_eq(q_int("PRAGMA user_version"), 1);
	ck_assert_int_eq(q_int("SELECT count(*) FROM sqlite_schema WHERE "
	    "name = 't2'"), 0);

	/* A version newer than the program knows is refused. */
	s = store_open_steps(dbpath, steps_v1, 0, &cause);
	ck_assert_ptr_null(s);
	ck_assert_ptr_nonnull(strstr(cause, "newer"));
}
END_TEST

START_TEST(test_foreign)
{
	struct store	*s;
	sqlite3		*db;
	const char	*cause = NULL;

	ck_assert_int_eq(sqlite3_open(dbpath, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(db, "CREATE TABLE other(x);", NULL, NULL,
	    NULL), SQLITE_OK);
	sqlite3_close(db);
	s = store_open(dbpath, &cause);
	ck_assert_ptr_null(s);
	ck_assert_ptr_nonnull(strstr(cause, "not a smtptally database"));
	ck_assert_int_eq(q_int("SELECT count(*) FROM sqlite_schema"), 1);
}
END_TEST

/* Sources: a new row is inserted by the commit that carries it, a known
 * one moves by compare-and-set on offset and cursor, every column reads
 * back, and new ids never collide with stored ones. */
START_TEST(test_sources)
{
	char			 mail_log[] = "/var/log/mail.log";
	char			 mail_log1[] = "/var/log/mail.log.1";
	char			 journal[] = "journal";
	char			 cur1[] = "s=abc;i=1", cur2[] = "s=abc;i=2";
	struct store		*s;
	struct tally		*t;
	struct source_row	 r, j, *rows;
	struct source_delta	 d[2];
	const char		*cause;
	size_t			 n;

	ck_assert_ptr_nonnull(s = store_open(dbpath, &cause));
	ck_assert_ptr_nonnull(t = tally_new(0));
	(void)file_add(s, "/old");		/* id 1, the old way */
	ck_assert_int_eq(store_next_id(s), 2);
	memset(&r, 0, sizeof(r));
	r.id = store_next_id(s);
	ck_assert_int_eq(r.id, 3);
	r.kind = SOURCE_FILE;
	r.path = mail_log;
	r.name = mail_log1;
	r.format = MTA_POSTFIX;
	r.dev = 7;
	r.ino = 8;
	memcpy(r.head, "Nov  1 head", 11);
	r.headlen = 11;
	memcpy(r.mark, "mark", 4);
	r.marklen = 4;
	r.offset = 120;
	r.state = SOURCE_ROTATED;
	r.first_seen = 50;
	r.last_time = 1795910400;
	memset(&j, 0, sizeof(j));
	j.id = store_next_id(s);
	j.kind = SOURCE_JOURNAL;
	j.path = journal;
	j.cursor = cur1;
	j.state = SOURCE_ACTIVE;
	j.lost_from = 10;
	j.lost_until = 20;
	memset(d, 0, sizeof(d));
	d[0].row = &r;
	d[0].insert = 1;
	d[0].lines = 4;
	d[1].row = &j;
	d[1].insert = 1;
	d[1].lines = 9;
	ck_assert_msg(store_commit_sources(s, t, d, 2, 1000, &cause) == 0,
	    "%s", cause);
	ck_assert_int_eq(q_int("SELECT count(*) FROM source"), 3);

	/* Move both: the file by offset, the journal by cursor. */
	r.offset = 300;
	r.state = SOURCE_CLOSED;
	j.cursor = cur2;
	d[0].insert = d[1].insert = 0;
	d[0].old_offset = 120;
	d[0].lines = 6;
	d[1].old_cursor = "s=abc;i=1";
	d[1].lines = 1;
	ck_assert_msg(store_commit_sources(s, t, d, 2, 1001, &cause) == 0,
	    "%s", cause);
	/* The same deltas again are stale: nothing moves. */
	ck_assert_int_eq(store_commit_sources(s, t, d, 2, 1002, &cause),
	    STORE_STALE);
	d[0].old_offset = 300;
	ck_assert_int_eq(store_commit_sources(s, t, d, 2, 1002, &cause),
	    STORE_STALE);		/* the cursor is still stale */
	ck_assert_int_eq(q_int("SELECT lines FROM source WHERE id = 4"), 10);

	ck_assert_int_eq(store_sources(s, "/var/log/mail.log", &rows, &n,
	    &cause), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(rows[0].id, 3);
	ck_assert_int_eq(rows[0].kind, SOURCE_FILE);
	ck_assert_str_eq(rows[0].path, "/var/log/mail.log");
	ck_assert_str_eq(rows[0].name, "/var/log/mail.log.1");
	ck_assert_int_eq(rows[0].format, MTA_POSTFIX);
	ck_assert_int_eq(rows[0].dev, 7);
	ck_assert_int_eq(rows[0].ino, 8);
	ck_assert_uint_eq(rows[0].headlen, 11);
	ck_assert_int_eq(memcmp(rows[0].head, "Nov  1 head", 11), 0);
	ck_assert_uint_eq(rows[0].marklen, 4);
	ck_assert_int_eq(rows[0].offset, 300);
	ck_assert_ptr_null(rows[0].cursor);
	ck_assert_int_eq(rows[0].lines, 10);
	ck_assert_int_eq(rows[0].state, SOURCE_CLOSED);
	ck_assert_int_eq(rows[0].first_seen, 50);
	ck_assert_int_eq(rows[0].last_commit, 1001);
	ck_assert_int_eq(rows[0].last_time, 1795910400);
	store_sources_free(rows, n);
	ck_assert_int_eq(store_sources(s, "journal", &rows, &n, &cause), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(rows[0].kind, SOURCE_JOURNAL);
	ck_assert_str_eq(rows[0].cursor, "s=abc;i=2");
	ck_assert_ptr_null(rows[0].name);
	ck_assert_int_eq(rows[0].format, MTA_UNKNOWN);
	ck_assert_int_eq(rows[0].lost_from, 10);
	ck_assert_int_eq(rows[0].lost_until, 20);
	ck_assert_int_eq(rows[0].lines, 10);
	store_sources_free(rows, n);
	tally_free(t);
	store_close(s);

	/* Reopened, ids go on after the highest stored one. */
	ck_assert_ptr_nonnull(s = store_open(dbpath, &cause));
	ck_assert_int_eq(store_next_id(s), 5);
	store_close(s);
}
END_TEST

/* A database migrated from version 2 has the same tables and columns, in
 * the same order, as one created at version 3. */
START_TEST(test_migrate_v3_shape)
{
	static const char shape[] = "SELECT group_concat(x, ' ') FROM "
	    "(SELECT m.name || '.' || p.name || ':' || p.type || ':' || "
	    "p.\"notnull\" || ':' || p.pk AS x FROM sqlite_schema AS m, "
	    "pragma_table_info(m.name) AS p WHERE m.type = 'table' "
	    "ORDER BY m.name, p.cid)";
	struct store	*s;
	sqlite3		*db;
	const char	*cause;
	char		 fresh[8192], migrated[8192];

	ck_assert_ptr_nonnull(s = store_open(dbpath, &cause));
	store_close(s);
	q_text(shape, fresh, sizeof(fresh));
	ck_assert_ptr_nonnull(strstr(fresh, "source.cursor:TEXT:0:0"));
	ck_assert_int_eq(sqlite3_open(dbpath, &db), SQLITE_OK);
	/* Version 2 as f753601 left it: the source table was "file". */
	ck_assert_int_eq(sqlite3_exec(db, "ALTER TABLE source RENAME TO file; "
	    "ALTER TABLE file RENAME COLUMN lost TO bytes_lost; "
	    "ALTER TABLE file DROP COLUMN kind; ALTER TABLE file DROP COLUMN "
	    "name; ALTER TABLE file DROP COLUMN mark; ALTER TABLE file DROP "
	    "COLUMN cursor; ALTER TABLE file DROP COLUMN lost_from; ALTER "
	    "TABLE file DROP COLUMN lost_until; ALTER TABLE file DROP COLUMN "
	    "last_time; ALTER TABLE lines_hour RENAME COLUMN source TO file; "
	    "PRAGMA user_version = 2;", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	ck_assert_ptr_nonnull(s = store_open(dbpath, &cause));
	store_close(s);
	q_text(shape, migrated, sizeof(migrated));
	ck_assert_str_eq(migrated, fresh);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("store");
	TCase	*tc = tcase_create("store");
	SRunner	*sr;
	int	 failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_schema);
	tcase_add_test(tc, test_upsert);
	tcase_add_test(tc, test_cas);
	tcase_add_test(tc, test_rollback);
	tcase_add_test(tc, test_retention);
	tcase_add_test(tc, test_rollups);
	tcase_add_test(tc, test_migrate_v2);
	tcase_add_test(tc, test_reason_cap);
	tcase_add_test(tc, test_lock);
	tcase_add_test(tc, test_migrate);
	tcase_add_test(tc, test_foreign);
	tcase_add_test(tc, test_sources);
	tcase_add_test(tc, test_migrate_v3_shape);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
