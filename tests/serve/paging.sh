#!/bin/sh
# Paging (issue 15): /v1/summary?limit=N&after=CURSOR in key order, and
# `smtptally summary --all`, on 100,000 domain x reply groups while a
# writer commits: no group is repeated, every group that existed from
# start to end is there, untouched groups have their exact counts (the
# arithmetic below), and a touched group is between its count before and
# after the writes.
. "${top_srcdir:-.}/tests/serve/common.sh"
[ -x "$CLIENT" ] || fail "$CLIENT not built"

# 20,000 domains x 5 replies; n = (i * 7 + r) % 9 + 1.
awk -v t0=$T0 -v expf="$T/expect.csv" 'BEGIN {
	split("250 421 450 550 554", rp, " ")
	split("sent deferred deferred bounced bounced", st, " ")
	split("2.0.0 4.7.0 4.2.0 5.1.1 5.7.1", en, " ")
	for (i = 0; i < 20000; i++)
		for (r = 1; r <= 5; r++) {
			n = (i * 7 + r) % 9 + 1
			printf "count %d %d d%05d.example mx1 postfix out " \
			    "attempt %s %s %s\n", t0 + (i % 48) * 3600, n, i, \
			    st[r], rp[r], en[r]
			printf "d%05d.example,%s,%d\n", i, rp[r], n > expf
		}
}' > "$T/rows"
"$DBTOOL" fill "$DB" 1 < "$T/rows" || fail "fill"
start_testd

# The contract's edges.
eq "after without limit" "$(code '/v1/summary?by=domain&after=5b5d')" 400
eq "a cursor that is not one" "$(code '/v1/summary?by=domain&limit=5&after=zz')" 400
eq "a cursor of another request" \
    "$(code '/v1/summary?by=domain,reply&limit=5&after=5b2261225d')" 400
eq "limit and top" "$(code '/v1/summary?by=domain&limit=5&top=5')" 400
eq "a page" "$(get '/v1/summary?by=domain,reply&limit=3' | jq '.rows | length')" 3

# A writer while the client pages (the store takes one at a time): 300
# commits on a group in the middle, then 50 creating a group that sorts
# in the middle.
{ "$DBTOOL" write "$DB" $T0 d10000.example 300 40 &&
    "$DBTOOL" write "$DB" $T0 d10000a.example 50 40; } 2>"$T/w.log" &
W=$!
timeout 600 "$CLIENT" -s "$SOCK" summary --by domain,reply --all --csv \
    > "$T/all.csv" 2>"$T/err" || fail "--all: $(cat "$T/err")"
wait $W || fail "writer: $(cat "$T/w.log")"

head -n 1 "$T/all.csv" | grep -q '^domain,reply,count$' || fail "header: $(head -n 1 "$T/all.csv")"
tail -n +2 "$T/all.csv" > "$T/got.csv"
eq "no group repeated" "$(cut -d, -f1,2 "$T/got.csv" | sort | uniq -d | wc -l)" 0
eq "every group there" "$(cut -d, -f1,2 "$T/expect.csv" | sort | comm -23 - \
    "$(cut -d, -f1,2 "$T/got.csv" | sort > "$T/gk"; echo "$T/gk")" | wc -l)" 0
eq "in key order" "$(cut -d, -f1,2 "$T/got.csv" | LC_ALL=C sort -c -t, -k1,1 -k2,2n 2>&1 | wc -l)" 0
# Untouched groups: exactly the rows' counts.
grep -v '^d10000\.example,250,' "$T/expect.csv" | sort > "$T/e2"
grep -v '^d10000\.example,250,\|^d10000a\.example,' "$T/got.csv" | sort > "$T/g2"
cmp -s "$T/e2" "$T/g2" || fail "counts differ: $(diff "$T/e2" "$T/g2" | head -5)"
pass "99,999 untouched groups have their exact counts"
before=$(grep '^d10000\.example,250,' "$T/expect.csv" | cut -d, -f3)
got=$(grep '^d10000\.example,250,' "$T/got.csv" | cut -d, -f3)
[ "$got" -ge "$before" ] && [ "$got" -le $((before + 300)) ] || \
    fail "touched group: $got, want $before..$((before + 300))"
pass "touched group between $before and $((before + 300)): $got"
# After the writers: the new group is whole.
"$CLIENT" -s "$SOCK" summary --domain d10000a.example --csv > "$T/new.csv"
eq "new group after the writes" "$(awk -F, 'NR > 1 { s += $2 } END { print s }' "$T/new.csv")" 50
# top --all: every domain once, by name; reasons --all: every text.
timeout 600 "$CLIENT" -s "$SOCK" top --all --csv > "$T/top.csv" 2>"$T/err" ||
    fail "top --all: $(cat "$T/err")"
eq "top --all domains" "$(tail -n +2 "$T/top.csv" | cut -d, -f1 | sort -u | wc -l)" 20001
eq "top --all no repeat" "$(tail -n +2 "$T/top.csv" | cut -d, -f1 | sort | uniq -d | wc -l)" 0
eq "top --all d00007 attempts" "$(grep '^d00007\.example,' "$T/top.csv" | cut -d, -f2)" \
    "$(awk -F, '$1 == "d00007.example" { s += $3 } END { print s }' "$T/expect.csv")"
eq "a reasons page" "$(get '/v1/reasons?limit=1' | jq '.rows | length')" 0
stop_testd
echo PASS
