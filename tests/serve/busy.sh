#!/bin/sh
# busy.sh: many slow queries at once (issue 12 item 10; the trial's
# exp/parallel_slow.sh: 16 of them stalled everything for 70 s and none
# was answered).  With 2 query threads and 4 places in the queue, 12
# requests that each take 4 s (the SMTPTALLY_SLEEP test hook) sent at once:
# at most 2 + 4 are served (200), the other 6 or more are refused at once
# with 503 and Retry-After, every one is answered, and a client that asks
# meanwhile is answered at once (a 503 with Retry-After, as the queue is
# full) instead of waiting for the slow ones.
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
# Once the first of the 12 is refused (the queue is full, and stays full
# for the 4 s the slow ones take): answered within 2 s (the slow ones
# need 12 s in all).  Waiting for the refusal, not for a fixed time, keeps
# the probe from taking a place in the queue on a loaded machine.
i=0
while [ ! -e "$T/busy" ]; do
	i=$((i + 1)); [ $i -gt 100 ] && fail "no slow request refused in 10 s"
	sleep 0.1
done
c=$(timeout 10 curl -s -o /dev/null -D "$T/probe.head" -w '%{http_code}' \
    --max-time 2 --unix-socket "$SOCK" 'http://x/v1/summary?by=class')
case $c in
200) ;;
503) grep -qi '^Retry-After: [0-9]' "$T/probe.head" ||
	fail "503 without Retry-After: $(cat "$T/probe.head")" ;;
*) fail "a request during the slow ones: status '$c' (none in 2 s?)" ;;
esac
pass "a request while 12 slow ones wait is answered at once ($c)"
wait $PAR || fail "slow requests: $(cat "$T/par.out")"
cat "$T/par.out"
eval "$(grep '^ok=' "$T/par.out")"
[ "$ok" -ge 2 ] || fail "$ok slow requests served, want at least 2"
[ "$ok" -le 6 ] || fail "$ok slow requests served, want at most 2 + 4"
[ $((ok + busy)) = 12 ] || fail "$ok + $busy answers for 12 requests"
pass "12 slow requests: $ok served, $busy refused with Retry-After"

# Nothing is left waiting: a fresh request is served.
eq "served again" "$(code '/v1/summary')" 200
stop_testd
echo "PASS"
