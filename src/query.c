/*
 * query: the read side of smtptally.  Endpoints (a table below) turn
 * validated parameters into prepared SQL over a read-only connection and
 * the rows into JSON with jansson; /metrics into Prometheus text.
 *
 * Counts live in count_hour (recent hours) and count_day (older days, one
 * row per key with its hours packed, or only its total when the hours
 * were dropped or never known); every count is in exactly one of them.
 * A range [since, until) counts the hours that start at or after `since`
 * rounded down to the hour and before `until`; counts whose hour is not
 * known count when their day starts at or after `since` rounded down to
 * the day (st_hours_in in hours.c), so adjacent ranges add up.  Outcome
 * fields (mta, direction, kind, status, hop, reply, enhanced, class) are
 * filtered and grouped through the small outcome table; the reason text
 * is the counts' own key, so /v1/reasons takes every filter the counts
 * take.
 *
 * Each table is aggregated on its own (a range scan of its primary key)
 * and only the groups are merged; a UNION ALL of raw rows would cost a
 * co-routine step per row.
 *
 * Roll-ups (kept by store.c in the counts' own transaction): total_hour
 * and total_day are the counts without the domain (every known hour, and
 * the counts known only by day), so a summary that neither filters nor
 * groups by domain reads them; domain_month holds per domain, UTC month,
 * outcome and reason, domain_total the same over all time, so /v1/domains
 * reads either the whole months inside the range, or all time less the
 * whole months outside it, and only the partial months at the edges from
 * the count tables; /metrics reads totals only.  All give exactly the
 * count tables' answer; query_set_fast(q, 0) turns them off for the
 * tests' reference.
 *
 * The module is split by concern: query_args.c (parameters), query_sql.c
 * (SQL and plans), query_json.c (answers), query_status.c (/v1/status),
 * metrics.c (/metrics); this file holds the connection, the endpoint
 * table and query_run.
 *
 * Not here: sockets, libevent, writing to the database.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <sqlite3.h>

#include "hook.h"
#include "hours.h"
#include "metrics.h"
#include "query.h"
#include "query_int.h"

/* The progress handler: stop a query that ran past its time. */
static int
progress(void *arg)
{
	struct query	*q = arg;
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	if (ts.tv_sec > q->deadline.tv_sec || (ts.tv_sec ==
	    q->deadline.tv_sec && ts.tv_nsec > q->deadline.tv_nsec)) {
		q->timed_out = 1;
		return 1;
	}
	return 0;
}

/* Remember the path and limits; the connection opens on first use. */
struct query *
query_new(const char *path, const struct query_limits *limits)
{
	struct query	*q;

	if ((q = calloc(1, sizeof *q)) == NULL)
		return NULL;
	if ((q->path = strdup(path)) == NULL) {
		free(q);
		return NULL;
	}
	q->limits = *limits;
	q->commit_failures = -1;
	q->fast = 1;
	if (q->limits.max_rows <= 0)
		q->limits.max_rows = 1000;
	if (q->limits.time_ms <= 0)
		q->limits.time_ms = 2000;
	if (q->limits.busy_ms <= 0)
		q->limits.busy_ms = 1000;
	if (q->limits.metrics_top <= 0)
		q->limits.metrics_top = 20;
	return q;
}

/* Close the read-only connection; query_free(NULL) is a no-op. */
void
query_free(struct query *q)
{
	if (q == NULL)
		return;
	sqlite3_close(q->db);
	free(q->path);
	free(q);
}

/* Open on first use: the daemon may serve before ingest created the file. */
static int
db_open(struct query *q, const char **cause)
{
	sqlite3_stmt	*st;
	int		 version = -1;

	if (q->db != NULL)
		return 0;
	if (sqlite3_open_v2(q->path, &q->db, SQLITE_OPEN_READONLY |
	    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		sqlite3_close(q->db);
		q->db = NULL;
		*cause = "database not available yet";
		return -1;
	}
	sqlite3_busy_timeout(q->db, q->limits.busy_ms);
	if (hours_sql_register(q->db) != SQLITE_OK) {
		sqlite3_close(q->db);
		q->db = NULL;
		*cause = "cannot register the hour functions";
		return -1;
	}
	sqlite3_progress_handler(q->db, 1000, progress, q);
	if (sqlite3_prepare_v2(q->db, "PRAGMA user_version", -1, &st,
	    NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (version != 6) {	/* sql/schema.sql's user_version */
		sqlite3_close(q->db);
		q->db = NULL;
		*cause = version == 0 ? "database not initialised yet" :
		    "database schema version not supported";
		return -1;
	}
	q->schema = version;
	return 0;
}

/* Arm the per-request deadline the progress handler checks. */
static void
start_clock(struct query *q)
{
	clock_gettime(CLOCK_MONOTONIC, &q->deadline);
	q->deadline.tv_sec += q->limits.time_ms / 1000;
	q->deadline.tv_nsec += (long)(q->limits.time_ms % 1000) * 1000000L;
	if (q->deadline.tv_nsec >= 1000000000L) {
		q->deadline.tv_sec++;
		q->deadline.tv_nsec -= 1000000000L;
	}
	q->timed_out = 0;
}

/* Map SQLite's answer to an HTTP status and a message. */
void
query_fail(struct query *q, struct query_result *r, int rc)
{
	if (q->timed_out || rc == SQLITE_INTERRUPT) {
		r->status = 503;
		r->json = query_error("query took too long; narrow the range "
		    "or the grouping");
	} else if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) {
		r->status = 503;
		r->json = query_error("database busy; try again");
	} else {
		r->status = 500;
		r->json = query_error(sqlite3_errstr(rc));
	}
}

/* Read the whole statement in one read transaction. */
static int
begin(struct query *q)
{
	return sqlite3_exec(q->db, "BEGIN", NULL, NULL, NULL);
}

/* End the read transaction so the WAL can be checkpointed. */
static void
end(struct query *q)
{
	sqlite3_exec(q->db, "COMMIT", NULL, NULL, NULL);
}

enum ep_id { EP_SUMMARY, EP_DOMAINS, EP_REASONS, EP_LINES, EP_STATUS,
    EP_METRICS, EP_DELAYS };

static const struct endpoint {
	const char	*path;
	enum ep_id	 id;
	unsigned	 allow;
} endpoints[] = {
	{ "/v1/summary", EP_SUMMARY, QA_RANGE | QA_BY | QA_FILTERS | QA_TOP |
	    QA_PAGE },
	{ "/v1/domains", EP_DOMAINS, QA_RANGE | QA_FILTERS | QA_TOP |
	    QA_PAGE },
	{ "/v1/reasons", EP_REASONS, QA_RANGE | QA_FILTERS | QA_TOP |
	    QA_PAGE | QA_ORDER },
	{ "/v1/lines", EP_LINES, QA_RANGE },
	{ "/v1/delays", EP_DELAYS, QA_RANGE | QA_BY | QA_FILTERS | QA_TOP },
	{ "/v1/status", EP_STATUS, 0 },
	{ "/metrics", EP_METRICS, 0 },
};

/* One request: route, validate, read in one transaction, answer. */
void
query_run(struct query *q, const char *path, const struct query_param *p,
    size_t n, int64_t now, struct query_result *r)
{
	const struct endpoint	*e = NULL;
	struct query_args	 a;
	const char		*cause;
	char			 err[256];
	size_t			 i;

	memset(r, 0, sizeof *r);
	for (i = 0; i < sizeof endpoints / sizeof endpoints[0]; i++)
		if (strcmp(path, endpoints[i].path) == 0)
			e = &endpoints[i];
	if (e == NULL) {
		r->status = 404;
		r->json = query_error("no such endpoint (try /v1/summary, "
		    "/v1/domains, /v1/reasons, /v1/lines, /v1/delays, "
		    "/v1/status, /metrics)");
		return;
	}
	if (query_args_parse(p, n, now, e->allow, &a, err, sizeof err) == -1) {
		r->status = 400;
		r->json = query_error(err);
		return;
	}
	if (db_open(q, &cause) == -1) {
		r->status = 503;
		r->json = query_error(cause);
		return;
	}
	start_clock(q);
	HOOK_SLEEP("query_clock");	/* a test's query past its limit */
	if (begin(q) != SQLITE_OK) {
		query_fail(q, r, sqlite3_errcode(q->db));
		return;
	}
	switch (e->id) {
	case EP_SUMMARY:
		query_json_summary(q, &a, r);
		break;
	case EP_DOMAINS:
		query_json_domains(q, &a, r);
		break;
	case EP_REASONS:
		query_json_reasons(q, &a, r);
		break;
	case EP_LINES:
		query_json_lines(q, &a, r);
		break;
	case EP_STATUS:
		query_status_json(q, r);
		break;
	case EP_METRICS:
		metrics_run(q, r);
		break;
	case EP_DELAYS:
		query_delays_json(q, &a, r);
		break;
	}
	end(q);
	if (r->json == NULL && r->text == NULL) {
		r->status = 500;
		r->json = query_error("out of memory");
	}
}

/* Roll-ups on (the default) or off: the tests' slow reference. */
void
query_set_fast(struct query *q, int on)
{
	q->fast = on;
}

/* The daemon passes in what only its memory knows. */
void
query_set_commit_failures(struct query *q, int64_t n)
{
	q->commit_failures = n;
}

/* See query.h. */
void
query_set_live(struct query *q, struct live *live)
{
	q->live = live;
}

/* Release an answer; safe on a cleared one. */
void
query_result_clear(struct query_result *r)
{
	json_decref(r->json);
	free(r->text);
	memset(r, 0, sizeof *r);
}
