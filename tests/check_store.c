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

#include "hours.h"
#include "parse.h"
#include "store.h"
#include "tally.h"

static char	dir[64];
static char	dbpath[128];

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
	snprintf(dir, sizeof(dir), "%s/check_store.XXXXXX", scratch_tmp());
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
	/* as the parser gives a line without delays */
	ev->delay_ms = EVENT_DELAY_NONE;
	ev->stage_ms[0] = ev->stage_ms[1] = ev->stage_ms[2] =
	    ev->stage_ms[3] = EVENT_DELAY_NONE;
}

/* A file row of path at offset 0, inserted by a commit of its own (as a
 * reader's first commit does); returns its id. */
static int64_t
file_add(struct store *s, const char *path)
{
	struct tally		*t = tally_new(0);
	struct source_row	 r;
	struct source_delta	 d;
	const char		*cause;

	memset(&r, 0, sizeof(r));
	r.id = store_next_id(s);
	r.kind = SOURCE_FILE;
	r.path = (char *)(uintptr_t)path;
	r.format = MTA_POSTFIX;
	r.dev = 1;
	r.ino = 2;
	memcpy(r.head, "head", 4);
	r.headlen = 4;
	r.state = SOURCE_ACTIVE;
	memset(&d, 0, sizeof(d));
	d.row = &r;
	d.insert = 1;
	ck_assert_msg(store_commit_sources(s, t, &d, 1, 1, &cause) == 0, "%s",
	    cause);
	tally_free(t);
	return r.id;
}

/* A delta moving source id from one offset to another with lines; its
 * row lives until eight more deltas have been made. */
static void
delta_make(struct source_delta *d, int64_t id, int64_t from, int64_t to,
    int64_t lines)
{
	static struct source_row	 ring[8];
	static unsigned			 next;
	static char			 path[] = "/x";
	struct source_row		*r = &ring[next++ % 8];

	memset(r, 0, sizeof(*r));
	r->id = id;
	r->kind = SOURCE_FILE;
	r->path = path;
	r->format = MTA_POSTFIX;
	r->dev = 1;
	r->ino = 2;
	memcpy(r->head, "head", 4);
	r->headlen = 4;
	r->offset = to;
	r->state = SOURCE_ACTIVE;
	memset(d, 0, sizeof(*d));
	d->row = r;
	d->old_offset = from;
	d->lines = lines;
}

START_TEST(test_schema)
{
	struct store	*s;
	const char	*cause = NULL;
	char		 buf[64];

	s = store_open(dbpath, &cause);
	ck_assert_msg(s != NULL, "open: %s", cause);
	store_close(s);
	ck_assert_int_eq(q_int("PRAGMA user_version"), 6);
	ck_assert_int_eq(q_int("PRAGMA application_id"), 1397577817);
	ck_assert_str_eq(q_text("PRAGMA journal_mode", buf, sizeof(buf)),
	    "wal");
	ck_assert_int_eq(q_int("SELECT count(*) FROM sqlite_schema WHERE "
	    "name IN ('count_hour', 'count_day', 'source', 'lines_hour', "
	    "'reason', 'outcome', 'domain', 'host', 'meta', 'total_hour', "
	    "'total_day', 'domain_month', 'domain_total', 'delay_hour', "
	    "'delay_total')"), 15);
	/* Opening again neither fails nor migrates again. */
	s = store_open(dbpath, &cause);
	ck_assert_msg(s != NULL, "reopen: %s", cause);
	store_close(s);
	ck_assert_int_eq(q_int("PRAGMA user_version"), 6);
}
END_TEST

START_TEST(test_upsert)
{
	struct store		*s;
	struct tally		*t = tally_new(100);
	struct source_delta	 d;
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
		ck_assert_msg(store_commit_sources(s, t, &d, 1, 1000, &cause) == 0,
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

/* Delays go into the histograms in the counts' transaction: buckets
 * worked out by hand from delay.h's bounds (le, in ms: 1 10 100 500 1000
 * 5000 10000 30000 60000 300000 900000 1800000 3600000 14400000 86400000
 * 172800000, then +Inf = bucket 16). */
START_TEST(test_delays)
{
	struct store		*s;
	struct tally		*t = tally_new(100);
	struct source_delta	 d;
	struct event		 ev;
	const char		*cause;
	int64_t			 id;
	static const struct {
		int64_t	 total;
		int32_t	 a, b, c, d;
	} v[] = {
		{ 520, 100, 10, 200, 210 },	/* buckets 4; 2, 1, 3, 3 */
		{ 500, 0, 1, 2, 497 },		/* 3; 0, 0, 1, 3 */
		{ 86400000, 86399000, 500, 250, 250 },	/* 14; 14, 3, 3, 3 */
		{ 172800001, -1, 172800001, -1, 1000 },	/* 16; -, 16, -, 4 */
	};
	size_t			 i;

	ck_assert_ptr_nonnull(s = store_open(dbpath, &cause));
	id = file_add(s, "/x");
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		ev_make(&ev, 7200 + (int64_t)i, "D.example", 250, NULL);
		ev.delay_ms = v[i].total;
		ev.stage_ms[0] = v[i].a;
		ev.stage_ms[1] = v[i].b;
		ev.stage_ms[2] = v[i].c;
		ev.stage_ms[3] = v[i].d;
		ck_assert_int_eq(tally_add(t, &ev, id), TALLY_OK);
	}
	/* A bounce's delay is class 5's; a filter hop has none. */
	ev_make(&ev, 7300, "D.example", 550, "no such user");
	ev.delay_ms = 3000;
	ck_assert_int_eq(tally_add(t, &ev, id), TALLY_OK);
	ev_make(&ev, 7300, "D.example", 250, NULL);
	ev.hop = HOP_FILTER;
	ev.delay_ms = 3000;
	ck_assert_int_eq(tally_add(t, &ev, id), TALLY_OK);

	/* A stale commit writes none of it. */
	delta_make(&d, id, 50, 100, 6);
	ck_assert_int_eq(store_commit_sources(s, t, &d, 1, 1000, &cause),
	    STORE_STALE);
	ck_assert_int_eq(q_int("SELECT count(*) FROM delay_hour"), 0);
	delta_make(&d, id, 0, 100, 6);
	ck_assert_msg(store_commit_sources(s, t, &d, 1, 1000, &cause) == 0,
	    "%s", cause);
	store_close(s);
	tally_free(t);

#define DH(stage, b) q_int("SELECT coalesce(sum(n), 0) FROM delay_hour " \
	"WHERE class = 2 AND stage = '" stage "' AND bucket = " #b)
	ck_assert_int_eq(DH("total", 4), 1);
	ck_assert_int_eq(DH("total", 3), 1);
	ck_assert_int_eq(DH("total", 14), 1);
	ck_assert_int_eq(DH("total", 16), 1);
	ck_assert_int_eq(DH("a", 2), 1);
	ck_assert_int_eq(DH("a", 0), 1);
	ck_assert_int_eq(DH("a", 14), 1);
	ck_assert_int_eq(DH("b", 1), 1);
	ck_assert_int_eq(DH("b", 0), 1);
	ck_assert_int_eq(DH("b", 3), 1);
	ck_assert_int_eq(DH("b", 16), 1);
	ck_assert_int_eq(DH("c", 3), 2);
	ck_assert_int_eq(DH("c", 1), 1);
	ck_assert_int_eq(DH("d", 3), 3);
	ck_assert_int_eq(DH("d", 4), 1);
#undef DH
	/* 4 totals, 3 a, 4 b, 3 c, 4 d of class 2; one total of class 5 */
	ck_assert_int_eq(q_int("SELECT sum(n) FROM delay_hour WHERE "
	    "class = 2"), 18);
	ck_assert_int_eq(q_int("SELECT sum(n) FROM delay_hour WHERE "
	    "class = 5 AND stage = 'total' AND bucket = 5"), 1);
	ck_assert_int_eq(q_int("SELECT sum(n) FROM delay_hour"), 19);
	/* sums: 520 + 500 + 86400000 + 172800001 */
	ck_assert_int_eq(q_int("SELECT sum(ms) FROM delay_hour WHERE "
	    "class = 2 AND stage = 'total'"), 259201021);
	ck_assert_int_eq(q_int("SELECT sum(ms) FROM delay_hour WHERE "
	    "stage = 'd'"), 210 + 497 + 250 + 1000);
	/* the total table is the same without hour and domain */
	ck_assert_int_eq(q_int("SELECT sum(n) FROM delay_total"), 19);
	ck_assert_int_eq(q_int("SELECT sum(ms) FROM delay_total WHERE "
	    "stage = 'total' AND class = 2"), 259201021);
	ck_assert_int_eq(q_int("SELECT count(DISTINCT hour) FROM "
	    "delay_hour"), 1);
	/* a domain has its whole delay; the stages are all domains' (0) */
	ck_assert_int_eq(q_int("SELECT count(DISTINCT domain) FROM "
	    "delay_hour WHERE stage = 'total' AND domain <> 0"), 1);
	ck_assert_int_eq(q_int("SELECT count(*) FROM delay_hour WHERE "
	    "stage = 'total' AND domain = 0"), 0);
	ck_assert_int_eq(q_int("SELECT count(*) FROM delay_hour WHERE "
	    "stage <> 'total' AND domain <> 0"), 0);
}
END_TEST

START_TEST(test_cas)
{
	struct store		*s;
	struct tally		*t = tally_new(100);
	struct source_delta	 d[2];
	struct event		 ev;
	const char		*cause = NULL;
	int64_t			 id, id2;

	ck_assert_ptr_nonnull(s = store_open(dbpath, &cause));
	id = file_add(s, "/x");
	id2 = file_add(s, "/y");
	ev_make(&ev, 3600, "a.example", 250, NULL);
	ck_assert_int_eq(tally_add(t, &ev, id), TALLY_OK);
	delta_make(&d[0], id, 0, 100, 1);
	ck_assert_int_eq(store_commit_sources(s, t, d, 1, 1, &cause), 0);
	tally_clear(t);

	/* The same batch again: the stored offset is 100, not 0. */
	ev_make(&ev, 3600, "new.example", 250, NULL);
	ck_assert_int_eq(tally_add(t, &ev, id), TALLY_OK);
	delta_make(&d[0], id2, 0, 50, 1);	/* fine on its own */
	delta_make(&d[1], id, 0, 100, 1);	/* stale */
	ck_assert_int_eq(store_commit_sources(s, t, d, 2, 2, &cause), STORE_STALE);
	ck_assert_ptr_nonnull(strstr(cause, "stale"));
	/* A row that does not exist is refused the same way. */
	delta_make(&d[0], 999, 0, 10, 1);
	ck_assert_int_eq(store_commit_sources(s, t, d, 1, 2, &cause), STORE_STALE);
	/* After failures the connection still commits (id cache dropped). */
	delta_make(&d[0], id, 100, 200, 1);
	ck_assert_msg(store_commit_sources(s, t, d, 1, 3, &cause) == 0, "%s", cause);
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
	struct source_delta	 d;
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
	ck_assert_int_eq(store_commit_sources(s, t, &d, 1, 1, &cause), STORE_STALE);
	store_close(s);
	tally_free(t);
	ck_assert_int_eq(q_int("SELECT count(*) FROM count_hour"), 0);
	ck_assert_int_eq(q_int("SELECT count(*) FROM lines_hour"), 0);
	ck_assert_int_eq(q_int("SELECT count(*) FROM reason"), 2);
	ck_assert_int_eq(q_int("SELECT count(*) FROM outcome"), 0);
	ck_assert_int_eq(q_int("SELECT count(*) FROM domain"), 0);
	ck_assert_int_eq(q_int("SELECT count(*) FROM host"), 0);
	ck_assert_int_eq(q_int("SELECT offset FROM source"), 0);
}
END_TEST

/* Open a second connection with the hour functions (st_hours_*). */
static sqlite3 *
q_open(void)
{
	sqlite3	*db;

	ck_assert_int_eq(sqlite3_open(dbpath, &db), SQLITE_OK);
	ck_assert_int_eq(hours_sql_register(db), SQLITE_OK);
	return db;
}

/* One integer from a query that may use the hour functions. */
static int64_t
q_hint(const char *sql)
{
	sqlite3		*db = q_open();
	sqlite3_stmt	*st;
	int64_t		 v = -1;

	ck_assert_msg(sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK,
	    "%s: %s", sql, sqlite3_errmsg(db));
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

/* Maintenance steps until there is nothing left to do; how many. */
static int
maintain_all(struct store *s, int hour_days, int keep_days)
{
	struct store_policy	 p = { hour_days, keep_days, 500 };
	const char		*cause;
	int			 r, n = 0;

	while ((r = store_maintain(s, &p, &cause)) == 1)
		n++;
	ck_assert_msg(r == 0, "maintain: %s", cause);
	return n;
}

/* 100 days, hour k getting (k % 5) + 1 events, on b.example for even k
 * and a.example for odd k; returns the total. */
static int64_t
hundred_days(struct store *s, int64_t id)
{
	struct tally		*t = tally_new(10000);
	struct source_delta	 d;
	struct event		 ev;
	const char		*cause;
	int64_t			 k, j, total = 0;

	for (k = 0; k < 100 * 24; k++) {
		for (j = 0; j < (k % 5) + 1; j++) {
			ev_make(&ev, k * 3600 + j, k % 2 ? "a.example" :
			    "b.example", 250, NULL);
			ck_assert_int_eq(tally_add(t, &ev, id), TALLY_OK);
			total++;
		}
	}
	delta_make(&d, id, 0, 1, total);
	ck_assert_int_eq(store_commit_sources(s, t, &d, 1, 1, &cause), 0);
	tally_free(t);
	return total;
}

/* Hours of days before yesterday (of the newest data, day 99) fold into
 * day rows that keep every hour: nothing lost, each hour where it was. */
START_TEST(test_fold)
{
	struct store	*s;
	sqlite3		*db;
	sqlite3_stmt	*st;
	struct hours	 h;
	const char	*cause;
	int64_t		 total, id, day, dom, k;
	int		 rows = 0, i;

	ck_assert_ptr_nonnull(s = store_open(dbpath, &cause));
	id = file_add(s, "/x");
	total = hundred_days(s, id);
	ck_assert_int_gt(maintain_all(s, 0, 0), 1);	/* in steps */
	store_close(s);
	ck_assert_int_eq(q_int("SELECT (SELECT sum(n) FROM count_hour) + "
	    "(SELECT sum(n) FROM count_day)"), total);
	ck_assert_int_eq(q_int("SELECT min(hour) FROM count_hour"),
	    98 * 86400);
	ck_assert_int_eq(q_int("SELECT max(day) FROM count_day"), 97 * 86400);
	ck_assert_int_eq(q_int("SELECT count(*) FROM count_day"), 98 * 2);
	ck_assert_int_eq(q_int("SELECT count(*) FROM count_day WHERE "
	    "hours IS NULL"), 0);
	/* Every hour of every folded row, against the test's arithmetic. */
	db = q_open();
	ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT c.day, c.domain, "
	    "c.n, c.hours FROM count_day AS c ORDER BY 1, 2", -1, &st, NULL),
	    SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW) {
		day = sqlite3_column_int64(st, 0);
		dom = sqlite3_column_int64(st, 1);	/* 1 = a, 2 = b? */
		ck_assert_int_eq(hours_unpack(sqlite3_column_blob(st, 3),
		    (size_t)sqlite3_column_bytes(st, 3), &h), 0);
		ck_assert_uint_eq(hours_total(&h),
		    (uint64_t)sqlite3_column_int64(st, 2));
		for (i = 0; i < 24; i++) {
			k = day / 3600 + i;
			/* a.example got odd hours k; its id is whichever
			 * domain the first commit met first: hour 0, b. */
			if ((k % 2 == 1) == (dom == 2))
				ck_assert_uint_eq(h.n[i], (uint64_t)(k % 5) + 1);
			else
				ck_assert_uint_eq(h.n[i], 0);
		}
		rows++;
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	ck_assert_int_eq(rows, 98 * 2);
	ck_assert_int_eq(q_int("SELECT id FROM domain WHERE "
	    "name = 'b.example'"), 1);
	/* A range inside a folded day: hours 5..9 of day 3, both domains:
	 * sum of (k % 5) + 1 for k = 77..81 = 3 + 4 + 5 + 1 + 2 = 15. */
	ck_assert_int_eq(q_hint("SELECT sum(st_hours_in(hours, day, n, "
	    "3 * 86400 + 5 * 3600, 3 * 86400 + 10 * 3600, 0, 0)) FROM "
	    "count_day"), 15);
	/* Lines committed after the fold, for a folded day, merge into its
	 * rows at the next fold. */
	ck_assert_ptr_nonnull(s = store_open(dbpath, &cause));
	{
		struct tally		*t = tally_new(100);
		struct source_delta	 d;
		struct event		 ev;

		ev_make(&ev, 3 * 86400 + 5 * 3600, "b.example", 250, NULL);
		ck_assert_int_eq(tally_add(t, &ev, id), TALLY_OK);
		delta_make(&d, id, 1, 2, 1);
		ck_assert_int_eq(store_commit_sources(s, t, &d, 1, 2, &cause), 0);
		tally_free(t);
	}
	ck_assert_int_eq(q_int("SELECT count(*) FROM count_hour WHERE "
	    "hour < 98 * 86400"), 1);
	ck_assert_int_eq(maintain_all(s, 0, 0), 1);
	store_close(s);
	ck_assert_int_eq(q_int("SELECT count(*) FROM count_hour WHERE "
	    "hour < 98 * 86400"), 0);
	ck_assert_int_eq(q_int("SELECT count(*) FROM count_day"), 98 * 2);
	ck_assert_int_eq(q_hint("SELECT sum(st_hours_in(hours, day, n, "
	    "3 * 86400 + 5 * 3600, 3 * 86400 + 6 * 3600, 0, 0)) FROM "
	    "count_day"), 3 + 1);
	ck_assert_int_eq(q_int("SELECT sum(n) FROM total_hour"), total + 1);
}
END_TEST

/* Retention from the newest data: hours past hour_days leave the day
 * rows (their totals move to total_day), days past keep_days leave every
 * table, the roll-ups by subtraction. */
START_TEST(test_retention)
{
	struct store	*s;
	const char	*cause;
	int64_t		 total, id, k, kept = 0, keptb = 0;

	ck_assert_ptr_nonnull(s = store_open(dbpath, &cause));
	id = file_add(s, "/x");
	total = hundred_days(s, id);
	(void)maintain_all(s, 10, 30);
	store_close(s);
	/* keep_days 30 from day 99: days 69.. stay. */
	for (k = 69 * 24; k < 100 * 24; k++) {
		kept += (k % 5) + 1;
		if (k % 2 == 0)
			keptb += (k % 5) + 1;
	}
	ck_assert_int_lt(kept, total);
	ck_assert_int_eq(q_int("SELECT (SELECT sum(n) FROM count_hour) + "
	    "(SELECT sum(n) FROM count_day)"), kept);
	ck_assert_int_eq(q_int("SELECT min(day) FROM count_day"), 69 * 86400);
	/* The domain roll-ups hold folded days; the hours left in
	 * count_hour make up the rest. */
	ck_assert_int_eq(q_int("SELECT sum(n) FROM domain_total") +
	    q_int("SELECT coalesce(sum(n), 0) FROM count_hour"), kept);
	ck_assert_int_eq(q_int("SELECT sum(n) FROM domain_month") +
	    q_int("SELECT coalesce(sum(n), 0) FROM count_hour"), kept);
	ck_assert_int_eq(q_int("SELECT sum(c.n) FROM domain_total AS c JOIN "
	    "domain AS d ON d.id = c.domain WHERE d.name = 'b.example'") +
	    q_int("SELECT coalesce(sum(c.n), 0) FROM count_hour AS c JOIN "
	    "domain AS d ON d.id = c.domain WHERE d.name = 'b.example'"),
	    keptb);
	ck_assert_int_eq(q_int("SELECT count(*) FROM domain_month WHERE "
	    "n = 0"), 0);
	ck_assert_int_eq(q_int("SELECT (SELECT sum(n) FROM total_hour) + "
	    "(SELECT sum(n) FROM total_day)"), kept);
	/* hour_days 10 from day 99: days before 89 keep their day only. */
	ck_assert_int_eq(q_int("SELECT min(hour) FROM total_hour"), 89 * 86400);
	ck_assert_int_eq(q_int("SELECT min(day) FROM total_day"), 69 * 86400);
	ck_assert_int_eq(q_int("SELECT max(day) FROM total_day"), 88 * 86400);
	ck_assert_int_eq(q_int("SELECT count(*) FROM count_day WHERE "
	    "day < 89 * 86400 AND hours IS NOT NULL"), 0);
	ck_assert_int_eq(q_int("SELECT count(*) FROM count_day WHERE "
	    "day >= 89 * 86400 AND hours IS NULL"), 0);
	ck_assert_int_eq(q_int("SELECT min(hour) FROM lines_hour"), 69 * 86400);
}
END_TEST

/* Random events over five months in many commits; sums[0] = all,
 * [1] sent, [2] deferred, [3] bounced or rejected, [4] class 4, each for
 * kind attempt. */
static void
rollup_fill(struct store *s, int64_t id, int64_t *off, int64_t sums[5])
{
	static const char *const doms[] = { "a.example", "b.example",
	    "c.example", "d.example", "e.example" };
	static const char *const enh[] = { "", "2.0.0", "4.7.1", "5.1.1" };
	static const int replies[] = { 0, 250, 421, 451, 550, 554 };
	struct tally		*t;
	struct source_delta	 d;
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
			    (x >> 9) % 3 ? "said: 550 no such user" : NULL);
			ev.status = (x >> 14) % 5;	/* sent .. rejected */
			ev.direction = (x >> 17) % 2 ? DIR_OUT : DIR_IN;
			ev.kind = (x >> 18) % 4 == 0 ? KIND_SKIP : KIND_ATTEMPT;
			ev.mta = (x >> 20) % 2 ? MTA_EXIM : MTA_POSTFIX;
			snprintf(ev.enhanced, sizeof(ev.enhanced), "%s",
			    enh[(x >> 21) % 4]);
			snprintf(ev.host, sizeof(ev.host), "mx%u",
			    (x >> 23) % 3);
			ck_assert_int_eq(tally_add(t, &ev, id), TALLY_OK);
			if (ev.kind != KIND_ATTEMPT)
				continue;
			sums[0]++;
			if (ev.status == STATUS_SENT)
				sums[1]++;
			else if (ev.status == STATUS_DEFERRED)
				sums[2]++;
			else if (ev.status == STATUS_BOUNCED ||
			    ev.status == STATUS_REJECTED)
				sums[3]++;
			/* The class rule of DESIGN.md, written out again. */
			cls = ev.reply != 0 ? ev.reply / 100 :
			    ev.enhanced[0] != '\0' ? ev.enhanced[0] - '0' :
			    ev.status == STATUS_SENT ? 2 :
			    ev.status == STATUS_DEFERRED ? 4 : 5;
			if (cls == 4)
				sums[4]++;
		}
		delta_make(&d, id, *off, *off + 1, n);
		ck_assert_msg(store_commit_sources(s, t, &d, 1, 1, &cause) == 0, "%s",
		    cause);
		(*off)++;
		tally_free(t);
	}
}

/* Every roll-up against the test's own sums, and against the count
 * tables key for key (the two are written by different code: the count
 * upserts and the commit's in-memory roll-up sums), before and after the
 * fold and the retention. */
static void
rollups_check(const int64_t sums[5])
{
	static const char *const attempt = " JOIN outcome AS o ON "
	    "o.id = c.outcome WHERE o.kind = 'attempt'";
	char	 sql[1024];

	snprintf(sql, sizeof sql, "SELECT (SELECT sum(c.n) FROM total_hour "
	    "AS c%s) + coalesce((SELECT sum(c.n) FROM total_day AS c%s), 0)",
	    attempt, attempt);
	ck_assert_int_eq(q_int(sql), sums[0]);
	/* The domain roll-ups hold folded days: with the hours still in
	 * count_hour they make the test's sums. */
	snprintf(sql, sizeof sql, "SELECT coalesce((SELECT sum(c.n) FROM "
	    "domain_month AS c%s), 0) + coalesce((SELECT sum(c.n) FROM "
	    "count_hour AS c%s), 0)", attempt, attempt);
	ck_assert_int_eq(q_int(sql), sums[0]);
	snprintf(sql, sizeof sql, "SELECT coalesce((SELECT sum(c.n) FROM "
	    "domain_total AS c%s AND o.split = 0), 0) + coalesce((SELECT "
	    "sum(c.n) FROM count_hour AS c%s AND o.split = 0), 0)", attempt,
	    attempt);
	ck_assert_int_eq(q_int(sql), sums[1]);
	snprintf(sql, sizeof sql, "SELECT coalesce((SELECT sum(c.n) FROM "
	    "domain_month AS c%s AND o.split = 1), 0) + coalesce((SELECT "
	    "sum(c.n) FROM count_hour AS c%s AND o.split = 1), 0)", attempt,
	    attempt);
	ck_assert_int_eq(q_int(sql), sums[2]);
	snprintf(sql, sizeof sql, "SELECT coalesce((SELECT sum(c.n) FROM "
	    "domain_total AS c%s AND o.split = 2), 0) + coalesce((SELECT "
	    "sum(c.n) FROM count_hour AS c%s AND o.split = 2), 0)", attempt,
	    attempt);
	ck_assert_int_eq(q_int(sql), sums[3]);
	snprintf(sql, sizeof sql, "SELECT coalesce((SELECT sum(c.n) FROM "
	    "domain_month AS c%s AND o.class = 4), 0) + coalesce((SELECT "
	    "sum(c.n) FROM count_hour AS c%s AND o.class = 4), 0)", attempt,
	    attempt);
	ck_assert_int_eq(q_int(sql), sums[4]);
	/* Key for key: total_hour = the count tables by hour. */
	ck_assert_int_eq(q_hint("SELECT count(*) FROM (SELECT hour, host, "
	    "outcome, reason, sum(n) FROM (SELECT hour, host, outcome, reason, "
	    "n FROM count_hour UNION ALL SELECT c.day + z.h * 3600, c.host, "
	    "c.outcome, c.reason, st_hour_n(c.hours, z.h) FROM count_day AS c, "
	    "(SELECT column1 AS h FROM (VALUES (0), (1), (2), (3), (4), (5), "
	    "(6), (7), (8), (9), (10), (11), (12), (13), (14), (15), (16), "
	    "(17), (18), (19), (20), (21), (22), (23))) AS z "
	    "WHERE c.hours IS NOT NULL) WHERE n > 0 GROUP BY 1, 2, 3, 4 "
	    "EXCEPT SELECT * FROM total_hour)"), 0);
	ck_assert_int_eq(q_int("SELECT count(*) FROM total_hour"), q_hint(
	    "SELECT count(*) FROM (SELECT DISTINCT hour, host, outcome, reason "
	    "FROM (SELECT hour, host, outcome, reason FROM count_hour UNION "
	    "ALL SELECT c.day + z.h * 3600, c.host, c.outcome, c.reason FROM "
	    "count_day AS c, (SELECT column1 AS h FROM (VALUES (0), (1), (2), "
	    "(3), (4), (5), (6), (7), (8), (9), (10), (11), (12), (13), (14), "
	    "(15), (16), (17), (18), (19), (20), (21), (22), (23))) AS z WHERE "
	    "st_hour_n(c.hours, z.h) > 0))"));
	/* domain_month = the folded days by domain and month, both ways. */
	ck_assert_int_eq(q_int("SELECT count(*) FROM (SELECT domain, "
	    "CAST(strftime('%s', day, 'unixepoch', 'start of month') AS "
	    "INTEGER), outcome, reason, sum(n) FROM count_day "
	    "GROUP BY 1, 2, 3, 4 EXCEPT SELECT * FROM domain_month)"), 0);
	ck_assert_int_eq(q_int("SELECT count(*) FROM (SELECT * FROM "
	    "domain_month WHERE n > 0 EXCEPT SELECT domain, "
	    "CAST(strftime('%s', day, 'unixepoch', 'start of month') AS "
	    "INTEGER), outcome, reason, sum(n) FROM count_day "
	    "GROUP BY 1, 2, 3, 4)"), 0);
	ck_assert_int_eq(q_int("SELECT count(*) FROM (SELECT domain, outcome, "
	    "reason, sum(n) FROM domain_month GROUP BY 1, 2, 3 EXCEPT "
	    "SELECT * FROM domain_total)"), 0);
}

START_TEST(test_rollups)
{
	struct store	*s;
	const char	*cause;
	int64_t		 id, off = 0, sums[5] = { 0, 0, 0, 0, 0 };

	ck_assert_ptr_nonnull(s = store_open(dbpath, &cause));
	id = file_add(s, "/x");
	rollup_fill(s, id, &off, sums);
	rollups_check(sums);
	(void)maintain_all(s, 0, 0);
	ck_assert_int_gt(q_int("SELECT count(*) FROM count_day"), 0);
	rollups_check(sums);
	store_close(s);
	ck_assert_int_gt(q_int("SELECT count(*) FROM reason WHERE id > 2"), 0);
	ck_assert_int_eq(q_int("SELECT count(DISTINCT class) FROM outcome"), 3);
}
END_TEST

/* Load the schema of release f753601 (version 2) and rows whose sums
 * the test knows, for the migration tests. */
static void
v2_database(void)
{
	char		 path[512], *sql;
	const char	*top = getenv("top_srcdir");
	sqlite3		*db;
	FILE		*f;
	long		 len;
	char		*err = NULL;

	snprintf(path, sizeof path, "%s/tests/data/schema-2.sql",
	    top != NULL ? top : ".");
	ck_assert_ptr_nonnull(f = fopen(path, "r"));
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	ck_assert_ptr_nonnull(sql = calloc(1, (size_t)len + 1));
	ck_assert_int_eq(fread(sql, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	ck_assert_int_eq(sqlite3_open(dbpath, &db), SQLITE_OK);
	ck_assert_msg(sqlite3_exec(db, sql, NULL, NULL, &err) == SQLITE_OK,
	    "%s", err);
	free(sql);
	/* Day 1795910400 (2026-11-29) and one day before: gmail.com (1)
	 * got 5 sent at 10:00 and 3 + 2 greylisted (451 4.7.1) at 10:00
	 * and 11:00; the day's texts: 4 "greylisted", 2 "try later" (one
	 * more than the failures: an old retention's leftover).  example.net
	 * (2) 7 bounces (550 5.1.1) kept only by day, the day before, all
	 * with the text "no such user".  Roll-ups as schema 2 built them. */
	ck_assert_msg(sqlite3_exec(db,
	    "INSERT INTO domain VALUES (1, 'gmail.com'), (2, 'example.net');"
	    "INSERT INTO host VALUES (1, 'mx1');"
	    "INSERT INTO count_hour VALUES "
	    "(1795946400, 1, 1, 'postfix', 'out', 'attempt', 'sent', 250,"
	    " '2.0.0', 5),"
	    "(1795946400, 1, 1, 'postfix', 'out', 'attempt', 'deferred', 451,"
	    " '4.7.1', 3),"
	    "(1795950000, 1, 1, 'postfix', 'out', 'attempt', 'deferred', 451,"
	    " '4.7.1', 2);"
	    "INSERT INTO count_day VALUES (1795824000, 2, 1, 'exim', 'out',"
	    " 'attempt', 'bounced', 550, '5.1.1', 7);"
	    "INSERT INTO reason_day VALUES "
	    "(1795910400, 1, 'out', 451, '4.7.1', 'greylisted', 4),"
	    "(1795910400, 1, 'out', 451, '4.7.1', 'try later', 2),"
	    "(1795824000, 2, 'out', 550, '5.1.1', 'no such user', 7);"
	    "INSERT INTO file VALUES (1, '/var/log/mail.log', 'postfix', 3, 4,"
	    " x'4e6f76', 4096, 30, 1, 0, 0, 'active', 0, 1795950000);"
	    "INSERT INTO lines_hour VALUES (1795946400, 1, 'event', 8);"
	    "INSERT INTO total_hour SELECT hour, host, mta, direction, kind,"
	    " status, reply, enhanced, sum(n) FROM count_hour"
	    " GROUP BY 1, 2, 3, 4, 5, 6, 7, 8;"
	    "INSERT INTO total_day SELECT day, host, mta, direction, kind,"
	    " status, reply, enhanced, sum(n) FROM count_day"
	    " GROUP BY 1, 2, 3, 4, 5, 6, 7, 8;",
	    NULL, NULL, &err) == SQLITE_OK, "%s", err);
	sqlite3_close(db);
}

/* A database of schema 2, as release f753601 wrote it, migrates to the
 * current version with every count, its hour or day, and each day's text
 * totals kept. */
START_TEST(test_migrate_v2)
{
	struct store	*s;
	const char	*cause;

	v2_database();
	s = store_open(dbpath, &cause);
	ck_assert_msg(s != NULL, "open: %s", cause);
	store_close(s);
	ck_assert_int_eq(q_int("PRAGMA user_version"), 6);
	ck_assert_int_eq(q_int("SELECT sum(n) FROM count_hour"), 10);
	ck_assert_int_eq(q_int("SELECT sum(n) FROM count_day"), 7);
	ck_assert_int_eq(q_int("SELECT count(*) FROM count_day WHERE "
	    "hours IS NOT NULL"), 0);
	/* Hours and statuses as they were. */
	ck_assert_int_eq(q_int("SELECT sum(c.n) FROM count_hour AS c JOIN "
	    "outcome AS o ON o.id = c.outcome WHERE c.hour = 1795946400 AND "
	    "o.status = 'deferred' AND o.reply = 451 AND "
	    "o.enhanced = '4.7.1' AND o.class = 4 AND o.hop = 'remote'"), 3);
	ck_assert_int_eq(q_int("SELECT sum(c.n) FROM count_hour AS c JOIN "
	    "outcome AS o ON o.id = c.outcome WHERE c.hour = 1795946400 AND "
	    "o.status = 'sent' AND o.class = 2 AND o.split = 0"), 5);
	/* The failures (5 of them) carry the day's texts in time order:
	 * "greylisted" (4) first, then "try later" (the 1 left); the sent
	 * ones carry none. */
	ck_assert_int_eq(q_int("SELECT sum(c.n) FROM count_hour AS c JOIN "
	    "reason AS r ON r.id = c.reason WHERE r.text = 'greylisted'"), 4);
	ck_assert_int_eq(q_int("SELECT sum(c.n) FROM count_hour AS c JOIN "
	    "reason AS r ON r.id = c.reason WHERE r.text = 'try later'"), 1);
	ck_assert_int_eq(q_int("SELECT sum(c.n) FROM count_hour AS c JOIN "
	    "reason AS r ON r.id = c.reason WHERE r.text = 'try later' AND "
	    "c.hour = 1795950000"), 1);
	ck_assert_int_eq(q_int("SELECT sum(n) FROM count_hour WHERE "
	    "reason = 1"), 5);
	ck_assert_int_eq(q_int("SELECT sum(c.n) FROM count_day AS c JOIN "
	    "reason AS r ON r.id = c.reason WHERE r.text = 'no such user' AND "
	    "c.day = 1795824000"), 7);
	/* Roll-ups rebuilt; sources and lines kept. */
	ck_assert_int_eq(q_int("SELECT sum(n) FROM total_hour"), 10);
	ck_assert_int_eq(q_int("SELECT sum(n) FROM total_day"), 7);
	/* Folded days only: 7 of the 17 (10 are hour rows). */
	ck_assert_int_eq(q_int("SELECT sum(n) FROM domain_total"), 7);
	ck_assert_int_eq(q_int("SELECT sum(n) FROM domain_month WHERE "
	    "month = 1793491200"), 7);	/* 2026-11-01 */
	ck_assert_int_eq(q_int("SELECT offset FROM source WHERE "
	    "path = '/var/log/mail.log'"), 4096);
	ck_assert_int_eq(q_int("SELECT n FROM lines_hour WHERE "
	    "source = 1"), 8);
	ck_assert_int_eq(q_int("SELECT count(*) FROM sqlite_schema WHERE "
	    "name IN ('reason_day', 'file')"), 0);
}
END_TEST

/* A migrated database has the same tables and columns, in the same
 * order, as one created new. */
START_TEST(test_migrate_shape)
{
	static const char shape[] = "SELECT group_concat(x, ' ') FROM "
	    "(SELECT m.name || '.' || p.name || ':' || p.type || ':' || "
	    "p.\"notnull\" || ':' || p.pk AS x FROM sqlite_schema AS m, "
	    "pragma_table_info(m.name) AS p WHERE m.type = 'table' "
	    "ORDER BY m.name, p.cid)";
	struct store	*s;
	const char	*cause;
	char		 fresh[8192], migrated[8192];

	ck_assert_ptr_nonnull(s = store_open(dbpath, &cause));
	store_close(s);
	q_text(shape, fresh, sizeof(fresh));
	ck_assert_ptr_nonnull(strstr(fresh, "count_day.hours:BLOB:0:0"));
	ck_assert_int_eq(unlink(dbpath), 0);
	v2_database();
	ck_assert_ptr_nonnull(s = store_open(dbpath, &cause));
	store_close(s);
	q_text(shape, migrated, sizeof(migrated));
	ck_assert_str_eq(migrated, fresh);
}
END_TEST

/* The reason table is bounded: past it, new texts count as "(other)";
 * texts already stored keep their id; every count is kept. */
START_TEST(test_reason_cap)
{
	struct store		*s;
	struct tally		*t = tally_new(1000);
	struct source_delta	 d;
	struct event		 ev;
	const char		*cause;
	char			 text[64];
	int64_t			 id;
	int			 i, batch;

	ck_assert_ptr_nonnull(s = store_open(dbpath, &cause));
	store_set_max_reasons(s, 10);	/* ids 1 and 2 are fixed: 8 texts */
	id = file_add(s, "/x");
	/* 6 texts in one commit, 6 more and 2 old ones in a second. */
	for (batch = 0, i = 0; batch < 2; batch++) {
		for (; i < (batch == 0 ? 6 : 12); i++) {
			snprintf(text, sizeof(text), "550 mailbox %c%c is "
			    "unavailable", 'a' + i / 26 % 26, 'a' + i % 26);
			ev_make(&ev, 86400 + i, "cap.example", 550, text);
			ck_assert_int_eq(tally_add(t, &ev, id), TALLY_OK);
		}
		if (batch == 1) {
			ev_make(&ev, 86400, "cap.example", 550,
			    "550 mailbox aa is unavailable");
			ck_assert_int_eq(tally_add(t, &ev, id), TALLY_OK);
			ck_assert_int_eq(tally_add(t, &ev, id), TALLY_OK);
		}
		delta_make(&d, id, batch, batch + 1, 1);
		ck_assert_msg(store_commit_sources(s, t, &d, 1, 1, &cause) == 0, "%s",
		    cause);
		tally_clear(t);
	}
	store_close(s);
	tally_free(t);
	ck_assert_int_eq(q_int("SELECT count(*) FROM reason"), 10);
	ck_assert_int_eq(q_int("SELECT sum(n) FROM count_hour WHERE "
	    "reason = 2"), 4);
	ck_assert_int_eq(q_int("SELECT sum(c.n) FROM count_hour AS c JOIN "
	    "reason AS r ON r.id = c.reason WHERE r.text = "
	    "'mailbox aa is unavailable'"), 3);
	ck_assert_int_eq(q_int("SELECT sum(n) FROM count_hour"), 14);
}
END_TEST

/* A classifier of the test's own: 5xx replies are "user_unknown", the
 * rest "other"; the version tells which rules made a verdict. */
static int	verdict_version;
static int	verdict_calls;

static void
verdict_test(void *arg, const struct store_outcome *o, const char *text,
    const char *provider, struct store_verdict *v)
{
	(void)arg;
	verdict_calls++;
	snprintf(v->category, sizeof v->category, "%s", o->reply / 100 == 5 ?
	    "user_unknown" : "other");
	snprintf(v->blame, sizeof v->blame, "%s", provider);
	snprintf(v->detail, sizeof v->detail, "%s", text);
	snprintf(v->rule, sizeof v->rule, "v%d", verdict_version);
}

/* The provider of a domain is learned from the first next hop that
 * names one ("google" for *.google.com). */
static const char *
provider_test(void *arg, const char *domain, const char *relay)
{
	(void)arg;
	(void)domain;
	return strstr(relay, "google.com") != NULL ? "google" : "";
}

/* Every combination committed gets a verdict once; a provider learned
 * later gives the domain's past combinations theirs; new rules are
 * applied to every stored verdict by maintenance. */
START_TEST(test_verdicts)
{
	struct store		*s;
	struct tally		*t = tally_new(100);
	struct source_delta	 d;
	struct event		 ev;
	const char		*cause;
	int64_t			 id;

	ck_assert_ptr_nonnull(s = store_open(dbpath, &cause));
	store_set_provider(s, provider_test, NULL);
	verdict_version = 1;
	store_set_verdicts(s, verdict_test, NULL, 1);
	id = file_add(s, "/x");
	ev_make(&ev, 3600, "g.example", 550, "5.1.1 no such user");
	ck_assert_int_eq(tally_add(t, &ev, id), TALLY_OK);
	ck_assert_int_eq(tally_add(t, &ev, id), TALLY_OK);
	ev_make(&ev, 3600, "g.example", 250, NULL);
	ck_assert_int_eq(tally_add(t, &ev, id), TALLY_OK);
	delta_make(&d, id, 0, 1, 3);
	ck_assert_int_eq(store_commit_sources(s, t, &d, 1, 1, &cause), 0);
	tally_clear(t);
	ck_assert_int_eq(verdict_calls, 2);
	ck_assert_int_eq(q_int("SELECT count(*) FROM verdict WHERE "
	    "provider = ''"), 2);
	ck_assert_int_eq(q_int("SELECT count(*) FROM verdict WHERE "
	    "category = 'user_unknown' AND detail = 'no such user'"), 1);

	/* A next hop names the provider: both old combinations get a
	 * verdict under it, and the new one too. */
	ev_make(&ev, 7200, "g.example", 451, "4.7.1 try later");
	ev.relay = "aspmx.l.google.com";
	ev.relaylen = strlen(ev.relay);
	ck_assert_int_eq(tally_add(t, &ev, id), TALLY_OK);
	delta_make(&d, id, 1, 2, 1);
	ck_assert_int_eq(store_commit_sources(s, t, &d, 1, 2, &cause), 0);
	tally_clear(t);
	ck_assert_int_eq(q_int("SELECT count(*) FROM domain WHERE "
	    "provider = 'google'"), 1);
	ck_assert_int_eq(q_int("SELECT count(*) FROM verdict WHERE "
	    "provider = 'google'"), 3);
	ck_assert_int_eq(verdict_calls, 5);

	/* New rules: maintenance recomputes every verdict. */
	verdict_version = 2;
	store_set_verdicts(s, verdict_test, NULL, 2);
	(void)maintain_all(s, 0, 0);
	ck_assert_int_eq(q_int("SELECT count(*) FROM verdict WHERE "
	    "rule = 'v2' AND rules = 2"), 5);
	ck_assert_int_eq(verdict_calls, 10);
	store_close(s);

	/* Counts committed without a classifier (a tool) get their
	 * verdicts when a store with one opens the database next; a store
	 * that finds nothing to fill does not look again. */
	ck_assert_ptr_nonnull(s = store_open(dbpath, &cause));
	ev_make(&ev, 10800, "n.example", 550, "5.1.1 mailbox gone away");
	ck_assert_int_eq(tally_add(t, &ev, id), TALLY_OK);
	delta_make(&d, id, 2, 3, 1);
	ck_assert_int_eq(store_commit_sources(s, t, &d, 1, 3, &cause), 0);
	tally_clear(t);
	store_close(s);
	ck_assert_int_eq(q_int("SELECT count(*) FROM verdict"), 5);
	ck_assert_int_eq(q_int("SELECT count(*) FROM meta WHERE "
	    "key = 'verdicts_missing'"), 1);
	ck_assert_ptr_nonnull(s = store_open(dbpath, &cause));
	store_set_verdicts(s, verdict_test, NULL, 2);
	(void)maintain_all(s, 0, 0);
	store_close(s);
	ck_assert_int_eq(q_int("SELECT count(*) FROM verdict"), 6);
	ck_assert_int_eq(q_int("SELECT count(*) FROM verdict AS v JOIN "
	    "reason AS r ON r.id = v.reason WHERE r.text = "
	    "'mailbox gone away'"), 1);
	ck_assert_int_eq(q_int("SELECT count(*) FROM meta WHERE "
	    "key = 'verdicts_missing'"), 0);
	tally_free(t);
}
END_TEST

/* A provider learned late finds the domain's combinations in every hour
 * count_hour holds, whichever other domains the hours between have (the
 * store walks the hours rather than scanning the table). */
START_TEST(test_verdicts_hours)
{
	static const struct {
		int64_t		 hour;
		const char	*dom;
		int		 reply;
		const char	*text;
	} rows[] = {
		{ 0, "g.example", 550, "5.1.1 no such user" },
		{ 1, "a.example", 550, "5.1.1 no such user" },
		{ 2, "b.example", 451, "4.7.1 try later" },
		{ 5, "g.example", 552, "5.2.2 mailbox full" },
		{ 5, "a.example", 250, NULL },
		{ 7, "b.example", 554, "5.7.1 go away" },
		{ 9, "g.example", 451, "4.7.1 greylisted" },
		{ 9, "g.example", 550, "5.1.1 no such user" },
		{ 9, "z.example", 550, "5.1.1 no such user" },
	};
	struct store		*s;
	struct tally		*t = tally_new(100);
	struct source_delta	 d;
	struct event		 ev;
	const char		*cause;
	int64_t			 id;
	size_t			 i;

	ck_assert_ptr_nonnull(s = store_open(dbpath, &cause));
	store_set_provider(s, provider_test, NULL);
	verdict_version = 1;
	store_set_verdicts(s, verdict_test, NULL, 1);
	id = file_add(s, "/x");
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		ev_make(&ev, 1795910400 + rows[i].hour * 3600, rows[i].dom,
		    rows[i].reply, rows[i].text);
		ck_assert_int_eq(tally_add(t, &ev, id), TALLY_OK);
		delta_make(&d, id, (int64_t)i, (int64_t)i + 1, 1);
		ck_assert_int_eq(store_commit_sources(s, t, &d, 1,
		    (int64_t)i + 1, &cause), 0);
		tally_clear(t);
	}
	ck_assert_int_eq(q_int("SELECT count(DISTINCT hour) FROM count_hour"),
	    6);
	/* g.example's three combinations, from hours 0, 5 and 9, get a
	 * verdict under google; the new one (250 at hour 10) too. */
	ev_make(&ev, 1795910400 + 10 * 3600, "g.example", 250, NULL);
	ev.relay = "aspmx.l.google.com";
	ev.relaylen = strlen(ev.relay);
	ck_assert_int_eq(tally_add(t, &ev, id), TALLY_OK);
	delta_make(&d, id, 9, 10, 1);
	ck_assert_int_eq(store_commit_sources(s, t, &d, 1, 10, &cause), 0);
	tally_clear(t);
	ck_assert_int_eq(q_int("SELECT count(*) FROM verdict WHERE "
	    "provider = 'google'"), 4);
	ck_assert_int_eq(q_int("SELECT count(*) FROM verdict AS v JOIN "
	    "reason AS r ON r.id = v.reason WHERE v.provider = 'google' AND "
	    "r.text IN ('no such user', 'mailbox full', 'greylisted')"), 3);
	store_close(s);
	tally_free(t);
}
END_TEST

START_TEST(test_lock)
{
	struct store	*s, *s2;
	const char	*cause = NULL;
	char		 want[4200], alias[256], *real;

	ck_assert_ptr_nonnull(s = store_open(dbpath, &cause));
	s2 = store_open(dbpath, &cause);
	ck_assert_ptr_null(s2);
	snprintf(want, sizeof(want), "another smtptallyd (pid %ld) holds "
	    "%s.lock; stop it or use another --db", (long)getpid(), dbpath);
	ck_assert_str_eq(cause, want);
	/* Another name of the same file (issue 12 item 13): a symlink to
	 * it and one to its directory find the same lock, named after
	 * the file's real path (realpath(3) of the name the first was
	 * given); before the fix they took locks of their own. */
	ck_assert_ptr_nonnull(real = realpath(dbpath, NULL));
	snprintf(want, sizeof(want), "another smtptallyd (pid %ld) holds "
	    "%s.lock; stop it or use another --db", (long)getpid(), real);
	free(real);
	snprintf(alias, sizeof(alias), "%s/alias.db", dir);
	ck_assert_int_eq(symlink(dbpath, alias), 0);
	ck_assert_ptr_null(s2 = store_open(alias, &cause));
	ck_assert_str_eq(cause, want);
	snprintf(alias, sizeof(alias), "%s/dirlink", dir);
	ck_assert_int_eq(symlink(dir, alias), 0);
	snprintf(alias, sizeof(alias), "%s/dirlink/t.db", dir);
	ck_assert_ptr_null(s2 = store_open(alias, &cause));
	ck_assert_str_eq(cause, want);
	store_close(s);
	/* Released on close. */
	ck_assert_ptr_nonnull(s = store_open(dbpath, &cause));
	store_close(s);
	/* A dangling link at the database's name: SQLite would create its
	 * target under a name no lock covers. */
	snprintf(alias, sizeof(alias), "%s/dangling.db", dir);
	ck_assert_int_eq(symlink("nowhere.db", alias), 0);
	ck_assert_ptr_null(s = store_open(alias, &cause));
	ck_assert_msg(strstr(cause, "a symbolic link to nothing") != NULL,
	    "%s", cause);
	snprintf(alias, sizeof(alias), "%s/nowhere.db", dir);
	ck_assert_int_eq(access(alias, F_OK), -1);
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
	(void)file_add(s, "/old");		/* id 1 */
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
	tcase_add_test(tc, test_delays);
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
	tcase_add_test(tc, test_migrate_shape);
	tcase_add_test(tc, test_fold);
	tcase_add_test(tc, test_verdicts);
	tcase_add_test(tc, test_verdicts_hours);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
