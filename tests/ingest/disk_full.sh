#!/bin/sh
# Scenario 8 (issue 3): disk full on the database's filesystem.  The
# database lives on a 2 MB tmpfs made by the test; a ballast file fills
# it while lines with many new keys arrive.  Progress must stop (the
# counts do not move and the daemon stays up), and once the ballast is
# removed every line is counted exactly once.
. "$(dirname "$0")/common.sh"
ingest_init

[ "$(id -u)" -eq 0 ] || skip "needs root to mount a tmpfs"
mkdir -p "$T/dbfs"
mount -t tmpfs -o size=2m tmpfs "$T/dbfs" 2>/dev/null ||
    skip "cannot mount a tmpfs"
MOUNTED=$T/dbfs
DB=$T/dbfs/tally.db
LOG=$T/mail.log
follow "postfix:$LOG"
write_lines -c 5000 -t f -r "$T/rec" "$LOG"
daemon_start
wait_live "$(rec_total "$T/rec")" 60
before=$(db_total)
say "counted $before events; filling the filesystem"
dd if=/dev/zero of="$T/dbfs/ballast" bs=4096 2>/dev/null
sync
say "free on the database filesystem: $(df -k "$T/dbfs" | awk 'NR==2 {print $4}') KiB"

# Many new domains and keys: the commit needs new pages.
write_lines -c 20000 -s 100001 -b 200 -d 10 -t g -r "$T/rec" "$LOG"
want=$(rec_total "$T/rec")
wait_log 'commit failed \(disk full\)' 60
full1=$(db_total)
sleep 3		# retries at 1 and 2 s of back-off: none may commit
full2=$(db_total)
say "while full: $full1 then $full2 of $want events"
alive "$DPID" || fail "the daemon died on a full disk"
[ "$full1" = "$full2" ] || fail "counts moved while the disk was full"
[ "$full2" -lt "$want" ] ||
    fail "everything was committed although the disk was full (test too weak?)"

rm -f "$T/dbfs/ballast"
say "ballast removed"
# the next retry comes within the longest back-off (30 s)
wait_log 'commits work again' 90
wait_live "$want" 90
alive "$DPID" || fail "the daemon died after space came back"
daemon_stop
daemon_oneshot
check_counts "$T/rec" || soft_fail "counts differ after the disk was full"
check_offsets "$T" 1 || soft_fail "offset invariant broken"
# Logged once per state change, not once per retry.
nlog=$(grep -c -i -E 'disk full|disk is full|no space' "$T/daemon.log")
say "daemon log lines about the full disk: $nlog"
grep -i -E 'disk full|disk is full|no space' "$T/daemon.log" | head -n 5
[ "$nlog" -ge 1 ] || soft_fail "the daemon did not log the full disk"
[ "$nlog" -le 4 ] || soft_fail "the daemon logged the full disk $nlog times"
finish
