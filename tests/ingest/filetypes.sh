#!/bin/sh
# Issue 12 item 7: a FIFO at the followed path or named like a rotated
# sibling must not block the daemon (trial exp/filetypes.sh: --oneshot
# hung in open(2), SIGTERM was ignored); anything but a regular file is
# refused with a log line, a directory at the path too (and, at the
# followed path, makes --oneshot exit 1).  Counts from the writer's record.
. "$(dirname "$0")/common.sh"
ingest_init

# --oneshot over the follow list, bounded: 0 or the exit status.
oneshot20()
{
	"$SMTPTALLYD" --foreground --oneshot --backfill --db "$DB" \
	    --socket "$SOCK" $FOLLOW >> "$DLOG" 2>&1 &
	_p=$!
	track "$_p"
	if ! wait_exit "$_p" 20; then
		kill -KILL "$_p"
		wait_exit "$_p" 5
		return 124
	fi
	return "$STATUS"
}

LOG=$T/mail.log
write_lines -c 300 -t ft -r "$T/rec" "$LOG"
mkfifo "$LOG.pipe"
follow "postfix:$LOG"
oneshot20 || soft_fail "a FIFO sibling: --oneshot status $?"
grep -q "mail.log.pipe is a FIFO" "$DLOG" || soft_fail "no word about the FIFO"
check_counts "$T/rec" || soft_fail "a FIFO sibling: counts differ"

# The followed path is a FIFO, or a directory: said, and no hang.
mkfifo "$T/fifo.log"
mkdir "$T/dir.log"
FOLLOW=
follow "postfix:$T/fifo.log"
follow "postfix:$T/dir.log"
# They are errors (issue 15): --oneshot exits 1, after reading the rest.
oneshot20
rc=$?
[ "$rc" -eq 1 ] || soft_fail "a FIFO and a directory followed: status $rc"
grep -q "fifo.log: is a FIFO" "$DLOG" || soft_fail "no word about fifo.log"
grep -q "dir.log: is a directory" "$DLOG" || soft_fail "no word about dir.log"

# Running: a FIFO named like a sibling, then a rotation.
FOLLOW=
follow "postfix:$LOG"
daemon_start
write_bg -c 2000 -s 10000 -l 1000 -R 700 -t run -r "$T/rec" "$LOG"
W=$WPID
writer_wait "$W" 60
wait_live "$(rec_total "$T/rec")" 30
kill -TERM "$DPID"
wait_exit "$DPID" 10 || soft_fail "SIGTERM ignored for 10 s"
DPID=
check_counts "$T/rec" || soft_fail "running: counts differ"
finish
