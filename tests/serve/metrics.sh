#!/bin/sh
# /metrics through the Unix socket and the optional loopback TCP
# listener: valid under `promtool check metrics`, counters equal to the
# test's own sums, and the TCP listener serves nothing but /metrics.
. "${top_srcdir:-.}/tests/serve/common.sh"
command -v curl >/dev/null 2>&1 || skip "curl not installed"
command -v promtool >/dev/null 2>&1 || skip "promtool not installed"

make_db
# A free port the kernel chooses (bound, then let go for testd).
PORT=$(python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])') || fail "no free port"
start_testd -m "127.0.0.1:$PORT"

get /metrics > "$T/metrics" || fail "no /metrics"
promtool check metrics < "$T/metrics" > "$T/promtool" 2>&1 || \
    fail "promtool: $(cat "$T/promtool")"
pass "promtool check metrics (unix socket)"

sum() {
	awk -v c="$1" '$1 ~ "^smtptally_attempts_total\\{.*class=\"" c "\"" \
	    { s += $2 } END { print s + 0 }' "$T/metrics"
}
eq "attempts 2xx" "$(sum 2xx)" "$E_2XX"
eq "attempts 4xx" "$(sum 4xx)" "$E_4XX"
eq "attempts 5xx" "$(sum 5xx)" "$E_5XX"
eq "domain series for o'brien" "$(awk '/^smtptally_domain_attempts_total\{domain="o.brien.example"/ { s += $2 } END { print s }' "$T/metrics")" "$E_DOM3"
eq "lines" "$(awk '$1 == "smtptally_lines_total" { print $2 }' "$T/metrics")" 1234
eq "unrecognised" "$(awk '$1 == "smtptally_unrecognised_lines_total" { print $2 }' "$T/metrics")" 5

curl -s --max-time 10 "http://127.0.0.1:$PORT/metrics" > "$T/tcp" || \
    fail "tcp /metrics"
promtool check metrics < "$T/tcp" > "$T/promtool" 2>&1 || \
    fail "promtool (tcp): $(cat "$T/promtool")"
pass "promtool check metrics (tcp)"
eq "tcp /v1/status" "$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 \
    "http://127.0.0.1:$PORT/v1/status")" 404
stop_testd

# Only the top 2 domains get their own series, each with its own totals;
# the others have none (trial D12: an "(other)" series took a domain's
# lifetime totals when it left the top set, a burst that never happened).
start_testd -n 2
get /metrics > "$T/metrics2"
dseries() {	# domain class value, sorted
	sed -n 's/^smtptally_domain_attempts_total{domain="\([^"]*\)",class="\([^"]*\)"} \(.*\)/\1 \2 \3/p' "$1" | sort
}
dseries "$T/metrics2" > "$T/d2"
printf '%s %s\n' "$E_DOM1" gmail.com "$E_DOM2" example.org \
    "$E_DOM3" "o'brien.example" "$E_DOM4" xn--bcher-kva.example | \
    sort -rn | head -2 > "$T/want2"
eq "domains with series" "$(cut -d' ' -f1 "$T/d2" | sort -u | tr '\n' ' ')" \
    "$(awk '{ print $2 }' "$T/want2" | sort | tr '\n' ' ')"
awk '{ s[$1] += $3 } END { for (d in s) print s[d], d }' "$T/d2" | sort -rn > "$T/got2"
eq "top 2 totals" "$(cat "$T/got2")" "$(cat "$T/want2")"
promtool check metrics < "$T/metrics2" >/dev/null 2>&1 || fail "promtool (top 2)"

# A new domain overtakes both: it gets a series, the one it pushes out
# loses its series, and no value that stays changes (nothing else was
# counted).
big=$(($(head -1 "$T/want2" | cut -d' ' -f1) + 7))
printf 'count %d %d new.example mx1 postfix out attempt sent 250 2.0.0\n' \
    $((T0 + 3600)) $big > "$T/rows3"
"$DBTOOL" fill "$DB" 1 < "$T/rows3" || fail "fill new.example"
get /metrics > "$T/metrics3"
dseries "$T/metrics3" > "$T/d3"
eq "new.example's series" "$(awk '$1 == "new.example" { print $2, $3 }' "$T/d3")" "2xx $big"
eq "series kept unchanged" "$(grep -v '^new\.example ' "$T/d3")" \
    "$(grep "^$(head -1 "$T/want2" | cut -d' ' -f2 | sed 's/\./\\./g') " "$T/d2")"
stop_testd
echo "PASS"
