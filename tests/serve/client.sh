#!/bin/sh
# The real client through the real socket: every command, its exit
# status, CSV figures against the test's own sums, the report's width,
# and the error messages for no daemon, stale socket, wrong path,
# permission denied and an API mismatch.
. "${top_srcdir:-.}/tests/serve/common.sh"
[ -x "$CLIENT" ] || fail "$CLIENT not built"

make_db
start_testd
C="$CLIENT -s $SOCK"

# expect_exit WANT WHAT COMMAND...: run, check the status, keep output.
expect_exit() {
	want=$1; what=$2; shift 2
	timeout 30 "$@" >"$T/out" 2>"$T/err"
	got=$?
	[ "$got" = "$want" ] || fail "$what: exit $got, want $want: $(cat "$T/err")"
	pass "$what exits $want"
}

expect_exit 0 "summary" $C summary
grep -q '^4xx' "$T/out" || fail "summary has no 4xx row"
expect_exit 0 "summary csv" $C summary --csv
eq "csv 4xx" "$(grep '^4xx,' "$T/out" | cut -d, -f2)" "$E_4XX"
eq "csv 5xx" "$(grep '^5xx,' "$T/out" | cut -d, -f2)" "$E_5XX"
expect_exit 0 "summary json" $C summary --json
eq "json total" "$(grep '"total"' "$T/out" | tr -dc 0-9)" "$E_TOTAL"
expect_exit 0 "summary range" $C summary --since 2026-11-29T00:00:00Z \
    --until 2026-11-30T00:00:00Z --csv
eq "range sum" "$(awk -F, 'NR > 1 { s += $2 } END { print s }' "$T/out")" "$E_DAY2"
expect_exit 0 "summary by domain" $C summary --by domain,class
grep -q "o'brien.example" "$T/out" || fail "domain with a quote missing"
expect_exit 0 "summary by hour" $C summary --by hour \
    --since 2026-11-29T00:00:00Z --until 2026-11-29T06:00:00Z
eq "by hour rows" "$(grep -c '^2026-11-29' "$T/out")" 6
# In a terminal the series gets bars and the sparkline (script(1) makes
# one when it is there).
if command -v script >/dev/null 2>&1; then
	timeout 30 script -qec "$C summary --by hour --since 2026-11-29T00:00:00Z \
	    --until 2026-11-29T06:00:00Z" /dev/null > "$T/tty" 2>&1 || \
	    fail "summary in a tty: $(cat "$T/tty")"
	grep -q 'attempts  |' "$T/tty" || fail "no sparkline: $(cat "$T/tty")"
	grep -q -- '---' "$T/tty" || fail "no bars: $(cat "$T/tty")"
	pass "summary --by hour in a terminal has bars and a sparkline"
fi
expect_exit 0 "summary by day csv" $C summary --by day --csv
eq "by day sum" "$(awk -F, 'NR > 1 { s += $2 } END { print s }' "$T/out")" "$E_TOTAL"

expect_exit 0 "top" $C top --top 2
grep -q '(2 other domains)' "$T/out" || fail "top: no other row"
expect_exit 0 "top csv" $C top --csv
eq "top csv gmail" "$(grep '^gmail.com,' "$T/out" | cut -d, -f2)" "$E_DOM1"

expect_exit 0 "domain" $C domain example.org
grep -q "user unknown" "$T/out" || fail "domain: no reasons"
grep -q "bad destination mailbox" "$T/out" || fail "domain: codes not explained"
expect_exit 0 "reasons" $C reasons
# example.org's 550s are the only failures with a text (make_db); the
# count is the first column.
eq "reasons: user unknown" "$(awk '/<ADDR>: user unknown/ { print $1 }' \
    "$T/out" | tr -d ,)" "$E_R550"
expect_exit 0 "status" $C status
grep -q '/nonexistent/mail.log' "$T/out" || fail "status: no file"
expect_exit 0 "status json" $C status --json
# The source row make_db wrote: 1234 lines, 5 unrecognised.
grep -q '"lines_total": *1234[,}]' "$T/out" ||
    fail "status json: lines_total: $(cat "$T/out")"
grep -q '"unrecognised_total": *5[,}]' "$T/out" ||
    fail "status json: unrecognised_total: $(cat "$T/out")"

expect_exit 0 "report" $C report --since 2026-11-29T00:00:00Z \
    --until 2026-11-30T00:00:00Z
for s in "Delivery attempts" "The period at a glance" \
    "Top deferring domains" "Top bouncing domains" "Codes seen, in words" \
    "Log lines read"; do
	grep -q "$s" "$T/out" || fail "report: no '$s'"
done
eq "report 4xx" "$(awk '$1 == "4xx" { print $3 }' "$T/out" | tr -d ,)" "$E_DAY2_4XX"
# The previous period is the day before (2026-11-28, make_db's first 24
# hour rows): each class's count there and the change, from the rows.
awk -v t0=$T0 '$1 == "count" && $2 >= t0 && $2 < t0 + 86400 {
	c = $9 == "sent" ? "2xx" : $9 == "deferred" ? "4xx" : "5xx"
	prev[c] += $3
    }
    $1 == "count" && $2 >= t0 + 86400 && $2 < t0 + 2 * 86400 {
	c = $9 == "sent" ? "2xx" : $9 == "deferred" ? "4xx" : "5xx"
	cur[c] += $3
    }
    END {
	for (c in prev)
		printf "%s %d %+.1f%%\n", c, prev[c],
		    (cur[c] - prev[c]) * 100 / prev[c]
    }' "$T/rows" | sort > "$T/prev.expected"
awk '$1 ~ /^[245]xx$/ { gsub(/,/, "", $5); print $1, $5, $6 }' "$T/out" |
    sort > "$T/prev.actual"
eq "report previous and change" "$(cat "$T/prev.actual")" \
    "$(cat "$T/prev.expected")"
# The problems by category count failed attempts only, the test's
# database having no verdicts at all (a delivery is delivered still).
eq "report problems: failures only" \
    "$(awk '/^Problems by category/ { on = 1; next } on && /^$/ { on = 0 }
    on && $2 ~ /^[0-9,]+$/ { gsub(/,/, "", $2); s += $2 } END { print s + 0 }' "$T/out")" \
    "$(awk -v t0=$T0 '$1 == "count" && $2 >= t0 + 86400 && $2 < t0 + 2 * 86400 &&
    $9 != "sent" { s += $3 } END { print s }' "$T/rows")"
eq "report widest line <= 80" \
    "$(awk '{ if (length($0) > m) m = length($0) } END { print (m <= 80) }' "$T/out")" 1
LC_ALL=C grep -q '[^ -~]' "$T/out" && fail "report: not plain ASCII"
pass "report is plain ASCII"
# "--since yesterday" alone is all of yesterday, midnight to midnight
# (in UTC here; the dates from date(1), taken on both sides of the run in
# case it crosses a midnight).
d0=$(date -u -d yesterday +%F)
expect_exit 0 "report yesterday" env TZ=UTC0 $C report --since yesterday
d1=$(date -u -d yesterday +%F)
[ "$d0" != "$d1" ] || grep -q "^period $d0 00:00 to $(date -u +%F) 00:00" \
    "$T/out" || fail "report yesterday: $(head -n 3 "$T/out")"

expect_exit 0 "explain 550" $CLIENT explain 550
grep -q permanent "$T/out" || fail "explain 550"
expect_exit 0 "explain 421 4.7.0" $CLIENT explain 421 4.7.0
grep -q -i "temporar" "$T/out" || fail "explain 421: $(cat "$T/out")"
expect_exit 0 "explain 0" $CLIENT explain 0
expect_exit 2 "explain junk" $CLIENT explain 5x0
expect_exit 2 "no command" $CLIENT
expect_exit 2 "bad command" $C frobnicate
expect_exit 2 "bad --since" $C summary --since someday
expect_exit 2 "bad --by (daemon says 400)" $C summary --by colour
expect_exit 2 "json and csv" $C summary --json --csv

# The daemon is gone: the socket file is left behind (SIGKILL).
kill -9 "$TESTD_PID"; wait "$TESTD_PID" 2>/dev/null; TESTD_PID=
expect_exit 1 "stale socket" $C status
grep -q "nothing answers" "$T/err" || fail "stale: $(cat "$T/err")"
rm -f "$SOCK"
expect_exit 1 "no socket" $C status
grep -q "not running" "$T/err" || fail "no socket: $(cat "$T/err")"
: > "$T/plain"
expect_exit 1 "not a socket" $CLIENT -s "$T/plain" status
grep -q "not a socket" "$T/err" || fail "not a socket: $(cat "$T/err")"

# Permission denied: as root, ask as nobody (the test dir is 0700).
start_testd
if [ "$(id -u)" = 0 ]; then
	# util-linux, which tools/deps.sh installs: not a silent skip
	command -v setpriv >/dev/null 2>&1 ||
	    fail "the permission test as root needs setpriv (util-linux)"
	expect_exit 1 "permission denied" setpriv --reuid=65534 \
	    --regid=65534 --clear-groups $C status
	grep -q "permission denied" "$T/err" || fail "EACCES: $(cat "$T/err")"
else
	chmod 000 "$SOCK"
	expect_exit 1 "permission denied" $C status
	grep -q "permission denied" "$T/err" || fail "EACCES: $(cat "$T/err")"
	chmod 660 "$SOCK"
fi
stop_testd

# Something else answers on the socket: another API, or not smtptallyd.
# python3 is installed by tools/deps.sh: not a silent skip.
command -v python3 >/dev/null 2>&1 ||
    fail "the API mismatch test needs python3"
for api in 2 none; do
	python3 - "$T/fake" "$api" <<'PY' &
import os, socket, sys
path, api = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX)
s.bind(path)
s.listen(1)
s.settimeout(20)
c, _ = s.accept()
c.recv(4096)
hdr = "" if api == "none" else "X-Smtptally-Api: %s\r\n" % api
c.sendall(("HTTP/1.1 200 OK\r\n%sContent-Length: 2\r\n\r\n{}" % hdr).encode())
c.close()
PY
	FAKE=$!
	i=0
	while [ ! -S "$T/fake" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	expect_exit 1 "api $api" $CLIENT -s "$T/fake" status
	if [ "$api" = 2 ]; then
		grep -q "speaks API 2" "$T/err" || fail "api: $(cat "$T/err")"
	else
		grep -q "not smtptallyd" "$T/err" || fail "api: $(cat "$T/err")"
	fi
	wait $FAKE
	rm -f "$T/fake"
done
echo "PASS"
