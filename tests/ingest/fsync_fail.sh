#!/bin/sh
# Issue 12, item 9: an fsync that fails.  After a failed fsync the kernel
# may have dropped the pages SQLite believes written, so the daemon must
# not retry on the same connection: it exits (non-zero, with a message
# that says why) and a restart goes on from the offsets committed with
# the counts.  fsync(2)/fdatasync(2) fail with EIO through the LD_PRELOAD
# shim tests/failsync.so while $T/fail exists.  Before the fix the daemon
# logged "commit failed" and retried for ever (the wait below failed).
. "$(dirname "$0")/common.sh"
ingest_init

SHIM=$top_builddir/tests/failsync.so
[ -f "$SHIM" ] || fail "no shim at $SHIM (make check builds it)"
LOG=$T/mail.log
follow "postfix:$LOG"
write_lines -c 3000 -t a -r "$T/rec" "$LOG"
# ASan wants its runtime first; the shim only wraps two libc calls.
daemon_start LD_PRELOAD="$SHIM" FAILSYNC_FLAG="$T/fail" \
    FAILSYNC_LOG="$T/sync.log" ASAN_OPTIONS=verify_asan_link_order=0
wait_live "$(rec_total "$T/rec")" 60
say "counted $(db_total) events; fsync fails from now on"

: > "$T/fail"
write_lines -c 2000 -s 3001 -t b -r "$T/rec" "$LOG"
wait_exit "$DPID" 60 || fail "the daemon kept running 60 s after fsync failed"
say "daemon exit status $STATUS"
[ "$STATUS" -ne 0 ] || fail "the daemon exited 0 after a failed fsync"
[ -s "$T/sync.log" ] || fail "no fsync failed (test too weak?)"
say "failed sync calls: $(wc -l < "$T/sync.log")"
grep -q 'failed to write the database' "$DLOG" ||
    fail "the daemon's log does not say why it stopped"
grep 'failed to write the database' "$DLOG" | head -n 1
DPID=

# The restart (by the service manager in production) counts the rest
# exactly once.
rm -f "$T/fail"
daemon_oneshot
check_counts "$T/rec" || fail "counts differ after the fsync failure"
check_offsets "$T" 1 || fail "offset invariant broken"
finish
