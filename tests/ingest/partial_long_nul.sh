#!/bin/sh
# Scenario 7 (issue 3): a partial line across SIGKILL, a 10 MB line (with a
# SIGKILL while it is half written), NUL bytes (lines of NULs, NULs inside
# lines, NULs inside a delivery's reply text, NUL runs before a delivery
# line), and an unterminated last line that must wait for its newline.
# Every delivery line counts once; the 10 MB line is one long line.
. "$(dirname "$0")/common.sh"
ingest_init

LOG=$T/mail.log
follow "postfix:$LOG"
: > "$LOG"
daemon_start

write_bg -c 3000 -l 1000 -z 10 -Z -t p -r "$T/rec" \
    -p "1000:$T/go1" -L "2000:10485760" -p "2000:$T/go2" "$LOG"
W=$WPID
wait_file "$T/go1.wait" 30 || fail "writer never reached line 1000"
# everything before the half line is committed: the daemon holds the half
off1=$(last_line_start "$LOG")
wait_offset "$LOG" "$off1" 60
hwm0=$(peak_kib "$DPID")
say "SIGKILL with half of line 1000 written (committed to $off1)"
daemon_kill
daemon_start
grep -q "resuming $LOG at $off1\$" "$DLOG" ||
    fail "the restart did not resume at $off1: $(grep resuming "$DLOG")"
touch "$T/go1"
wait_file "$T/go2.wait" 30 || fail "writer never reached the long line"
off2=$(last_line_start "$LOG")
wait_offset "$LOG" "$off2" 60
say "SIGKILL with 5 MB of the 10 MB line written (committed to $off2)"
hwm1=$(peak_kib "$DPID")
daemon_kill
daemon_start
grep -q "resuming $LOG at $off2\$" "$DLOG" ||
    fail "the restart did not resume at $off2: $(grep resuming "$DLOG")"
touch "$T/go2"
writer_wait "$W" 60
wait_live "$(rec_total "$T/rec")" 60
hwm2=$(peak_kib "$DPID")
say "daemon peak RSS: before the long line ${hwm0:-?} KiB, with 5 MB of it" \
    "${hwm1:-?} KiB, after all 10 MB ${hwm2:-?} KiB"
# The long line is skipped, not held: 8 MiB of slack for allocator noise,
# still less than the line.  (ASan's shadow memory makes RSS meaningless.)
if daemon_asan; then
	say "ASan build: memory bound not checked"
elif [ -z "$hwm0" ] || [ -z "$hwm1" ] || [ -z "$hwm2" ]; then
	soft_fail "no VmHWM in /proc: memory bound not checked"
else
	[ $((hwm1 - hwm0)) -lt 8192 ] ||
	    soft_fail "5 MB of a long line raised the peak by $((hwm1 - hwm0)) KiB"
	[ $((hwm2 - hwm0)) -lt 8192 ] ||
	    soft_fail "a 10 MB line raised the peak by $((hwm2 - hwm0)) KiB"
fi

# An unterminated last line is not counted until its newline arrives.
now=$(date +%s)
line="$(date -d "@$now" '+%b %e %H:%M:%S') mx1 postfix/smtp[9]: 0000FFFFFF: to=<u99999@tail.example>, relay=mx.tail.example[192.0.2.7]:25, delay=0.5, delays=0.1/0/0.2/0.2, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as Q99999)"
printf '%s' "$line" >> "$LOG"
# The daemon has read the unterminated bytes (its descriptor of the log is
# at the file's end, /proc/PID/fdinfo); a daemon that counted them would
# commit them with the stop.
read_to_end()
{
	for fd in /proc/$DPID/fd/*; do
		[ "$(readlink "$fd" 2>/dev/null)" = "$1" ] || continue
		awk -v s="$(wc -c < "$1")" '$1 == "pos:" && $2 >= s { f = 1 }
		    END { exit !f }' "/proc/$DPID/fdinfo/${fd##*/}" 2>/dev/null &&
		    return 0
	done
	return 1
}
n=0
until read_to_end "$LOG"; do
	n=$((n + 1))
	[ "$n" -le 600 ] || fail "the daemon did not read the last line in 60 s"
	sleep 0.1
done
daemon_stop
daemon_oneshot
check_counts "$T/rec" ||
    soft_fail "counts differ with an unterminated last line pending"
printf '\n' >> "$LOG"
rec_line 99999 tail.example 250 2.0.0 sent "$now" >> "$T/rec"
daemon_oneshot
check_counts "$T/rec" || soft_fail "counts differ after the last line ended"
check_offsets "$T" 1 || soft_fail "offset invariant broken"

# Every physical line is one line: lines + long lines = newlines.
nl=$(tr -cd '\n' < "$LOG" | wc -c)
longs=$(awk '$3 == "long"' "$T/rec" | wc -l)
got=$(db_sql "SELECT sum(lines), sum(long_lines) FROM source;")
say "newlines in the file: $nl (long: $longs); file table lines, long: $got"
set -- $got
[ "${2:-x}" = "$longs" ] ||
    soft_fail "long lines: the file table says ${2:-none}, written $longs"
[ "${1:-x}" = "$nl" ] ||
    soft_fail "lines: the file table says ${1:-none}, the file has $nl"
finish
