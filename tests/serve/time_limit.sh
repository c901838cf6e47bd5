#!/bin/sh
# The query time limit (audit 5.5; test hooks make a query slow past it,
# so nothing here depends on how fast the machine is):
#  1. a request whose query runs past the limit is answered 503 with
#     "query took too long", and the next one is served;
#  2. /metrics when ranking the busiest domains runs past the limit
#     (millions of domains): still 200 with every other family, the
#     domain series left out and smtptally_domain_series_omitted 1.
#     Before, the whole scrape was a 503, and alerts had nothing to read.
. "${top_srcdir:-.}/tests/serve/common.sh"
command -v curl >/dev/null 2>&1 || skip "curl not installed"
command -v promtool >/dev/null 2>&1 || skip "promtool not installed"
grep -q '^#define SMTPTALLY_TEST_HOOKS 1' "$top_builddir/config.h" ||
    skip "needs ./configure --enable-test-hooks"

make_db
SMTPTALLY_SLEEP=query_clock:1500
export SMTPTALLY_SLEEP
start_testd -q 1000
unset SMTPTALLY_SLEEP
eq "past the limit" "$(code '/v1/summary?by=domain,class')" 503
get '/v1/summary?by=domain,class' | grep -q '"query took too long' ||
    fail "no 'query took too long' in the 503"
pass "the 503 says the query took too long"
stop_testd
start_testd -q 1000
eq "within the limit" "$(code '/v1/summary?by=domain,class')" 200
stop_testd

SMTPTALLY_SLEEP=metrics_domains:1500
export SMTPTALLY_SLEEP
start_testd -q 1000
unset SMTPTALLY_SLEEP

eq "status" "$(code /metrics)" 200
get /metrics > "$T/m" || fail "no /metrics"
promtool check metrics < "$T/m" > "$T/promtool" 2>&1 ||
    fail "promtool: $(cat "$T/promtool")"
pass "promtool check metrics"
eq "domain series" "$(grep -c '^smtptally_domain_attempts_total' "$T/m")" 0
eq "omitted" "$(awk '$1 == "smtptally_domain_series_omitted" { print $2 }' "$T/m")" 1
eq "attempts, all classes" "$(awk '/^smtptally_attempts_total\{/ { s += $2 } END { print s }' "$T/m")" "$E_TOTAL"
eq "lines" "$(awk '$1 == "smtptally_lines_total" { print $2 }' "$T/m")" 1234
stop_testd

# In time, the series are there and the gauge is 0.
start_testd -n 2
get /metrics > "$T/m2" || fail "no /metrics"
eq "omitted, in time" "$(awk '$1 == "smtptally_domain_series_omitted" { print $2 }' "$T/m2")" 0
eq "domains with series, in time" "$(sed -n 's/^smtptally_domain_attempts_total{domain="\([^"]*\)".*/\1/p' "$T/m2" | sort -u | wc -l | tr -d ' ')" 2
stop_testd
echo PASS
