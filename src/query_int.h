/*
 * query_int: what the files of the query module share and nobody else
 * sees: the connection's struct, the grouping keys' table, and the
 * functions one file of the split calls in another.
 */
#ifndef SMTPTALLY_QUERY_INT_H
#define SMTPTALLY_QUERY_INT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <jansson.h>
#include <sqlite3.h>

#include "query.h"

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
	struct live		*live;		/* or NULL */
	int			 fast;		/* use the roll-ups */
	int			 schema;	/* user_version, as db_open
						 * found it */
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

/* What the views print for a verdict that is not there yet (a delivery
 * is delivered whatever the rules say; the rest waits as other), and
 * for a provider not known. */
#define V_CATEGORY	"coalesce(v.category, CASE o.class WHEN 2 THEN" \
			" 'delivered' ELSE 'other' END)"
#define V_BLAME		"coalesce(v.blame, CASE o.class WHEN 2 THEN" \
			" 'none' ELSE 'unknown' END)"
#define V_DETAIL	"coalesce(v.detail, 'unclassified')"
#define D_PROVIDER	"(CASE d.provider WHEN '' THEN 'other' ELSE d.provider END)"

struct key_def {
	const char	*name;
	enum key_src	 src;
	const char	*outer;		/* the value in the merged groups */
	int		 is_int;	/* JSON integer, else string */
	int		 is_time;	/* JSON RFC 3339 string */
};

extern const struct key_def query_keys[QK_COUNT_];

enum domains_plan {
	DP_COUNTS,	/* the count tables over the range */
	DP_MONTHS,	/* domain_month inside, counts at the edges */
	DP_REST		/* domain_total less everything outside */
};

struct query_ingest {
	int64_t	 lines, unrecognised, long_lines, bytes_lost, lag;
	int64_t	 last_commit;
	int	 files, behind;
};

/* query.c */
void		 query_fail(struct query *, struct query_result *, int);

/* query_sql.c: each builder appends to a fixed buffer, -1 on overflow. */
int		 query_sql_cat(char *, size_t, const char *);
int		 query_sql_verdict(const struct query_args *, char *, size_t);
int		 query_sql_summary(const struct query_args *, int, char *,
		     size_t);
int		 query_sql_summary_fast(const struct query_args *);
int		 query_sql_by_range(const struct query_args *);
int		 query_sql_summary_range(struct query *,
		     const struct query_args *, int64_t *, char *, size_t);
int		 query_sql_range(const struct query_args *, enum domains_plan,
		     int, char *, size_t);
int		 query_sql_domains(const struct query_args *,
		     enum domains_plan, char *, size_t);
enum domains_plan query_sql_plan(struct query *, const struct query_args *,
		     int64_t *);
void		 query_sql_bind(sqlite3_stmt *, const struct query_args *,
		     int64_t);
void		 query_sql_bind_months(sqlite3_stmt *, const int64_t *);

/* query_json.c */
json_t		*query_json_str(const char *);
json_t		*query_json_time(int64_t);
json_t		*query_json_class(int);
void		 query_json_range(json_t *, const struct query_args *);
void		 query_json_summary(struct query *, const struct query_args *,
		     struct query_result *);
void		 query_json_domains(struct query *, const struct query_args *,
		     struct query_result *);
void		 query_json_reasons(struct query *, const struct query_args *,
		     struct query_result *);
void		 query_json_lines(struct query *, const struct query_args *,
		     struct query_result *);

/* query_delays.c */
void		 query_delays_json(struct query *, const struct query_args *,
		     struct query_result *);

/* query_status.c */
int64_t		 query_status_commit_failures(struct query *);
int64_t		 query_status_db_bytes(const char *);
int		 query_status_files(struct query *, struct query_ingest *,
		     json_t *, int);
void		 query_status_json(struct query *, struct query_result *);
json_t		*query_journal_json(struct query *, int, int *);
int		 query_journal_metrics(struct query *, FILE *);

#endif
