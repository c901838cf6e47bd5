#!/bin/bash
# bench/query.sh: query latencies through the daemon's socket (issue 4's
# targets, kept by issue 11: summary over 30 days <= 50 ms, top-10 domains
# over a year <= 200 ms).
#
# usage: bench/query.sh [PER_HOUR]      (deliveries an hour, default 1500)
#
# Builds (once) a database of 365 days ending at the current hour with
# bench/dbsize.sh (20,000 domains by a Zipf law, the store's own commit
# and fold, so the older days are folded as a running daemon leaves
# them), starts smtptallyd on it and times with curl --unix-socket, one
# warm-up and 10 measured requests each, median and max.
set -u
. "$(dirname "$0")/lib.sh"

K=${1:-1500}
DAYS=365
db=$BENCH_DIR/query-$K.db
sock=$BENCH_DIR/query.sock
mkdir -p "$BENCH_DIR"
now=$(date +%s)
if [ ! -s "$db" ]; then
	say "building $db: $DAYS days, $K deliveries an hour"
	START=$(( now - DAYS * 86400 )) DB=$db \
	    bash "$(dirname "$0")/dbsize.sh" "$DAYS" "$K" 20000 >&2 ||
	    die "dbsize.sh failed"
fi
echo "database: $db, $(fsize "$db") bytes, $(sqlite3 "$db" 'SELECT count(*) FROM count_hour') hour rows, $(sqlite3 "$db" 'SELECT count(*) FROM count_day') day rows"
echo "machine: $(machine)"

daemon=$(daemon_path)
[ -n "$daemon" ] || die "smtptallyd not built"
: >"$BENCH_DIR/query-empty.log"
rm -f "$sock"
"$daemon" -d --db "$db" --socket "$sock" \
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
	printf '| `%s` | %s | %s | %s |\n' "$url" "$code" \
	    "$(median "${ts[@]}" | awk '{ printf "%.1f", $1 * 1000 }')" \
	    "$(printf '%s\n' "${ts[@]}" | sort -g | tail -1 | awk '{ printf "%.1f", $1 * 1000 }')"
}
echo "| request | HTTP | median ms | max ms |"
echo "|---|---:|---:|---:|"
q "/v1/summary?since=30d&by=class"
q "/v1/domains?since=365d&top=10"
q "/v1/summary?since=365d&by=day"
q "/v1/domains?since=7d&top=10"
q "/v1/summary?since=30d&domain=d0.example&by=class"
q "/v1/summary?since=30d&by=category"
q "/metrics"
echo "targets: summary 30 d <= 50 ms, top-10 domains 365 d <= 200 ms"
kill -TERM $dpid
wait $dpid 2>/dev/null
