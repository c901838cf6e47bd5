#!/bin/sh
# Hostile clients while a writer commits to the database through the
# store (tests/dbtool write, a process of its own beside the test server:
# the queries' read transactions meet real commits; a slow query beside
# ingest in the daemon's one process is tests/serve/daemon.sh's case):
# 10,000 connects, slow-header clients, a 1 MB header, half-closed
# sockets, invalid UTF-8 and SQL metacharacters in parameters.  Pass: the
# writer's every commit lands (exact count), every well-formed request is
# answered, and the server's RSS stays bounded.  Bounded to ~30 seconds.
. "${top_srcdir:-.}/tests/serve/common.sh"
command -v curl >/dev/null 2>&1 || skip "curl not installed"
[ -x "$HAMMER" ] || fail "$HAMMER not built"

make_db
start_testd -c 32 -t 2 -T 3 -q 1000
rss() { awk '$1 == "VmRSS:" { print $2 }' "/proc/$TESTD_PID/status"; }
[ -r "/proc/$TESTD_PID/status" ] || skip "no /proc"
RSS0=$(rss)

# The writer: one commit at a time into a bucket of its own, through the
# store as ingest does, paced over the whole test.  It must never fail for
# the readers.
COMMITS=300
"$DBTOOL" write "$DB" "$T0" writer.example $COMMITS 50 \
    > "$T/writer.out" 2>&1 &
WRITER=$!

# The well-formed client: asks every 0.2 s, every answer must be a 200.
(
	ok=0; bad=0
	while kill -0 $WRITER 2>/dev/null; do
		c=$(curl -s -o /dev/null -w '%{http_code}' --max-time 15 \
		    --unix-socket "$SOCK" 'http://x/v1/summary?by=class')
		if [ "$c" = 200 ]; then ok=$((ok + 1)); else bad=$((bad + 1)); fi
		sleep 0.2
	done
	echo "$ok $bad" > "$T/good"
) &
GOOD=$!

timeout 40 "$HAMMER" "$SOCK" connect 10000 || fail "10,000 connects"
timeout 40 "$HAMMER" "$SOCK" slow 64 12 || fail "slow headers"
timeout 40 "$HAMMER" "$SOCK" big 1048576 || fail "1 MB header"
timeout 40 "$HAMMER" "$SOCK" half 100 || fail "half-closed sockets"
for v in '%FF%FE%FD' '%C3%28' '%ED%A0%80' "'%20OR%201=1--" \
    '%27%3B%20DELETE%20FROM%20count_hour%3B--' '%5C%22%00%0A'; do
	c=$(code "/v1/summary?domain=$v&by=domain,class")
	case $c in
	200|400) ;;
	*) fail "parameter $v: status $c" ;;
	esac
	c=$(code "/v1/reasons?domain=$v")
	case $c in
	200|400) ;;
	*) fail "reasons $v: status $c" ;;
	esac
done
pass "invalid UTF-8 and SQL metacharacters answered 200 or 400"

wait $WRITER || fail "writer failed: $(cat "$T/writer.out")"
wait $GOOD
read ok bad < "$T/good"
[ "$bad" = 0 ] || fail "$bad of $((ok + bad)) well-formed requests failed"
[ "$ok" -gt 0 ] || fail "no well-formed request was made"
pass "$ok well-formed requests during the attack, all answered"
n=$("$DBTOOL" sql "$DB" "SELECT sum(n) FROM counts WHERE
    domain = 'writer.example'")
eq "writer commits in the database" "$n" "$COMMITS"
t=$(get '/v1/summary?domain=writer.example' | \
    sed -n 's/.*"total":\([0-9]*\).*/\1/p')
eq "writer commits as served" "$t" "$COMMITS"
eq "other counts untouched" "$(get '/v1/summary' | \
    sed -n 's/.*"total":\([0-9]*\).*/\1/p')" "$((E_TOTAL + COMMITS))"

RSS1=$(rss)
pass "RSS ${RSS0} kB before, ${RSS1} kB after"
if sanitized; then
	echo "note: AddressSanitizer build, RSS bound not checked"
else
	[ $((RSS1 - RSS0)) -lt 16384 ] || fail "RSS grew by $((RSS1 - RSS0)) kB"
fi
kill -0 "$TESTD_PID" || fail "server died"

# Stop while every slot is taken by a slow client: a clean exit.
"$HAMMER" "$SOCK" slow 40 5 > /dev/null 2>&1 &
SLOW=$!
sleep 1
stop_testd
wait $SLOW
pass "clean stop with every client slot taken"
echo "PASS"
