-- Schema 1 -> 2: the roll-up tables, filled from the counts (schema 4
-- rebuilds them in its own shape).  The class is st_class(), which the
-- store registers as event_class().
CREATE TABLE total_hour (hour INTEGER NOT NULL, host INTEGER NOT NULL
    REFERENCES host(id), mta TEXT NOT NULL, direction TEXT NOT NULL,
    kind TEXT NOT NULL, status TEXT NOT NULL, reply INTEGER NOT NULL,
    enhanced TEXT NOT NULL, n INTEGER NOT NULL CHECK (n >= 0),
    PRIMARY KEY (hour, host, mta, direction, kind, status, reply,
    enhanced)) WITHOUT ROWID;
CREATE TABLE total_day (day INTEGER NOT NULL, host INTEGER NOT NULL
    REFERENCES host(id), mta TEXT NOT NULL, direction TEXT NOT NULL,
    kind TEXT NOT NULL, status TEXT NOT NULL, reply INTEGER NOT NULL,
    enhanced TEXT NOT NULL, n INTEGER NOT NULL CHECK (n >= 0),
    PRIMARY KEY (day, host, mta, direction, kind, status, reply,
    enhanced)) WITHOUT ROWID;
CREATE TABLE domain_month (domain INTEGER NOT NULL REFERENCES domain(id),
    month INTEGER NOT NULL, direction TEXT NOT NULL, kind TEXT NOT NULL,
    class INTEGER NOT NULL, n INTEGER NOT NULL CHECK (n >= 0),
    sent INTEGER NOT NULL CHECK (sent >= 0),
    deferred INTEGER NOT NULL CHECK (deferred >= 0),
    bounced INTEGER NOT NULL CHECK (bounced >= 0),
    PRIMARY KEY (domain, month, direction, kind, class)) WITHOUT ROWID;
CREATE TABLE domain_total (domain INTEGER NOT NULL REFERENCES domain(id),
    direction TEXT NOT NULL, kind TEXT NOT NULL, class INTEGER NOT NULL,
    n INTEGER NOT NULL CHECK (n >= 0),
    sent INTEGER NOT NULL CHECK (sent >= 0),
    deferred INTEGER NOT NULL CHECK (deferred >= 0),
    bounced INTEGER NOT NULL CHECK (bounced >= 0),
    PRIMARY KEY (domain, direction, kind, class)) WITHOUT ROWID;
INSERT INTO total_hour SELECT hour, host, mta, direction, kind, status,
    reply, enhanced, sum(n) FROM count_hour GROUP BY 1, 2, 3, 4, 5, 6, 7, 8;
INSERT INTO total_day SELECT day, host, mta, direction, kind, status,
    reply, enhanced, sum(n) FROM count_day GROUP BY 1, 2, 3, 4, 5, 6, 7, 8;
INSERT INTO domain_month SELECT domain,
    CAST(strftime('%s', t, 'unixepoch', 'start of month') AS INTEGER),
    direction, kind, st_class(reply, enhanced, status), sum(n),
    sum(CASE WHEN status = 'sent' THEN n ELSE 0 END),
    sum(CASE WHEN status = 'deferred' THEN n ELSE 0 END),
    sum(CASE WHEN status IN ('bounced', 'rejected') THEN n ELSE 0 END)
    FROM (SELECT hour AS t, * FROM count_hour UNION ALL
	SELECT day AS t, * FROM count_day)
    GROUP BY 1, 2, 3, 4, 5;
INSERT INTO domain_total SELECT domain, direction, kind, class, sum(n),
    sum(sent), sum(deferred), sum(bounced) FROM domain_month
    GROUP BY 1, 2, 3, 4;
