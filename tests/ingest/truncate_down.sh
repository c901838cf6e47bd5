#!/bin/sh
# Scenario 3 (issue 3): a file truncated while the daemon is down, then
# refilled (A) past the old offset, (B) to less than it.  The new content is
# a new generation, read from 0; the old lines were counted before and
# must not be counted again, the new ones exactly once.
. "$(dirname "$0")/common.sh"
ingest_init

# case NAME NEWLINES: 10,000 lines counted live, truncation while down,
# NEWLINES new lines, restart.
run_case()
{
	D=$T/$1
	mkdir -p "$D"
	DB=$D/tally.db
	LOG=$D/mail.log
	FOLLOW=
	follow "postfix:$LOG"
	write_lines -c 10000 -t "$1" -r "$D/rec" "$LOG"
	daemon_start
	wait_live "$(rec_total "$D/rec")" 60
	daemon_stop
	check_counts "$D/rec" || soft_fail "$1: counts differ before truncation"
	old=$(wc -c < "$LOG")
	: > "$LOG"
	write_lines -c "$2" -s 20001 -t "$1" -r "$D/rec" "$LOG"
	new=$(wc -c < "$LOG")
	say "$1: truncated at $old bytes, refilled to $new bytes"
	daemon_start
	wait_live "$(rec_total "$D/rec")" 60
	daemon_stop
	daemon_oneshot
	check_counts "$D/rec" || soft_fail "$1: counts differ after truncation"
	check_offsets "$D" 1 || soft_fail "$1: offset invariant broken"
	say "$1: file table: $(db_sql 'SELECT id, ino, offset, lines,
	    lost, state FROM source;' | tr '\n' ';')"
}

run_case longer 20000
run_case shorter 2000
finish
