#!/bin/sh
# /metrics through the Unix socket and the optional loopback TCP
# listener: valid under `promtool check metrics`, counters equal to the
# test's own sums, and the TCP listener serves nothing but /metrics.
. "${top_srcdir:-.}/tests/serve/common.sh"
command -v curl >/dev/null 2>&1 || skip "curl not installed"
command -v promtool >/dev/null 2>&1 || skip "promtool not installed"

make_db
# A port from the test's pid, away from the usual ones.
PORT=$((20000 + $$ % 20000))
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

# Only the top 2 domains get their own series; the rest is "(other)".
start_testd -n 2
get /metrics > "$T/metrics2"
eq "domains with series" "$(grep '^smtptally_domain_attempts_total' "$T/metrics2" | \
    sed 's/.*domain="\([^"]*\)".*/\1/' | sort -u | wc -l | tr -d ' ')" 3
grep -q 'domain="(other)"' "$T/metrics2" || fail "no (other) series"
eq "domain series sum" "$(awk '/^smtptally_domain_attempts_total/ { s += $2 } END { print s }' "$T/metrics2")" "$E_TOTAL"
promtool check metrics < "$T/metrics2" >/dev/null 2>&1 || fail "promtool (top 2)"
stop_testd
echo "PASS"
