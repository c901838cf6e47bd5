#!/bin/sh
# A rotation while the daemon looks at the directory at start-up (found
# by the sanitizer soak: 164,908 lines counted for 160,029).  The daemon
# lists the siblings and opens the live file, then logrotate renames the
# live file to mail.log.1 and creates a new one: checked by name, the
# stored generation's bytes now "differ" (the name holds the new file),
# so it was taken for a file rewritten while we were away and read again
# from 0.  The daemon must see that the directory changed, look again,
# resume the generation under its new name and read the new file from 0.
# The SMTPTALLY_SLEEP test hook holds it 3 s after its first look; the
# test rotates while it holds the live file open.  Counts from the
# writer's record.
. "$(dirname "$0")/common.sh"
ingest_init
have_hooks || skip "needs ./configure --enable-test-hooks"

LOG=$T/mail.log
follow "postfix:$LOG"
write_lines -c 3000 -s 1 -t a -r "$T/rec" "$LOG"
daemon_oneshot
check_counts "$T/rec" || fail "counts differ before the restart"
# Written while the daemon was down: the stored generation goes on.
write_lines -c 2000 -s 100000 -t b -r "$T/rec" "$LOG"

env SMTPTALLY_SLEEP=resume_looked:3000 "$SMTPTALLYD" --foreground \
    --db "$DB" --socket "$SOCK" --oneshot $FOLLOW >> "$DLOG" 2>&1 &
P=$!
track "$P"
# The first look holds the live file open while the hook sleeps.
n=0
until ls -l "/proc/$P/fd" 2>/dev/null | grep -q -- "-> $LOG\$"; do
	n=$((n + 1))
	[ $n -le 200 ] || fail "the daemon never opened $LOG"
	alive "$P" || fail "the daemon exited before its first look"
	sleep 0.05
done
mv "$LOG" "$LOG.1"
write_lines -c 1000 -s 200000 -t c -r "$T/rec" "$LOG"
wait_exit "$P" 120 || fail "--oneshot did not finish in 120 s"
[ "$STATUS" -eq 0 ] || fail "--oneshot exit status $STATUS"

check_counts "$T/rec" || soft_fail "counts differ after the rotation"
say "total $(db_total) for $(rec_total "$T/rec") written"
grep 'was truncated and rewritten' "$DLOG" &&
    soft_fail "the rotated generation was taken for a rewritten file"
grep -q 'changed while we looked at it; looking again' "$DLOG" ||
    soft_fail "the rotation did not happen during the look (test too weak)"
finish
