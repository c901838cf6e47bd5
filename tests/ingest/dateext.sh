#!/bin/sh
# Rotated generations named by date, as logrotate's dateext makes them
# (mail.log-YYYYMMDDHHMMSS, then .gz) (issue 10 item 9; the audit's
# coverage hole 8): real logrotate with dateext, compress and
# delaycompress, one rotation while the daemon runs, one while it is down
# (it compresses the generation the daemon was reading); every line
# counted once.  A corrupt .gz is gz_corrupt.sh.
. "$(dirname "$0")/common.sh"
ingest_init
command -v logrotate >/dev/null 2>&1 || skip "no logrotate"

# Wait until the clock shows another second than $1 (dated names are
# per second: two rotations in one second would collide).
next_second()
{
	while [ "$(date +%s)" = "$1" ]; do
		sleep 0.1
	done
}

D=$T/a
mkdir -p "$D/log"
LOG=$D/log/mail.log
DB=$D/tally.db
cat > "$D/rotate.conf" <<EOF
$D/log/mail.log {
	create 0640
	rotate 5
	dateext
	dateformat -%Y%m%d%H%M%S
	compress
	delaycompress
	missingok
}
EOF
follow "postfix:$LOG"
write_lines -c 3000 -t da -r "$D/rec" "$LOG"
daemon_start
wait_live "$(rec_total "$D/rec")" 60
t1=$(date +%s)
rotate "$D/rotate.conf"
write_lines -c 3000 -s 10001 -t da -r "$D/rec" "$LOG"
wait_live "$(rec_total "$D/rec")" 60
daemon_stop
write_lines -c 2000 -s 20001 -t da -r "$D/rec" "$LOG"
next_second "$t1"
rotate "$D/rotate.conf"
write_lines -c 2000 -s 30001 -t da -r "$D/rec" "$LOG"
ls "$D/log" | grep -q -E '^mail\.log-[0-9]{14}\.gz$' ||
    fail "logrotate made no dated .gz: $(ls "$D/log")"
say "files: $(ls "$D/log" | tr '\n' ' ')"
daemon_start
wait_live "$(rec_total "$D/rec")" 60
daemon_stop
daemon_oneshot
WORK=$D check_counts "$D/rec" || soft_fail "counts differ with dated names"
WORK=$D check_offsets "$D/log" 2 || soft_fail "offset invariant broken"

finish
