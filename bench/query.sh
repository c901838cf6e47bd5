#!/bin/bash
# bench/query.sh: query latencies of issue 4, through the daemon's socket.
#
# usage: bench/query.sh [ROWS_PER_HOUR]        (default 1000)
#        RETAIN=90 bench/query.sh              (hours older than 90 days
#                                               rolled into days first)
#
# Builds (once) a database of 365 days of hourly buckets ending at the
# current hour, for 20,000 recipient domains spread by a Zipf-like law
# (log-uniform ranks: P(rank <= r) = ln r / ln 20000), ROWS_PER_HOUR keys per
# hour (domain x status x reply x enhanced), directly with sqlite3 in the
# schema of sql/schema.sql, and its roll-up tables (schema version 2) from
# those rows.  Then starts smtptallyd on it (retention RETAIN days, default
# 400, so the year stays hourly; with RETAIN=90 the daemon rolls older
# hours into days at start, as a long-running one would have) and times
# with curl --unix-socket:
#   GET /v1/summary?since=30d&by=class            (target <= 50 ms)
#   GET /v1/domains?since=365d&top=10             (target <= 200 ms)
# and a few more (/metrics, a domain filter, a 7-day top list).
# 1 warm-up and 10 measured requests each; median and max.  As a reference
# it also times the plain SQL aggregates with the sqlite3 shell.

set -u
. "$(dirname "$0")/lib.sh"

K=${1:-1000}
NDOM=20000
DAYS=365
RETAIN=${RETAIN:-400}
if [ "$RETAIN" -ge 400 ]; then
	db=$BENCH_DIR/query-$K.db
else
	db=$BENCH_DIR/query-$K-r$RETAIN.db
fi
sock=$BENCH_DIR/query.sock
mkdir -p "$BENCH_DIR"

now=$(date +%s)
h1=$(( now - now % 3600 + 3600 ))	# end: after the current hour
h0=$(( h1 - DAYS * 86400 ))

make_db() {
	local t0 t1
	rm -f "$db" "$db"-*
	say "building $db: $DAYS days x 24 h x $K keys"
	t0=$(now_ns)
	sqlite3 "$db" <"$SRCDIR/sql/schema.sql" || die "schema failed"
	sqlite3 "$db" >/dev/null <<EOF || die "fill failed"
PRAGMA journal_mode = OFF;
PRAGMA synchronous = OFF;
BEGIN;
INSERT INTO host (id, name) VALUES (1, 'mx1');
WITH RECURSIVE i(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM i WHERE n < $NDOM)
INSERT INTO domain (id, name)
SELECT n, CASE n
	WHEN 1 THEN 'gmail.com' WHEN 2 THEN 'outlook.com'
	WHEN 3 THEN 'hotmail.com' WHEN 4 THEN 'yahoo.com'
	WHEN 5 THEN 'icloud.com' WHEN 6 THEN 'gmx.de'
	ELSE printf('dom%05d.example', n) END FROM i;
WITH RECURSIVE
	hr(h) AS (SELECT $h0 UNION ALL SELECT h + 3600 FROM hr WHERE h + 3600 < $h1),
	k(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM k WHERE i + 1 < $K),
	x AS (SELECT h, i,
		((h / 3600) * 2654435761 + i * 40503 + 12345) % 1000003 AS r1,
		((h / 3600) * 40503 + i * 2654435761 + 777) % 100 AS r2
		FROM hr, k)
INSERT INTO count_hour (hour, domain, host, mta, direction, kind, status,
    reply, enhanced, n)
SELECT h, min($NDOM, max(1, CAST(pow($NDOM.0, r1 / 1000003.0) AS INTEGER))),
	1, 'postfix', 'out', 'attempt',
	CASE WHEN r2 < 85 THEN 'sent' WHEN r2 < 97 THEN 'deferred'
	     ELSE 'bounced' END,
	CASE WHEN r2 < 85 THEN 250 WHEN r2 < 88 THEN 421 WHEN r2 < 90 THEN 450
	     WHEN r2 < 94 THEN 451 WHEN r2 < 95 THEN 452 WHEN r2 < 97 THEN 0
	     WHEN r2 < 99 THEN 550 ELSE 554 END,
	CASE WHEN r2 < 85 THEN '2.0.0' WHEN r2 < 88 THEN '4.7.0'
	     WHEN r2 < 90 THEN '4.2.1' WHEN r2 < 94 THEN '4.7.1'
	     WHEN r2 < 95 THEN '4.2.2' WHEN r2 < 97 THEN '4.4.1'
	     WHEN r2 < 99 THEN '5.1.1' ELSE '5.7.1' END,
	1 + r1 % 5
FROM x WHERE true
ON CONFLICT DO UPDATE SET n = n + excluded.n;
-- The roll-ups, as the daemon's store keeps them (store.c's fill SQL).
INSERT INTO total_hour SELECT hour, host, mta, direction, kind, status,
    reply, enhanced, sum(n) FROM count_hour GROUP BY 1, 2, 3, 4, 5, 6, 7, 8;
INSERT INTO domain_month SELECT domain,
    CAST(strftime('%s', hour, 'unixepoch', 'start of month') AS INTEGER),
    direction, kind,
    CASE WHEN reply != 0 THEN reply / 100
	WHEN enhanced != '' THEN CAST(substr(enhanced, 1, 1) AS INTEGER)
	WHEN status IN ('sent', 'deliverable') THEN 2
	WHEN status = 'deferred' THEN 4 ELSE 5 END,
    sum(n), sum(CASE WHEN status = 'sent' THEN n ELSE 0 END),
    sum(CASE WHEN status = 'deferred' THEN n ELSE 0 END),
    sum(CASE WHEN status IN ('bounced', 'rejected') THEN n ELSE 0 END)
FROM count_hour GROUP BY 1, 2, 3, 4, 5;
INSERT INTO domain_total SELECT domain, direction, kind, class, sum(n),
    sum(sent), sum(deferred), sum(bounced) FROM domain_month
    GROUP BY 1, 2, 3, 4;
COMMIT;
PRAGMA journal_mode = WAL;
ANALYZE;
EOF
	t1=$(now_ns)
	say "built in $(secs "$t0" "$t1") s"
}

[ -s "$db" ] || make_db
rows=$(sqlite3 "$db" "SELECT count(*) FROM count_hour")
doms=$(sqlite3 "$db" "SELECT count(DISTINCT domain) FROM count_hour")
echo "query benchmark"
echo "machine: $(machine)"
last=$(sqlite3 "$db" "SELECT max(hour) + 3600 FROM count_hour")
echo "database: $db, $(fsize "$db") bytes, $rows hourly rows, $doms domains, $DAYS days to $(date -u -d "@$last" +%Y-%m-%dT%H:%MZ), retention $RETAIN days"

# Reference: the bare aggregates in the sqlite3 shell (no daemon, no JSON).
ref() {
	local t0 t1 i ts=()
	for i in 1 2 3 4; do
		t0=$(now_ns)
		sqlite3 "$db" "$1" >/dev/null
		t1=$(now_ns)
		[ $i -gt 1 ] && ts+=("$(secs "$t0" "$t1")")
	done
	median "${ts[@]}"
}
s30=$(( now - 30 * 86400 )) s365=$(( now - 365 * 86400 ))
echo "reference, sqlite3 shell (process start included), median of 3:"
echo "  summary 30 d by reply:  $(ref "SELECT reply, sum(n) FROM count_hour WHERE hour >= $s30 - $s30 % 3600 AND kind = 'attempt' GROUP BY reply") s"
echo "  top-10 domains 365 d:   $(ref "SELECT domain, sum(n) AS t FROM count_hour WHERE hour >= $s365 - $s365 % 3600 AND kind = 'attempt' GROUP BY domain ORDER BY t DESC LIMIT 10") s"

daemon=$(daemon_path)
if [ -z "$daemon" ]; then
	echo "through the socket: not measured (smtptallyd not built yet)"
	exit 0
fi
: >"$BENCH_DIR/query-empty.log"
rm -f "$sock"
"$daemon" -d --db "$db" --socket "$sock" --retention-days "$RETAIN" \
    --follow "postfix:$BENCH_DIR/query-empty.log" \
    2>"$BENCH_DIR/query.daemon.err" &
dpid=$!
for i in $(seq 1200); do
	[ -S "$sock" ] && break
	sleep 0.1
done
[ -S "$sock" ] || { kill $dpid 2>/dev/null; die "no socket: $(tail -3 "$BENCH_DIR/query.daemon.err")"; }

# Time one URL: 1 warm-up, 10 measured; print median and max in ms.
q() {
	local url=$1 i ts=() code
	code=$(curl -s -o "$BENCH_DIR/query.body" -w '%{http_code}' \
	    --unix-socket "$sock" "http://localhost$url")
	for i in $(seq 10); do
		ts+=("$(curl -s -o /dev/null -w '%{time_total}' \
		    --unix-socket "$sock" "http://localhost$url")")
	done
	printf '  %-40s HTTP %s  median %s ms  max %s ms  (%s)\n' "$url" "$code" \
	    "$(median "${ts[@]}" | awk '{ printf "%.1f", $1 * 1000 }')" \
	    "$(printf '%s\n' "${ts[@]}" | sort -g | tail -1 | awk '{ printf "%.1f", $1 * 1000 }')" \
	    "$(head -c 120 "$BENCH_DIR/query.body" | tr '\n' ' ')"
}
echo "through the socket (curl time_total):"
q "/v1/summary?since=30d&by=class"
q "/v1/domains?since=365d&top=10"
q "/v1/summary?since=365d&by=day"
q "/v1/domains?since=7d&top=10"
q "/v1/summary?since=30d&domain=gmail.com&by=class"
q "/metrics"
echo "targets: summary 30 d <= 50 ms, top-10 domains 365 d <= 200 ms"
kill -TERM $dpid
wait $dpid 2>/dev/null
