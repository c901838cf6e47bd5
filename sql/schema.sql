-- smtptally database, schema version 6, for a new database; older ones
-- are brought here by sql/migrate-N.sql, one transaction per version.
--
-- A count is keyed by its time bucket, recipient domain, logging host,
-- outcome (what happened: mta, direction, kind, status, hop, reply code,
-- enhanced code, class) and reason (the normalised reply text).  Recent
-- hours are rows of count_hour; older days are folded into one row of
-- count_day per key that keeps its hours in a packed vector (src/hours.h),
-- so the database stays small without losing the hour.  Sources (file
-- generations, journals) and their committed positions live beside the
-- counts, and one transaction moves both (exactly once).
--
-- Times are UTC seconds.  Strings from strangers (domains, hosts, reply
-- texts) are stored once and referred to by id.  Enumerations are stored
-- as the names event_*_name() prints, in the small outcome table, so the
-- database reads well from sqlite3(1); the class is written there once,
-- by event_class(), and never derived in SQL.

PRAGMA application_id = 1397577817;	-- 0x534D5459, "SMTY"

CREATE TABLE meta (
	key	TEXT PRIMARY KEY,
	value	TEXT
) WITHOUT ROWID;

CREATE TABLE domain (
	id		INTEGER PRIMARY KEY,
	name		TEXT NOT NULL UNIQUE,
	provider	TEXT NOT NULL DEFAULT ''	-- '' until known
);

CREATE TABLE host (
	id	INTEGER PRIMARY KEY,
	name	TEXT NOT NULL UNIQUE
);

-- Every distinct outcome seen.  split is the sent/deferred/bounced column
-- of the views (event_outcome(): 0 sent, 1 deferred, 2 bounced, 3 other).
CREATE TABLE outcome (
	id		INTEGER PRIMARY KEY,
	mta		TEXT NOT NULL,		-- postfix | exim
	direction	TEXT NOT NULL,		-- out | in
	kind		TEXT NOT NULL,		-- attempt | skip | final | verify
	status		TEXT NOT NULL,		-- sent | deferred | bounced | ...
	hop		TEXT NOT NULL,		-- remote | mailbox | filter | ...
	reply		INTEGER NOT NULL,	-- 0 = no reply was said
	enhanced	TEXT NOT NULL,		-- '' = none
	class		INTEGER NOT NULL,	-- 2, 4 or 5
	split		INTEGER NOT NULL,
	UNIQUE (mta, direction, kind, status, hop, reply, enhanced)
);

-- Normalised reply texts (addresses, IPs, ids, numbers masked).  Id 1 is
-- "no text" (deliveries, and failures whose line had none); id 2 takes
-- texts beyond the table's bound, so hostile texts cannot grow it.
CREATE TABLE reason (
	id	INTEGER PRIMARY KEY,
	text	TEXT NOT NULL UNIQUE
);
INSERT INTO reason(id, text) VALUES (1, ''), (2, '(other)');

-- What each outcome and reason text means at a provider: the category
-- and party to blame of classify() under the rules whose digest is in
-- rules.  The store writes a row for every new combination as it commits
-- and recomputes them, in steps, when the rules change; the counts are
-- never touched, so history shows under the new rules.
CREATE TABLE verdict (
	outcome		INTEGER NOT NULL REFERENCES outcome(id),
	reason		INTEGER NOT NULL REFERENCES reason(id),
	provider	TEXT NOT NULL,		-- domain.provider
	category	TEXT NOT NULL,
	blame		TEXT NOT NULL,
	detail		TEXT NOT NULL,		-- the finer reason
	rule		TEXT NOT NULL,		-- file:line, '' if built in
	rules		INTEGER NOT NULL,	-- digest of the rules used
	PRIMARY KEY (outcome, reason, provider)
) WITHOUT ROWID;

-- Recent hours: one row per (hour, key).
CREATE TABLE count_hour (
	hour		INTEGER NOT NULL,	-- multiple of 3600
	domain		INTEGER NOT NULL REFERENCES domain(id),
	host		INTEGER NOT NULL REFERENCES host(id),
	outcome		INTEGER NOT NULL REFERENCES outcome(id),
	reason		INTEGER NOT NULL REFERENCES reason(id),
	n		INTEGER NOT NULL CHECK (n > 0),
	PRIMARY KEY (hour, domain, host, outcome, reason)
) WITHOUT ROWID;

-- Older days: one row per (day, key), n the day's count and hours its
-- hourly counts (NULL: only the day is known).  An hour's counts are in
-- count_hour until the fold moves them here, in one transaction; late
-- lines for a folded day wait in count_hour for the next fold.
CREATE TABLE count_day (
	day		INTEGER NOT NULL,	-- multiple of 86400
	domain		INTEGER NOT NULL REFERENCES domain(id),
	host		INTEGER NOT NULL REFERENCES host(id),
	outcome		INTEGER NOT NULL REFERENCES outcome(id),
	reason		INTEGER NOT NULL REFERENCES reason(id),
	n		INTEGER NOT NULL CHECK (n > 0),
	hours		BLOB,
	PRIMARY KEY (day, domain, host, outcome, reason)
) WITHOUT ROWID;

-- Roll-ups, written in the same transaction as the counts so they always
-- equal sums over them.  total_hour is every count with a known hour
-- without its domain (hour rows and folded hours alike); total_day the
-- counts known only by day.
CREATE TABLE total_hour (
	hour		INTEGER NOT NULL,
	host		INTEGER NOT NULL REFERENCES host(id),
	outcome		INTEGER NOT NULL REFERENCES outcome(id),
	reason		INTEGER NOT NULL REFERENCES reason(id),
	n		INTEGER NOT NULL CHECK (n > 0),
	PRIMARY KEY (hour, host, outcome, reason)
) WITHOUT ROWID;

CREATE TABLE total_day (
	day		INTEGER NOT NULL,
	host		INTEGER NOT NULL REFERENCES host(id),
	outcome		INTEGER NOT NULL REFERENCES outcome(id),
	reason		INTEGER NOT NULL REFERENCES reason(id),
	n		INTEGER NOT NULL CHECK (n > 0),
	PRIMARY KEY (day, host, outcome, reason)
) WITHOUT ROWID;

-- Per domain and UTC calendar month, for top-domain lists over long
-- ranges; keyed by domain first so a sum per domain reads in order.  It
-- holds the folded days (count_day) only: the fold adds a day's sums in
-- its transaction, and a query adds the hours of count_hour itself, so a
-- commit writes one row per key.  Retention subtracts the days it drops
-- (and deletes rows that reach 0).
CREATE TABLE domain_month (
	domain		INTEGER NOT NULL REFERENCES domain(id),
	month		INTEGER NOT NULL,	-- UTC month start
	outcome		INTEGER NOT NULL REFERENCES outcome(id),
	reason		INTEGER NOT NULL REFERENCES reason(id),
	n		INTEGER NOT NULL CHECK (n >= 0),
	PRIMARY KEY (domain, month, outcome, reason)
) WITHOUT ROWID;

-- The same per domain over all folded days: /metrics' busiest domains,
-- and long ranges as everything less what lies outside them (with
-- count_hour added, as for domain_month).
CREATE TABLE domain_total (
	domain		INTEGER NOT NULL REFERENCES domain(id),
	outcome		INTEGER NOT NULL REFERENCES outcome(id),
	reason		INTEGER NOT NULL REFERENCES reason(id),
	n		INTEGER NOT NULL CHECK (n >= 0),
	PRIMARY KEY (domain, outcome, reason)
) WITHOUT ROWID;

-- One row per source: a file generation (an inode's stream of bytes) or a
-- journal, with the position the counts have been committed up to.
CREATE TABLE source (
	id		INTEGER PRIMARY KEY,
	path		TEXT NOT NULL,		-- what is followed
	format		TEXT NOT NULL,		-- postfix | exim | auto
	dev		INTEGER NOT NULL,
	ino		INTEGER NOT NULL,
	head		BLOB NOT NULL,		-- first bytes, up to 1 KiB
	offset		INTEGER NOT NULL CHECK (offset >= 0),	-- line start
	lines		INTEGER NOT NULL DEFAULT 0,
	unrecognised	INTEGER NOT NULL DEFAULT 0,
	long_lines	INTEGER NOT NULL DEFAULT 0,
	lost		INTEGER NOT NULL DEFAULT 0,	-- bytes lost so far
	state		TEXT NOT NULL,		-- active | rotated | closed | lost
	first_seen	INTEGER NOT NULL,
	last_commit	INTEGER,
	kind		TEXT NOT NULL DEFAULT 'file',	-- file | journal
	name		TEXT,			-- where this generation was
						-- last seen (NULL = path)
	mark		BLOB,			-- digest of the bytes before
						-- offset
	cursor		TEXT,			-- journal: last entry counted
	lost_from	INTEGER NOT NULL DEFAULT 0,	-- the last loss's
	lost_until	INTEGER NOT NULL DEFAULT 0,	-- time window
	last_time	INTEGER NOT NULL DEFAULT 0	-- last event counted
);

-- Lines read per hour and outcome (event, ignored, foreign, unrecognised,
-- long), so the share of lines not understood can be reported.
CREATE TABLE lines_hour (
	hour		INTEGER NOT NULL,
	source		INTEGER NOT NULL REFERENCES source(id),
	result		TEXT NOT NULL,
	n		INTEGER NOT NULL CHECK (n >= 0),
	PRIMARY KEY (hour, source, result)
) WITHOUT ROWID;

-- Delivery delays (src/delay.h): per hour, recipient domain, class and
-- stage ('total' = Postfix delay= or Exim QT=; 'a' .. 'd' = Postfix
-- delays=a/b/c/d, Exim QT= in b and DT= in d), how many delays fell in
-- each fixed bucket (0 = at most 1 ms ... 16 = over 2 days) and their sum
-- in milliseconds.  Only our deliveries to a remote host or a mailbox.
-- delay_total is the same without hour and domain, for /metrics; both
-- are written in the counts' transaction.  Kept until keep_days (they
-- are not folded into days).
CREATE TABLE delay_hour (
	hour		INTEGER NOT NULL,
	domain		INTEGER NOT NULL REFERENCES domain(id),
	class		INTEGER NOT NULL,
	stage		TEXT NOT NULL,
	bucket		INTEGER NOT NULL CHECK (bucket BETWEEN 0 AND 16),
	n		INTEGER NOT NULL CHECK (n > 0),
	ms		INTEGER NOT NULL CHECK (ms >= 0),
	PRIMARY KEY (hour, domain, class, stage, bucket)
) WITHOUT ROWID;
CREATE TABLE delay_total (
	class		INTEGER NOT NULL,
	stage		TEXT NOT NULL,
	bucket		INTEGER NOT NULL CHECK (bucket BETWEEN 0 AND 16),
	n		INTEGER NOT NULL CHECK (n >= 0),
	ms		INTEGER NOT NULL CHECK (ms >= 0),
	PRIMARY KEY (class, stage, bucket)
) WITHOUT ROWID;

PRAGMA user_version = 6;
