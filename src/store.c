/*
 * store: the SQLite side of the daemon.
 *
 * One connection, owned by the ingest loop.  Every statement is prepared
 * once at open and used with bound parameters.  A commit is one
 * BEGIN IMMEDIATE ... COMMIT holding the count, line and reason deltas and
 * the offsets they came from; any failure rolls the whole of it back and
 * the caller re-reads from the committed offsets.  Domain and host ids are
 * cached; the cache is dropped on every rollback, since ids inserted by a
 * rolled-back transaction do not exist.
 *
 * The roll-ups (total_hour, total_day, domain_month, domain_total; schema
 * version 2) are
 * kept in the same transaction as the counts: a commit first sums its
 * deltas in memory per roll-up key (a batch has many count keys but few
 * roll-up keys), then upserts each roll-up key once.  Retention moves and
 * drops them with the counts, so they stay equal to sums over the counts.
 *
 * Not here: when to commit, files, parsing, serving.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "civil.h"
#include "hook.h"
#include "source.h"
#include "event.h"
#include "store.h"
#include "tally.h"

#define STORE_APPID		1397577817	/* "SMTY", as in schema.sql */
#define STORE_CACHE		16384		/* name -> id slots */
#define STORE_WAL_LIMIT		67108864	/* journal_size_limit */

extern const char schema_sql[];
extern const char migrate_3_sql[];

/* The class of a count as query.c derives it (CLASS_EXPR there). */
#define STORE_CLASS_SQL \
	"(CASE WHEN reply != 0 THEN reply / 100" \
	" WHEN enhanced != '' THEN CAST(substr(enhanced, 1, 1) AS INTEGER)" \
	" WHEN status IN ('sent', 'deliverable') THEN 2" \
	" WHEN status = 'deferred' THEN 4 ELSE 5 END)"

/* Fill empty roll-up tables from count_hour and count_day. */
#define STORE_FILL_SQL \
	"INSERT INTO total_hour SELECT hour, host, mta, direction, kind," \
	" status, reply, enhanced, sum(n) FROM count_hour" \
	" GROUP BY 1, 2, 3, 4, 5, 6, 7, 8;" \
	" INSERT INTO total_day SELECT day, host, mta, direction, kind," \
	" status, reply, enhanced, sum(n) FROM count_day" \
	" GROUP BY 1, 2, 3, 4, 5, 6, 7, 8;" \
	" INSERT INTO domain_month SELECT domain," \
	" CAST(strftime('%s', t, 'unixepoch', 'start of month') AS INTEGER)," \
	" direction, kind, " STORE_CLASS_SQL ", sum(n)," \
	" sum(CASE WHEN status = 'sent' THEN n ELSE 0 END)," \
	" sum(CASE WHEN status = 'deferred' THEN n ELSE 0 END)," \
	" sum(CASE WHEN status IN ('bounced', 'rejected') THEN n ELSE 0 END)" \
	" FROM (SELECT hour AS t, * FROM count_hour UNION ALL" \
	" SELECT day AS t, * FROM count_day)" \
	" GROUP BY 1, 2, 3, 4, 5;" \
	" INSERT INTO domain_total SELECT domain, direction, kind, class," \
	" sum(n), sum(sent), sum(deferred), sum(bounced) FROM domain_month" \
	" GROUP BY 1, 2, 3, 4;"

const char store_rollup_fill_sql[] = STORE_FILL_SQL;

/* Version 1 -> 2: the roll-up tables, filled from the counts. */
static const char store_v2_sql[] =
	"CREATE TABLE total_hour (hour INTEGER NOT NULL, host INTEGER NOT NULL"
	" REFERENCES host(id), mta TEXT NOT NULL, direction TEXT NOT NULL,"
	" kind TEXT NOT NULL, status TEXT NOT NULL, reply INTEGER NOT NULL,"
	" enhanced TEXT NOT NULL, n INTEGER NOT NULL CHECK (n >= 0),"
	" PRIMARY KEY (hour, host, mta, direction, kind, status, reply,"
	" enhanced)) WITHOUT ROWID;"
	" CREATE TABLE total_day (day INTEGER NOT NULL, host INTEGER NOT NULL"
	" REFERENCES host(id), mta TEXT NOT NULL, direction TEXT NOT NULL,"
	" kind TEXT NOT NULL, status TEXT NOT NULL, reply INTEGER NOT NULL,"
	" enhanced TEXT NOT NULL, n INTEGER NOT NULL CHECK (n >= 0),"
	" PRIMARY KEY (day, host, mta, direction, kind, status, reply,"
	" enhanced)) WITHOUT ROWID;"
	" CREATE TABLE domain_month (domain INTEGER NOT NULL REFERENCES"
	" domain(id), month INTEGER NOT NULL, direction TEXT NOT NULL,"
	" kind TEXT NOT NULL, class INTEGER NOT NULL,"
	" n INTEGER NOT NULL CHECK (n >= 0),"
	" sent INTEGER NOT NULL CHECK (sent >= 0),"
	" deferred INTEGER NOT NULL CHECK (deferred >= 0),"
	" bounced INTEGER NOT NULL CHECK (bounced >= 0),"
	" PRIMARY KEY (domain, month, direction, kind, class)) WITHOUT ROWID;"
	" CREATE TABLE domain_total (domain INTEGER NOT NULL REFERENCES"
	" domain(id), direction TEXT NOT NULL, kind TEXT NOT NULL,"
	" class INTEGER NOT NULL, n INTEGER NOT NULL CHECK (n >= 0),"
	" sent INTEGER NOT NULL CHECK (sent >= 0),"
	" deferred INTEGER NOT NULL CHECK (deferred >= 0),"
	" bounced INTEGER NOT NULL CHECK (bounced >= 0),"
	" PRIMARY KEY (domain, direction, kind, class)) WITHOUT ROWID;"
	" " STORE_FILL_SQL;

/* Migration steps: steps[i] takes user_version i to i + 1, or further
 * when the step sets user_version itself (step 0, the whole schema,
 * creates the newest version at once). */
static const char *const store_steps[] = {
	schema_sql,		/* 0 -> 3: the whole schema */
	store_v2_sql,		/* 1 -> 2: roll-ups */
	migrate_3_sql,		/* 2 -> 3: sources */
};

/* A roll-up key and its summed deltas: total_* uses t = hour, id = host,
 * mta, dir, kind, status, reply, enh; domain_month uses t = month,
 * id = domain, dir, kind, class and the status parts. */
struct store_roll {
	int		 used;
	int64_t		 t, id;
	int		 mta, dir, kind, status, reply, class;
	const char	*enh;
	int64_t		 n, sent, deferred, bounced;
};

struct store_rolls {
	struct store_roll	*slot;
	size_t			 cap, len;
};

enum store_stmt {
	ST_BEGIN,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_DOMAIN_INS,
	ST_DOMAIN_SEL,
	ST_HOST_INS,
	ST_HOST_SEL,
	ST_COUNT_UP,
	ST_TOTAL_UP,
	ST_DM_UP,
	ST_DT_UP,
	ST_LINES_UP,
	ST_REASON_HAS,
	ST_REASON_NUM,
	ST_REASON_UP,
	ST_FILE_CAS,
	ST_FILE_ADD,
	ST_FILE_SET,
	ST_FILE_LIST,
	ST_SRC_INS,
	ST_SRC_CAS,
	ST_SRC_LIST,
	ST_SRC_MAXID,
	ST_ROLL_DAY,
	ST_ROLL_DEL,
	ST_DAY_DEL,
	ST_TROLL_DAY,
	ST_TROLL_DEL,
	ST_TDAY_DEL,
	ST_DM_SUB,
	ST_DM_ZERO,
	ST_DT_SUB,
	ST_DT_ZERO,
	ST__MAX
};

static const char *const store_sql[ST__MAX] = {
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_DOMAIN_INS] = "INSERT INTO domain(name) VALUES (?1)",
	[ST_DOMAIN_SEL] = "SELECT id FROM domain WHERE name = ?1",
	[ST_HOST_INS] = "INSERT INTO host(name) VALUES (?1)",
	[ST_HOST_SEL] = "SELECT id FROM host WHERE name = ?1",
	[ST_COUNT_UP] = "INSERT INTO count_hour(hour, domain, host, mta, "
	    "direction, kind, status, reply, enhanced, n) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) "
	    "ON CONFLICT DO UPDATE SET n = n + excluded.n",
	[ST_TOTAL_UP] = "INSERT INTO total_hour(hour, host, mta, direction, "
	    "kind, status, reply, enhanced, n) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) "
	    "ON CONFLICT DO UPDATE SET n = n + excluded.n",
	[ST_DM_UP] = "INSERT INTO domain_month(domain, month, direction, kind, "
	    "class, n, sent, deferred, bounced) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) "
	    "ON CONFLICT DO UPDATE SET n = n + excluded.n, "
	    "sent = sent + excluded.sent, deferred = deferred + "
	    "excluded.deferred, bounced = bounced + excluded.bounced",
	[ST_DT_UP] = "INSERT INTO domain_total(domain, direction, kind, "
	    "class, n, sent, deferred, bounced) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) "
	    "ON CONFLICT DO UPDATE SET n = n + excluded.n, "
	    "sent = sent + excluded.sent, deferred = deferred + "
	    "excluded.deferred, bounced = bounced + excluded.bounced",
	[ST_LINES_UP] = "INSERT INTO lines_hour(hour, source, result, n) "
	    "VALUES (?1, ?2, ?3, ?4) "
	    "ON CONFLICT DO UPDATE SET n = n + excluded.n",
	[ST_REASON_HAS] = "SELECT 1 FROM reason_day WHERE day = ?1 AND "
	    "domain = ?2 AND direction = ?3 AND reply = ?4 AND "
	    "enhanced = ?5 AND text = ?6",
	[ST_REASON_NUM] = "SELECT count(*) FROM reason_day WHERE day = ?1 AND "
	    "domain = ?2 AND direction = ?3 AND reply = ?4 AND "
	    "enhanced = ?5 AND text <> '" STORE_REASON_OTHER "'",
	[ST_REASON_UP] = "INSERT INTO reason_day(day, domain, direction, "
	    "reply, enhanced, text, n) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) "
	    "ON CONFLICT DO UPDATE SET n = n + excluded.n",
	[ST_FILE_CAS] = "UPDATE source SET offset = ?1, lines = lines + ?2, "
	    "unrecognised = unrecognised + ?3, long_lines = long_lines + ?4, "
	    "lost = ?5, state = ?6, head = ?7, last_commit = ?8 "
	    "WHERE id = ?9 AND offset = ?10",
	[ST_FILE_ADD] = "INSERT INTO source(path, format, dev, ino, head, "
	    "offset, state, first_seen, lost) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
	[ST_FILE_SET] = "UPDATE source SET state = ?1, lost = ?2 "
	    "WHERE id = ?3",
	[ST_FILE_LIST] = "SELECT id, path, format, dev, ino, head, offset, "
	    "lines, unrecognised, long_lines, lost, state, first_seen, "
	    "coalesce(last_commit, 0) FROM source WHERE path = ?1 ORDER BY id",
	[ST_SRC_INS] = "INSERT INTO source(id, kind, path, name, format, dev, "
	    "ino, head, mark, offset, cursor, lines, unrecognised, long_lines, "
	    "lost, lost_from, lost_until, state, first_seen, last_commit, "
	    "last_time) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, "
	    "?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21)",
	[ST_SRC_CAS] = "UPDATE source SET name = ?4, dev = ?6, ino = ?7, "
	    "head = ?8, mark = ?9, offset = ?10, cursor = ?11, "
	    "lines = lines + ?12, unrecognised = unrecognised + ?13, "
	    "long_lines = long_lines + ?14, lost = ?15, lost_from = ?16, "
	    "lost_until = ?17, state = ?18, last_commit = ?20, "
	    "last_time = ?21 "
	    "WHERE id = ?1 AND offset = ?22 AND cursor IS ?23",
	[ST_SRC_LIST] = "SELECT id, kind, path, name, format, dev, ino, head, "
	    "mark, offset, cursor, lines, unrecognised, long_lines, lost, "
	    "lost_from, lost_until, state, first_seen, "
	    "coalesce(last_commit, 0), last_time FROM source WHERE path = ?1 "
	    "ORDER BY id",
	[ST_SRC_MAXID] = "SELECT coalesce(max(id), 0) FROM source",
	[ST_ROLL_DAY] = "INSERT INTO count_day(day, domain, host, mta, "
	    "direction, kind, status, reply, enhanced, n) "
	    "SELECT hour - hour % 86400, domain, host, mta, direction, kind, "
	    "status, reply, enhanced, sum(n) FROM count_hour WHERE hour < ?1 "
	    "GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9 "
	    "ON CONFLICT DO UPDATE SET n = n + excluded.n",
	[ST_ROLL_DEL] = "DELETE FROM count_hour WHERE hour < ?1",
	[ST_DAY_DEL] = "DELETE FROM count_day WHERE day < ?1",
	[ST_TROLL_DAY] = "INSERT INTO total_day(day, host, mta, direction, "
	    "kind, status, reply, enhanced, n) "
	    "SELECT hour - hour % 86400, host, mta, direction, kind, status, "
	    "reply, enhanced, sum(n) FROM total_hour WHERE hour < ?1 "
	    "GROUP BY 1, 2, 3, 4, 5, 6, 7, 8 "
	    "ON CONFLICT DO UPDATE SET n = n + excluded.n",
	[ST_TROLL_DEL] = "DELETE FROM total_hour WHERE hour < ?1",
	[ST_TDAY_DEL] = "DELETE FROM total_day WHERE day < ?1",
	/* Days about to be dropped leave their months. */
	[ST_DM_SUB] = "UPDATE domain_month AS m SET n = m.n - x.n, "
	    "sent = m.sent - x.sent, deferred = m.deferred - x.deferred, "
	    "bounced = m.bounced - x.bounced FROM (SELECT domain, "
	    "CAST(strftime('%s', day, 'unixepoch', 'start of month') AS "
	    "INTEGER) AS month, direction, kind, " STORE_CLASS_SQL " AS class, "
	    "sum(n) AS n, "
	    "sum(CASE WHEN status = 'sent' THEN n ELSE 0 END) AS sent, "
	    "sum(CASE WHEN status = 'deferred' THEN n ELSE 0 END) AS deferred, "
	    "sum(CASE WHEN status IN ('bounced', 'rejected') THEN n "
	    "ELSE 0 END) AS bounced FROM count_day WHERE day < ?1 "
	    "GROUP BY 1, 2, 3, 4, 5) "
	    "AS x WHERE m.domain = x.domain AND m.month = x.month AND "
	    "m.direction = x.direction AND m.kind = x.kind AND "
	    "m.class = x.class",
	[ST_DM_ZERO] = "DELETE FROM domain_month WHERE n = 0",
	[ST_DT_SUB] = "UPDATE domain_total AS m SET n = m.n - x.n, "
	    "sent = m.sent - x.sent, deferred = m.deferred - x.deferred, "
	    "bounced = m.bounced - x.bounced FROM (SELECT domain, "
	    "direction, kind, " STORE_CLASS_SQL " AS class, "
	    "sum(n) AS n, "
	    "sum(CASE WHEN status = 'sent' THEN n ELSE 0 END) AS sent, "
	    "sum(CASE WHEN status = 'deferred' THEN n ELSE 0 END) AS deferred, "
	    "sum(CASE WHEN status IN ('bounced', 'rejected') THEN n "
	    "ELSE 0 END) AS bounced FROM count_day WHERE day < ?1 "
	    "GROUP BY 1, 2, 3, 4) "
	    "AS x WHERE m.domain = x.domain AND m.direction = x.direction "
	    "AND m.kind = x.kind AND m.class = x.class",
	[ST_DT_ZERO] = "DELETE FROM domain_total WHERE n = 0",
};

struct store_cache {
	char		*name;
	int64_t		 id;
};

struct store {
	sqlite3			*db;
	sqlite3_stmt		*st[ST__MAX];
	int			 lockfd;
	char			*lockpath;
	char			 cause[512];
	int			 lasterr;
	struct store_cache	 domains[STORE_CACHE];
	struct store_cache	 hosts[STORE_CACHE];
	struct store_rolls	 totals;	/* per commit */
	struct store_rolls	 months;	/* per commit */
	int64_t			 lastid;	/* highest source id handed out */
};

/* Keep a cause for the caller, with SQLite's message when there is one. */
static void
store_cause(struct store *s, const char *what)
{
	s->lasterr = s->db != NULL ? sqlite3_extended_errcode(s->db) : 0;
	if (s->db != NULL && sqlite3_errcode(s->db) != SQLITE_OK)
		snprintf(s->cause, sizeof(s->cause), "%s: %s", what,
		    sqlite3_errmsg(s->db));
	else
		snprintf(s->cause, sizeof(s->cause), "%s", what);
}

/* Take <db>.lock so a second daemon on the same database refuses. */
static int
store_lock(struct store *s, const char *path)
{
	char	buf[32];
	ssize_t	n;
	long	pid;
	int	fd;

	if (asprintf(&s->lockpath, "%s.lock", path) == -1) {
		s->lockpath = NULL;
		snprintf(s->cause, sizeof(s->cause), "out of memory");
		return -1;
	}
	fd = open(s->lockpath, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd == -1) {
		snprintf(s->cause, sizeof(s->cause), "%s: %s", s->lockpath,
		    strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		if (errno == EWOULDBLOCK) {
			n = pread(fd, buf, sizeof(buf) - 1, 0);
			buf[n > 0 ? n : 0] = '\0';
			pid = strtol(buf, NULL, 10);
			snprintf(s->cause, sizeof(s->cause), "another "
			    "smtptallyd (pid %ld) holds %s; stop it or use "
			    "another --db", pid, s->lockpath);
		} else
			snprintf(s->cause, sizeof(s->cause), "%s: flock: %s",
			    s->lockpath, strerror(errno));
		close(fd);
		return -1;
	}
	snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) == 0)
		(void)pwrite(fd, buf, strlen(buf), 0);
	s->lockfd = fd;
	return 0;
}

/* Run one statement that returns at most one integer; -1 on error. */
static int
store_int(struct store *s, const char *sql, int64_t *out)
{
	sqlite3_stmt	*st;
	int		 rc;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
		store_cause(s, sql);
		return -1;
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		if (out != NULL)
			*out = sqlite3_column_int64(st, 0);
		rc = SQLITE_DONE;
	}
	if (rc != SQLITE_DONE) {
		store_cause(s, sql);
		sqlite3_finalize(st);
		return -1;
	}
	sqlite3_finalize(st);
	return 0;
}

/* Run one pragma that returns text and check the answer. */
static int
store_pragma(struct store *s, const char *sql, const char *want)
{
	sqlite3_stmt	*st;
	const char	*got;
	int		 ok = 0;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
		store_cause(s, sql);
		return -1;
	}
	if (sqlite3_step(st) == SQLITE_ROW) {
		got = (const char *)sqlite3_column_text(st, 0);
		ok = got != NULL && strcmp(got, want) == 0;
		if (!ok)
			snprintf(s->cause, sizeof(s->cause), "%s: got %s, "
			    "want %s", sql, got == NULL ? "nothing" : got, want);
	} else
		store_cause(s, sql);
	sqlite3_finalize(st);
	return ok ? 0 : -1;
}

/* Apply the migration steps from the database's version to the last. */
static int
store_migrate(struct store *s, const char *const *steps, int nsteps)
{
	int64_t	appid, version, ntables;
	char	sql[64], what[64];
	int	i;

	if (store_int(s, "PRAGMA application_id", &appid) == -1 ||
	    store_int(s, "PRAGMA user_version", &version) == -1 ||
	    store_int(s, "SELECT count(*) FROM sqlite_schema", &ntables) == -1)
		return -1;
	if (appid != STORE_APPID && !(appid == 0 && ntables == 0)) {
		snprintf(s->cause, sizeof(s->cause), "not a smtptally "
		    "database (application_id %lld)", (long long)appid);
		return -1;
	}
	if (version > nsteps) {
		snprintf(s->cause, sizeof(s->cause), "database schema version "
		    "%lld is newer than this program's (%d)",
		    (long long)version, nsteps);
		return -1;
	}
	for (i = (int)version; i < nsteps; i = (int)version) {
		snprintf(what, sizeof(what), "migration to version %d", i + 1);
		if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL,
		    NULL) != SQLITE_OK) {
			store_cause(s, what);
			return -1;
		}
		/* A step may set a later version itself (the whole schema). */
		if (sqlite3_exec(s->db, steps[i], NULL, NULL, NULL) !=
		    SQLITE_OK ||
		    store_int(s, "PRAGMA user_version", &version) == -1)
			goto fail;
		if (version <= i)
			version = i + 1;
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d",
		    (int)version);
		if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK ||
		    sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) !=
		    SQLITE_OK)
			goto fail;
	}
	return 0;
fail:
	store_cause(s, what);
	if (!sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

/* Open with the program's own migration steps. */
struct store *
store_open(const char *path, const char **cause)
{
	return store_open_steps(path, store_steps,
	    (int)(sizeof(store_steps) / sizeof(*store_steps)), cause);
}

/* Lock, open, check, configure and migrate; the steps are a parameter so
 * the tests can upgrade a database of an older, synthetic version. */
struct store *
store_open_steps(const char *path, const char *const *steps, int nsteps,
    const char **cause)
{
	static char	 failed[1200];
	struct store	*s;
	int		 i;

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		*cause = "out of memory";
		return NULL;
	}
	s->lockfd = -1;
	if (store_lock(s, path) == -1) {
		/* The lock's message names the lock file already. */
		snprintf(failed, sizeof(failed), "%s", s->cause);
		*cause = failed;
		store_close(s);
		return NULL;
	}
	if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
		store_cause(s, path);
		goto fail;
	}
	sqlite3_extended_result_codes(s->db, 1);
	sqlite3_busy_timeout(s->db, 5000);
	if (sqlite3_exec(s->db, "PRAGMA trusted_schema = OFF; "
	    "PRAGMA mmap_size = 0; PRAGMA temp_store = MEMORY; "
	    "PRAGMA cell_size_check = ON; PRAGMA foreign_keys = OFF; "
	    "PRAGMA cache_size = -8192",
	    NULL, NULL, NULL) != SQLITE_OK) {
		store_cause(s, "pragmas");
		goto fail;
	}
	if (store_pragma(s, "PRAGMA quick_check", "ok") == -1 ||
	    store_pragma(s, "PRAGMA journal_mode = WAL", "wal") == -1 ||
	    store_int(s, "PRAGMA synchronous = FULL", NULL) == -1 ||
	    store_int(s, "PRAGMA journal_size_limit = 67108864", NULL) == -1)
		goto fail;
	if (store_migrate(s, steps, nsteps) == -1)
		goto fail;
	for (i = 0; i < ST__MAX; i++) {
		if (sqlite3_prepare_v3(s->db, store_sql[i], -1,
		    SQLITE_PREPARE_PERSISTENT, &s->st[i], NULL) != SQLITE_OK) {
			store_cause(s, store_sql[i]);
			goto fail;
		}
	}
	if (sqlite3_step(s->st[ST_SRC_MAXID]) != SQLITE_ROW) {
		store_cause(s, "source ids");
		goto fail;
	}
	s->lastid = sqlite3_column_int64(s->st[ST_SRC_MAXID], 0);
	sqlite3_reset(s->st[ST_SRC_MAXID]);
	return s;
fail:
	snprintf(failed, sizeof(failed), "%s: %s", path, s->cause);
	*cause = failed;
	store_close(s);
	return NULL;
}

/* Forget cached ids: after a rollback some may not exist any more. */
static void
store_cache_clear(struct store *s)
{
	size_t	i;

	for (i = 0; i < STORE_CACHE; i++) {
		free(s->domains[i].name);
		s->domains[i].name = NULL;
		free(s->hosts[i].name);
		s->hosts[i].name = NULL;
	}
}

/* Finish statements, close the database, release the lock; NULL is fine. */
void
store_close(struct store *s)
{
	int	i;

	if (s == NULL)
		return;
	for (i = 0; i < ST__MAX; i++)
		sqlite3_finalize(s->st[i]);
	if (s->db != NULL)
		sqlite3_close(s->db);
	store_cache_clear(s);
	free(s->totals.slot);
	free(s->months.slot);
	if (s->lockfd != -1)
		close(s->lockfd);
	free(s->lockpath);
	free(s);
}

/* Step a statement that returns no rows, then reset it. */
static int
store_exec(struct store *s, enum store_stmt i, const char *what)
{
	int	rc;

	rc = sqlite3_step(s->st[i]);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		store_cause(s, what);
		sqlite3_reset(s->st[i]);
		return -1;
	}
	sqlite3_reset(s->st[i]);
	return 0;
}

/* String hash for the id caches. */
static size_t
store_hash(const char *p)
{
	size_t	h = 5381;

	while (*p != '\0')
		h = h * 33 + (unsigned char)*p++;
	return h % STORE_CACHE;
}

/* The id of a domain or host name, inserting it if new. */
static int64_t
store_name_id(struct store *s, struct store_cache *cache, enum store_stmt ins,
    enum store_stmt sel, const char *name)
{
	struct store_cache	*c = &cache[store_hash(name)];
	int64_t			 id;
	char			*copy;

	int			 rc;

	if (c->name != NULL && strcmp(c->name, name) == 0)
		return c->id;
	/* Look up first: most names are known, and one probe is cheaper
	 * than INSERT OR IGNORE followed by the lookup. */
	sqlite3_bind_text(s->st[sel], 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(s->st[sel]);
	if (rc == SQLITE_ROW)
		id = sqlite3_column_int64(s->st[sel], 0);
	sqlite3_reset(s->st[sel]);
	if (rc == SQLITE_DONE) {
		sqlite3_bind_text(s->st[ins], 1, name, -1, SQLITE_STATIC);
		if (store_exec(s, ins, "insert name") == -1)
			return -1;
		id = sqlite3_last_insert_rowid(s->db);
	} else if (rc != SQLITE_ROW) {
		store_cause(s, "select name");
		return -1;
	}
	if ((copy = strdup(name)) != NULL) {
		free(c->name);
		c->name = copy;
		c->id = id;
	}
	return id;
}

/* Add one reason delta, keeping at most STORE_REASONS_MAX texts a key. */
static int
store_reason(struct store *s, const struct tally_reason *r, int64_t dom)
{
	sqlite3_stmt	*st;
	const char	*text = r->text;
	int		 i, rc, has;
	int64_t		 num;

	for (i = ST_REASON_HAS; i <= ST_REASON_UP; i++) {
		st = s->st[i];
		sqlite3_bind_int64(st, 1, r->day);
		sqlite3_bind_int64(st, 2, dom);
		sqlite3_bind_text(st, 3, event_direction_name(r->direction), -1,
		    SQLITE_STATIC);
		sqlite3_bind_int(st, 4, r->reply);
		sqlite3_bind_text(st, 5, r->enhanced, -1, SQLITE_STATIC);
	}
	st = s->st[ST_REASON_HAS];
	sqlite3_bind_text(st, 6, text, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	has = rc == SQLITE_ROW;
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		store_cause(s, "reason lookup");
		return -1;
	}
	if (!has && strcmp(text, STORE_REASON_OTHER) != 0) {
		st = s->st[ST_REASON_NUM];
		if (sqlite3_step(st) != SQLITE_ROW) {
			store_cause(s, "reason count");
			sqlite3_reset(st);
			return -1;
		}
		num = sqlite3_column_int64(st, 0);
		sqlite3_reset(st);
		if (num >= STORE_REASONS_MAX)
			text = STORE_REASON_OTHER;
	}
	st = s->st[ST_REASON_UP];
	sqlite3_bind_text(st, 6, text, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 7, (int64_t)r->n);
	return store_exec(s, ST_REASON_UP, "reason upsert");
}

/* Hash of a roll-up key. */
static size_t
store_roll_hash(const struct store_roll *k)
{
	uint64_t	 h = 1469598103934665603ULL;
	const char	*p;

	h = (h ^ (uint64_t)k->t) * 1099511628211ULL;
	h = (h ^ (uint64_t)k->id) * 1099511628211ULL;
	h = (h ^ (uint64_t)(k->mta | k->dir << 4 | k->kind << 8 |
	    k->status << 12 | k->class << 16)) * 1099511628211ULL;
	h = (h ^ (uint64_t)k->reply) * 1099511628211ULL;
	for (p = k->enh; *p != '\0'; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	return (size_t)(h ^ h >> 29);
}

/* Same roll-up key? */
static int
store_roll_eq(const struct store_roll *a, const struct store_roll *b)
{
	return a->t == b->t && a->id == b->id && a->mta == b->mta &&
	    a->dir == b->dir && a->kind == b->kind && a->status == b->status &&
	    a->reply == b->reply && a->class == b->class &&
	    strcmp(a->enh, b->enh) == 0;
}

/* Add a delta under its key (open addressing, grown at half full). */
static int
store_roll_add(struct store_rolls *r, const struct store_roll *k)
{
	struct store_roll	*old, *e;
	size_t			 oldcap, i, j;

	if ((r->len + 1) * 2 > r->cap) {
		old = r->slot;
		oldcap = r->cap;
		r->cap = oldcap ? oldcap * 2 : 256;
		if ((r->slot = calloc(r->cap, sizeof(*r->slot))) == NULL) {
			r->slot = old;
			r->cap = oldcap;
			return -1;
		}
		for (i = 0; i < oldcap; i++) {
			if (!old[i].used)
				continue;
			j = store_roll_hash(&old[i]) & (r->cap - 1);
			while (r->slot[j].used)
				j = (j + 1) & (r->cap - 1);
			r->slot[j] = old[i];
		}
		free(old);
	}
	j = store_roll_hash(k) & (r->cap - 1);
	for (e = &r->slot[j]; e->used; e = &r->slot[j]) {
		if (store_roll_eq(e, k)) {
			e->n += k->n;
			e->sent += k->sent;
			e->deferred += k->deferred;
			e->bounced += k->bounced;
			return 0;
		}
		j = (j + 1) & (r->cap - 1);
	}
	*e = *k;
	e->used = 1;
	r->len++;
	return 0;
}

/* Empty a roll-up table for the next commit, keeping its memory. */
static void
store_roll_reset(struct store_rolls *r)
{
	if (r->len > 0)
		memset(r->slot, 0, r->cap * sizeof(*r->slot));
	r->len = 0;
}

/* Sum one count delta into both roll-ups' keys. */
static int
store_roll_count(struct store *s, const struct tally_count *c, int64_t dom,
    int64_t host)
{
	struct store_roll	 k;

	memset(&k, 0, sizeof(k));
	k.t = c->hour;
	k.id = host;
	k.mta = c->mta;
	k.dir = c->direction;
	k.kind = c->kind;
	k.status = c->status;
	k.reply = c->reply;
	k.enh = c->enhanced != NULL ? c->enhanced : "";
	k.n = (int64_t)c->n;
	if (store_roll_add(&s->totals, &k) == -1)
		return -1;
	memset(&k, 0, sizeof(k));
	k.t = civil_month_start(c->hour);
	k.id = dom;
	k.dir = c->direction;
	k.kind = c->kind;
	k.class = event_class(c->reply, c->enhanced, c->status);
	k.enh = "";
	k.n = (int64_t)c->n;
	if (c->status == STATUS_SENT)
		k.sent = k.n;
	else if (c->status == STATUS_DEFERRED)
		k.deferred = k.n;
	else if (c->status == STATUS_BOUNCED || c->status == STATUS_REJECTED)
		k.bounced = k.n;
	return store_roll_add(&s->months, &k);
}

/* One upsert per roll-up key summed in this commit. */
static int
store_roll_flush(struct store *s)
{
	struct store_roll	*k;
	sqlite3_stmt		*st;
	size_t			 i;

	for (i = 0; i < s->totals.cap; i++) {
		k = &s->totals.slot[i];
		if (!k->used)
			continue;
		st = s->st[ST_TOTAL_UP];
		sqlite3_bind_int64(st, 1, k->t);
		sqlite3_bind_int64(st, 2, k->id);
		sqlite3_bind_text(st, 3, event_mta_name(k->mta), -1,
		    SQLITE_STATIC);
		sqlite3_bind_text(st, 4, event_direction_name(k->dir), -1,
		    SQLITE_STATIC);
		sqlite3_bind_text(st, 5, event_kind_name(k->kind), -1,
		    SQLITE_STATIC);
		sqlite3_bind_text(st, 6, event_status_name(k->status), -1,
		    SQLITE_STATIC);
		sqlite3_bind_int(st, 7, k->reply);
		sqlite3_bind_text(st, 8, k->enh, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 9, k->n);
		if (store_exec(s, ST_TOTAL_UP, "total upsert") == -1)
			return -1;
	}
	for (i = 0; i < s->months.cap; i++) {
		k = &s->months.slot[i];
		if (!k->used)
			continue;
		st = s->st[ST_DM_UP];
		sqlite3_bind_int64(st, 1, k->id);
		sqlite3_bind_int64(st, 2, k->t);
		sqlite3_bind_text(st, 3, event_direction_name(k->dir), -1,
		    SQLITE_STATIC);
		sqlite3_bind_text(st, 4, event_kind_name(k->kind), -1,
		    SQLITE_STATIC);
		sqlite3_bind_int(st, 5, k->class);
		sqlite3_bind_int64(st, 6, k->n);
		sqlite3_bind_int64(st, 7, k->sent);
		sqlite3_bind_int64(st, 8, k->deferred);
		sqlite3_bind_int64(st, 9, k->bounced);
		if (store_exec(s, ST_DM_UP, "domain month upsert") == -1)
			return -1;
		/* The all-time row takes the same delta. */
		st = s->st[ST_DT_UP];
		sqlite3_bind_int64(st, 1, k->id);
		sqlite3_bind_text(st, 2, event_direction_name(k->dir), -1,
		    SQLITE_STATIC);
		sqlite3_bind_text(st, 3, event_kind_name(k->kind), -1,
		    SQLITE_STATIC);
		sqlite3_bind_int(st, 4, k->class);
		sqlite3_bind_int64(st, 5, k->n);
		sqlite3_bind_int64(st, 6, k->sent);
		sqlite3_bind_int64(st, 7, k->deferred);
		sqlite3_bind_int64(st, 8, k->bounced);
		if (store_exec(s, ST_DT_UP, "domain total upsert") == -1)
			return -1;
	}
	return 0;
}

/* Write a tally's count, line and reason deltas inside the open
 * transaction; -1 with a cause on failure. */
static int
store_counts(struct store *s, const struct tally *t)
{
	struct tally_count	 c;
	struct tally_lines	 l;
	struct tally_reason	 r;
	sqlite3_stmt		*st;
	size_t			 it;
	int64_t			 dom, host;
	int			 upserts = 0;

	store_roll_reset(&s->totals);
	store_roll_reset(&s->months);
	for (it = 0; tally_next_count(t, &it, &c);) {
		if ((dom = store_name_id(s, s->domains, ST_DOMAIN_INS,
		    ST_DOMAIN_SEL, c.domain)) == -1 ||
		    (host = store_name_id(s, s->hosts, ST_HOST_INS,
		    ST_HOST_SEL, c.host)) == -1)
			return -1;
		st = s->st[ST_COUNT_UP];
		sqlite3_bind_int64(st, 1, c.hour);
		sqlite3_bind_int64(st, 2, dom);
		sqlite3_bind_int64(st, 3, host);
		sqlite3_bind_text(st, 4, event_mta_name(c.mta), -1,
		    SQLITE_STATIC);
		sqlite3_bind_text(st, 5, event_direction_name(c.direction), -1,
		    SQLITE_STATIC);
		sqlite3_bind_text(st, 6, event_kind_name(c.kind), -1,
		    SQLITE_STATIC);
		sqlite3_bind_text(st, 7, event_status_name(c.status), -1,
		    SQLITE_STATIC);
		sqlite3_bind_int(st, 8, c.reply);
		sqlite3_bind_text(st, 9, c.enhanced, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 10, (int64_t)c.n);
		if (store_exec(s, ST_COUNT_UP, "count upsert") == -1)
			return -1;
		if (++upserts == 1)
			HOOK("mid_flush");
		if (store_roll_count(s, &c, dom, host) == -1) {
			snprintf(s->cause, sizeof(s->cause), "out of memory");
			s->lasterr = 0;
			return -1;
		}
	}
	if (store_roll_flush(s) == -1)
		return -1;
	for (it = 0; tally_next_lines(t, &it, &l);) {
		st = s->st[ST_LINES_UP];
		sqlite3_bind_int64(st, 1, l.hour);
		sqlite3_bind_int64(st, 2, l.file);
		sqlite3_bind_text(st, 3, tally_line_name(l.result), -1,
		    SQLITE_STATIC);
		sqlite3_bind_int64(st, 4, (int64_t)l.n);
		if (store_exec(s, ST_LINES_UP, "lines upsert") == -1)
			return -1;
		if (++upserts == 1)
			HOOK("mid_flush");
	}
	for (it = 0; tally_next_reason(t, &it, &r);) {
		if ((dom = store_name_id(s, s->domains, ST_DOMAIN_INS,
		    ST_DOMAIN_SEL, r.domain)) == -1)
			return -1;
		if (store_reason(s, &r, dom) == -1)
			return -1;
	}
	return 0;
}

/* Throw an open transaction away, with the id caches it may have filled. */
static void
store_abort(struct store *s)
{
	if (!sqlite3_get_autocommit(s->db)) {
		sqlite3_step(s->st[ST_ROLLBACK]);
		sqlite3_reset(s->st[ST_ROLLBACK]);
	}
	store_cache_clear(s);
}

/* The end of a commit: the crash points around COMMIT, then COMMIT. */
static int
store_finish(struct store *s)
{
	HOOK("before_commit");
	if (store_exec(s, ST_COMMIT, "commit") == -1)
		return -1;
	HOOK("after_commit");
	return 0;
}

/* Refuse the commit: an offset moved under us. */
static int
store_stale(struct store *s, int64_t id, int64_t offset)
{
	snprintf(s->cause, sizeof(s->cause), "source %lld: offset %lld is "
	    "stale, refusing to commit", (long long)id, (long long)offset);
	s->lasterr = 0;
	return STORE_STALE;
}

/* Write all deltas of a tally and the files' new offsets in one
 * transaction; on any failure nothing is written.  Returns 0, -1 (retry
 * later) or STORE_STALE (a stored offset is not where we left it).
 * The form of the file reader before sources; store_commit_sources is
 * the one to use. */
int
store_commit(struct store *s, const struct tally *t,
    const struct store_delta *d, size_t nd, int64_t now, const char **cause)
{
	sqlite3_stmt	*st;
	size_t		 i;
	int		 rc = -1;

	if (store_exec(s, ST_BEGIN, "begin") == -1 || store_counts(s, t) == -1)
		goto fail;
	for (i = 0; i < nd; i++) {
		st = s->st[ST_FILE_CAS];
		sqlite3_bind_int64(st, 1, d[i].new_offset);
		sqlite3_bind_int64(st, 2, d[i].lines);
		sqlite3_bind_int64(st, 3, d[i].unrecognised);
		sqlite3_bind_int64(st, 4, d[i].long_lines);
		sqlite3_bind_int64(st, 5, d[i].bytes_lost);
		sqlite3_bind_text(st, 6, d[i].state, -1, SQLITE_STATIC);
		sqlite3_bind_blob(st, 7, d[i].head, (int)d[i].headlen,
		    SQLITE_STATIC);
		sqlite3_bind_int64(st, 8, now);
		sqlite3_bind_int64(st, 9, d[i].id);
		sqlite3_bind_int64(st, 10, d[i].old_offset);
		if (store_exec(s, ST_FILE_CAS, "file offset") == -1)
			goto fail;
		if (sqlite3_changes(s->db) != 1) {
			rc = store_stale(s, d[i].id, d[i].old_offset);
			goto fail;
		}
	}
	if (store_finish(s) == -1)
		goto fail;
	return 0;
fail:
	store_abort(s);
	*cause = s->cause;
	return rc;
}

/* Bind a source row's columns to an insert or an update (the same
 * parameter numbers in both statements). */
static void
store_bind_source(sqlite3_stmt *st, const struct source_delta *d,
    int64_t now)
{
	const struct source_row	*r = d->row;
	const char		*name = r->name;

	if (name != NULL && r->path != NULL && strcmp(name, r->path) == 0)
		name = NULL;
	sqlite3_bind_int64(st, 1, r->id);
	sqlite3_bind_text(st, 2, source_kind_name(r->kind), -1,
	    SQLITE_STATIC);
	sqlite3_bind_text(st, 3, r->path, -1, SQLITE_STATIC);
	if (name != NULL)
		sqlite3_bind_text(st, 4, name, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 4);
	sqlite3_bind_text(st, 5, r->format == MTA_UNKNOWN ? "auto" :
	    event_mta_name(r->format), -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, r->dev);
	sqlite3_bind_int64(st, 7, r->ino);
	sqlite3_bind_blob(st, 8, r->head, (int)r->headlen, SQLITE_STATIC);
	if (r->marklen > 0)
		sqlite3_bind_blob(st, 9, r->mark, (int)r->marklen,
		    SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 9);
	sqlite3_bind_int64(st, 10, r->offset);
	if (r->cursor != NULL)
		sqlite3_bind_text(st, 11, r->cursor, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 11);
	sqlite3_bind_int64(st, 12, d->lines);
	sqlite3_bind_int64(st, 13, d->unrecognised);
	sqlite3_bind_int64(st, 14, d->long_lines);
	sqlite3_bind_int64(st, 15, r->lost);
	sqlite3_bind_int64(st, 16, r->lost_from);
	sqlite3_bind_int64(st, 17, r->lost_until);
	sqlite3_bind_text(st, 18, source_state_name(r->state), -1,
	    SQLITE_STATIC);
	sqlite3_bind_int64(st, 19, r->first_seen != 0 ? r->first_seen : now);
	sqlite3_bind_int64(st, 20, now);
	sqlite3_bind_int64(st, 21, r->last_time);
}

/* Write all deltas of a tally and the sources' new positions in one
 * transaction; on any failure nothing is written.  A new source row is
 * inserted; an existing one must still be at the old position (offset and
 * cursor).  Returns 0, -1 (retry later) or STORE_STALE. */
int
store_commit_sources(struct store *s, const struct tally *t,
    const struct source_delta *d, size_t nd, int64_t now, const char **cause)
{
	sqlite3_stmt	*st;
	size_t		 i;
	int		 rc = -1;

	if (store_exec(s, ST_BEGIN, "begin") == -1 || store_counts(s, t) == -1)
		goto fail;
	for (i = 0; i < nd; i++) {
		if (d[i].insert) {
			st = s->st[ST_SRC_INS];
			sqlite3_clear_bindings(st);
			store_bind_source(st, &d[i], now);
			if (store_exec(s, ST_SRC_INS, "source insert") == -1)
				goto fail;
			continue;
		}
		st = s->st[ST_SRC_CAS];
		sqlite3_clear_bindings(st);
		store_bind_source(st, &d[i], now);
		sqlite3_bind_int64(st, 22, d[i].old_offset);
		if (d[i].old_cursor != NULL)
			sqlite3_bind_text(st, 23, d[i].old_cursor, -1,
			    SQLITE_STATIC);
		else
			sqlite3_bind_null(st, 23);
		if (store_exec(s, ST_SRC_CAS, "source position") == -1)
			goto fail;
		if (sqlite3_changes(s->db) != 1) {
			rc = store_stale(s, d[i].row->id, d[i].old_offset);
			goto fail;
		}
	}
	if (store_finish(s) == -1)
		goto fail;
	return 0;
fail:
	store_abort(s);
	*cause = s->cause;
	return rc;
}

/* Did the last failure come from a full disk? (for the log message) */
int
store_is_full(const struct store *s)
{
	return (s->lasterr & 0xff) == SQLITE_FULL;
}

/* Load every row of the file table for one followed path. */
int
store_files(struct store *s, const char *path, struct store_file **rowsp,
    size_t *np, const char **cause)
{
	sqlite3_stmt		*st = s->st[ST_FILE_LIST];
	struct store_file	*rows = NULL, *nr, *f;
	size_t			 n = 0, len;
	const char		*txt;
	const void		*blob;
	int			 rc;

	sqlite3_bind_text(st, 1, path, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((nr = reallocarray(rows, n + 1, sizeof(*rows))) == NULL)
			goto nomem;
		rows = nr;
		f = &rows[n];
		memset(f, 0, sizeof(*f));
		f->id = sqlite3_column_int64(st, 0);
		txt = (const char *)sqlite3_column_text(st, 1);
		if ((f->path = strdup(txt != NULL ? txt : "")) == NULL)
			goto nomem;
		n++;
		txt = (const char *)sqlite3_column_text(st, 2);
		snprintf(f->format, sizeof(f->format), "%s",
		    txt != NULL ? txt : "auto");
		f->dev = sqlite3_column_int64(st, 3);
		f->ino = sqlite3_column_int64(st, 4);
		blob = sqlite3_column_blob(st, 5);
		len = (size_t)sqlite3_column_bytes(st, 5);
		if (len > STORE_HEAD_MAX)
			len = STORE_HEAD_MAX;
		if (blob != NULL)
			memcpy(f->head, blob, len);
		f->headlen = blob != NULL ? len : 0;
		f->offset = sqlite3_column_int64(st, 6);
		f->lines = sqlite3_column_int64(st, 7);
		f->unrecognised = sqlite3_column_int64(st, 8);
		f->long_lines = sqlite3_column_int64(st, 9);
		f->bytes_lost = sqlite3_column_int64(st, 10);
		txt = (const char *)sqlite3_column_text(st, 11);
		snprintf(f->state, sizeof(f->state), "%s",
		    txt != NULL ? txt : "lost");
		f->first_seen = sqlite3_column_int64(st, 12);
		f->last_commit = sqlite3_column_int64(st, 13);
	}
	if (rc != SQLITE_DONE) {
		store_cause(s, "file list");
		sqlite3_reset(st);
		store_files_free(rows, n);
		*cause = s->cause;
		return -1;
	}
	sqlite3_reset(st);
	*rowsp = rows;
	*np = n;
	return 0;
nomem:
	sqlite3_reset(st);
	store_files_free(rows, n);
	*cause = "out of memory";
	return -1;
}

/* Free rows from store_files. */
void
store_files_free(struct store_file *rows, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		free(rows[i].path);
	free(rows);
}

/* A source state stored by its name; an unknown name reads as lost. */
static enum source_state
store_state(const char *name)
{
	int	i;

	for (i = SOURCE_ACTIVE; i <= SOURCE_LOST; i++)
		if (name != NULL && strcmp(name, source_state_name(i)) == 0)
			return (enum source_state)i;
	return SOURCE_LOST;
}

/* Copy a blob column into a fixed buffer, cut at max. */
static size_t
store_blob(sqlite3_stmt *st, int col, unsigned char *out, size_t max)
{
	const void	*blob = sqlite3_column_blob(st, col);
	size_t		 len = (size_t)sqlite3_column_bytes(st, col);

	if (blob == NULL)
		return 0;
	if (len > max)
		len = max;
	memcpy(out, blob, len);
	return len;
}

/* A text column as an allocated string; NULL stays NULL.  -1 when out of
 * memory. */
static int
store_text(sqlite3_stmt *st, int col, char **out)
{
	const char	*txt = (const char *)sqlite3_column_text(st, col);

	*out = NULL;
	if (txt == NULL)
		return 0;
	return (*out = strdup(txt)) == NULL ? -1 : 0;
}

/* Every stored source row of one followed path, oldest first; the caller
 * frees them with store_sources_free. */
int
store_sources(struct store *s, const char *path, struct source_row **rowsp,
    size_t *np, const char **cause)
{
	sqlite3_stmt		*st = s->st[ST_SRC_LIST];
	struct source_row	*rows = NULL, *nr, *f;
	const char		*txt;
	size_t			 n = 0;
	int			 rc, fmt;

	sqlite3_bind_text(st, 1, path, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((nr = reallocarray(rows, n + 1, sizeof(*rows))) == NULL)
			goto nomem;
		rows = nr;
		f = &rows[n++];
		memset(f, 0, sizeof(*f));
		f->id = sqlite3_column_int64(st, 0);
		txt = (const char *)sqlite3_column_text(st, 1);
		f->kind = txt != NULL && strcmp(txt, "journal") == 0 ?
		    SOURCE_JOURNAL : SOURCE_FILE;
		if (store_text(st, 2, &f->path) == -1 ||
		    store_text(st, 3, &f->name) == -1 ||
		    store_text(st, 10, &f->cursor) == -1)
			goto nomem;
		fmt = event_mta_from_name((const char *)sqlite3_column_text(st,
		    4));
		f->format = fmt == -1 ? MTA_UNKNOWN : (enum mta)fmt;
		f->dev = sqlite3_column_int64(st, 5);
		f->ino = sqlite3_column_int64(st, 6);
		f->headlen = store_blob(st, 7, f->head, SOURCE_HEAD_MAX);
		f->marklen = store_blob(st, 8, f->mark, SOURCE_MARK_MAX);
		f->offset = sqlite3_column_int64(st, 9);
		f->lines = sqlite3_column_int64(st, 11);
		f->unrecognised = sqlite3_column_int64(st, 12);
		f->long_lines = sqlite3_column_int64(st, 13);
		f->lost = sqlite3_column_int64(st, 14);
		f->lost_from = sqlite3_column_int64(st, 15);
		f->lost_until = sqlite3_column_int64(st, 16);
		f->state = store_state((const char *)sqlite3_column_text(st,
		    17));
		f->first_seen = sqlite3_column_int64(st, 18);
		f->last_commit = sqlite3_column_int64(st, 19);
		f->last_time = sqlite3_column_int64(st, 20);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		store_cause(s, "source list");
		store_sources_free(rows, n);
		*cause = s->cause;
		return -1;
	}
	*rowsp = rows;
	*np = n;
	return 0;
nomem:
	sqlite3_reset(st);
	store_sources_free(rows, n);
	*cause = "out of memory";
	return -1;
}

/* Free rows from store_sources; NULL is fine. */
void
store_sources_free(struct source_row *rows, size_t n)
{
	size_t	i;

	for (i = 0; rows != NULL && i < n; i++) {
		free(rows[i].path);
		free(rows[i].name);
		free(rows[i].cursor);
	}
	free(rows);
}

/* A source id no row has had: the new row is inserted by the commit that
 * first carries it.  Ids lost to a failed commit or a crash are skipped. */
int64_t
store_next_id(struct store *s)
{
	return ++s->lastid;
}

/* Insert a new generation row (its own transaction); returns its id. */
int64_t
store_file_add(struct store *s, const struct store_file *f,
    const char **cause)
{
	sqlite3_stmt	*st = s->st[ST_FILE_ADD];

	sqlite3_bind_text(st, 1, f->path, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, f->format, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, f->dev);
	sqlite3_bind_int64(st, 4, f->ino);
	sqlite3_bind_blob(st, 5, f->head, (int)f->headlen, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, f->offset);
	sqlite3_bind_text(st, 7, f->state, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 8, f->first_seen);
	sqlite3_bind_int64(st, 9, f->bytes_lost);
	if (store_exec(s, ST_FILE_ADD, "file insert") == -1) {
		*cause = s->cause;
		return -1;
	}
	if (sqlite3_last_insert_rowid(s->db) > s->lastid)
		s->lastid = sqlite3_last_insert_rowid(s->db);
	return sqlite3_last_insert_rowid(s->db);
}

/* Set a generation's state and loss outside a commit (at start-up, for
 * rows whose file is gone: they have no pending deltas). */
int
store_file_set(struct store *s, int64_t id, const char *state,
    int64_t bytes_lost, const char **cause)
{
	sqlite3_stmt	*st = s->st[ST_FILE_SET];

	sqlite3_bind_text(st, 1, state, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, bytes_lost);
	sqlite3_bind_int64(st, 3, id);
	if (store_exec(s, ST_FILE_SET, "file state") == -1) {
		*cause = s->cause;
		return -1;
	}
	return 0;
}

/* Roll hours older than hour_days whole days into count_day, and drop
 * days older than day_days (0 = keep forever), in one transaction. */
int
store_retain(struct store *s, int64_t now, int hour_days, int day_days,
    const char **cause)
{
	int64_t	cut;

	if (store_exec(s, ST_BEGIN, "begin") == -1)
		goto fail;
	if (hour_days > 0) {
		cut = now - (int64_t)hour_days * 86400;
		cut -= cut % 86400;
		sqlite3_bind_int64(s->st[ST_ROLL_DAY], 1, cut);
		sqlite3_bind_int64(s->st[ST_ROLL_DEL], 1, cut);
		sqlite3_bind_int64(s->st[ST_TROLL_DAY], 1, cut);
		sqlite3_bind_int64(s->st[ST_TROLL_DEL], 1, cut);
		if (store_exec(s, ST_ROLL_DAY, "roll up days") == -1 ||
		    store_exec(s, ST_ROLL_DEL, "delete hours") == -1 ||
		    store_exec(s, ST_TROLL_DAY, "roll up total days") == -1 ||
		    store_exec(s, ST_TROLL_DEL, "delete total hours") == -1)
			goto fail;
	}
	if (day_days > 0) {
		cut = now - (int64_t)day_days * 86400;
		cut -= cut % 86400;
		sqlite3_bind_int64(s->st[ST_DM_SUB], 1, cut);
		sqlite3_bind_int64(s->st[ST_DT_SUB], 1, cut);
		sqlite3_bind_int64(s->st[ST_DAY_DEL], 1, cut);
		sqlite3_bind_int64(s->st[ST_TDAY_DEL], 1, cut);
		if (store_exec(s, ST_DM_SUB, "subtract months") == -1 ||
		    store_exec(s, ST_DM_ZERO, "delete months") == -1 ||
		    store_exec(s, ST_DT_SUB, "subtract totals") == -1 ||
		    store_exec(s, ST_DT_ZERO, "delete totals") == -1 ||
		    store_exec(s, ST_DAY_DEL, "delete days") == -1 ||
		    store_exec(s, ST_TDAY_DEL, "delete total days") == -1)
			goto fail;
	}
	if (store_exec(s, ST_COMMIT, "commit") == -1)
		goto fail;
	return 0;
fail:
	if (!sqlite3_get_autocommit(s->db)) {
		sqlite3_step(s->st[ST_ROLLBACK]);
		sqlite3_reset(s->st[ST_ROLLBACK]);
	}
	store_cache_clear(s);
	*cause = s->cause;
	return -1;
}
