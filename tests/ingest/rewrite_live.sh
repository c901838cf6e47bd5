#!/bin/sh
# Issue 12 item 1: a followed log rewritten in place while the daemon runs
# (same inode, O_TRUNC and a refill with more bytes than were read, as
# `cat new > mail.log` does).  The reader must see that the bytes before
# its offset changed and read the new content once from its start: the
# old lines and the new ones each counted once (trial exp/rewrite_live.sh:
# 10,068 counted for 7,000).
. "$(dirname "$0")/common.sh"
ingest_init

LOG=$T/mail.log
follow "postfix:$LOG"
write_lines -c 2000 -t old -r "$T/rec" "$LOG"
ino=$(stat -c %i "$LOG")
daemon_start
wait_live "$(rec_total "$T/rec")" 60
write_lines -c 5000 -s 100000 -t new -r "$T/rec" "$T/new.log"
cat "$T/new.log" > "$LOG"
[ "$(stat -c %i "$LOG")" = "$ino" ] || fail "test bug: the inode changed"
say "rewritten in place: $(stat -c %s "$LOG") bytes"
wait_total "$(rec_total "$T/rec")" 30
wait_caught_up 30	# a double count would come from reading on
daemon_stop
check_counts "$T/rec" || soft_fail "counts differ after the rewrite"
finish
