#!/usr/bin/env bash
# bench/distinct.sh: the worst case for memory -- a Postfix log of N
# delivery attempts (default 1,000,000), each to its own recipient domain,
# and every second one with a reply text of its own (letters, so that the
# reason normaliser, which masks digits, keeps them apart: N/2 distinct
# texts).  Prints smtptallyd --oneshot's wall time, peak RSS and database
# size, and checks the total against N.
#   usage: bench/distinct.sh [N]       (BUILD, BENCH_DIR as for catchup.sh)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
N=${1:-1000000}
log=$BENCH_DIR/distinct-$N.log
db=$BENCH_DIR/distinct-$N.db
mkdir -p "$BENCH_DIR"
build smtptallyd tests/dbtool || die "build failed"
daemon=$(daemon_path)
if [ ! -s "$log" ]; then
	# Letters for a number: base 26, a..z.
	awk -v n="$N" 'function w(x,  s) { s = ""; do { s = s sprintf("%c", 97 + x % 26); x = int(x / 26) } while (x > 0); return s }
	BEGIN {
		for (i = 0; i < n; i++) {
			t = 1764547200 + int(i / 20);	# 20 a second from Dec 1 2025
			s = strftime("%b %e %H:%M:%S", t, 1);
			d = "d" w(i) ".example";
			if (i % 2 == 0)
				r = "status=bounced (host mx." d "[192.0.2.1] said: 550 5.7.1 rejected by policy " w(i) " " w(i + 7) " (in reply to RCPT TO command))";
			else
				r = "status=sent (250 2.0.0 Ok: queued as ABC)";
			printf "%s mx postfix/smtp[%d]: 4F%07X: to=<u@%s>, relay=mx.%s[192.0.2.1]:25, delay=1, delays=0/0/0/1, dsn=%s, %s\n", s, 1000 + i % 5000, i, d, d, (i % 2 == 0 ? "5.7.1" : "2.0.0"), r
		}
	}' > "$log"
fi
rm -f "$db" "$db"-* "$db".lock
echo "distinct-domain catch-up: $N attempts to $N domains, $((N / 2)) reply texts"
echo "machine: $(machine)"
TZ=UTC timed "$daemon" --oneshot --db "$db" --socket "$BENCH_DIR/distinct.sock" \
    --rules "$SRCDIR/etc/smtptally.rules" --follow "postfix:$log" ||
    die "smtptallyd failed: $(tail -1 "$BENCH_DIR/last.err")"
got=$("$BUILD/tests/dbtool" sql "$db" "SELECT sum(n) FROM counts")
echo "| log | bytes | wall s | peak RSS MiB | database MB | counted |"
echo "|---|---:|---:|---:|---:|---|"
echo "| distinct-$N | $(fsize "$log") | $T | $(awk -v k="$RSS" 'BEGIN{printf "%.1f", k/1024}') | $(awk -v b="$(fsize "$db")" 'BEGIN{printf "%.0f", b/1e6}') | $got of $N |"
[ "$got" = "$N" ] || die "counted $got, expected $N"
