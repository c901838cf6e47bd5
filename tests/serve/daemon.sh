#!/bin/sh
# daemon.sh: the real smtptallyd on its real socket (issue 10 item 4), not
# the test server: what it serves while it ingests, and that serving never
# holds ingest up (issue 11 target 4, issue 12 item 10).
#
#  1. /v1/status and /v1/summary agree with the writer's record (the
#     oracle: lines written, deliveries) once the daemon has caught up.
#  2. 16 requests of 4 s each (the SMTPTALLY_SLEEP test hook) in flight:
#     500 lines written meanwhile are committed (read from the database
#     itself, not through the busy socket) within 3 s of being written,
#     while the slow requests are still running; the watchdog keeps being
#     fed (no gap between WATCHDOG=1 pings as long as WATCHDOG_USEC), and
#     every slow request is answered (200, or 503 with Retry-After).
#     Before the fix each query ran in the event loop: 64 s of nothing.
#  3. A commit that fails (another process holds the write lock past the
#     busy timeout) shows in /v1/status and /metrics as commit_failures;
#     once the lock is gone, every line is counted once.
#  4. SIGHUP with a second followed file: /v1/status lists it and counts
#     its lines.
. "${top_srcdir:-.}/tests/serve/common.sh"
command -v curl >/dev/null 2>&1 || skip "curl not installed"
command -v jq >/dev/null 2>&1 || skip "jq not installed"
command -v python3 >/dev/null 2>&1 || skip "python3 not installed"
[ -x "$HAMMER" ] || fail "$HAMMER not built"
grep -q '^#define SMTPTALLY_TEST_HOOKS 1' "$top_builddir/config.h" ||
    skip "needs ./configure --enable-test-hooks"
SMTPTALLYD=$top_builddir/smtptallyd
[ -x "$SMTPTALLYD" ] || SMTPTALLYD=$top_builddir/src/smtptallyd
WRITER=$top_builddir/tests/writer
[ -x "$SMTPTALLYD" ] || fail "no smtptallyd"
[ -x "$WRITER" ] || fail "no tests/writer"
TZ=UTC
LC_ALL=C
export TZ LC_ALL

# Every line of the record is a line written; a delivery has a domain.
lines_written() { cat "$T"/rec.* 2>/dev/null | wc -l | tr -d ' '; }
deliveries() { cat "$T"/rec.* 2>/dev/null | awk '$2 != "-"' | wc -l |
    tr -d ' '; }
# Lines committed, from the database itself (read-only, no socket).
committed() {
	sqlite3 -readonly "$DB" "SELECT coalesce(sum(lines), 0) FROM source" \
	    2>/dev/null || echo -1
}
# wait_for WHAT SECONDS COMMAND...: until the command's output is "yes".
wait_for() {
	what=$1; lim=$(($2 * 10)); shift 2; n=0
	until [ "$("$@")" = yes ]; do
		n=$((n + 1))
		[ $n -gt $lim ] && fail "$what: not after $((lim / 10)) s"
		sleep 0.1
	done
}
caught_up() {
	[ "$(committed)" = "$(lines_written)" ] && echo yes
}
status() { get /v1/status; }

# sd_notify: record each message with the time it came.
python3 - "$T/notify.sock" "$T/notify.log" <<'PY' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "a") as out:
    while True:
        m = s.recv(4096).decode()
        out.write("%.3f %s\n" % (time.time(), m.replace("\n", " ")))
        out.flush()
        if m.startswith("STOPPING=1"):
            break
PY
NPID=$!
i=0
while [ ! -S "$T/notify.sock" ]; do
	i=$((i + 1)); [ $i -gt 50 ] && fail "notify socket"
	sleep 0.1
done

# The listener settings the daemon wires itself: a socket mode that is
# not the default (0660), a metrics listener on a port the kernel chose
# free, and one domain with its own series.
PORT=$(python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])') || fail "no free port"
# A socket group that is not the daemon's own: as root nogroup, else one
# of our supplementary groups (none: the key is not set).
GROUP=
if [ "$(id -u)" = 0 ]; then
	GROUP=$(getent group nogroup >/dev/null && echo nogroup)
else
	for g in $(id -Gn); do
		[ "$g" = "$(id -gn)" ] || { GROUP=$g; break; }
	done
fi
conf() {
	{
		echo "database = $DB"
		echo "socket = $SOCK"
		echo "socket_mode = 0640"
		[ -z "$GROUP" ] || echo "socket_group = $GROUP"
		echo "metrics_listen = 127.0.0.1:$PORT"
		echo "metrics_top = 1"
		echo "commit_interval = 100ms"
		for f in "$@"; do echo "follow = postfix:$f"; done
	} > "$T/run.conf"
}
conf "$T/a.log"
: > "$T/a.log"
SMTPTALLY_SLEEP=/v1/domains:4000 NOTIFY_SOCKET=$T/notify.sock \
    WATCHDOG_USEC=4000000 "$SMTPTALLYD" -d -f "$T/run.conf" \
    > "$T/testd.log" 2>&1 &
TESTD_PID=$!	# common.sh's cleanup stops it
i=0
while ! grep -q "READY=1" "$T/notify.log" 2>/dev/null; do
	i=$((i + 1)); [ $i -gt 100 ] && fail "daemon not ready: $(cat "$T/testd.log")"
	sleep 0.1
done

# 1. Status and summary from the record.
"$WRITER" -c 2000 -t a -r "$T/rec.1" "$T/a.log" 2>> "$T/writer.log" ||
    fail "writer"
wait_for "caught up" 30 caught_up
s=$(status)
eq "status lines_total" "$(echo "$s" | jq .lines_total)" "$(lines_written)"
eq "status files_total" "$(echo "$s" | jq .files_total)" 1
eq "status file path" "$(echo "$s" | jq -r '.files[0].path')" "$T/a.log"
eq "summary total" "$(get /v1/summary | jq .total)" "$(deliveries)"
eq "socket_mode" "$(stat -c %a "$SOCK")" 640
if [ -n "$GROUP" ]; then
	eq "socket_group" "$(stat -c %G "$SOCK")" "$GROUP"
else
	echo "socket_group not checked: no group to give the socket"
fi
curl -s --max-time 15 "http://127.0.0.1:$PORT/metrics" > "$T/tcp.metrics" ||
    fail "no /metrics on 127.0.0.1:$PORT"
eq "metrics_listen: lines" "$(awk '$1 == "smtptally_lines_total" { print $2 }' \
    "$T/tcp.metrics")" "$(lines_written)"
eq "metrics_top: domains with a series" "$(awk -F'"' \
    '/^smtptally_domain_attempts_total\{/ { d[$2] = 1 }
    END { print length(d) }' "$T/tcp.metrics")" 1

# 2. Slow requests in flight; ingest goes on, the watchdog is fed.
timeout 90 "$HAMMER" "$SOCK" parallel 16 /v1/domains 60 > "$T/par.out" &
PAR=$!
sleep 0.5
start=$(date +%s.%N)
"$WRITER" -c 500 -s 2001 -l 1000 -t a -r "$T/rec.2" "$T/a.log" \
    2>> "$T/writer.log" || fail "writer"
wait_for "500 lines committed while slow queries run" 3 caught_up
kill -0 $PAR 2>/dev/null || fail "the slow requests ended too soon to tell"
pass "500 lines committed within 3 s while 16 slow requests were in flight"
wait $PAR || fail "slow requests: $(cat "$T/par.out")"
end=$(date +%s.%N)
cat "$T/par.out"
gap=$(awk -v a="$start" -v b="$end" '$2 == "WATCHDOG=1" && $1 >= a - 4 &&
    $1 <= b + 4 { if (n++ && $1 - last > m) m = $1 - last; last = $1 }
    END { printf "%d %.1f\n", n, m }' "$T/notify.log")
set -- $gap
[ "$1" -ge 3 ] || fail "only $1 watchdog pings around the slow requests"
awk -v g="$2" 'BEGIN { exit !(g < 4.0) }' ||
    fail "a watchdog gap of $2 s (WATCHDOG_USEC is 4 s)"
pass "watchdog fed: $1 pings, longest gap $2 s"

# 3. A failed commit: hold the write lock past the 5 s busy timeout.
[ "$(status | jq .commit_failures)" = 0 ] || fail "failures before"
( echo "BEGIN IMMEDIATE;"; echo "SELECT 'locked';"; sleep 7
    echo "COMMIT;" ) | sqlite3 "$DB" > "$T/lock.out" 2>&1 &
LOCK=$!
locked() { grep -q locked "$T/lock.out" && echo yes; }
wait_for "sqlite3 holds the write lock" 10 locked
"$WRITER" -c 100 -s 2501 -t a -r "$T/rec.3" "$T/a.log" \
    2>> "$T/writer.log" || fail "writer"
failed() {
	[ "$(status | jq .commit_failures)" -ge 1 ] 2>/dev/null && echo yes
}
wait_for "commit failure in /v1/status" 20 failed
m=$(get /metrics | awk '$1 == "smtptally_commit_failures_total" { print $2 }')
[ "${m:-0}" -ge 1 ] || fail "/metrics commit failures: '$m'"
pass "a failed commit shows in /v1/status and /metrics ($m)"
wait $LOCK
wait_for "caught up after the lock" 30 caught_up
eq "lines after the failed commit" "$(status | jq .lines_total)" \
    "$(lines_written)"
eq "summary after the failed commit" "$(get /v1/summary | jq .total)" \
    "$(deliveries)"

# 4. Reload with a second file.
"$WRITER" -c 300 -t b -r "$T/rec.4" "$T/b.log" 2>> "$T/writer.log" ||
    fail "writer"
conf "$T/a.log" "$T/b.log"
kill -HUP "$TESTD_PID"
two_files() {
	[ "$(status | jq '[.files[].path] | sort | join(" ")' -r)" = \
	    "$T/a.log $T/b.log" ] && echo yes
}
wait_for "b.log in /v1/status after SIGHUP" 20 two_files
wait_for "b.log counted" 30 caught_up
eq "lines after reload" "$(status | jq .lines_total)" "$(lines_written)"
eq "summary after reload" "$(get /v1/summary | jq .total)" "$(deliveries)"

stop_testd
wait $NPID 2>/dev/null
echo "PASS"
