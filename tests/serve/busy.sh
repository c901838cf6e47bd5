#!/bin/sh
# busy.sh: many slow queries at once (issue 12 item 10; the trial's
# exp/parallel_slow.sh: 16 of them stalled everything for 70 s and none
# was answered).  With 2 query threads and 4 places in the queue, 12
# requests that each take 4 s (the SMTPTALLY_SLEEP test hook) sent at once:
# at most 2 + 4 are served (200), the other 6 or more are refused at once
# with 503 and Retry-After, every one is answered, and a client
# that asks meanwhile is answered in the queue's time, never stalled.
. "${top_srcdir:-.}/tests/serve/common.sh"
command -v curl >/dev/null 2>&1 || skip "curl not installed"
[ -x "$HAMMER" ] || fail "$HAMMER not built"
grep -q '^#define SMTPTALLY_TEST_HOOKS 1' "$top_builddir/config.h" ||
    skip "needs ./configure --enable-test-hooks"

make_db
SMTPTALLY_SLEEP=/v1/domains:4000
export SMTPTALLY_SLEEP
start_testd -w 2 -W 4 -q 15000
unset SMTPTALLY_SLEEP

HAMMER_SENT=$T/sent HAMMER_BUSY=$T/busy timeout 60 "$HAMMER" "$SOCK" parallel 12 /v1/domains 40 \
    > "$T/par.out" &
PAR=$!
# A client that asks while they wait is answered in their time: refused
# at once when the queue is full, else queued and served once a query
# thread is free (at most 2 rounds of 4 s: the 2 waiting before it).
# Which of the two depends on how soon the query threads took their first
# jobs off the queue, so both are right; a stall past the bound is not.
i=0
while [ ! -e "$T/busy" ]; do
	i=$((i + 1)); [ $i -gt 100 ] && fail "no slow request refused in 10 s"
	sleep 0.1
done
r=$(timeout 20 curl -s -o /dev/null -D "$T/probe.head" \
    -w '%{http_code} %{time_total}' --max-time 15 --unix-socket "$SOCK" \
    'http://x/v1/summary?by=class')
c=${r%% *}
t=${r#* }
case $c in
200) awk -v t="$t" 'BEGIN {exit !(t < 12)}' ||
	fail "a request queued behind the slow ones took $t s (want < 8 s + margin)" ;;
503) grep -qi '^Retry-After: [0-9]' "$T/probe.head" ||
	fail "503 without Retry-After: $(cat "$T/probe.head")"
	awk -v t="$t" 'BEGIN {exit !(t < 2)}' ||
	fail "a refusal took $t s (want at once)" ;;
*) fail "a request during the slow ones: status '$c' after $t s" ;;
esac
pass "a request while 12 slow ones wait is answered: $c after $t s"
wait $PAR || fail "slow requests: $(cat "$T/par.out")"
cat "$T/par.out"
eval "$(grep '^ok=' "$T/par.out")"
[ "$ok" -ge 2 ] || fail "$ok slow requests served, want at least 2"
[ "$ok" -le 6 ] || fail "$ok slow requests served, want at most 2 + 4"
[ $((ok + busy)) = 12 ] || fail "$ok + $busy answers for 12 requests"
# The refused ones were refused at once, not after waiting for the slow.
[ "$busy_ms" -lt 2000 ] ||
    fail "the last refusal came after $busy_ms ms, want at once (< 2 s)"
pass "12 slow requests: $ok served, $busy refused with Retry-After"

# Nothing is left waiting: a fresh request is served.
eq "served again" "$(code '/v1/summary')" 200
stop_testd
echo "PASS"
