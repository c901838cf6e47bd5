#!/bin/sh
# Issue 12 item 6: the log and the database on one full filesystem.
# While commits fail the daemon must not hold the rotated log the
# operator deletes to make room (trial exp/tmpfs_full.sh: the space came
# back only when the daemon stopped); once commits work it finds its
# generations again from the committed state, and every line the writer
# recorded is counted.
. "$(dirname "$0")/common.sh"
ingest_init

[ "$(id -u)" -eq 0 ] || skip "needs root to mount a tmpfs"
mkdir -p "$T/fs"
mount -t tmpfs -o size=6m tmpfs "$T/fs" 2>/dev/null ||
    skip "cannot mount a tmpfs"
MOUNTED=$T/fs
DB=$T/fs/tally.db
LOG=$T/fs/mail.log
follow "postfix:$LOG"
write_lines -c 2000 -t a -r "$T/rec" "$LOG"
daemon_start
wait_live "$(rec_total "$T/rec")" 60
mv "$LOG" "$LOG.1"
write_lines -c 100 -s 10000 -t b -r "$T/rec" "$LOG"
wait_live "$(rec_total "$T/rec")" 30

# Stopped, so that the new lines wait for a commit that will fail.
kill -STOP "$DPID"
write_lines -c 3000 -s 20000 -b 200 -d 10 -t c -r "$T/rec" "$LOG"
dd if=/dev/zero of="$T/fs/ballast" bs=4096 2>/dev/null
kill -CONT "$DPID"
n=0
until grep -q "commit failed" "$DLOG"; do
	n=$((n + 1))
	[ "$n" -lt 100 ] || fail "no failed commit on a full filesystem"
	sleep 0.1
done
sleep 2
used1=$(df -k "$T/fs" | awk 'NR == 2 { print $3 }')
rm -f "$LOG.1"
sleep 2
held=$(ls -l "/proc/$DPID/fd" 2>/dev/null | grep -c "mail.log.1 (deleted)")
used2=$(df -k "$T/fs" | awk 'NR == 2 { print $3 }')
say "used ${used1}k, after deleting mail.log.1 ${used2}k; held deleted: $held"
[ "$held" -eq 0 ] || soft_fail "the daemon holds the deleted mail.log.1"
[ "$used2" -lt "$used1" ] || soft_fail "deleting mail.log.1 freed nothing"
alive "$DPID" || fail "the daemon died on a full filesystem"

rm -f "$T/fs/ballast"
wait_live "$(rec_total "$T/rec")" 90
daemon_stop
check_counts "$T/rec" || soft_fail "counts differ after the full filesystem"
finish
