#!/bin/sh
# bench/stall.sh: does a slow query delay ingest?  (issue 11 target 4)
#
# The daemon follows a log written at RATE lines/s (bench/stall, which
# also times each line from its write to its commit, polling the database
# every 5 ms) with --commit-interval 100.  From second 10 to second 30 a
# client keeps 16 requests that each take 4 s (the SMTPTALLY_SLEEP test
# hook, so the build is configured with --enable-test-hooks) in flight,
# burst after burst.  Printed: write-to-commit latency (p50, p99, max) of
# the lines written before, during and after; the delay a slow query
# causes is the "during" figure less the "before" one.  Not a test.
#
#   bench/stall.sh            # RATE=1000, BUILD=/tmp/b-stall
set -u
SRCDIR=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-/tmp/b-stall}
BENCH_DIR=${BENCH_DIR:-/tmp/bench}
RATE=${RATE:-1000}
W=$BENCH_DIR/stall
say() { printf '%s\n' "$*" >&2; }
die() { say "bench: $*"; exit 1; }

if [ ! -f "$BUILD/Makefile" ]; then
	(cd "$SRCDIR" && { test -x configure || autoreconf -fi; }) ||
	    die "autoreconf failed"
	mkdir -p "$BUILD" && (cd "$BUILD" && "$SRCDIR/configure" -q \
	    --enable-test-hooks) || die "configure failed"
fi
grep -q '^#define SMTPTALLY_TEST_HOOKS 1' "$BUILD/config.h" ||
    die "$BUILD is not configured with --enable-test-hooks"
make -C "$BUILD" -j2 -s smtptallyd tests/serve/hammer bench/stall >&2 ||
    die "build failed"
D=$BUILD/smtptallyd
[ -x "$D" ] || D=$BUILD/src/smtptallyd

rm -rf "$W"
mkdir -p "$W" || die "mkdir $W"
SMTPTALLY_SLEEP=/v1/domains:4000 "$D" -d --db "$W/db" --socket "$W/sock" \
    --follow "postfix:$W/mail.log" --commit-interval 100 \
    > "$W/daemon.log" 2>&1 &
DPID=$!
trap 'kill $DPID 2>/dev/null' EXIT
i=0
while [ ! -S "$W/sock" ]; do
	i=$((i + 1)); [ $i -gt 100 ] && die "daemon did not start"
	sleep 0.1
done

T0=$(date +%s%3N)
"$BUILD/bench/stall" "$W/mail.log" "$W/db" "$RATE" 40 > "$W/lat" \
    2> "$W/stall.err" &
SPID=$!
sleep 10
S0=$(date +%s%3N)
bursts=0
while [ $(( $(date +%s%3N) - S0 )) -lt 20000 ]; do
	"$BUILD/tests/serve/hammer" "$W/sock" parallel 16 /v1/domains 30 \
	    >> "$W/slow.out" 2>&1
	bursts=$((bursts + 1))
done
S1=$(date +%s%3N)
wait $SPID || die "stall: $(cat "$W/stall.err")"
kill $DPID
wait $DPID 2>/dev/null
trap - EXIT

lat() {	# lat FROM_MS TO_MS LABEL: latency figures of lines written then
	awk -v a="$1" -v b="$2" '$1 >= a && $1 < b { print $2 }' "$W/lat" |
	    sort -n | awk -v l="$3" '{ v[++n] = $1 }
	END {
		if (n == 0) { print l ": no lines"; exit }
		printf "%-28s %6d lines  p50 %4d ms  p99 %4d ms  max %4d ms\n",
		    l, n, v[int(n * 0.50) + 1], v[int(n * 0.99) + 1], v[n]
	}'
}
echo "stall.sh: $RATE lines/s, commit interval 100 ms, $(nproc) cores," \
    "load $(cut -d' ' -f1-3 /proc/loadavg)"
lat "$T0" "$S0" "before (no queries)"
lat "$S0" "$S1" "16 x 4 s queries in flight"
lat "$S1" 99999999999999 "after"
echo "slow bursts: $bursts; answers: $(awk '/^ok=/ { split($1, a, "=");
    split($2, b, "="); ok += a[2]; busy += b[2] } END {
    print ok " served, " busy " refused (503)" }' "$W/slow.out")"
