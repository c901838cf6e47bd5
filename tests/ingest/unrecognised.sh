#!/bin/sh
# Issue 15, D20: `smtptally unrecognised` shows the lines the daemon did
# not recognise, each with its file and the byte offset of its start,
# control bytes, backslashes, bytes that are not UTF-8 and a bidi control
# escaped, a long one cut, and at most the last 20 of a file.  The garbage lines are the
# test's own, put between the writer's delivery lines; their offsets are
# the file's size before each was appended, and the expected escapes are
# written out by hand below.  Before the fix there was no such command
# and /v1/status had no unrecognised_lines.
. "$(dirname "$0")/common.sh"
ingest_init

CLIENT=$top_builddir/smtptally
[ -x "$CLIENT" ] || skip "no client at $CLIENT"

A=$T/a.log
B=$T/b.log
: > "$A"
: > "$T/expected.a"
# Writer lines into $A: count, first seq.
deliveries()
{
	write_lines -c "$1" -s "$2" -t unrec -r "$T/rec" "$T/chunk"
	cat "$T/chunk" >> "$A"
	rm -f "$T/chunk"
}
# garbage FORMAT ESCAPED [SKIP]: append the line printf FORMAT makes to
# $A; expect "$A:OFFSET: ESCAPED", OFFSET the size of $A before it plus
# SKIP (NUL bytes before a line are a hole, not part of it).
garbage()
{
	_off=$(($(wc -c < "$A") + ${3:-0}))
	printf "$1\n" >> "$A"
	printf '%s:%s: %s\n' "$A" "$_off" "$2" >> "$T/expected.a"
}

deliveries 100 0
garbage 'not a mail log line at all' 'not a mail log line at all'
garbage 'tab\there and a bell\a' 'tab\x09here and a bell\x07'
deliveries 50 1000
garbage '\033[1mbold\033[0m back\\slash' '\x1b[1mbold\x1b[0m back\\slash'
garbage 'bad utf-8 \377\376 and good caf\303\251' \
    "bad utf-8 \\xff\\xfe and good $(printf 'caf\303\251')"
garbage 'a nul\000inside' 'a nul\x00inside'
deliveries 50 2000
garbage '\000\000\000after a hole' 'after a hole' 3
garbage 'Nov 99 99:99:99 not a stamp' 'Nov 99 99:99:99 not a stamp'
garbage 'rlo \342\200\256 reversed' 'rlo \u202e reversed'
deliveries 20 3000
# One too long to keep whole: 1000 bytes of x after "long ".
LONGOFF=$(wc -c < "$A")
{ printf 'long '; head -c 995 /dev/zero | tr '\0' x; echo; } >> "$A"
deliveries 10 4000
NGARBAGE=9

# $B: 30 garbage lines after deliveries; the last 20 are kept.
write_lines -c 100 -s 5000 -t unrecb -r "$T/rec" "$B"
: > "$T/expected.b"
i=1
while [ "$i" -le 30 ]; do
	off=$(wc -c < "$B")
	echo "junk number $i" >> "$B"
	[ "$i" -le 10 ] || echo "$B:$off: junk number $i" >> "$T/expected.b"
	i=$((i + 1))
done

follow "postfix:$A"
follow "postfix:$B"
daemon_start
wait_live "$(rec_total "$T/rec")" 60
# Wait until every garbage line is counted (they are committed with the
# deliveries around them).
n=0
until daemon_status | grep -q "\"unrecognised_total\":$((NGARBAGE + 30))[,}]"
do
	n=$((n + 1))
	[ "$n" -le 300 ] || fail "unrecognised_total is not $((NGARBAGE + 30)):" \
	    "$(daemon_status)"
	sleep 0.1
done

"$CLIENT" -s "$SOCK" unrecognised > "$T/out" 2>&1 ||
    fail "unrecognised exit $?: $(cat "$T/out")"
cat "$T/out"
# $A: every garbage line, in order; the long one last, cut.
grep -F "$A:" "$T/out" > "$T/out.a"
head -n "$((NGARBAGE - 1))" "$T/out.a" > "$T/got.a"
cmp -s "$T/expected.a" "$T/got.a" || {
	diff "$T/expected.a" "$T/got.a"
	soft_fail "the lines of $A differ"
}
[ "$(wc -l < "$T/out.a")" -eq "$NGARBAGE" ] ||
    soft_fail "$(wc -l < "$T/out.a") lines of $A, not $NGARBAGE"
long=$(tail -n 1 "$T/out.a")
case $long in
"$A:$LONGOFF: long xxxxxxxxxx"*"xxx ...(cut: 1000 bytes)") ;;
*) soft_fail "the long line is not cut as expected: $long" ;;
esac
kept=$(printf '%s\n' "$long" | sed 's/.*: long \(x*\) .*/\1/' | tr -d '\n' |
    wc -c)
[ "$kept" -ge 200 ] && [ "$kept" -lt 995 ] ||
    soft_fail "the long line kept $kept of its 995 x"
# $B: the last 20 only.
grep -F "$B:" "$T/out" > "$T/got.b"
cmp -s "$T/expected.b" "$T/got.b" || {
	diff "$T/expected.b" "$T/got.b"
	soft_fail "the lines of $B are not its last 20 garbage lines"
}
[ "$(wc -l < "$T/out")" -eq $((NGARBAGE + 20)) ] ||
    soft_fail "$(wc -l < "$T/out") lines printed, not $((NGARBAGE + 20))"

# JSON: the same lines, with their sources; a JSON parser reads them.
"$CLIENT" -s "$SOCK" unrecognised --json > "$T/json" ||
    soft_fail "unrecognised --json failed"
if command -v jq >/dev/null 2>&1; then
	[ "$(jq '.unrecognised_lines | length' "$T/json")" -eq \
	    $((NGARBAGE + 20)) ] || soft_fail "--json has not $((NGARBAGE + 20)) lines"
	[ "$(jq -r '.unrecognised_lines[0].source' "$T/json")" = "$A" ] ||
	    soft_fail "--json: the first line's source is not $A"
fi
daemon_stop
check_counts "$T/rec" || soft_fail "counts differ"
finish
