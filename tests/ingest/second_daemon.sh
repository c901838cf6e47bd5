#!/bin/sh
# Scenario 10 (issue 3, acceptance 3): a second daemon on the same database
# and socket refuses to start with a clear message and a non-zero exit,
# and the first one still answers on its socket and goes on counting
# exactly.  So does one on another name of the same database, with a
# socket of its own (issue 12 item 13, trial row 33): a symlink to the
# file, a symlinked directory, "dir/./db", "dir//db" and a hard link.
# Before the lock was named after the file's real path, the symlinked
# names started (and died at their first commit, or ran on).
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

# second_on NAME PATTERN: a daemon on database name NAME, with a socket
# of its own, must refuse at once, saying PATTERN (extended regex).
second_on()
{
	rm -f "$T/s2.sock"
	"$SMTPTALLYD" --foreground --db "$1" --socket "$T/s2.sock" $FOLLOW \
	    > "$T/second.out" 2> "$T/second.err" &
	_p=$!
	track "$_p"
	if ! wait_exit "$_p" 10; then
		kill -KILL "$_p"
		fail "a daemon on $1 was still running after 10 s"
	fi
	_m=$(cat "$T/second.err" "$T/second.out")
	[ "$STATUS" -ne 0 ] || fail "a daemon on $1 exited 0: $_m"
	echo "$_m" | grep -q -E "$2" ||
	    fail "a daemon on $1 did not refuse for its lock: $_m"
	say "refused on $1: $_m"
	alive "$FIRST" || fail "the first daemon died (second on $1)"
}

dbdir=$(dirname "$DB")
dbname=$(basename "$DB")
ln -s "$DB" "$T/alias.db"
ln -s "$dbdir" "$T/dirlink"
locked="another smtptallyd \(pid $FIRST\) holds"
second_on "$T/alias.db" "$locked"
second_on "$T/dirlink/$dbname" "$locked"
second_on "$dbdir/./$dbname" "$locked"
second_on "$dbdir//$dbname" "$locked"
ln "$DB" "$T/hard.db"
second_on "$T/hard.db" "hard links"
rm -f "$T/hard.db"
[ ! -e "$T/alias.db-wal" ] || fail "a second WAL file next to the symlink"

# The first one still works and nothing was counted twice.
write_lines -c 1000 -s 1001 -t a -r "$T/rec" "$LOG"
wait_live "$(rec_total "$T/rec")" 30
daemon_stop
daemon_oneshot
check_counts "$T/rec" || fail "counts differ"
finish
