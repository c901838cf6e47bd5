-- Schema 3 -> 4: counts keyed by outcome and reason; reasons at the
-- counts' resolution.
--
-- Every count keeps its time bucket, domain, host and n.  Its mta,
-- direction, kind, status, reply and enhanced code become an outcome row
-- (hop 'remote': schema 3 did not record the hop; class by st_class(),
-- which the store registers as event_class()).  Schema 3 kept reply
-- texts per day apart from the counts, in reason_day; each day's texts
-- are given to that day's failures of the same domain, direction, reply
-- and enhanced code, in time order, so every count and every day's text
-- total is kept exactly (texts beyond the counts, left by an old
-- retention that did not prune reason_day, are dropped with no count to
-- carry them); what no text covers gets reason 1 (none).  Days schema 3
-- kept only by day keep no hours (hours NULL).  The roll-ups are rebuilt
-- from the new counts.

ALTER TABLE domain ADD COLUMN provider TEXT NOT NULL DEFAULT '';

CREATE TABLE outcome (
	id		INTEGER PRIMARY KEY,
	mta		TEXT NOT NULL,
	direction	TEXT NOT NULL,
	kind		TEXT NOT NULL,
	status		TEXT NOT NULL,
	hop		TEXT NOT NULL,
	reply		INTEGER NOT NULL,
	enhanced	TEXT NOT NULL,
	class		INTEGER NOT NULL,
	split		INTEGER NOT NULL,
	UNIQUE (mta, direction, kind, status, hop, reply, enhanced)
);
INSERT INTO outcome(mta, direction, kind, status, hop, reply, enhanced,
    class, split)
    SELECT mta, direction, kind, status, 'remote', reply, enhanced,
	st_class(reply, enhanced, status),
	CASE status WHEN 'sent' THEN 0 WHEN 'deferred' THEN 1
	    WHEN 'bounced' THEN 2 WHEN 'rejected' THEN 2 ELSE 3 END
    FROM (SELECT mta, direction, kind, status, reply, enhanced
	FROM count_hour UNION SELECT mta, direction, kind, status, reply,
	enhanced FROM count_day)
    ORDER BY 1, 2, 3, 4, 5, 6;

CREATE TABLE reason (
	id	INTEGER PRIMARY KEY,
	text	TEXT NOT NULL UNIQUE
);
INSERT INTO reason(id, text) VALUES (1, ''), (2, '(other)');
INSERT OR IGNORE INTO reason(text)
    SELECT DISTINCT text FROM reason_day ORDER BY text;

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

-- Every old count with its outcome and, for failures, its place
-- [c1 - n, c1) among its group's failures in time order.
CREATE TEMP TABLE old_count AS
    SELECT t, is_day, domain, host, outcome, n, cls, g_day, direction,
	reply, enhanced,
	SUM(n) OVER (PARTITION BY g_day, domain, direction, reply, enhanced,
	    cls IN (4, 5) ORDER BY t, host, outcome
	    ROWS UNBOUNDED PRECEDING) AS c1
    FROM (SELECT c.hour AS t, 0 AS is_day, c.domain, c.host, o.id AS outcome,
	    c.n, o.class AS cls, c.hour - c.hour % 86400 AS g_day,
	    c.direction, c.reply, c.enhanced
	FROM count_hour AS c JOIN outcome AS o ON o.mta = c.mta AND
	    o.direction = c.direction AND o.kind = c.kind AND
	    o.status = c.status AND o.hop = 'remote' AND o.reply = c.reply AND
	    o.enhanced = c.enhanced
	UNION ALL
	SELECT c.day, 1, c.domain, c.host, o.id, c.n, o.class, c.day,
	    c.direction, c.reply, c.enhanced
	FROM count_day AS c JOIN outcome AS o ON o.mta = c.mta AND
	    o.direction = c.direction AND o.kind = c.kind AND
	    o.status = c.status AND o.hop = 'remote' AND o.reply = c.reply AND
	    o.enhanced = c.enhanced);

-- The day's texts of each group, each at its place [t1 - n, t1), and the
-- group's text total.
CREATE TEMP TABLE old_text AS
    SELECT r.day, r.domain, r.direction, r.reply, r.enhanced, x.id AS reason,
	SUM(r.n) OVER (PARTITION BY r.day, r.domain, r.direction, r.reply,
	    r.enhanced ORDER BY r.text ROWS UNBOUNDED PRECEDING) AS t1,
	r.n AS n
    FROM reason_day AS r JOIN reason AS x ON x.text = r.text
    WHERE r.text != '';
CREATE INDEX temp.old_text_group ON old_text(day, domain, direction, reply,
    enhanced);
CREATE TEMP TABLE old_text_total AS
    SELECT day, domain, direction, reply, enhanced, MAX(t1) AS tot
    FROM old_text GROUP BY 1, 2, 3, 4, 5;
CREATE INDEX temp.old_text_total_group ON old_text_total(day, domain,
    direction, reply, enhanced);

-- Each failure split into the texts its place overlaps; what the texts
-- do not cover (every count that is not a failure, whole) has no text.
CREATE TEMP TABLE new_count AS
    SELECT c.t, c.is_day, c.domain, c.host, c.outcome, x.reason,
	MIN(c.c1, x.t1) - MAX(c.c1 - c.n, x.t1 - x.n) AS n
    FROM old_count AS c JOIN old_text AS x ON x.day = c.g_day AND
	x.domain = c.domain AND x.direction = c.direction AND
	x.reply = c.reply AND x.enhanced = c.enhanced
    WHERE c.cls IN (4, 5) AND x.t1 > c.c1 - c.n AND x.t1 - x.n < c.c1;
INSERT INTO new_count
    SELECT c.t, c.is_day, c.domain, c.host, c.outcome, 1,
	c.n - CASE WHEN c.cls IN (4, 5) THEN
	    MAX(0, MIN(c.c1, coalesce(g.tot, 0)) - (c.c1 - c.n)) ELSE 0 END
    FROM old_count AS c LEFT JOIN old_text_total AS g ON g.day = c.g_day AND
	g.domain = c.domain AND g.direction = c.direction AND
	g.reply = c.reply AND g.enhanced = c.enhanced;
DELETE FROM new_count WHERE n <= 0;

DROP TABLE count_hour;
DROP TABLE count_day;
DROP TABLE reason_day;
DROP TABLE total_hour;
DROP TABLE total_day;
DROP TABLE domain_month;
DROP TABLE domain_total;

CREATE TABLE count_hour (
	hour		INTEGER NOT NULL,
	domain		INTEGER NOT NULL REFERENCES domain(id),
	host		INTEGER NOT NULL REFERENCES host(id),
	outcome		INTEGER NOT NULL REFERENCES outcome(id),
	reason		INTEGER NOT NULL REFERENCES reason(id),
	n		INTEGER NOT NULL CHECK (n > 0),
	PRIMARY KEY (hour, domain, host, outcome, reason)
) WITHOUT ROWID;
CREATE TABLE count_day (
	day		INTEGER NOT NULL,
	domain		INTEGER NOT NULL REFERENCES domain(id),
	host		INTEGER NOT NULL REFERENCES host(id),
	outcome		INTEGER NOT NULL REFERENCES outcome(id),
	reason		INTEGER NOT NULL REFERENCES reason(id),
	n		INTEGER NOT NULL CHECK (n > 0),
	hours		BLOB,
	PRIMARY KEY (day, domain, host, outcome, reason)
) WITHOUT ROWID;
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
CREATE TABLE domain_month (
	domain		INTEGER NOT NULL REFERENCES domain(id),
	month		INTEGER NOT NULL,
	outcome		INTEGER NOT NULL REFERENCES outcome(id),
	reason		INTEGER NOT NULL REFERENCES reason(id),
	n		INTEGER NOT NULL CHECK (n >= 0),
	PRIMARY KEY (domain, month, outcome, reason)
) WITHOUT ROWID;
CREATE TABLE domain_total (
	domain		INTEGER NOT NULL REFERENCES domain(id),
	outcome		INTEGER NOT NULL REFERENCES outcome(id),
	reason		INTEGER NOT NULL REFERENCES reason(id),
	n		INTEGER NOT NULL CHECK (n >= 0),
	PRIMARY KEY (domain, outcome, reason)
) WITHOUT ROWID;

INSERT INTO count_hour SELECT t, domain, host, outcome, reason, SUM(n)
    FROM new_count WHERE is_day = 0 GROUP BY 1, 2, 3, 4, 5
    ORDER BY 1, 2, 3, 4, 5;
INSERT INTO count_day SELECT t, domain, host, outcome, reason, SUM(n), NULL
    FROM new_count WHERE is_day = 1 GROUP BY 1, 2, 3, 4, 5
    ORDER BY 1, 2, 3, 4, 5;
INSERT INTO total_hour SELECT hour, host, outcome, reason, SUM(n)
    FROM count_hour GROUP BY 1, 2, 3, 4;
INSERT INTO total_day SELECT day, host, outcome, reason, SUM(n)
    FROM count_day GROUP BY 1, 2, 3, 4;
INSERT INTO domain_month SELECT domain,
	CAST(strftime('%s', t, 'unixepoch', 'start of month') AS INTEGER),
	outcome, reason, SUM(n)
    FROM new_count GROUP BY 1, 2, 3, 4;
INSERT INTO domain_total SELECT domain, outcome, reason, SUM(n)
    FROM domain_month GROUP BY 1, 2, 3;

DROP TABLE temp.old_count;
DROP TABLE temp.old_text;
DROP TABLE temp.old_text_total;
DROP TABLE temp.new_count;
