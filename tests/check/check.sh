#!/bin/sh
# smtptally check, the monitoring plugin: every exit status (0 OK,
# 1 WARNING, 2 CRITICAL, 3 UNKNOWN) with its status line and perfdata,
# against the real daemon following a log of tests/writer.  Expected
# shares and counts are worked out from the writer's record with awk;
# thresholds are put just below and above them.
. "${top_srcdir:-.}/tests/ingest/common.sh"
CLIENT=$top_builddir/smtptally
[ -x "$CLIENT" ] || skip "no client at $CLIENT"
ingest_init

write_lines -F postfix -c 500 -s 1 -t c -O 250,550 -N 0 -r "$T/rec" \
    "$T/mail.log"
N=$(rec_total "$T/rec")
N5=$(awk '$2 != "-" && $3 == 550 { n++ } END { print n + 0 }' "$T/rec")
[ "$N5" -gt 10 ] && [ "$N5" -lt "$N" ] || fail "test bug: $N5 of $N bounces"
# the share in percent, and just below and above it
P=$(awk -v a="$N5" -v n="$N" 'BEGIN { printf "%.2f", 100 * a / n }')
LO=$(awk -v p="$P" 'BEGIN { printf "%.2f", p - 0.5 }')
HI=$(awk -v p="$P" 'BEGIN { printf "%.2f", p + 0.5 }')
say "$N attempts, $N5 bounced ($P %)"

FOLLOW="--follow postfix:$T/mail.log"
daemon_start
wait_total "$N" 60 || fail "the daemon counted $(db_total) of $N"

# run EXPECTED-STATUS ARGS...: the plugin's line in $LINE
run()
{
	_want=$1; shift
	LINE=$("$CLIENT" -s "$SOCK" check "$@")
	_rc=$?
	[ "$_rc" = "$_want" ] || soft_fail "check $*: exit $_rc, want $_want: $LINE"
	[ "$(printf '%s\n' "$LINE" | wc -l)" = 1 ] ||
	    soft_fail "check $*: more than one line: $LINE"
}
has()
{
	case $LINE in *"$1"*) ;; *) soft_fail "'$1' not in: $LINE";; esac
}

# The 4xx thresholds stay out of the way: the writer wrote no 4xx.
Q="--warning-4xx 50% --critical-4xx 60%"
run 0 $Q --warning-5xx "$HI%" --critical-5xx 99%
has "SMTPTALLY OK - $N attempts since 1h"
has " attempts=$N '"
has "'5xx'=$P%;$(awk -v h="$HI" 'BEGIN { printf "%g", h }');99;0;100"
has "| lag=0B;10000000;100000000;0 "
run 1 $Q --warning-5xx "$LO%" --critical-5xx "$HI%"
has "SMTPTALLY WARNING - other 5xx "
has "($N5 of $N)"
run 2 $Q --warning-5xx 1% --critical-5xx "$LO%"
has "SMTPTALLY CRITICAL - other 5xx "
# counts: at the count is a break, one above is not
run 1 $Q --warning-5xx "$N5" --critical-5xx "$((N5 + 1))"
run 0 $Q --warning-5xx "$((N5 + 1))" --critical-5xx "$((N5 + 2))"
# too few attempts to judge
run 0 $Q --warning-5xx 1% --critical-5xx 2% --min-attempts "$((N + 1))"
# by domain: the writer's domains each have fewer; the whole lot at once
run 2 $Q --by all --warning-5xx 1% --critical-5xx "$LO%"
has "SMTPTALLY CRITICAL - all 5xx $(awk -v p="$P" 'BEGIN { printf "%.1f", p }')%"
# deliveries there were
run 0 $Q --warning-5xx 99% --critical-5xx 100% --no-deliveries 1h
has "delivered=$((N - N5))"
# the lag thresholds as counts of bytes: 0 breaks a threshold of 0
run 2 $Q --warning-5xx 99% --critical-5xx 100% --critical-lag 0
has "bytes behind the logs"

# The [check] section of a file; the command line wins over it.
cat > "$T/check.conf" <<EOT
# thresholds for the test
[other]
warning_5xx = 1%
[check]
warning_5xx = $LO%
critical_5xx = $HI%
warning_4xx = 50%
critical_4xx = 60%
EOT
run 1 --config "$T/check.conf"
has "SMTPTALLY WARNING"
run 0 --config "$T/check.conf" --warning-5xx "$HI%"
echo "nonsense" >> "$T/check.conf"
run 3 --config "$T/check.conf"
has "SMTPTALLY UNKNOWN - $T/check.conf:9: not name = value"
run 3 --warning-5xx lots
has "SMTPTALLY UNKNOWN - --warning-5xx lots: "

# No delivery at all: a second daemon over a log of bounces only.
daemon_stop
run 3 $Q
has "SMTPTALLY UNKNOWN - no socket at $SOCK"
write_lines -F postfix -c 50 -s 1 -t b -O 550 -N 0 -r "$T/rec.b" \
    "$T/bounces.log"
DB=$T/b.db
FOLLOW="--follow postfix:$T/bounces.log"
daemon_start
wait_total 50 60 || fail "second daemon counted $(db_total) of 50"
run 2 $Q --warning-5xx 100% --critical-5xx 100% --no-deliveries 1h
has "no delivery since 1h"
has "delivered=0"
daemon_stop
finish
