-- Schema 5 -> 6: delivery-delay histograms (issue 16).  Until now the
-- parser's delays were thrown away, so there is nothing to carry over:
-- the tables start empty and fill from the next commit on.
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
