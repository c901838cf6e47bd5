#!/bin/sh
# Every endpoint through the real socket with curl, answers checked with
# jq against figures the test computed while writing the database.
. "${top_srcdir:-.}/tests/serve/common.sh"
command -v curl >/dev/null 2>&1 || skip "curl not installed"
command -v jq >/dev/null 2>&1 || skip "jq not installed"

make_db
start_testd

eq "summary total" "$(get '/v1/summary' | jq .total)" "$E_TOTAL"
s=$(get '/v1/summary?by=class')
eq "summary 2xx" "$(echo "$s" | jq '.rows[]|select(.class=="2xx").count')" "$E_2XX"
eq "summary 4xx" "$(echo "$s" | jq '.rows[]|select(.class=="4xx").count')" "$E_4XX"
eq "summary 5xx" "$(echo "$s" | jq '.rows[]|select(.class=="5xx").count')" "$E_5XX"
eq "since null" "$(echo "$s" | jq .since)" "null"

# The second day only (hour rows), and a 4xx filter on it.
r='since=2026-11-29T00:00:00Z&until=2026-11-30T00:00:00Z'
eq "day 2 total" "$(get "/v1/summary?$r" | jq .total)" "$E_DAY2"
eq "day 2 4xx" "$(get "/v1/summary?$r&class=4xx" | jq .total)" "$E_DAY2_4XX"
eq "since echoed" "$(get "/v1/summary?$r" | jq -r .since)" \
    "2026-11-29T00:00:00Z"

# Per domain, with a quote in a name, percent-encoded.
s=$(get '/v1/summary?by=domain')
eq "gmail.com" "$(echo "$s" | jq '.rows[]|select(.domain=="gmail.com").count')" "$E_DOM1"
eq "o'brien" "$(get '/v1/summary?domain=o%27brien.example' | jq .total)" "$E_DOM3"

# Top domains with the rest as one row.
s=$(get '/v1/domains?top=2')
eq "domains rows" "$(echo "$s" | jq '.rows|length')" 3
eq "domains other" "$(echo "$s" | jq '.rows[2].other')" true
eq "domains sum" "$(echo "$s" | jq '[.rows[].attempts]|add')" "$E_TOTAL"
eq "example.org deferred" \
    "$(get '/v1/domains?domain=example.org' | jq '.rows[0].deferred')" "$E_DEF2"

s=$(get '/v1/reasons?domain=example.org')
eq "reasons text" "$(echo "$s" | jq -r '.rows[0].text')" "<ADDR>: user unknown"
eq "reasons count" "$(echo "$s" | jq '.rows[0].count')" "$E_R550"

s=$(get '/v1/status')
eq "status api" "$(echo "$s" | jq .api)" 1
eq "status lines" "$(echo "$s" | jq .lines_total)" 1234
eq "status unrecognised" "$(echo "$s" | jq .unrecognised_total)" 5
eq "status offset" "$(echo "$s" | jq '.files[0].offset')" 4096
eq "status last commit" "$(echo "$s" | jq -r .last_commit)" "2026-11-28T01:00:00Z"
# The schema is the database's, as the store wrote it (user_version).
eq "status schema" "$(echo "$s" | jq .schema)" \
    "$(sqlite3 "$DB" 'PRAGMA user_version')"
eq "lines total" "$(get '/v1/lines' | jq .total)" "$E_LINES"

# Errors: JSON bodies with the right status, never a crash.
eq "404" "$(code /v2/summary)" 404
eq "404 body" "$(get /v2/summary | jq -r 'has("error")')" true
eq "400 by" "$(code '/v1/summary?by=nonsense')" 400
eq "400 since" "$(code '/v1/summary?since=soon')" 400
eq "400 twice" "$(code '/v1/summary?top=1&top=2')" 400
eq "400 reply" "$(code '/v1/summary?reply=250%20OR%201=1')" 400
eq "405 POST" "$(code /v1/summary -X POST -d x=1)" 405
eq "405 DELETE" "$(code /v1/summary -X DELETE)" 405
head -c 10000 /dev/zero > "$T/big"
eq "413 body" "$(code /v1/summary -X POST --data-binary @"$T/big")" 413
eq "413 body is JSON" "$(timeout 20 curl -s --max-time 15 --unix-socket "$SOCK" \
    -X POST --data-binary @"$T/big" http://localhost/v1/summary | jq -r .error)" \
    "request body too large"
head -c 100000 /dev/zero > "$T/bigger"
# Past the hard limit libevent answers 413 and closes without reading
# the rest; whether curl reads the 413 before its send fails depends on
# timing (it printed 000 under load), so a reset counts as refused too.
# Either way the connection is refused and the server serves on.
hard=$(code /v1/summary -X POST --data-binary @"$T/bigger")
case $hard in
413|000) pass "past the hard limit: refused ($hard)";;
*) fail "past the hard limit: got '$hard', want 413 (or a reset)";;
esac
eq "served after the hard limit" "$(code /v1/status)" 200
eq "HEAD" "$(code /v1/status -I)" 200
many=$(awk 'BEGIN { for (i = 0; i < 40; i++) printf "&k%d=v", i }')
eq "400 many params" "$(code "/v1/summary?x=1$many")" 400

# Hostile parameter values: bound, never spliced; answers stay JSON.
for v in '%FF%FE%80' "%27%3B%20DROP%20TABLE%20count_hour%3B--" \
    '%22%20OR%20%221%22%3D%221' '%00' '%C0%AF' 'a%25%25%25' \
    "$(head -c 400 /dev/zero | tr '\0' 'x')"; do
	s=$(get "/v1/summary?domain=$v&by=domain")
	c=$(code "/v1/summary?domain=$v&by=domain")
	case $c in
	200)	eq "hostile domain $(echo "$v" | cut -c1-20)" \
		    "$(echo "$s" | jq .total)" 0 ;;
	400)	eq "hostile domain $(echo "$v" | cut -c1-20) refused" \
		    "$(echo "$s" | jq -r 'has("error")')" true ;;
	*)	fail "hostile domain $v: status $c" ;;
	esac
done
eq "tables intact" "$(get '/v1/summary' | jq .total)" "$E_TOTAL"
eq "hostile by" "$(code '/v1/summary?by=class%27%29%3B--')" 400
eq "long value" "$(code "/v1/summary?domain=$(head -c 2000 /dev/zero | tr '\0' a)")" 400

stop_testd
echo "PASS"
