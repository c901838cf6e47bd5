/*
 * query_journal: the journal sources in /v1/status and /metrics.
 *
 * Each journal source row (kind 'journal'; a journal-dir has one per
 * host, its name the host's _HOSTNAME) is shown with its committed
 * cursor, the time of the last entry counted, entries read, unrecognised
 * and long ones, and the last gap (entries possibly lost, the time
 * window) when its cursor's entry had gone.  The lag behind the newest
 * entry of the journal is only known to the daemon's reader: it comes
 * from what the loop published in live (live_lag), else it is null.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>
#include <sqlite3.h>

#include "live.h"
#include "query.h"
#include "query_int.h"

#define QJ_SQL	"SELECT path, cursor, last_time, lines, unrecognised," \
		" long_lines, lost, lost_from, lost_until, name FROM source" \
		" WHERE kind = 'journal' ORDER BY id"

/* How far behind a source is, as the daemon's loop published it (or
 * -1). */
static int64_t
qj_lag(struct query *q, const char *path)
{
	return path == NULL ? -1 : live_lag(q->live, path);
}

/* The "journals" list of /v1/status; NULL on a database error (*rc). */
json_t *
query_journal_json(struct query *q, int max, int *rc)
{
	sqlite3_stmt	*st;
	const char	*path, *name;
	json_t		*list, *gap, *o;
	int64_t		 lag, last;

	if ((*rc = sqlite3_prepare_v2(q->db, QJ_SQL, -1, &st, NULL)) !=
	    SQLITE_OK)
		return NULL;
	list = json_array();
	while ((*rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((int)json_array_size(list) >= max)
			continue;
		path = (const char *)sqlite3_column_text(st, 0);
		name = (const char *)sqlite3_column_text(st, 9);
		lag = qj_lag(q, path);
		last = sqlite3_column_int64(st, 2);
		gap = sqlite3_column_int64(st, 8) > 0 ?
		    json_pack("{s:o s:o s:I}",
		    "from", query_json_time(sqlite3_column_int64(st, 7)),
		    "until", query_json_time(sqlite3_column_int64(st, 8)),
		    "entries_possibly_lost",
		    (json_int_t)sqlite3_column_int64(st, 6)) : json_null();
		o = json_pack("{s:o s:o s:o s:o s:o s:I s:I s:I s:I s:o}",
		    "source", query_json_str(path),
		    "host", name != NULL && path != NULL &&
		    strcmp(name, path) != 0 ? query_json_str(name) :
		    json_null(),
		    "cursor", query_json_str((const char *)
		    sqlite3_column_text(st, 1)),
		    "last_entry", last > 0 ? query_json_time(last) :
		    json_null(),
		    "lag_seconds", lag >= 0 ? json_integer(lag) : json_null(),
		    "entries", (json_int_t)sqlite3_column_int64(st, 3),
		    "unrecognised", (json_int_t)sqlite3_column_int64(st, 4),
		    "long", (json_int_t)sqlite3_column_int64(st, 5),
		    "entries_possibly_lost",
		    (json_int_t)sqlite3_column_int64(st, 6),
		    "last_gap", gap);
		json_array_append_new(list, o);
	}
	sqlite3_finalize(st);
	if (*rc != SQLITE_DONE) {
		json_decref(list);
		return NULL;
	}
	*rc = SQLITE_OK;
	return list;
}

/* A label value, escaped as the exposition format wants. */
static void
qj_label(FILE *f, const char *s)
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

/* The journal series of /metrics, nothing when no journal is followed. */
int
query_journal_metrics(struct query *q, FILE *f)
{
	static const struct {
		const char	*name, *type, *help;
		int		 col;
	} m[] = {
		{ "smtptally_journal_entries_total", "counter",
		  "Postfix and Exim journal entries read.", 3 },
		{ "smtptally_journal_unrecognised_total", "counter",
		  "Journal entries that could not be read.", 4 },
		{ "smtptally_journal_lost_entries_total", "counter",
		  "Journal entries possibly lost in gaps (the entry of the "
		  "committed cursor was gone at start).", 6 },
		{ "smtptally_journal_gap_end_timestamp_seconds", "gauge",
		  "End of the last gap in the journal (0: none).", 8 },
		{ "smtptally_journal_last_entry_timestamp_seconds", "gauge",
		  "Time of the last journal entry counted.", 2 },
		{ "smtptally_journal_lag_seconds", "gauge",
		  "Seconds behind the newest entry of the journal.", -1 },
	};
	sqlite3_stmt	*st;
	const char	*path, *name;
	size_t		 i;
	int64_t		 v;
	int		 rc, rows;

	for (i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
		if ((rc = sqlite3_prepare_v2(q->db, QJ_SQL, -1, &st, NULL)) !=
		    SQLITE_OK)
			return rc;
		rows = 0;
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			path = (const char *)sqlite3_column_text(st, 0);
			name = (const char *)sqlite3_column_text(st, 9);
			v = m[i].col >= 0 ? sqlite3_column_int64(st, m[i].col) :
			    qj_lag(q, path);
			if (v < 0)
				continue;
			if (rows++ == 0)
				fprintf(f, "# HELP %s %s\n# TYPE %s %s\n",
				    m[i].name, m[i].help, m[i].name, m[i].type);
			fprintf(f, "%s{source=\"", m[i].name);
			qj_label(f, path);
			/* a journal-dir's hosts each have their series */
			if (name != NULL && path != NULL &&
			    strcmp(name, path) != 0) {
				fputs("\",host=\"", f);
				qj_label(f, name);
			}
			fprintf(f, "\"} %lld\n", (long long)v);
		}
		sqlite3_finalize(st);
		if (rc != SQLITE_DONE)
			return rc;
	}
	return SQLITE_OK;
}
