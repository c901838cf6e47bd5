#!/bin/sh
# Scenario 2 of issue 13: the journal is vacuumed while the daemon is
# down, taking the entry of the committed cursor with it.  The daemon must
# go on after the committed time, report the gap (in the source row, the
# log, /v1/status and /metrics) and count the entries that are left
# exactly once: the expected counts are the first run's record plus the
# record's entries that journalctl still lists (by their JW_SEQ field).

. "$top_srcdir/tests/journal/common.sh"

journal_init
jd_ensure
follow "journal:$JNS"

# 1. Counted while the journal is whole.
jw -c 3000 -s 1 -t v -r "$T/rec1" -N 10 -x 4
daemon_oneshot
check_counts "$T/rec1" || fail "first run"

# 2. Down: four more files of entries, then the oldest files vacuumed.
for k in 1 2 3 4; do
	jctl --rotate >/dev/null 2>&1 || fail "journalctl --rotate"
	jw -c 3000 -s $((k * 3000 + 1)) -t v -r "$T/rec2" -N 10 -x 4
done
jctl --rotate >/dev/null 2>&1 || fail "journalctl --rotate"
jctl --vacuum-files=3 >> "$T/vacuum.log" 2>&1 || fail "journalctl --vacuum-files"
jctl -F JW_SEQ | LC_ALL=C sort -n > "$T/present"
grep -qx 3000 "$T/present" &&
    fail "test bug: the last entry of the first run was not vacuumed"
left=$(awk 'FNR == NR { p[$1] = 1; next } ($1 in p)' "$T/present" \
    "$T/rec2" | tee "$T/rec2.left" | wc -l)
gone=$(( $(wc -l < "$T/rec2") - left ))
say "vacuum left $left of $(wc -l < "$T/rec2") entries of the second run"
[ "$left" -gt 0 ] && [ "$gone" -gt 0 ] ||
    fail "test bug: the vacuum should take some, not all ($gone gone)"

# 3. Up again: the gap is seen, the rest counted once.
daemon_oneshot
check_counts "$T/rec1" "$T/rec2.left" ||
    fail "counts after the vacuum differ from what is left"
row=$(db_sql "SELECT lost, lost_from, lost_until FROM source
    WHERE kind = 'journal';")
say "source row: lost, from, until = $row"
set -- $row
# every entry gone (ours, and the other programs') is one seqnum skipped
[ "$1" -ge "$gone" ] || soft_fail "gap of $1 entries, at least $gone gone"
[ "$2" -gt 0 ] && [ "$3" -ge "$2" ] || soft_fail "gap window $2 .. $3"
grep -q "gap from" "$DLOG" || soft_fail "the log does not report the gap"

# 4. Reported by the live daemon, and nothing counted again.
daemon_start
n=0
until curl -s --unix-socket "$SOCK" http://x/v1/status > "$T/status" &&
    [ -s "$T/status" ]; do
	n=$((n + 1)); [ "$n" -gt 50 ] && fail "no /v1/status"; sleep 0.1
done
jq -e --argjson n "$1" '.journals[0].last_gap.entries_possibly_lost == $n
    and .journals[0].source == "journal:'"$JNS"'"' "$T/status" >/dev/null ||
    soft_fail "/v1/status: $(jq -c .journals "$T/status")"
curl -s --unix-socket "$SOCK" http://x/metrics |
    grep -q "^smtptally_journal_lost_entries_total{source=\"journal:$JNS\"} $1\$" ||
    soft_fail "/metrics lacks the lost entries"
daemon_stop
check_counts "$T/rec1" "$T/rec2.left" || fail "counted again after restart"
finish
