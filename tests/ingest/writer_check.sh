#!/bin/sh
# The oracle's own test: what the writer records is what it wrote.  Lines
# are read back from the files with sed (independently of the writer's
# code and of the daemon) and must give the same (stamp, host, domain,
# reply, enhanced code, status) counts and the same number of lines as the
# record; each recorded second must be stamped as date(1) formats it in
# the test's zone, and its hour be the UTC hour.  Rotation, pauses, a long
# line, NUL bytes and a fixed clock are exercised.  Needs no daemon.
. "$(dirname "$0")/common.sh"
[ -x "$WRITER" ] || skip "no writer at $WRITER"
SMTPTALLYD=/bin/true
ingest_init

# Deliveries read back from a file, one per delivery line: "STAMP HOST
# DOMAIN REPLY ENH STATUS", the stamp's spaces as "_", "-" for the host of
# an Exim line.
readback()
{
	tr -d '\000' < "$1" | sed -n -E '
	    s/^(... .. ..:..:..) ([^ ]+) postfix\/smtp\[[0-9]+\]: [0-9A-F]+: to=<u[0-9]+@([^>]+)>, relay=none, .* dsn=([0-9.]+), status=(deferred) \(connect to .*/\2 \3 0 \4 \5|\1/p
	    t
	    s/^(... .. ..:..:..) ([^ ]+) postfix\/smtp\[[0-9]+\]: [0-9A-F]+: to=<u[0-9]+@([^>]+)>, .* dsn=([0-9.]+), status=([a-z]+) \(host .* said: ([0-9]{3}) .*/\2 \3 \6 \4 \5|\1/p
	    t
	    s/^(... .. ..:..:..) ([^ ]+) postfix\/smtp\[[0-9]+\]: [0-9A-F]+: to=<u[0-9]+@([^>]+)>, .* dsn=([0-9.]+), status=(sent) \(([0-9]{3}) .*/\2 \3 \6 \4 \5|\1/p
	    t
	    s/^([0-9-]{10} [0-9:]{8}) [^ ]+ => u[0-9]+@([^ ]+) .* C="([0-9]{3}) ([0-9.]+) .*/- \2 \3 \4 sent|\1/p
	    t
	    s/^([0-9-]{10} [0-9:]{8}) [^ ]+ == u[0-9]+@([^ ]+) .*: ([0-9]{3}) ([0-9]\.[0-9.]+) .*/- \2 \3 \4 deferred|\1/p
	    t
	    s/^([0-9-]{10} [0-9:]{8}) [^ ]+ \*\* u[0-9]+@([^ ]+) .*: ([0-9]{3}) ([0-9]\.[0-9.]+) .*/- \2 \3 \4 bounced|\1/p' |
	    awk -F'|' '{ gsub(/ /, "_", $2); print $2, $1 }'
}

# Compare the read-back lines of some files with a record, and the
# record's clock with date(1): the hour is the UTC hour of the second,
# the stamp that second's local time in the MTA's format.
compare()
{
	rec=$1
	shift
	for f in "$@"; do readback "$f"; done |
	    awk '{ c[$0]++ } END { for (k in c) print k, c[k] }' |
	    LC_ALL=C sort > "$T/readback"
	awk '$2 != "-" { c[$12 " " $9 " " $2 " " $3 " " $4 " " $5]++ }
	    END { for (k in c) print k, c[k] }' "$rec" |
	    LC_ALL=C sort > "$T/recorded"
	cmp -s "$T/readback" "$T/recorded" || {
		diff "$T/recorded" "$T/readback" | head -n 20
		fail "$rec: the record does not match the file"
	}
	awk '$2 != "-" && ($6 != "attempt" || $7 != "out" ||
	    ($8 != "postfix" && $8 != "exim") || $10 != $11 - $11 % 3600)' \
	    "$rec" | head -n 3 > "$T/badrec"
	[ ! -s "$T/badrec" ] || fail "$rec: bad fields: $(cat "$T/badrec")"
	awk '$2 != "-" { print $11, $8, $12 }' "$rec" | LC_ALL=C sort -u |
	while read -r epoch mta st; do
		if [ "$mta" = postfix ]; then
			want=$(date -d "@$epoch" '+%b %e %H:%M:%S' | tr ' ' _)
		else
			want=$(date -d "@$epoch" '+%Y-%m-%d %H:%M:%S' | tr ' ' _)
		fi
		[ "$st" = "$want" ] || {
			echo "$rec: second $epoch stamped $st, date says $want"
			exit 1
		}
	done || fail "$rec: a stamp is not the local time of its second"
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
write_bg -m keep -c 3000 -l 2000 -O 250,550 -t k -r "$T/rec.k" \
    -P "$T/prog.k" "$T/k.log"
w=$WPID
n=0
until [ "$(cat "$T/prog.k" 2>/dev/null)" -ge 1000 ] 2>/dev/null; do
	n=$((n + 1))
	[ "$n" -le 300 ] || fail "keep writer stuck before line 1000"
	sleep 0.1
done
mv "$T/k.log" "$T/k.log.1" || fail "cannot rename the keep writer's file"
alive "$w" || fail "test too weak: the keep writer ended before the rename"
writer_wait "$w" 30
[ ! -e "$T/k.log" ] || fail "keep mode reopened the path"
compare "$T/rec.k" "$T/k.log.1"
awk '$2 != "-" && $3 != 250 && $3 != 550' "$T/rec.k" | grep -q . &&
    fail "-O 250,550 wrote other replies"

# A fixed clock (-T): 2027-01-09 18:29:59 UTC is 2027-01-09 23:59:59 in
# the test's zone (UTC+5:30), a day under 10 (padded with a space in
# syslog), hour 1799517600 (by hand: 20827 days and 18 hours
# since 1970).
write_lines -T 1799519399 -c 50 -t fx -r "$T/rec.fx" "$T/fx.log"
write_lines -F exim -T 1799519399 -c 50 -t fy -r "$T/rec.fy" "$T/fy.log"
compare "$T/rec.fx" "$T/fx.log"
compare "$T/rec.fy" "$T/fy.log"
if [ "$TZ" = '<+0530>-5:30' ]; then
	grep -q '^Jan  9 23:59:59 mx1 ' "$T/fx.log" ||
	    fail "-T: stamp $(head -c 15 "$T/fx.log"), not Jan  9 23:59:59"
	grep -q '^2027-01-09 23:59:59 ' "$T/fy.log" ||
	    fail "-T: Exim stamp $(head -c 19 "$T/fy.log")"
fi
awk '$2 != "-" && $10 != 1799517600' "$T/rec.fx" "$T/rec.fy" | grep -q . &&
    fail "-T: an hour other than 1799517600 recorded"
finish
