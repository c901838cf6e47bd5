#!/bin/sh
# The oracle's own test: what the writer records is what it wrote.  Lines
# are read back from the files with sed (independently of the writer's
# code and of the daemon) and must give the same (domain, reply) counts
# and the same number of lines as the record; rotation, pauses, a long
# line and NUL bytes are exercised.  Needs no daemon.
. "$(dirname "$0")/common.sh"
[ -x "$WRITER" ] || skip "no writer at $WRITER"
SMTPTALLYD=/bin/true
ingest_init

# Deliveries read back from a file: "domain reply" per delivery line.
readback()
{
	tr -d '\000' < "$1" | sed -n -E '
	    s/.* to=<u[0-9]+@([^>]+)>, relay=none, .* status=deferred \(connect to .*/\1 0/p
	    t
	    s/.* to=<u[0-9]+@([^>]+)>, .* said: ([0-9]{3}) .*/\1 \2/p
	    t
	    s/.* to=<u[0-9]+@([^>]+)>, .* status=sent \(([0-9]{3}) .*/\1 \2/p
	    t
	    s/.* (=>|==|\*\*) u[0-9]+@([^ ]+) .* C="([0-9]{3}) .*/\2 \3/p
	    t
	    s/.* (=>|==|\*\*) u[0-9]+@([^ ]+) .*: ([0-9]{3}) [0-9]\.[0-9.]+ .*/\2 \3/p'
}

# Compare the read-back counts of some files with a record.
compare()
{
	rec=$1
	shift
	for f in "$@"; do readback "$f"; done |
	    awk '{ c[$1 " " $2]++ } END { for (k in c) print k, c[k] }' |
	    LC_ALL=C sort > "$T/readback"
	rec_counts "$rec" > "$T/recorded"
	cmp -s "$T/readback" "$T/recorded" || {
		diff "$T/recorded" "$T/readback" | head -n 20
		fail "$rec: the record does not match the file"
	}
	nl=$(cat "$@" | tr -cd '\n' | wc -c)
	[ "$nl" -eq "$(wc -l < "$rec")" ] ||
	    fail "$rec: $nl lines in the files, $(wc -l < "$rec") recorded"
	say "$rec: $(rec_total "$rec") deliveries, $nl lines: record matches"
}

# Postfix with noise, NULs (all four kinds), self-rotation and a pause.
write_bg -F postfix -c 5000 -N 4 -z 7 -Z -R 1500:5 -k 20 -t pf \
    -p "2500:$T/go" -r "$T/rec.pf" "$T/pf.log"
w=$WPID
wait_file "$T/go.wait" 10 || fail "no pause at line 2500"
tail -c 1 "$T/pf.log" | od -An -c | grep -q '\\n' &&
    fail "the paused line ends in a newline"
touch "$T/go"
writer_wait "$w" 30
compare "$T/rec.pf" "$T"/pf.log*
ls "$T"/pf.log.3 > /dev/null || fail "no third rotated file"

# Exim with noise and a long line of 10 MB.
write_lines -F exim -c 3000 -N 5 -L 1234:10485760 -t ex -r "$T/rec.ex" \
    "$T/ex.log"
compare "$T/rec.ex" "$T/ex.log"
long=$(awk 'length($0) > 1000000 { print length($0) }' "$T/ex.log")
[ "$long" -ge 10485000 ] || fail "the long line has ${long:-no} bytes"

# A reply subset and keep mode across a rename.
write_bg -m keep -c 2000 -l 4000 -O 250,550 -t k -r "$T/rec.k" "$T/k.log"
w=$WPID
sleep 0.2
mv "$T/k.log" "$T/k.log.1"
writer_wait "$w" 30
[ ! -e "$T/k.log" ] || fail "keep mode reopened the path"
compare "$T/rec.k" "$T/k.log.1"
awk '$2 != "-" && $3 != 250 && $3 != 550' "$T/rec.k" | grep -q . &&
    fail "-O 250,550 wrote other replies"
finish
