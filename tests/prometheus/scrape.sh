#!/bin/sh
# A real Prometheus (Debian's prometheus) scrapes the daemon's loopback
# /metrics listener; PromQL over its HTTP API must give what the writer
# wrote (tests/writer.c's record is the oracle), across a daemon
# restart:
#
#   batch A  written while the daemon runs; Prometheus sees its totals;
#   batch B  written while the daemon is stopped, counted after it starts
#            again (counters fed from the database do not reset, and no
#            line is counted twice);
#
# then at the last sample's time t1, with t0 the time of a sample taken
# after A and before the stop (Δ = t1 - t0, both sample times, so no
# extrapolation), increase(x[Δ]) and rate(x[Δ]) * Δ equal batch B by
# class, and x at t0 and t1 equal A and A + B.  The dashboard's queries
# (contrib/grafana/) run on the same data and must succeed.
#
# Prometheus gets its own configuration and data folder in the scratch
# directory and ports the kernel handed out; it and the daemon are
# started and stopped by pid, and the test checks nothing is left.
. "${top_srcdir:-.}/tests/ingest/common.sh"

command -v prometheus >/dev/null 2>&1 || skip "prometheus not installed"
command -v curl >/dev/null 2>&1 || skip "curl not installed"
command -v jq >/dev/null 2>&1 || skip "jq not installed"
command -v python3 >/dev/null 2>&1 || skip "python3 not installed"
ingest_init

LOG=$T/mail.log
PROMDIR=$T/prometheus
mkdir -p "$PROMDIR/data"

# A free loopback port: the kernel picks one for a socket bound to port
# 0; it is closed again before the program that needs it starts.
free_port()
{
	python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
MPORT=$(free_port) || fail "no free port"
PPORT=$(free_port) || fail "no free port"
[ "$MPORT" != "$PPORT" ] || PPORT=$(free_port)
API=http://127.0.0.1:$PPORT/api/v1

cat > "$PROMDIR/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: smtptally
    static_configs:
      - targets: ['127.0.0.1:$MPORT']
        labels:
          instance: mx1
EOF

FOLLOW="--follow postfix:$LOG"
start_daemon()
{
	"$SMTPTALLYD" --foreground --db "$DB" --socket "$SOCK" $FOLLOW \
	    --rules "$top_srcdir/etc/smtptally.rules" \
	    --rules-local "$T/rules.local" --commit-interval 100 \
	    --metrics-listen "127.0.0.1:$MPORT" >> "$DLOG" 2>&1 &
	DPID=$!
	track "$DPID"
	_n=0
	until curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$MPORT/metrics"; do
		alive "$DPID" || fail "daemon died at start"
		_n=$((_n + 1))
		[ "$_n" -gt 100 ] && fail "no /metrics listener on $MPORT"
		sleep 0.1
	done
}

prometheus --config.file="$PROMDIR/prometheus.yml" \
    --storage.tsdb.path="$PROMDIR/data" \
    --web.listen-address="127.0.0.1:$PPORT" \
    --log.level=warn > "$PROMDIR/log" 2>&1 &
PROMPID=$!
track "$PROMPID"
_n=0
until curl -s -o /dev/null -f --max-time 1 "http://127.0.0.1:$PPORT/-/ready"; do
	alive "$PROMPID" || fail "prometheus died: $(tail -5 "$PROMDIR/log")"
	_n=$((_n + 1))
	[ "$_n" -gt 300 ] && fail "prometheus not ready in 30 s"
	sleep 0.1
done
say "prometheus $PROMPID on $PPORT scrapes 127.0.0.1:$MPORT"

# q EXPR [TIME]: an instant query; prints "value" lines "labels value".
q()
{
	if [ -n "${2:-}" ]; then
		curl -s --max-time 10 -G "$API/query" --data-urlencode "query=$1" \
		    --data-urlencode "time=$2"
	else
		curl -s --max-time 10 -G "$API/query" --data-urlencode "query=$1"
	fi
}
# scalar EXPR [TIME]: the one value of a query ("" when empty).
scalar()
{
	q "$@" | jq -r '.data.result[0].value[1] // empty'
}
# Wait until EXPR equals WANT in Prometheus (60 s at most).
wait_prom()
{
	_n=0
	while [ "$(scalar "$1")" != "$2" ]; do
		_n=$((_n + 1))
		[ "$_n" -gt 600 ] && fail "prometheus: $1 = '$(scalar "$1")', want $2"
		sleep 0.1
	done
}

# Expected counts per class from writer records: the reply's first
# digit, else the enhanced code's (DESIGN.md).
rec_class()
{
	cat "$@" | awk '$2 != "-" {
	    c = $3 != 0 ? int($3 / 100) : substr($4, 1, 1)
	    n[c "xx"]++ } END { for (k in n) print k, n[k] }' | LC_ALL=C sort
}
# Physical lines in writer records (deliveries and noise).
rec_lines()
{
	cat "$@" | wc -l | tr -d ' '
}

start_daemon
write_lines -F postfix -c 400 -s 1 -t a -O 250,451,421,550,554,0 -N 5 \
    -r "$T/rec.a" "$LOG"
A=$(rec_total "$T/rec.a")
wait_prom 'sum(smtptally_attempts_total{direction="out"})' "$A"
# every class of batch B must already have a series at t0, or its first
# sample would be extrapolated
for c in 2xx 4xx 5xx; do
	grep -q "^$c " <<EOF || fail "test bug: batch A has no $c line"
$(rec_class "$T/rec.a")
EOF
done
# two more scrapes, then t0 is the newest sample's time
sleep 2.5
T0=$(q 'timestamp(smtptally_lines_total)' | jq -r '.data.result[0].value[1]')
[ -n "$T0" ] || fail "no sample time"
say "batch A: $A attempts, seen by prometheus; t0 = $T0"

daemon_stop
write_lines -F postfix -c 600 -s 1001 -t b -O 250,451,421,550,554,0 -N 5 \
    -r "$T/rec.b" "$LOG"
B=$(rec_total "$T/rec.b")
# let prometheus see the target down
sleep 2
[ "$(scalar 'up{job="smtptally"}')" = 0 ] || fail "prometheus did not see the daemon down"
start_daemon
wait_prom 'sum(smtptally_attempts_total{direction="out"})' "$((A + B))"
sleep 2.5
T1=$(q 'timestamp(smtptally_lines_total)' | jq -r '.data.result[0].value[1]')
say "batch B: $B attempts after the restart; t1 = $T1"

# Δ in milliseconds (sample times are whole milliseconds).
DMS=$(awk -v a="$T0" -v b="$T1" 'BEGIN { printf "%d", (b - a) * 1000 + 0.5 }')
[ "$DMS" -gt 0 ] || fail "t1 not after t0"

by_class()
{
	q "$1" "$2" | jq -r '.data.result[] | "\(.metric.class) \(.value[1])"' |
	    LC_ALL=C sort
}

rec_class "$T/rec.b" > "$T/want.b"
by_class "sum by (class) (increase(smtptally_attempts_total{direction=\"out\"}[${DMS}ms]))" "$T1" > "$T/got.inc"
if cmp -s "$T/want.b" "$T/got.inc"; then
	say "increase() over the restart = batch B: $(tr '\n' ' ' < "$T/want.b")"
else
	soft_fail "increase() by class: want $(tr '\n' ' ' < "$T/want.b"), got $(tr '\n' ' ' < "$T/got.inc")"
fi

by_class "sum by (class) (rate(smtptally_attempts_total{direction=\"out\"}[${DMS}ms]))" "$T1" > "$T/got.rate"
awk -v d="$DMS" 'FNR == NR { w[$1] = $2; next }
    { got[$1] = $2 * d / 1000 }
    END {
	for (k in w) { x = got[k] - w[k]; if (x < 0) x = -x
	    if (x > 1e-6 * w[k]) { print k, w[k], got[k]; bad = 1 } }
	exit bad }' "$T/want.b" "$T/got.rate" > "$T/rate.diff" ||
    soft_fail "rate() * Δ by class differs from batch B: $(cat "$T/rate.diff")"
say "rate() * Δ = batch B"

rec_class "$T/rec.a" > "$T/want.a"
by_class 'sum by (class) (smtptally_attempts_total{direction="out"})' "$T0" > "$T/got.a"
cmp -s "$T/want.a" "$T/got.a" ||
    soft_fail "at t0: want $(tr '\n' ' ' < "$T/want.a"), got $(tr '\n' ' ' < "$T/got.a")"
rec_class "$T/rec.a" "$T/rec.b" > "$T/want.ab"
by_class 'sum by (class) (smtptally_attempts_total{direction="out"})' "$T1" > "$T/got.ab"
cmp -s "$T/want.ab" "$T/got.ab" ||
    soft_fail "at t1: want $(tr '\n' ' ' < "$T/want.ab"), got $(tr '\n' ' ' < "$T/got.ab")"
say "totals at t0 and t1 = A and A + B"

# Every line of B was read once: lines_total grew by B's physical lines.
LB=$(rec_lines "$T/rec.b")
[ "$(scalar "increase(smtptally_lines_total[${DMS}ms])" "$T1")" = "$LB" ] ||
    soft_fail "increase(lines) = $(scalar "increase(smtptally_lines_total[${DMS}ms])" "$T1"), want $LB"
# No counter went down: Prometheus saw no reset over the whole run.
[ "$(scalar "sum(resets(smtptally_attempts_total{direction=\"out\"}[${DMS}ms]))" "$T1")" = 0 ] ||
    soft_fail "prometheus saw a counter reset across the restart"

# The dashboard's queries parse and answer on this data.
DASH=$top_srcdir/contrib/grafana/smtptally.json
jq -r '.panels[].targets[].expr' "$DASH" |
    sed -e 's/\$__rate_interval/1m/g' -e 's/\$instance/.*/g' > "$T/dash"
nq=0
while IFS= read -r e; do
	q "$e" "$T1" > "$T/ans"
	[ "$(jq -r .status "$T/ans")" = success ] ||
	    soft_fail "dashboard query failed: $e"
	# only our smtpd's rejections have no data here (the writer
	# writes none)
	case $e in *'direction="in"'*) ;; *)
		[ "$(jq '.data.result | length' "$T/ans")" -gt 0 ] ||
		    soft_fail "dashboard query has no data: $e";;
	esac
	nq=$((nq + 1))
done < "$T/dash"
say "$nq dashboard queries answered"

daemon_stop
kill -TERM "$PROMPID"
wait_exit "$PROMPID" 60 || fail "prometheus did not stop in 60 s"
for p in $DPID $PROMPID; do
	alive "$p" && fail "process $p still running"
done
say "prometheus (status $STATUS) and the daemon stopped"
finish
