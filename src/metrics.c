/*
 * metrics: GET /metrics, totals since the database began as Prometheus
 * text exposition.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sqlite3.h>

#include "metrics.h"
#include "query.h"
#include "query_int.h"

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
void
metrics_run(struct query *q, struct query_result *r)
{
	FILE		*f;
	char		*buf = NULL;
	size_t		 len = 0;
	sqlite3_stmt	*st = NULL;
	struct query_ingest	 in;
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
	    " WHERE o.kind = 'attempt' AND o.hop IN ('remote', 'mailbox')"
	    " GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"
	    " LIMIT ?" :
	    "SELECT o.class, o.reply, o.enhanced, SUM(u.n) FROM"
	    " (SELECT outcome, SUM(n) AS n FROM count_hour GROUP BY 1"
	    " UNION ALL SELECT outcome, SUM(n) FROM count_day GROUP BY 1)"
	    " AS u JOIN outcome AS o ON o.id = u.outcome"
	    " WHERE o.kind = 'attempt' AND o.hop IN ('remote', 'mailbox')"
	    " GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"
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
	    " SUM(c.n) AS n FROM (SELECT domain, outcome, n FROM domain_total"
	    " UNION ALL SELECT domain, outcome, n FROM count_hour) AS c"
	    " JOIN outcome AS o"
	    " ON o.id = c.outcome WHERE o.kind = 'attempt'"
	    " AND o.hop IN ('remote', 'mailbox') GROUP BY 1, 2),"
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
	    " AND o.hop IN ('remote', 'mailbox')"
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

	if ((rc = query_status_files(q, &in, NULL, 0)) != SQLITE_OK)
		goto fail;
	if ((last = query_status_meta(q, "last_commit")) < in.last_commit)
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
	    (long long)query_status_commit_failures(q),
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
	    "smtptally_database_bytes %lld\n",
	    (long long)query_status_db_bytes(q->path));
	if ((rc = query_journal_metrics(q, f)) != SQLITE_OK)
		goto fail;
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
	query_fail(q, r, rc);
}
