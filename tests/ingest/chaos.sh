#!/bin/sh
# chaos.sh: everything at once (issue 12, acceptance 3).  Four writers at
# 10,000 lines/s in all (two Postfix writers on one file, one on another,
# an Exim writer that creates its file itself) for CHAOS_SECS seconds;
# a real logrotate run every CHAOS_ROTATE seconds (create, compress,
# delaycompress; rename only for the Exim log), the writers writing on
# to the renamed files for a while; a SIGKILL of the daemon every
# CHAOS_KILL seconds with an immediate restart; a SIGHUP every CHAOS_HUP
# seconds that adds or drops an idle file from the follow list; 50
# hostile clients on the daemon's socket all the time (slowloris,
# pipelining without reading, random bytes, clients that never finish,
# short and half-closed connections: tests/serve/hammer); and a query
# every second.  At the end the counts per key (hour, domain, status,
# kind, reply, enhanced code, ...) equal the writers' record exactly, the
# offset invariant holds, no sanitizer report is in the daemon's log, and
# the daemon's resident memory, sampled every CHAOS_SAMPLE seconds, stayed
# under CHAOS_RSS_MAX KiB.  CI runs 2 minutes; CHAOS_SECS=1800 is the
# 30-minute soak (BENCHMARKS.md).  CHAOS_RSS_OUT=FILE keeps the samples.
. "$(dirname "$0")/common.sh"
ingest_init
command -v logrotate >/dev/null 2>&1 || skip "no logrotate"
command -v curl >/dev/null 2>&1 || skip "no curl"
HAMMER=${HAMMER:-$top_builddir/tests/serve/hammer}
[ -x "$HAMMER" ] || skip "no hammer at $HAMMER"

SECS=${CHAOS_SECS:-120}
RATE=${CHAOS_RATE:-10000}	# lines per second, all writers together
KILL_EVERY=${CHAOS_KILL:-30}
HUP_EVERY=${CHAOS_HUP:-10}
ROT_EVERY=${CHAOS_ROTATE:-25}
SAMPLE=${CHAOS_SAMPLE:-5}
# Resident memory bound: ASan's shadow memory and quarantine cost a few
# hundred MB by themselves.
if daemon_asan; then
	RSS_MAX=${CHAOS_RSS_MAX:-1048576}
else
	RSS_MAX=${CHAOS_RSS_MAX:-262144}
fi
PER=$((SECS * RATE / 4))
WRATE=$((RATE / 4))
# 200 blocks of sequence numbers per writer at most: a count that is off
# still points at a block, and a long run keeps its keys few
BLOCK=$((PER / 200))
[ "$BLOCK" -ge 2000 ] || BLOCK=2000
# writers late by a factor of 3 on a loaded machine still finish
DEADLINE=$((SECS * 3 + 120))

L=$T/log
mkdir -p "$L"
# soak.sh's rotation, keeping every generation: a rotation that deletes a
# file a daemon down for a while had not read would lose lines the record
# holds, a test bug rather than the daemon's
CONF=$(logrotate_conf soak.conf.in "$L")
sed -i 's/rotate 10$/rotate 100000/' "$CONF"
: > "$L/mail.log"
: > "$L/mail2.log"
: > "$L/mainlog"
: > "$L/idle.log"

# The configuration a SIGHUP reads: the three files, and every other time
# the idle one too (a reload that changes the follow list).
hup_conf()
{
	{
		printf 'follow = postfix:%s\n' "$L/mail.log" "$L/mail2.log"
		printf 'follow = exim:%s\n' "$L/mainlog"
		[ "$1" = 0 ] || printf 'follow = postfix:%s\n' "$L/idle.log"
	} > "$T/chaos.conf.new"
	mv "$T/chaos.conf.new" "$T/chaos.conf"
}
hup_conf 0
FOLLOW="-f $T/chaos.conf"
daemon_start
start=$(date +%s)

write_bg -F postfix -c $PER -l $WRATE -b $BLOCK -t pa -K 2000 \
    -r "$T/rec.pa" -P "$T/prog.pa" "$L/mail.log"
W1=$WPID
write_bg -F postfix -c $PER -l $WRATE -b $BLOCK -t pb -k 500 \
    -r "$T/rec.pb" -P "$T/prog.pb" "$L/mail.log"
W2=$WPID
write_bg -F postfix -c $PER -l $WRATE -b $BLOCK -t pc \
    -r "$T/rec.pc" -P "$T/prog.pc" "$L/mail2.log"
W3=$WPID
write_bg -F exim -c $PER -l $WRATE -b $BLOCK -t ex -C -k 100 \
    -r "$T/rec.ex" -P "$T/prog.ex" "$L/mainlog"
W4=$WPID

# The hostile clients and the queries run in loops of their own until
# $T/stop exists or this script is gone; each hammer run is bounded by
# its own time (and alarm(2)).  Their exit status is not judged: a
# SIGKILLed daemon makes them fail on purpose.  50 clients in all.
LOOPS=
hostile()
{
	while [ ! -e "$T/stop" ] && kill -0 $$ 2>/dev/null; do
		"$HAMMER" "$SOCK" "$@" >> "$T/hammer.$1.log" 2>&1
		sleep 1
	done &
	LOOPS="$LOOPS $!"
}
hostile loris 15 20
hostile garbage 15 20
hostile pipeline 10 20
hostile slow 5 30
while [ ! -e "$T/stop" ] && kill -0 $$ 2>/dev/null; do
	"$HAMMER" "$SOCK" connect 5 >> "$T/hammer.connect.log" 2>&1
	"$HAMMER" "$SOCK" half 5 >> "$T/hammer.half.log" 2>&1
	sleep 1
done &
LOOPS="$LOOPS $!"
while [ ! -e "$T/stop" ] && kill -0 $$ 2>/dev/null; do
	for q in 'v1/status' 'v1/summary?by=domain' 'metrics' \
	    'v1/summary?by=class' 'v1/reasons'; do
		c=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' \
		    --max-time 10 --unix-socket "$SOCK" "http://x/$q")
		echo "$(date +%s) ${c:-000} $q" >> "$T/queries"
		sleep 1
	done
done &
LOOPS="$LOOPS $!"

stop_loops()
{
	: > "$T/stop"
	for p in $LOOPS; do
		wait "$p" 2>/dev/null
	done
	LOOPS=
}
trap 'rc=$?; [ -z "$LOOPS" ] || { : > "$T/stop"; kill $LOOPS 2>/dev/null; }
    (exit $rc); cleanup' EXIT

done_lines()
{
	cat "$T"/prog.* 2>/dev/null | awk '{ n += $1 } END { print n + 0 }'
}

kills=0 hups=0 rotations=0 during=0 hup_state=0
next_kill=$KILL_EVERY next_hup=$HUP_EVERY next_rot=$ROT_EVERY next_rss=0
LR=
: > "$T/rss"
while :; do
	t=$(($(date +%s) - start))
	if [ "$t" -ge "$next_rss" ]; then
		r=$(awk '$1 == "VmRSS:" { print $2 }' "/proc/$DPID/status" \
		    2>/dev/null)
		[ -z "$r" ] || echo "$t $r $DPID" >> "$T/rss"
		next_rss=$((next_rss + SAMPLE))
	fi
	if [ "$t" -ge "$next_kill" ]; then
		kills=$((kills + 1))
		if [ -n "$LR" ] && alive "$LR"; then
			during=$((during + 1))
		fi
		say "t=$t s, line $(done_lines): SIGKILL $kills, restart"
		daemon_kill
		daemon_start
		next_kill=$((next_kill + KILL_EVERY))
	fi
	if [ "$t" -ge "$next_hup" ]; then
		hups=$((hups + 1))
		hup_state=$((1 - hup_state))
		hup_conf $hup_state
		kill -HUP "$DPID"
		next_hup=$((next_hup + HUP_EVERY))
	fi
	if [ "$t" -ge "$next_rot" ] && { [ -z "$LR" ] || ! alive "$LR"; }; then
		if [ -n "$LR" ]; then
			wait "$LR"
			[ $? -eq 0 ] || fail "logrotate failed:" \
			    "$(tail -n 5 "$T/logrotate.log")"
		fi
		rotations=$((rotations + 1))
		logrotate -f -s "$T/logrotate.state" "$CONF" \
		    >> "$T/logrotate.log" 2>&1 &
		LR=$!
		track "$LR"
		next_rot=$((next_rot + ROT_EVERY))
	fi
	if ! alive "$W1" && ! alive "$W2" && ! alive "$W3" && ! alive "$W4"
	then
		break
	fi
	[ "$t" -lt "$DEADLINE" ] ||
	    fail "writers not done after $DEADLINE s ($(done_lines) lines)"
	sleep 0.2
done
for w in $W1 $W2 $W3 $W4; do
	writer_wait "$w" 10
done
if [ -n "$LR" ]; then
	wait_exit "$LR" 60 || fail "logrotate hangs"
	[ "$STATUS" -eq 0 ] || fail "logrotate failed"
fi
n=$(done_lines)
wsecs=$(($(date +%s) - start))
say "writers done: $n lines in $wsecs s ($((n / wsecs)) lines/s)," \
    "$kills kills ($during during logrotate), $hups SIGHUPs," \
    "$rotations rotations"
[ "$n" -eq $((PER * 4)) ] || fail "writers wrote $n lines, not $((PER * 4))"
[ "$kills" -ge $((SECS / KILL_EVERY)) ] || fail "only $kills kills"
[ "$rotations" -ge $((SECS / ROT_EVERY)) ] ||
    fail "only $rotations rotations"
[ "$hups" -ge $((SECS / HUP_EVERY)) ] || fail "only $hups SIGHUPs"
grep -q 'reloaded: ' "$DLOG" || fail "no SIGHUP reload in the daemon's log"

want=$(rec_total "$T"/rec.*)
onfile=$(for f in "$L"/*; do
	case $f in *.gz) zcat "$f";; *) cat "$f";; esac
done | tr -d '\000' | grep -c -E ' postfix/smtp\[[0-9]+\]: [0-9A-F]+: to=| (=>|==|\*\*) u[0-9]+@')
[ "$onfile" -eq "$want" ] ||
    fail "test bug: $want deliveries recorded, $onfile in the log files"
# the hostile clients go on while the live daemon catches up
wait_live "$want" 600
stop_loops
cat "$T"/hammer.*.log | sed 's/[0-9][0-9]*/N/g' | sort | uniq -c |
    sort -rn | head -n 12
ok=$(awk '$2 == 200' "$T/queries" | wc -l)
nq=$(wc -l < "$T/queries")
say "queries: $ok of $nq answered 200; the others:" \
    "$(awk '$2 != 200 { print $2 }' "$T/queries" | sort | uniq -c |
    tr '\n' ' ')"
[ "$ok" -gt 0 ] || soft_fail "no query answered 200"
daemon_stop
daemon_oneshot
check_counts "$T"/rec.* || soft_fail "counts differ"
check_offsets "$L" 3 || soft_fail "offset invariant broken"
if grep -q -E 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$DLOG"; then
	grep -E -A5 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$DLOG" |
	    head -n 40
	soft_fail "a sanitizer report in the daemon's log"
fi

# Resident memory: the largest sample of each minute, and the bound.
[ -z "${CHAOS_RSS_OUT:-}" ] || cp "$T/rss" "$CHAOS_RSS_OUT"
echo "minute  max VmRSS (KiB)  samples"
awk '{ m = int($1 / 60); if ($2 > x[m]) x[m] = $2; c[m]++ }
    END { for (m in x) printf "%6d  %15d  %7d\n", m, x[m], c[m] }' \
    "$T/rss" | sort -n
peak=$(awk '$2 > p { p = $2 } END { print p + 0 }' "$T/rss")
samples=$(wc -l < "$T/rss")
say "RSS: $samples samples, peak $peak KiB (bound $RSS_MAX KiB)"
[ "$samples" -ge $((SECS / SAMPLE / 2)) ] ||
    soft_fail "only $samples RSS samples"
[ "$peak" -le "$RSS_MAX" ] ||
    soft_fail "resident memory $peak KiB, over $RSS_MAX KiB"
say "total $(($(date +%s) - start)) s; daemon log:" \
    "$(wc -l < "$DLOG") lines," \
    "$(grep -c -i -E 'warn|error' "$DLOG") with warn/error"
finish
