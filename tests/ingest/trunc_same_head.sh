#!/bin/sh
# Issue 12 item 5: truncated while the daemon is down and refilled with
# the same first KiB (six identical lines with a fixed stamp), longer and
# shorter than the committed offset.  The new content must be counted in
# full: the keyed digest of the bytes before the committed offset tells
# it from the file we read (trial exp/trunc_same_head.sh: 3,936 of 6,006
# and all 2,006 new lines lost).  Counts from the writer's records.
. "$(dirname "$0")/common.sh"
ingest_init

run_case()
{
	D=$T/$1
	mkdir -p "$D"
	DB=$D/tally.db
	LOG=$D/mail.log
	FOLLOW=
	follow "postfix:$LOG"
	write_lines -c 6 -N 0 -T 1796000000 -t head -s 1 -r "$D/rec.head" \
	    "$D/head.log"
	[ "$(wc -c < "$D/head.log")" -gt 1024 ] || fail "test bug: short head"
	cp "$D/head.log" "$LOG"
	cp "$D/rec.head" "$D/rec.a"
	write_lines -c 4000 -s 1000 -t old -r "$D/rec.a" "$LOG"
	daemon_oneshot
	check_counts "$D/rec.a" || soft_fail "$1: counts differ before"
	off=$(db_sql "SELECT offset FROM source")
	: > "$LOG"
	cat "$D/head.log" >> "$LOG"
	cp "$D/rec.head" "$D/rec.b"
	write_lines -c "$2" -s 50000 -t new -r "$D/rec.b" "$LOG"
	say "$1: refilled to $(wc -c < "$LOG") bytes, committed offset $off"
	daemon_oneshot
	check_counts "$D/rec.a" "$D/rec.b" ||
	    soft_fail "$1: counts differ after the refill"
	[ "$(db_sql "SELECT count(*) FROM source WHERE state = 'lost' AND
	    lost_until > 0")" -eq 1 ] ||
	    soft_fail "$1: no lost generation with its window"
}

run_case longer 6000
run_case shorter 2000
finish
