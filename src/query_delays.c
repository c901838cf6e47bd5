/*
 * query_delays: GET /v1/delays, the delivery-delay histograms of a range
 * (delay_hour, src/delay.h) for all deliveries, or by the busiest
 * recipient domains (top N and "(other)") or by provider.
 *
 * A domain's histogram is of its whole delay; Postfix's stages (a-d) are
 * kept for all domains together (domain 0 in delay_hour), so they are in
 * the ungrouped, unfiltered answer only.
 *
 * Delays are kept per hour, domain, class and stage only, so of the
 * filters the counts take only domain, provider and class can be
 * honoured; the others are refused rather than ignored.  They are our
 * deliveries' delays: direction out and kind attempt (the defaults),
 * anything else is refused too.
 *
 * Not here: the buckets' bounds (delay.c), sockets.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sqlite3.h>

#include "delay.h"
#include "event.h"
#include "query.h"
#include "query_int.h"

struct dgroup {
	json_t		*name;		/* NULL: all, or "(other)" */
	int64_t		 n[DELAY_STAGES][DELAY_BUCKETS];
	int64_t		 ms[DELAY_STAGES];
};

/* Which filters and groupings the histograms can answer; a 400 text or
 * NULL. */
static const char *
delays_refuse(const struct query_args *a)
{
	if (a->host != NULL || a->reply != -1 || a->enhanced != NULL ||
	    a->status != NULL || a->mta != NULL || a->hop != NULL ||
	    a->category != NULL || a->blame != NULL)
		return "query: delays are kept by domain, provider and class "
		    "only (no host, reply, enhanced, status, mta, hop, "
		    "category or blame)";
	if (a->direction != NULL && strcmp(a->direction, "out") != 0)
		return "direction: delays are our deliveries' (out)";
	if (a->kind != NULL && strcmp(a->kind, "attempt") != 0)
		return "kind: delays are delivery attempts'";
	if (a->nby > 1 || (a->nby == 1 && a->by[0] != QK_DOMAIN &&
	    a->by[0] != QK_PROVIDER))
		return "by: domain or provider";
	return NULL;
}

/* The statement: (group, stage, bucket, n, ms), groups by their number
 * of whole delays, the largest first, "(other)" (NULL) last. */
static int
delays_sql(const struct query_args *a, char *buf, size_t len)
{
	int	 by = a->nby == 1 ? (int)a->by[0] : -1;

	buf[0] = '\0';
	if (query_sql_cat(buf, len, "WITH per AS MATERIALIZED (SELECT"
	    " x.domain AS dom, x.stage AS stage, x.bucket AS b, SUM(x.n) AS n,"
	    " SUM(x.ms) AS ms FROM delay_hour AS x LEFT JOIN domain AS d"
	    " ON d.id = x.domain WHERE x.hour >= :hsince"
	    " AND x.hour < :until") == -1 ||
	    /* domain 0: Postfix's stages of all domains together, which
	     * only the ungrouped, unfiltered view shows */
	    ((by != -1 || a->domain != NULL || a->provider != NULL) &&
	    query_sql_cat(buf, len, " AND x.domain <> 0") == -1) ||
	    (a->class != 0 && query_sql_cat(buf, len,
	    " AND x.class = :class") == -1) ||
	    (a->domain != NULL && query_sql_cat(buf, len,
	    " AND d.name = :domain") == -1) ||
	    (a->provider != NULL && query_sql_cat(buf, len,
	    " AND d.provider = :provider") == -1) ||
	    query_sql_cat(buf, len, " GROUP BY 1, 2, 3),") == -1)
		return -1;
	if (by == QK_DOMAIN) {
		if (query_sql_cat(buf, len, " top AS (SELECT dom FROM per"
		    " WHERE stage = 'total' GROUP BY dom"
		    " ORDER BY SUM(n) DESC, dom LIMIT :top),"
		    " g AS (SELECT CASE WHEN per.dom IN top THEN d.name"
		    " ELSE NULL END AS g,") == -1)
			return -1;
	} else if (by == QK_PROVIDER) {
		if (query_sql_cat(buf, len, " g AS (SELECT " D_PROVIDER
		    " AS g,") == -1)
			return -1;
	} else if (query_sql_cat(buf, len, " g AS (SELECT NULL AS g,") == -1)
		return -1;
	return query_sql_cat(buf, len, " per.stage AS stage, per.b AS b,"
	    " SUM(per.n) AS n, SUM(per.ms) AS ms FROM per LEFT JOIN domain"
	    " AS d ON d.id = per.dom GROUP BY 1, 2, 3),"
	    " ord AS (SELECT g, SUM(n) AS t FROM g WHERE stage = 'total'"
	    " GROUP BY 1)"
	    " SELECT g.g, g.stage, g.b, g.n, g.ms FROM g LEFT JOIN ord"
	    " ON ord.g IS g.g ORDER BY g.g IS NULL, coalesce(ord.t, 0) DESC,"
	    " g.g, g.stage, g.b");
}

/* One group's rows: a histogram per stage that has delays. */
static void
delays_rows(json_t *rows, const struct dgroup *gr, const char *key)
{
	json_t	*b, *row;
	int64_t	 n;
	int	 s, i;

	for (s = 0; s < DELAY_STAGES; s++) {
		n = 0;
		b = json_array();
		for (i = 0; i < DELAY_BUCKETS; i++) {
			n += gr->n[s][i];
			json_array_append_new(b, json_integer(gr->n[s][i]));
		}
		if (n == 0) {
			json_decref(b);
			continue;
		}
		row = json_pack("{s:s s:I s:f s:o}", "stage",
		    delay_stage_name(s), "count", (json_int_t)n,
		    "sum", (double)gr->ms[s] / 1000.0, "buckets", b);
		if (key != NULL)
			json_object_set(row, key, gr->name != NULL ?
			    gr->name : json_null());
		json_array_append_new(rows, row);
	}
}

/* GET /v1/delays. */
void
query_delays_json(struct query *q, const struct query_args *a,
    struct query_result *r)
{
	char		 sql[SQL_MAX];
	sqlite3_stmt	*st = NULL;
	struct dgroup	*gr = NULL, *g = NULL;
	json_t		*rows, *bounds;
	const char	*why, *name, *key = NULL;
	size_t		 ng = 0, cap, i;
	int64_t		 total = 0;
	char		 prev[EVENT_DOMAIN_MAX + 1];
	int		 rc, top, s, b, truncated = 0, prev_null = 0;

	if ((why = delays_refuse(a)) != NULL) {
		r->status = 400;
		r->json = query_error(why);
		return;
	}
	if (a->nby == 1)
		key = a->by[0] == QK_DOMAIN ? "domain" : "provider";
	top = a->top > 0 ? a->top : 10;
	if (top > q->limits.max_rows)
		top = q->limits.max_rows;
	cap = (size_t)q->limits.max_rows + 1;
	if (delays_sql(a, sql, sizeof sql) == -1) {
		query_fail(q, r, SQLITE_TOOBIG);
		return;
	}
	if ((rc = sqlite3_prepare_v2(q->db, sql, -1, &st, NULL)) !=
	    SQLITE_OK) {
		query_fail(q, r, rc);
		return;
	}
	query_sql_bind(st, a, 0);
	if ((i = (size_t)sqlite3_bind_parameter_index(st, ":top")) > 0)
		sqlite3_bind_int(st, (int)i, top);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		name = (const char *)sqlite3_column_text(st, 0);
		if (g == NULL || (name == NULL) != prev_null ||
		    (name != NULL && strcmp(name, prev) != 0)) {
			prev_null = name == NULL;
			snprintf(prev, sizeof prev, "%s", name != NULL ?
			    name : "");
			if (ng == cap) {
				truncated = 1;
				continue;
			}
			if (ng % 16 == 0) {
				struct dgroup *ngr = realloc(gr,
				    (ng + 16) * sizeof(*gr));
				if (ngr == NULL)
					break;
				gr = ngr;
			}
			g = &gr[ng++];
			memset(g, 0, sizeof(*g));
			if (name != NULL)
				g->name = query_json_str(name);
			else if (key != NULL)
				g->name = json_string("(other)");
		}
		s = delay_stage_from_key((const char *)
		    sqlite3_column_text(st, 1));
		b = sqlite3_column_int(st, 2);
		if (s < 0 || b < 0 || b >= DELAY_BUCKETS)
			continue;
		g->n[s][b] += sqlite3_column_int64(st, 3);
		g->ms[s] += sqlite3_column_int64(st, 4);
		if (s == DELAY_TOTAL)
			total += sqlite3_column_int64(st, 3);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE && !truncated) {
		for (i = 0; i < ng; i++)
			json_decref(gr[i].name);
		free(gr);
		query_fail(q, r, rc == SQLITE_ROW ? SQLITE_NOMEM : rc);
		return;
	}
	rows = json_array();
	for (i = 0; i < ng; i++) {
		delays_rows(rows, &gr[i], key);
		json_decref(gr[i].name);
	}
	free(gr);
	bounds = json_array();
	for (i = 0; i < DELAY_BUCKETS - 1; i++)
		json_array_append_new(bounds,
		    json_real((double)delay_bounds_ms[i] / 1000.0));
	r->json = json_object();
	query_json_range(r->json, a);
	json_object_set_new(r->json, "by", key != NULL ? json_string(key) :
	    json_null());
	json_object_set_new(r->json, "bounds", bounds);
	json_object_set_new(r->json, "total", json_integer(total));
	json_object_set_new(r->json, "rows", rows);
	if (truncated)
		json_object_set_new(r->json, "truncated", json_true());
	r->status = 200;
}
