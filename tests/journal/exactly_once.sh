#!/bin/sh
# Scenario 1 of issue 13: 200,000 Postfix and Exim entries (with other
# programs' entries, NUL-carrying and over-long MESSAGEs) written through
# a real journald by jwriter, which records each; smtptallyd follows the
# namespace and is SIGKILLed after every 20,000 entries and started again;
# journald rotates its files (journalctl --rotate, and a small
# SystemMaxFileSize) while it runs.  Each kill lands while the writer
# writes and the daemon reads.  Counts per (domain, reply) must equal
# the record exactly, and the source row's entries, unrecognised and long
# counts the record's.
#
# JOURNAL_ENTRIES (200000) and JOURNAL_CHUNK (20000) make it shorter.

. "$top_srcdir/tests/journal/common.sh"

TOTAL=${JOURNAL_ENTRIES:-200000}
CHUNK=${JOURNAL_CHUNK:-20000}
JD_EXTRA="SystemMaxFileSize=8M"
journal_init
jd_ensure
follow "journal:$JNS"
daemon_start

seq=1
round=0
while [ "$seq" -le "$TOTAL" ]; do
	round=$((round + 1))
	# the writer runs while the daemon reads; rotate in every third
	"$JWRITER" -u "$JSOCK" -c "$CHUNK" -s "$seq" -t j -r "$T/rec" \
	    -N 10 -x 3 -B 997 -L 1009:70000 &
	wp=$!
	track "$wp"
	# SIGKILL while entries arrive and the daemon reads them
	sleep 0.3
	daemon_kill
	if [ $((round % 3)) -eq 1 ]; then
		jctl --rotate >/dev/null 2>&1 || soft_fail "journalctl --rotate"
	fi
	daemon_start
	wait "$wp" || fail "jwriter failed in round $round"
	seq=$((seq + CHUNK))
	jd_ensure
done
files=$(ls /var/log/journal/*."$JNS"/ | wc -l)
say "journald has $files files"
[ "$files" -ge 3 ] || soft_fail "journald did not rotate ($files files)"

want=$(rec_total "$T/rec")
wait_total "$want" 300 || true
# Read to the end, the journal is 0 s behind in /v1/status (the loop
# publishes the lag it asked sd-journal for; query threads never touch
# a journal handle).
_n=0
until [ "$(daemon_status | jq '[.. | objects | select(has("lag_seconds")) | .lag_seconds] | first')" = 0 ]; do
	_n=$((_n + 1))
	[ "$_n" -le 100 ] || { soft_fail "lag_seconds not 0 once caught up: $(daemon_status | jq -c '.. | objects | select(has("lag_seconds"))')"; break; }
	sleep 0.1
done
daemon_stop
check_counts "$T/rec" || fail "counts differ from the writer's record"

# The row: entries read are ours (deliveries, NUL, long), not dovecot's.
exp_lines=$(awk '$2 != "-" || $3 == "binary" || $3 == "long"' "$T/rec" |
    wc -l)
exp_unrec=$(awk '$3 == "binary"' "$T/rec" | wc -l)
exp_long=$(awk '$3 == "long"' "$T/rec" | wc -l)
got=$(db_sql "SELECT lines, unrecognised, long_lines, lost FROM source
    WHERE kind = 'journal';")
say "source row: $got (want $exp_lines $exp_unrec $exp_long 0)"
[ "$got" = "$exp_lines $exp_unrec $exp_long 0" ] ||
    soft_fail "source row $got, want $exp_lines $exp_unrec $exp_long 0"
finish
