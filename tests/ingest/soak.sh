#!/bin/sh
# Scenario 1 (issue 3): 1,000,000 lines over two Postfix files and one Exim
# file, 5 forced real logrotate runs (create + compress + delaycompress;
# rename-only for the Exim log, whose writer creates the new file itself),
# and a SIGKILL of the daemon every 100,000 lines with an immediate
# restart, plus one during the 2nd and the 4th logrotate run.  Writers
# keep writing to the renamed files for a while after each rotation (2 s
# or less, 500 lines, 100 lines, at once).  Exact counts per key (hour,
# domain, status, reply, enhanced code, ...) at the end.  SOAK_LINES and
# SOAK_RATE shrink it by hand.
. "$(dirname "$0")/common.sh"
ingest_init
command -v logrotate >/dev/null 2>&1 || skip "no logrotate"

TOTAL=${SOAK_LINES:-1000000}
RATE=${SOAK_RATE:-14000}	# lines per second, all writers together
DEADLINE=${SOAK_DEADLINE:-360}	# seconds for the writing phase
KILL_EVERY=$((TOTAL / 10))
PER=$((TOTAL / 4))
WRATE=$((RATE / 4))
# Writer pa's late writes to a renamed file last at most a quarter of the
# time between two rotations (2 s in the full run): longer, and the next
# logrotate run compresses and deletes the file while pa still writes to
# it, losing lines the record holds (seen with SOAK_LINES=200000).
LAG_MS=$((TOTAL * 9 / 50 * 1000 / RATE / 4))
[ "$LAG_MS" -le 2000 ] || LAG_MS=2000

L=$T/log
mkdir -p "$L"
CONF=$(logrotate_conf soak.conf.in "$L")
follow "postfix:$L/mail.log"
follow "postfix:$L/mail2.log"
follow "exim:$L/mainlog"
: > "$L/mail.log"
: > "$L/mail2.log"
: > "$L/mainlog"
daemon_start
start=$(date +%s)

# Two writers on mail.log, one on mail2.log, one Exim writer on mainlog.
write_bg -F postfix -c $PER -l $WRATE -b 2000 -t pa -K $LAG_MS \
    -r "$T/rec.pa" -P "$T/prog.pa" "$L/mail.log"
W1=$WPID
write_bg -F postfix -c $PER -l $WRATE -b 2000 -t pb -k 500 \
    -r "$T/rec.pb" -P "$T/prog.pb" "$L/mail.log"
W2=$WPID
write_bg -F postfix -c $PER -l $WRATE -b 2000 -t pc \
    -r "$T/rec.pc" -P "$T/prog.pc" "$L/mail2.log"
W3=$WPID
write_bg -F exim -c $((TOTAL - 3 * PER)) -l $WRATE -b 2000 -t ex -C -k 100 \
    -r "$T/rec.ex" -P "$T/prog.ex" "$L/mainlog"
W4=$WPID

# Lines written so far, from the writers' progress files.
done_lines()
{
	cat "$T"/prog.* 2>/dev/null | awk '{ n += $1 } END { print n + 0 }'
}

kills=0
extra=0
during=0
rotations=0
next_kill=$KILL_EVERY
next_rot=$((TOTAL * 3 / 20))
while :; do
	n=$(done_lines)
	if [ "$n" -ge "$next_kill" ] && [ "$kills" -lt 10 ]; then
		kills=$((kills + 1))
		say "line $n: SIGKILL $kills, restart"
		daemon_kill
		daemon_start
		next_kill=$((next_kill + KILL_EVERY))
	fi
	if [ "$n" -ge "$next_rot" ] && [ "$rotations" -lt 5 ]; then
		rotations=$((rotations + 1))
		if [ $((rotations % 2)) -eq 0 ]; then
			# an extra SIGKILL while logrotate renames and
			# compresses
			say "line $n: logrotate $rotations, SIGKILL during it"
			ino=$(stat -c %i "$L/mail.log")
			logrotate -f -s "$T/logrotate.state" "$CONF" \
			    >> "$T/logrotate.log" 2>&1 &
			lr=$!
			track "$lr"
			# kill once mail.log was renamed and created again:
			# logrotate then compresses the generation before
			k=0
			while alive "$lr" && [ "$k" -lt 1000 ] &&
			    [ "$(stat -c %i "$L/mail.log" 2>/dev/null)" = "$ino" ]
			do
				k=$((k + 1))
				sleep 0.01
			done
			if alive "$lr"; then
				during=$((during + 1))
			else
				say "logrotate was done before the kill"
			fi
			daemon_kill
			daemon_start
			extra=$((extra + 1))
			wait_exit "$lr" 60 || fail "logrotate hangs"
			[ "$STATUS" -eq 0 ] || fail "logrotate failed"
		else
			say "line $n: logrotate $rotations"
			rotate "$CONF"
		fi
		next_rot=$((next_rot + TOTAL * 9 / 50))
	fi
	if ! alive "$W1" && ! alive "$W2" && ! alive "$W3" && ! alive "$W4"
	then
		break
	fi
	[ $(($(date +%s) - start)) -lt "$DEADLINE" ] ||
	    fail "writers not done after $DEADLINE s ($n lines)"
	sleep 0.1
done
for w in $W1 $W2 $W3 $W4; do
	writer_wait "$w" 10
done
n=$(done_lines)
say "writers done: $n lines in $(($(date +%s) - start)) s," \
    "$kills + $extra kills, $rotations rotations"
[ "$n" -eq "$TOTAL" ] || fail "writers wrote $n lines, not $TOTAL"
if [ "$kills" -lt 10 ]; then
	kills=$((kills + 1))
	say "line $n: SIGKILL $kills (writers done), restart"
	daemon_kill
	daemon_start
fi
[ "$kills" -eq 10 ] || fail "only $kills kills"
[ "$rotations" -eq 5 ] || fail "only $rotations rotations"
# a kill that came after logrotate ended tested nothing special; one of
# two must have come during it (logrotate takes far longer than 50 ms to
# rename and compress here)
[ "$during" -ge 1 ] || fail "no SIGKILL came while logrotate ran"
say "$during of 2 extra kills came while logrotate ran"
cat "$T/writer.log"
ls -l "$L"

want=$(rec_total "$T"/rec.*)
# The files must still hold every delivery the writers recorded, or the
# test lost lines itself (a rotation deleting a file still written to).
onfile=$(for f in "$L"/*; do
	case $f in *.gz) zcat "$f";; *) cat "$f";; esac
done | tr -d '\000' | grep -c -E ' postfix/smtp\[[0-9]+\]: [0-9A-F]+: to=| (=>|==|\*\*) u[0-9]+@')
[ "$onfile" -eq "$want" ] ||
    fail "test bug: $want deliveries recorded, $onfile in the log files"
wait_live "$want" 120
say "live daemon caught up to $(db_total) of $want events; stopping"
daemon_stop
daemon_oneshot
check_counts "$T"/rec.* || soft_fail "counts differ"
check_offsets "$L" 3 || soft_fail "offset invariant broken"
say "total $(($(date +%s) - start)) s; daemon log:" \
    "$(wc -l < "$T/daemon.log") lines," \
    "$(grep -c -i -E 'warn|error' "$T/daemon.log") with warn/error"
finish
