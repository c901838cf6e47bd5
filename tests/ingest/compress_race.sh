#!/bin/sh
# A restart while logrotate compresses (found by soak.sh's kill during
# logrotate): with compress + delaycompress, logrotate writes
# mail.log.1.gz from mail.log.1 (already counted), then removes mail.log.1
# and renames the .gz to mail.log.2.gz.  A daemon that starts while the
# .gz is incomplete must not take it for a new generation and count its
# lines a second time.  Made deterministic: the incomplete .gz is built by
# the test (a gzip header only, 300 bytes and 4 KiB of the stream), the
# daemon runs, then the rotation is completed as logrotate would and the
# daemon runs again.
. "$(dirname "$0")/common.sh"
ingest_init

run_case()
{
	D=$T/$1
	mkdir -p "$D/log"
	DB=$D/tally.db
	LOG=$D/log/mail.log
	FOLLOW=
	follow "postfix:$LOG"
	write_lines -c 20000 -t "$1" -r "$D/rec" "$LOG"
	daemon_oneshot
	# rotation 1: rename and create, no compression yet (delaycompress)
	mv "$LOG" "$LOG.1"
	: > "$LOG"
	write_lines -c 1000 -s 100001 -t "$1" -r "$D/rec" "$LOG"
	daemon_oneshot
	# rotation 2, caught half-way: mail.log.1.gz being written
	gzip -1 -c "$LOG.1" > "$D/full.gz"
	head -c "$2" "$D/full.gz" > "$LOG.1.gz"
	daemon_start
	# the hazard: the daemon has seen the half .gz and committed what it
	# made of it (had it taken it for a generation, it would be read and
	# committed before the daemon catches up)
	wait_caught_up 60
	daemon_kill
	# logrotate finishes: the whole .gz, .1 removed, renamed to .2.gz,
	# the old mail.log renamed to .1, a new mail.log
	cat "$D/full.gz" > "$LOG.1.gz"
	rm -f "$LOG.1"
	mv "$LOG.1.gz" "$LOG.2.gz"
	mv "$LOG" "$LOG.1"
	: > "$LOG"
	write_lines -c 1000 -s 200001 -t "$1" -r "$D/rec" "$LOG"
	daemon_start
	wait_live "$(rec_total "$D/rec")" 30
	daemon_stop
	daemon_oneshot
	check_counts "$D/rec" || soft_fail "$1: counts differ"
	check_offsets "$D/log" 2 || soft_fail "$1: offset invariant broken"
}

run_case header 10	# no data yet: the head is empty
run_case short 300	# about 300 bytes of data: less than a head
run_case part 4096	# about 40 KB of data
finish
