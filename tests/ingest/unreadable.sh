#!/bin/sh
# Issue 15, D6: a followed path that does not exist, cannot be read
# (mode 000, the daemon not root) or is a directory is an error: --oneshot
# exits 1 and says what to do, `smtptally status` lists the path as ERROR
# with the reason and exits 1, `smtptally check` is CRITICAL, /metrics
# has smtptally_follow_errors, and the
# running daemon still picks each file up once it can be read (counts
# exact against the writer's record).  Before the fix --oneshot exited 0
# on a missing path and on a directory, and status said "caught up" with
# an empty table.  The daemon runs as nobody, so root is needed.
. "$(dirname "$0")/common.sh"
ingest_init

CLIENT=$top_builddir/smtptally
[ -x "$CLIENT" ] || skip "no client at $CLIENT"
[ "$(id -u)" -eq 0 ] || skip "needs root to run the daemon as nobody"
command -v setpriv >/dev/null 2>&1 || fail "no setpriv (util-linux)"
chmod 0755 "$T"
mkdir "$T/state"
chown nobody "$T/state"
SOCK=$T/state/sock
DB=$T/state/tally.db

# As nobody: smtptallyd --foreground on the state directory, arguments
# after.
as_nobody()
{
	setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups \
	    "$SMTPTALLYD" --foreground --db "$T/state/tally.db" \
	    --socket "$SOCK" "$@"
}

GOOD=$T/good.log
MISSING=$T/later/mail.log
LOCKED=$T/locked.log
DIR=$T/dir.log
write_lines -c 200 -t good -r "$T/rec" "$GOOD"
write_lines -c 150 -s 500 -t locked -r "$T/rec.locked" "$LOCKED"
chmod 0644 "$GOOD"
chmod 0000 "$LOCKED"
mkdir "$DIR"

# --oneshot: 0 on the readable file alone, 1 on each path in error, with
# the reason and what to do in the log.
as_nobody --oneshot --follow "postfix:$GOOD" >> "$DLOG" 2>&1 ||
    soft_fail "--oneshot on a readable file: status $?"
oneshot_case()
{
	: > "$T/one.log"
	as_nobody --oneshot --follow "postfix:$GOOD" --follow "postfix:$1" \
	    > "$T/one.log" 2>&1
	_rc=$?
	cat "$T/one.log" >> "$DLOG"
	[ "$_rc" -eq 1 ] || soft_fail "--oneshot with $1: status $_rc, not 1"
	grep -q -F "tail $1: $2" "$T/one.log" ||
	    soft_fail "--oneshot with $1 does not say \"$2\": $(cat "$T/one.log")"
	grep -q "cannot be read" "$T/one.log" ||
	    soft_fail "--oneshot with $1: no closing word"
}
oneshot_case "$MISSING" "does not exist"
oneshot_case "$DIR" "is a directory"
oneshot_case "$LOCKED" "cannot be read by user nobody (permission denied"
grep -q "run smtptallyd as a user that can read it" "$T/one.log" ||
    soft_fail "the permission message says nothing of what to do"

# Running: all four followed; three errors in status and check.
setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups \
    "$SMTPTALLYD" --foreground --db "$T/state/tally.db" --socket "$SOCK" \
    --follow "postfix:$GOOD" --follow "postfix:$MISSING" \
    --follow "postfix:$LOCKED" --follow "postfix:$DIR" >> "$DLOG" 2>&1 &
DPID=$!
track "$DPID"
wait_log "smtptallyd: started: 4 file" 30
wait_total "$(rec_total "$T/rec")" 30 || soft_fail "the good file not read"

# Wait until status names n paths in error (the daemon publishes them on
# its next look, within a second or so).
wait_errors()
{
	_n=0
	until daemon_status | grep -q "\"follow_errors\":$1[,}]"; do
		alive "$DPID" || fail "the daemon died: $(tail -n 3 "$DLOG")"
		_n=$((_n + 1))
		[ "$_n" -le 300 ] || fail "status never had $1 errors:" \
		    "$(daemon_status)"
		sleep 0.1
	done
}
wait_errors 3
"$CLIENT" -s "$SOCK" status --wide > "$T/status.out" 2>&1
rc=$?
cat "$T/status.out"
[ "$rc" -eq 1 ] || soft_fail "status exit $rc with 3 paths in error, not 1"
for p in "$MISSING" "$LOCKED" "$DIR"; do
	grep -q "^ERROR .* $p\$" "$T/status.out" ||
	    soft_fail "status has no ERROR row for $p"
done
grep -q -F "$MISSING: does not exist" "$T/status.out" ||
    soft_fail "status does not say $MISSING does not exist"
grep -q -F "$LOCKED: cannot be read by user nobody" "$T/status.out" ||
    soft_fail "status does not say why $LOCKED cannot be read"
grep -q -F "$DIR: is a directory" "$T/status.out" ||
    soft_fail "status does not say $DIR is a directory"
grep -q "PROBLEM: 3 followed paths cannot be read" "$T/status.out" ||
    soft_fail "status has no PROBLEM line for 3 paths"
grep -q "caught up" "$T/status.out" && soft_fail "status says caught up"
metrics=$(curl -s -m 10 --unix-socket "$SOCK" http://localhost/metrics)
echo "$metrics" | grep -q '^smtptally_follow_errors 3$' ||
    soft_fail "/metrics: $(echo "$metrics" | grep follow_errors)"
"$CLIENT" -s "$SOCK" check > "$T/check.out" 2>&1
rc=$?
cat "$T/check.out"
[ "$rc" -eq 2 ] || soft_fail "check exit $rc with paths in error, not 2"
for p in "$MISSING" "$LOCKED" "$DIR"; do
	grep -q -F "$p:" "$T/check.out" || soft_fail "check does not name $p"
done

# Repaired one by one (each file made aside, then renamed into place):
# each is read, the errors go away.
mkdir "$T/aside" "$(dirname "$MISSING")"
write_lines -c 120 -s 1000 -t later -r "$T/rec" "$T/aside/later"
chmod 0644 "$T/aside/later"
mv "$T/aside/later" "$MISSING"
wait_errors 2
chmod 0644 "$LOCKED"
cat "$T/rec.locked" >> "$T/rec"
wait_errors 1
write_lines -c 80 -s 2000 -t dir -r "$T/rec" "$T/aside/dir"
chmod 0644 "$T/aside/dir"
rmdir "$DIR"
mv "$T/aside/dir" "$DIR"
wait_errors 0
wait_live "$(rec_total "$T/rec")" 30
"$CLIENT" -s "$SOCK" status > "$T/status.out" 2>&1
rc=$?
[ "$rc" -eq 0 ] || soft_fail "status exit $rc once all are read, not 0"
grep -q "ERROR" "$T/status.out" && soft_fail "status still has an ERROR"
curl -s -m 10 --unix-socket "$SOCK" http://localhost/metrics |
    grep -q '^smtptally_follow_errors 0$' ||
    soft_fail "/metrics: follow_errors is not 0 once all are read"
daemon_stop
check_counts "$T/rec" || soft_fail "counts differ after the repairs"
grep -q "tail $LOCKED: opened" "$DLOG" || soft_fail "no word that $LOCKED opened"
finish
