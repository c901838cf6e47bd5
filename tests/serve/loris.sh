#!/bin/sh
# loris.sh: slowloris (issue 12 item 12; the trial's exp/slowloris.sh: 500
# connections trickling bytes left 0 of 65 probe queries answered).  200
# connections, six times the server's 32 slots, trickle header bytes and
# come back as soon as they are dropped, for 40 s.  Meanwhile a client
# asks every half second: every one of its requests must be answered 200
# (a new client takes the slot of the connection idle the longest, and a
# crowded server gives each connection 2 s to send its request).
. "${top_srcdir:-.}/tests/serve/common.sh"
command -v curl >/dev/null 2>&1 || skip "curl not installed"
[ -x "$HAMMER" ] || fail "$HAMMER not built"

make_db
start_testd -c 32
timeout 60 "$HAMMER" "$SOCK" loris 200 40 > "$T/loris.out" &
LORIS=$!
sleep 2
ok=0; bad=0; i=0
while [ $i -lt 16 ]; do
	c=$(timeout 10 curl -s -o /dev/null -w '%{http_code} %{time_total}' \
	    --max-time 5 --unix-socket "$SOCK" 'http://x/v1/summary?by=class')
	echo "probe: $c" >> "$T/probes"
	case $c in
	"200 "*) ok=$((ok + 1)) ;;
	*) bad=$((bad + 1)) ;;
	esac
	i=$((i + 1))
	sleep 0.5
done
alive=1
kill -0 $LORIS 2>/dev/null || alive=0
wait $LORIS
cat "$T/loris.out" "$T/probes"
[ $alive = 1 ] || fail "the attack ended before the probes"
[ "$bad" = 0 ] || fail "$bad of 16 requests not answered 200 during the attack"
pass "16 of 16 requests answered 200 during the attack"
stop_testd
echo "PASS"
