-- Schema 4 -> 5: domain_month and domain_total hold the counts of folded
-- days only (count_day); the hours still in count_hour are added by the
-- queries that read the roll-ups.  The commit then writes one row per
-- key instead of three, and the fold adds a day's sums once.
DELETE FROM domain_month;
DELETE FROM domain_total;
INSERT INTO domain_month SELECT domain,
	CAST(strftime('%s', day, 'unixepoch', 'start of month') AS INTEGER),
	outcome, reason, SUM(n)
    FROM count_day GROUP BY 1, 2, 3, 4;
INSERT INTO domain_total SELECT domain, outcome, reason, SUM(n)
    FROM domain_month GROUP BY 1, 2, 3;
