#!/bin/sh
# Issue 12 item 14: a domain and a reply text from a hostile remote carry
# ESC (a terminal sequence), U+009B (CSI, a C1 control) and U+202E (a
# right-to-left override).  Every text view (top, domain, reasons,
# summary, report, CSV, classify) prints none of them raw, shows each as
# its escape, and keeps its columns: widths count the escape.  --json
# keeps the exact text.
. "${top_srcdir:-.}/tests/serve/common.sh"
[ -x "$CLIENT" ] || fail "$CLIENT not built"

make_db
ESC=$(printf '\033')
CSI=$(printf '\302\233')
RLO=$(printf '\342\200\256')
DOM="ev${ESC}[8mil${CSI}31m${RLO}moc.example"
# (Lower case: a domain filter is matched in lower case.)
# The escaped form, by hand: ESC is \x1b, U+009B \u009b, U+202E \u202e.
SHOWN='ev\x1b[8mil\u009b31m\u202emoc.example'
printf 'count %d 7 %s mx1 postfix out attempt bounced %s\n' \
    $((T0 + 47 * 3600)) "$DOM" \
    "550 5.7.1 blocked ${CSI} here ${RLO}txet desrever" > "$T/hostile"
"$DBTOOL" fill "$DB" 1 < "$T/hostile" || fail "fill hostile"
sqlite3 "$DB" "SELECT count(*) FROM domain WHERE name = '$DOM'" | grep -qx 1 ||
    fail "the store did not keep the domain as written"
start_testd
C="$CLIENT -s $SOCK"
R="--since 2026-11-29T00:00:00Z --until 2026-11-30T00:00:00Z"

# No C0 control but the line break, no DEL, no C1 (UTF-8 C2 80-9F), no
# bidi control (U+200E/F, U+202A-202E, U+2066-2069).
raw() {
	LC_ALL=C grep -naP '[\x00-\x09\x0b-\x1f\x7f]|\xc2[\x80-\x9f]|\xe2\x80[\x8e\x8f\xaa-\xae]|\xe2\x81[\xa6-\xa9]' "$1"
}
clean() {
	what=$1; shift
	timeout 30 "$@" > "$T/out" 2> "$T/err" || fail "$what: $(cat "$T/err")"
	raw "$T/out" > "$T/raw" && fail "$what prints a raw control: $(cat -v "$T/raw")"
	pass "$what: no raw control"
}
# fixed STRING WHAT: the escape is shown as the test wrote it.
fixed() {
	grep -qF -- "$1" "$T/out" || fail "$2: no '$1' in: $(cat -v "$T/out")"
	pass "$2 shows $1"
}

# shellcheck disable=SC2086
clean "top" $C top $R
# top cuts a domain to 36 columns: 33 of the escaped form and "...".
fixed 'ev\x1b[8mil\u009b31m\u202emoc.exa...' "top"
# The domain column is as wide as its widest cell, the escape counted:
# every row's attempts end at the same column.
awk 'NR > 2 && $1 != "total" && $2 ~ /^[0-9,]+$/ { print index($0, " " $2 " ") + length($2) }' \
    "$T/out" | sort -u > "$T/ends"
eq "top columns line up" "$(wc -l < "$T/ends" | tr -d ' ')" 1
# shellcheck disable=SC2086
clean "domain" $C domain "$DOM" $R
fixed "$SHOWN, outgoing" "domain heading"
fixed 'blocked \u009b here \u202etxet desrever' "domain reasons"
# shellcheck disable=SC2086
clean "reasons" $C reasons $R --wide
fixed 'blocked \u009b here \u202etxet desrever' "reasons"
# shellcheck disable=SC2086
clean "summary by domain" $C summary --by domain $R
fixed "$SHOWN" "summary by domain"
# shellcheck disable=SC2086
clean "report" $C report $R
fixed 'ev\x1b[8mil\u009b31m\u202emoc...' "report (cut to 32)"
fixed 'blocked \u009b here \u202etxet desrever' "report reasons"
# shellcheck disable=SC2086
clean "top csv" $C top --csv $R
fixed "$SHOWN,7," "top csv"
# shellcheck disable=SC2086
timeout 30 $C top --json $R > "$T/json" || fail "top --json"
grep -qiF '"ev\u001b[8mil' "$T/json" || fail "json: $(cat -v "$T/json")"
pass "--json keeps the exact text (ESC as JSON's \\u001b)"

# classify prints the reply it was given.
printf '550 5.7.1 no %s here %sor\n' "$CSI" "$RLO" | timeout 30 "$CLIENT" \
    classify --rules "$top_srcdir/etc/smtptally.rules" > "$T/out" ||
    fail "classify"
raw "$T/out" > "$T/raw" && fail "classify prints a raw control: $(cat -v "$T/raw")"
fixed 'no \u009b here \u202eor' "classify"
stop_testd

# A long domain of two-byte letters is cut between characters: 29 of
# them and "...", the output valid UTF-8 (it was cut by bytes).
UU=$(printf '\303\274%.0s' $(seq 1 40))
printf 'count %d 900 %s.example mx1 postfix out attempt bounced %s\n' \
    $((T0 + 47 * 3600)) "$UU" "550 5.1.1 no such user" > "$T/long"
"$DBTOOL" fill "$DB" 1 < "$T/long" || fail "fill long"
start_testd
# shellcheck disable=SC2086
clean "report, long domain" $C report $R
python3 -c 'import sys; sys.stdin.buffer.read().decode("utf-8")' \
    < "$T/out" 2>/dev/null || fail "report output is not valid UTF-8"
pass "report output is valid UTF-8"
fixed "$(printf '\303\274%.0s' $(seq 1 29))..." "report (long domain cut to 32)"
stop_testd
echo PASS
