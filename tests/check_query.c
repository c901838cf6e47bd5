/*
 * check_query: parameters -> SQL -> JSON, against a database this test
 * fills itself.  The expected counts are the test's own arithmetic over
 * the rows it inserted (with its own copy of the class rule from issue 4),
 * never a value read back through query.c.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sqlite3.h>

#include "event.h"
#include "query.h"
#include "store.h"
#include "tally.h"

#define T0	1795910400LL	/* 2026-11-29T00:00:00Z (date -u -d) */
#define HOURS	72		/* hour rows: T0 .. T0 + 71h */
#define DAYS	10		/* day rows: the 10 days before T0 */
#define NOW	(T0 + HOURS * 3600)

struct row {
	int64_t		 t;		/* bucket start */
	int		 day;		/* 1 = count_day */
	int		 domain;	/* 1..3 */
	const char	*status;
	int		 reply;
	const char	*enhanced;
	const char	*kind;
	int64_t		 n;
};

static const char *const domains[] = { NULL, "gmail.com", "example.org",
    "o'brien.example" };

/* Outcomes to draw from: status, reply, enhanced. */
static const struct {
	const char	*status;
	int		 reply;
	const char	*enhanced;
} outcomes[] = {
	{ "sent", 250, "2.0.0" },
	{ "sent", 0, "" },		/* local delivery: class from status */
	{ "deferred", 421, "4.7.0" },
	{ "deferred", 0, "4.4.1" },	/* no reply: class from enhanced */
	{ "deferred", 0, "" },		/* nothing said: class from status */
	{ "bounced", 550, "5.1.1" },
	{ "bounced", 0, "" },
	{ "expired", 0, "" },
};
#define NOUT	(sizeof outcomes / sizeof outcomes[0])

static struct row	*rows;
static size_t		 nrows;
static char		 dir[64], dbpath[128];

/* The class rule as issue 4 states it. */
static int
class_of(const struct row *r)
{
	if (r->reply != 0)
		return r->reply / 100;
	if (r->enhanced[0] != '\0')
		return r->enhanced[0] - '0';
	if (strcmp(r->status, "sent") == 0)
		return 2;
	if (strcmp(r->status, "deferred") == 0)
		return 4;
	return 5;
}

/* A small deterministic generator, so failures are reproducible. */
static uint32_t
rnd(void)
{
	static uint32_t	 x = 2463534242u;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return x;
}

/*
 * The databases are written the way the daemon writes them: events into a
 * tally, committed through the store, then the store's maintenance (fold
 * and retention), so the queries meet folded days and days kept only by
 * day as the daemon leaves them.
 */
struct fixture {
	struct store	*s;
	struct tally	*t;
	int64_t		 now;
};

/* The fixture's classifier: the category by class, as the test can
 * count it; gmail.com is Google's. */
static void
fx_verdict(void *arg, const struct store_outcome *o, const char *text,
    const char *provider, struct store_verdict *v)
{
	(void)arg;
	(void)text;
	switch (event_class(o->reply, o->enhanced, o->status)) {
	case 2:
		snprintf(v->category, sizeof v->category, "delivered");
		break;
	case 4:
		snprintf(v->category, sizeof v->category, "greylisted");
		break;
	default:
		snprintf(v->category, sizeof v->category, "user_unknown");
		break;
	}
	snprintf(v->blame, sizeof v->blame, "%s", *provider != '\0' ?
	    "remote" : "recipient");
	snprintf(v->detail, sizeof v->detail, "test");
}

static const char *
fx_provider(void *arg, const char *domain, const char *relay)
{
	(void)arg;
	(void)relay;
	return strcmp(domain, "gmail.com") == 0 ? "google" : "";
}

/* Open the store; the first commit inserts the one source row. */
static void
fx_open(struct fixture *fx, const char *path)
{
	static char		 spath[] = "/nonexistent/mail.log";
	struct source_row	 row;
	struct source_delta	 d;
	const char		*cause;

	ck_assert_ptr_nonnull(fx->s = store_open(path, &cause));
	ck_assert_ptr_nonnull(fx->t = tally_new(50000));
	store_set_provider(fx->s, fx_provider, NULL);
	store_set_verdicts(fx->s, fx_verdict, NULL, 1);
	memset(&row, 0, sizeof row);
	memset(&d, 0, sizeof d);
	row.id = store_next_id(fx->s);
	row.path = spath;
	row.format = MTA_POSTFIX;
	row.dev = 1;
	row.ino = 2;
	row.offset = 100;
	row.lost = 5;
	row.state = SOURCE_ACTIVE;
	d.row = &row;
	d.insert = 1;
	d.lines = 7;
	d.unrecognised = 2;
	d.long_lines = 1;
	ck_assert_msg(store_commit_sources(fx->s, fx->t, &d, 1, 1795917600,
	    &cause) == 0, "%s", cause);
}

/* Commit what the tally holds. */
static void
fx_commit(struct fixture *fx)
{
	const char	*cause;

	ck_assert_msg(store_commit_sources(fx->s, fx->t, NULL, 0, 1795917600,
	    &cause) == 0, "%s", cause);
	tally_clear(fx->t);
}

/* Count n events of one kind (committing whenever the tally is full). */
static void
fx_add(struct fixture *fx, const struct event *ev, int64_t n)
{
	int	 r;

	while (n-- > 0) {
		if ((r = tally_add(fx->t, ev, 1)) == TALLY_FULL) {
			fx_commit(fx);
			r = tally_add(fx->t, ev, 1);
		}
		ck_assert_int_eq(r, TALLY_OK);
	}
}

/* The last commit, the maintenance the daemon would run, close. */
static void
fx_close(struct fixture *fx, int hour_days)
{
	struct store_policy	 p = { hour_days, 0, 0 };
	const char		*cause;
	int			 r;

	fx_commit(fx);
	while ((r = store_maintain(fx->s, &p, &cause)) == 1)
		;
	ck_assert_msg(r == 0, "%s", cause);
	tally_free(fx->t);
	store_close(fx->s);
}

/* An event as the parser would give it. */
static void
fx_event(struct event *ev, int64_t t, const char *domain, const char *host,
    const char *status, int reply, const char *enhanced, const char *kind,
    const char *direction, const char *text)
{
	memset(ev, 0, sizeof *ev);
	ev->time = t;
	ev->mta = MTA_POSTFIX;
	ev->direction = (enum direction)event_direction_from_name(direction);
	ev->kind = (enum kind)event_kind_from_name(kind);
	ev->status = (enum status)event_status_from_name(status);
	ev->hop = HOP_REMOTE;
	ev->reply = reply;
	snprintf(ev->enhanced, sizeof ev->enhanced, "%s", enhanced);
	snprintf(ev->domain, sizeof ev->domain, "%s", domain);
	snprintf(ev->host, sizeof ev->host, "%s", host);
	ev->text = text;
	ev->textlen = text != NULL ? strlen(text) : 0;
	/* as the parser gives a line without delays */
	ev->delay_ms = EVENT_DELAY_NONE;
	ev->stage_ms[0] = ev->stage_ms[1] = ev->stage_ms[2] =
	    ev->stage_ms[3] = EVENT_DELAY_NONE;
}

/* The text the fixture gives a row: example.org's 550s and 421s. */
static const char *
row_text(const struct row *r)
{
	if (r->domain != 2)
		return NULL;
	return r->reply == 550 ? "user unknown" : r->reply == 421 ?
	    "try later" : NULL;
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

/* Fill a fresh database: hour rows, day rows (days before T0, kept only
 * by day), skips, reasons, and two unrecognised lines. */
static void
setup(void)
{
	struct fixture	 fx;
	struct event	 ev;
	struct row	*r;
	size_t		 cap = 8192, o;
	int		 h, dom;

	snprintf(dir, sizeof dir, "%s/check_query.XXXXXX", scratch_tmp());
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(dbpath, sizeof dbpath, "%s/db", dir);
	rows = calloc(cap, sizeof *rows);
	nrows = 0;
	for (h = -DAYS; h < HOURS; h++) {
		for (dom = 1; dom <= 3; dom++) {
			for (o = 0; o < NOUT; o++) {
				if (rnd() % 3 == 0)
					continue;
				r = &rows[nrows++];
				r->day = h < 0;
				r->t = h < 0 ? T0 + (int64_t)h * 86400 :
				    T0 + (int64_t)h * 3600;
				r->domain = dom;
				r->status = outcomes[o].status;
				r->reply = outcomes[o].reply;
				r->enhanced = outcomes[o].enhanced;
				r->kind = rnd() % 10 == 0 ? "skip" :
				    "attempt";
				r->n = 1 + rnd() % 100;
			}
		}
	}
	ck_assert_uint_lt(nrows, cap);
	fx_open(&fx, dbpath);
	for (o = 0; o < nrows; o++) {
		r = &rows[o];
		fx_event(&ev, r->t, domains[r->domain], "mx1", r->status,
		    r->reply, r->enhanced, r->kind, "out", row_text(r));
		fx_add(&fx, &ev, r->n);
	}
	ck_assert_int_eq(tally_add_line(fx.t, T0, 1, TALLY_LINE_UNRECOGNISED),
	    TALLY_OK);
	ck_assert_int_eq(tally_add_line(fx.t, T0, 1, TALLY_LINE_UNRECOGNISED),
	    TALLY_OK);
	/* The newest data is T0 + 71 h, on day T0 + 2 d: days before T0
	 * keep their day only, day T0 is folded with its hours. */
	fx_close(&fx, 2);
}

static void
teardown(void)
{
	char	 p[160];

	free(rows);
	/* Everything the store made beside the database: -wal, -shm and
	 * its lock file. */
	snprintf(p, sizeof p, "rm -rf '%s'", dir);
	(void)system(p);
}

/* Run one request with parameters "k=v" pairs; returns the result. */
static void
run(const char *path, const char *const *kv, struct query_result *r)
{
	struct query		*q;
	struct query_limits	 l = { 0 };
	struct query_param	 p[QUERY_PARAMS_MAX + 4];
	char			 buf[QUERY_PARAMS_MAX + 4][600], *eq;
	size_t			 n = 0;

	for (; kv != NULL && *kv != NULL; kv++, n++) {
		snprintf(buf[n], sizeof buf[n], "%s", *kv);
		eq = strchr(buf[n], '=');
		*eq = '\0';
		p[n].key = buf[n];
		p[n].value = eq + 1;
	}
	l.max_rows = 1000;
	q = query_new(dbpath, &l);
	query_run(q, path, p, n, NOW, r);
	query_free(q);
}

/* Expected sum over rows in [since, until), kind attempt, a filter. */
static int64_t
expect(int64_t since, int64_t until, int domain, int class)
{
	int64_t	 sum = 0, start;
	size_t	 i;

	for (i = 0; i < nrows; i++) {
		start = rows[i].day ? since - since % 86400 :
		    since - since % 3600;
		if (rows[i].t < start || rows[i].t >= until)
			continue;
		if (strcmp(rows[i].kind, "attempt") != 0)
			continue;
		if (domain && rows[i].domain != domain)
			continue;
		if (class && class_of(&rows[i]) != class)
			continue;
		sum += rows[i].n;
	}
	return sum;
}

/* Find the count of the row whose keys match, in a summary answer. */
static int64_t
count_where(json_t *j, const char *k1, const char *v1, const char *k2,
    const char *v2)
{
	json_t	*row;
	size_t	 i;

	json_array_foreach(json_object_get(j, "rows"), i, row) {
		if (k1 && strcmp(json_string_value(json_object_get(row, k1)),
		    v1) != 0)
			continue;
		if (k2 && strcmp(json_string_value(json_object_get(row, k2)),
		    v2) != 0)
			continue;
		return json_integer_value(json_object_get(row, "count"));
	}
	return 0;
}

START_TEST(summary_all)
{
	struct query_result	 r;
	const char		*kv[] = { "by=class", NULL };
	char			 cl[8];
	int			 c;

	run("/v1/summary", kv, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_int_eq(json_integer_value(json_object_get(r.json, "total")),
	    expect(0, QUERY_UNTIL_MAX, 0, 0));
	ck_assert(json_is_null(json_object_get(r.json, "since")));
	for (c = 2; c <= 5; c += c == 2 ? 2 : 1) {
		snprintf(cl, sizeof cl, "%dxx", c);
		ck_assert_int_eq(count_where(r.json, "class", cl, NULL, NULL),
		    expect(0, QUERY_UNTIL_MAX, 0, c));
	}
	query_result_clear(&r);
}
END_TEST

/* Ranges that cut hours, cross the hour/day boundary, or hold nothing. */
static const struct {
	const char	*since, *until;
	int64_t		 s, u;
} ranges[] = {
	{ "since=2026-11-29T00:00:00Z", "until=2026-11-30T00:00:00Z",
	    T0, T0 + 86400 },
	{ "since=2026-11-29T05:30:00Z", "until=2026-11-29T07:00:00Z",
	    T0 + 5 * 3600 + 1800, T0 + 7 * 3600 },
	{ "since=2026-11-25T00:00:00Z", "until=2026-11-29T12:00:00Z",
	    T0 - 4 * 86400, T0 + 12 * 3600 },
	{ "since=24h", "until=now", NOW - 86400, NOW },
	{ "since=1795910400", "until=1795914000", T0, T0 + 3600 },
	{ "since=2030-01-01", "until=2031-01-01", 1893456000LL,
	    1924992000LL },
};

START_TEST(summary_range)
{
	struct query_result	 r;
	const char		*kv[] = { ranges[_i].since, ranges[_i].until,
				    "by=domain,class", NULL };
	int			 d, c;
	char			 cl[8];

	run("/v1/summary", kv, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_int_eq(json_integer_value(json_object_get(r.json, "total")),
	    expect(ranges[_i].s, ranges[_i].u, 0, 0));
	for (d = 1; d <= 3; d++)
		for (c = 2; c <= 5; c++) {
			snprintf(cl, sizeof cl, "%dxx", c);
			ck_assert_int_eq(count_where(r.json, "domain",
			    domains[d], "class", cl), expect(ranges[_i].s,
			    ranges[_i].u, d, c));
		}
	query_result_clear(&r);
}
END_TEST

START_TEST(summary_filters)
{
	struct query_result	 r;
	const char		*kv[] = { "domain=o'brien.example", "class=4xx",
				    NULL };
	const char		*kv2[] = { "domain=nosuch.example", NULL };
	const char		*kv3[] = { "kind=skip", "by=kind", NULL };
	json_t			*row;
	int64_t			 skips = 0;
	size_t			 i;

	run("/v1/summary", kv, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_int_eq(json_integer_value(json_object_get(r.json, "total")),
	    expect(0, QUERY_UNTIL_MAX, 3, 4));
	query_result_clear(&r);

	run("/v1/summary", kv2, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_int_eq(json_integer_value(json_object_get(r.json, "total")),
	    0);
	query_result_clear(&r);

	for (i = 0; i < nrows; i++)
		if (strcmp(rows[i].kind, "skip") == 0)
			skips += rows[i].n;
	run("/v1/summary", kv3, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_int_eq(json_integer_value(json_object_get(r.json, "total")),
	    skips);
	row = json_array_get(json_object_get(r.json, "rows"), 0);
	ck_assert_str_eq(json_string_value(json_object_get(row, "kind")),
	    "skip");
	query_result_clear(&r);
}
END_TEST

/* D5: a range not on whole hours says which hours were read. */
START_TEST(rounded)
{
	struct query_result	 r;
	char			 s1[64], u1[64];
	const char		*kv[] = { s1, u1, NULL };
	const char		*kv2[] = { "since=2026-11-29T01:00:00Z", NULL };
	json_t			*o;

	/* T0 + 30 min to T0 + 90 min reads the hours T0 and T0 + 1 h. */
	snprintf(s1, sizeof s1, "since=%lld", (long long)T0 + 1800);
	snprintf(u1, sizeof u1, "until=%lld", (long long)T0 + 5400);
	run("/v1/summary", kv, &r);
	ck_assert_int_eq(r.status, 200);
	o = json_object_get(r.json, "rounded");
	ck_assert_ptr_nonnull(o);
	ck_assert_str_eq(json_string_value(json_object_get(o, "since")),
	    "2026-11-29T00:00:00Z");
	ck_assert_str_eq(json_string_value(json_object_get(o, "until")),
	    "2026-11-29T02:00:00Z");
	query_result_clear(&r);
	run("/v1/summary", kv2, &r);
	ck_assert_ptr_null(json_object_get(r.json, "rounded"));
	query_result_clear(&r);

	/* D13: 01:00-02:00 of a day whose counts are known by the day only
	 * reads the whole day, and says so. */
	snprintf(s1, sizeof s1, "since=%lld", (long long)T0 - 86400 + 3600);
	snprintf(u1, sizeof u1, "until=%lld", (long long)T0 - 86400 + 7200);
	run("/v1/summary", kv, &r);
	ck_assert_int_eq(r.status, 200);
	o = json_object_get(r.json, "rounded");
	ck_assert_ptr_nonnull(o);
	ck_assert_str_eq(json_string_value(json_object_get(o, "since")),
	    "2026-11-28T00:00:00Z");
	ck_assert_str_eq(json_string_value(json_object_get(o, "until")),
	    "2026-11-29T00:00:00Z");
	ck_assert(json_is_true(json_object_get(o, "days")));
	ck_assert_int_eq(json_integer_value(json_object_get(r.json, "total")),
	    expect(T0 - 86400 + 3600, T0 - 86400 + 7200, 0, 0));
	query_result_clear(&r);
}
END_TEST

/* D14: a domain as users type it, any case and a trailing dot; D3:
 * direction=all is both directions (no condition). */
START_TEST(names_as_typed)
{
	struct query_result	 r;
	const char		*kv[] = { "domain=O'Brien.EXAMPLE.", NULL };
	const char		*kv2[] = { "direction=all", NULL };
	const char		*kv3[] = { "direction=sideways", NULL };

	run("/v1/summary", kv, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_int_eq(json_integer_value(json_object_get(r.json, "total")),
	    expect(0, QUERY_UNTIL_MAX, 3, 0));
	ck_assert_int_gt(expect(0, QUERY_UNTIL_MAX, 3, 0), 0);
	query_result_clear(&r);
	run("/v1/summary", kv2, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_int_eq(json_integer_value(json_object_get(r.json, "total")),
	    expect(0, QUERY_UNTIL_MAX, 0, 0));
	query_result_clear(&r);
	run("/v1/summary", kv3, &r);
	ck_assert_int_eq(r.status, 400);
	query_result_clear(&r);
}
END_TEST

/* by=day adds hour rows into their day and keeps day rows whole. */
START_TEST(summary_by_day)
{
	struct query_result	 r;
	const char		*kv[] = { "by=day", NULL };
	json_t			*row;
	size_t			 i, k;
	int64_t			 want, day;
	char			 when[32];

	run("/v1/summary", kv, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_uint_eq(json_array_size(json_object_get(r.json, "rows")),
	    DAYS + HOURS / 24);
	json_array_foreach(json_object_get(r.json, "rows"), i, row) {
		day = T0 - (int64_t)DAYS * 86400 + (int64_t)i * 86400;
		want = 0;
		for (k = 0; k < nrows; k++)
			if (rows[k].t - rows[k].t % 86400 == day &&
			    strcmp(rows[k].kind, "attempt") == 0)
				want += rows[k].n;
		/* Rows come in time order. */
		snprintf(when, sizeof when, "%s",
		    json_string_value(json_object_get(row, "day")));
		ck_assert_int_eq(json_integer_value(json_object_get(row,
		    "count")), want);
	}
	ck_assert_str_eq(when, "2026-12-01T00:00:00Z");
	query_result_clear(&r);
}
END_TEST

START_TEST(summary_top)
{
	struct query_result	 r;
	const char		*kv[] = { "by=domain", "top=2", NULL };

	run("/v1/summary", kv, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_uint_eq(json_array_size(json_object_get(r.json, "rows")), 2);
	ck_assert(json_is_true(json_object_get(r.json, "truncated")));
	ck_assert_int_eq(json_integer_value(json_object_get(r.json, "total")),
	    expect(0, QUERY_UNTIL_MAX, 0, 0));
	query_result_clear(&r);
}
END_TEST

/* max_rows caps an answer whatever top asks, at its exact edge: the
 * small database has 3 domains, so 2 rows is truncated and 3 is not;
 * the total is over every domain either way. */
START_TEST(summary_max_rows)
{
	struct query		*q;
	struct query_limits	 l = { 0 };
	struct query_param	 p[] = { { "by", "domain" }, { "top", "10" } };
	struct query_result	 r;
	int			 max;

	for (max = 2; max <= 3; max++) {
		l.max_rows = max;
		q = query_new(dbpath, &l);
		query_run(q, "/v1/summary", p, 2, NOW, &r);
		ck_assert_int_eq(r.status, 200);
		ck_assert_uint_eq(json_array_size(json_object_get(r.json,
		    "rows")), (size_t)max);
		ck_assert_int_eq(json_is_true(json_object_get(r.json,
		    "truncated")), max == 2);
		ck_assert_int_eq(json_integer_value(json_object_get(r.json,
		    "total")), expect(0, QUERY_UNTIL_MAX, 0, 0));
		query_result_clear(&r);
		query_free(q);
	}
}
END_TEST

START_TEST(domains_other)
{
	struct query_result	 r;
	const char		*kv[] = { "top=1", NULL };
	json_t			*rs, *last;
	int64_t			 sum = 0, a;
	size_t			 i;

	run("/v1/domains", kv, &r);
	ck_assert_int_eq(r.status, 200);
	rs = json_object_get(r.json, "rows");
	ck_assert_uint_eq(json_array_size(rs), 2);
	last = json_array_get(rs, 1);
	ck_assert(json_is_true(json_object_get(last, "other")));
	ck_assert_int_eq(json_integer_value(json_object_get(last, "domains")),
	    2);
	for (i = 0; i < 2; i++) {
		a = json_integer_value(json_object_get(json_array_get(rs, i),
		    "attempts"));
		sum += a;
	}
	ck_assert_int_eq(sum, expect(0, QUERY_UNTIL_MAX, 0, 0));
	/* The first row is the busiest domain by the test's own sums. */
	{
		int	 best = 1, d;

		for (d = 2; d <= 3; d++)
			if (expect(0, QUERY_UNTIL_MAX, d, 0) >
			    expect(0, QUERY_UNTIL_MAX, best, 0))
				best = d;
		ck_assert_str_eq(json_string_value(json_object_get(
		    json_array_get(rs, 0), "domain")), domains[best]);
	}
	query_result_clear(&r);
}
END_TEST

/* Sum of the rows with a text, kind attempt, at or after since (day rows
 * by their day), of one reply or any (0). */
static int64_t
expect_text(int64_t since, int reply)
{
	int64_t	 sum = 0, start;
	size_t	 i;

	for (i = 0; i < nrows; i++) {
		start = rows[i].day ? since - since % 86400 :
		    since - since % 3600;
		if (rows[i].t < start || row_text(&rows[i]) == NULL ||
		    strcmp(rows[i].kind, "attempt") != 0)
			continue;
		if (reply != 0 && rows[i].reply != reply)
			continue;
		sum += rows[i].n;
	}
	return sum;
}

START_TEST(reasons)
{
	struct query_result	 r;
	const char		*kv[] = { "domain=example.org", "class=5xx",
				    NULL };
	const char		*kv2[] = { "since=2026-11-30", NULL };
	const char		*kv3[] = { "domain=gmail.com", NULL };
	const char		*kv4[] = { "kind=skip", "reply=421", NULL };
	json_t			*row;
	int64_t			 skips = 0;
	size_t			 i;

	run("/v1/reasons", kv, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_uint_eq(json_array_size(json_object_get(r.json, "rows")), 1);
	row = json_array_get(json_object_get(r.json, "rows"), 0);
	ck_assert_int_eq(json_integer_value(json_object_get(row, "count")),
	    expect_text(0, 550));
	ck_assert_str_eq(json_string_value(json_object_get(row, "text")),
	    "user unknown");
	query_result_clear(&r);

	run("/v1/reasons", kv2, &r);
	ck_assert_int_eq(json_integer_value(json_object_get(r.json, "total")),
	    expect_text(T0 + 86400, 0));
	row = json_array_get(json_object_get(r.json, "rows"), 0);
	ck_assert_int_eq(json_integer_value(json_object_get(row, "reply")),
	    expect_text(T0 + 86400, 421) > expect_text(T0 + 86400, 550) ?
	    421 : 550);
	query_result_clear(&r);

	/* Every filter is honoured: no texts for gmail.com; the skips'. */
	run("/v1/reasons", kv3, &r);
	ck_assert_int_eq(json_integer_value(json_object_get(r.json, "total")),
	    0);
	query_result_clear(&r);
	for (i = 0; i < nrows; i++)
		if (row_text(&rows[i]) != NULL && rows[i].reply == 421 &&
		    strcmp(rows[i].kind, "skip") == 0)
			skips += rows[i].n;
	run("/v1/reasons", kv4, &r);
	ck_assert_int_eq(json_integer_value(json_object_get(r.json, "total")),
	    skips);
	query_result_clear(&r);
}
END_TEST

/* Categories, blame and providers: by and filters, against the test's
 * own sums (its classifier names the class; gmail.com is Google's). */
START_TEST(verdicts)
{
	struct query_result	 r;
	const char		*kv[] = { "by=category", NULL };
	const char		*kv2[] = { "by=provider,blame", NULL };
	const char		*kv3[] = { "category=greylisted",
				    "domain=example.org", NULL };
	const char		*kv4[] = { "provider=google", "by=class",
				    NULL };
	const char		*kv5[] = { "category=user_unknown", "top=5",
				    NULL };
	const char		*kv6[] = { "category=user_unknown", NULL };
	int64_t			 sum;
	size_t			 i;
	json_t			*row;

	run("/v1/summary", kv, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_int_eq(count_where(r.json, "category", "delivered", NULL,
	    NULL), expect(0, QUERY_UNTIL_MAX, 0, 2));
	ck_assert_int_eq(count_where(r.json, "category", "greylisted", NULL,
	    NULL), expect(0, QUERY_UNTIL_MAX, 0, 4));
	ck_assert_int_eq(count_where(r.json, "category", "user_unknown", NULL,
	    NULL), expect(0, QUERY_UNTIL_MAX, 0, 5));
	query_result_clear(&r);

	run("/v1/summary", kv2, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_int_eq(count_where(r.json, "provider", "google", "blame",
	    "remote"), expect(0, QUERY_UNTIL_MAX, 1, 0));
	ck_assert_int_eq(count_where(r.json, "provider", "other", "blame",
	    "recipient"), expect(0, QUERY_UNTIL_MAX, 2, 0) +
	    expect(0, QUERY_UNTIL_MAX, 3, 0));
	query_result_clear(&r);

	run("/v1/summary", kv3, &r);
	ck_assert_int_eq(json_integer_value(json_object_get(r.json, "total")),
	    expect(0, QUERY_UNTIL_MAX, 2, 4));
	query_result_clear(&r);

	run("/v1/summary", kv4, &r);
	ck_assert_int_eq(count_where(r.json, "class", "5xx", NULL, NULL),
	    expect(0, QUERY_UNTIL_MAX, 1, 5));
	query_result_clear(&r);

	run("/v1/domains", kv5, &r);
	ck_assert_int_eq(r.status, 200);
	sum = 0;
	json_array_foreach(json_object_get(r.json, "rows"), i, row)
		sum += json_integer_value(json_object_get(row, "attempts"));
	ck_assert_int_eq(sum, expect(0, QUERY_UNTIL_MAX, 0, 5));
	query_result_clear(&r);

	/* The reasons of one category carry it. */
	run("/v1/reasons", kv6, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_int_eq(json_integer_value(json_object_get(r.json, "total")),
	    expect_text(0, 550));
	row = json_array_get(json_object_get(r.json, "rows"), 0);
	ck_assert_str_eq(json_string_value(json_object_get(row, "category")),
	    "user_unknown");
	ck_assert_str_eq(json_string_value(json_object_get(row, "blame")),
	    "recipient");
	query_result_clear(&r);
}
END_TEST

START_TEST(status)
{
	struct query_result	 r;
	json_t			*f;

	run("/v1/status", NULL, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_int_eq(json_integer_value(json_object_get(r.json, "api")), 1);
	ck_assert_int_eq(json_integer_value(json_object_get(r.json,
	    "lines_total")), 7);
	ck_assert_int_eq(json_integer_value(json_object_get(r.json,
	    "unrecognised_total")), 2);
	ck_assert_str_eq(json_string_value(json_object_get(r.json,
	    "last_commit")), "2026-11-29T02:00:00Z");
	f = json_array_get(json_object_get(r.json, "files"), 0);
	ck_assert_int_eq(json_integer_value(json_object_get(f, "offset")), 100);
	ck_assert(json_is_null(json_object_get(f, "size")));
	query_result_clear(&r);
}
END_TEST

START_TEST(lines)
{
	struct query_result	 r;
	int64_t			 events = 0;
	size_t			 i;

	/* A line for every event, and the two unrecognised ones. */
	for (i = 0; i < nrows; i++)
		events += rows[i].n;
	run("/v1/lines", NULL, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_int_eq(json_integer_value(json_object_get(r.json, "total")),
	    events + 2);
	query_result_clear(&r);
}
END_TEST

START_TEST(metrics)
{
	struct query_result	 r;
	char			 want[128];

	run("/metrics", NULL, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_ptr_nonnull(r.text);
	ck_assert(strstr(r.text, "# TYPE smtptally_attempts_total counter\n")
	    != NULL);
	snprintf(want, sizeof want, "smtptally_domain_attempts_total{domain="
	    "\"o'brien.example\",class=\"5xx\"} %lld\n",
	    (long long)expect(0, QUERY_UNTIL_MAX, 3, 5));
	ck_assert_msg(strstr(r.text, want) != NULL, "missing %s", want);
	ck_assert(strstr(r.text, "smtptally_lines_total 7\n") != NULL);
	query_result_clear(&r);
}
END_TEST

/* Requests query.c must refuse, with the status it must use. */
static const struct {
	const char	*path;
	const char	*kv[4];
	int		 status;
} refused[] = {
	{ "/v1/nothing", { NULL }, 404 },
	{ "/v1/summary/", { NULL }, 404 },
	{ "/v1/summary", { "by=domain;DROP TABLE file", NULL }, 400 },
	{ "/v1/summary", { "by=class,class", NULL }, 400 },
	{ "/v1/summary", { "by=a,b,c,d,e", NULL }, 400 },
	{ "/v1/summary", { "by=class,reply,enhanced,domain,host", NULL },
	    400 },
	{ "/v1/summary", { "since=tomorrow", NULL }, 400 },
	{ "/v1/summary", { "since=1h", "until=2h", NULL }, 400 },
	{ "/v1/summary", { "reply=5500", NULL }, 400 },
	{ "/v1/summary", { "reply=199", NULL }, 400 },
	{ "/v1/summary", { "reply=25O", NULL }, 400 },
	{ "/v1/summary", { "class=3xx", NULL }, 400 },
	{ "/v1/summary", { "status=' OR 1=1 --", NULL }, 400 },
	{ "/v1/summary", { "enhanced=5.1.1'", NULL }, 400 },
	{ "/v1/summary", { "top=0", NULL }, 400 },
	{ "/v1/summary", { "top=-1", NULL }, 400 },
	{ "/v1/summary", { "domain=a", "domain=b", NULL }, 400 },
	{ "/v1/summary", { "unknown=1", NULL }, 400 },
	{ "/v1/status", { "since=1h", NULL }, 400 },
	{ "/v1/lines", { "domain=x", NULL }, 400 },
};

START_TEST(refuse)
{
	struct query_result	 r;

	run(refused[_i].path, refused[_i].kv, &r);
	ck_assert_int_eq(r.status, refused[_i].status);
	ck_assert(json_is_string(json_object_get(r.json, "error")));
	query_result_clear(&r);
}
END_TEST

/* Hostile values are bound, never spliced: they match nothing. */
static const char *const hostile[] = {
	"domain='; DROP TABLE count_hour; --",
	"domain=\" OR \"1\"=\"1",
	"domain=\xff\xfe\x80",
	"host=%00",
	"domain=gmail.com' OR '1'='1",
};

START_TEST(hostile_values)
{
	struct query_result	 r;
	const char		*kv[] = { hostile[_i], "by=domain", NULL };
	const char		*all[] = { NULL };

	run("/v1/summary", kv, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_int_eq(json_integer_value(json_object_get(r.json, "total")),
	    0);
	query_result_clear(&r);
	run("/v1/summary", all, &r);	/* the table is still there */
	ck_assert_int_eq(json_integer_value(json_object_get(r.json, "total")),
	    expect(0, QUERY_UNTIL_MAX, 0, 0));
	query_result_clear(&r);
}
END_TEST

START_TEST(sql_text)
{
	struct query_args	 a;
	struct query_param	 p[] = { { "domain", "evil'--" },
				    { "by", "hour,domain" } };
	char			 err[128], sql[4096];

	ck_assert_int_eq(query_args_parse(p, 2, NOW, QA_RANGE | QA_BY |
	    QA_FILTERS | QA_TOP, &a, err, sizeof err), 0);
	ck_assert_str_eq(a.kind, "attempt");
	ck_assert_int_eq(query_summary_sql(&a, sql, sizeof sql), 0);
	ck_assert(strstr(sql, "evil") == NULL);
	ck_assert(strstr(sql, ":domain") != NULL);
	ck_assert(strstr(sql, "count_day") != NULL);
	ck_assert(strstr(sql, "ORDER BY 1, ") != NULL);
	ck_assert_int_eq(query_summary_sql(&a, sql, 64), -1);
}
END_TEST

/*
 * The roll-ups must give exactly the count tables' answers.  A second
 * database: 60 domains, two hosts, both directions, every outcome, over
 * 14 months (day rows for the first 11, hour rows for the last 3, as the
 * retention leaves them), roll-ups written by the store's commits and
 * maintenance (fx_close).  For random ranges and requests, the answer
 * with the roll-ups must equal the answer with query_set_fast(q, 0), JSON
 * for JSON: two query paths agree; what the answers should be is the
 * small database's hand arithmetic (expect()).
 */
#define R_T0	1764547200LL	/* 2025-12-01T00:00:00Z */
#define R_DAYS	425		/* to 2027-01-30 */
#define R_HOURLY 90		/* last days kept hourly */
#define R_NDOM	60

static char	 rdir[64], rdbpath[128];

static void
rsetup(void)
{
	struct fixture	 fx;
	struct event	 ev;
	char		 dom[32];
	int		 day, h, k, d;
	int64_t		 t;
	size_t		 o;
	static const char *const dirs[] = { "out", "in" };
	static const char *const hosts[] = { "mx1", "mx2" };
	static const char *const kinds2[] = { "attempt", "attempt", "skip",
	    "final" };
	static const char *const texts[] = { NULL, "try later",
	    "user unknown" };

	snprintf(rdir, sizeof rdir, "%s/check_query.XXXXXX", scratch_tmp());
	ck_assert_ptr_nonnull(mkdtemp(rdir));
	snprintf(rdbpath, sizeof rdbpath, "%s/db", rdir);
	fx_open(&fx, rdbpath);
	for (day = 0; day < R_DAYS; day++) {
		for (h = 0; h < (day < R_DAYS - R_HOURLY ? 1 : 24); h++) {
			t = R_T0 + (int64_t)day * 86400 + h * 3600;
			for (k = 0; k < 12; k++) {
				if (rnd() % 4 == 0)
					continue;
				/* Zipf-like: low ids far more often. */
				d = 1 + (int)(rnd() % R_NDOM) * (int)(rnd() %
				    R_NDOM) / R_NDOM;
				snprintf(dom, sizeof dom, "d%02d.example", d);
				o = rnd() % NOUT;
				fx_event(&ev, t, dom, hosts[rnd() % 2],
				    outcomes[o].status, outcomes[o].reply,
				    outcomes[o].enhanced, kinds2[rnd() % 4],
				    dirs[rnd() % 2], outcomes[o].reply >= 400 ?
				    texts[rnd() % 3] : NULL);
				fx_add(&fx, &ev, 1 + rnd() % 20);
			}
		}
	}
	/* The older days keep their day only, as retention leaves them. */
	fx_close(&fx, R_HOURLY);
}

static void
rteardown(void)
{
	char	 p[160];

	snprintf(p, sizeof p, "rm -rf '%s'", rdir);
	(void)system(p);
}

/* A random time in (or just around) the data, any second. */
static int64_t
rtime(void)
{
	return R_T0 - 86400 * 3 + (int64_t)(rnd() % ((R_DAYS + 6) * 86400U));
}

START_TEST(fast_equals_slow)
{
	static const char *const variants[][3] = {
		{ "/v1/summary", "by=class", NULL },
		{ "/v1/summary", "by=reply,enhanced", NULL },
		{ "/v1/summary", "by=host,direction", "kind=skip" },
		{ "/v1/summary", "by=day,class", "direction=in" },
		{ "/v1/summary", "class=4xx", NULL },
		{ "/v1/summary", "by=status", "top=3" },
		{ "/v1/summary", "by=domain", "top=5" },
		{ "/v1/domains", "top=5", NULL },
		{ "/v1/domains", "top=3", "class=5xx" },
		{ "/v1/domains", "direction=out", "kind=final" },
		{ "/v1/domains", "domain=d03.example", NULL },
		{ "/v1/domains", "top=4", "status=deferred" },
		{ "/v1/summary", "by=hour,reply", "domain=d02.example" },
		{ "/v1/reasons", "top=5", NULL },
		{ "/v1/reasons", "reply=421", "host=mx2" },
		{ "/v1/summary", "by=category,blame", NULL },
		{ "/v1/summary", "by=provider", "category=greylisted" },
		{ "/v1/summary", "by=day,category", "kind=final" },
		{ "/v1/domains", "top=5", "category=user_unknown" },
		{ "/v1/reasons", "blame=recipient", NULL },
		{ "/v1/metrics", NULL, NULL },
	};
	struct query		*qf, *qs;
	struct query_limits	 l = { 0 };
	struct query_param	 p[4];
	struct query_result	 rf, rs;
	char			 b[4][64], *eq, *sf, *ss;
	int64_t			 t1, t2;
	size_t			 n, v, j;
	int			 i, fastok = 0;
	struct tm		 tm;
	time_t			 tt;

	l.max_rows = 1000;
	l.metrics_top = 7;
	l.time_ms = 60000;
	qf = query_new(rdbpath, &l);
	qs = query_new(rdbpath, &l);
	query_set_fast(qs, 0);
	for (i = 0; i < 400; i++) {
		v = (size_t)i % (sizeof variants / sizeof variants[0]);
		n = 0;
		t1 = rtime();
		t2 = rtime();
		if (t1 > t2) {
			t1 ^= t2;
			t2 ^= t1;
			t1 ^= t2;
		}
		if (t1 == t2)
			t2++;
		if (i % 7 != 3) {
			tt = (time_t)t1;
			gmtime_r(&tt, &tm);
			strftime(b[n], sizeof b[n], "since=%Y-%m-%dT%H:%M:%SZ",
			    &tm);
			n++;
		}
		if (i % 5 != 1) {
			tt = (time_t)t2;
			gmtime_r(&tt, &tm);
			strftime(b[n], sizeof b[n], "until=%Y-%m-%dT%H:%M:%SZ",
			    &tm);
			n++;
		}
		for (j = 1; j < 3; j++)
			if (variants[v][j] != NULL)
				snprintf(b[n++], sizeof b[0], "%s",
				    variants[v][j]);
		for (j = 0; j < n; j++) {
			eq = strchr(b[j], '=');
			*eq = '\0';
			p[j].key = b[j];
			p[j].value = eq + 1;
		}
		if (strcmp(variants[v][0], "/v1/metrics") == 0) {
			query_run(qf, "/metrics", NULL, 0, NOW, &rf);
			query_run(qs, "/metrics", NULL, 0, NOW, &rs);
			ck_assert_int_eq(rf.status, 200);
			ck_assert_int_eq(rs.status, 200);
			/* The database size line may differ: compare the
			 * count series only. */
			ck_assert_ptr_nonnull(strstr(rf.text,
			    "smtptally_domain_attempts_total{"));
			sf = strstr(rf.text, "smtptally_lines_total");
			ss = strstr(rs.text, "smtptally_lines_total");
			ck_assert_ptr_nonnull(sf);
			ck_assert_ptr_nonnull(ss);
			ck_assert_int_eq(sf - rf.text, ss - rs.text);
			ck_assert(memcmp(rf.text, rs.text,
			    (size_t)(sf - rf.text)) == 0);
		} else {
			query_run(qf, variants[v][0], p, n, NOW, &rf);
			query_run(qs, variants[v][0], p, n, NOW, &rs);
			ck_assert_int_eq(rf.status, 200);
			ck_assert_int_eq(rs.status, 200);
			sf = json_dumps(rf.json, JSON_SORT_KEYS);
			ss = json_dumps(rs.json, JSON_SORT_KEYS);
			ck_assert_msg(strcmp(sf, ss) == 0, "%s %s %s:\n"
			    "fast %s\nslow %s", variants[v][0], n > 0 ?
			    b[0] : "", n > 1 ? b[1] : "", sf, ss);
			if (json_integer_value(json_object_get(rs.json,
			    "total")) > 0)
				fastok++;
			free(sf);
			free(ss);
		}
		query_result_clear(&rf);
		query_result_clear(&rs);
	}
	/* Most answers were about real data, not empty ranges. */
	ck_assert_int_gt(fastok, 200);
	query_free(qf);
	query_free(qs);
}
END_TEST

START_TEST(no_database)
{
	struct query		*q;
	struct query_limits	 l = { 0 };
	struct query_result	 r;

	q = query_new("/nonexistent/db", &l);
	query_run(q, "/v1/summary", NULL, 0, NOW, &r);
	ck_assert_int_eq(r.status, 503);
	query_result_clear(&r);
	query_free(q);
	query_free(NULL);
}
END_TEST

/* A database of another schema version (1, the first release's) is
 * refused with a 503 that says so, not read with the wrong tables; the
 * same file at this version is answered. */
START_TEST(old_schema)
{
	struct query		*q;
	struct query_limits	 l = { 0 };
	struct query_result	 r;
	sqlite3			*db;
	static const char *const set[] = { "PRAGMA user_version = 1",
	    "PRAGMA user_version = 6" };
	size_t			 v;

	for (v = 0; v < 2; v++) {
		ck_assert_int_eq(sqlite3_open(dbpath, &db), SQLITE_OK);
		ck_assert_int_eq(sqlite3_exec(db, set[v], NULL, NULL, NULL),
		    SQLITE_OK);
		sqlite3_close(db);
		q = query_new(dbpath, &l);
		query_run(q, "/v1/summary", NULL, 0, NOW, &r);
		if (v == 0) {
			ck_assert_int_eq(r.status, 503);
			ck_assert_str_eq(json_string_value(json_object_get(
			    r.json, "error")),
			    "database schema version not supported");
		} else
			ck_assert_int_eq(r.status, 200);
		query_result_clear(&r);
		query_free(q);
	}
}
END_TEST

/*
 * Issue 9: deliveries only by default.  A database with 7 remote and 3
 * mailbox deliveries, 11 hops to a content filter and 2 discards (counts
 * chosen here): the views count 10 unless asked for a hop or grouped by
 * hop, and /metrics' attempt series 10.
 */
static void
hsetup(void)
{
	static const struct {
		enum hop	 hop;
		const char	*domain;
		int64_t		 n;
	} hops[] = {
		{ HOP_REMOTE, "gmail.com", 7 },
		{ HOP_MAILBOX, "example.org", 3 },
		{ HOP_FILTER, "gmail.com", 11 },
		{ HOP_DISCARD, "example.org", 2 },
	};
	struct fixture	 fx;
	struct event	 ev;
	size_t		 i;

	snprintf(dir, sizeof dir, "%s/check_query.XXXXXX", scratch_tmp());
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(dbpath, sizeof dbpath, "%s/db", dir);
	rows = NULL;
	nrows = 0;
	fx_open(&fx, dbpath);
	for (i = 0; i < sizeof hops / sizeof hops[0]; i++) {
		fx_event(&ev, T0 + 3600, hops[i].domain, "mx1", "sent", 250,
		    "2.0.0", "attempt", "out", NULL);
		ev.hop = hops[i].hop;
		fx_add(&fx, &ev, hops[i].n);
	}
	fx_close(&fx, 2);
}

START_TEST(hops_default)
{
	struct query_result	 r;
	const char		*all[] = { "by=domain", NULL };
	const char		*filter[] = { "hop=filter", NULL };
	const char		*by[] = { "by=hop", NULL };
	const char		*domains_kv[] = { NULL };
	const char		*d;
	json_t			*row;
	json_int_t		 a;
	size_t			 i;
	int			 seen = 0;

	run("/v1/summary", all, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_int_eq(json_integer_value(json_object_get(r.json, "total")),
	    10);
	ck_assert_int_eq(count_where(r.json, "domain", "gmail.com", NULL,
	    NULL), 7);
	query_result_clear(&r);

	run("/v1/summary", filter, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_int_eq(json_integer_value(json_object_get(r.json, "total")),
	    11);
	query_result_clear(&r);

	run("/v1/summary", by, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_int_eq(json_integer_value(json_object_get(r.json, "total")),
	    23);
	ck_assert_int_eq(count_where(r.json, "hop", "remote", NULL, NULL), 7);
	ck_assert_int_eq(count_where(r.json, "hop", "mailbox", NULL, NULL), 3);
	ck_assert_int_eq(count_where(r.json, "hop", "filter", NULL, NULL), 11);
	ck_assert_int_eq(count_where(r.json, "hop", "discard", NULL, NULL), 2);
	query_result_clear(&r);

	run("/v1/domains", domains_kv, &r);
	ck_assert_int_eq(r.status, 200);
	json_array_foreach(json_object_get(r.json, "rows"), i, row) {
		d = json_string_value(json_object_get(row, "domain"));
		a = json_integer_value(json_object_get(row, "attempts"));
		ck_assert_msg((strcmp(d, "gmail.com") == 0 && a == 7) ||
		    (strcmp(d, "example.org") == 0 && a == 3), "%s %lld", d,
		    (long long)a);
		seen++;
	}
	ck_assert_int_eq(seen, 2);
	query_result_clear(&r);

	run("/metrics", NULL, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_ptr_nonnull(r.text);
	/* fx_verdict: class 2 is "delivered"; gmail.com is Google's */
	ck_assert_msg(strstr(r.text, "smtptally_attempts_total{direction="
	    "\"out\",class=\"2xx\",reply=\"250\",enhanced=\"2.0.0\","
	    "category=\"delivered\"} 10\n") != NULL, "%s", r.text);
	ck_assert_msg(strstr(r.text, "smtptally_provider_attempts_total{"
	    "provider=\"google\",class=\"2xx\",category=\"delivered\"} 7\n")
	    != NULL, "%s", r.text);
	ck_assert_msg(strstr(r.text, "smtptally_domain_attempts_total{domain="
	    "\"gmail.com\",class=\"2xx\"} 7\n") != NULL, "%s", r.text);
	query_result_clear(&r);
}
END_TEST

static Suite *
suite(void)
{
	Suite	*s = suite_create("query");
	TCase	*tc = tcase_create("db");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, summary_all);
	tcase_add_loop_test(tc, summary_range, 0,
	    sizeof ranges / sizeof ranges[0]);
	tcase_add_test(tc, summary_filters);
	tcase_add_test(tc, names_as_typed);
	tcase_add_test(tc, rounded);
	tcase_add_test(tc, summary_by_day);
	tcase_add_test(tc, summary_top);
	tcase_add_test(tc, summary_max_rows);
	tcase_add_test(tc, domains_other);
	tcase_add_test(tc, reasons);
	tcase_add_test(tc, verdicts);
	tcase_add_test(tc, status);
	tcase_add_test(tc, lines);
	tcase_add_test(tc, metrics);
	tcase_add_loop_test(tc, refuse, 0, sizeof refused / sizeof refused[0]);
	tcase_add_loop_test(tc, hostile_values, 0,
	    sizeof hostile / sizeof hostile[0]);
	tcase_add_test(tc, sql_text);
	tcase_add_test(tc, no_database);
	tcase_add_test(tc, old_schema);
	suite_add_tcase(s, tc);
	tc = tcase_create("hops");
	tcase_add_checked_fixture(tc, hsetup, teardown);
	tcase_add_test(tc, hops_default);
	suite_add_tcase(s, tc);
	tc = tcase_create("rollups");
	tcase_add_checked_fixture(tc, rsetup, rteardown);
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, fast_equals_slow);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
