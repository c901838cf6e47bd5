-- The schema of smtptally's release f753601 (schema version 2), for the
-- migration tests: git show f753601:sql/schema.sql.
-- smtptally database, schema version 2.
--
-- Counts live in hourly buckets; hours older than the retention period are
-- rolled up into days.  Files and their committed offsets live beside the
-- counts so one transaction moves both (exactly once).  Times are UTC
-- seconds.  Enumerations are stored as the lower-case names the parser
-- prints (parse_*_name), so the database reads well from sqlite3(1).

PRAGMA application_id = 1397577817;	-- 0x534D5459, "SMTY"

CREATE TABLE meta (
	key	TEXT PRIMARY KEY,
	value	TEXT
) WITHOUT ROWID;

-- Strings from strangers are stored once and referred to by id.
CREATE TABLE domain (
	id	INTEGER PRIMARY KEY,
	name	TEXT NOT NULL UNIQUE
);

CREATE TABLE host (
	id	INTEGER PRIMARY KEY,
	name	TEXT NOT NULL UNIQUE
);

-- One row per (hour, key): how many events of that key the hour saw.
CREATE TABLE count_hour (
	hour		INTEGER NOT NULL,	-- multiple of 3600
	domain		INTEGER NOT NULL REFERENCES domain(id),
	host		INTEGER NOT NULL REFERENCES host(id),
	mta		TEXT NOT NULL,		-- postfix | exim
	direction	TEXT NOT NULL,		-- out | in
	kind		TEXT NOT NULL,		-- attempt | skip | final | verify
	status		TEXT NOT NULL,		-- sent | deferred | bounced | ...
	reply		INTEGER NOT NULL,	-- 0 = no reply was said
	enhanced	TEXT NOT NULL,		-- '' = none
	n		INTEGER NOT NULL CHECK (n >= 0),
	PRIMARY KEY (hour, domain, host, mta, direction, kind, status, reply,
	    enhanced)
) WITHOUT ROWID;

-- The same key per UTC day, for hours past the retention period.
CREATE TABLE count_day (
	day		INTEGER NOT NULL,	-- multiple of 86400
	domain		INTEGER NOT NULL REFERENCES domain(id),
	host		INTEGER NOT NULL REFERENCES host(id),
	mta		TEXT NOT NULL,
	direction	TEXT NOT NULL,
	kind		TEXT NOT NULL,
	status		TEXT NOT NULL,
	reply		INTEGER NOT NULL,
	enhanced	TEXT NOT NULL,
	n		INTEGER NOT NULL CHECK (n >= 0),
	PRIMARY KEY (day, domain, host, mta, direction, kind, status, reply,
	    enhanced)
) WITHOUT ROWID;

-- One row per file generation (an inode's stream of bytes).
CREATE TABLE file (
	id		INTEGER PRIMARY KEY,
	path		TEXT NOT NULL,		-- path it was last seen under
	format		TEXT NOT NULL,		-- postfix | exim | auto
	dev		INTEGER NOT NULL,
	ino		INTEGER NOT NULL,
	head		BLOB NOT NULL,		-- first bytes, up to 1 KiB
	offset		INTEGER NOT NULL CHECK (offset >= 0),	-- line start
	lines		INTEGER NOT NULL DEFAULT 0,
	unrecognised	INTEGER NOT NULL DEFAULT 0,
	long_lines	INTEGER NOT NULL DEFAULT 0,
	bytes_lost	INTEGER NOT NULL DEFAULT 0,
	state		TEXT NOT NULL,		-- active | rotated | closed | lost
	first_seen	INTEGER NOT NULL,
	last_commit	INTEGER
);

-- Lines read per hour and outcome (event, ignored, foreign, unrecognised,
-- long), so the share of lines not understood can be reported.
CREATE TABLE lines_hour (
	hour		INTEGER NOT NULL,
	file		INTEGER NOT NULL REFERENCES file(id),
	result		TEXT NOT NULL,
	n		INTEGER NOT NULL CHECK (n >= 0),
	PRIMARY KEY (hour, file, result)
) WITHOUT ROWID;

-- Why: normalised reply texts (addresses, IPs, ids, numbers masked) per day
-- and key.  At most a fixed number of distinct texts per (day, domain,
-- direction, reply, enhanced); the rest are counted under '(other)', so
-- hostile texts cannot grow the database without limit.
CREATE TABLE reason_day (
	day		INTEGER NOT NULL,
	domain		INTEGER NOT NULL REFERENCES domain(id),
	direction	TEXT NOT NULL,
	reply		INTEGER NOT NULL,
	enhanced	TEXT NOT NULL,
	text		TEXT NOT NULL,
	n		INTEGER NOT NULL CHECK (n >= 0),
	PRIMARY KEY (day, domain, direction, reply, enhanced, text)
) WITHOUT ROWID;

-- Roll-ups, written in the same transaction as count_hour/count_day so
-- they always agree with them (version 2).  total_hour and total_day are
-- count_hour and count_day without the domain, bucket for bucket (the
-- retention moves and drops them together), for answers that neither
-- filter nor group by domain.
CREATE TABLE total_hour (
	hour		INTEGER NOT NULL,
	host		INTEGER NOT NULL REFERENCES host(id),
	mta		TEXT NOT NULL,
	direction	TEXT NOT NULL,
	kind		TEXT NOT NULL,
	status		TEXT NOT NULL,
	reply		INTEGER NOT NULL,
	enhanced	TEXT NOT NULL,
	n		INTEGER NOT NULL CHECK (n >= 0),
	PRIMARY KEY (hour, host, mta, direction, kind, status, reply, enhanced)
) WITHOUT ROWID;

CREATE TABLE total_day (
	day		INTEGER NOT NULL,
	host		INTEGER NOT NULL REFERENCES host(id),
	mta		TEXT NOT NULL,
	direction	TEXT NOT NULL,
	kind		TEXT NOT NULL,
	status		TEXT NOT NULL,
	reply		INTEGER NOT NULL,
	enhanced	TEXT NOT NULL,
	n		INTEGER NOT NULL CHECK (n >= 0),
	PRIMARY KEY (day, host, mta, direction, kind, status, reply, enhanced)
) WITHOUT ROWID;

-- Per domain and UTC calendar month (hour and day buckets alike): the
-- count by class (derived as query.c derives it) and the sent, deferred
-- and bounced (bounced + rejected) parts, for top-domain lists over long
-- ranges.  Keyed by domain first so a sum per domain reads in order.
CREATE TABLE domain_month (
	domain		INTEGER NOT NULL REFERENCES domain(id),
	month		INTEGER NOT NULL,	-- UTC month start
	direction	TEXT NOT NULL,
	kind		TEXT NOT NULL,
	class		INTEGER NOT NULL,
	n		INTEGER NOT NULL CHECK (n >= 0),
	sent		INTEGER NOT NULL CHECK (sent >= 0),
	deferred	INTEGER NOT NULL CHECK (deferred >= 0),
	bounced		INTEGER NOT NULL CHECK (bounced >= 0),
	PRIMARY KEY (domain, month, direction, kind, class)
) WITHOUT ROWID;

-- The same per domain over all time: /metrics' busiest domains, and
-- long ranges as everything less what lies outside them.
CREATE TABLE domain_total (
	domain		INTEGER NOT NULL REFERENCES domain(id),
	direction	TEXT NOT NULL,
	kind		TEXT NOT NULL,
	class		INTEGER NOT NULL,
	n		INTEGER NOT NULL CHECK (n >= 0),
	sent		INTEGER NOT NULL CHECK (sent >= 0),
	deferred	INTEGER NOT NULL CHECK (deferred >= 0),
	bounced		INTEGER NOT NULL CHECK (bounced >= 0),
	PRIMARY KEY (domain, direction, kind, class)
) WITHOUT ROWID;

PRAGMA user_version = 2;
