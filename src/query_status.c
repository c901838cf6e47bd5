/*
 * query_status: GET /v1/status, and the ingest totals (the source
 * table, the database's size) that /metrics shares.
 */
#include "config.h"

#include <sys/stat.h>

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>
#include <sqlite3.h>

#include "live.h"
#include "query.h"
#include "query_int.h"

/* The daemon's own count when it gave one (the test server gives none). */
int64_t
query_status_commit_failures(struct query *q)
{
	return q->commit_failures >= 0 ? q->commit_failures : 0;
}

/* Bytes the database uses on disk, WAL included. */
int64_t
query_status_db_bytes(const char *path)
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

/* Walk the file table; fill the totals and, if asked, a JSON list. */
int
query_status_files(struct query *q, struct query_ingest *in, json_t *list,
    int max)
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
	    " last_commit, kind, coalesce(name, path) FROM source"
	    " ORDER BY id DESC", -1, &st, NULL)) != SQLITE_OK)
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
		if (sqlite3_column_type(st, 10) != SQLITE_NULL &&
		    sqlite3_column_int64(st, 10) > in->last_commit)
			in->last_commit = sqlite3_column_int64(st, 10);
		/* journals: in query_journal.c (lost counts entries) */
		if (sqlite3_column_text(st, 11) != NULL &&
		    strcmp((const char *)sqlite3_column_text(st, 11),
		    "journal") == 0)
			continue;
		in->bytes_lost += sqlite3_column_int64(st, 8);
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
		/* name: where this generation was last seen (mail.log.1),
		 * the path it was followed by otherwise. */
		f = json_pack("{s:o s:o s:o s:o s:I s:I s:I s:I s:I s:o s:b}",
		    "path", query_json_str(path),
		    "name", query_json_str((const char *)
		    sqlite3_column_text(st, 12)),
		    "format", query_json_str((const char *)
		    sqlite3_column_text(st, 1)),
		    "size", current ? json_integer(size) : json_null(),
		    "offset", (json_int_t)offset,
		    "lines", (json_int_t)sqlite3_column_int64(st, 5),
		    "unrecognised", (json_int_t)sqlite3_column_int64(st, 6),
		    "long_lines", (json_int_t)sqlite3_column_int64(st, 7),
		    "bytes_lost", (json_int_t)sqlite3_column_int64(st, 8),
		    "state", query_json_str(state),
		    "current", current);
		json_array_append_new(list, f);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

struct status_errs {
	json_t	*files;
	size_t	 n;
};

/* A followed path in error, ahead of the generations in "files". */
static void
query_status_problem(const struct live_problem *p, void *arg)
{
	struct status_errs	*e = arg;
	json_t			*f;

	f = json_pack("{s:o s:o s:n s:n s:i s:i s:i s:i s:i s:s s:b s:o"
	    " s:o}",
	    "path", query_json_str(p->path),
	    "name", query_json_str(p->path),
	    "format",
	    "size",
	    "offset", 0,
	    "lines", 0,
	    "unrecognised", 0,
	    "long_lines", 0,
	    "bytes_lost", 0,
	    "state", "error",
	    "current", 0,
	    "error", query_json_str(p->why),
	    "since", query_json_time(p->since));
	if (f != NULL && json_array_insert_new(e->files, e->n, f) == 0)
		e->n++;
}

/* One line not recognised, for "unrecognised_lines". */
static void
query_status_line(const struct live_line *l, void *arg)
{
	json_t	*list = arg, *o;

	o = json_pack("{s:o s:o s:o s:o s:I s:b s:o}",
	    "source", query_json_str(l->source),
	    "name", query_json_str(l->name),
	    "offset", l->offset >= 0 ? json_integer(l->offset) : json_null(),
	    "time", l->time > 0 ? query_json_time(l->time) : json_null(),
	    "length", (json_int_t)l->length,
	    "truncated", l->truncated,
	    "text", query_json_str(l->text));
	if (o != NULL)
		json_array_append_new(list, o);
}

/* GET /v1/status */
void
query_status_json(struct query *q, struct query_result *r)
{
	struct query_ingest	 in;
	struct status_errs	 errs;
	json_t		*files, *journals, *unrec;
	int		 rc;

	files = json_array();
	if ((rc = query_status_files(q, &in, files, q->limits.max_rows)) !=
	    SQLITE_OK) {
		json_decref(files);
		query_fail(q, r, rc);
		return;
	}
	if ((journals = query_journal_json(q, q->limits.max_rows, &rc)) ==
	    NULL) {
		json_decref(files);
		query_fail(q, r, rc);
		return;
	}
	errs.files = files;
	errs.n = 0;
	live_each_problem(q->live, query_status_problem, &errs);
	if ((unrec = json_array()) != NULL)
		live_each_line(q->live, query_status_line, unrec);
	r->json = json_pack("{s:s s:i s:i s:o s:i s:i s:I s:I s:I s:I s:I"
	    " s:b s:o s:I s:I s:o s:o}",
	    "version", PACKAGE_VERSION,
	    "api", QUERY_API,
	    "schema", q->schema,
	    "files", files,
	    "files_total", in.files,
	    "follow_errors", (int)errs.n,
	    "lines_total", (json_int_t)in.lines,
	    "unrecognised_total", (json_int_t)in.unrecognised,
	    "long_lines_total", (json_int_t)in.long_lines,
	    "bytes_lost_total", (json_int_t)in.bytes_lost,
	    "lag_bytes", (json_int_t)in.lag,
	    "caught_up", in.behind == 0,
	    "last_commit", in.last_commit >= 0 ?
	    query_json_time(in.last_commit) : json_null(),
	    "commit_failures", (json_int_t)query_status_commit_failures(q),
	    "db_bytes", (json_int_t)query_status_db_bytes(q->path),
	    "journals", journals,
	    "unrecognised_lines", unrec != NULL ? unrec : json_null());
	r->status = r->json != NULL ? 200 : 500;
}
