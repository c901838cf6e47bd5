/*
 * query_json: the counting endpoints' answers, rows read from prepared
 * SQL (query_sql.c) into JSON with jansson.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sqlite3.h>

#include "query.h"
#include "query_int.h"
#include "timespec.h"

/* Error bodies are fixed texts plus, at most, a parameter's name. */
json_t *
query_error(const char *msg)
{
	return json_pack("{s:s}", "error", msg);
}

/* Strings from strangers may not be UTF-8: replace bad bytes with '?'. */
json_t *
query_json_str(const char *s)
{
	json_t	*j;
	char	*copy;
	size_t	 i, len;

	if (s == NULL)
		return json_null();
	if ((j = json_string(s)) != NULL)
		return j;
	len = strlen(s);
	if ((copy = strdup(s)) == NULL)
		return json_null();
	for (i = 0; i < len; i++)
		if ((unsigned char)copy[i] >= 0x80)
			copy[i] = '?';
	j = json_string(copy);
	free(copy);
	return j != NULL ? j : json_null();
}

/* RFC 3339 for a UTC second count, or null. */
json_t *
query_json_time(int64_t t)
{
	char	 buf[40];

	if (timespec_format(t, buf, sizeof buf) == -1)
		return json_null();
	return json_string(buf);
}

/* Class digit as the API spells it. */
json_t *
query_json_class(int c)
{
	char	 buf[8];

	if (c < 1 || c > 9)
		return json_string("unknown");
	snprintf(buf, sizeof buf, "%dxx", c);
	return json_string(buf);
}

/* since/until as the answer echoes them: null when unbounded.  Counts
 * are kept by the hour: when a bound is not on one, "rounded" says which
 * hours were read, [since rounded down, until rounded up). */
void
query_json_range(json_t *o, const struct query_args *a)
{
	int64_t	 s = a->since - a->since % HOUR, u = a->until;

	json_object_set_new(o, "since", a->has_since ?
	    query_json_time(a->since) : json_null());
	json_object_set_new(o, "until", a->has_until ?
	    query_json_time(a->until) : json_null());
	if (a->has_until && u % HOUR != 0)
		u += HOUR - u % HOUR;
	if ((a->has_since && s != a->since) || (a->has_until &&
	    u != a->until))
		json_object_set_new(o, "rounded", json_pack("{s:o s:o}",
		    "since", a->has_since ? query_json_time(s) : json_null(),
		    "until", a->has_until ? query_json_time(u) :
		    json_null()));
}

/* Are there counts known only by their day on the day starting at d?
 * (total_day holds exactly those, keyed by day first.) */
static int
day_only(struct query *q, int64_t d)
{
	sqlite3_stmt	*st;
	int		 found = 0;

	if (sqlite3_prepare_v2(q->db, "SELECT 1 FROM total_day WHERE day = ?"
	    " LIMIT 1", -1, &st, NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_int64(st, 1, d);
	found = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return found;
}

/* Counts whose hour is not known (past retention, or never known) count
 * with their whole day: when a bound cuts such a day, "rounded" widens
 * to the day and says "days": true (D13).  The day-only counts may not
 * match the filters; the note is about what may have been read. */
static void
put_day_rounding(struct query *q, const struct query_args *a, json_t *o)
{
	int64_t	 s = a->since - a->since % DAY, u = a->until;
	int	 ws, wu;

	ws = a->has_since && s != a->since && day_only(q, s);
	wu = a->has_until && u % DAY != 0 && day_only(q, u - u % DAY);
	if (!ws && !wu)
		return;
	if (!ws)
		s = a->since - a->since % HOUR;
	if (wu)
		u += DAY - u % DAY;
	else if (u % HOUR != 0)
		u += HOUR - u % HOUR;
	json_object_set_new(o, "rounded", json_pack("{s:o s:o s:b}",
	    "since", a->has_since ? query_json_time(s) : json_null(),
	    "until", a->has_until ? query_json_time(u) : json_null(),
	    "days", 1));
}

/* The answer every counting endpoint gives: its range, the total, the
 * rows, and whether the rows were cut at the row limit. */
static void
put_answer(struct query_result *r, const struct query_args *a,
    int64_t total, json_t *rows, int truncated)
{
	r->json = json_object();
	query_json_range(r->json, a);
	json_object_set_new(r->json, "total", json_integer(total));
	json_object_set_new(r->json, "rows", rows);
	if (truncated)
		json_object_set_new(r->json, "truncated", json_true());
	r->status = 200;
}

/* A text column as a JSON string. */
static json_t *
col_str(sqlite3_stmt *st, int i)
{
	return query_json_str((const char *)sqlite3_column_text(st, i));
}

/* The cursor of a page: the last row's keys as a JSON array, in hex so
 * that it is one opaque word in a query string. */
static json_t *
cursor_make(json_t *keys)
{
	static const char hex[] = "0123456789abcdef";
	char		*text, *out;
	size_t		 i, n;
	json_t		*j;

	if ((text = json_dumps(keys, JSON_COMPACT)) == NULL)
		return NULL;
	n = strlen(text);
	if ((out = malloc(2 * n + 1)) == NULL) {
		free(text);
		return NULL;
	}
	for (i = 0; i < n; i++) {
		out[2 * i] = hex[(unsigned char)text[i] >> 4];
		out[2 * i + 1] = hex[(unsigned char)text[i] & 15];
	}
	out[2 * n] = '\0';
	j = json_string(out);
	free(text);
	free(out);
	return j;
}

/* A cursor back into nby keys bound as :c0...; -1 if it is not one of
 * this request's. */
static int
cursor_bind(sqlite3_stmt *st, const char *after, size_t nby)
{
	char		 buf[API_CURSOR_MAX / 2 + 1], name[32];
	size_t		 i, n = strlen(after);
	json_t		*keys, *v;
	int		 hi, lo, rc = 0;

	if (n % 2 != 0 || n / 2 >= sizeof buf)
		return -1;
	for (i = 0; i < n / 2; i++) {
		hi = after[2 * i];
		lo = after[2 * i + 1];
		hi = hi >= '0' && hi <= '9' ? hi - '0' :
		    hi >= 'a' && hi <= 'f' ? hi - 'a' + 10 : -1;
		lo = lo >= '0' && lo <= '9' ? lo - '0' :
		    lo >= 'a' && lo <= 'f' ? lo - 'a' + 10 : -1;
		if (hi < 0 || lo < 0)
			return -1;
		buf[i] = (char)(hi << 4 | lo);
	}
	if ((keys = json_loadb(buf, n / 2, 0, NULL)) == NULL)
		return -1;
	if (!json_is_array(keys) || json_array_size(keys) != nby)
		rc = -1;
	for (i = 0; rc == 0 && i < nby; i++) {
		v = json_array_get(keys, i);
		snprintf(name, sizeof name, ":c%zu", i);
		if (json_is_integer(v))
			sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st,
			    name), json_integer_value(v));
		else if (json_is_string(v))
			sqlite3_bind_text(st, sqlite3_bind_parameter_index(st,
			    name), json_string_value(v), -1,
			    SQLITE_TRANSIENT);
		else
			rc = -1;
	}
	json_decref(keys);
	return rc;
}

/* The first n columns of the current row, as a cursor's keys. */
static json_t *
row_keys(sqlite3_stmt *st, size_t n)
{
	json_t	*keys = json_array();
	size_t	 i;

	for (i = 0; i < n; i++)
		json_array_append_new(keys, sqlite3_column_type(st, (int)i) ==
		    SQLITE_INTEGER ? json_integer(sqlite3_column_int64(st,
		    (int)i)) : json_stringn_nocheck((const char *)
		    sqlite3_column_text(st, (int)i),
		    (size_t)sqlite3_column_bytes(st, (int)i)));
	return keys;
}

/* Bind a page's :plimit (one more than the page) and its cursor; -1 and
 * a 400 when the cursor is not one of this request's. */
static int
page_bind(struct query *q, sqlite3_stmt *st, const struct query_args *a,
    size_t nkeys, struct query_result *r)
{
	int64_t	 limit;

	limit = a->limit < q->limits.max_rows ? a->limit : q->limits.max_rows;
	sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st, ":plimit"),
	    limit + 1);
	if (a->after != NULL && cursor_bind(st, a->after, nkeys) == -1) {
		r->status = 400;
		r->json = query_error("after: not a cursor of this request");
		return -1;
	}
	return 0;
}

/* A page answers its rows and the cursor of the next while there is one;
 * no total, which a page cannot know for the whole without reading it. */
static void
page_answer(struct query_result *r, json_t *last)
{
	json_object_del(r->json, "total");
	if (last != NULL)
		json_object_set_new(r->json, "next", cursor_make(last));
}

/* The rows of a page a caller's limit allows. */
static int64_t
page_rows(struct query *q, const struct query_args *a)
{
	return a->limit < q->limits.max_rows ? a->limit : q->limits.max_rows;
}

/* One group of a summary as the answer shows it. */
static json_t *
summary_row(sqlite3_stmt *st, const struct query_args *a)
{
	json_t		*row, *o;
	enum query_key	 k;
	size_t		 i;

	row = json_object();
	for (i = 0; i < a->nby; i++) {
		k = a->by[i];
		if (k == QK_CLASS)
			o = query_json_class(sqlite3_column_int(st, (int)i));
		else if (query_keys[k].is_time)
			o = query_json_time(sqlite3_column_int64(st, (int)i));
		else if (query_keys[k].is_int)
			o = json_integer(sqlite3_column_int64(st, (int)i));
		else
			o = query_json_str((const char *)sqlite3_column_text(
			    st, (int)i));
		json_object_set_new(row, query_keys[k].name, o);
	}
	json_object_set_new(row, "count",
	    json_integer(sqlite3_column_int64(st, (int)a->nby)));
	return row;
}

/* GET /v1/summary?limit=N[&after=CURSOR]: one page in key order, and the
 * cursor of the next while there is one. */
static void
summary_page(struct query *q, const struct query_args *a, const char *sql,
    const int64_t *m, struct query_result *r)
{
	sqlite3_stmt	*st = NULL;
	json_t		*rows, *last = NULL;
	int64_t		 limit;
	int		 rc, n = 0, more = 0;

	limit = page_rows(q, a);
	if ((rc = sqlite3_prepare_v2(q->db, sql, -1, &st, NULL)) != SQLITE_OK) {
		query_fail(q, r, rc);
		return;
	}
	query_sql_bind(st, a, -1);
	query_sql_bind_months(st, m);
	if (page_bind(q, st, a, a->nby, r) == -1) {
		sqlite3_finalize(st);
		return;
	}
	rows = json_array();
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == limit) {
			more = 1;
			break;
		}
		json_array_append_new(rows, summary_row(st, a));
		json_decref(last);
		last = row_keys(st, a->nby);
		n++;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		json_decref(rows);
		json_decref(last);
		query_fail(q, r, rc);
		return;
	}
	put_answer(r, a, 0, rows, 0);
	page_answer(r, more ? last : NULL);
	json_decref(last);
}

/* GET /v1/summary */
void
query_json_summary(struct query *q, const struct query_args *a,
    struct query_result *r)
{
	char		 sql[SQL_MAX];
	sqlite3_stmt	*st = NULL;
	json_t		*rows, *row;
	int64_t		 total = 0, groups = 0, limit, m[4] = { 0, 0, 0, 0 };
	int		 rc, nrows = 0;

	limit = a->top > 0 && a->top < q->limits.max_rows ? a->top :
	    q->limits.max_rows;
	if ((query_sql_by_range(a) ? query_sql_summary_range(q, a, m, sql,
	    sizeof sql) : query_sql_summary(a, q->fast &&
	    query_sql_summary_fast(a), sql, sizeof sql)) == -1) {
		r->status = 500;
		r->json = query_error("query too complex");
		return;
	}
	if (a->limit > 0) {
		summary_page(q, a, sql, m, r);
		return;
	}
	if ((rc = sqlite3_prepare_v2(q->db, sql, -1, &st, NULL)) != SQLITE_OK) {
		query_fail(q, r, rc);
		return;
	}
	query_sql_bind(st, a, limit);
	query_sql_bind_months(st, m);
	rows = json_array();
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		row = summary_row(st, a);
		total = sqlite3_column_int64(st, (int)a->nby + 1);
		groups = sqlite3_column_int64(st, (int)a->nby + 2);
		json_array_append_new(rows, row);
		nrows++;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		json_decref(rows);
		query_fail(q, r, rc);
		return;
	}
	if (a->nby == 0 && nrows == 1 && total == 0) {
		/* SUM over nothing is NULL: say zero rows plainly. */
		json_array_clear(rows);
		json_array_append_new(rows, json_pack("{s:I}", "count",
		    (json_int_t)0));
	}
	put_answer(r, a, total, rows, groups > nrows);
	put_day_rounding(q, a, r->json);
}

/* GET /v1/domains: top N by attempts and the rest as one row. */
void
query_json_domains(struct query *q, const struct query_args *a,
    struct query_result *r)
{
	char		 sql[SQL_MAX];
	sqlite3_stmt	*st = NULL;
	json_t		*rows, *row;
	int64_t		 v[4], other[4] = { 0, 0, 0, 0 }, total = 0;
	int64_t		 m[4] = { 0, 0, 0, 0 };
	enum domains_plan plan;
	int		 rc, i, top, n = 0, nother = 0;

	json_t		*last = NULL;
	int		 more = 0;

	top = a->top > 0 ? a->top : 10;
	if (top > q->limits.max_rows)
		top = q->limits.max_rows;
	if (a->limit > 0)
		top = (int)page_rows(q, a);
	plan = query_sql_plan(q, a, m);
	rc = query_sql_domains(a, plan, sql, sizeof sql);
	if (rc != 0 || (rc = sqlite3_prepare_v2(q->db, sql, -1, &st,
	    NULL)) != SQLITE_OK) {
		query_fail(q, r, rc == -1 ? SQLITE_ERROR : rc);
		return;
	}
	query_sql_bind(st, a, 0);
	query_sql_bind_months(st, m);
	if (a->limit > 0 && page_bind(q, st, a, 1, r) == -1) {
		sqlite3_finalize(st);
		return;
	}
	rows = json_array();
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (a->limit > 0 && n == top) {
			/* A page: no "other" row, the cursor instead. */
			more = 1;
			rc = SQLITE_DONE;
			break;
		}
		for (i = 0; i < 4; i++)
			v[i] = sqlite3_column_int64(st, i + 1);
		total += v[0];
		if (a->limit > 0) {
			json_decref(last);
			last = row_keys(st, 1);
		}
		if (n < top) {
			row = json_pack("{s:o s:I s:I s:I s:I s:f s:f}",
			    "domain", query_json_str((const char *)
			    sqlite3_column_text(st, 0)),
			    "attempts", (json_int_t)v[0],
			    "sent", (json_int_t)v[1],
			    "deferred", (json_int_t)v[2],
			    "bounced", (json_int_t)v[3],
			    "deferred_share", v[0] ? (double)v[2] / v[0] : 0.0,
			    "bounced_share", v[0] ? (double)v[3] / v[0] : 0.0);
			json_array_append_new(rows, row);
			n++;
		} else {
			for (i = 0; i < 4; i++)
				other[i] += v[i];
			nother++;
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		json_decref(rows);
		json_decref(last);
		query_fail(q, r, rc);
		return;
	}
	if (nother > 0) {
		row = json_pack("{s:s s:b s:i s:I s:I s:I s:I s:f s:f}",
		    "domain", "(other)", "other", 1, "domains", nother,
		    "attempts", (json_int_t)other[0],
		    "sent", (json_int_t)other[1],
		    "deferred", (json_int_t)other[2],
		    "bounced", (json_int_t)other[3],
		    "deferred_share", other[0] ? (double)other[2] / other[0] :
		    0.0,
		    "bounced_share", other[0] ? (double)other[3] / other[0] :
		    0.0);
		json_array_append_new(rows, row);
	}
	put_answer(r, a, total, rows, 0);
	put_day_rounding(q, a, r->json);
	json_object_set_new(r->json, "domains", json_integer(n + nother));
	if (a->limit > 0) {
		json_object_del(r->json, "domains");
		page_answer(r, more ? last : NULL);
	}
	json_decref(last);
}

/* GET /v1/reasons: failures' normalised texts by (reply, enhanced, text)
 * with their category, party to blame and finer reason, with every filter
 * of the counts: the text is the counts' own reason key.  Read like
 * /v1/domains (whole months from domain_month), so a long range is cheap.
 * Largest count first, or with order=newest the texts first stored most
 * recently first (the unclassified ones a new rule needs). */
void
query_json_reasons(struct query *q, const struct query_args *a,
    struct query_result *r)
{
	char		 sql[SQL_MAX];
	sqlite3_stmt	*st = NULL;
	json_t		*rows;
	int64_t		 total = 0, groups = 0, m[4] = { 0, 0, 0, 0 };
	int		 rc, top, n = 0, more = 0;
	json_t		*last = NULL;

	top = a->top > 0 ? a->top : 20;
	if (top > q->limits.max_rows)
		top = q->limits.max_rows;
	sql[0] = '\0';
	/* The text's id is the key (a page's cursor stays short); the
	 * text itself is the last column. */
	rc = query_sql_cat(sql, sizeof sql, "SELECT o.reply AS k0,"
	    " o.enhanced AS k1, x.id AS k2, " V_CATEGORY " AS k3, " V_BLAME
	    " AS k4, coalesce(v.detail, '') AS k5, SUM(u.n),"
	    " SUM(SUM(u.n)) OVER (), COUNT(*) OVER (), x.text FROM ");
	rc |= query_sql_range(a, query_sql_plan(q, a, m), 1, sql, sizeof sql);
	rc |= query_sql_cat(sql, sizeof sql, " JOIN reason AS x ON x.id = u.kr"
	    " WHERE u.kr != 1");
	rc |= query_sql_verdict(a, sql, sizeof sql);
	rc |= query_sql_cat(sql, sizeof sql, " GROUP BY 1, 2, 3, 4, 5, 6"
	    " HAVING SUM(u.n) != 0");
	if (a->limit > 0) {
		/* A page: in the keys' order, after the cursor. */
		if (a->after != NULL)
			rc |= query_sql_cat(sql, sizeof sql, " AND (k0, k1, k2,"
			    " k3, k4, k5) > (:c0, :c1, :c2, :c3, :c4, :c5)");
		rc |= query_sql_cat(sql, sizeof sql, " ORDER BY 1, 2, 3, 4, 5,"
		    " 6 LIMIT :plimit");
		top = (int)page_rows(q, a);
	} else if (a->newest)
		/* Ids grow as texts are first stored: the newest first. */
		rc |= query_sql_cat(sql, sizeof sql, " ORDER BY 3 DESC, 1, 2,"
		    " 4 LIMIT :limit");
	else
		rc |= query_sql_cat(sql, sizeof sql, " ORDER BY 7 DESC, 1, 2,"
		    " 10, 4 LIMIT :limit");
	if (rc != 0 || (rc = sqlite3_prepare_v2(q->db, sql, -1, &st,
	    NULL)) != SQLITE_OK) {
		query_fail(q, r, rc == -1 ? SQLITE_ERROR : rc);
		return;
	}
	query_sql_bind(st, a, top);
	query_sql_bind_months(st, m);
	if (a->limit > 0 && page_bind(q, st, a, 6, r) == -1) {
		sqlite3_finalize(st);
		return;
	}
	rows = json_array();
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (a->limit > 0 && n == top) {
			more = 1;
			rc = SQLITE_DONE;
			break;
		}
		if (a->limit > 0) {
			json_decref(last);
			last = row_keys(st, 6);
		}
		json_array_append_new(rows, json_pack("{s:I s:o s:o s:o s:o"
		    " s:o s:I}",
		    "reply", (json_int_t)sqlite3_column_int64(st, 0),
		    "enhanced", col_str(st, 1),
		    "text", col_str(st, 9),
		    "category", col_str(st, 3),
		    "blame", col_str(st, 4),
		    "reason", col_str(st, 5),
		    "count", (json_int_t)sqlite3_column_int64(st, 6)));
		total = sqlite3_column_int64(st, 7);
		groups = sqlite3_column_int64(st, 8);
		n++;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		json_decref(rows);
		json_decref(last);
		query_fail(q, r, rc);
		return;
	}
	put_answer(r, a, total, rows, a->limit == 0 && groups > n);
	put_day_rounding(q, a, r->json);
	if (a->limit > 0)
		page_answer(r, more ? last : NULL);
	json_decref(last);
}

/* GET /v1/lines: lines read by outcome, for the unrecognised share. */
void
query_json_lines(struct query *q, const struct query_args *a,
    struct query_result *r)
{
	sqlite3_stmt	*st = NULL;
	json_t		*rows;
	int64_t		 total = 0;
	int		 rc;

	if ((rc = sqlite3_prepare_v2(q->db, "SELECT result, SUM(n) FROM"
	    " lines_hour WHERE hour >= :hsince AND hour < :until"
	    " GROUP BY 1 ORDER BY 2 DESC, 1", -1, &st, NULL)) != SQLITE_OK) {
		query_fail(q, r, rc);
		return;
	}
	query_sql_bind(st, a, 0);
	rows = json_array();
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		json_array_append_new(rows, json_pack("{s:o s:I}",
		    "result", col_str(st, 0),
		    "count", (json_int_t)sqlite3_column_int64(st, 1)));
		total += sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		json_decref(rows);
		query_fail(q, r, rc);
		return;
	}
	put_answer(r, a, total, rows, 0);
}
