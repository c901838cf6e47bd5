#!/bin/sh
# service.sh: the daemon as a service (issue 5): `smtptallyd -n` on good
# and bad configurations, the command line over the file, SIGHUP adding and
# removing a followed file with exact counts before and after, an invalid
# config refused on SIGHUP, SIGTERM committing what was read, and the
# sd_notify messages (READY, RELOADING, WATCHDOG, STOPPING).
#
# Expected counts are the number of lines this script wrote to each file
# while it was followed; the database is read with sqlite3(1).  Exit 0
# pass, 1 fail, 77 skip.

: "${top_builddir:=.}"
SMTPTALLYD=${SMTPTALLYD:-$top_builddir/smtptallyd}

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; [ -f "$T/daemon.log" ] && tail -n 20 "$T/daemon.log"; exit 1; }
pass() { echo "ok: $*"; }

[ -x "$SMTPTALLYD" ] || fail "$SMTPTALLYD not built"
command -v sqlite3 >/dev/null 2>&1 || skip "sqlite3(1) not installed"
command -v timeout >/dev/null 2>&1 || skip "timeout(1) not installed"

T=$(mktemp -d "${TMPDIR:-/tmp}/smtptally-service.XXXXXX") || fail "mktemp"
PID=
NPID=
cleanup() {
	[ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
	[ -n "$NPID" ] && kill "$NPID" 2>/dev/null && wait "$NPID" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# --- -n ------------------------------------------------------------------
cat > "$T/good.conf" <<CONF
# a good configuration
follow = postfix:$T/a.log
retention_days = 30
CONF
"$SMTPTALLYD" -n -f "$T/good.conf" > "$T/out" 2>&1 ||
    { cat "$T/out"; fail "-n on a good config"; }
[ -s "$T/out" ] && { cat "$T/out"; fail "-n printed on a good config"; }
"$SMTPTALLYD" -n -v -f "$T/good.conf" --retention-days 7 > "$T/out" 2>&1 ||
    fail "-n -v"
grep -qx 'retention_days = 7' "$T/out" || fail "the command line must win"
grep -qx "follow = postfix:$T/a.log" "$T/out" || fail "-n -v follow"
pass "-n on a good config; the command line wins"

printf 'follow = %s\nretention_days = 0\nbogus = 1\nfollow = %s\n' \
    "$T/a.log" "$T/a.log" > "$T/bad.conf"
"$SMTPTALLYD" -n -f "$T/bad.conf" > "$T/out" 2>&1
rc=$?
[ $rc -ne 0 ] || fail "-n on a bad config exits 0"
for want in \
    "$T/bad.conf:2: retention_days: '0' is out of range (1 to 100000)" \
    "$T/bad.conf:3: unknown key 'bogus'" \
    "$T/bad.conf:4: follow: $T/a.log is already followed (line 1)"; do
	grep -qxF "$want" "$T/out" || { cat "$T/out"; fail "missing: $want"; }
done
[ "$(wc -l < "$T/out")" -eq 3 ] || { cat "$T/out"; fail "extra output"; }
"$SMTPTALLYD" -n -f "$T/missing.conf" > "$T/out" 2>&1 &&
    fail "-n with a missing -f file exits 0"
grep -q "missing.conf: No such file or directory" "$T/out" ||
    fail "missing file message"
pass "-n on bad configs: exit $rc, every error with file and line"

# --- SIGHUP and SIGTERM with exact counts --------------------------------
DB=$T/state/db
mkdir "$T/state"
# Deliveries to domain $2, $3 lines, appended to file $1.
deliver() {
	stamp=${4:-$(LC_ALL=C date '+%b %e %H:%M:%S')}
	awk -v s="$stamp" -v d="$2" -v n="$3" 'BEGIN {
		for (i = 0; i < n; i++)
			printf "%s mx1 postfix/smtp[4242]: 4F%06X: " \
			    "to=<u%d@%s>, relay=mx.%s[192.0.2.1]:25, " \
			    "delay=1, delays=0/0/0/1, dsn=2.0.0, status=sent " \
			    "(250 2.0.0 Ok: queued)\n", s, i, i, d, d
	}' >> "$1"
}
count() {
	"$top_builddir/tests/dbtool" sql "$DB" "SELECT coalesce(sum(n), 0)
	    FROM counts WHERE domain = '$1' AND kind = 'attempt';" \
	    2>/dev/null | tail -n 1
}
# Wait (up to 20 s) until domain $1 has exactly $2 attempts.
await() {
	i=0
	while [ "$(count "$1")" != "$2" ]; do
		i=$((i + 1))
		[ $i -gt 200 ] && fail "$1: $(count "$1") attempts, want $2"
		sleep 0.1
	done
}
# The daemon's descriptors of file $1: "fd pos" lines (/proc/PID/fdinfo).
held() {
	for fd in /proc/$PID/fd/*; do
		[ "$(readlink "$fd" 2>/dev/null)" = "$1" ] || continue
		echo "${fd##*/} $(awk '$1 == "pos:" { print $2 }' \
		    "/proc/$PID/fdinfo/${fd##*/}" 2>/dev/null)"
	done
}
# Wait (up to 20 s) until the daemon has read file $1 to its end: its
# descriptor of $1 is at the file's size.
await_read() {
	size=$(wc -c < "$1")
	i=0
	until held "$1" | awk -v s="$size" '$2 >= s { f = 1 } END { exit !f }'
	do
		i=$((i + 1))
		[ $i -gt 200 ] && fail "$1 not read to its end ($size bytes):" \
		    "$(held "$1")"
		sleep 0.1
	done
}
conf() {
	{
		echo "database = $DB"
		echo "socket = ${SOCKET:-$T/sock}"
		echo "commit_interval = ${INTERVAL:-100ms}"
		[ -z "${TIMEZONE:-}" ] || echo "timezone = $TIMEZONE"
		for f in "$@"; do echo "follow = postfix:$f"; done
	} > "$T/run.conf"
}

# sd_notify: a datagram socket that records every message, if python3 is
# here to listen on it.
NOTIFY=
if command -v python3 >/dev/null 2>&1; then
	python3 - "$T/notify.sock" "$T/notify.log" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "a") as out:
    while True:
        m = s.recv(4096).decode()
        out.write(m.replace("\n", " ") + "\n")
        out.flush()
        if m == "STOPPING=1":
            break
PY
	NPID=$!
	i=0
	while [ ! -S "$T/notify.sock" ] && [ $i -lt 50 ]; do
		sleep 0.1; i=$((i + 1))
	done
	NOTIFY=$T/notify.sock
fi

conf "$T/a.log"
deliver "$T/a.log" a.example 100
NOTIFY_SOCKET=$NOTIFY WATCHDOG_USEC=200000 \
    "$SMTPTALLYD" -d -f "$T/run.conf" > "$T/daemon.log" 2>&1 &
PID=$!
await a.example 100
pass "following a.log: 100"

conf "$T/a.log" "$T/b.log"
kill -HUP $PID
deliver "$T/b.log" b.example 50
deliver "$T/a.log" a.example 20
await b.example 50
await a.example 120
grep -q "reload: following $T/b.log" "$T/daemon.log" || fail "add not logged"
pass "SIGHUP added b.log: a 120, b 50"

conf "$T/b.log"
kill -HUP $PID
i=0
until grep -q "reload: released $T/a.log" "$T/daemon.log"; do
	i=$((i + 1)); [ $i -gt 100 ] && fail "remove not logged"; sleep 0.1
done
deliver "$T/a.log" a.example 30
deliver "$T/b.log" b.example 10
await b.example 60
# Released: no descriptor of a.log is left to read the 30 lines with.
[ -z "$(held "$T/a.log")" ] || fail "a.log still open: $(held "$T/a.log")"
[ "$(count a.example)" = 120 ] || fail "a.log still counted after removal"
pass "SIGHUP removed a.log: a stays 120, b 60"

# Followed again: its offset was kept (smtptallyd(8): "counts and offsets
# are kept"), so the 30 lines written while it was released are counted,
# once, and the 120 before them not again.
reloads() { grep -c '^smtptallyd: reloaded' "$T/daemon.log"; }
r=$(reloads)
conf "$T/a.log" "$T/b.log"
kill -HUP $PID
i=0
until [ "$(reloads)" -gt "$r" ]; do
	i=$((i + 1)); [ $i -gt 100 ] && fail "reload adding a.log again"
	sleep 0.1
done
await a.example 150
await_read "$T/a.log"
[ "$(count a.example)" = 150 ] || fail "a: $(count a.example), want 150"
pass "a.log followed again: the 30 lines written meanwhile counted once"
r=$(reloads)
conf "$T/b.log"
kill -HUP $PID
i=0
until [ "$(reloads)" -gt "$r" ]; do
	i=$((i + 1)); [ $i -gt 100 ] && fail "reload releasing a.log"; sleep 0.1
done

echo "bogus = 1" >> "$T/run.conf"
kill -HUP $PID
i=0
until grep -q "reload refused" "$T/daemon.log"; do
	i=$((i + 1)); [ $i -gt 100 ] && fail "bad reload not refused"; sleep 0.1
done
grep -q "reload: $T/run.conf:5: unknown key 'bogus'" "$T/daemon.log" ||
    fail "bad reload: reason not logged"
kill -0 $PID 2>/dev/null || fail "daemon died on a bad reload"
deliver "$T/b.log" b.example 5
await b.example 65
pass "an invalid config is refused on SIGHUP, the old one kept"

# smtptallyd.conf(5): a reload applies timezone.  The same year-less
# stamp (now, written in UTC) is filed under now's UTC hour with
# timezone = UTC, and 5 h 30 min earlier after a reload to +05:30.
hour_of() {
	"$top_builddir/tests/dbtool" sql "$DB" "SELECT DISTINCT hour FROM
	    counts WHERE domain = '$1';" 2>/dev/null | tail -n 1
}
now=$(date +%s)
stamp=$(TZ=UTC0 LC_ALL=C date -d "@$now" '+%b %e %H:%M:%S')
for tz in UTC +05:30; do
	r=$(reloads)
	TIMEZONE=$tz conf "$T/b.log"
	kill -HUP $PID
	i=0
	until [ "$(reloads)" -gt "$r" ]; do
		i=$((i + 1)); [ $i -gt 100 ] && fail "reload to $tz"; sleep 0.1
	done
	d=tz$(echo "$tz" | tr -dc 0-9).example
	deliver "$T/b.log" "$d" 1 "$stamp"
	await "$d" 1
	case $tz in
	UTC) want=$((now - now % 3600)) ;;
	*) t=$((now - 19800)); want=$((t - t % 3600)) ;;
	esac
	got=$(hour_of "$d")
	[ "$got" = "$want" ] || fail "timezone $tz: hour $got, want $want"
done
pass "a reload applies timezone: one stamp, UTC and +05:30 hours"

# Commits only every minute now: the next lines are read but pending.
# The socket changes too, which only a restart applies: the reload says
# so and the daemon keeps the socket it has.
r=$(reloads)
INTERVAL=60s SOCKET=$T/sock2 conf "$T/b.log"
kill -HUP $PID
i=0
until [ "$(reloads)" -gt "$r" ]; do
	i=$((i + 1)); [ $i -gt 100 ] && fail "reload to a 60 s interval"
	sleep 0.1
done
grep -q "reload: socket changed: takes effect at the next start" \
    "$T/daemon.log" || fail "no warning for a key that needs a restart"
[ -S "$T/sock" ] && [ ! -e "$T/sock2" ] ||
    fail "the reload changed the socket: $(ls "$T")"
pass "a reload that changes the socket says it needs a restart, keeps it"
deliver "$T/b.log" b.example 7
# Read (the descriptor is at the end), not committed: SIGTERM commits it.
await_read "$T/b.log"
[ "$(count b.example)" = 65 ] || fail "committed before the interval"
kill -TERM $PID
timeout 5 sh -c "while kill -0 $PID 2>/dev/null; do sleep 0.05; done" ||
    fail "no exit within 5 s of SIGTERM"
wait $PID
rc=$?
PID=
[ $rc -eq 0 ] || fail "exit status $rc after SIGTERM"
[ "$(count b.example)" = 72 ] || fail "b: $(count b.example) after SIGTERM, want 72"
[ "$(count a.example)" = 150 ] || fail "a: $(count a.example), want 150"
pass "SIGTERM committed the pending 7 lines: b 72"

if [ -n "$NOTIFY" ]; then
	wait $NPID
	NPID=
	for m in READY=1 "RELOADING=1 MONOTONIC_USEC=" WATCHDOG=1 \
	    "STATUS=following 1 file(s)" STOPPING=1; do
		grep -q "^$m" "$T/notify.log" ||
		    { cat "$T/notify.log"; fail "no $m"; }
	done
	[ "$(head -n 1 "$T/notify.log")" = READY=1 ] || fail "READY not first"
	pass "sd_notify: READY, RELOADING, STATUS, WATCHDOG, STOPPING"
fi
exit 0
