#!/bin/sh
# Issue 13, "a corrupted journal file": while the daemon is down an
# archived journal file is damaged (a run of its bytes overwritten, as a
# crash or a bad disk leaves it), and journald goes on writing new files.
# The daemon must start, read what sd-journal can still read, not crash,
# never count an entry twice, and count every entry written after the
# damage exactly once (those are in files that are whole: their record is
# the oracle; the damaged file's entries are only bounded from above).

. "$top_srcdir/tests/journal/common.sh"

journal_init
jd_ensure
follow "journal:$JNS"

jw -c 2000 -s 1 -t x -r "$T/rec1"
daemon_oneshot
check_counts "$T/rec1" || fail "first run"
jctl --rotate >/dev/null 2>&1 || fail "journalctl --rotate"
jw -c 3000 -s 10001 -t y -r "$T/rec2"
jctl --rotate >/dev/null 2>&1 || fail "journalctl --rotate"
# the file holding the "y" entries: the newest archived one
f=$(ls -t /var/log/journal/*."$JNS"/system@*.journal | head -n 1)
[ -n "$f" ] || fail "test bug: no archived journal file"
size=$(stat -c %s "$f")
say "damaging $(basename "$f") ($size bytes) in its second half"
dd if=/dev/urandom of="$f" bs=4096 seek=$((size / 4096 * 2 / 3)) count=8 \
    conv=notrunc 2>/dev/null || fail "dd"
jw -c 2000 -s 20001 -t z -r "$T/rec3"

daemon_oneshot
# whole files: the first run's entries and those after the damage, once
WORK=$T/z
mkdir -p "$WORK"
rec_counts "$T/rec1" "$T/rec3" > "$WORK/expected"
db_counts | awk '$2 !~ /^y-/' > "$WORK/actual"
cmp -s "$WORK/expected" "$WORK/actual" ||
    { diff "$WORK/expected" "$WORK/actual" | head; fail "whole files' counts"; }
# the damaged file: never more than was written
y=$(db_counts_sql "SELECT coalesce(sum(n), 0) FROM counts
    WHERE domain LIKE 'y-%';")
want=$(rec_total "$T/rec2")
say "damaged file: $y of $want deliveries counted"
[ "$y" -le "$want" ] || fail "the damaged file gave $y > $want events"
# and a second start counts nothing again
before=$(db_total)
daemon_oneshot
[ "$(db_total)" = "$before" ] || fail "a restart counted again"
finish
