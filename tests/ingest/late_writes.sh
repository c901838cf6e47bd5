#!/bin/sh
# Scenario 5 (issue 3): the writer keeps appending to the renamed file for a
# while after rotation.  Writer A never reopens (no postrotate signal): all
# its lines go to the first generation, which logrotate renames twice
# (mail.log -> .1 -> .2) while A writes.  Writer B starts on the new
# mail.log after the first rotation and reopens one second after the
# second.  The daemon is SIGKILLed while both write to renamed files, and
# must find them again by identity after the restart.
. "$(dirname "$0")/common.sh"
ingest_init

L=$T/log
mkdir -p "$L"
LOG=$L/mail.log
CONF=$(logrotate_conf late.conf.in "$L")
follow "postfix:$LOG"
: > "$LOG"
daemon_start

# progress N FILE SECS: wait until a writer's progress file says >= N.
progress()
{
	_n=0
	while :; do
		_v=$(cat "$2" 2>/dev/null)
		[ "${_v:-0}" -ge "$1" ] && return 0
		_n=$((_n + 1))
		[ "$_n" -gt $(($3 * 20)) ] && fail "writer stuck before line $1"
		sleep 0.05
	done
}

write_bg -m keep -c 8000 -l 1000 -t a -r "$T/rec.a" -P "$T/prog.a" "$LOG"
A=$WPID
progress 2000 "$T/prog.a" 30
say "rotation 1 (writer A keeps its descriptor)"
rotate "$CONF"
write_bg -m reopen -K 1000 -c 5000 -l 1000 -s 100001 -t b -r "$T/rec.b" \
    -P "$T/prog.b" "$LOG"
B=$WPID
progress 3500 "$T/prog.a" 30
say "SIGKILL while A writes to mail.log.1"
daemon_kill
daemon_start
progress 5000 "$T/prog.a" 30
say "rotation 2 (A now writes to mail.log.2, B to mail.log.1 for 1 s)"
rotate "$CONF"
progress 5500 "$T/prog.a" 30
say "SIGKILL while both write to renamed files"
daemon_kill
daemon_start
writer_wait "$A" 60
writer_wait "$B" 60
show_files "$LOG" "$LOG.1" "$LOG.2"
wait_live "$(rec_total "$T/rec.a" "$T/rec.b")" 60
daemon_stop
daemon_oneshot
check_counts "$T/rec.a" "$T/rec.b" || soft_fail "counts differ"
check_offsets "$L" 3 || soft_fail "offset invariant broken"
finish
