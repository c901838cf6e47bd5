/*
 * query: one HTTP request's path and parameters in, an HTTP status and a
 * JSON (or Prometheus text) body out.
 *
 * The query side has its own read-only SQLite connection, so it never
 * takes the ingest writer's lock: short read transactions, a busy timeout,
 * a time limit per query (progress handler) and a row limit per response.
 * SQL text is built only from fixed fragments chosen by validated
 * parameters; every value from the request is a bound parameter.
 *
 * This module knows nothing of sockets or libevent (http.c does), and
 * never writes to the database.
 */
#ifndef SMTPTALLY_QUERY_H
#define SMTPTALLY_QUERY_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "api.h"

#define QUERY_API		API_VERSION
#define QUERY_PARAMS_MAX	API_PARAMS_MAX
#define QUERY_VALUE_MAX		API_VALUE_MAX
#define QUERY_BY_MAX		API_BY_MAX

struct query;

struct query_limits {
	int		 max_rows;	/* rows per response (hard cap) */
	int		 time_ms;	/* per request, then 503 */
	int		 busy_ms;	/* SQLite busy timeout */
	int		 metrics_top;	/* per-domain series in /metrics */
	unsigned	 metrics_compat; /* METRICS_COMPAT_* families too */
};

/* The exporters' families /metrics also serves (doc/exporter-compat.md). */
#define METRICS_COMPAT_POSTFIX	0x1	/* kumina, Hsn723 postfix_exporter */
#define METRICS_COMPAT_EXIM	0x2	/* gvengel exim_exporter */

struct query_param {
	const char	*key;
	const char	*value;
};

enum query_key {
	QK_CLASS, QK_REPLY, QK_ENHANCED, QK_DOMAIN, QK_STATUS, QK_KIND,
	QK_DIRECTION, QK_MTA, QK_HOP, QK_HOST, QK_HOUR, QK_DAY,
	QK_CATEGORY, QK_BLAME, QK_PROVIDER, QK_REASON,
	QK_COUNT_
};

/* Parsed and validated request parameters; strings borrow the request. */
struct query_args {
	int64_t		 since;		/* UTC seconds, 0 = unbounded */
	int64_t		 until;		/* UTC seconds, QUERY_UNTIL_MAX = none */
	int		 has_since, has_until;
	enum query_key	 by[QUERY_BY_MAX];
	size_t		 nby;
	const char	*domain, *host, *enhanced, *status, *kind,
			*direction, *mta, *hop, *category, *blame,
			*provider;
	int		 reply;		/* -1 = any */
	int		 class;		/* 0 = any, else 2, 4, 5 */
	int		 top;		/* 0 = default */
	int		 has_direction;	/* given, "all" included */
	int		 limit;		/* rows a page, 0 = not paging */
	const char	*after;		/* the cursor, or NULL */
	int		 newest;	/* order=newest: texts first seen last first */
	char		 domain_buf[256];	/* domain, normalised */
};
#define QUERY_UNTIL_MAX	((int64_t)1 << 52)

struct query_result {
	int		 status;	/* HTTP status code */
	json_t		*json;		/* body, when not text */
	char		*text;		/* body for /metrics */
	size_t		 textlen;
};

struct query	*query_new(const char *, const struct query_limits *);
void		 query_free(struct query *);
/* Path without the query string; parameters already percent-decoded. */
void		 query_run(struct query *, const char *,
		     const struct query_param *, size_t, int64_t,
		     struct query_result *);
void		 query_result_clear(struct query_result *);
/* Commit failures the daemon counted in memory (-1 = read meta). */
void		 query_set_commit_failures(struct query *, int64_t);
/* What only the daemon's memory knows (live.h), or NULL. */
struct live;
void		 query_set_live(struct query *, struct live *);
/* Use the roll-up tables when a request allows (1, the default) or
 * always the count tables (0): the same answers, for the tests. */
void		 query_set_fast(struct query *, int);

/* Pure parts, exported for the tests. */
int		 query_args_parse(const struct query_param *, size_t, int64_t,
		     unsigned, struct query_args *, char *, size_t);
int		 query_summary_sql(const struct query_args *, char *, size_t);
const char	*query_key_name(enum query_key);
/* The answer's JSON error body, e.g. {"error": "..."}. */
json_t		*query_error(const char *);

/* Bits for query_args_parse: which parameters an endpoint takes. */
#define QA_RANGE	0x01	/* since, until */
#define QA_BY		0x02
#define QA_FILTERS	0x04	/* domain reply class status kind ... */
#define QA_TOP		0x08
#define QA_PAGE		0x10	/* limit, after */
#define QA_ORDER	0x20	/* order=count|newest */

#endif
