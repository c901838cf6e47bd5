#!/bin/sh
# The daemon's own retention (audit 5.3): retention_days folds the hours
# older than it into days (a day row without its hours), keep_days
# deletes the days older than it (smtptallyd.conf(5)), and no count of
# what is kept moves.  Three files:
# lines of 10 days ago, of 2 days ago and of now.  A first --oneshot with
# the defaults keeps the hours of every line; a second one with
# --retention-days 1 --keep-days 3, with nothing new to read, must leave
# exactly the lines of 2 days ago (as days only) and of now, key for key.
. "$(dirname "$0")/common.sh"
ingest_init

now=$(date +%s)
old=$((now - 10 * 86400))
mid=$((now - 2 * 86400))
write_lines -T "$old" -c 300 -t o -r "$T/rec.old" "$T/old.log"
write_lines -T "$mid" -c 300 -t m -r "$T/rec.mid" "$T/mid.log"
write_lines -c 300 -t n -r "$T/rec.new" "$T/new.log"
follow "postfix:$T/old.log"
follow "postfix:$T/mid.log"
follow "postfix:$T/new.log"

daemon_oneshot
check_counts "$T/rec.old" "$T/rec.mid" "$T/rec.new" ||
    fail "counts differ before any retention"
# The hours of a day: hour rows, or a day row that keeps its hours (the
# store folds days before yesterday into such rows).
hours_of_mid()
{
	db_sql "SELECT (SELECT count(*) FROM count_hour WHERE hour >=
	    $((mid - mid % 86400)) AND hour < $((mid - mid % 86400 + 86400))) +
	    (SELECT count(*) FROM count_day WHERE day = $((mid - mid % 86400))
	    AND hours IS NOT NULL);"
}
hourly=$(hours_of_mid)
[ "${hourly:-0}" -gt 0 ] ||
    fail "test too weak: the lines of 2 days ago have no hours yet"

FOLLOW="$FOLLOW --retention-days 1 --keep-days 3"
daemon_oneshot
# A day without its hours counts at its midnight (UTC): the record of 2
# days ago with each hour moved to its day.
awk '$2 != "-" { $10 -= $10 % 86400 } { print }' "$T/rec.mid" > "$T/rec.midday"
check_counts "$T/rec.midday" "$T/rec.new" ||
    soft_fail "retention_days 1, keep_days 3: the days 10 days old should be gone, the rest kept"
hourly=$(hours_of_mid)
[ "${hourly:-x}" = 0 ] ||
    soft_fail "the day of 2 days ago still has its hours ($hourly rows) with retention_days 1"
finish
