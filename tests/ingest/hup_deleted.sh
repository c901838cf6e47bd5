#!/bin/sh
# Issue 12 item 3: a reload that changes the follow list keeps every
# generation it still follows.  The writer keeps appending to its file
# after it was rotated and deleted (only our descriptor holds it); a
# SIGHUP then adds another file.  Every line the writer recorded is
# counted (trial exp/hup_deleted.sh: 1,440 of 4,000 with the reload).
. "$(dirname "$0")/common.sh"
ingest_init

LOG=$T/mail.log
: > "$LOG"
: > "$T/other.log"
printf 'follow = postfix:%s\n' "$LOG" > "$T/cur.conf"
FOLLOW="-f $T/cur.conf"
daemon_start
write_bg -c 4000 -l 500 -m keep -t held -r "$T/rec" "$LOG"
W=$WPID
# Some of the writer's lines are counted before the file is rotated and
# deleted (the writer keeps it open and writes on), and the daemon has
# seen the rotation before the reload.
wait_counted 200 30
mv "$LOG" "$LOG.1"
rm "$LOG.1"
: > "$LOG"
wait_log "tail $LOG: (rotated|gone)" 30
printf 'follow = postfix:%s\nfollow = postfix:%s\n' "$LOG" "$T/other.log" \
    > "$T/cur.conf"
kill -HUP "$DPID"
writer_wait "$W" 60
wait_total "$(rec_total "$T/rec")" 30
daemon_stop
grep -q "following $T/other.log" "$DLOG" || soft_fail "the reload did not happen"
check_counts "$T/rec" || soft_fail "counts differ after the reload"
finish
