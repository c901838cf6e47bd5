#!/bin/sh
# SIGTERM during a catch-up (issue 12, the trial's scenario 25): the
# daemon commits what it read and exits without reading the rest of the
# backlog first, three times in a row; a last run reads the rest, and the
# counts equal the writer's record.  Before the loop polled between read
# passes, the signal waited for the backlog's end: the first stop left
# the committed offset at the file's size.
. "$(dirname "$0")/common.sh"
ingest_init

LOG=$T/mail.log
follow "postfix:$LOG"
# About 230 MB: longer to read than the time between "started" and the
# signal, on any machine this suite runs on.
"$WRITER" -c 1000000 -t backlog -r "$T/rec" "$LOG" > /dev/null ||
    fail "writer"
size=$(wc -c < "$LOG")
say "backlog: $size bytes, $(rec_total "$T/rec") deliveries"

for k in 1 2 3; do
	daemon_start
	daemon_stop
	off=$(db_sql "SELECT coalesce(max(offset), 0) FROM source;")
	say "stop $k: committed offset $off of $size"
	[ "$off" -lt "$size" ] ||
	    soft_fail "stop $k: the whole backlog was read before exiting"
done
grep -q 'signal 15: committing and exiting' "$DLOG" ||
    soft_fail "the daemon never said it was stopping on SIGTERM"
daemon_oneshot
check_counts "$T/rec" || soft_fail "counts differ from the writer's record"
finish
