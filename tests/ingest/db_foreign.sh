#!/bin/sh
# Another process writes the daemon's database (issue 10 item 9; the
# audit's coverage hole 9).  (A) It holds the write lock for longer than
# the daemon's 5 s busy timeout, as a backup or an admin's sqlite3 might:
# the commit fails with "database is locked", said once, nothing counted
# meanwhile, and once the lock is gone every line is counted exactly once.
# (B) It moves a committed offset under the running daemon: the next
# commit must be refused ("stale") and the daemon exit non-zero, without
# committing the counts that went with it.
. "$(dirname "$0")/common.sh"
ingest_init

# --- (A) a foreign write lock ------------------------------------------
LOG=$T/mail.log
follow "postfix:$LOG"
write_lines -c 2000 -t a -r "$T/rec" "$LOG"
daemon_start
wait_live "$(rec_total "$T/rec")" 60
before=$(db_total)

# sqlite3 runs each line as it comes: the lock is held during the sleep.
{
	echo "BEGIN IMMEDIATE;"
	echo "SELECT 'locked';"
	sleep 15
	echo "COMMIT;"
} | sqlite3 "$DB" > "$T/lock.out" 2>&1 &
LPID=$!
track "$LPID"
n=0
until grep -q locked "$T/lock.out" 2>/dev/null; do
	n=$((n + 1))
	[ "$n" -le 100 ] || fail "sqlite3 did not take the lock: $(cat "$T/lock.out")"
	sleep 0.1
done
say "a foreign sqlite3 holds the write lock for 15 s"
write_lines -c 2000 -s 10001 -t b -r "$T/rec" "$LOG"
wait_log 'commit failed.*locked' 30
during=$(db_total)
[ "$during" = "$before" ] ||
    fail "counts moved from $before to $during while the database was locked"
alive "$DPID" || fail "the daemon died on a locked database"
wait_exit "$LPID" 30 || fail "the foreign sqlite3 did not end"
wait_log 'commits work again' 60
wait_live "$(rec_total "$T/rec")" 60
nlog=$(grep -c 'commit failed' "$DLOG")
[ "$nlog" -eq 1 ] || soft_fail "the failure was logged $nlog times, not once"
daemon_stop
daemon_oneshot
check_counts "$T/rec" || soft_fail "counts differ after the lock was released"
check_offsets "$T" 1 || soft_fail "offset invariant broken"

# --- (B) an offset moved under the daemon --------------------------------
daemon_start
wait_caught_up 60
kept=$(db_counts)
sqlite3 "$DB" ".timeout 20000" \
    "UPDATE source SET offset = offset - 1 WHERE path = '$LOG';" ||
    fail "could not move the offset"
write_lines -c 500 -s 20001 -t c -r "$T/rec.c" "$LOG"
wait_exit "$DPID" 60 || fail "the daemon still runs 60 s after its offset moved"
say "daemon exit status $STATUS"
[ "$STATUS" -ne 0 ] || soft_fail "the daemon exited 0 on a stale offset"
[ "$STATUS" -ne 137 ] && [ "$STATUS" -lt 128 ] ||
    soft_fail "the daemon died by a signal ($STATUS), not by choice"
grep -q 'stale' "$DLOG" || soft_fail "the daemon's log does not say stale"
grep 'stale' "$DLOG" | head -n 1
DPID=
[ "$(db_counts)" = "$kept" ] ||
    soft_fail "counts changed with the refused commit"
finish
