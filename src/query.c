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
 * Not here: sockets, libevent, writing to the database.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <sqlite3.h>

#include "civil.h"
#include "codes.h"
#include "event.h"
#include "hours.h"
#include "classify.h"
#include "provider.h"
#include "query.h"
#include "timespec.h"

#define HOUR	3600
#define DAY	86400
#define SQL_MAX	4096

/* One aggregate per bucket table. */
enum table_id { TAB_HOUR, TAB_DAY, TAB_THOUR, TAB_TDAY };

struct query {
	char			*path;
	struct query_limits	 limits;
	sqlite3			*db;
	struct timespec		 deadline;
	int			 timed_out;
	int64_t			 commit_failures;
	int			 fast;		/* use the roll-ups */
};

/* Where a grouping key's value comes from in a count row. */
enum key_src {
	KS_TIME,	/* the bucket: u.t */
	KS_DOMAIN,	/* u.kd, joined to domain d */
	KS_HOST,	/* u.kh, joined to host h */
	KS_OUTCOME,	/* u.ko, joined to outcome o */
	KS_PROVIDER,	/* the domain's provider: u.kd, joined to domain d */
	KS_VERDICT	/* u.ko, u.kr and d.provider, joined to verdict v */
};

/* What the views print for a verdict that is not there yet, and for a
 * provider not known. */
#define V_CATEGORY	"coalesce(v.category, 'other')"
#define V_BLAME		"coalesce(v.blame, 'unknown')"
#define D_PROVIDER	"(CASE d.provider WHEN '' THEN 'other' ELSE d.provider END)"

struct key_def {
	const char	*name;
	enum key_src	 src;
	const char	*outer;		/* the value in the merged groups */
	int		 is_int;	/* JSON integer, else string */
	int		 is_time;	/* JSON RFC 3339 string */
};

static const struct key_def keys[QK_COUNT_] = {
	[QK_CLASS] = { "class", KS_OUTCOME, "o.class", 1, 0 },
	[QK_REPLY] = { "reply", KS_OUTCOME, "o.reply", 1, 0 },
	[QK_ENHANCED] = { "enhanced", KS_OUTCOME, "o.enhanced", 0, 0 },
	[QK_DOMAIN] = { "domain", KS_DOMAIN, "d.name", 0, 0 },
	[QK_STATUS] = { "status", KS_OUTCOME, "o.status", 0, 0 },
	[QK_KIND] = { "kind", KS_OUTCOME, "o.kind", 0, 0 },
	[QK_DIRECTION] = { "direction", KS_OUTCOME, "o.direction", 0, 0 },
	[QK_MTA] = { "mta", KS_OUTCOME, "o.mta", 0, 0 },
	[QK_HOP] = { "hop", KS_OUTCOME, "o.hop", 0, 0 },
	[QK_HOST] = { "host", KS_HOST, "h.name", 0, 0 },
	[QK_HOUR] = { "hour", KS_TIME, "u.t", 0, 1 },
	[QK_DAY] = { "day", KS_TIME, "(u.t - u.t % 86400)", 0, 1 },
	[QK_CATEGORY] = { "category", KS_VERDICT, V_CATEGORY, 0, 0 },
	[QK_BLAME] = { "blame", KS_VERDICT, V_BLAME, 0, 0 },
	[QK_PROVIDER] = { "provider", KS_PROVIDER, D_PROVIDER, 0, 0 },
};

/* The API name of a grouping key, for callers listing them. */
const char *
query_key_name(enum query_key k)
{
	if ((unsigned)k >= QK_COUNT_)
		return NULL;
	return keys[k].name;
}

/* Error bodies are fixed texts plus, at most, a parameter's name. */
json_t *
query_error(const char *msg)
{
	return json_pack("{s:s}", "error", msg);
}

/* Strings from strangers may not be UTF-8: replace bad bytes with '?'. */
static json_t *
jstr(const char *s)
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
static json_t *
jtime(int64_t t)
{
	char	 buf[40];

	if (timespec_format(t, buf, sizeof buf) == -1)
		return json_null();
	return json_string(buf);
}

/* Class digit as the API spells it. */
static json_t *
jclass(int c)
{
	char	 buf[8];

	if (c < 1 || c > 9)
		return json_string("unknown");
	snprintf(buf, sizeof buf, "%dxx", c);
	return json_string(buf);
}

/* Strict integer parsing: the whole string, within bounds. */
static int
parse_int(const char *s, long lo, long hi, long *out)
{
	char	*end;
	long	 v;

	if (*s == '\0' || strlen(s) > 12)
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

/* Format a 400 message naming the parameter, never its value. */
static int
bad(char *err, size_t errlen, const char *what, const char *key)
{
	snprintf(err, errlen, "%s: %s", key, what);
	return -1;
}

/* Comma-separated grouping keys, each known and used once. */
static int
parse_by(const char *v, struct query_args *a, char *err, size_t errlen)
{
	char		 buf[QUERY_VALUE_MAX + 1], *p, *tok;
	size_t		 i, k;

	if (strlen(v) > QUERY_VALUE_MAX)
		return bad(err, errlen, "too long", "by");
	strcpy(buf, v);
	for (p = buf; (tok = strsep(&p, ",")) != NULL;) {
		if (*tok == '\0')
			continue;
		for (k = 0; k < QK_COUNT_; k++)
			if (strcmp(tok, keys[k].name) == 0)
				break;
		if (k == QK_COUNT_)
			return bad(err, errlen, "unknown grouping key "
			    "(class reply enhanced domain status kind "
			    "direction mta hop host hour day category "
			    "blame provider)", "by");
		for (i = 0; i < a->nby; i++)
			if (a->by[i] == (enum query_key)k)
				return bad(err, errlen, "key repeated", "by");
		if (a->nby == QUERY_BY_MAX)
			return bad(err, errlen, "too many keys", "by");
		a->by[a->nby++] = k;
	}
	return 0;
}

/* Validate all before any SQL exists; refuse unknown or repeated keys. */
int
query_args_parse(const struct query_param *p, size_t n, int64_t now,
    unsigned allow, struct query_args *a, char *err, size_t errlen)
{
	size_t		 i, j;
	long		 v;
	int64_t		 t;
	const char	*k, *val;

	memset(a, 0, sizeof *a);
	a->until = QUERY_UNTIL_MAX;
	a->reply = -1;
	if (n > QUERY_PARAMS_MAX)
		return bad(err, errlen, "too many parameters", "query");
	for (i = 0; i < n; i++) {
		k = p[i].key;
		val = p[i].value;
		if (k == NULL || val == NULL)
			return bad(err, errlen, "malformed", "query");
		for (j = 0; j < i; j++)
			if (strcmp(p[j].key, k) == 0)
				return bad(err, errlen, "given twice", "query");
		if (strlen(val) > QUERY_VALUE_MAX)
			return bad(err, errlen, "value too long", "query");
		if ((allow & QA_RANGE) && (strcmp(k, "since") == 0 ||
		    strcmp(k, "until") == 0)) {
			if (timespec_parse(val, now, &t) == -1 || t < 0 ||
			    t >= QUERY_UNTIL_MAX)
				return bad(err, errlen, "not a time (1h, 7d, "
				    "today, RFC 3339)", k);
			if (k[0] == 's') {
				a->since = t;
				a->has_since = 1;
			} else {
				a->until = t;
				a->has_until = 1;
			}
		} else if ((allow & QA_BY) && strcmp(k, "by") == 0) {
			if (parse_by(val, a, err, errlen) == -1)
				return -1;
		} else if ((allow & QA_TOP) && strcmp(k, "top") == 0) {
			if (parse_int(val, 1, INT_MAX, &v) == -1)
				return bad(err, errlen, "not a positive "
				    "integer", k);
			a->top = (int)v;
		} else if ((allow & QA_FILTERS) && strcmp(k, "reply") == 0) {
			if (parse_int(val, 0, 599, &v) == -1 ||
			    (v != 0 && v < 200))
				return bad(err, errlen, "not a reply code "
				    "(0 or 200-599)", k);
			a->reply = (int)v;
		} else if ((allow & QA_FILTERS) && strcmp(k, "class") == 0) {
			if ((val[0] == '2' || val[0] == '4' ||
			    val[0] == '5') && (val[1] == '\0' ||
			    strcmp(val + 1, "xx") == 0))
				a->class = val[0] - '0';
			else
				return bad(err, errlen, "not 2xx, 4xx or 5xx",
				    k);
		} else if ((allow & QA_FILTERS) &&
		    strcmp(k, "enhanced") == 0) {
			if (*val != '\0' && !codes_enhanced_valid(val))
				return bad(err, errlen, "not an enhanced "
				    "status code (5.1.1)", k);
			a->enhanced = val;
		} else if ((allow & QA_FILTERS) && strcmp(k, "domain") == 0) {
			if (*val == '\0' || strlen(val) > 255)
				return bad(err, errlen, "empty or too long", k);
			a->domain = val;
		} else if ((allow & QA_FILTERS) && strcmp(k, "host") == 0) {
			if (strlen(val) > 255)
				return bad(err, errlen, "too long", k);
			a->host = val;
		} else if ((allow & QA_FILTERS) && strcmp(k, "status") == 0) {
			if (event_status_from_name(val) == -1)
				return bad(err, errlen, "unknown status", k);
			a->status = val;
		} else if ((allow & QA_FILTERS) && strcmp(k, "kind") == 0) {
			if (event_kind_from_name(val) == -1)
				return bad(err, errlen, "unknown kind "
				    "(attempt skip final verify)", k);
			a->kind = val;
		} else if ((allow & QA_FILTERS) &&
		    strcmp(k, "direction") == 0) {
			if (event_direction_from_name(val) == -1)
				return bad(err, errlen, "not out or in", k);
			a->direction = val;
		} else if ((allow & QA_FILTERS) && strcmp(k, "mta") == 0) {
			if (event_mta_from_name(val) == -1)
				return bad(err, errlen, "not postfix or exim",
				    k);
			a->mta = val;
		} else if ((allow & QA_FILTERS) &&
		    strcmp(k, "category") == 0) {
			if (classify_category_from_name(val) == -1)
				return bad(err, errlen, "unknown category", k);
			a->category = val;
		} else if ((allow & QA_FILTERS) && strcmp(k, "blame") == 0) {
			if (classify_blame_from_name(val) == -1)
				return bad(err, errlen, "unknown party to blame",
				    k);
			a->blame = val;
		} else if ((allow & QA_FILTERS) &&
		    strcmp(k, "provider") == 0) {
			if (provider_from_name(val) == -1)
				return bad(err, errlen, "unknown provider", k);
			a->provider = val;
		} else if ((allow & QA_FILTERS) && strcmp(k, "hop") == 0) {
			if (event_hop_from_name(val) == -1)
				return bad(err, errlen, "unknown hop "
				    "(remote mailbox filter discard)", k);
			a->hop = val;
		} else
			return bad(err, errlen, "unknown parameter for this "
			    "endpoint", "query");
	}
	if (a->since >= a->until)
		return bad(err, errlen, "must be before until", "since");
	if (a->kind == NULL && (allow & QA_FILTERS))
		a->kind = "attempt";
	return 0;
}

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

/* The outcome conditions of a request, as "AND ..." terms over the
 * outcome table (empty when there are none). */
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
static int
verdict_terms(const struct query_args *a, char *buf, size_t len)
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
		switch (keys[a->by[i]].src) {
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
static int
summary_fast(const struct query_args *a)
{
	size_t	 i;

	if (a->domain != NULL || a->provider != NULL || a->category != NULL ||
	    a->blame != NULL)
		return 0;
	for (i = 0; i < a->nby; i++)
		if (keys[a->by[i]].src == KS_DOMAIN ||
		    keys[a->by[i]].src == KS_PROVIDER ||
		    keys[a->by[i]].src == KS_VERDICT)
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

/* Summary SQL on the count tables (fast = 0) or the roll-ups. */
static int
summary_sql(const struct query_args *a, int fast, char *buf, size_t len)
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
		r |= cat(buf, len, keys[a->by[i]].outer);
		r |= cat(buf, len, ", ");
		timed |= keys[a->by[i]].is_time;
	}
	r |= cat(buf, len, "SUM(u.n), SUM(SUM(u.n)) OVER (), COUNT(*) OVER ()"
	    " FROM (");
	r |= branch_sql(a, fast ? TAB_THOUR : TAB_HOUR, buf, len);
	r |= cat(buf, len, " UNION ALL ");
	r |= branch_sql(a, fast ? TAB_TDAY : TAB_DAY, buf, len);
	r |= cat(buf, len, ") AS u");
	r |= summary_joins(&nd, buf, len);
	/* Without grouping keys each branch yields one row, maybe NULL;
	 * a spread day row may give an hour nothing. */
	r |= cat(buf, len, " WHERE u.n IS NOT NULL AND u.n != 0");
	r |= verdict_terms(a, buf, len);
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
				if (!keys[a->by[i]].is_time)
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
	return summary_sql(a, summary_fast(a), buf, len);
}

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
	if (version != 4) {
		sqlite3_close(q->db);
		q->db = NULL;
		*cause = version == 0 ? "database not initialised yet" :
		    "database schema version not supported";
		return -1;
	}
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
static void
bind_args(sqlite3_stmt *st, const struct query_args *a, int64_t limit)
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

/* Map SQLite's answer to an HTTP status and a message. */
static void
fail(struct query *q, struct query_result *r, int rc)
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

/* since/until as the answer echoes them: null when unbounded. */
static void
put_range(json_t *o, const struct query_args *a)
{
	json_object_set_new(o, "since", a->has_since ? jtime(a->since) :
	    json_null());
	json_object_set_new(o, "until", a->has_until ? jtime(a->until) :
	    json_null());
}

/* The answer every counting endpoint gives: its range, the total, the
 * rows, and whether the rows were cut at the row limit. */
static void
put_answer(struct query_result *r, const struct query_args *a,
    int64_t total, json_t *rows, int truncated)
{
	r->json = json_object();
	put_range(r->json, a);
	json_object_set_new(r->json, "total", json_integer(total));
	json_object_set_new(r->json, "rows", rows);
	if (truncated)
		json_object_set_new(r->json, "truncated", json_true());
	r->status = 200;
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

enum domains_plan {
	DP_COUNTS,	/* the count tables over the range */
	DP_MONTHS,	/* domain_month inside, counts at the edges */
	DP_REST		/* domain_total less everything outside */
};

static enum domains_plan domains_plan(struct query *, const struct query_args *,
		     int64_t *);
static int	 range_sql(const struct query_args *, enum domains_plan, int,
		     char *, size_t);
static void	 bind_months(sqlite3_stmt *, const int64_t *);

/* A summary whose groups need no hour, day or host (by domain, provider,
 * category...) reads like /v1/domains: whole months from domain_month. */
static int
summary_by_range(const struct query_args *a)
{
	struct need	 nd;

	need_of(a, &nd);
	return !summary_fast(a) && !nd.time && !nd.host && a->host == NULL;
}

/* That summary's SQL over range_sql's sums. */
static int
summary_range_sql(struct query *q, const struct query_args *a, int64_t *m,
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
		r |= cat(buf, len, keys[a->by[i]].outer);
		r |= cat(buf, len, ", ");
	}
	r |= cat(buf, len, "SUM(u.n), SUM(SUM(u.n)) OVER (), COUNT(*) OVER ()"
	    " FROM ");
	r |= range_sql(a, domains_plan(q, a, m), nd.verdict, buf, len);
	r |= cat(buf, len, " WHERE 1");
	r |= verdict_terms(a, buf, len);
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

/* GET /v1/summary */
static void
ep_summary(struct query *q, const struct query_args *a,
    struct query_result *r)
{
	char		 sql[SQL_MAX];
	sqlite3_stmt	*st = NULL;
	json_t		*rows, *row, *o;
	int64_t		 total = 0, groups = 0, limit, m[4] = { 0, 0, 0, 0 };
	size_t		 i;
	int		 rc, nrows = 0;
	enum query_key	 k;

	limit = a->top > 0 && a->top < q->limits.max_rows ? a->top :
	    q->limits.max_rows;
	if ((summary_by_range(a) ? summary_range_sql(q, a, m, sql,
	    sizeof sql) : summary_sql(a, q->fast && summary_fast(a), sql,
	    sizeof sql)) == -1) {
		r->status = 500;
		r->json = query_error("query too complex");
		return;
	}
	if ((rc = sqlite3_prepare_v2(q->db, sql, -1, &st, NULL)) != SQLITE_OK) {
		fail(q, r, rc);
		return;
	}
	bind_args(st, a, limit);
	bind_months(st, m);
	rows = json_array();
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		row = json_object();
		for (i = 0; i < a->nby; i++) {
			k = a->by[i];
			if (k == QK_CLASS)
				o = jclass(sqlite3_column_int(st, (int)i));
			else if (keys[k].is_time)
				o = jtime(sqlite3_column_int64(st, (int)i));
			else if (keys[k].is_int)
				o = json_integer(sqlite3_column_int64(st,
				    (int)i));
			else
				o = jstr((const char *)sqlite3_column_text(st,
				    (int)i));
			json_object_set_new(row, keys[k].name, o);
		}
		json_object_set_new(row, "count",
		    json_integer(sqlite3_column_int64(st, (int)a->nby)));
		total = sqlite3_column_int64(st, (int)a->nby + 1);
		groups = sqlite3_column_int64(st, (int)a->nby + 2);
		json_array_append_new(rows, row);
		nrows++;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		json_decref(rows);
		fail(q, r, rc);
		return;
	}
	if (a->nby == 0 && nrows == 1 && total == 0) {
		/* SUM over nothing is NULL: say zero rows plainly. */
		json_array_clear(rows);
		json_array_append_new(rows, json_pack("{s:I}", "count",
		    (json_int_t)0));
	}
	put_answer(r, a, total, rows, groups > nrows);
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

/* A roll-up of domains (domain_month or domain_total), filters applied. */
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
 * stay bound parameters.  DP_REST subtracts the buckets outside the range
 * (months before :c0 and from :c1 on, the count tables between them and
 * the range) from the all-time totals, so a key's sum may be 0: the
 * caller drops those (every stored n is > 0). */
static int
range_sql(const struct query_args *a, enum domains_plan plan, int verdict,
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
		rc |= domains_counts(a, ":hsince", ":m0", ":dsince", ":m0",
		    0, sql, len);
		rc |= cat(sql, len, " UNION ALL ");
		rc |= domains_roll(a, "domain_month", "c.month >= :m0 AND"
		    " c.month < :m1", 0, sql, len);
		if (a->until < QUERY_UNTIL_MAX) {
			rc |= cat(sql, len, " UNION ALL ");
			rc |= domains_counts(a, ":m1", ":until", ":m1",
			    ":until", 0, sql, len);
		}
		break;
	case DP_REST:
		rc |= domains_roll(a, "domain_total", "1", 0, sql, len);
		rc |= cat(sql, len, " UNION ALL ");
		rc |= domains_roll(a, "domain_month", "(c.month < :c0 OR"
		    " c.month >= :c1)", 1, sql, len);
		rc |= cat(sql, len, " UNION ALL ");
		rc |= domains_counts(a, ":c0", ":hsince", ":c0", ":dsince",
		    1, sql, len);
		if (a->until < QUERY_UNTIL_MAX) {
			rc |= cat(sql, len, " UNION ALL ");
			rc |= domains_counts(a, ":until", ":c1", ":until",
			    ":c1", 1, sql, len);
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
static int
domains_sql(const struct query_args *a, enum domains_plan plan, char *sql,
    size_t len)
{
	int	 rc;

	sql[0] = '\0';
	rc = cat(sql, len, "SELECT d.name, SUM(u.n),"
	    " SUM(CASE o.split WHEN 0 THEN u.n ELSE 0 END),"
	    " SUM(CASE o.split WHEN 1 THEN u.n ELSE 0 END),"
	    " SUM(CASE o.split WHEN 2 THEN u.n ELSE 0 END) FROM ");
	rc |= range_sql(a, plan, 0, sql, len);
	rc |= cat(sql, len, " WHERE 1");
	rc |= verdict_terms(a, sql, len);
	rc |= cat(sql, len, " GROUP BY u.dom HAVING SUM(u.n) != 0"
	    " ORDER BY 2 DESC, 1");
	return rc ? -1 : 0;
}

/* The month bounds a plan reads by (domains_plan). */
static void
bind_months(sqlite3_stmt *st, const int64_t *m)
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
static enum domains_plan
domains_plan(struct query *q, const struct query_args *a, int64_t *m)
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

/* GET /v1/domains: top N by attempts and the rest as one row. */
static void
ep_domains(struct query *q, const struct query_args *a,
    struct query_result *r)
{
	char		 sql[SQL_MAX];
	sqlite3_stmt	*st = NULL;
	json_t		*rows, *row;
	int64_t		 v[4], other[4] = { 0, 0, 0, 0 }, total = 0;
	int64_t		 m[4] = { 0, 0, 0, 0 };
	enum domains_plan plan;
	int		 rc, i, top, n = 0, nother = 0;

	top = a->top > 0 ? a->top : 10;
	if (top > q->limits.max_rows)
		top = q->limits.max_rows;
	plan = domains_plan(q, a, m);
	rc = domains_sql(a, plan, sql, sizeof sql);
	if (rc != 0 || (rc = sqlite3_prepare_v2(q->db, sql, -1, &st,
	    NULL)) != SQLITE_OK) {
		fail(q, r, rc == -1 ? SQLITE_ERROR : rc);
		return;
	}
	bind_args(st, a, 0);
	bind_months(st, m);
	rows = json_array();
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		for (i = 0; i < 4; i++)
			v[i] = sqlite3_column_int64(st, i + 1);
		total += v[0];
		if (n < top) {
			row = json_pack("{s:o s:I s:I s:I s:I s:f s:f}",
			    "domain", jstr((const char *)
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
		fail(q, r, rc);
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
	json_object_set_new(r->json, "domains", json_integer(n + nother));
}

/* GET /v1/reasons: failures' normalised texts by (reply, enhanced, text)
 * with their category, party to blame and finer reason, with every filter
 * of the counts: the text is the counts' own reason key.  Read like
 * /v1/domains (whole months from domain_month), so a long range is cheap. */
static void
ep_reasons(struct query *q, const struct query_args *a,
    struct query_result *r)
{
	char		 sql[SQL_MAX];
	sqlite3_stmt	*st = NULL;
	json_t		*rows;
	int64_t		 total = 0, groups = 0, m[4] = { 0, 0, 0, 0 };
	int		 rc, top, n = 0;

	top = a->top > 0 ? a->top : 20;
	if (top > q->limits.max_rows)
		top = q->limits.max_rows;
	sql[0] = '\0';
	rc = cat(sql, sizeof sql, "SELECT o.reply, o.enhanced, x.text, "
	    V_CATEGORY ", " V_BLAME ", coalesce(v.detail, ''), SUM(u.n),"
	    " SUM(SUM(u.n)) OVER (), COUNT(*) OVER () FROM ");
	rc |= range_sql(a, domains_plan(q, a, m), 1, sql, sizeof sql);
	rc |= cat(sql, sizeof sql, " JOIN reason AS x ON x.id = u.kr"
	    " WHERE u.kr != 1");
	rc |= verdict_terms(a, sql, sizeof sql);
	rc |= cat(sql, sizeof sql, " GROUP BY 1, 2, 3, 4, 5, 6"
	    " HAVING SUM(u.n) != 0 ORDER BY 7 DESC, 1, 2, 3, 4 LIMIT :limit");
	if (rc != 0 || (rc = sqlite3_prepare_v2(q->db, sql, -1, &st,
	    NULL)) != SQLITE_OK) {
		fail(q, r, rc == -1 ? SQLITE_ERROR : rc);
		return;
	}
	bind_args(st, a, top);
	bind_months(st, m);
	rows = json_array();
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		json_array_append_new(rows, json_pack("{s:I s:o s:o s:o s:o"
		    " s:o s:I}",
		    "reply", (json_int_t)sqlite3_column_int64(st, 0),
		    "enhanced", jstr((const char *)sqlite3_column_text(st, 1)),
		    "text", jstr((const char *)sqlite3_column_text(st, 2)),
		    "category", jstr((const char *)sqlite3_column_text(st, 3)),
		    "blame", jstr((const char *)sqlite3_column_text(st, 4)),
		    "reason", jstr((const char *)sqlite3_column_text(st, 5)),
		    "count", (json_int_t)sqlite3_column_int64(st, 6)));
		total = sqlite3_column_int64(st, 7);
		groups = sqlite3_column_int64(st, 8);
		n++;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		json_decref(rows);
		fail(q, r, rc);
		return;
	}
	put_answer(r, a, total, rows, groups > n);
}

/* GET /v1/lines: lines read by outcome, for the unrecognised share. */
static void
ep_lines(struct query *q, const struct query_args *a,
    struct query_result *r)
{
	sqlite3_stmt	*st = NULL;
	json_t		*rows;
	int64_t		 total = 0;
	int		 rc;

	if ((rc = sqlite3_prepare_v2(q->db, "SELECT result, SUM(n) FROM"
	    " lines_hour WHERE hour >= :hsince AND hour < :until"
	    " GROUP BY 1 ORDER BY 2 DESC, 1", -1, &st, NULL)) != SQLITE_OK) {
		fail(q, r, rc);
		return;
	}
	bind_args(st, a, 0);
	rows = json_array();
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		json_array_append_new(rows, json_pack("{s:o s:I}",
		    "result", jstr((const char *)sqlite3_column_text(st, 0)),
		    "count", (json_int_t)sqlite3_column_int64(st, 1)));
		total += sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		json_decref(rows);
		fail(q, r, rc);
		return;
	}
	put_answer(r, a, total, rows, 0);
}

/* A meta value as a number, or -1. */
static int64_t
meta_int(struct query *q, const char *key)
{
	sqlite3_stmt	*st;
	int64_t		 v = -1;

	if (sqlite3_prepare_v2(q->db, "SELECT value FROM meta WHERE key = ?",
	    -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW &&
	    sqlite3_column_type(st, 0) != SQLITE_NULL)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* The daemon's own count when it gave one, else what meta says. */
static int64_t
commit_failures(struct query *q)
{
	int64_t	 n;

	if (q->commit_failures >= 0)
		return q->commit_failures;
	n = meta_int(q, "commit_failures");
	return n > 0 ? n : 0;
}

/* Bytes the database uses on disk, WAL included. */
static int64_t
db_bytes(const char *path)
{
	struct stat	 sb;
	char		 wal[PATH_MAX];
	int64_t		 n = 0;

	if (stat(path, &sb) == 0)
		n += sb.st_size;
	if (snprintf(wal, sizeof wal, "%s-wal", path) < (int)sizeof wal &&
	    stat(wal, &sb) == 0)
		n += sb.st_size;
	return n;
}

struct ingest {
	int64_t	 lines, unrecognised, long_lines, bytes_lost, lag;
	int64_t	 last_commit;
	int	 files, behind;
};

/* Walk the file table; fill the totals and, if asked, a JSON list. */
static int
files_scan(struct query *q, struct ingest *in, json_t *list, int max)
{
	sqlite3_stmt	*st;
	struct stat	 sb;
	const char	*path, *state;
	int64_t		 offset, size, dev, ino;
	int		 rc, current;
	json_t		*f;

	memset(in, 0, sizeof *in);
	in->last_commit = -1;
	if ((rc = sqlite3_prepare_v2(q->db, "SELECT path, format, dev, ino,"
	    " offset, lines, unrecognised, long_lines, lost, state,"
	    " last_commit FROM source ORDER BY id DESC", -1, &st, NULL)) !=
	    SQLITE_OK)
		return rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		path = (const char *)sqlite3_column_text(st, 0);
		dev = sqlite3_column_int64(st, 2);
		ino = sqlite3_column_int64(st, 3);
		offset = sqlite3_column_int64(st, 4);
		state = (const char *)sqlite3_column_text(st, 9);
		in->lines += sqlite3_column_int64(st, 5);
		in->unrecognised += sqlite3_column_int64(st, 6);
		in->long_lines += sqlite3_column_int64(st, 7);
		in->bytes_lost += sqlite3_column_int64(st, 8);
		if (sqlite3_column_type(st, 10) != SQLITE_NULL &&
		    sqlite3_column_int64(st, 10) > in->last_commit)
			in->last_commit = sqlite3_column_int64(st, 10);
		/* The path may now name a newer file: only trust its size
		 * when the identity still matches. */
		current = path != NULL && stat(path, &sb) == 0 &&
		    (int64_t)sb.st_dev == dev && (int64_t)sb.st_ino == ino;
		size = current ? (int64_t)sb.st_size : -1;
		if (current && state != NULL && strcmp(state, "active") == 0 &&
		    size > offset) {
			in->lag += size - offset;
			in->behind++;
		}
		in->files++;
		if (list == NULL || (int)json_array_size(list) >= max)
			continue;
		f = json_pack("{s:o s:o s:o s:I s:I s:I s:I s:I s:o s:b}",
		    "path", jstr(path),
		    "format", jstr((const char *)sqlite3_column_text(st, 1)),
		    "size", current ? json_integer(size) : json_null(),
		    "offset", (json_int_t)offset,
		    "lines", (json_int_t)sqlite3_column_int64(st, 5),
		    "unrecognised", (json_int_t)sqlite3_column_int64(st, 6),
		    "long_lines", (json_int_t)sqlite3_column_int64(st, 7),
		    "bytes_lost", (json_int_t)sqlite3_column_int64(st, 8),
		    "state", jstr(state),
		    "current", current);
		json_array_append_new(list, f);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* GET /v1/status */
static void
ep_status(struct query *q, struct query_result *r)
{
	struct ingest	 in;
	json_t		*files;
	int64_t		 last;
	int		 rc;

	files = json_array();
	if ((rc = files_scan(q, &in, files, q->limits.max_rows)) !=
	    SQLITE_OK) {
		json_decref(files);
		fail(q, r, rc);
		return;
	}
	if ((last = meta_int(q, "last_commit")) < in.last_commit)
		last = in.last_commit;
	r->json = json_pack("{s:s s:i s:i s:o s:i s:I s:I s:I s:I s:I s:b"
	    " s:o s:I s:I}",
	    "version", PACKAGE_VERSION,
	    "api", QUERY_API,
	    "schema", 4,
	    "files", files,
	    "files_total", in.files,
	    "lines_total", (json_int_t)in.lines,
	    "unrecognised_total", (json_int_t)in.unrecognised,
	    "long_lines_total", (json_int_t)in.long_lines,
	    "bytes_lost_total", (json_int_t)in.bytes_lost,
	    "lag_bytes", (json_int_t)in.lag,
	    "caught_up", in.behind == 0,
	    "last_commit", last >= 0 ? jtime(last) : json_null(),
	    "commit_failures", (json_int_t)commit_failures(q),
	    "db_bytes", (json_int_t)db_bytes(q->path));
	r->status = r->json != NULL ? 200 : 500;
}

/* Prometheus label values: backslash, quote and newline escaped. */
static void
prom_label(FILE *f, const char *s)
{
	for (; s != NULL && *s != '\0'; s++) {
		if (*s == '\\' || *s == '"')
			fprintf(f, "\\%c", *s);
		else if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
}

/* GET /metrics: totals since the database began, as counters. */
static void
ep_metrics(struct query *q, struct query_result *r)
{
	FILE		*f;
	char		*buf = NULL;
	size_t		 len = 0;
	sqlite3_stmt	*st = NULL;
	struct ingest	 in;
	int		 rc;
	int64_t		 last;

	if ((f = open_memstream(&buf, &len)) == NULL) {
		r->status = 500;
		r->json = query_error("out of memory");
		return;
	}
	fputs("# HELP smtptally_attempts_total Delivery attempts by SMTP "
	    "reply class, reply code and enhanced status code.\n"
	    "# TYPE smtptally_attempts_total counter\n", f);
	/* The same SQL on total_* (fast) or count_* (reference). */
	/* Fast: group the roll-ups' stored columns, derive the class of
	 * the few groups. */
	rc = sqlite3_prepare_v2(q->db, q->fast ?
	    "SELECT o.class, o.reply, o.enhanced, SUM(u.n) FROM"
	    " (SELECT outcome, SUM(n) AS n FROM total_hour GROUP BY 1"
	    " UNION ALL SELECT outcome, SUM(n) FROM total_day GROUP BY 1)"
	    " AS u JOIN outcome AS o ON o.id = u.outcome"
	    " WHERE o.kind = 'attempt' GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"
	    " LIMIT ?" :
	    "SELECT o.class, o.reply, o.enhanced, SUM(u.n) FROM"
	    " (SELECT outcome, SUM(n) AS n FROM count_hour GROUP BY 1"
	    " UNION ALL SELECT outcome, SUM(n) FROM count_day GROUP BY 1)"
	    " AS u JOIN outcome AS o ON o.id = u.outcome"
	    " WHERE o.kind = 'attempt' GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"
	    " LIMIT ?", -1, &st, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_int(st, 1, q->limits.max_rows);
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			fprintf(f, "smtptally_attempts_total{class=\"%dxx\","
			    "reply=\"%d\",enhanced=\"",
			    sqlite3_column_int(st, 0),
			    sqlite3_column_int(st, 1));
			prom_label(f, (const char *)sqlite3_column_text(st,
			    2));
			fprintf(f, "\"} %lld\n",
			    (long long)sqlite3_column_int64(st, 3));
		}
		sqlite3_finalize(st);
		if (rc != SQLITE_DONE)
			goto fail;
	} else
		goto fail;

	fputs("# HELP smtptally_domain_attempts_total Delivery attempts by "
	    "class for the busiest recipient domains; the rest under "
	    "domain=\"(other)\".\n"
	    "# TYPE smtptally_domain_attempts_total counter\n", f);
	rc = sqlite3_prepare_v2(q->db, q->fast ?
	    "WITH per AS MATERIALIZED (SELECT c.domain AS dom, o.class AS cls,"
	    " SUM(c.n) AS n FROM domain_total AS c JOIN outcome AS o"
	    " ON o.id = c.outcome WHERE o.kind = 'attempt' GROUP BY 1, 2),"
	    " top AS (SELECT dom FROM per GROUP BY dom"
	    " ORDER BY SUM(n) DESC, dom LIMIT ?)"
	    " SELECT CASE WHEN per.dom IN top THEN d.name ELSE NULL END,"
	    " per.cls, SUM(per.n) FROM per JOIN domain AS d ON d.id = per.dom"
	    " GROUP BY 1, 2 ORDER BY 1 NULLS LAST, 2" :
	    "WITH per AS MATERIALIZED (SELECT u.dom AS dom, o.class AS cls,"
	    " SUM(u.n) AS n FROM (SELECT domain AS dom, outcome AS oc,"
	    " SUM(n) AS n FROM count_hour GROUP BY 1, 2 UNION ALL"
	    " SELECT domain, outcome, SUM(n) FROM count_day GROUP BY 1, 2)"
	    " AS u JOIN outcome AS o ON o.id = u.oc WHERE o.kind = 'attempt'"
	    " GROUP BY 1, 2),"
	    " top AS (SELECT dom FROM per GROUP BY dom"
	    " ORDER BY SUM(n) DESC, dom LIMIT ?)"
	    " SELECT CASE WHEN per.dom IN top THEN d.name ELSE NULL END,"
	    " per.cls, SUM(per.n) FROM per JOIN domain AS d ON d.id = per.dom"
	    " GROUP BY 1, 2 ORDER BY 1 NULLS LAST, 2", -1, &st, NULL);
	if (rc != SQLITE_OK)
		goto fail;
	sqlite3_bind_int(st, 1, q->limits.metrics_top);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		fputs("smtptally_domain_attempts_total{domain=\"", f);
		if (sqlite3_column_type(st, 0) == SQLITE_NULL)
			fputs("(other)", f);
		else
			prom_label(f, (const char *)sqlite3_column_text(st,
			    0));
		fprintf(f, "\",class=\"%dxx\"} %lld\n",
		    sqlite3_column_int(st, 1),
		    (long long)sqlite3_column_int64(st, 2));
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		goto fail;

	if ((rc = files_scan(q, &in, NULL, 0)) != SQLITE_OK)
		goto fail;
	if ((last = meta_int(q, "last_commit")) < in.last_commit)
		last = in.last_commit;
	fprintf(f, "# HELP smtptally_lines_total Log lines read.\n"
	    "# TYPE smtptally_lines_total counter\n"
	    "smtptally_lines_total %lld\n"
	    "# HELP smtptally_unrecognised_lines_total Log lines that looked "
	    "like mail log lines but could not be read.\n"
	    "# TYPE smtptally_unrecognised_lines_total counter\n"
	    "smtptally_unrecognised_lines_total %lld\n"
	    "# HELP smtptally_long_lines_total Log lines skipped for being "
	    "too long.\n"
	    "# TYPE smtptally_long_lines_total counter\n"
	    "smtptally_long_lines_total %lld\n"
	    "# HELP smtptally_truncation_lost_bytes_total Bytes lost when a "
	    "log was truncated before it was read.\n"
	    "# TYPE smtptally_truncation_lost_bytes_total counter\n"
	    "smtptally_truncation_lost_bytes_total %lld\n"
	    "# HELP smtptally_commit_failures_total Database commits that "
	    "failed.\n"
	    "# TYPE smtptally_commit_failures_total counter\n"
	    "smtptally_commit_failures_total %lld\n"
	    "# HELP smtptally_lag_bytes Bytes written to followed logs and "
	    "not yet counted.\n"
	    "# TYPE smtptally_lag_bytes gauge\n"
	    "smtptally_lag_bytes %lld\n"
	    "# HELP smtptally_files Followed log file generations known.\n"
	    "# TYPE smtptally_files gauge\n"
	    "smtptally_files %d\n",
	    (long long)in.lines, (long long)in.unrecognised,
	    (long long)in.long_lines, (long long)in.bytes_lost,
	    (long long)commit_failures(q),
	    (long long)in.lag, in.files);
	if (last >= 0)
		fprintf(f, "# HELP smtptally_last_commit_timestamp_seconds "
		    "When counts were last committed.\n"
		    "# TYPE smtptally_last_commit_timestamp_seconds gauge\n"
		    "smtptally_last_commit_timestamp_seconds %lld\n",
		    (long long)last);
	fprintf(f, "# HELP smtptally_database_bytes Size of the database "
	    "and its WAL.\n"
	    "# TYPE smtptally_database_bytes gauge\n"
	    "smtptally_database_bytes %lld\n", (long long)db_bytes(q->path));
	if (fclose(f) != 0) {
		free(buf);
		r->status = 500;
		r->json = query_error("out of memory");
		return;
	}
	r->text = buf;
	r->textlen = len;
	r->status = 200;
	return;
fail:
	fclose(f);
	free(buf);
	fail(q, r, rc);
}

enum ep_id { EP_SUMMARY, EP_DOMAINS, EP_REASONS, EP_LINES, EP_STATUS,
    EP_METRICS };

static const struct endpoint {
	const char	*path;
	enum ep_id	 id;
	unsigned	 allow;
} endpoints[] = {
	{ "/v1/summary", EP_SUMMARY, QA_RANGE | QA_BY | QA_FILTERS | QA_TOP },
	{ "/v1/domains", EP_DOMAINS, QA_RANGE | QA_FILTERS | QA_TOP },
	{ "/v1/reasons", EP_REASONS, QA_RANGE | QA_FILTERS | QA_TOP },
	{ "/v1/lines", EP_LINES, QA_RANGE },
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
		    "/v1/domains, /v1/reasons, /v1/lines, /v1/status, "
		    "/metrics)");
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
	if (begin(q) != SQLITE_OK) {
		fail(q, r, sqlite3_errcode(q->db));
		return;
	}
	switch (e->id) {
	case EP_SUMMARY:
		ep_summary(q, &a, r);
		break;
	case EP_DOMAINS:
		ep_domains(q, &a, r);
		break;
	case EP_REASONS:
		ep_reasons(q, &a, r);
		break;
	case EP_LINES:
		ep_lines(q, &a, r);
		break;
	case EP_STATUS:
		ep_status(q, r);
		break;
	case EP_METRICS:
		ep_metrics(q, r);
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

/* Release an answer; safe on a cleared one. */
void
query_result_clear(struct query_result *r)
{
	json_decref(r->json);
	free(r->text);
	memset(r, 0, sizeof *r);
}
