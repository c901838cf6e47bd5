#!/bin/sh
# A corrupt .gz (issue 10 item 9; the audit's coverage hole 8): a
# generation the daemon had read 1,000 lines of is compressed while it is
# down, and the .gz is damaged after its first member, which holds lines
# 1-2000 intact (gzip -dc gives them back; the damage is where lines
# 5001-6000 were, an invalid deflate block).  The daemon must count lines
# 1001-2000 once, say which file is damaged, and count nothing it could
# not read (the record of lines 5001-6000 is kept apart) nor anything
# twice.
. "$(dirname "$0")/common.sh"
ingest_init
command -v gzip >/dev/null 2>&1 || skip "no gzip"

D=$T
mkdir -p "$D/log"
LOG=$D/log/mail.log
follow "postfix:$LOG"
write_lines -c 1000 -t db -r "$D/rec" "$LOG"
daemon_start
wait_live "$(rec_total "$D/rec")" 60
daemon_stop
write_lines -c 1000 -s 1001 -t db -r "$D/rec" "$LOG"
good=$(wc -c < "$LOG")
write_lines -c 1000 -s 5001 -t lost -r "$D/rec.lost" "$LOG"
# The generation as logrotate would leave it, but damaged: a first gzip
# member with the lines 1-2000, then a member whose compressed data is
# 0xff bytes (an invalid deflate block type) where lines 5001-6000 were.
head -c "$good" "$LOG" | gzip -1 > "$D/m1.gz"
tail -c +$((good + 1)) "$LOG" | gzip -1 > "$D/m2.gz"
m2=$(wc -c < "$D/m2.gz")
{
	cat "$D/m1.gz"
	head -c 10 "$D/m2.gz"
	head -c $((m2 - 18)) /dev/zero | tr '\000' '\377'
	tail -c 8 "$D/m2.gz"
} > "$D/log/mail.log-20261201000000.gz"
gzip -t "$D/log/mail.log-20261201000000.gz" 2>/dev/null &&
    fail "test bug: the damaged .gz tests as good"
n=$(gzip -dc "$D/log/mail.log-20261201000000.gz" 2>/dev/null | tr -cd '\n' |
    wc -c)
[ "$n" -eq 2000 ] ||
    fail "test bug: gzip -dc gives back $n lines of the damaged .gz, not 2000"
rm "$LOG"
write_lines -c 1000 -s 10001 -t db -r "$D/rec" "$LOG"
daemon_oneshot
WORK=$D check_counts "$D/rec" ||
    soft_fail "counts differ with a corrupt .gz (lines 5001-6000 are" \
    "not readable; $(rec_total "$D/rec.lost") deliveries there)"
grep -q "mail.log-20261201000000.gz" "$DLOG" ||
    soft_fail "the daemon's log does not name the damaged file"
grep "mail.log-20261201000000.gz" "$DLOG" | head -n 3
say "file table: $(db_sql 'SELECT name, offset, lines, lost, state
    FROM source;' | tr '\n' ';')"
finish
