/*
 * query_sql: SQL text from fixed fragments chosen by validated
 * arguments, the plans over the roll-ups and their cost, and binding the
 * arguments' values.  No JSON; reads the database only to cost a plan.
 */
#include "config.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>
#include <sqlite3.h>

#include "civil.h"
#include "query.h"
#include "query_int.h"

/* Append to a fixed buffer; -1 once it would overflow. */
static int
cat(char *buf, size_t len, const char *s)
{
	size_t	 have = strlen(buf);

	if (have + strlen(s) >= len)
		return -1;
	memcpy(buf + have, s, strlen(s) + 1);
	return 0;
}

/* cat for the other files of the query module. */
int
query_sql_cat(char *buf, size_t len, const char *s)
{
	return cat(buf, len, s);
}

/* Grouped by hop: every hop is shown, filter and discard too. */
static int
by_hop(const struct query_args *a)
{
	size_t	 i;

	for (i = 0; i < a->nby; i++)
		if (a->by[i] == QK_HOP)
			return 1;
	return 0;
}

/* The outcome conditions of a request, as "AND ..." terms over the
 * outcome table (empty when there are none).  Without hop= (or a
 * grouping by hop) only deliveries count: filter and discard hops are
 * left out. */
static int
outcome_terms(const struct query_args *a, char *buf, size_t len)
{
	int	 r = 0;

	if (a->reply != -1)
		r |= cat(buf, len, " AND reply = :reply");
	if (a->enhanced != NULL)
		r |= cat(buf, len, " AND enhanced = :enhanced");
	if (a->status != NULL)
		r |= cat(buf, len, " AND status = :status");
	if (a->kind != NULL)
		r |= cat(buf, len, " AND kind = :kind");
	if (a->direction != NULL)
		r |= cat(buf, len, " AND direction = :direction");
	if (a->mta != NULL)
		r |= cat(buf, len, " AND mta = :mta");
	if (a->hop != NULL)
		r |= cat(buf, len, " AND hop = :hop");
	else if (!by_hop(a))	/* deliveries only, unless asked (issue 9) */
		r |= cat(buf, len,
		    " AND hop IN ('remote', 'mailbox')");
	if (a->class != 0)
		r |= cat(buf, len, " AND class = :class");
	return r;
}

/* The AND terms every count query adds to its range: the domain and
 * host by id, the outcome fields through the (small) outcome table. */
static int
filters_sql(const struct query_args *a, int host, char *buf, size_t len)
{
	char	 terms[512] = "";
	int	 r = 0;

	if (a->domain != NULL)
		r |= cat(buf, len, " AND c.domain = (SELECT id FROM domain"
		    " WHERE name = :domain)");
	if (host && a->host != NULL)
		r |= cat(buf, len, " AND c.host = (SELECT id FROM host"
		    " WHERE name = :host)");
	if (a->provider != NULL)
		r |= cat(buf, len, " AND c.domain IN (SELECT id FROM domain"
		    " WHERE provider = :provider)");
	r |= outcome_terms(a, terms, sizeof terms);
	if (terms[0] != '\0') {
		r |= cat(buf, len, " AND c.outcome IN (SELECT id FROM outcome"
		    " WHERE 1");
		r |= cat(buf, len, terms);
		r |= cat(buf, len, ")");
	}
	return r;
}

/* The verdict conditions, as "AND ..." terms over v (the outer query
 * joins it), empty when there are none. */
int
query_sql_verdict(const struct query_args *a, char *buf, size_t len)
{
	int	 r = 0;

	if (a->category != NULL)
		r |= cat(buf, len, " AND " V_CATEGORY " = :category");
	if (a->blame != NULL)
		r |= cat(buf, len, " AND " V_BLAME " = :blame");
	return r;
}

/* Which columns the groups need from each table.  domain: group by the
 * domain (kd); verdict: kd, ko and kr, for the outer query's join. */
struct need {
	int	 time, hourly, domain, host, outcome, reason, verdict;
	int	 join_domain;	/* d is joined (domain, provider, verdict) */
};

static void
need_of(const struct query_args *a, struct need *nd)
{
	size_t	 i;

	memset(nd, 0, sizeof *nd);
	for (i = 0; i < a->nby; i++) {
		switch (query_keys[a->by[i]].src) {
		case KS_TIME:
			nd->time = 1;
			nd->hourly |= a->by[i] == QK_HOUR;
			break;
		case KS_DOMAIN:
			nd->domain = 1;
			break;
		case KS_HOST:
			nd->host = 1;
			break;
		case KS_OUTCOME:
			nd->outcome = 1;
			break;
		case KS_PROVIDER:
			nd->domain = 1;
			break;
		case KS_VERDICT:
			nd->verdict = 1;
			break;
		}
	}
	if (a->category != NULL || a->blame != NULL)
		nd->verdict = 1;
	if (nd->verdict)
		nd->domain = nd->outcome = nd->reason = 1;
	nd->join_domain = nd->domain;
}

/* The count of a day row inside [:hsince, :until): the whole n when the
 * day lies inside, else what its hours say; counts whose hour is not
 * known go with the day's start, the range's start rounded down to the
 * day (:dsince), so that adjacent ranges split a day and add up. */
#define DAY_N(hours) \
	"(CASE WHEN c.day >= :hsince AND c.day + 86400 <= :until THEN c.n" \
	" ELSE st_hours_in(" hours ", c.day, c.n, :hsince, :until, :dsince," \
	" :until) END)"

/* A day row spread over its hours, for groups by hour: z.h 0-23 are the
 * hours, 24 the counts whose hour is not known, given to the first hour of
 * the day inside the range. */
#define DAY_T \
	"(CASE WHEN z.h = 24 THEN max(c.day, :hsince) ELSE c.day + z.h * 3600" \
	" END)"
#define DAY_HN(hours) \
	"(CASE WHEN z.h = 24 THEN c.n - st_hours_total(" hours ")" \
	" ELSE st_hour_n(" hours ", z.h) END)"
#define HOURS24 \
	"(SELECT column1 AS h FROM (VALUES (0), (1), (2), (3), (4), (5), (6)," \
	" (7), (8), (9), (10), (11), (12), (13), (14), (15), (16), (17), (18)," \
	" (19), (20), (21), (22), (23), (24)))"

/* One table's aggregate: its groups and their sums, filters applied.
 * Columns: t (time keys), kd, kh, ko (ids), n. */
static int
branch_sql(const struct query_args *a, enum table_id tab, char *buf,
    size_t len)
{
	struct need	 nd;
	int		 hourtab = tab == TAB_HOUR || tab == TAB_THOUR;
	const char	*name[] = { "count_hour", "count_day", "total_hour",
			    "total_day" };
	int		 r = 0, spread;

	need_of(a, &nd);
	spread = !hourtab && nd.hourly;
	r |= cat(buf, len, "SELECT ");
	if (nd.time) {
		if (hourtab)
			r |= cat(buf, len, nd.hourly ? "c.hour AS t, " :
			    "c.hour - c.hour % 86400 AS t, ");
		else if (spread)
			r |= cat(buf, len, DAY_T " AS t, ");
		else
			r |= cat(buf, len, "c.day AS t, ");
	}
	if (nd.domain)
		r |= cat(buf, len, "c.domain AS kd, ");
	if (nd.host)
		r |= cat(buf, len, "c.host AS kh, ");
	if (nd.outcome)
		r |= cat(buf, len, "c.outcome AS ko, ");
	if (nd.reason)
		r |= cat(buf, len, "c.reason AS kr, ");
	r |= cat(buf, len, "SUM(");
	if (hourtab)
		r |= cat(buf, len, "c.n");
	else if (spread)
		r |= cat(buf, len, tab == TAB_DAY ? DAY_HN("c.hours") :
		    DAY_HN("NULL"));
	else
		r |= cat(buf, len, tab == TAB_DAY ? DAY_N("c.hours") :
		    DAY_N("NULL"));
	r |= cat(buf, len, ") AS n FROM ");
	r |= cat(buf, len, name[tab]);
	r |= cat(buf, len, " AS c");
	if (spread)
		r |= cat(buf, len, " JOIN " HOURS24 " AS z");
	r |= cat(buf, len, hourtab ?
	    " WHERE c.hour >= :hsince AND c.hour < :until" :
	    " WHERE c.day > :hsince - 86400 AND c.day < :until");
	if (spread)
		r |= cat(buf, len, " AND " DAY_T " >= :hsince AND " DAY_T
		    " < :until");
	r |= filters_sql(a, 1, buf, len);
	if (nd.time || nd.domain || nd.host || nd.outcome || nd.reason) {
		const char	*cols[] = { nd.time ? "t" : NULL,
				    nd.domain ? "kd" : NULL,
				    nd.host ? "kh" : NULL,
				    nd.outcome ? "ko" : NULL,
				    nd.reason ? "kr" : NULL };
		size_t		 k;
		int		 first = 1;

		r |= cat(buf, len, " GROUP BY ");
		for (k = 0; k < sizeof cols / sizeof cols[0]; k++) {
			if (cols[k] == NULL)
				continue;
			r |= cat(buf, len, first ? cols[k] : ", ");
			if (!first)
				r |= cat(buf, len, cols[k]);
			first = 0;
		}
	}
	return r;
}

/* Can a summary read the domain-less roll-ups? */
int
query_sql_summary_fast(const struct query_args *a)
{
	size_t	 i;

	if (a->domain != NULL || a->provider != NULL || a->category != NULL ||
	    a->blame != NULL)
		return 0;
	for (i = 0; i < a->nby; i++)
		if (query_keys[a->by[i]].src == KS_DOMAIN ||
		    query_keys[a->by[i]].src == KS_PROVIDER ||
		    query_keys[a->by[i]].src == KS_VERDICT)
			return 0;
	return 1;
}

/* The outer query's joins for what the groups need. */
static int
summary_joins(const struct need *nd, char *buf, size_t len)
{
	int	 r = 0;

	if (nd->outcome)
		r |= cat(buf, len, " JOIN outcome AS o ON o.id = u.ko");
	if (nd->join_domain)
		r |= cat(buf, len, " JOIN domain AS d ON d.id = u.kd");
	if (nd->host)
		r |= cat(buf, len, " JOIN host AS h ON h.id = u.kh");
	if (nd->verdict)
		r |= cat(buf, len, " LEFT JOIN verdict AS v ON"
		    " v.outcome = u.ko AND v.reason = u.kr AND"
		    " v.provider = d.provider");
	return r;
}

/*
 * A page of a summary: the groups after a cursor in the order of their
 * keys, which a commit cannot reorder (counts change, keys do not), so
 * paging while the daemon writes never repeats a group and never skips
 * one that exists from the first page to the last.  :c0... are the last
 * keys of the page before (no condition on the first page); :plimit is
 * one more than the page, to know whether another follows.
 */
static int
page_tail(const struct query_args *a, int nonzero, char *buf, size_t len)
{
	char	 num[32];
	size_t	 i;
	int	 r = 0;

	r |= cat(buf, len, " GROUP BY ");
	for (i = 0; i < a->nby; i++) {
		snprintf(num, sizeof num, "%s%zu", i ? ", " : "", i + 1);
		r |= cat(buf, len, num);
	}
	r |= cat(buf, len, nonzero ? " HAVING SUM(u.n) != 0" :
	    " HAVING 1");
	if (a->after != NULL) {
		r |= cat(buf, len, " AND (");
		for (i = 0; i < a->nby; i++) {
			snprintf(num, sizeof num, "%sk%zu", i ? ", " : "", i);
			r |= cat(buf, len, num);
		}
		r |= cat(buf, len, ") > (");
		for (i = 0; i < a->nby; i++) {
			snprintf(num, sizeof num, "%s:c%zu", i ? ", " : "", i);
			r |= cat(buf, len, num);
		}
		r |= cat(buf, len, ")");
	}
	r |= cat(buf, len, " ORDER BY ");
	for (i = 0; i < a->nby; i++) {
		snprintf(num, sizeof num, "%s%zu", i ? ", " : "", i + 1);
		r |= cat(buf, len, num);
	}
	r |= cat(buf, len, " LIMIT :plimit");
	return r;
}

/* Summary SQL on the count tables (fast = 0) or the roll-ups. */
int
query_sql_summary(const struct query_args *a, int fast, char *buf, size_t len)
{
	struct need	 nd;
	size_t		 i;
	int		 r = 0, timed = 0;
	char		 num[32];

	if (len == 0)
		return -1;
	need_of(a, &nd);
	buf[0] = '\0';
	r |= cat(buf, len, "SELECT ");
	for (i = 0; i < a->nby; i++) {
		r |= cat(buf, len, query_keys[a->by[i]].outer);
		snprintf(num, sizeof num, " AS k%zu, ", i);
		r |= cat(buf, len, num);
		timed |= query_keys[a->by[i]].is_time;
	}
	r |= cat(buf, len, "SUM(u.n), SUM(SUM(u.n)) OVER (),"
	    " COUNT(*) OVER ()"
	    " FROM (");
	r |= branch_sql(a, fast ? TAB_THOUR : TAB_HOUR, buf, len);
	r |= cat(buf, len, " UNION ALL ");
	r |= branch_sql(a, fast ? TAB_TDAY : TAB_DAY, buf, len);
	r |= cat(buf, len, ") AS u");
	r |= summary_joins(&nd, buf, len);
	/* Without grouping keys each branch yields one row, maybe NULL;
	 * a spread day row may give an hour nothing. */
	r |= cat(buf, len, " WHERE u.n IS NOT NULL AND u.n != 0");
	r |= query_sql_verdict(a, buf, len);
	if (a->nby > 0 && a->limit > 0) {
		r |= page_tail(a, 0, buf, len);
		return r ? -1 : 0;
	}
	if (a->nby > 0) {
		r |= cat(buf, len, " GROUP BY ");
		for (i = 0; i < a->nby; i++) {
			snprintf(num, sizeof num, "%s%zu", i ? ", " : "",
			    i + 1);
			r |= cat(buf, len, num);
		}
		r |= cat(buf, len, " ORDER BY ");
		if (timed) {
			/* Time series read in time order. */
			for (i = 0; i < a->nby; i++) {
				if (!query_keys[a->by[i]].is_time)
					continue;
				snprintf(num, sizeof num, "%zu, ", i + 1);
				r |= cat(buf, len, num);
			}
		}
		snprintf(num, sizeof num, "%zu DESC", a->nby + 1);
		r |= cat(buf, len, num);
		for (i = 0; i < a->nby; i++) {
			snprintf(num, sizeof num, ", %zu", i + 1);
			r |= cat(buf, len, num);
		}
	}
	r |= cat(buf, len, " LIMIT :limit");
	return r ? -1 : 0;
}

/* Summary SQL from fixed fragments only; values stay bound parameters.
 * The roll-ups are used whenever the request allows it. */
int
query_summary_sql(const struct query_args *a, char *buf, size_t len)
{
	return query_sql_summary(a, query_sql_summary_fast(a), buf, len);
}

/* Bind a named parameter if the statement has it. */
static void
bind_text(sqlite3_stmt *st, const char *name, const char *v)
{
	int	 i;

	if (v != NULL && (i = sqlite3_bind_parameter_index(st, name)) > 0)
		sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
}

/* Bind an integer parameter if the statement names it. */
static void
bind_int(sqlite3_stmt *st, const char *name, int64_t v)
{
	int	 i;

	if ((i = sqlite3_bind_parameter_index(st, name)) > 0)
		sqlite3_bind_int64(st, i, v);
}

/* Every parameter a count or reason query may name. */
void
query_sql_bind(sqlite3_stmt *st, const struct query_args *a, int64_t limit)
{
	bind_int(st, ":hsince", a->since - a->since % HOUR);
	bind_int(st, ":dsince", a->since - a->since % DAY);
	bind_int(st, ":until", a->until);
	bind_text(st, ":domain", a->domain);
	bind_text(st, ":host", a->host);
	if (a->reply != -1)
		bind_int(st, ":reply", a->reply);
	bind_text(st, ":enhanced", a->enhanced);
	bind_text(st, ":status", a->status);
	bind_text(st, ":kind", a->kind);
	bind_text(st, ":direction", a->direction);
	bind_text(st, ":mta", a->mta);
	bind_text(st, ":hop", a->hop);
	bind_text(st, ":category", a->category);
	bind_text(st, ":blame", a->blame);
	/* A provider not known is stored as "" and shown as "other". */
	if (a->provider != NULL)
		bind_text(st, ":provider", strcmp(a->provider, "other") == 0 ?
		    "" : a->provider);
	if (a->class != 0)
		bind_int(st, ":class", a->class);
	bind_int(st, ":limit", limit);
}

/* A summary whose groups need no hour, day or host (by domain, provider,
 * category...) reads like /v1/domains: whole months from domain_month. */
int
query_sql_by_range(const struct query_args *a)
{
	struct need	 nd;

	need_of(a, &nd);
	return !query_sql_summary_fast(a) && !nd.time && !nd.host && a->host == NULL;
}

/* That summary's SQL over range_sql's sums. */
int
query_sql_summary_range(struct query *q, const struct query_args *a, int64_t *m,
    char *buf, size_t len)
{
	struct need	 nd;
	size_t		 i;
	int		 r = 0;
	char		 num[32];

	need_of(a, &nd);
	buf[0] = '\0';
	r |= cat(buf, len, "SELECT ");
	for (i = 0; i < a->nby; i++) {
		r |= cat(buf, len, query_keys[a->by[i]].outer);
		snprintf(num, sizeof num, " AS k%zu, ", i);
		r |= cat(buf, len, num);
	}
	r |= cat(buf, len, "SUM(u.n), SUM(SUM(u.n)) OVER (),"
	    " COUNT(*) OVER ()"
	    " FROM ");
	r |= query_sql_range(a, query_sql_plan(q, a, m), nd.verdict, buf, len);
	r |= cat(buf, len, " WHERE 1");
	r |= query_sql_verdict(a, buf, len);
	if (a->nby > 0 && a->limit > 0) {
		r |= page_tail(a, 1, buf, len);
		return r ? -1 : 0;
	}
	if (a->nby > 0) {
		r |= cat(buf, len, " GROUP BY ");
		for (i = 0; i < a->nby; i++) {
			snprintf(num, sizeof num, "%s%zu", i ? ", " : "",
			    i + 1);
			r |= cat(buf, len, num);
		}
		r |= cat(buf, len, " HAVING SUM(u.n) != 0");
		snprintf(num, sizeof num, " ORDER BY %zu DESC", a->nby + 1);
		r |= cat(buf, len, num);
		for (i = 0; i < a->nby; i++) {
			snprintf(num, sizeof num, ", %zu", i + 1);
			r |= cat(buf, len, num);
		}
	}
	r |= cat(buf, len, " LIMIT :limit");
	return r ? -1 : 0;
}

/* The whole UTC months [*m0, *m1) inside a request's buckets, or -1
 * when there are none.  Every hour and day bucket of those months counts
 * in the range (a month starts at or after `since` rounded down to the
 * hour, so to the day as well, and ends by `until`). */
static int
whole_months(const struct query_args *a, int64_t *m0, int64_t *m1)
{
	int64_t	 from = a->since - a->since % HOUR;

	*m0 = civil_month_start(from);
	if (*m0 < from)
		*m0 = civil_month_start(*m0 + 32 * DAY);
	*m1 = a->until >= QUERY_UNTIL_MAX ? QUERY_UNTIL_MAX :
	    civil_month_start(a->until);
	return *m0 < *m1 ? 0 : -1;
}

/* Can /v1/domains read domain_month?  Only filters it keeps. */
static int
domains_fast(const struct query_args *a)
{
	return a->host == NULL;
}

/* One count table's per-domain and outcome sums over [lo, hi), filters
 * applied, counts whose hour is not known when their day starts in [dlo,
 * dhi) (see DAY_N); neg subtracts them. */
static int
domains_branch(const struct query_args *a, enum table_id tab, const char *lo,
    const char *hi, const char *dlo, const char *dhi, int neg, char *sql,
    size_t len)
{
	char	 n[256];
	int	 rc = 0;

	if (tab == TAB_HOUR)
		snprintf(n, sizeof n, "c.n");
	else
		snprintf(n, sizeof n, "(CASE WHEN c.day >= %s AND c.day + "
		    "86400 <= %s THEN c.n ELSE st_hours_in(c.hours, c.day, "
		    "c.n, %s, %s, %s, %s) END)", lo, hi, lo, hi, dlo, dhi);
	rc |= cat(sql, len, "SELECT c.domain AS dom, c.outcome AS oc,"
	    " c.reason AS kr, ");
	rc |= cat(sql, len, neg ? "-SUM(" : "SUM(");
	rc |= cat(sql, len, n);
	rc |= cat(sql, len, ") AS n FROM ");
	rc |= cat(sql, len, tab == TAB_HOUR ? "count_hour AS c WHERE c.hour"
	    " >= " : "count_day AS c WHERE c.day > -86400 + ");
	rc |= cat(sql, len, tab == TAB_HOUR ? lo : dlo);
	rc |= cat(sql, len, tab == TAB_HOUR ? " AND c.hour < " :
	    " AND c.day < ");
	rc |= cat(sql, len, hi);
	rc |= filters_sql(a, 1, sql, len);
	rc |= cat(sql, len, " GROUP BY 1, 2, 3");
	return rc;
}

/* Both count tables over [lo, hi); days known only by day when they
 * start in [dlo, dhi). */
static int
domains_counts(const struct query_args *a, const char *lo, const char *hi,
    const char *dlo, const char *dhi, int neg, char *sql, size_t len)
{
	int	 rc = 0;

	rc |= domains_branch(a, TAB_HOUR, lo, hi, dlo, dhi, neg, sql, len);
	rc |= cat(sql, len, " UNION ALL ");
	rc |= domains_branch(a, TAB_DAY, lo, hi, dlo, dhi, neg, sql, len);
	return rc;
}

/* A roll-up of domains (domain_month or domain_total: folded days only),
 * filters applied. */
static int
domains_roll(const struct query_args *a, const char *tab, const char *when,
    int neg, char *sql, size_t len)
{
	int	 rc = 0;

	rc |= cat(sql, len, neg ? "SELECT c.domain AS dom, c.outcome AS oc,"
	    " c.reason AS kr, -SUM(c.n) AS n FROM " : "SELECT c.domain AS dom,"
	    " c.outcome AS oc, c.reason AS kr, SUM(c.n) AS n FROM ");
	rc |= cat(sql, len, tab);
	rc |= cat(sql, len, " AS c WHERE ");
	rc |= cat(sql, len, when);
	rc |= filters_sql(a, 0, sql, len);
	rc |= cat(sql, len, " GROUP BY 1, 2, 3");
	return rc;
}

/* The sums per (domain, outcome, reason) over a request's range and
 * filters, as "(...) AS u" with columns dom, oc, kr, n, by a plan; values
 * stay bound parameters.  The roll-ups hold folded days only, so the
 * plans over them read count_hour's rows of the range directly (a few
 * recent days) and the roll-up arithmetic covers count_day: DP_MONTHS
 * takes whole months from domain_month and the day rows at the edges;
 * DP_REST subtracts the day rows outside the range (months before :c0
 * and from :c1 on, count_day between them and the range) from the
 * all-time totals, so a key's sum may be 0: the caller drops those
 * (every stored n is > 0). */
int
query_sql_range(const struct query_args *a, enum domains_plan plan, int verdict,
    char *sql, size_t len)
{
	int	 rc;

	rc = cat(sql, len, "(");
	switch (plan) {
	case DP_COUNTS:
		rc |= domains_counts(a, ":hsince", ":until", ":dsince",
		    ":until", 0, sql, len);
		break;
	case DP_MONTHS:
		rc |= domains_branch(a, TAB_HOUR, ":hsince", ":until",
		    ":dsince", ":until", 0, sql, len);
		rc |= cat(sql, len, " UNION ALL ");
		rc |= domains_branch(a, TAB_DAY, ":hsince", ":m0", ":dsince",
		    ":m0", 0, sql, len);
		rc |= cat(sql, len, " UNION ALL ");
		rc |= domains_roll(a, "domain_month", "c.month >= :m0 AND"
		    " c.month < :m1", 0, sql, len);
		if (a->until < QUERY_UNTIL_MAX) {
			rc |= cat(sql, len, " UNION ALL ");
			rc |= domains_branch(a, TAB_DAY, ":m1", ":until",
			    ":m1", ":until", 0, sql, len);
		}
		break;
	case DP_REST:
		rc |= domains_branch(a, TAB_HOUR, ":hsince", ":until",
		    ":dsince", ":until", 0, sql, len);
		rc |= cat(sql, len, " UNION ALL ");
		rc |= domains_roll(a, "domain_total", "1", 0, sql, len);
		rc |= cat(sql, len, " UNION ALL ");
		rc |= domains_roll(a, "domain_month", "(c.month < :c0 OR"
		    " c.month >= :c1)", 1, sql, len);
		rc |= cat(sql, len, " UNION ALL ");
		rc |= domains_branch(a, TAB_DAY, ":c0", ":hsince", ":c0",
		    ":dsince", 1, sql, len);
		if (a->until < QUERY_UNTIL_MAX) {
			rc |= cat(sql, len, " UNION ALL ");
			rc |= domains_branch(a, TAB_DAY, ":until", ":c1",
			    ":until", ":c1", 1, sql, len);
		}
		break;
	}
	rc |= cat(sql, len, ") AS u JOIN domain AS d ON d.id = u.dom"
	    " JOIN outcome AS o ON o.id = u.oc");
	if (verdict || a->category != NULL || a->blame != NULL)
		rc |= cat(sql, len, " LEFT JOIN verdict AS v ON"
		    " v.outcome = u.oc AND v.reason = u.kr AND"
		    " v.provider = d.provider");
	return rc;
}

/* /v1/domains SQL: per domain its attempts and their sent, deferred and
 * bounced parts (each outcome's split). */
int
query_sql_domains(const struct query_args *a, enum domains_plan plan, char *sql,
    size_t len)
{
	int	 rc;

	sql[0] = '\0';
	rc = cat(sql, len, "SELECT d.name AS k0, SUM(u.n),"
	    " SUM(CASE o.split WHEN 0 THEN u.n ELSE 0 END),"
	    " SUM(CASE o.split WHEN 1 THEN u.n ELSE 0 END),"
	    " SUM(CASE o.split WHEN 2 THEN u.n ELSE 0 END) FROM ");
	rc |= query_sql_range(a, plan, 0, sql, len);
	rc |= cat(sql, len, " WHERE 1");
	rc |= query_sql_verdict(a, sql, len);
	rc |= cat(sql, len, " GROUP BY u.dom HAVING SUM(u.n) != 0");
	if (a->limit > 0) {
		/* A page: by name, after the cursor (page_tail). */
		if (a->after != NULL)
			rc |= cat(sql, len, " AND k0 > :c0");
		rc |= cat(sql, len, " ORDER BY 1 LIMIT :plimit");
	} else
		rc |= cat(sql, len, " ORDER BY 2 DESC, 1");
	return rc ? -1 : 0;
}

/* The month bounds a plan reads by (domains_plan). */
void
query_sql_bind_months(sqlite3_stmt *st, const int64_t *m)
{
	bind_int(st, ":m0", m[0]);
	bind_int(st, ":m1", m[1]);
	bind_int(st, ":c0", m[2]);
	bind_int(st, ":c1", m[3]);
}

/* Seconds of [lo, hi) that lie inside [from, to). */
static int64_t
overlap(int64_t lo, int64_t hi, int64_t from, int64_t to)
{
	if (lo < from)
		lo = from;
	if (hi > to)
		hi = to;
	return hi > lo ? hi - lo : 0;
}

/* The first and after-last second holding counts, from the roll-ups'
 * keys (ends of primary keys: quick); -1 when there are none. */
static int
data_span(struct query *q, int64_t *lo, int64_t *hi)
{
	sqlite3_stmt	*st;
	int		 i, rc;
	int64_t		 v;

	*lo = INT64_MAX;
	*hi = -1;
	if ((rc = sqlite3_prepare_v2(q->db, "SELECT (SELECT min(hour) FROM"
	    " total_hour), (SELECT max(hour) + 3600 FROM total_hour),"
	    " (SELECT min(day) FROM total_day), (SELECT max(day) + 86400"
	    " FROM total_day)", -1, &st, NULL)) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW) {
		for (i = 0; i < 4; i++) {
			if (sqlite3_column_type(st, i) == SQLITE_NULL)
				continue;
			v = sqlite3_column_int64(st, i);
			if (i % 2 == 0 && v < *lo)
				*lo = v;
			if (i % 2 == 1 && v > *hi)
				*hi = v;
		}
	}
	sqlite3_finalize(st);
	return *hi > *lo ? 0 : -1;
}

/* Choose how to answer /v1/domains: the count tables when the roll-ups
 * cannot serve the filters; else whichever of "months inside plus edges"
 * and "all time less months outside and edges" reads less, by a rough
 * cost: a month of domain_month or the all-time table like 2 days of
 * count rows. */
enum domains_plan
query_sql_plan(struct query *q, const struct query_args *a, int64_t *m)
{
	int64_t	 lo, hi, hsince, direct, rest;

	if (!q->fast || !domains_fast(a) || data_span(q, &lo, &hi) == -1)
		return DP_COUNTS;
	hsince = a->since - a->since % HOUR;
	/* m[0], m[1]: whole months inside; m[2], m[3]: outside from. */
	m[2] = civil_month_start(a->since - a->since % DAY);
	m[3] = a->until >= QUERY_UNTIL_MAX ? QUERY_UNTIL_MAX :
	    civil_month_start(a->until) == a->until ? a->until :
	    civil_month_start(civil_month_start(a->until) + 32 * DAY);
	rest = 2 * DAY + overlap(lo, hi, lo, m[2]) / 15 +
	    overlap(lo, hi, m[3], QUERY_UNTIL_MAX) / 15 +
	    overlap(lo, hi, m[2], hsince) +
	    (a->until < QUERY_UNTIL_MAX ? overlap(lo, hi, a->until, m[3]) : 0);
	if (whole_months(a, &m[0], &m[1]) == -1)
		return rest < overlap(lo, hi, hsince, a->until) ? DP_REST :
		    DP_COUNTS;
	direct = overlap(lo, hi, m[0], m[1]) / 15 +
	    overlap(lo, hi, hsince, m[0]) +
	    (a->until < QUERY_UNTIL_MAX ? overlap(lo, hi, m[1], a->until) : 0);
	return rest < direct ? DP_REST : DP_MONTHS;
}

