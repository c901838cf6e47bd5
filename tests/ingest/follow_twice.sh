#!/bin/sh
# Issue 12 item 2: one file followed under two names.  A symlink, another
# spelling (dir//mail.log) and a hard link are refused by -n and at start
# (exit 1, both names in the message); a hard link made while the daemon
# runs is read under one name only.  Expected counts from the writer's
# record (trial exp/follow_twice.sh: 2,000 counted for 1,000 lines, and
# -n said ok).
. "$(dirname "$0")/common.sh"
ingest_init

LOG=$T/mail.log
write_lines -c 1000 -t twice -r "$T/rec" "$LOG"
ln -s mail.log "$T/maillog"
ln "$LOG" "$T/hard.log"
for other in "$T/maillog" "$T//mail.log" "$T/hard.log"; do
	if "$SMTPTALLYD" -n --db "$DB" --socket "$SOCK" \
	    --follow "postfix:$LOG" --follow "postfix:$other" \
	    > "$T/n.out" 2>&1; then
		soft_fail "-n accepts $LOG and $other"
	elif ! grep -q "same file" "$T/n.out"; then
		soft_fail "-n refuses $other without saying why: $(cat "$T/n.out")"
	fi
	if "$SMTPTALLYD" --foreground --oneshot --db "$DB" --socket "$SOCK" \
	    --follow "postfix:$LOG" --follow "postfix:$other" \
	    >> "$DLOG" 2>&1; then
		soft_fail "the daemon follows $LOG and $other"
	fi
done
[ "$(db_total)" -eq 0 ] || soft_fail "counted $(db_total) although refused"
rm -f "$T/hard.log" "$T/maillog"

# Made a twin while running: counted once.
follow "postfix:$LOG"
follow "postfix:$T/hard.log"
daemon_start
wait_live "$(rec_total "$T/rec")" 60
ln "$LOG" "$T/hard.log"
wait_log "the same file as" 30
write_lines -c 1000 -s 5000 -t twice -r "$T/rec" "$LOG"
wait_total "$(rec_total "$T/rec")" 30
wait_caught_up 30	# a double count would come from reading on
daemon_stop
check_counts "$T/rec" || soft_fail "counts differ with a hard link"
grep -q "same file as" "$DLOG" || soft_fail "no word about the hard link"
finish
