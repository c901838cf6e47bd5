#!/bin/sh
# Issue 12, item 9: a database the daemon may not write is refused at
# start with a message that says what to fix, instead of being opened
# read-only and every commit failing.  The daemon runs as nobody (root
# may write any file) on a database file made read-only.  Before the fix
# it started, and the wait below timed out.
. "$(dirname "$0")/common.sh"
ingest_init

[ "$(id -u)" -eq 0 ] || skip "needs root to run the daemon as nobody"
command -v setpriv >/dev/null 2>&1 || fail "no setpriv (util-linux)"
LOG=$T/mail.log
write_lines -c 100 -t a -r "$T/rec" "$LOG"
chmod 0755 "$T"
chmod 0644 "$LOG"
mkdir "$T/state"
chown nobody "$T/state"
run_nobody()
{
	setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups \
	    "$SMTPTALLYD" --foreground --db "$T/state/tally.db" \
	    --socket "$T/state/sock" --follow "postfix:$LOG" "$@" \
	    >> "$DLOG" 2>&1
}
run_nobody --oneshot || fail "the first --oneshot as nobody failed"
chmod 0444 "$T/state/tally.db"
run_nobody &
p=$!
track "$p"
wait_exit "$p" 30 || fail "the daemon started on a read-only database"
[ "$STATUS" -ne 0 ] || fail "exit status 0 on a read-only database"
grep -q 'read-only' "$DLOG" || fail "the message does not say read-only"
grep 'read-only' "$DLOG" | head -n 1
finish
