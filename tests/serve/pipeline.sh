#!/bin/sh
# pipeline.sh: clients that pipeline requests and never read the answers
# (issue 12 item 11; the trial's exp/pipeline2.py grew the daemon from
# 88 MB to 2.59 GB in 10 s).  64 connections send GET /metrics as fast as
# the server takes it for 5 s.  The server must stop reading a connection
# whose answers wait: no connection gets more than 1 MiB into it (the
# socket buffer holds some 200 KiB, one request's worth is read
# ahead), its memory stays bounded, and a fresh client is still served.
. "${top_srcdir:-.}/tests/serve/common.sh"
command -v curl >/dev/null 2>&1 || skip "curl not installed"
[ -x "$HAMMER" ] || fail "$HAMMER not built"
[ -r /proc/self/status ] || skip "no /proc"

make_db
start_testd -c 64
rss() { awk '$1 == "VmRSS:" { print $2 }' "/proc/$TESTD_PID/status"; }
RSS0=$(rss)
timeout 60 "$HAMMER" "$SOCK" pipeline 64 5 > "$T/pipe.out" ||
    fail "pipeline: $(cat "$T/pipe.out")"
RSS1=$(rss)
cat "$T/pipe.out"
eval "$(grep '^most=' "$T/pipe.out")"
[ "$most" -le 1048576 ] ||
    fail "one connection got $most bytes taken in without its answers read"
pass "at most $most bytes taken in from a connection that does not read"
pass "RSS ${RSS0} kB before, ${RSS1} kB after"
if sanitized; then
	echo "note: AddressSanitizer build, RSS bound not checked"
else
	[ $((RSS1 - RSS0)) -lt 65536 ] || fail "RSS grew by $((RSS1 - RSS0)) kB"
fi
eq "a fresh client" "$(code '/v1/summary')" 200
stop_testd
echo "PASS"
