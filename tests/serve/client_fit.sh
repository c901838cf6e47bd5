#!/bin/sh
# The client's fit (issue 15, D-numbers of the 2026-12-01 trial): options
# anywhere, usage errors, help, direction, the report's sections, names
# as typed, local time, widths, colour, and messages.  The database is
# this test's own; every expected figure is the arithmetic of the rows
# below, never the client's output.
. "${top_srcdir:-.}/tests/serve/common.sh"
[ -x "$CLIENT" ] || fail "$CLIENT not built"

LONG="The email account that you tried to reach is over quota and inactive please see the help page for this provider"
# T0 = 2026-11-28T00:00:00Z
cat > "$T/rows" <<ROWS
count $T0 40 gmail.com mx1 postfix out attempt sent 250 2.0.0
count $T0 5 gmail.com mx1 postfix out attempt deferred 421 4.7.28 $LONG
count $T0 3 example.org mx1 postfix out attempt bounced 550 5.1.1 <ADDR>: user unknown
count $T0 6 example.net mx1 postfix out attempt sent 0 2.0.0
count $T0 7 example.net mx1 postfix in attempt rejected 554 5.7.1 <ADDR>: Relay access denied
count $T0 2 example.net mx1 postfix in attempt rejected 450 4.1.8 Sender address rejected: Domain not found
count $T0 2 sender.example mx1 postfix out final expired 0 - returned to sender
ROWS
"$DBTOOL" fill "$DB" 1 < "$T/rows" || fail "fill"
start_testd
C="$CLIENT -s $SOCK"
DAY="--since 2026-11-28T00:00:00Z --until 2026-11-29T00:00:00Z"

# run WANT WHAT COMMAND...: run, check the status, keep stdout and stderr.
run() {
	want=$1; what=$2; shift 2
	timeout 30 "$@" >"$T/out" 2>"$T/err"
	got=$?
	[ "$got" = "$want" ] || fail "$what: exit $got, want $want: $(cat "$T/err" "$T/out" | head -5)"
	pass "$what exits $want"
}
has() { grep -q -- "$2" "$T/$1" || fail "$3: no '$2' in: $(head -20 "$T/$1")"; pass "$3"; }
hasnt() { grep -q -- "$2" "$T/$1" && fail "$3: '$2' in: $(head -20 "$T/$1")"; pass "$3"; }
csvsum() { awk -F, 'NR > 1 { s += $'"$1"' } END { print s + 0 }' "$T/out"; }

# The client shares only the protocol: none of the daemon's modules is
# linked into it.
if command -v nm >/dev/null 2>&1; then
	nm "$CLIENT" | grep -E ' [TtDdBb] (store|query|http|tail|tally|conf)_' > "$T/nm"
	[ -s "$T/nm" ] && fail "the client links daemon code: $(head -3 "$T/nm")"
	pass "the client links no daemon module"
fi

# D1: options after the positional argument.
run 0 "D1 domain NAME --since" $C domain gmail.com --since 2026-11-28T00:00:00Z --csv
eq "D1 gmail attempts" "$(awk -F, 'NR > 1 { s += $NF } END { print s }' "$T/out")" $((40 + 5))

# D16: each usage error says what was wrong.
run 2 "D16 unknown command" $C summry
has err "unknown command 'summry'" "D16 names the command"
run 2 "D16 domain without a name" $C domain
has err "missing NAME" "D16 says the name is missing"
run 2 "D16 extra argument" $C summary --by class extra-arg
has err "unexpected argument 'extra-arg'" "D16 names the argument"
run 2 "D16 unknown option" $C summary --verbose
has err "unknown option '--verbose'" "D16 names the option"
# help CMD, CMD --help, CMD -h
run 0 "help summary" $C help summary
has out "--by KEYS" "help summary lists --by"
run 0 "top -h" $C top -h
has out "usage: smtptally top" "top -h is top's usage"
run 0 "explain --help" $C explain --help
has out "usage: smtptally explain" "explain --help is explain's usage"
run 0 "--help" $CLIENT --help
for w in summary top domain reasons status report explain classify help \
    since until by top json csv wide color utc domain host reply enhanced \
    class status kind direction mta hop category blame provider socket; do
	grep -q -- "$w" "$T/out" || fail "--help does not list $w"
done
pass "--help lists every command and option"

# D25: an option a command does not take is an error.
run 2 "D25 top --by" $C top --by class
has err "does not apply" "D25 top --by refused"
run 2 "D25 report --top" $C report --top 1
run 2 "D25 report --by" $C report --by reply
run 2 "D25 status --domain" $C status --domain x
run 2 "D25 domain NAME --domain" $C domain gmail.com --domain example.org
has err "the domain is the argument" "D25 domain takes its name once"

# D3/D11: top counts outgoing unless asked, and says so.
run 0 "D3 top" $C top --csv
eq "D3 example.net out" "$(grep '^example.net,' "$T/out" | cut -d, -f2)" 6
run 0 "D3 top all" $C top --csv --direction all
eq "D3 example.net all" "$(grep '^example.net,' "$T/out" | cut -d, -f2)" $((6 + 7 + 2))
run 0 "D3 top in" $C top --csv --direction in
eq "D3 example.net in" "$(grep '^example.net,' "$T/out" | cut -d, -f2)" $((7 + 2))
run 0 "D3 top table" $C top
has out "outgoing" "D3 top says it shows outgoing"
run 0 "D3 top in table" $C top --direction in
has out "refused 5xx" "D3 incoming columns are refusals, not bounces"

# summary says which way it counts, in the words top and domain use: both
# directions unless --direction says (smtptally(1)).
run 0 "summary" $C summary
eq "summary heading" "$(head -n 1 "$T/out")" \
    "both directions (our deliveries and our smtpd's answers)"
for d in out in all; do
	run 0 "summary --direction $d" $C summary --direction $d
	head -n 1 "$T/out" > "$T/sum1"
	run 0 "top --direction $d" $C top --direction $d
	eq "summary --direction $d heading is top's" "$(cat "$T/sum1")" \
	    "$(head -n 1 "$T/out")"
done
eq "summary --direction all heading" "$(cat "$T/sum1")" \
    "both directions (our deliveries and our smtpd's answers)"

# D4: reasons honour every filter (the rows are Postfix, host mx1).
run 0 "D4 reasons --mta exim" $C reasons --mta exim --csv
eq "D4 no exim reasons" "$(csvsum 7)" 0
run 0 "D4 reasons --host nosuch" $C reasons --host nosuch --csv
eq "D4 no reasons of another host" "$(csvsum 7)" 0
run 0 "D4 reasons --status deferred" $C reasons --status deferred --csv
eq "D4 deferred reasons" "$(csvsum 7)" 5
run 0 "D4 reasons --direction in" $C reasons --direction in --csv
eq "D4 incoming reasons" "$(csvsum 7)" $((7 + 2))
run 0 "D4 reasons --kind final" $C reasons --kind final --csv
eq "D4 final reasons" "$(csvsum 7)" 2

# Reasons page one row at a time through the cursor: each text once.
after=; rows=0; sum=0; pages=0
while :; do
	get "/v1/reasons?direction=all&limit=1${after:+&after=$after}" > "$T/page"
	rows=$((rows + $(jq '.rows | length' "$T/page")))
	sum=$((sum + $(jq '[.rows[].count] | add // 0' "$T/page")))
	pages=$((pages + 1))
	after=$(jq -r '.next // empty' "$T/page")
	[ -n "$after" ] || break
	[ $pages -lt 10 ] || fail "reasons pages do not end"
done
eq "reasons paged: rows" $rows 4
eq "reasons paged: counts" $sum $((5 + 3 + 7 + 2))
run 0 "reasons --all" $C reasons --all --csv --direction all
eq "reasons --all rows" "$(tail -n +2 "$T/out" | wc -l)" 4

# D14: names as users type them.
run 0 "D14 upper case, trailing dot" $C summary --domain GMAIL.COM. --csv
eq "D14 total" "$(csvsum 2)" 45

# The report: D9 (failures only), D10 (--domain), D11 (sections).
run 0 "report" $C report $DAY
hasnt out "^  2\.0\.0" "D9 codes seen: no 2.0.0"
hasnt out "^  0 " "D9 codes seen: no local delivery's 0"
has out "Expired, returned to sender" "D11 expired section"
has out " 2 messages stayed in the queue" "D11 the two expired messages"
has out "Refused by our smtpd" "D11 inbound section"
has out " 9 of 9 incoming attempts refused" "D11 inbound refusals counted"
eq "report 5xx excludes inbound" "$(awk '$1 == "5xx" { print $3 }' "$T/out")" 3
run 0 "D10 report --domain" $C report --domain gmail.com $DAY
has out "Top deferring domains" "D10 the whole report"
run 0 "D11 report --direction in" $C report --direction in $DAY
has out "5xx  refused" "D11 incoming words"

# D30: the picture ends where the period ends (30 days ending 21:44).
run 0 "D30 report 30 days" $C report --since 2026-10-29T21:44:00Z \
    --until 2026-11-28T21:44:00Z --utc
has out "to 2026-11-28 21:44 UTC" "D30 the sparkline reaches the period's end"

# D2: reason texts use the width they have.
run 0 "D2 reasons, 200 columns" env COLUMNS=200 $C reasons
has out "for this provider" "D2 full text at 200 columns"
run 0 "D2 reasons, a pipe" env -u COLUMNS $C reasons
has out "\.\.\.$" "D2 cut at 80 columns in a pipe"
run 0 "D2 reasons --wide" env -u COLUMNS $C reasons --wide
has out "for this provider" "D2 --wide never cuts"

# D5: a rounded range says so.
run 0 "D5 rounded" $C summary --since 2026-11-28T00:30:00Z --utc
has out "note: counts are kept by the hour; read as 2026-11-28 00:00" "D5 the note"

# D15: today and yesterday are local midnights.
tokyo=$(TZ=Asia/Tokyo date -d 'today 00:00' +%s)
tokyo=$(date -u -d "@$tokyo" +%Y-%m-%dT%H:%M:%SZ)
run 0 "D15 today in Tokyo" env TZ=Asia/Tokyo $C summary --since today --json
eq "D15 since" "$(grep '"since"' "$T/out" | cut -d'"' -f4)" "$tokyo"
run 0 "D15 --utc" $C summary --since today --utc --json
eq "D15 since UTC" "$(grep '"since"' "$T/out" | cut -d'"' -f4)" "$(date -u +%Y-%m-%dT00:00:00Z)"

# D27: final codes as final; bad arguments before any output.
run 0 "D27 explain 4.4.7" $CLIENT explain 4.4.7
has out "final" "D27 4.4.7 is final"
run 2 "D27 explain 550 9.9.9" $CLIENT explain 550 9.9.9
eq "D27 nothing printed" "$(wc -c < "$T/out")" 0
run 0 "D27 classes disagree" $CLIENT explain 451 5.7.1
has out "class 4 and the enhanced code class 5" "D27 the disagreement is pointed out"

# D28: an unknown domain says so; D29: one other domain, singular.
run 0 "D28 never seen" $C domain never.example
has out "no mail to never.example" "D28 says there is no mail"
run 0 "D29 top 2" $C top --top 2
has out "(1 other domain)" "D29 singular"

# Colour: on when asked, off in a pipe and with NO_COLOR.
run 0 "colour always" $C summary --color=always
grep -q "$(printf '\033')\[3" "$T/out" || fail "no colour with --color=always"
pass "colour with --color=always"
run 0 "colour in a pipe" $C summary
grep -q "$(printf '\033')" "$T/out" && fail "colour in a pipe"
pass "no colour in a pipe"
if command -v script >/dev/null 2>&1; then
	NO_COLOR=1 timeout 30 script -qec "$C summary" /dev/null > "$T/tty" 2>&1
	grep -q "$(printf '\033')\[3" "$T/tty" && fail "colour despite NO_COLOR"
	pass "NO_COLOR in a terminal"
fi
run 2 "bad --color" $C summary --color=purple

# D18: a 0600 socket: the group cannot help, the owner can.
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null 2>&1; then
	chmod 755 "$T"
	chmod 600 "$SOCK"
	run 1 "D18 0600 socket" setpriv --reuid=65534 --regid=65534 \
	    --clear-groups $C status
	has err "only its owner" "D18 names the owner, not a group"
	chmod 660 "$SOCK"
	chmod 700 "$T"
fi
stop_testd

# D19: a daemon that has bound its socket but does not listen yet.
if command -v python3 >/dev/null 2>&1; then
	python3 - "$T/late" <<'PY' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1])
time.sleep(0.7)
s.listen(1)
s.settimeout(20)
c, _ = s.accept()
c.recv(4096)
c.sendall(b"HTTP/1.1 200 OK\r\nX-Smtptally-Api: 1\r\nContent-Length: 2\r\n\r\n{}")
c.close()
PY
	LATE=$!
	i=0
	while [ ! -S "$T/late" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	run 0 "D19 a starting daemon is waited for" $CLIENT -s "$T/late" status
	wait $LATE
fi
# D17: status names each generation where it is, with its format.
SMTPTALLYD=$top_builddir/smtptallyd
# D32: -V as well as --version, for the daemon as for the client; the
# version is configure's (config.h), not the program's.
V=$(sed -n 's/^#define PACKAGE_VERSION "\(.*\)"$/\1/p' "$top_builddir/config.h")
[ -n "$V" ] || fail "no PACKAGE_VERSION in config.h"
if [ -x "$SMTPTALLYD" ]; then
	for opt in -V --version; do
		run 0 "D32 smtptallyd $opt" "$SMTPTALLYD" $opt
		eq "D32 smtptallyd $opt" "$(cat "$T/out")" "smtptallyd $V"
	done
fi
for opt in -V --version; do
	run 0 "smtptally $opt" $CLIENT $opt
	grep -q "$V" "$T/out" || fail "smtptally $opt: $(cat "$T/out")"
done
if [ -x "$SMTPTALLYD" ]; then
	mkdir "$T/bf"
	S=$top_srcdir/tests/data/sample-postfix.log
	head -n 400 "$S" > "$T/bf/mail.log.1"
	sed -n 401,600p "$S" | gzip > "$T/bf/mail.log.2.gz"
	sed -n 601,700p "$S" > "$T/bf/mail.log"
	"$SMTPTALLYD" --oneshot --backfill --db "$T/bf/db" \
	    --follow "postfix:$T/bf/mail.log" 2>"$T/bf/log" || \
	    fail "backfill: $(cat "$T/bf/log")"
	DB=$T/bf/db SOCK=$T/bf/sock
	start_testd
	run 0 "D17 status" $CLIENT -s "$SOCK" status --wide
	has out "rotated  postfix .* $T/bf/mail.log.1\$" "D17 mail.log.1 by its name"
	has out "rotated  postfix .* $T/bf/mail.log.2.gz\$" "D17 mail.log.2.gz by its name"
	has out "active   postfix .* $T/bf/mail.log\$" "D17 the live file"
	# D15: the time status shows names its zone.
	lc=$(get /v1/status | jq -r .last_commit)
	run 0 "D15 status in Tokyo" env TZ=Asia/Tokyo $CLIENT -s "$SOCK" status
	eq "D15 status last commit" "$(grep '^last commit:' "$T/out")" \
	    "last commit: $(TZ=Asia/Tokyo date -d "$lc" '+%Y-%m-%d %H:%M JST')"
	stop_testd
fi
echo PASS
