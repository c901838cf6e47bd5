#!/bin/sh
# Forced commits at a small --max-keys, in the daemon (issue 10 item 9;
# the audit's coverage hole 9): with 64 counters in memory and lines that
# make thousands of keys, the daemon must commit each time the tally is
# full, and a SIGKILL between those commits and a restart must still end
# with every line counted once.  Lines come from two files at once, so a
# full tally stops both in the middle of their reads.
. "$(dirname "$0")/common.sh"
ingest_init

KEYS="--max-keys 64"
write_lines -c 6000 -b 50 -d 10 -t k -r "$T/rec" "$T/mail.log"
write_lines -F exim -c 4000 -s 100001 -b 50 -d 10 -t x -r "$T/rec.x" \
    "$T/mainlog"
follow "postfix:$T/mail.log"
follow "exim:$T/mainlog"
FOLLOW="$FOLLOW $KEYS"
keys=$(rec_counts "$T/rec" "$T/rec.x" | wc -l)
say "$keys keys for 64 counters"
[ "$keys" -gt 1000 ] || fail "test too weak: only $keys keys"

# Killed once some of the forced commits have landed.
daemon_start
wait_counted 2001 60
say "SIGKILL at $(db_total) events"
daemon_kill
daemon_start
wait_live "$(rec_total "$T/rec" "$T/rec.x")" 120
daemon_stop
daemon_oneshot
check_counts "$T/rec" "$T/rec.x" || soft_fail "counts differ"
check_offsets "$T" 2 || soft_fail "offset invariant broken"
grep -i -E 'warn|error' "$DLOG" | grep -v 'rules' | head -n 5
finish
