#!/bin/sh
# Scenario 10 (issue 3, acceptance 3): a second daemon on the same database
# and socket refuses to start with a clear message and a non-zero exit,
# and the first one still answers on its socket and goes on counting
# exactly.
. "$(dirname "$0")/common.sh"
ingest_init

LOG=$T/mail.log
follow "postfix:$LOG"
write_lines -c 1000 -t a -r "$T/rec" "$LOG"
daemon_start
FIRST=$DPID
wait_live "$(rec_total "$T/rec")" 30

say "starting a second daemon on the same database"
"$SMTPTALLYD" --foreground --db "$DB" --socket "$SOCK" $FOLLOW \
    > "$T/second.out" 2> "$T/second.err" &
SECOND=$!
track "$SECOND"
if ! wait_exit "$SECOND" 10; then
	kill -KILL "$SECOND"
	fail "the second daemon was still running after 10 s"
fi
[ "$STATUS" -ne 0 ] || fail "the second daemon exited 0"
[ "$STATUS" -ne 137 ] || fail "the second daemon was killed (status 137)"
msg=$(cat "$T/second.err" "$T/second.out")
[ -n "$msg" ] || fail "the second daemon said nothing"
say "second daemon: status $STATUS: $msg"
echo "$msg" | grep -i -q -E 'already|running|lock|in use|busy' ||
    fail "the message does not say why: $msg"
alive "$FIRST" || fail "the first daemon died"
# the refused daemon must not have taken the first one's socket
daemon_status | grep -q '"lines_total":' ||
    fail "the first daemon no longer answers on $SOCK"

# The first one still works and nothing was counted twice.
write_lines -c 1000 -s 1001 -t a -r "$T/rec" "$LOG"
wait_live "$(rec_total "$T/rec")" 30
daemon_stop
daemon_oneshot
check_counts "$T/rec" || fail "counts differ"
finish
