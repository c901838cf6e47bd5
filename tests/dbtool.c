/*
 * dbtool: read and write a smtptally database the way the daemon does,
 * for the shell tests.
 *
 *   dbtool sql DB 'SELECT ...'
 *	Runs one statement with the store's SQL functions and a TEMP view
 *	counts(hour, domain, host, mta, direction, kind, status, hop, reply,
 *	enhanced, class, reason, n) over the hour rows and the folded days
 *	(their hours spread out; counts whose hour is not known at the day's
 *	start).  Rows are printed with columns separated by one space, as
 *	sqlite3 -separator ' ' does.
 *
 *   dbtool fill DB [HOUR_DAYS] < ROWS
 *	Counts events through a tally and store_commit_sources, then runs
 *	the store's maintenance (fold, and days before HOUR_DAYS days of the
 *	newest data keep their day only).  ROWS lines:
 *	  count T N DOMAIN HOST MTA DIRECTION KIND STATUS REPLY ENH [TEXT]
 *	  line T RESULT N
 *	  source PATH OFFSET LINES UNRECOGNISED LAST_COMMIT
 *	ENH is "-" for none; TEXT is the rest of the line.
 *
 *   dbtool write DB T DOMAIN COMMITS MS
 *	COMMITS commits of one sent event each, MS milliseconds apart: a
 *	writer beside readers.
 *
 * A test tool: not installed, never used by the programs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "event.h"
#include "hours.h"
#include "source.h"
#include "store.h"
#include "tally.h"

static const char counts_view[] =
	"CREATE TEMP VIEW counts AS"
	" SELECT c.hour AS hour, d.name AS domain, h.name AS host, o.mta,"
	" o.direction, o.kind, o.status, o.hop, o.reply, o.enhanced, o.class,"
	" r.text AS reason, c.n AS n FROM count_hour AS c"
	" JOIN domain AS d ON d.id = c.domain JOIN host AS h ON h.id = c.host"
	" JOIN outcome AS o ON o.id = c.outcome"
	" JOIN reason AS r ON r.id = c.reason"
	" UNION ALL"
	" SELECT c.day + z.h * 3600, d.name, h.name, o.mta, o.direction,"
	" o.kind, o.status, o.hop, o.reply, o.enhanced, o.class, r.text,"
	" st_hour_n(c.hours, z.h) FROM count_day AS c"
	" JOIN (SELECT column1 AS h FROM (VALUES (0), (1), (2), (3), (4), (5),"
	" (6), (7), (8), (9), (10), (11), (12), (13), (14), (15), (16), (17),"
	" (18), (19), (20), (21), (22), (23))) AS z"
	" JOIN domain AS d ON d.id = c.domain JOIN host AS h ON h.id = c.host"
	" JOIN outcome AS o ON o.id = c.outcome"
	" JOIN reason AS r ON r.id = c.reason"
	" WHERE st_hour_n(c.hours, z.h) > 0"
	" UNION ALL"
	" SELECT c.day, d.name, h.name, o.mta, o.direction, o.kind, o.status,"
	" o.hop, o.reply, o.enhanced, o.class, r.text,"
	" c.n - st_hours_total(c.hours) FROM count_day AS c"
	" JOIN domain AS d ON d.id = c.domain JOIN host AS h ON h.id = c.host"
	" JOIN outcome AS o ON o.id = c.outcome"
	" JOIN reason AS r ON r.id = c.reason"
	" WHERE c.n > st_hours_total(c.hours)";

static void __attribute__((__noreturn__))
die(const char *what, const char *why)
{
	fprintf(stderr, "dbtool: %s: %s\n", what, why);
	exit(1);
}

/* dbtool sql DB SQL */
static int
cmd_sql(const char *path, const char *sql)
{
	sqlite3		*db;
	sqlite3_stmt	*st;
	int		 rc, i, n;
	const char	*v;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) !=
	    SQLITE_OK)
		die(path, sqlite3_errmsg(db));
	sqlite3_busy_timeout(db, 10000);
	if (hours_sql_register(db) != SQLITE_OK ||
	    sqlite3_exec(db, counts_view, NULL, NULL, NULL) != SQLITE_OK)
		die("view", sqlite3_errmsg(db));
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		die(sql, sqlite3_errmsg(db));
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		n = sqlite3_column_count(st);
		for (i = 0; i < n; i++) {
			v = (const char *)sqlite3_column_text(st, i);
			printf("%s%s", i ? " " : "", v != NULL ? v : "");
		}
		putchar('\n');
	}
	if (rc != SQLITE_DONE)
		die(sql, sqlite3_errmsg(db));
	sqlite3_finalize(st);
	sqlite3_close(db);
	return 0;
}

/* Commit the tally (and a source row, when one is pending). */
static void
commit(struct store *s, struct tally *t, struct source_delta *d, size_t nd,
    int64_t now)
{
	const char	*cause;

	if (store_commit_sources(s, t, d, nd, now, &cause) != 0)
		die("commit", cause);
	tally_clear(t);
}

/* Count one event n times, committing when the tally is full. */
static void
add(struct store *s, struct tally *t, const struct event *ev, long n)
{
	int	r;

	while (n-- > 0) {
		if ((r = tally_add(t, ev, 1)) == TALLY_FULL) {
			commit(s, t, NULL, 0, (int64_t)time(NULL));
			r = tally_add(t, ev, 1);
		}
		if (r != TALLY_OK)
			die("tally", "out of memory");
	}
}

/* dbtool fill DB [HOUR_DAYS] */
static int
cmd_fill(const char *path, int hour_days)
{
	static char		 spath[1024];
	struct store_policy	 pol = { hour_days, 0, 0 };
	struct source_row	 row;
	struct source_delta	 d;
	struct store		*s;
	struct tally		*t;
	struct event		 ev;
	const char		*cause;
	char			 line[4096], what[16], dom[254], host[256];
	char			 mta[16], dir[16], kind[16], status[32];
	char			 enh[12], res[32], *text;
	long long		 tt, n, a, b, c, last;
	int			 reply, off, r, m;

	if ((s = store_open(path, &cause)) == NULL)
		die(path, cause);
	if ((t = tally_new(0)) == NULL)
		die("tally", "out of memory");
	while (fgets(line, sizeof line, stdin) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (sscanf(line, "%15s", what) != 1)
			continue;
		if (strcmp(what, "count") == 0) {
			off = 0;
			if (sscanf(line, "count %lld %lld %253s %255s %15s %15s "
			    "%15s %31s %d %11s %n", &tt, &n, dom, host, mta,
			    dir, kind, status, &reply, enh, &off) < 10)
				die("bad line", line);
			text = off > 0 && line[off] != '\0' ? line + off : NULL;
			memset(&ev, 0, sizeof ev);
			ev.time = tt;
			if ((m = event_mta_from_name(mta)) == -1 ||
			    (r = event_direction_from_name(dir)) == -1)
				die("bad mta or direction", line);
			ev.mta = (enum mta)m;
			ev.direction = (enum direction)r;
			if ((r = event_kind_from_name(kind)) == -1)
				die("bad kind", line);
			ev.kind = (enum kind)r;
			if ((r = event_status_from_name(status)) == -1)
				die("bad status", line);
			ev.status = (enum status)r;
			ev.hop = HOP_REMOTE;
			ev.reply = reply;
			snprintf(ev.enhanced, sizeof ev.enhanced, "%s",
			    strcmp(enh, "-") == 0 ? "" : enh);
			snprintf(ev.domain, sizeof ev.domain, "%s", dom);
			snprintf(ev.host, sizeof ev.host, "%s", host);
			ev.text = text;
			ev.textlen = text != NULL ? strlen(text) : 0;
			add(s, t, &ev, (long)n);
		} else if (strcmp(what, "line") == 0) {
			if (sscanf(line, "line %lld %31s %lld", &tt, res,
			    &n) != 3)
				die("bad line", line);
			for (r = 0; r <= TALLY_LINE_LONG; r++)
				if (strcmp(res, tally_line_name(r)) == 0)
					break;
			if (r > TALLY_LINE_LONG)
				die("bad result", line);
			while (n-- > 0)
				if (tally_add_line(t, tt, 1, r) != TALLY_OK)
					die("tally", "full");
		} else if (strcmp(what, "source") == 0) {
			if (sscanf(line, "source %1023s %lld %lld %lld %lld",
			    spath, &a, &b, &c, &last) != 5)
				die("bad line", line);
			memset(&row, 0, sizeof row);
			memset(&d, 0, sizeof d);
			row.id = store_next_id(s);
			row.path = spath;
			row.format = MTA_POSTFIX;
			row.dev = 1;
			row.ino = 2;
			row.offset = a;
			row.state = SOURCE_ACTIVE;
			d.row = &row;
			d.insert = 1;
			d.lines = b;
			d.unrecognised = c;
			commit(s, t, &d, 1, last);
		} else
			die("bad line", line);
	}
	commit(s, t, NULL, 0, (int64_t)time(NULL));
	while ((r = store_maintain(s, &pol, &cause)) == 1)
		;
	if (r == -1)
		die("maintenance", cause);
	tally_free(t);
	store_close(s);
	return 0;
}

/* dbtool write DB T DOMAIN COMMITS MS */
static int
cmd_write(const char *path, long long tt, const char *dom, long commits,
    long ms)
{
	struct store	*s;
	struct tally	*t;
	struct event	 ev;
	struct timespec	 ts = { ms / 1000, (ms % 1000) * 1000000L };
	const char	*cause;
	long		 i;

	if ((s = store_open(path, &cause)) == NULL)
		die(path, cause);
	if ((t = tally_new(0)) == NULL)
		die("tally", "out of memory");
	memset(&ev, 0, sizeof ev);
	ev.time = tt;
	ev.mta = MTA_POSTFIX;
	ev.status = STATUS_SENT;
	ev.reply = 250;
	snprintf(ev.enhanced, sizeof ev.enhanced, "2.0.0");
	snprintf(ev.domain, sizeof ev.domain, "%s", dom);
	snprintf(ev.host, sizeof ev.host, "mx1");
	for (i = 0; i < commits; i++) {
		add(s, t, &ev, 1);
		commit(s, t, NULL, 0, (int64_t)time(NULL));
		nanosleep(&ts, NULL);
	}
	tally_free(t);
	store_close(s);
	return 0;
}

int
main(int argc, char *argv[])
{
	if (argc == 4 && strcmp(argv[1], "sql") == 0)
		return cmd_sql(argv[2], argv[3]);
	if ((argc == 3 || argc == 4) && strcmp(argv[1], "fill") == 0)
		return cmd_fill(argv[2], argc == 4 ? atoi(argv[3]) : 0);
	if (argc == 7 && strcmp(argv[1], "write") == 0)
		return cmd_write(argv[2], atoll(argv[3]), argv[4],
		    atol(argv[5]), atol(argv[6]));
	fprintf(stderr, "usage: dbtool sql DB SQL | fill DB [HOUR_DAYS] | "
	    "write DB T DOMAIN COMMITS MS\n");
	return 2;
}
