/*
 * query_args: a request's parameters in, a validated struct query_args
 * out, and the table of grouping keys.  Pure: no SQL, no I/O.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sqlite3.h>

#include "api.h"
#include "classify.h"
#include "codes.h"
#include "event.h"
#include "provider.h"
#include "query.h"
#include "query_int.h"
#include "timespec.h"

const struct key_def query_keys[QK_COUNT_] = {
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
	/* The finer reason under the category (a blocklist's name...). */
	[QK_REASON] = { "reason", KS_VERDICT, V_DETAIL, 0, 0 },
};

/* The API name of a grouping key, for callers listing them. */
const char *
query_key_name(enum query_key k)
{
	if ((unsigned)k >= QK_COUNT_)
		return NULL;
	return query_keys[k].name;
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
			if (strcmp(tok, query_keys[k].name) == 0)
				break;
		if (k == QK_COUNT_)
			return bad(err, errlen, "unknown grouping key "
			    "(class reply enhanced domain status kind "
			    "direction mta hop host hour day category "
			    "blame provider reason)", "by");
		for (i = 0; i < a->nby; i++)
			if (a->by[i] == (enum query_key)k)
				return bad(err, errlen, "key repeated", "by");
		if (a->nby == QUERY_BY_MAX)
			return bad(err, errlen, "too many keys", "by");
		a->by[a->nby++] = k;
	}
	return 0;
}

/* Domains as the store keeps them: lower case, no trailing dot. */
static int
set_domain(struct query_args *a, const char *v)
{
	size_t	 i, n = strlen(v);

	if (n > 0 && v[n - 1] == '.')
		n--;
	if (n == 0 || n >= sizeof a->domain_buf)
		return -1;
	for (i = 0; i < n; i++)
		a->domain_buf[i] = (v[i] >= 'A' && v[i] <= 'Z') ?
		    (char)(v[i] - 'A' + 'a') : v[i];
	a->domain_buf[n] = '\0';
	a->domain = a->domain_buf;
	return 0;
}

/* One filter of the shared table (api.h), validated by its vocabulary. */
static int
filter_set(struct query_args *a, const struct api_filter *f, const char *val,
    char *err, size_t errlen)
{
	const char	*k = f->name;
	long		 v;

	switch (f->id) {
	case API_F_REPLY:
		if (parse_int(val, 0, 599, &v) == -1 || (v != 0 && v < 200))
			return bad(err, errlen, "not a reply code "
			    "(0 or 200-599)", k);
		a->reply = (int)v;
		break;
	case API_F_CLASS:
		if ((val[0] == '2' || val[0] == '4' || val[0] == '5') &&
		    (val[1] == '\0' || strcmp(val + 1, "xx") == 0))
			a->class = val[0] - '0';
		else
			return bad(err, errlen, "not 2xx, 4xx or 5xx", k);
		break;
	case API_F_ENHANCED:
		if (*val != '\0' && !codes_enhanced_valid(val))
			return bad(err, errlen, "not an enhanced status code "
			    "(5.1.1)", k);
		a->enhanced = val;
		break;
	case API_F_DOMAIN:
		if (set_domain(a, val) == -1)
			return bad(err, errlen, "empty or too long", k);
		break;
	case API_F_HOST:
		if (strlen(val) > 255)
			return bad(err, errlen, "too long", k);
		a->host = val;
		break;
	case API_F_STATUS:
		if (event_status_from_name(val) == -1)
			return bad(err, errlen, "unknown status", k);
		a->status = val;
		break;
	case API_F_KIND:
		if (event_kind_from_name(val) == -1)
			return bad(err, errlen, "unknown kind "
			    "(attempt skip final verify)", k);
		a->kind = val;
		break;
	case API_F_DIRECTION:
		/* "all" is both directions: no condition. */
		if (strcmp(val, "all") == 0)
			a->direction = NULL;
		else if (event_direction_from_name(val) == -1)
			return bad(err, errlen, "not out, in or all", k);
		else
			a->direction = val;
		a->has_direction = 1;
		break;
	case API_F_MTA:
		if (event_mta_from_name(val) == -1)
			return bad(err, errlen, "not postfix or exim", k);
		a->mta = val;
		break;
	case API_F_HOP:
		if (event_hop_from_name(val) == -1)
			return bad(err, errlen, "unknown hop "
			    "(remote mailbox filter discard)", k);
		a->hop = val;
		break;
	case API_F_CATEGORY:
		if (classify_category_from_name(val) == -1)
			return bad(err, errlen, "unknown category", k);
		a->category = val;
		break;
	case API_F_BLAME:
		if (classify_blame_from_name(val) == -1)
			return bad(err, errlen, "unknown party to blame", k);
		a->blame = val;
		break;
	case API_F_PROVIDER:
		if (provider_from_name(val) == -1)
			return bad(err, errlen, "unknown provider", k);
		a->provider = val;
		break;
	case API_F_COUNT:
		break;
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
	const struct api_filter *f;

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
		if (strlen(val) > (strcmp(k, "after") == 0 ? API_CURSOR_MAX :
		    QUERY_VALUE_MAX))
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
		} else if ((allow & QA_PAGE) && strcmp(k, "limit") == 0) {
			if (parse_int(val, 1, API_TOP_MAX, &v) == -1)
				return bad(err, errlen, "not a number from 1 "
				    "to 100000", k);
			a->limit = (int)v;
		} else if ((allow & QA_PAGE) && strcmp(k, "after") == 0) {
			if (*val == '\0')
				return bad(err, errlen, "empty", k);
			a->after = val;
		} else if ((allow & QA_TOP) && strcmp(k, "top") == 0) {
			if (parse_int(val, 1, INT_MAX, &v) == -1)
				return bad(err, errlen, "not a positive "
				    "integer", k);
			a->top = (int)v;
		} else if ((allow & QA_ORDER) && strcmp(k, "order") == 0) {
			if (strcmp(val, "newest") == 0)
				a->newest = 1;
			else if (strcmp(val, "count") != 0)
				return bad(err, errlen, "not count or newest",
				    k);
		} else if ((allow & QA_FILTERS) &&
		    (f = api_filter_find(k)) != NULL) {
			if (filter_set(a, f, val, err, errlen) == -1)
				return -1;
		} else
			return bad(err, errlen, "unknown parameter for this "
			    "endpoint", "query");
	}
	if (a->after != NULL && a->limit == 0)
		return bad(err, errlen, "needs limit", "after");
	if (a->limit > 0 && a->top > 0)
		return bad(err, errlen, "a page has a limit, not a top", "top");
	if (a->limit > 0 && a->nby == 0 && (allow & QA_BY))
		return bad(err, errlen, "paging needs by", "limit");
	if (a->since >= a->until)
		return bad(err, errlen, "must be before until", "since");
	if (a->kind == NULL && (allow & QA_FILTERS))
		a->kind = "attempt";
	return 0;
}
