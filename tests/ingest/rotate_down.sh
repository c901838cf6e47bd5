#!/bin/sh
# Scenario 6 (issue 3): two rotations while the daemon cannot read, the
# second of them compressing the first generation (compress +
# delaycompress).  (A) the daemon is frozen with SIGSTOP and keeps its
# descriptors; (B) the daemon is down (SIGTERM), half-way through the
# first generation, whose rest then exists only in mail.log.2.gz; the
# middle generation is only at mail.log.1; (C) as B, down by SIGKILL.
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
	CONF=$(logrotate_conf down.conf.in "$D/log")
	write_lines -c 5000 -s 1 -t "$1" -r "$D/rec" "$LOG"
	daemon_start
	wait_live "$(rec_total "$D/rec")" 60
	case $1 in
	stopped)	kill -STOP "$DPID";;
	down)		daemon_stop;;
	killed)		daemon_kill;;
	esac
	write_lines -c 5000 -s 5001 -t "$1" -r "$D/rec" "$LOG"
	rotate "$CONF"
	write_lines -c 5000 -s 10001 -t "$1" -r "$D/rec" "$LOG"
	rotate "$CONF"
	write_lines -c 5000 -s 15001 -t "$1" -r "$D/rec" "$LOG"
	show_files "$LOG" "$LOG.1" "$LOG.2.gz"
	[ -e "$LOG.2.gz" ] || fail "$1: logrotate made no $LOG.2.gz"
	if [ "$1" = stopped ]; then
		kill -CONT "$DPID"
	else
		daemon_start
	fi
	wait_live "$(rec_total "$D/rec")" 60
	daemon_stop
	daemon_oneshot
	check_counts "$D/rec" || soft_fail "$1: counts differ"
	check_offsets "$D/log" 2 || soft_fail "$1: offset invariant broken"
}

run_case stopped
run_case down
run_case killed
finish
