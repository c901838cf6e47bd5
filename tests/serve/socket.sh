#!/bin/sh
# The socket is created safely: mode 0660, the configured group, a stale
# socket replaced, a live one left alone, a non-socket never removed.
. "${top_srcdir:-.}/tests/serve/common.sh"
command -v curl >/dev/null 2>&1 || skip "curl not installed"
[ -x "$HAMMER" ] || fail "$HAMMER not built"

make_db
# A group this user may give the socket to: root may use any.
if [ "$(id -u)" = 0 ] && getent group daemon >/dev/null 2>&1; then
	GROUP=daemon
else
	GROUP=$(id -gn)
fi
start_testd -g "$GROUP"
eq "mode" "$(stat -c %a "$SOCK")" 660
eq "group" "$(stat -c %G "$SOCK")" "$GROUP"
eq "answers" "$(code /v1/status)" 200

# A second server on the same path must refuse and leave the first be.
"$TESTD" "$DB" "$SOCK" 2>"$T/second.log" &
SECOND=$!
( sleep 10; kill $SECOND 2>/dev/null ) &
WATCH=$!
wait $SECOND
rc=$?
kill $WATCH 2>/dev/null
[ $rc -ne 0 ] || fail "second server started on a live socket"
grep -q "another daemon" "$T/second.log" || fail "second: $(cat "$T/second.log")"
pass "second server refused: $(cat "$T/second.log")"
eq "first still answers" "$(code /v1/status)" 200

# SIGKILL leaves the socket behind; the next start replaces it.
kill -9 "$TESTD_PID"; wait "$TESTD_PID" 2>/dev/null; TESTD_PID=
[ -S "$SOCK" ] || fail "socket vanished after SIGKILL"
start_testd
grep -q "removed stale socket" "$T/testd.log" || fail "no stale notice"
pass "stale socket replaced"
eq "answers after stale" "$(code /v1/status)" 200
stop_testd
[ -e "$SOCK" ] && fail "socket left after a clean stop"
pass "socket removed on a clean stop"

# Not a socket: refused, and the file is still there.
echo "precious" > "$SOCK"
"$TESTD" "$DB" "$SOCK" 2>"$T/file.log" && fail "started over a file"
grep -q "not a socket" "$T/file.log" || fail "file: $(cat "$T/file.log")"
eq "file kept" "$(cat "$SOCK")" precious
rm -f "$SOCK"

# Out of descriptors: accept(2) fails with EMFILE; the server pauses
# accepting instead of spinning, and serves again once clients go.
(ulimit -n 24 && exec "$TESTD" -c 64 -t 1 -T 2 -q 500 "$DB" "$SOCK") \
    2>"$T/emfile.log" &
EPID=$!
TESTD_PID=$EPID		# so that cleanup stops it if a check below fails
i=0
while ! grep -q "listening on" "$T/emfile.log"; do
	i=$((i + 1)); [ $i -gt 100 ] && fail "emfile testd did not start"
	sleep 0.05
done
# 20 slow clients, about 11 served at a time under 24 descriptors: every
# one is dropped (max_conn_time 2 s), also those that waited in the
# backlog while accept paused; hammer ends when the last one goes.
timeout 60 "$HAMMER" "$SOCK" slow 20 40 > "$T/emfile.hammer" 2>&1 ||
    fail "EMFILE: not every slow client was dropped: $(cat "$T/emfile.hammer")"
grep -q "pausing" "$T/emfile.log" || fail "no EMFILE back-off: $(cat "$T/emfile.log")"
pass "accept backed off: $(grep -m1 pausing "$T/emfile.log");" \
    "$(cat "$T/emfile.hammer")"
eq "serves after EMFILE" "$(code /v1/status)" 200
kill $EPID; wait $EPID || fail "emfile testd exit"
TESTD_PID=

# The request limits at their exact edges: 32 parameters (QUERY_PARAMS_MAX)
# are taken and judged one by one (so unknown, not too many), a 33rd is
# too many; a body of max_body (4096) bytes is read and the request served,
# one byte more is refused with 413.
start_testd
q=$(seq -f 'x%02g=1' 1 32 | paste -sd '&' -)
get "/v1/summary?$q" > "$T/p32"
grep -q 'unknown parameter' "$T/p32" || fail "32 parameters: $(cat "$T/p32")"
get "/v1/summary?$q&x33=1" > "$T/p33"
grep -q 'too many parameters' "$T/p33" || fail "33 parameters: $(cat "$T/p33")"
pass "32 parameters judged one by one, 33 too many"
head -c 4096 /dev/zero | tr '\0' a > "$T/body"
eq "a 4096-byte body" "$(code /v1/status -X GET --data-binary @"$T/body")" 200
printf a >> "$T/body"
eq "a 4097-byte body" "$(code /v1/status -X GET --data-binary @"$T/body")" 413
# Headers: the request line and the header lines, without their CRLFs,
# max_header (8192) bytes at most (libevent's count): a request of
# exactly 8192 is served, one of 8193 refused with 400.
head_at() {
	python3 - "$SOCK" "$1" <<'PY'
import socket, sys
lines = ["GET /v1/status HTTP/1.1", "Host: x", "Connection: close", "X-Pad: "]
lines[3] += "a" * (int(sys.argv[2]) - sum(len(l) for l in lines))
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
r = b""
while True:
    b = s.recv(65536)
    if not b:
        break
    r += b
print(r.split(b" ")[1].decode())
PY
}
eq "headers of 8192 bytes" "$(head_at 8192)" 200
eq "headers of 8193 bytes" "$(head_at 8193)" 400
stop_testd

# Another mode, as socket_mode in the configuration would ask.
start_testd -M 0600
eq "mode 0600" "$(stat -c %a "$SOCK")" 600
stop_testd

# No such directory: a clear error.
"$TESTD" "$DB" "$T/nodir/sock" 2>"$T/nodir.log" && fail "started in no dir"
grep -q "No such file" "$T/nodir.log" || fail "nodir: $(cat "$T/nodir.log")"
pass "missing directory refused: $(cat "$T/nodir.log")"

# No such group: a clear error, no socket left.
"$TESTD" -g no-such-group-xyz "$DB" "$SOCK" 2>"$T/grp.log" && \
    fail "started with a missing group"
grep -q "no group" "$T/grp.log" || fail "group: $(cat "$T/grp.log")"
[ -e "$SOCK" ] && fail "socket left after a group error"
pass "missing group refused"
echo "PASS"
