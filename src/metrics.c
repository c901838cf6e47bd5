/*
 * metrics: GET /metrics, the counts since the database began as
 * Prometheus counters, read with the query module's connection
 * (query_int.h) in its read transaction.
 *
 * Every family is one row of families[] below (name, type, help, label
 * names, which compat set it belongs to) and one branch of a single
 * UNION ALL over the counts grouped by provider, outcome and verdict, so
 * the counts are read once per scrape.  The drop-in families of the
 * Postfix and Exim exporters (doc/exporter-compat.md) are written only
 * when metrics_compat asks for them.  Labels are bounded: fixed lists
 * (direction, class, category, status, flag), reply codes (three
 * digits), enhanced codes of RFC 3463's shape (others are "other"),
 * providers from the shipped table, the top N domains.
 *
 * Not here: sockets, which requests reach /metrics (http.c).
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sqlite3.h>

#include "delay.h"
#include "hook.h"
#include "live.h"
#include "metrics.h"
#include "query.h"
#include "query_int.h"

#define METRICS_ROWS_MAX	100000	/* label sets per scrape, all families */
#define NLABELS			5

enum family {
	FAM_ATTEMPTS,
	FAM_PROVIDER,
	FAM_PF_PROCESSED,
	FAM_PF_STATUS_DEFERRED,
	FAM_PF_DEFERRED,
	FAM_PF_DEFERRED_DSN,
	FAM_PF_BOUNCED_DSN,
	FAM_PF_REJECTED,
	FAM_PF_EXPIRED,
	FAM_PF_TIMED_OUT,
	FAM_EXIM_MESSAGES,
	FAM_EXIM_ERRORS,
	FAM_EXIM_REJECT,
	FAM_COUNT_
};

static const struct family_def {
	const char	*name;
	const char	*type;
	unsigned	 compat;	/* 0: always */
	const char	*labels[NLABELS];
	const char	*help;
} families[FAM_COUNT_] = {
	[FAM_ATTEMPTS] = { "smtptally_attempts_total", "counter", 0,
	    { "direction", "class", "reply", "enhanced", "category" },
	    "Delivery attempts (direction out) and rejections by our smtpd "
	    "(in) by reply class, reply code, enhanced status code and "
	    "category." },
	[FAM_PROVIDER] = { "smtptally_provider_attempts_total", "counter", 0,
	    { "provider", "class", "category" },
	    "Outgoing delivery attempts by the recipient domain's mailbox "
	    "provider, class and category." },
	[FAM_PF_PROCESSED] = { "postfix_smtp_messages_processed_total",
	    "counter", METRICS_COMPAT_POSTFIX, { "status" },
	    "Postfix delivery attempts to remote hosts by status "
	    "(smtptally, doc/exporter-compat.md)." },
	/* untyped: a counter must end in _total (promtool check metrics),
	 * and the name is the exporter's */
	[FAM_PF_STATUS_DEFERRED] = { "postfix_smtp_status_deferred",
	    "untyped", METRICS_COMPAT_POSTFIX, { NULL },
	    "Postfix delivery attempts to remote hosts that were deferred." },
	[FAM_PF_DEFERRED] = { "postfix_smtp_deferred_messages_total",
	    "counter", METRICS_COMPAT_POSTFIX, { NULL },
	    "Postfix delivery attempts to remote hosts that were deferred." },
	[FAM_PF_DEFERRED_DSN] = { "postfix_smtp_deferred_messages_by_dsn_total",
	    "counter", METRICS_COMPAT_POSTFIX, { "dsn" },
	    "Deferred Postfix delivery attempts by enhanced status code." },
	[FAM_PF_BOUNCED_DSN] = { "postfix_smtp_bounced_messages_by_dsn_total",
	    "counter", METRICS_COMPAT_POSTFIX, { "dsn" },
	    "Bounced Postfix delivery attempts by enhanced status code." },
	[FAM_PF_REJECTED] = { "postfix_smtpd_messages_rejected_total",
	    "counter", METRICS_COMPAT_POSTFIX, { "code" },
	    "Rejections by our Postfix smtpd, postscreen, milters and "
	    "cleanup, by reply code." },
	[FAM_PF_EXPIRED] = { "postfix_qmgr_messages_expired_total",
	    "counter", METRICS_COMPAT_POSTFIX, { NULL },
	    "Messages Postfix returned to the sender after the queue "
	    "lifetime." },
	[FAM_PF_TIMED_OUT] = { "postfix_smtp_connection_timed_out_total",
	    "counter", METRICS_COMPAT_POSTFIX, { NULL },
	    "Postfix delivery attempts that failed with a timeout." },
	[FAM_EXIM_MESSAGES] = { "exim_messages_total", "counter",
	    METRICS_COMPAT_EXIM, { "flag" },
	    "Exim per-recipient log lines by flag (delivered, deferred, "
	    "failed, suppressed)." },
	[FAM_EXIM_ERRORS] = { "exim_message_errors_total", "counter",
	    METRICS_COMPAT_EXIM, { "status", "enhanced" },
	    "Exim deferred and failed recipients whose line holds a reply, "
	    "by reply code and enhanced status code." },
	[FAM_EXIM_REJECT] = { "exim_reject_total", "counter",
	    METRICS_COMPAT_EXIM, { NULL },
	    "Rejections by our Exim." },
};

/*
 * The counts grouped by provider, outcome and reason, then by the
 * outcome's fields and the verdict's category and reason; the fast form
 * reads the per-domain roll-up of folded days and the recent hours, the
 * reference form the count tables.  The enhanced code is bounded here.
 */
#define BASE_HEAD \
	"WITH base AS MATERIALIZED (SELECT d.provider AS prov," \
	" c.outcome AS oc, c.reason AS rs, SUM(c.n) AS n FROM ("
#define BASE_FAST \
	"SELECT domain, outcome, reason, n FROM domain_total UNION ALL" \
	" SELECT domain, outcome, reason, n FROM count_hour"
#define BASE_SLOW \
	"SELECT domain, outcome, reason, n FROM count_hour UNION ALL" \
	" SELECT domain, outcome, reason, n FROM count_day"
#define BASE_TAIL \
	") AS c JOIN domain AS d ON d.id = c.domain GROUP BY 1, 2, 3)," \
	" b AS MATERIALIZED (SELECT o.mta AS mta, o.direction AS dir," \
	" o.kind AS kind, o.status AS st, o.hop AS hop," \
	" CAST(o.reply AS TEXT) AS reply, o.class || 'xx' AS cls," \
	" CASE WHEN o.enhanced = '' OR o.enhanced GLOB '[245].[0-7].[0-9]'" \
	" OR o.enhanced GLOB '[245].[0-7].[0-9][0-9]' THEN o.enhanced" \
	" ELSE 'other' END AS enh," \
	" CASE base.prov WHEN '' THEN 'other' ELSE base.prov END AS prov," \
	" coalesce(v.category, CASE o.class WHEN 2 THEN 'delivered'" \
	" ELSE 'other' END) AS cat, coalesce(v.detail, '') AS det," \
	" SUM(base.n) AS n FROM base JOIN outcome AS o ON o.id = base.oc" \
	" LEFT JOIN verdict AS v ON v.outcome = base.oc" \
	" AND v.reason = base.rs AND v.provider = base.prov" \
	" GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11)"

/* One branch per family: (family, l1 .. l5, n), NULL for unused labels.
 * A family without labels always gives one row (0 when nothing). */
static const char *const branches[FAM_COUNT_] = {
	[FAM_ATTEMPTS] =
	    "SELECT 0, dir, cls, reply, enh, cat, SUM(n) FROM b"
	    " WHERE kind = 'attempt' AND hop IN ('remote', 'mailbox')"
	    " GROUP BY 2, 3, 4, 5, 6",
	[FAM_PROVIDER] =
	    "SELECT 1, prov, cls, cat, NULL, NULL, SUM(n) FROM b"
	    " WHERE kind = 'attempt' AND dir = 'out'"
	    " AND hop IN ('remote', 'mailbox') GROUP BY 2, 3, 4",
	[FAM_PF_PROCESSED] =
	    "SELECT 2, st, NULL, NULL, NULL, NULL, SUM(n) FROM b"
	    " WHERE mta = 'postfix' AND dir = 'out' AND kind = 'attempt'"
	    " AND hop = 'remote' GROUP BY 2",
	[FAM_PF_STATUS_DEFERRED] =
	    "SELECT 3, NULL, NULL, NULL, NULL, NULL, coalesce(SUM(n), 0)"
	    " FROM b WHERE mta = 'postfix' AND dir = 'out'"
	    " AND kind = 'attempt' AND hop = 'remote' AND st = 'deferred'",
	[FAM_PF_DEFERRED] =
	    "SELECT 4, NULL, NULL, NULL, NULL, NULL, coalesce(SUM(n), 0)"
	    " FROM b WHERE mta = 'postfix' AND dir = 'out'"
	    " AND kind = 'attempt' AND hop = 'remote' AND st = 'deferred'",
	[FAM_PF_DEFERRED_DSN] =
	    "SELECT 5, enh, NULL, NULL, NULL, NULL, SUM(n) FROM b"
	    " WHERE mta = 'postfix' AND dir = 'out' AND kind = 'attempt'"
	    " AND hop = 'remote' AND st = 'deferred' AND enh <> ''"
	    " GROUP BY 2",
	[FAM_PF_BOUNCED_DSN] =
	    "SELECT 6, enh, NULL, NULL, NULL, NULL, SUM(n) FROM b"
	    " WHERE mta = 'postfix' AND dir = 'out' AND kind = 'attempt'"
	    " AND hop = 'remote' AND st = 'bounced' AND enh <> ''"
	    " GROUP BY 2",
	[FAM_PF_REJECTED] =
	    "SELECT 7, reply, NULL, NULL, NULL, NULL, SUM(n) FROM b"
	    " WHERE mta = 'postfix' AND dir = 'in' GROUP BY 2",
	[FAM_PF_EXPIRED] =
	    "SELECT 8, NULL, NULL, NULL, NULL, NULL, coalesce(SUM(n), 0)"
	    " FROM b WHERE mta = 'postfix' AND kind = 'final'"
	    " AND st = 'expired'",
	[FAM_PF_TIMED_OUT] =
	    "SELECT 9, NULL, NULL, NULL, NULL, NULL, coalesce(SUM(n), 0)"
	    " FROM b WHERE mta = 'postfix' AND dir = 'out'"
	    " AND kind = 'attempt' AND cat = 'network' AND det = 'timeout'",
	[FAM_EXIM_MESSAGES] =
	    "SELECT 10, CASE WHEN st = 'sent' AND kind = 'attempt'"
	    " THEN 'delivered' WHEN st = 'sent' THEN 'suppressed'"
	    " WHEN st = 'deferred' THEN 'deferred' ELSE 'failed' END,"
	    " NULL, NULL, NULL, NULL, SUM(n) FROM b"
	    " WHERE mta = 'exim' AND dir = 'out'"
	    " AND st IN ('sent', 'deferred', 'bounced', 'expired')"
	    " AND kind IN ('attempt', 'skip', 'final') GROUP BY 2",
	[FAM_EXIM_ERRORS] =
	    "SELECT 11, reply, enh, NULL, NULL, NULL, SUM(n) FROM b"
	    " WHERE mta = 'exim' AND dir = 'out' AND reply <> '0'"
	    " AND st IN ('deferred', 'bounced', 'expired') GROUP BY 2, 3",
	[FAM_EXIM_REJECT] =
	    "SELECT 12, NULL, NULL, NULL, NULL, NULL, coalesce(SUM(n), 0)"
	    " FROM b WHERE mta = 'exim' AND dir = 'in'",
};

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

static void
prom_head(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* Whether a family is written under the compat sets asked for. */
static int
wanted(const struct query *q, enum family fam)
{
	return families[fam].compat == 0 ||
	    (families[fam].compat & q->limits.metrics_compat) != 0;
}

/* The statement over b for the families wanted, in family order. */
static int
families_sql(const struct query *q, char *buf, size_t len)
{
	size_t	i;
	int	first = 1;

	buf[0] = '\0';
	if (query_sql_cat(buf, len, BASE_HEAD) == -1 ||
	    query_sql_cat(buf, len, q->fast ? BASE_FAST : BASE_SLOW) == -1 ||
	    query_sql_cat(buf, len, BASE_TAIL) == -1)
		return -1;
	for (i = 0; i < FAM_COUNT_; i++) {
		if (!wanted(q, i))
			continue;
		if (!first && query_sql_cat(buf, len, " UNION ALL ") == -1)
			return -1;
		if (query_sql_cat(buf, len, branches[i]) == -1)
			return -1;
		first = 0;
	}
	return query_sql_cat(buf, len,
	    " ORDER BY 1, 2, 3, 4, 5, 6 LIMIT ?");
}

/* Headers of the families from..to-1 (skipping those not wanted). */
static void
heads_upto(const struct query *q, FILE *f, int *next, int to)
{
	for (; *next < to; (*next)++)
		if (wanted(q, *next))
			prom_head(f, families[*next].name,
			    families[*next].type, families[*next].help);
}

/* The families over the counts. */
static int
write_families(struct query *q, FILE *f)
{
	sqlite3_stmt	*st;
	char		 sql[SQL_MAX * 2];
	const char	*v;
	int		 rc, fam, next = 0, i, nl;

	if (families_sql(q, sql, sizeof sql) == -1)
		return SQLITE_TOOBIG;
	if ((rc = sqlite3_prepare_v2(q->db, sql, -1, &st, NULL)) != SQLITE_OK)
		return rc;
	sqlite3_bind_int(st, 1, METRICS_ROWS_MAX);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		fam = sqlite3_column_int(st, 0);
		if (fam < 0 || fam >= FAM_COUNT_)
			continue;
		if (fam >= next)
			heads_upto(q, f, &next, fam + 1);
		fputs(families[fam].name, f);
		for (i = 0, nl = 0; i < NLABELS; i++) {
			if (families[fam].labels[i] == NULL)
				break;
			v = (const char *)sqlite3_column_text(st, 1 + i);
			fprintf(f, "%s%s=\"", nl++ ? "," : "{",
			    families[fam].labels[i]);
			prom_label(f, v != NULL ? v : "");
			fputc('"', f);
		}
		fprintf(f, "%s %lld\n", nl ? "}" : "",
		    (long long)sqlite3_column_int64(st, 6));
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return rc;
	heads_upto(q, f, &next, FAM_COUNT_);
	return SQLITE_OK;
}

/* smtptally_domain_attempts_total: the busiest domains by attempts out
 * over all time, each with its own totals.  There is no "(other)": a
 * domain that leaves the top N would move its lifetime totals into it,
 * and one that enters would take them out again, which a dashboard reads
 * as a burst or a counter reset (the rest is the attempts family's sum
 * less these). */
static int
write_domains(struct query *q, FILE *f)
{
	sqlite3_stmt	*st;
	int		 rc;

	HOOK_SLEEP("metrics_domains");
	prom_head(f, "smtptally_domain_attempts_total", "counter",
	    "Outgoing delivery attempts by class for the busiest recipient "
	    "domains (metrics_top); the others have no series.");
	rc = sqlite3_prepare_v2(q->db, q->fast ?
	    "WITH per AS MATERIALIZED (SELECT c.domain AS dom, o.class AS cls,"
	    " SUM(c.n) AS n FROM (SELECT domain, outcome, n FROM domain_total"
	    " UNION ALL SELECT domain, outcome, n FROM count_hour) AS c"
	    " JOIN outcome AS o ON o.id = c.outcome WHERE o.kind = 'attempt'"
	    " AND o.direction = 'out' AND o.hop IN ('remote', 'mailbox')"
	    " GROUP BY 1, 2),"
	    " top AS (SELECT dom FROM per GROUP BY dom"
	    " ORDER BY SUM(n) DESC, dom LIMIT ?)"
	    " SELECT d.name, per.cls, per.n FROM per"
	    " JOIN domain AS d ON d.id = per.dom WHERE per.dom IN top"
	    " ORDER BY 1, 2" :
	    "WITH per AS MATERIALIZED (SELECT u.dom AS dom, o.class AS cls,"
	    " SUM(u.n) AS n FROM (SELECT domain AS dom, outcome AS oc,"
	    " SUM(n) AS n FROM count_hour GROUP BY 1, 2 UNION ALL"
	    " SELECT domain, outcome, SUM(n) FROM count_day GROUP BY 1, 2)"
	    " AS u JOIN outcome AS o ON o.id = u.oc WHERE o.kind = 'attempt'"
	    " AND o.direction = 'out' AND o.hop IN ('remote', 'mailbox')"
	    " GROUP BY 1, 2),"
	    " top AS (SELECT dom FROM per GROUP BY dom"
	    " ORDER BY SUM(n) DESC, dom LIMIT ?)"
	    " SELECT d.name, per.cls, per.n FROM per"
	    " JOIN domain AS d ON d.id = per.dom WHERE per.dom IN top"
	    " ORDER BY 1, 2", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return rc;
	sqlite3_bind_int(st, 1, q->limits.metrics_top);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		fputs("smtptally_domain_attempts_total{domain=\"", f);
		prom_label(f, (const char *)sqlite3_column_text(st, 0));
		fprintf(f, "\",class=\"%dxx\"} %lld\n",
		    sqlite3_column_int(st, 1),
		    (long long)sqlite3_column_int64(st, 2));
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* The exporters' delay buckets (postfix_exporter's timeBuckets: 1 ms
 * to 2 days), as indexes of delay_bounds_ms, which holds each of them. */
static const int compat_bounds[] = { 0, 1, 2, 4, 6, 8, 12, 14, 15 };

/* One histogram: cumulative buckets at the bounds idx[0..nidx) (all of
 * ours when idx is NULL), +Inf, _sum and _count; labels already
 * formatted ("stage=\"a\",class=\"2xx\""). */
static void
prom_histogram(FILE *f, const char *name, const char *labels,
    const int64_t *n, int64_t ms, const int *idx, size_t nidx)
{
	int64_t	 cum = 0;
	size_t	 i, nb = idx != NULL ? nidx : DELAY_BUCKETS - 1;
	int	 k = 0, to;

	for (i = 0; i < nb; i++) {
		to = idx != NULL ? idx[i] : (int)i;
		for (; k <= to; k++)
			cum += n[k];
		fprintf(f, "%s_bucket{%s,le=\"%g\"} %lld\n", name, labels,
		    (double)delay_bounds_ms[to] / 1000.0, (long long)cum);
	}
	for (; k < DELAY_BUCKETS; k++)
		cum += n[k];
	fprintf(f, "%s_bucket{%s,le=\"+Inf\"} %lld\n", name, labels,
	    (long long)cum);
	fprintf(f, "%s_sum{%s} %lld.%03lld\n", name, labels,
	    (long long)(ms / 1000), (long long)(ms % 1000));
	fprintf(f, "%s_count{%s} %lld\n", name, labels, (long long)cum);
}

/* smtptally_delivery_delay_seconds{stage, class} and, with the Postfix
 * compat set, postfix_smtp_delivery_delay_seconds{stage}: the delay
 * histograms over all time (delay_total, or delay_hour for the tests'
 * reference). */
static int
write_delays(struct query *q, FILE *f)
{
	int64_t		 n[DELAY_STAGES][10][DELAY_BUCKETS];
	int64_t		 ms[DELAY_STAGES][10], cn[DELAY_BUCKETS], cms;
	sqlite3_stmt	*st;
	char		 labels[96];
	int		 rc, s, c, b, any;

	memset(n, 0, sizeof(n));
	memset(ms, 0, sizeof(ms));
	if ((rc = sqlite3_prepare_v2(q->db, q->fast ?
	    "SELECT stage, class, bucket, SUM(n), SUM(ms) FROM delay_total"
	    " GROUP BY 1, 2, 3" :
	    "SELECT stage, class, bucket, SUM(n), SUM(ms) FROM delay_hour"
	    " GROUP BY 1, 2, 3", -1, &st, NULL)) != SQLITE_OK)
		return rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		s = delay_stage_from_key((const char *)sqlite3_column_text(st,
		    0));
		c = sqlite3_column_int(st, 1);
		b = sqlite3_column_int(st, 2);
		if (s < 0 || c < 1 || c > 9 || b < 0 || b >= DELAY_BUCKETS)
			continue;
		n[s][c][b] += sqlite3_column_int64(st, 3);
		ms[s][c] += sqlite3_column_int64(st, 4);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return rc;
	prom_head(f, "smtptally_delivery_delay_seconds", "histogram",
	    "Delays of our deliveries (attempts to a remote host or a "
	    "mailbox) by stage (total: Postfix delay=, Exim QT=; Postfix "
	    "delays=a/b/c/d) and reply class.");
	for (s = 0; s < DELAY_STAGES; s++)
		for (c = 1; c <= 9; c++) {
			for (b = 0, any = 0; b < DELAY_BUCKETS; b++)
				any |= n[s][c][b] != 0;
			if (!any)
				continue;
			snprintf(labels, sizeof(labels),
			    "stage=\"%s\",class=\"%dxx\"", delay_stage_name(s),
			    c);
			prom_histogram(f, "smtptally_delivery_delay_seconds",
			    labels, n[s][c], ms[s][c], NULL, 0);
		}
	if (!(q->limits.metrics_compat & METRICS_COMPAT_POSTFIX))
		return SQLITE_OK;
	prom_head(f, "postfix_smtp_delivery_delay_seconds", "histogram",
	    "Delays of deliveries by Postfix's stage (delays=a/b/c/d), in "
	    "the exporters' buckets.");
	for (s = DELAY_BEFORE_QMGR; s < DELAY_STAGES; s++) {
		memset(cn, 0, sizeof(cn));
		cms = 0;
		for (c = 1, any = 0; c <= 9; c++) {
			for (b = 0; b < DELAY_BUCKETS; b++) {
				cn[b] += n[s][c][b];
				any |= n[s][c][b] != 0;
			}
			cms += ms[s][c];
		}
		if (!any)
			continue;
		snprintf(labels, sizeof(labels), "stage=\"%s\"",
		    delay_stage_name(s));
		prom_histogram(f, "postfix_smtp_delivery_delay_seconds", labels,
		    cn, cms, compat_bounds,
		    sizeof(compat_bounds) / sizeof(compat_bounds[0]));
	}
	return SQLITE_OK;
}

/* postfix_up{path}: 1 for a followed file with a generation being read,
 * 0 when every generation under that path is lost or closed. */
static int
write_up(struct query *q, FILE *f)
{
	sqlite3_stmt	*st;
	int		 rc;

	prom_head(f, "postfix_up", "gauge",
	    "Whether smtptally reads the followed log (1) or lost it (0).");
	if ((rc = sqlite3_prepare_v2(q->db, "SELECT path,"
	    " MAX(state IN ('active', 'rotated')) FROM source"
	    " WHERE kind = 'file' GROUP BY path ORDER BY path LIMIT ?", -1,
	    &st, NULL)) != SQLITE_OK)
		return rc;
	sqlite3_bind_int(st, 1, q->limits.max_rows);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		fputs("postfix_up{path=\"", f);
		prom_label(f, (const char *)sqlite3_column_text(st, 0));
		fprintf(f, "\"} %d\n", sqlite3_column_int(st, 1));
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static void
metrics_count_problem(const struct live_problem *p, void *arg)
{
	(void)p;
	(*(int *)arg)++;
}

/* The daemon's own health, from the source table and live. */
static int
write_health(struct query *q, FILE *f)
{
	struct query_ingest	 in;
	int			 rc, nerr;

	if ((rc = query_status_files(q, &in, NULL, 0)) != SQLITE_OK)
		return rc;
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
	    (long long)query_status_commit_failures(q),
	    (long long)in.lag, in.files);
	nerr = 0;
	live_each_problem(q->live, metrics_count_problem, &nerr);
	fprintf(f, "# HELP smtptally_follow_errors Followed paths that cannot "
	    "be read now (missing, unreadable, not a file).\n"
	    "# TYPE smtptally_follow_errors gauge\n"
	    "smtptally_follow_errors %d\n", nerr);
	if (in.last_commit >= 0)
		fprintf(f, "# HELP smtptally_last_commit_timestamp_seconds "
		    "When counts were last committed.\n"
		    "# TYPE smtptally_last_commit_timestamp_seconds gauge\n"
		    "smtptally_last_commit_timestamp_seconds %lld\n",
		    (long long)in.last_commit);
	fprintf(f, "# HELP smtptally_database_bytes Size of the database "
	    "and its WAL.\n"
	    "# TYPE smtptally_database_bytes gauge\n"
	    "smtptally_database_bytes %lld\n",
	    (long long)query_status_db_bytes(q->path));
	if (q->limits.metrics_compat & METRICS_COMPAT_POSTFIX)
		fprintf(f, "# HELP postfix_unsupported_log_entries_total "
		    "Log lines smtptally could not read.\n"
		    "# TYPE postfix_unsupported_log_entries_total counter\n"
		    "postfix_unsupported_log_entries_total{service=\"\","
		    "level=\"\"} %lld\n", (long long)in.unrecognised);
	return query_journal_metrics(q, f);
}

/*
 * The busiest domains come last and in a buffer of their own: with
 * millions of domains their ranking can take longer than the time limit,
 * and then /metrics answers without them, saying so, rather than not at
 * all (the other families are what alerts read).
 */
static int
write_domains_or_not(struct query *q, FILE *f)
{
	FILE	*d;
	char	*buf = NULL;
	size_t	 len = 0;
	int	 rc, omitted = 0;

	if ((d = open_memstream(&buf, &len)) == NULL)
		return SQLITE_NOMEM;
	rc = write_domains(q, d);
	if (fclose(d) != 0) {
		free(buf);
		return SQLITE_NOMEM;
	}
	if (rc != SQLITE_OK && (q->timed_out || rc == SQLITE_INTERRUPT)) {
		omitted = 1;
		q->timed_out = 0;
		rc = SQLITE_OK;
	} else if (rc == SQLITE_OK)
		fwrite(buf, 1, len, f);
	free(buf);
	prom_head(f, "smtptally_domain_series_omitted", "gauge",
	    "1 when the busiest domains' series were left out of this "
	    "answer because ranking them took longer than the query time "
	    "limit.");
	fprintf(f, "smtptally_domain_series_omitted %d\n", omitted);
	return rc;
}

/* GET /metrics: totals since the database began, as counters. */
void
metrics_run(struct query *q, struct query_result *r)
{
	FILE	*f;
	char	*buf = NULL;
	size_t	 len = 0;
	int	 rc;

	if ((f = open_memstream(&buf, &len)) == NULL) {
		r->status = 500;
		r->json = query_error("out of memory");
		return;
	}
	if ((rc = write_families(q, f)) != SQLITE_OK ||
	    (rc = write_delays(q, f)) != SQLITE_OK ||
	    ((q->limits.metrics_compat & METRICS_COMPAT_POSTFIX) &&
	    (rc = write_up(q, f)) != SQLITE_OK) ||
	    (rc = write_health(q, f)) != SQLITE_OK ||
	    (rc = write_domains_or_not(q, f)) != SQLITE_OK) {
		fclose(f);
		free(buf);
		query_fail(q, r, rc);
		return;
	}
	if (fclose(f) != 0) {
		free(buf);
		r->status = 500;
		r->json = query_error("out of memory");
		return;
	}
	r->text = buf;
	r->textlen = len;
	r->status = 200;
}
