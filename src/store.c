/*
 * store: the SQLite side of the daemon.
 *
 * One writer connection.  Every statement is prepared once at open and
 * used with bound parameters.  A commit is one BEGIN IMMEDIATE ... COMMIT
 * holding the count and line deltas, the roll-ups they change and the
 * sources' new positions; any failure rolls the whole of it back and the
 * caller re-reads from the committed positions.  Domain, host, outcome and
 * reason ids are cached; the caches are dropped on every rollback, since
 * ids inserted by a rolled-back transaction do not exist.
 *
 * A commit sums its deltas per roll-up key in memory first (a batch has
 * many count keys but few roll-up keys), then upserts each roll-up key
 * once.  Maintenance (store_maintain) works in small steps, each its own
 * transaction: it folds days older than yesterday (of the newest data)
 * from count_hour into count_day rows with their hours packed, drops the
 * hours of days past the retention period, and deletes days past keep_days
 * from every table, the roll-ups by subtraction, so they always equal sums
 * over the counts.
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
#include "delay.h"
#include "event.h"
#include "hook.h"
#include "hours.h"
#include "source.h"
#include "store.h"
#include "tally.h"

#define STORE_APPID		1397577817	/* "SMTY", as in schema.sql */
#define STORE_DCACHE		32768		/* domain -> id slots */
#define STORE_HCACHE		1024		/* host -> id slots */
#define STORE_RCACHE		8192		/* reason text -> id slots */
#define STORE_OCACHE		1024		/* outcome -> id slots */
#define STORE_WAL_LIMIT		67108864	/* journal_size_limit */
#define STORE_REASON_NONE	1		/* reason ids fixed by schema */
#define STORE_REASON_OTHER_ID	2
#define STORE_DAY		86400
#define STORE_HOUR		3600

extern const char schema_sql[];
extern const char migrate_2_sql[];
extern const char migrate_3_sql[];
extern const char migrate_4_sql[];
extern const char migrate_5_sql[];
extern const char migrate_6_sql[];

/* Migration steps: steps[i] takes user_version i to i + 1, or further
 * when the step sets user_version itself (step 0, the whole schema,
 * creates the newest version at once). */
static const char *const store_steps[] = {
	schema_sql,		/* 0 -> 6: the whole schema */
	migrate_2_sql,		/* 1 -> 2: roll-ups */
	migrate_3_sql,		/* 2 -> 3: sources */
	migrate_4_sql,		/* 3 -> 4: outcomes, reasons, folded days */
	migrate_5_sql,		/* 4 -> 5: domain roll-ups of folded days */
	migrate_6_sql,		/* 5 -> 6: delay histograms */
};

/* A count row of a commit, its names turned into ids.  total_hour's
 * deltas are sums over these rows in its key's order. */
struct store_row {
	int64_t		 k[5];		/* hour, domain, host, outcome, reason */
	int64_t		 n;
};

enum store_stmt {
	ST_BEGIN,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_DOMAIN_INS,
	ST_DOMAIN_SEL,
	ST_DOMAIN_PROV,
	ST_DOMAIN_COMBOS,
	ST_VERDICT_HAS,
	ST_VERDICT_PUT,
	ST_VERDICT_OUTCOME,
	ST_VERDICT_REASON,
	ST_VERDICT_STALE,
	ST_VERDICT_MISSING,
	ST_HOST_INS,
	ST_HOST_SEL,
	ST_REASON_INS,
	ST_REASON_SEL,
	ST_REASON_MAX,
	ST_OUTCOME_INS,
	ST_OUTCOME_SEL,
	ST_COUNT_UP,
	ST_TOTAL_UP,
	ST_DM_UP,
	ST_DT_UP,
	ST_LINES_UP,
	ST_DELAY_UP,
	ST_DELAY_TOT_UP,
	ST_SRC_INS,
	ST_SRC_CAS,
	ST_SRC_LIST,
	ST_SRC_MAXID,
	ST_UNCHECKED_SET,
	ST_UNCHECKED_GET,
	ST_UNCHECKED_DEL,
	ST_NEWEST,
	ST_FOLD_FIRST,
	ST_FOLD_DOM,
	ST_FOLD_ROWS,
	ST_FOLD_UP,
	ST_FOLD_DEL,
	ST_HOURS_FIRST,
	ST_HOURS_TOTAL,
	ST_HOURS_TDEL,
	ST_HOURS_DROP,
	ST_DOMAIN_MAX,
	ST_KEEP_FIRST,
	ST_KEEP_ROWS,
	ST_KEEP_DM,
	ST_KEEP_DT,
	ST_KEEP_DEL,
	ST_KEEP_ZERO_DM,
	ST_KEEP_ZERO_DT,
	ST_KEEP_THOUR,
	ST_KEEP_TDAY,
	ST_KEEP_LINES,
	ST_KEEP_DELAY_TOT,
	ST_KEEP_DELAY,
	ST__MAX
};

/* The 24 hours of the day ?1, for "hour IN" (one seek each). */
#define STORE_DAY_HOURS \
	"(?1, ?1 + 3600, ?1 + 7200, ?1 + 10800, ?1 + 14400, ?1 + 18000, " \
	"?1 + 21600, ?1 + 25200, ?1 + 28800, ?1 + 32400, ?1 + 36000, " \
	"?1 + 39600, ?1 + 43200, ?1 + 46800, ?1 + 50400, ?1 + 54000, " \
	"?1 + 57600, ?1 + 61200, ?1 + 64800, ?1 + 68400, ?1 + 72000, " \
	"?1 + 75600, ?1 + 79200, ?1 + 82800)"

static const char *const store_sql[ST__MAX] = {
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_DOMAIN_INS] = "INSERT INTO domain(name, provider) VALUES (?1, ?2)",
	[ST_DOMAIN_SEL] = "SELECT id, provider FROM domain WHERE name = ?1",
	[ST_DOMAIN_PROV] = "UPDATE domain SET provider = ?2 WHERE id = ?1",
	/* What a domain has had: its verdicts under a new provider.
	 * count_hour's key starts with the hour, so "domain = ?" alone
	 * scans the whole table, once for every domain whose provider a
	 * next hop names (most of a catch-up's cost on 100 MB); the hours
	 * are walked instead, one seek each (a skip-scan by hand). */
	[ST_DOMAIN_COMBOS] = "SELECT outcome, reason FROM domain_total "
	    "WHERE domain = ?1 UNION SELECT outcome, reason FROM count_hour "
	    "WHERE domain = ?1 AND hour IN (WITH RECURSIVE h(hour) AS "
	    "(SELECT min(hour) FROM count_hour UNION ALL SELECT (SELECT "
	    "min(c.hour) FROM count_hour AS c WHERE c.hour > h.hour) FROM h "
	    "WHERE h.hour IS NOT NULL) SELECT hour FROM h WHERE hour IS NOT "
	    "NULL)",
	[ST_VERDICT_HAS] = "SELECT 1 FROM verdict WHERE outcome = ?1 AND "
	    "reason = ?2 AND provider = ?3",
	[ST_VERDICT_PUT] = "INSERT OR REPLACE INTO verdict(outcome, reason, "
	    "provider, category, blame, detail, rule, rules) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	[ST_VERDICT_OUTCOME] = "SELECT mta, direction, kind, status, hop, "
	    "reply, enhanced FROM outcome WHERE id = ?1",
	[ST_VERDICT_REASON] = "SELECT text FROM reason WHERE id = ?1",
	/* Verdicts of other rules, and combinations without one. */
	[ST_VERDICT_STALE] = "SELECT outcome, reason, provider FROM verdict "
	    "WHERE rules != ?1 LIMIT ?2",
	[ST_VERDICT_MISSING] = "SELECT DISTINCT t.outcome, t.reason, "
	    "d.provider FROM (SELECT domain, outcome, reason FROM "
	    "domain_total UNION ALL SELECT domain, outcome, reason FROM "
	    "count_hour) AS t JOIN domain AS d "
	    "ON d.id = t.domain WHERE NOT EXISTS (SELECT 1 FROM verdict AS v "
	    "WHERE v.outcome = t.outcome AND v.reason = t.reason AND "
	    "v.provider = d.provider) LIMIT ?1",
	[ST_HOST_INS] = "INSERT INTO host(name) VALUES (?1)",
	[ST_HOST_SEL] = "SELECT id, '' FROM host WHERE name = ?1",
	[ST_REASON_INS] = "INSERT INTO reason(text) VALUES (?1)",
	[ST_REASON_SEL] = "SELECT id, '' FROM reason WHERE text = ?1",
	[ST_REASON_MAX] = "SELECT coalesce(max(id), 0) FROM reason",
	[ST_OUTCOME_INS] = "INSERT INTO outcome(mta, direction, kind, status, "
	    "hop, reply, enhanced, class, split) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
	[ST_OUTCOME_SEL] = "SELECT id FROM outcome WHERE mta = ?1 AND "
	    "direction = ?2 AND kind = ?3 AND status = ?4 AND hop = ?5 AND "
	    "reply = ?6 AND enhanced = ?7",
	[ST_COUNT_UP] = "INSERT INTO count_hour(hour, domain, host, outcome, "
	    "reason, n) VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
	    "ON CONFLICT DO UPDATE SET n = n + excluded.n",
	[ST_TOTAL_UP] = "INSERT INTO total_hour(hour, host, outcome, reason, n) "
	    "VALUES (?1, ?2, ?3, ?4, ?5) "
	    "ON CONFLICT DO UPDATE SET n = n + excluded.n",
	[ST_DM_UP] = "INSERT INTO domain_month(domain, month, outcome, reason, "
	    "n) VALUES (?1, ?2, ?3, ?4, ?5) "
	    "ON CONFLICT DO UPDATE SET n = n + excluded.n",
	[ST_DT_UP] = "INSERT INTO domain_total(domain, outcome, reason, n) "
	    "VALUES (?1, ?2, ?3, ?4) "
	    "ON CONFLICT DO UPDATE SET n = n + excluded.n",
	[ST_LINES_UP] = "INSERT INTO lines_hour(hour, source, result, n) "
	    "VALUES (?1, ?2, ?3, ?4) "
	    "ON CONFLICT DO UPDATE SET n = n + excluded.n",
	[ST_DELAY_UP] = "INSERT INTO delay_hour(hour, domain, class, stage, "
	    "bucket, n, ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) "
	    "ON CONFLICT DO UPDATE SET n = n + excluded.n, "
	    "ms = ms + excluded.ms",
	[ST_DELAY_TOT_UP] = "INSERT INTO delay_total(class, stage, bucket, n, "
	    "ms) VALUES (?1, ?2, ?3, ?4, ?5) "
	    "ON CONFLICT DO UPDATE SET n = n + excluded.n, "
	    "ms = ms + excluded.ms",
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
	/* Counts committed without a classifier (tools, tests) leave
	 * combinations without a verdict: the next store that has one
	 * fills them in (store_reclassify), and only then. */
	[ST_UNCHECKED_SET] = "INSERT OR REPLACE INTO meta(key, value) "
	    "VALUES ('verdicts_missing', '1')",
	[ST_UNCHECKED_GET] = "SELECT count(*) FROM meta WHERE "
	    "key = 'verdicts_missing'",
	[ST_UNCHECKED_DEL] = "DELETE FROM meta WHERE key = 'verdicts_missing'",
	/* The newest hour of data: what retention counts from. */
	[ST_NEWEST] = "SELECT max(coalesce((SELECT max(hour) FROM total_hour), "
	    "-1), coalesce((SELECT max(day) + 82800 FROM total_day), -1))",
	/* Fold: the oldest hour row before ?1, and the first domain left in
	 * its day (the fold moves rows out, so what is left is where to go
	 * on, also after a restart). */
	[ST_FOLD_FIRST] = "SELECT hour FROM count_hour WHERE hour < ?1 "
	    "ORDER BY hour LIMIT 1",
	[ST_FOLD_DOM] = "SELECT min(domain) FROM count_hour WHERE hour IN "
	    STORE_DAY_HOURS,
	[ST_FOLD_ROWS] = "SELECT domain, host, outcome, reason, hour, n "
	    "FROM count_hour WHERE hour IN " STORE_DAY_HOURS " AND "
	    "domain >= ?2 AND domain < ?3 "
	    "ORDER BY domain, host, outcome, reason, hour",
	[ST_FOLD_UP] = "INSERT INTO count_day(day, domain, host, outcome, "
	    "reason, n, hours) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) "
	    "ON CONFLICT DO UPDATE SET n = n + excluded.n, "
	    "hours = st_hours_merge(hours, excluded.hours)",
	[ST_FOLD_DEL] = "DELETE FROM count_hour WHERE hour IN " STORE_DAY_HOURS
	    " AND domain >= ?2 AND domain < ?3",
	/* Hours past the retention period: the oldest day still with
	 * hours before ?1; its hourly totals become a day total. */
	[ST_HOURS_FIRST] = "SELECT min(hour) FROM total_hour WHERE hour < ?1",
	[ST_HOURS_TOTAL] = "INSERT INTO total_day(day, host, outcome, reason, "
	    "n) SELECT ?1, host, outcome, reason, sum(n) FROM total_hour "
	    "WHERE hour >= ?1 AND hour < ?1 + 86400 GROUP BY 2, 3, 4 "
	    "ON CONFLICT DO UPDATE SET n = n + excluded.n",
	[ST_HOURS_TDEL] = "DELETE FROM total_hour WHERE hour >= ?1 AND "
	    "hour < ?1 + 86400",
	[ST_HOURS_DROP] = "UPDATE count_day SET hours = NULL WHERE day = ?1 "
	    "AND domain >= ?2 AND domain < ?3 AND hours IS NOT NULL",
	[ST_DOMAIN_MAX] = "SELECT coalesce(max(id), 0) FROM domain",
	/* keep_days: the oldest day left before ?1 in the day rows. */
	[ST_KEEP_FIRST] = "SELECT min(day) FROM count_day WHERE day < ?1",
	[ST_KEEP_ROWS] = "SELECT count(*) FROM count_day WHERE day = ?1 AND "
	    "domain >= ?2 AND domain < ?3",
	[ST_KEEP_DM] = "UPDATE domain_month AS m SET n = m.n - x.n FROM "
	    "(SELECT domain, outcome, reason, sum(n) AS n FROM count_day "
	    "WHERE day = ?1 AND domain >= ?2 AND domain < ?3 GROUP BY 1, 2, 3) "
	    "AS x WHERE m.domain = x.domain AND m.month = ?4 AND "
	    "m.outcome = x.outcome AND m.reason = x.reason",
	[ST_KEEP_DT] = "UPDATE domain_total AS m SET n = m.n - x.n FROM "
	    "(SELECT domain, outcome, reason, sum(n) AS n FROM count_day "
	    "WHERE day = ?1 AND domain >= ?2 AND domain < ?3 GROUP BY 1, 2, 3) "
	    "AS x WHERE m.domain = x.domain AND m.outcome = x.outcome AND "
	    "m.reason = x.reason",
	[ST_KEEP_DEL] = "DELETE FROM count_day WHERE day = ?1 AND "
	    "domain >= ?2 AND domain < ?3",
	[ST_KEEP_ZERO_DM] = "DELETE FROM domain_month WHERE n = 0 AND "
	    "domain >= ?2 AND domain < ?3 AND month = ?4",
	[ST_KEEP_ZERO_DT] = "DELETE FROM domain_total WHERE n = 0 AND "
	    "domain >= ?2 AND domain < ?3",
	/* Once a day's domain rows are gone: its totals and lines. */
	[ST_KEEP_THOUR] = "DELETE FROM total_hour WHERE hour < ?1 + 86400",
	[ST_KEEP_TDAY] = "DELETE FROM total_day WHERE day <= ?1",
	[ST_KEEP_LINES] = "DELETE FROM lines_hour WHERE hour < ?1 + 86400",
	/* Delays are kept by the hour until keep_days; the total goes
	 * down by what leaves. */
	[ST_KEEP_DELAY_TOT] = "UPDATE delay_total AS m SET n = m.n - x.n, "
	    "ms = m.ms - x.ms FROM (SELECT class, stage, bucket, sum(n) AS n, "
	    "sum(ms) AS ms FROM delay_hour WHERE hour < ?1 + 86400 "
	    "GROUP BY 1, 2, 3) AS x WHERE m.class = x.class AND "
	    "m.stage = x.stage AND m.bucket = x.bucket",
	[ST_KEEP_DELAY] = "DELETE FROM delay_hour WHERE hour < ?1 + 86400",
};

struct store_cache {
	char		*name;
	int64_t		 id;
	int		 known;		/* domains: provider known */
	char		 provider[24];	/* ... and which */
	uint64_t	 tried;		/* ... else the hash of the last next
					 * hop that did not tell (0: none) */
};

/* A combination that has its verdict (cache, cleared on rollback). */
struct store_vkey {
	int64_t		 outcome, reason;
	uint64_t	 provider;	/* hash of the name; 0 = empty slot */
};
#define STORE_VCACHE	16384

/* An outcome's fields, packed so that a cache slot compares with memcmp. */
struct store_okey {
	uint8_t		 mta, dir, kind, status, hop;
	uint8_t		 pad[1];
	uint16_t	 reply;
	char		 enh[EVENT_ENHANCED_MAX + 1];
};

struct store_ocache {
	int64_t			 id;	/* 0 = empty */
	struct store_okey	 k;
};

struct store {
	sqlite3			*db;
	sqlite3_stmt		*st[ST__MAX];
	int			 lockfd;
	char			*lockpath;
	char			 cause[512];
	int			 lasterr;
	struct store_cache	 domains[STORE_DCACHE];
	struct store_cache	 hosts[STORE_HCACHE];
	struct store_cache	 reasons[STORE_RCACHE];
	struct store_ocache	 outcomes[STORE_OCACHE];
	int64_t			 nreasons;	/* highest reason id */
	int64_t			 max_reasons;
	struct store_row	*rows;		/* per commit */
	size_t			 rowcap;
	int64_t			 lastid;	/* highest source id handed out */
	int64_t			 width;		/* domain ids per step */
	int64_t			 hours_day;	/* dropping this day's hours */
	int64_t			 hours_next;	/* ... from this domain id */
	int64_t			 keep_day;	/* deleting this day */
	int64_t			 keep_next;	/* ... from this domain id */
	store_provider_fn	 provider;
	void			*provider_arg;
	store_verdict_fn	 verdict;
	void			*verdict_arg;
	int64_t			 rules;		/* digest of the verdict's rules */
	int			 checked;	/* missing verdicts filled */
	struct store_vkey	 vcache[STORE_VCACHE];
};

/* Register event_class() for SQL (the migrations use it). */
static void
store_f_class(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	int	st;

	(void)argc;
	st = event_status_from_name((const char *)sqlite3_value_text(argv[2]));
	sqlite3_result_int(ctx, event_class(sqlite3_value_int(argv[0]),
	    (const char *)sqlite3_value_text(argv[1]),
	    st == -1 ? STATUS_BOUNCED : (enum status)st));
}

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

/* The directory part of path ("." for none, "/" for the root); NULL when
 * out of memory. */
static char *
store_dirname(const char *path)
{
	char	*dir, *slash;

	if ((dir = strdup(path)) == NULL)
		return NULL;
	if ((slash = strrchr(dir, '/')) == NULL)
		snprintf(dir, strlen(dir) + 1, ".");
	else
		slash[slash == dir ? 1 : 0] = '\0';
	return dir;
}

/*
 * The one name of the database file, whatever name it was given by:
 * symbolic links (of the file or of a directory), "." and "//" resolved
 * (realpath(3)); for a file not created yet, its directory's real path and
 * its own name.  A dangling link is refused: SQLite would create its
 * target, under a name no other daemon's lock would find.  NULL with
 * s->cause set on error.
 */
static char *
store_realname(struct store *s, const char *path)
{
	struct stat	 st;
	const char	*base;
	char		*real, *dir, *rdir;
	int		 r;

	if ((real = realpath(path, NULL)) != NULL)
		return real;
	if (errno != ENOENT) {
		snprintf(s->cause, sizeof(s->cause), "%s: %s", path,
		    strerror(errno));
		return NULL;
	}
	if (lstat(path, &st) == 0) {
		snprintf(s->cause, sizeof(s->cause), "%s: a symbolic link to "
		    "nothing: refusing", path);
		return NULL;
	}
	if ((dir = store_dirname(path)) == NULL) {
		snprintf(s->cause, sizeof(s->cause), "out of memory");
		return NULL;
	}
	if ((rdir = realpath(dir, NULL)) == NULL) {
		snprintf(s->cause, sizeof(s->cause), "%s: %s", dir,
		    strerror(errno));
		free(dir);
		return NULL;
	}
	free(dir);
	base = strrchr(path, '/') != NULL ? strrchr(path, '/') + 1 : path;
	r = asprintf(&real, "%s/%s", strcmp(rdir, "/") == 0 ? "" : rdir,
	    base);
	free(rdir);
	if (r == -1) {
		snprintf(s->cause, sizeof(s->cause), "out of memory");
		return NULL;
	}
	return real;
}

/* Refuse a database directory others may write to: they could plant
 * links where we write (the lock, the database and its -wal and -shm).
 * With the sticky bit (/tmp, a tmpfs) they cannot replace our files, only
 * plant theirs first: those are refused in store_lock and store_create. */
static int
store_dircheck(struct store *s, const char *path)
{
	struct stat	 st;
	char		*dir;

	if ((dir = store_dirname(path)) == NULL) {
		snprintf(s->cause, sizeof(s->cause), "out of memory");
		return -1;
	}
	if (stat(dir, &st) == 0 && (st.st_mode & S_IWOTH) &&
	    !(st.st_mode & S_ISVTX)) {
		snprintf(s->cause, sizeof(s->cause), "%s: the database's "
		    "directory is writable by others (mode %04o): refusing; "
		    "use a directory only the daemon's user may write",
		    dir, (unsigned)(st.st_mode & 07777));
		free(dir);
		return -1;
	}
	free(dir);
	return 0;
}

/*
 * Take <db>.lock so a second daemon on the same database refuses.  The
 * lock is named after the file's real name, so a symlink to the
 * database, a symlinked directory or "dir/./db" finds the same lock as
 * the name the first daemon was given; a hard link, which no name
 * resolves, is refused instead.
 */
static int
store_lock(struct store *s, const char *path)
{
	char	buf[32];
	ssize_t	n;
	long	pid;
	int	fd, linked;

	struct stat	st;
	char	*real;

	if (store_dircheck(s, path) == -1 ||
	    (real = store_realname(s, path)) == NULL)
		return -1;
	if (store_dircheck(s, real) == -1) {
		free(real);
		return -1;
	}
	if (asprintf(&s->lockpath, "%s.lock", real) == -1) {
		s->lockpath = NULL;
		free(real);
		snprintf(s->cause, sizeof(s->cause), "out of memory");
		return -1;
	}
	/* One database under two names (a hard link) would get two locks
	 * and two WAL files. */
	linked = stat(real, &st) == 0 && S_ISREG(st.st_mode) &&
	    st.st_nlink > 1;
	free(real);
	if (linked) {
		snprintf(s->cause, sizeof(s->cause), "%s has %lu hard links: "
		    "refusing (another name could be opened by another "
		    "daemon)", path, (unsigned long)st.st_nlink);
		return -1;
	}
	/* Never through a link: a planted one would have us truncate and
	 * write its target. */
	fd = open(s->lockpath, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW |
	    O_NONBLOCK, 0600);
	if (fd == -1) {
		snprintf(s->cause, sizeof(s->cause), "%s: %s", s->lockpath,
		    errno == ELOOP ? "is a symbolic link: refusing" :
		    strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_uid != geteuid() || st.st_nlink != 1) {
		snprintf(s->cause, sizeof(s->cause), "%s: not a regular file "
		    "of ours with one name: refusing", s->lockpath);
		close(fd);
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
	if (version > 0 && version < nsteps)
		s->checked = 0;		/* old rows may lack verdicts */
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

static int	store_one(struct store *, enum store_stmt, int64_t *);

/* Open with the program's own migration steps. */
struct store *
store_open(const char *path, const char **cause)
{
	return store_open_steps(path, store_steps,
	    (int)(sizeof(store_steps) / sizeof(*store_steps)), cause);
}

/* Lock, open, check, configure and migrate; the steps are a parameter so
 * the tests can upgrade a database of an older, synthetic version. */
/* The database files are the daemon's and its group's only (0640, as
 * the socket is 0660), whatever the umask: a new database is created so
 * (SQLite gives its -wal and -shm the mode of the database), an old one
 * readable by others is made not to be. */
static int
store_create(struct store *s, const char *path)
{
	static const char *const sfx[] = { "", "-wal", "-shm" };
	struct stat	 st;
	char		 name[4096];
	size_t		 i;
	int		 fd;

	if ((fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC |
	    O_NOFOLLOW, 0640)) != -1) {
		(void)fchmod(fd, 0640);
		close(fd);
		return 0;
	}
	if (errno != EEXIST) {
		snprintf(s->cause, sizeof(s->cause), "%s: %s", path,
		    strerror(errno));
		return -1;
	}
	for (i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
		snprintf(name, sizeof(name), "%s%s", path, sfx[i]);
		if (lstat(name, &st) == -1)
			continue;
		if (S_ISREG(st.st_mode) && st.st_uid != geteuid()) {
			snprintf(s->cause, sizeof(s->cause), "%.400s%s belongs "
			    "to uid %lu, not to us: refusing", path, sfx[i],
			    (unsigned long)st.st_uid);
			return -1;
		}
		if (S_ISREG(st.st_mode) && (st.st_mode & 0007) != 0)
			(void)chmod(name, st.st_mode & 0770);
	}
	return 0;
}

struct store *
store_open_steps(const char *path, const char *const *steps, int nsteps,
    const char **cause)
{
	static char	 failed[1200];
	struct store	*s;
	int64_t		 unchecked;
	int		 i;

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		*cause = "out of memory";
		return NULL;
	}
	s->lockfd = -1;
	s->nreasons = -1;
	s->max_reasons = STORE_REASONS_DEFAULT;
	s->width = 1024;
	s->checked = 1;
	if (store_lock(s, path) == -1) {
		/* The lock's message names the lock file already. */
		snprintf(failed, sizeof(failed), "%s", s->cause);
		*cause = failed;
		store_close(s);
		return NULL;
	}
	if (store_create(s, path) == -1)
		goto fail;
	if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
		store_cause(s, path);
		goto fail;
	}
	sqlite3_extended_result_codes(s->db, 1);
	/* SQLite opens a file it may not write read-only, and every commit
	 * would then fail: refuse it now. */
	if (sqlite3_db_readonly(s->db, "main") == 1) {
		snprintf(s->cause, sizeof(s->cause), "the database is "
		    "read-only; make the file and its directory writable by "
		    "the daemon's user, on a file system mounted read-write");
		goto fail;
	}
	sqlite3_busy_timeout(s->db, 5000);
	if (sqlite3_exec(s->db, "PRAGMA trusted_schema = OFF; "
	    "PRAGMA mmap_size = 0; PRAGMA temp_store = MEMORY; "
	    "PRAGMA cell_size_check = ON; PRAGMA foreign_keys = OFF; "
	    "PRAGMA cache_size = -8192",
	    NULL, NULL, NULL) != SQLITE_OK) {
		store_cause(s, "pragmas");
		goto fail;
	}
	if (sqlite3_create_function(s->db, "st_class", 3, SQLITE_UTF8 |
	    SQLITE_DETERMINISTIC, NULL, store_f_class, NULL, NULL) !=
	    SQLITE_OK || hours_sql_register(s->db) != SQLITE_OK) {
		store_cause(s, "functions");
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
	if (store_one(s, ST_UNCHECKED_GET, &unchecked) == -1)
		goto fail;
	if (unchecked > 0)
		s->checked = 0;
	return s;
fail:
	snprintf(failed, sizeof(failed), "%s: %s", path, s->cause);
	*cause = failed;
	store_close(s);
	return NULL;
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
store_hash(const char *p, size_t slots)
{
	size_t	h = 5381;

	while (*p != '\0')
		h = h * 33 + (unsigned char)*p++;
	return h % slots;
}

/* Hash of a next hop's name for the domain cache, never 0. */
static uint64_t
store_relay_hash(const char *p)
{
	uint64_t	h = 14695981039346656037ULL;

	while (*p != '\0')
		h = (h ^ (unsigned char)*p++) * 1099511628211ULL;
	return h | 1;
}

/* Forget cached ids: after a rollback some may not exist any more. */
static void
store_cache_clear(struct store *s)
{
	size_t	i;

	for (i = 0; i < STORE_DCACHE; i++) {
		free(s->domains[i].name);
		s->domains[i].name = NULL;
	}
	for (i = 0; i < STORE_HCACHE; i++) {
		free(s->hosts[i].name);
		s->hosts[i].name = NULL;
	}
	for (i = 0; i < STORE_RCACHE; i++) {
		free(s->reasons[i].name);
		s->reasons[i].name = NULL;
	}
	memset(s->outcomes, 0, sizeof(s->outcomes));
	memset(s->vcache, 0, sizeof(s->vcache));
	s->nreasons = -1;	/* read again */
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
	free(s->rows);
	if (s->lockfd != -1)
		close(s->lockfd);
	free(s->lockpath);
	free(s);
}

/* How a domain's provider is named, from its name and a next hop's. */
void
store_set_provider(struct store *s, store_provider_fn fn, void *arg)
{
	s->provider = fn;
	s->provider_arg = arg;
}

/* The bound on distinct reason texts; beyond it texts count as
 * "(other)".  0 = STORE_REASONS_DEFAULT. */
void
store_set_max_reasons(struct store *s, int64_t max)
{
	s->max_reasons = max > 0 ? max : STORE_REASONS_DEFAULT;
}

/* A one-integer statement; -1 on error (with a cause). */
static int
store_one(struct store *s, enum store_stmt i, int64_t *out)
{
	int	rc;

	rc = sqlite3_step(s->st[i]);
	if (rc == SQLITE_ROW) {
		*out = sqlite3_column_type(s->st[i], 0) == SQLITE_NULL ? -1 :
		    sqlite3_column_int64(s->st[i], 0);
		rc = SQLITE_DONE;
	} else if (rc == SQLITE_DONE)
		*out = -1;
	sqlite3_reset(s->st[i]);
	if (rc != SQLITE_DONE) {
		store_cause(s, store_sql[i]);
		return -1;
	}
	return 0;
}

/* The provider a domain should get now, "" when not known. */
static const char *
store_provider(struct store *s, const char *domain, const char *relay)
{
	const char	*p;

	if (s->provider == NULL)
		return "";
	p = s->provider(s->provider_arg, domain, relay != NULL ? relay : "");
	return p != NULL ? p : "";
}

static int	store_verdicts_domain(struct store *, int64_t, const char *);

/* The id of a domain, host or reason text, inserting it if new.  For a
 * domain, relay may teach its provider, and *provp is set to it ("" when
 * not known). */
static int64_t
store_name_id(struct store *s, struct store_cache *cache, size_t slots,
    enum store_stmt ins, enum store_stmt sel, const char *name,
    const char *relay, const char **provp)
{
	struct store_cache	*c = &cache[store_hash(name, slots)];
	const char		*prov = "", *have = NULL;
	int64_t			 id = 0;
	char			*copy;
	int			 rc, isdom = ins == ST_DOMAIN_INS;

	if (c->name != NULL && strcmp(c->name, name) == 0) {
		if (provp != NULL)
			*provp = c->provider;
		if (!isdom || c->known || relay == NULL || *relay == '\0' ||
		    c->tried == store_relay_hash(relay))
			return c->id;
		id = c->id;
		goto learn;
	}
	/* Look up first: most names are known, and one probe is cheaper
	 * than INSERT OR IGNORE followed by the lookup. */
	sqlite3_bind_text(s->st[sel], 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(s->st[sel]);
	if (rc == SQLITE_ROW) {
		id = sqlite3_column_int64(s->st[sel], 0);
		have = (const char *)sqlite3_column_text(s->st[sel], 1);
		prov = have != NULL ? have : "";
	}
	if (rc == SQLITE_DONE) {
		sqlite3_reset(s->st[sel]);
		sqlite3_bind_text(s->st[ins], 1, name, -1, SQLITE_STATIC);
		if (isdom) {
			prov = store_provider(s, name, relay);
			sqlite3_bind_text(s->st[ins], 2, prov, -1,
			    SQLITE_STATIC);
		}
		if (store_exec(s, ins, "insert name") == -1)
			return -1;
		id = sqlite3_last_insert_rowid(s->db);
	} else if (rc != SQLITE_ROW) {
		sqlite3_reset(s->st[sel]);
		store_cause(s, "select name");
		return -1;
	}
	if ((copy = strdup(name)) != NULL) {
		free(c->name);
		c->name = copy;
		c->id = id;
		c->known = *prov != '\0';
		snprintf(c->provider, sizeof(c->provider), "%s", prov);
		/* a new domain's guess had the next hop already */
		c->tried = rc == SQLITE_DONE && isdom && relay != NULL ?
		    store_relay_hash(relay) : 0;
	}
	sqlite3_reset(s->st[sel]);	/* prov pointed into its row */
	if (provp != NULL)
		*provp = c->name == copy ? c->provider : "";
	if (!isdom || (c->name == copy && c->known) || relay == NULL ||
	    *relay == '\0' || c->name != copy ||
	    c->tried == store_relay_hash(relay))
		return id;
learn:
	/* A domain whose provider was not known: a next hop may tell.  Its
	 * past combinations get their verdicts under the new provider.  A
	 * next hop that did not tell is not asked again while it stays. */
	prov = store_provider(s, name, relay);
	if (*prov == '\0') {
		c->tried = store_relay_hash(relay);
		return id;
	}
	sqlite3_bind_int64(s->st[ST_DOMAIN_PROV], 1, id);
	sqlite3_bind_text(s->st[ST_DOMAIN_PROV], 2, prov, -1, SQLITE_STATIC);
	if (store_exec(s, ST_DOMAIN_PROV, "domain provider") == -1)
		return -1;
	c->known = 1;
	snprintf(c->provider, sizeof(c->provider), "%s", prov);
	if (provp != NULL)
		*provp = c->provider;
	if (store_verdicts_domain(s, id, c->provider) == -1)
		return -1;
	return id;
}

/* The id of a failure's reason text: "" is 1, and past the bound on
 * distinct texts every new one is "(other)". */
static int64_t
store_reason_id(struct store *s, const char *text)
{
	struct store_cache	*c;
	int64_t			 id;
	int			 rc;

	if (*text == '\0')
		return STORE_REASON_NONE;
	c = &s->reasons[store_hash(text, STORE_RCACHE)];
	if (c->name != NULL && strcmp(c->name, text) == 0)
		return c->id;
	if (s->nreasons < 0 && store_one(s, ST_REASON_MAX, &s->nreasons) == -1)
		return -1;
	if (s->nreasons < s->max_reasons) {
		if ((id = store_name_id(s, s->reasons, STORE_RCACHE,
		    ST_REASON_INS, ST_REASON_SEL, text, NULL, NULL)) == -1)
			return -1;
		if (id > s->nreasons)
			s->nreasons = id;
		return id;
	}
	/* Full: only texts already stored keep their own id. */
	sqlite3_bind_text(s->st[ST_REASON_SEL], 1, text, -1, SQLITE_STATIC);
	rc = sqlite3_step(s->st[ST_REASON_SEL]);
	id = rc == SQLITE_ROW ? sqlite3_column_int64(s->st[ST_REASON_SEL], 0) :
	    STORE_REASON_OTHER_ID;
	sqlite3_reset(s->st[ST_REASON_SEL]);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		store_cause(s, "select reason");
		return -1;
	}
	return id;
}

/* The id of a count's outcome, inserting it (with its class) if new. */
static int64_t
store_outcome_id(struct store *s, const struct tally_count *c)
{
	struct store_okey	 k;
	struct store_ocache	*e;
	sqlite3_stmt		*st;
	uint64_t		 h = 1469598103934665603ULL;
	size_t			 i, j;
	int64_t			 id;
	int			 rc, p;

	memset(&k, 0, sizeof(k));
	k.mta = (uint8_t)c->mta;
	k.dir = (uint8_t)c->direction;
	k.kind = (uint8_t)c->kind;
	k.status = (uint8_t)c->status;
	k.hop = (uint8_t)c->hop;
	k.reply = (uint16_t)c->reply;
	if ((i = strlen(c->enhanced)) >= sizeof(k.enh))
		i = sizeof(k.enh) - 1;
	memcpy(k.enh, c->enhanced, i);
	for (i = 0; i < sizeof(k); i++)
		h = (h ^ ((const unsigned char *)&k)[i]) * 1099511628211ULL;
	j = (size_t)(h ^ h >> 29) % STORE_OCACHE;
	e = &s->outcomes[j];
	if (e->id != 0 && memcmp(&e->k, &k, sizeof(k)) == 0)
		return e->id;
	for (i = ST_OUTCOME_INS; i <= ST_OUTCOME_SEL; i++) {
		st = s->st[i];
		sqlite3_bind_text(st, 1, event_mta_name(c->mta), -1,
		    SQLITE_STATIC);
		sqlite3_bind_text(st, 2, event_direction_name(c->direction), -1,
		    SQLITE_STATIC);
		sqlite3_bind_text(st, 3, event_kind_name(c->kind), -1,
		    SQLITE_STATIC);
		sqlite3_bind_text(st, 4, event_status_name(c->status), -1,
		    SQLITE_STATIC);
		sqlite3_bind_text(st, 5, event_hop_name(c->hop), -1,
		    SQLITE_STATIC);
		sqlite3_bind_int(st, 6, c->reply);
		sqlite3_bind_text(st, 7, c->enhanced, -1, SQLITE_STATIC);
	}
	st = s->st[ST_OUTCOME_SEL];
	rc = sqlite3_step(st);
	id = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	if (rc == SQLITE_DONE) {
		st = s->st[ST_OUTCOME_INS];
		sqlite3_bind_int(st, 8, event_class(c->reply, c->enhanced,
		    c->status));
		p = (int)event_outcome(c->status);
		sqlite3_bind_int(st, 9, p);
		if (store_exec(s, ST_OUTCOME_INS, "insert outcome") == -1)
			return -1;
		id = sqlite3_last_insert_rowid(s->db);
	} else if (rc != SQLITE_ROW) {
		store_cause(s, "select outcome");
		return -1;
	}
	e->id = id;
	e->k = k;
	return id;
}

/* Set a classifier: every combination of outcome, reason and provider
 * the commits meet gets its verdict, computed by fn; those made under
 * other rules (digest) are recomputed by maintenance. */
void
store_set_verdicts(struct store *s, store_verdict_fn fn, void *arg,
    int64_t digest)
{
	s->verdict = fn;
	s->verdict_arg = arg;
	if (s->rules != digest)
		memset(s->vcache, 0, sizeof(s->vcache));
	s->rules = digest;
}

/* Hash of a provider name for the verdict cache, never 0. */
static uint64_t
store_phash(const char *p)
{
	uint64_t	h = 14695981039346656037ULL;

	while (*p != '\0')
		h = (h ^ (unsigned char)*p++) * 1099511628211ULL;
	return h | 1;
}

/* Compute and write the verdict of one combination, from the outcome and
 * text the caller has (known, its text) or read back from the database
 * (known NULL). */
static int
store_verdict_make(struct store *s, int64_t oc, int64_t rs, const char *prov,
    const struct store_outcome *known, const char *ktext)
{
	struct store_outcome	 o;
	struct store_verdict	 v;
	sqlite3_stmt		*st = s->st[ST_VERDICT_OUTCOME];
	char			 enh[EVENT_ENHANCED_MAX + 1], *text = NULL;
	const char		*t;
	int			 rc, i;

	if (known != NULL) {
		memset(&v, 0, sizeof(v));
		s->verdict(s->verdict_arg, known, ktext, prov, &v);
		goto put;
	}
	sqlite3_bind_int64(st, 1, oc);
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		sqlite3_reset(st);
		store_cause(s, "verdict outcome");
		return -1;
	}
	memset(&o, 0, sizeof(o));
	i = event_mta_from_name((const char *)sqlite3_column_text(st, 0));
	o.mta = i == -1 ? MTA_UNKNOWN : (enum mta)i;
	i = event_direction_from_name((const char *)sqlite3_column_text(st,
	    1));
	o.direction = i == -1 ? DIR_OUT : (enum direction)i;
	i = event_kind_from_name((const char *)sqlite3_column_text(st, 2));
	o.kind = i == -1 ? KIND_ATTEMPT : (enum kind)i;
	i = event_status_from_name((const char *)sqlite3_column_text(st, 3));
	o.status = i == -1 ? STATUS_BOUNCED : (enum status)i;
	i = event_hop_from_name((const char *)sqlite3_column_text(st, 4));
	o.hop = i == -1 ? HOP_REMOTE : (enum hop)i;
	o.reply = sqlite3_column_int(st, 5);
	t = (const char *)sqlite3_column_text(st, 6);
	snprintf(enh, sizeof(enh), "%s", t != NULL ? t : "");
	o.enhanced = enh;
	sqlite3_reset(st);
	st = s->st[ST_VERDICT_REASON];
	sqlite3_bind_int64(st, 1, rs);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW &&
	    (t = (const char *)sqlite3_column_text(st, 0)) != NULL &&
	    (text = strdup(t)) == NULL)
		rc = SQLITE_NOMEM;
	sqlite3_reset(st);
	if (rc != SQLITE_ROW) {
		free(text);
		store_cause(s, "verdict reason");
		return -1;
	}
	memset(&v, 0, sizeof(v));
	s->verdict(s->verdict_arg, &o, text, prov, &v);
	free(text);
put:
	st = s->st[ST_VERDICT_PUT];
	sqlite3_bind_int64(st, 1, oc);
	sqlite3_bind_int64(st, 2, rs);
	sqlite3_bind_text(st, 3, prov, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, v.category, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, v.blame, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, v.detail, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, v.rule, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 8, s->rules);
	return store_exec(s, ST_VERDICT_PUT, "verdict");
}

/* Make sure a combination has a verdict (any rules' one: maintenance
 * brings stale ones up to date). */
static int
store_verdict_ensure(struct store *s, int64_t oc, int64_t rs,
    const char *prov, const struct store_outcome *known, const char *ktext)
{
	struct store_vkey	*e;
	sqlite3_stmt		*st = s->st[ST_VERDICT_HAS];
	uint64_t		 ph;
	int			 rc;

	if (s->verdict == NULL)
		return 0;
	ph = store_phash(prov);
	e = &s->vcache[(size_t)((uint64_t)oc * 31 + (uint64_t)rs * 131 + ph) %
	    STORE_VCACHE];
	if (e->provider == ph && e->outcome == oc && e->reason == rs)
		return 0;
	sqlite3_bind_int64(st, 1, oc);
	sqlite3_bind_int64(st, 2, rs);
	sqlite3_bind_text(st, 3, prov, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc == SQLITE_DONE &&
	    store_verdict_make(s, oc, rs, prov, known, ktext) == -1)
		return -1;
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		store_cause(s, "verdict lookup");
		return -1;
	}
	e->outcome = oc;
	e->reason = rs;
	e->provider = ph;
	return 0;
}

/* A domain's provider became known: its past combinations need verdicts
 * under it. */
static int
store_verdicts_domain(struct store *s, int64_t dom, const char *prov)
{
	sqlite3_stmt	*st = s->st[ST_DOMAIN_COMBOS];
	int64_t		 v[256][2];
	int		 rc, n = 0, i;

	if (s->verdict == NULL)
		return 0;
	sqlite3_bind_int64(st, 1, dom);
	do {
		/* Read a batch, then write: the writes change the table. */
		n = 0;
		while (n < 256 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
			v[n][0] = sqlite3_column_int64(st, 0);
			v[n][1] = sqlite3_column_int64(st, 1);
			n++;
		}
		if (n == 256)
			rc = SQLITE_ROW;
		if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
			sqlite3_reset(st);
			store_cause(s, "domain combinations");
			return -1;
		}
		for (i = 0; i < n; i++)
			if (store_verdict_ensure(s, v[i][0], v[i][1], prov,
			    NULL, NULL) == -1) {
				sqlite3_reset(st);
				return -1;
			}
	} while (rc == SQLITE_ROW);
	sqlite3_reset(st);
	return 0;
}

/* The orders of a commit's rows: count_hour's primary key and
 * total_hour's (hour, host, outcome, reason), so each table's upserts
 * walk its B-tree forward and equal roll-up keys are adjacent. */
static int
store_row_cmp(const void *a, const void *b)
{
	const struct store_row	*x = a, *y = b;
	int			 i;

	for (i = 0; i < 5; i++)
		if (x->k[i] != y->k[i])
			return x->k[i] < y->k[i] ? -1 : 1;
	return 0;
}

static int
store_total_cmp(const void *a, const void *b)
{
	static const int	 f[] = { 0, 2, 3, 4 };
	const struct store_row	*x = a, *y = b;
	size_t			 i;

	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		if (x->k[f[i]] != y->k[f[i]])
			return x->k[f[i]] < y->k[f[i]] ? -1 : 1;
	return 0;
}

/* The roll-up of a commit's rows: sort them by total_hour's key and
 * upsert one sum per run of equal keys.  (domain_month and domain_total
 * take folded days only: store_fold.) */
static int
store_roll_flush(struct store *s, struct store_row *rows, size_t nrows)
{
	sqlite3_stmt	*st;
	size_t		 i, j;
	int64_t		 n;

	if (nrows > 1)		/* rows may be NULL when there are none */
		qsort(rows, nrows, sizeof(*rows), store_total_cmp);
	for (i = 0; i < nrows; i = j) {
		for (n = 0, j = i; j < nrows &&
		    store_total_cmp(&rows[i], &rows[j]) == 0; j++)
			n += rows[j].n;
		st = s->st[ST_TOTAL_UP];
		sqlite3_bind_int64(st, 1, rows[i].k[0]);
		sqlite3_bind_int64(st, 2, rows[i].k[2]);
		sqlite3_bind_int64(st, 3, rows[i].k[3]);
		sqlite3_bind_int64(st, 4, rows[i].k[4]);
		sqlite3_bind_int64(st, 5, n);
		if (store_exec(s, ST_TOTAL_UP, "total upsert") == -1)
			return -1;
	}
	return 0;
}

/* Room for n count rows in the commit's row array. */
static int
store_rows_grow(struct store *s, size_t n)
{
	struct store_row	*r;
	size_t			 cap;

	if (n <= s->rowcap)
		return 0;
	cap = s->rowcap ? s->rowcap : 1024;
	while (cap < n)
		cap *= 2;
	if ((r = reallocarray(s->rows, cap, sizeof(*r))) == NULL)
		return -1;
	s->rows = r;
	s->rowcap = cap;
	return 0;
}

/* Write a tally's count and line deltas, and the roll-ups they change,
 * inside the open transaction; -1 with a cause on failure.  The names
 * become ids first, then the rows go in in key order. */
static int
store_counts(struct store *s, const struct tally *t)
{
	struct tally_count	 c;
	struct tally_lines	 l;
	struct tally_delay	 dl;
	struct store_outcome	 o;
	struct store_row	*r;
	sqlite3_stmt		*st;
	size_t			 it, nrows = 0, i;
	int64_t			 dom, host, oc, rs;
	const char		*prov;
	int			 upserts = 0;

	if (store_rows_grow(s, tally_keys(t)) == -1)
		goto nomem;
	for (it = 0; tally_next_count(t, &it, &c);) {
		if ((dom = store_name_id(s, s->domains, STORE_DCACHE,
		    ST_DOMAIN_INS, ST_DOMAIN_SEL, c.domain, c.relay,
		    &prov)) == -1 ||
		    (host = store_name_id(s, s->hosts, STORE_HCACHE,
		    ST_HOST_INS, ST_HOST_SEL, c.host, NULL, NULL)) == -1 ||
		    (oc = store_outcome_id(s, &c)) == -1 ||
		    (rs = store_reason_id(s, c.reason)) == -1)
			return -1;
		/* the verdict from the count itself, but a text past the
		 * bound is "(other)": that one from the database */
		o.mta = c.mta;
		o.direction = c.direction;
		o.kind = c.kind;
		o.status = c.status;
		o.hop = c.hop;
		o.reply = c.reply;
		o.enhanced = c.enhanced;
		if (store_verdict_ensure(s, oc, rs, prov,
		    rs == STORE_REASON_OTHER_ID ? NULL : &o, c.reason) == -1)
			return -1;
		if (store_rows_grow(s, nrows + 1) == -1)
			goto nomem;
		r = &s->rows[nrows++];
		r->k[0] = c.hour;
		r->k[1] = dom;
		r->k[2] = host;
		r->k[3] = oc;
		r->k[4] = rs;
		r->n = (int64_t)c.n;
	}
	if (nrows > 0 && s->verdict == NULL &&
	    store_exec(s, ST_UNCHECKED_SET, "verdicts unchecked") == -1)
		return -1;
	if (nrows > 1)		/* rows is NULL before the first count */
		qsort(s->rows, nrows, sizeof(*s->rows), store_row_cmp);
	for (i = 0; i < nrows; i++) {
		r = &s->rows[i];
		st = s->st[ST_COUNT_UP];
		sqlite3_bind_int64(st, 1, r->k[0]);
		sqlite3_bind_int64(st, 2, r->k[1]);
		sqlite3_bind_int64(st, 3, r->k[2]);
		sqlite3_bind_int64(st, 4, r->k[3]);
		sqlite3_bind_int64(st, 5, r->k[4]);
		sqlite3_bind_int64(st, 6, r->n);
		if (store_exec(s, ST_COUNT_UP, "count upsert") == -1)
			return -1;
		if (++upserts == 1)
			HOOK("mid_flush");
	}
	if (store_roll_flush(s, s->rows, nrows) == -1)
		return -1;
	if (s->rowcap > 65536) {	/* a big commit: give the memory back */
		free(s->rows);
		s->rows = NULL;
		s->rowcap = 0;
	}
	for (it = 0; tally_next_lines(t, &it, &l);) {
		st = s->st[ST_LINES_UP];
		sqlite3_bind_int64(st, 1, l.hour);
		sqlite3_bind_int64(st, 2, l.source);
		sqlite3_bind_text(st, 3, tally_line_name(l.result), -1,
		    SQLITE_STATIC);
		sqlite3_bind_int64(st, 4, (int64_t)l.n);
		if (store_exec(s, ST_LINES_UP, "lines upsert") == -1)
			return -1;
		if (++upserts == 1)
			HOOK("mid_flush");
	}
	for (it = 0; tally_next_delay(t, &it, &dl);) {
		/* Postfix's stages a-d are kept for all domains together,
		 * as domain 0; a domain has its whole delay */
		if (dl.stage != DELAY_TOTAL)
			dom = 0;
		else if ((dom = store_name_id(s, s->domains, STORE_DCACHE,
		    ST_DOMAIN_INS, ST_DOMAIN_SEL, dl.domain, NULL,
		    NULL)) == -1)
			return -1;
		st = s->st[ST_DELAY_UP];
		sqlite3_bind_int64(st, 1, dl.hour);
		sqlite3_bind_int64(st, 2, dom);
		sqlite3_bind_int(st, 3, dl.cls);
		sqlite3_bind_text(st, 4, delay_stage_key(dl.stage), -1,
		    SQLITE_STATIC);
		sqlite3_bind_int(st, 5, dl.bucket);
		sqlite3_bind_int64(st, 6, (int64_t)dl.n);
		sqlite3_bind_int64(st, 7, (int64_t)dl.ms);
		if (store_exec(s, ST_DELAY_UP, "delay upsert") == -1)
			return -1;
		st = s->st[ST_DELAY_TOT_UP];
		sqlite3_bind_int(st, 1, dl.cls);
		sqlite3_bind_text(st, 2, delay_stage_key(dl.stage), -1,
		    SQLITE_STATIC);
		sqlite3_bind_int(st, 3, dl.bucket);
		sqlite3_bind_int64(st, 4, (int64_t)dl.n);
		sqlite3_bind_int64(st, 5, (int64_t)dl.ms);
		if (store_exec(s, ST_DELAY_TOT_UP, "delay total upsert") == -1)
			return -1;
	}
	return 0;
nomem:
	snprintf(s->cause, sizeof(s->cause), "out of memory");
	s->lasterr = 0;
	return -1;
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

/*
 * Copy what the WAL holds into the database file now, a passive
 * checkpoint that waits for no reader and no writer, so that the close at
 * exit finds nothing left to copy and sync (it did both, two fsyncs on
 * the way out).  1 if the WAL is all copied, 0 if a reader still needs
 * part of it, -1 on error (with a cause); the WAL stays the record of
 * what was committed until a checkpoint succeeds.
 */
int
store_checkpoint(struct store *s, const char **cause)
{
	int	 nlog = 0, nckpt = 0, rc;

	rc = sqlite3_wal_checkpoint_v2(s->db, NULL,
	    SQLITE_CHECKPOINT_PASSIVE, &nlog, &nckpt);
	if (rc == SQLITE_BUSY)
		return 0;
	if (rc != SQLITE_OK) {
		store_cause(s, "checkpoint");
		*cause = s->cause;
		return -1;
	}
	return nckpt >= nlog;
}

/* Did the last failure come from a full disk? (for the log message) */
int
store_is_full(const struct store *s)
{
	return (s->lasterr & 0xff) == SQLITE_FULL;
}

/* Did the last failure come from the file system reading or writing
 * (SQLite's I/O error family, not a full disk)?  After a failed fsync
 * the kernel may have dropped the dirty pages and the connection's view
 * cannot be trusted: the daemon does not retry on it. */
int
store_is_io_error(const struct store *s)
{
	return (s->lasterr & 0xff) == SQLITE_IOERR;
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

/* Bind ?1 day, ?2 and ?3 a domain id range, ?4 the day's month. */
static void
store_bind_range(sqlite3_stmt *st, int64_t day, int64_t a, int64_t b)
{
	int	n = sqlite3_bind_parameter_count(st);

	sqlite3_bind_int64(st, 1, day);
	if (n >= 3) {
		sqlite3_bind_int64(st, 2, a);
		sqlite3_bind_int64(st, 3, b);
	}
	if (n >= 4)
		sqlite3_bind_int64(st, 4, civil_month_start(day));
}

/* Run one of the range statements; the rows it changed, or -1. */
static int64_t
store_range(struct store *s, enum store_stmt i, int64_t day, int64_t a,
    int64_t b)
{
	store_bind_range(s->st[i], day, a, b);
	if (store_exec(s, i, store_sql[i]) == -1)
		return -1;
	return sqlite3_changes(s->db);
}

/* Aim the next step's domain range at about step rows. */
static void
store_width(struct store *s, int64_t rows, int step)
{
	if (rows > step && s->width > 1)
		s->width /= 2;
	else if (rows < step / 4 && s->width < ((int64_t)1 << 30))
		s->width *= 2;
}

/* Write one folded key's day row. */
static int
store_fold_put(struct store *s, int64_t day, const int64_t *key,
    const struct hours *h)
{
	sqlite3_stmt	*st = s->st[ST_FOLD_UP];
	unsigned char	 buf[HOURS_MAX];
	size_t		 len = hours_pack(h, buf, sizeof(buf));

	sqlite3_bind_int64(st, 1, day);
	sqlite3_bind_int64(st, 2, key[0]);
	sqlite3_bind_int64(st, 3, key[1]);
	sqlite3_bind_int64(st, 4, key[2]);
	sqlite3_bind_int64(st, 5, key[3]);
	sqlite3_bind_int64(st, 6, (int64_t)hours_total(h));
	sqlite3_bind_blob(st, 7, buf, (int)len, SQLITE_STATIC);
	return store_exec(s, ST_FOLD_UP, "fold upsert");
}

/* Remember a folded key's day total for the domain roll-ups. */
static int
store_fold_key(struct store *s, const int64_t *key, const struct hours *h,
    size_t *nkeys)
{
	struct store_row	*r;

	if (store_rows_grow(s, *nkeys + 1) == -1) {
		snprintf(s->cause, sizeof(s->cause), "out of memory");
		s->lasterr = 0;
		return -1;
	}
	r = &s->rows[(*nkeys)++];
	memset(r, 0, sizeof(*r));
	r->k[1] = key[0];
	r->k[3] = key[2];
	r->k[4] = key[3];
	r->n = (int64_t)hours_total(h);
	return 0;
}

/* Add a folded day's sums per (domain, outcome, reason) to domain_month
 * and domain_total: rows holds them in any order, with host and hour 0. */
static int
store_fold_domains(struct store *s, int64_t day, size_t nrows)
{
	struct store_row	*r = s->rows;
	sqlite3_stmt		*st;
	size_t			 i, j;
	int64_t			 n;

	if (nrows > 1)
		qsort(r, nrows, sizeof(*r), store_row_cmp);
	for (i = 0; i < nrows; i = j) {
		for (n = 0, j = i; j < nrows &&
		    store_row_cmp(&r[i], &r[j]) == 0; j++)
			n += r[j].n;
		st = s->st[ST_DM_UP];
		sqlite3_bind_int64(st, 1, r[i].k[1]);
		sqlite3_bind_int64(st, 2, civil_month_start(day));
		sqlite3_bind_int64(st, 3, r[i].k[3]);
		sqlite3_bind_int64(st, 4, r[i].k[4]);
		sqlite3_bind_int64(st, 5, n);
		if (store_exec(s, ST_DM_UP, "domain month upsert") == -1)
			return -1;
		st = s->st[ST_DT_UP];
		sqlite3_bind_int64(st, 1, r[i].k[1]);
		sqlite3_bind_int64(st, 2, r[i].k[3]);
		sqlite3_bind_int64(st, 3, r[i].k[4]);
		sqlite3_bind_int64(st, 4, n);
		if (store_exec(s, ST_DT_UP, "domain total upsert") == -1)
			return -1;
	}
	return 0;
}

/* Fold the hour rows of one day and a range of domains into day rows,
 * and their sums into the domain roll-ups; 1 when it did, 0 when no day
 * is old enough, -1 on error. */
static int
store_fold(struct store *s, int64_t cut, int step)
{
	sqlite3_stmt	*st = s->st[ST_FOLD_ROWS];
	struct hours	 h;
	int64_t		 first, day, a, key[4], cur[4], n, rows = 0;
	size_t		 nkeys = 0;
	int		 rc, have = 0, i;

	sqlite3_bind_int64(s->st[ST_FOLD_FIRST], 1, cut);
	if (store_one(s, ST_FOLD_FIRST, &first) == -1)
		return -1;
	if (first < 0)
		return 0;
	day = first - first % STORE_DAY;
	sqlite3_bind_int64(s->st[ST_FOLD_DOM], 1, day);
	if (store_one(s, ST_FOLD_DOM, &a) == -1)
		return -1;
	if (store_exec(s, ST_BEGIN, "begin") == -1)
		return -1;
	store_bind_range(st, day, a, a + s->width);
	memset(&h, 0, sizeof(h));
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		for (i = 0; i < 4; i++)
			key[i] = sqlite3_column_int64(st, i);
		n = sqlite3_column_int64(st, 5);
		if (have && memcmp(key, cur, sizeof(key)) != 0) {
			if (store_fold_put(s, day, cur, &h) == -1 ||
			    store_fold_key(s, cur, &h, &nkeys) == -1)
				goto fail;
			memset(&h, 0, sizeof(h));
		}
		memcpy(cur, key, sizeof(cur));
		have = 1;
		h.n[(sqlite3_column_int64(st, 4) % STORE_DAY) / STORE_HOUR] +=
		    (uint64_t)n;
		rows++;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		store_cause(s, "fold rows");
		goto fail;
	}
	if (have && (store_fold_put(s, day, cur, &h) == -1 ||
	    store_fold_key(s, cur, &h, &nkeys) == -1))
		goto fail;
	if (store_fold_domains(s, day, nkeys) == -1)
		goto fail;
	if (store_range(s, ST_FOLD_DEL, day, a, a + s->width) == -1)
		goto fail;
	HOOK("mid_fold");
	if (store_exec(s, ST_COMMIT, "commit") == -1)
		goto fail;
	store_width(s, rows, step);
	return 1;
fail:
	store_abort(s);
	return -1;
}

/* Drop the hours of days before cut, a range of domains at a time; the
 * day's hourly totals become a day total with the last range. */
static int
store_drop_hours(struct store *s, int64_t cut, int step)
{
	int64_t	first, max, rows;

	if (s->hours_day == 0) {
		sqlite3_bind_int64(s->st[ST_HOURS_FIRST], 1, cut);
		if (store_one(s, ST_HOURS_FIRST, &first) == -1)
			return -1;
		if (first < 0)
			return 0;
		s->hours_day = first - first % STORE_DAY;
		s->hours_next = 0;
	}
	if (store_one(s, ST_DOMAIN_MAX, &max) == -1 ||
	    store_exec(s, ST_BEGIN, "begin") == -1)
		return -1;
	if ((rows = store_range(s, ST_HOURS_DROP, s->hours_day, s->hours_next,
	    s->hours_next + s->width)) == -1)
		goto fail;
	if (s->hours_next + s->width > max &&
	    (store_range(s, ST_HOURS_TOTAL, s->hours_day, 0, 0) == -1 ||
	    store_range(s, ST_HOURS_TDEL, s->hours_day, 0, 0) == -1))
		goto fail;
	if (store_exec(s, ST_COMMIT, "commit") == -1)
		goto fail;
	s->hours_next += s->width;
	if (s->hours_next > max)
		s->hours_day = 0;
	store_width(s, rows, step);
	return 1;
fail:
	store_abort(s);
	s->hours_day = 0;
	return -1;
}

/* Delete the days before cut from every table, a range of domains at a
 * time, the roll-ups by subtraction; the day's totals and line counts go
 * with the last range. */
static int
store_keep(struct store *s, int64_t cut, int step)
{
	int64_t	first, max, rows, del;

	if (s->keep_day == 0) {
		sqlite3_bind_int64(s->st[ST_KEEP_FIRST], 1, cut);
		if (store_one(s, ST_KEEP_FIRST, &first) == -1)
			return -1;
		if (first < 0) {
			/* No day rows left so old: totals and lines may be. */
			if (store_exec(s, ST_BEGIN, "begin") == -1 ||
			    (rows = store_range(s, ST_KEEP_THOUR, cut -
			    STORE_DAY, 0, 0)) == -1 ||
			    (first = store_range(s, ST_KEEP_TDAY, cut -
			    STORE_DAY, 0, 0)) == -1 ||
			    (max = store_range(s, ST_KEEP_LINES, cut -
			    STORE_DAY, 0, 0)) == -1 ||
			    store_range(s, ST_KEEP_DELAY_TOT, cut - STORE_DAY,
			    0, 0) == -1 ||
			    (del = store_range(s, ST_KEEP_DELAY, cut -
			    STORE_DAY, 0, 0)) == -1 ||
			    store_exec(s, ST_COMMIT, "commit") == -1)
				goto fail;
			return rows + first + max + del > 0;
		}
		s->keep_day = first;
		s->keep_next = 0;
	}
	if (store_one(s, ST_DOMAIN_MAX, &max) == -1 ||
	    store_exec(s, ST_BEGIN, "begin") == -1)
		return -1;
	if (store_range(s, ST_KEEP_DM, s->keep_day, s->keep_next,
	    s->keep_next + s->width) == -1 ||
	    store_range(s, ST_KEEP_DT, s->keep_day, s->keep_next,
	    s->keep_next + s->width) == -1 ||
	    (rows = store_range(s, ST_KEEP_DEL, s->keep_day, s->keep_next,
	    s->keep_next + s->width)) == -1 ||
	    store_range(s, ST_KEEP_ZERO_DM, s->keep_day, s->keep_next,
	    s->keep_next + s->width) == -1 ||
	    store_range(s, ST_KEEP_ZERO_DT, s->keep_day, s->keep_next,
	    s->keep_next + s->width) == -1)
		goto fail;
	if (s->keep_next + s->width > max &&
	    (store_range(s, ST_KEEP_THOUR, s->keep_day, 0, 0) == -1 ||
	    store_range(s, ST_KEEP_TDAY, s->keep_day, 0, 0) == -1 ||
	    store_range(s, ST_KEEP_LINES, s->keep_day, 0, 0) == -1 ||
	    store_range(s, ST_KEEP_DELAY_TOT, s->keep_day, 0, 0) == -1 ||
	    store_range(s, ST_KEEP_DELAY, s->keep_day, 0, 0) == -1))
		goto fail;
	HOOK("mid_keep");
	if (store_exec(s, ST_COMMIT, "commit") == -1)
		goto fail;
	s->keep_next += s->width;
	if (s->keep_next > max)
		s->keep_day = 0;
	store_width(s, rows, step);
	return 1;
fail:
	store_abort(s);
	s->keep_day = 0;
	return -1;
}

/* Bring verdicts up to the current rules: those made under others, then
 * (once a run) combinations that have none.  1: a step was done. */
static int
store_reclassify(struct store *s, int step)
{
	struct vk { int64_t oc, rs; char prov[24]; } *v;
	sqlite3_stmt	*st;
	const char	*p;
	int		 rc, n = 0, i, pass, max = step / 10 + 1;

	if (s->verdict == NULL)
		return 0;
	if ((v = calloc((size_t)max, sizeof(*v))) == NULL) {
		snprintf(s->cause, sizeof(s->cause), "out of memory");
		return -1;
	}
	for (pass = 0; pass < 2 && n == 0; pass++) {
		if (pass == 1 && s->checked)
			break;
		st = s->st[pass == 0 ? ST_VERDICT_STALE : ST_VERDICT_MISSING];
		if (pass == 0) {
			sqlite3_bind_int64(st, 1, s->rules);
			sqlite3_bind_int(st, 2, max);
		} else
			sqlite3_bind_int(st, 1, max);
		/* Read the keys first: the writes change the table read. */
		while (n < max && (rc = sqlite3_step(st)) == SQLITE_ROW) {
			v[n].oc = sqlite3_column_int64(st, 0);
			v[n].rs = sqlite3_column_int64(st, 1);
			p = (const char *)sqlite3_column_text(st, 2);
			snprintf(v[n].prov, sizeof(v[n].prov), "%s",
			    p != NULL ? p : "");
			n++;
		}
		sqlite3_reset(st);
		if (n < max && rc != SQLITE_DONE) {
			store_cause(s, "reclassify");
			free(v);
			return -1;
		}
		if (pass == 1 && n == 0) {
			if (store_exec(s, ST_UNCHECKED_DEL, "verdicts checked")
			    == -1) {
				free(v);
				return -1;
			}
			s->checked = 1;
		}
	}
	if (n == 0) {
		free(v);
		return 0;
	}
	if (store_exec(s, ST_BEGIN, "begin") == -1)
		goto fail;
	for (i = 0; i < n; i++)
		if (store_verdict_make(s, v[i].oc, v[i].rs, v[i].prov, NULL,
		    NULL) == -1)
			goto fail;
	if (store_exec(s, ST_COMMIT, "commit") == -1)
		goto fail;
	free(v);
	return 1;
fail:
	free(v);
	store_abort(s);
	return -1;
}

/* One step of maintenance in its own transaction: fold, then drop hours
 * past the retention period, then delete days past keep_days, counted
 * from the newest hour the database holds.  1: a step was done (call
 * again); 0: nothing to do; -1: error, with a cause. */
int
store_maintain(struct store *s, const struct store_policy *p,
    const char **cause)
{
	int64_t	newest, ref, cut;
	int	step = p->step > 0 ? p->step : STORE_STEP_DEFAULT, r;

	if (store_one(s, ST_NEWEST, &newest) == -1)
		goto fail;
	if (newest < 0)
		return 0;
	if ((r = store_reclassify(s, step)) != 0)
		goto done;
	ref = newest - newest % STORE_DAY;
	/* Today's and yesterday's hours stay rows. */
	if ((r = store_fold(s, ref - STORE_DAY, step)) != 0)
		goto done;
	if (p->hour_days > 0 && (r = store_drop_hours(s, ref -
	    (int64_t)p->hour_days * STORE_DAY, step)) != 0)
		goto done;
	if (p->keep_days > 0) {
		cut = ref - (int64_t)p->keep_days * STORE_DAY;
		if (cut > ref - STORE_DAY)
			cut = ref - STORE_DAY;	/* only folded days */
		r = store_keep(s, cut, step);
		goto done;
	}
	return 0;
done:
	if (r == -1)
		goto fail;
	return r;
fail:
	*cause = s->cause;
	return -1;
}
