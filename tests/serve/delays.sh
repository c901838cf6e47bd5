#!/bin/sh
# Delivery delays end to end (issue 16): the real daemon follows a Postfix
# and an Exim log written by tests/writer, which records the delays each
# line gives (delay=, delays=a/b/c/d; Exim QT=, DT=).  The histograms of
# /v1/delays, `smtptally delays` and /metrics must equal the buckets
# worked out here with awk from the record and the bounds written out
# below (doc/ARCHITECTURE.md's list, in milliseconds), not from the
# program's own table; `promtool check metrics` must pass.
. "${top_srcdir:-.}/tests/ingest/common.sh"

command -v curl >/dev/null 2>&1 || skip "curl not installed"
command -v jq >/dev/null 2>&1 || skip "jq not installed"
ingest_init
SMTPTALLY=${SMTPTALLY:-$top_builddir/src/smtptally}
[ -x "$SMTPTALLY" ] || SMTPTALLY=$top_builddir/smtptally
BOUNDS="1 10 100 500 1000 5000 10000 30000 60000 300000 900000 1800000 3600000 14400000 86400000 172800000"

write_lines -F postfix -c 700 -s 1 -t p -O 250,451,550,0 -N 5 \
    -r "$T/rec.p" "$T/mail.log"
write_lines -F exim -C -c 400 -s 1 -t e -O 250,451,550 -N 5 \
    -r "$T/rec.e" "$T/mainlog"
N=$(rec_total "$T/rec.p" "$T/rec.e")
cat > "$T/conf" <<EOC
# written by $NAME
metrics_compat = postfix_exporter
EOC
"$SMTPTALLYD" --foreground -f "$T/conf" --db "$DB" --socket "$SOCK" \
    --follow "postfix:$T/mail.log" --follow "exim:$T/mainlog" \
    >> "$DLOG" 2>&1 &
DPID=$!
track "$DPID"
wait_total "$N" 60 || fail "the daemon counted $(db_total) of $N"
wait_file "$SOCK" 10 || fail "no socket"
api()
{
	curl -s --max-time 15 --unix-socket "$SOCK" "http://localhost$1"
}

# want [FILTER]: "DOMAIN CLASS STAGE BUCKET N MS" per delay in the record,
# FILTER an awk condition on the domain ($2) and class (cls).
expected()
{
	cat "$T/rec.p" "$T/rec.e" | awk -v bounds="$BOUNDS" '
	BEGIN { nb = split(bounds, b, " ") }
	function bucket(v,   i) {
		for (i = 1; i <= nb; i++) if (v <= b[i] + 0) return i - 1
		return nb
	}
	$2 != "-" && NF >= 14 {
		cls = $3 != 0 ? int($3 / 100) : 4
		split($14, st, "/")
		v[0] = $13; v[1] = st[1]; v[2] = st[2]; v[3] = st[3]; v[4] = st[4]
		for (s = 0; s <= 4; s++) if (v[s] != "-")
			print $2, cls, s, bucket(v[s] + 0), v[s]
	}'
}
expected > "$T/delays"
[ "$(wc -l < "$T/delays")" -gt 1000 ] ||
    fail "test bug: only $(wc -l < "$T/delays") delays in the record"
STAGES="total before_queue_manager queue_manager connection_setup transmission"

# sums FILE: "STAGE b0 b1 ... b16 COUNT MS" per stage, from lines of
# expected() (already filtered).
sums()
{
	awk -v names="$STAGES" 'BEGIN { split(names, nm, " ") }
	{ n[$3, $4]++; c[$3]++; ms[$3] += $5 }
	END { for (s = 0; s <= 4; s++) if (c[s] > 0) {
		line = nm[s + 1]
		for (k = 0; k <= 16; k++) line = line " " (n[s, k] + 0)
		printf "%s %d %.0f\n", line, c[s], ms[s]
	} }' "$@"
}
# the same from an answer of /v1/delays (one group)
from_api()
{
	jq -r '.rows[] | [.stage] + .buckets + [.count, (.sum * 1000 |
	    round)] | map(tostring) | join(" ")'
}
sums "$T/delays" | sort > "$T/want.all"
api /v1/delays > "$T/all.json" || fail "no /v1/delays"
from_api < "$T/all.json" | sort > "$T/got.all"
cmp -s "$T/want.all" "$T/got.all" ||
    soft_fail "/v1/delays: $(diff "$T/want.all" "$T/got.all" | head -5)"
[ "$(jq .total "$T/all.json")" = "$(awk '$3 == 0' "$T/delays" | wc -l |
    tr -d ' ')" ] || soft_fail "/v1/delays total $(jq .total "$T/all.json")"
say "/v1/delays: $(wc -l < "$T/got.all") stages, all buckets as the record"

# class 2 only, and one domain
awk '$2 == 2' "$T/delays" | sums | sort > "$T/want.c2"
api '/v1/delays?class=2xx' | from_api | sort > "$T/got.c2"
cmp -s "$T/want.c2" "$T/got.c2" ||
    soft_fail "/v1/delays?class=2xx: $(diff "$T/want.c2" "$T/got.c2" | head -5)"
DOM=$(awk '$3 == 0 { n[$1]++ } END { for (d in n) print n[d], d }' \
    "$T/delays" | sort -k1,1nr -k2 | head -n 1 | cut -d' ' -f2)
# a domain's histogram is of its whole delay (stage 0): Postfix's stages
# are kept for all domains together
awk -v d="$DOM" '$1 == d && $3 == 0' "$T/delays" | sums | sort > "$T/want.dom"
api "/v1/delays?domain=$DOM" | from_api | sort > "$T/got.dom"
cmp -s "$T/want.dom" "$T/got.dom" ||
    soft_fail "/v1/delays?domain=$DOM: $(diff "$T/want.dom" "$T/got.dom" | head -5)"
say "class and domain filters"

# by=domain&top=3: the three domains with the most whole delays, each as
# the record says, and the rest as "(other)"
awk '$3 == 0 { n[$1]++ } END { for (d in n) print n[d], d }' "$T/delays" |
    sort -k1,1nr -k2,2 | head -n 3 | cut -d' ' -f2 > "$T/top3"
api '/v1/delays?by=domain&top=3' > "$T/by.json"
jq -r '[.rows[].domain] | unique | .[]' "$T/by.json" | sort > "$T/got.groups"
( cat "$T/top3"; echo "(other)" ) | sort > "$T/want.groups"
cmp -s "$T/want.groups" "$T/got.groups" ||
    soft_fail "by=domain top 3: groups $(tr '\n' ' ' < "$T/got.groups")"
awk 'FNR == NR { top[$1] = 1; next }
    { if (!($1 in top)) $1 = "(other)"; print }' "$T/top3" "$T/delays" \
    > "$T/grouped"
for g in $(cat "$T/want.groups"); do
	awk -v d="$g" '$1 == d && $3 == 0' "$T/grouped" | sums | sort > "$T/want.g"
	jq --arg d "$g" '.rows |= map(select(.domain == $d))' "$T/by.json" |
	    from_api | sort > "$T/got.g"
	cmp -s "$T/want.g" "$T/got.g" ||
	    soft_fail "by=domain $g: $(diff "$T/want.g" "$T/got.g" | head -3)"
done
say "by=domain top 3 and (other)"

# the client: --csv has a column per bucket; the table's counts and
# shares are the record's
"$SMTPTALLY" -s "$SOCK" delays --csv > "$T/c.csv" || soft_fail "delays --csv"
tail -n +2 "$T/c.csv" | awk -F, '{ line = $1
	for (i = 4; i <= NF; i++) line = line " " $i
	printf "%s %s %.0f\n", line, $2, $3 * 1000 }' | sort > "$T/got.csv"
cmp -s "$T/want.all" "$T/got.csv" ||
    soft_fail "delays --csv: $(diff "$T/want.all" "$T/got.csv" | head -5)"
"$SMTPTALLY" -s "$SOCK" delays --by domain --top 3 > "$T/c.txt" ||
    soft_fail "delays --by domain"
for d in $(cat "$T/top3"); do
	want=$(awk -v d="$d" '$1 == d && $3 == 0 { n++; if ($5 <= 60000) m++ }
	    END { printf "%d %.1f%%", n, 100 * m / n }' "$T/delays")
	got=$(awk -v d="$d" '$1 == d { print $2, $4 }' "$T/c.txt")
	[ "$got" = "$want" ] ||
	    soft_fail "delays --by domain: $d '$got', want '$want' (count, <=1m)"
done
"$SMTPTALLY" -s "$SOCK" delays --host mx1 > /dev/null 2>&1
[ $? = 2 ] || soft_fail "delays --host: not a usage error"
"$SMTPTALLY" -s "$SOCK" delays --by host > /dev/null 2>&1
[ $? = 2 ] || soft_fail "delays --by host: not a usage error"
"$SMTPTALLY" -s "$SOCK" report --since 30d > "$T/report" ||
    soft_fail "report"
grep -q '^Delays of our deliveries' "$T/report" ||
    soft_fail "no Delays section in the report"
want=$(awk '$3 == 0' "$T/delays" | wc -l | tr -d ' ')
got=$(awk '/^Delays of our/ { on = 1 } on && $1 == "total" { print $2; exit }' \
    "$T/report" | tr -d ',')
[ "$got" = "$want" ] || soft_fail "report: total delays '$got', want $want"
say "smtptally delays (--csv, --by domain) and the report's section"

# refused, not ignored
for q in 'host=mx1' 'reply=250' 'direction=in' 'by=host' 'status=sent'; do
	c=$(curl -s -o /dev/null -w '%{http_code}' --max-time 15 \
	    --unix-socket "$SOCK" "http://localhost/v1/delays?$q")
	[ "$c" = 400 ] || soft_fail "/v1/delays?$q: $c, want 400"
done
say "filters the histograms cannot answer are refused"
# /metrics: smtptally_delivery_delay_seconds{stage, class} and, with
# metrics_compat = postfix_exporter, postfix_smtp_delivery_delay_seconds
# {stage} in the exporters' buckets (1 ms .. 2 days), cumulative, from
# the record (the Exim log's delays are in it too: the store does not
# keep the MTA of a delay)
api /metrics > "$T/m" || fail "no /metrics"
if command -v promtool >/dev/null 2>&1; then
	promtool check metrics < "$T/m" > "$T/promtool" 2>&1 ||
	    soft_fail "promtool check metrics: $(cat "$T/promtool")"
	say "promtool check metrics: ok"
fi
# cum FAMILY LES SEL: "LABELS LE VALUE" lines the record predicts, SEL an
# awk condition on class (cls) and stage (s) of a delay line
cum()
{
	awk -v les="$2" -v names="$STAGES" -v fam="$1" -v sel="$3" '
	BEGIN { nl = split(les, le, " "); split(names, nm, " ") }
	{ key = nm[$3 + 1] " " (sel == "class" ? $2 "xx" : "-")
	  if (sel == "compat" && $3 == 0) next
	  n[key]++; v[key, NR] = $5; ms[key] += $5; keys[key] = 1 }
	END { for (k in keys) {
		split(k, kk, " ")
		lab = "stage=\"" kk[1] "\"" (kk[2] != "-" ? ",class=\"" kk[2] "\"" : "")
		for (i = 1; i <= nl; i++) {
			c = 0
			for (j in v) { split(j, jj, SUBSEP)
				if (jj[1] == k && v[j] + 0 <= le[i] * 1000) c++ }
			printf "%s_bucket{%s,le=\"%s\"} %d\n", fam, lab, le[i], c
		}
		printf "%s_bucket{%s,le=\"+Inf\"} %d\n", fam, lab, n[k]
		printf "%s_count{%s} %d\n", fam, lab, n[k]
		printf "%s_sum{%s} %.3f\n", fam, lab, ms[k] / 1000
	} }' "$T/delays" | LC_ALL=C sort
}
SLE="0.001 0.01 0.1 0.5 1 5 10 30 60 300 900 1800 3600 14400 86400 172800"
cum smtptally_delivery_delay_seconds "$SLE" class > "$T/want.m"
grep '^smtptally_delivery_delay_seconds_' "$T/m" | LC_ALL=C sort > "$T/got.m"
cmp -s "$T/want.m" "$T/got.m" ||
    soft_fail "smtptally_delivery_delay_seconds: $(diff "$T/want.m" "$T/got.m" | head -5)"
PLE="0.001 0.01 0.1 1 10 60 3600 86400 172800"
cum postfix_smtp_delivery_delay_seconds "$PLE" compat > "$T/want.pm"
grep '^postfix_smtp_delivery_delay_seconds_' "$T/m" | LC_ALL=C sort \
    > "$T/got.pm"
cmp -s "$T/want.pm" "$T/got.pm" ||
    soft_fail "postfix_smtp_delivery_delay_seconds: $(diff "$T/want.pm" "$T/got.pm" | head -5)"
say "/metrics: $(wc -l < "$T/got.m") + $(wc -l < "$T/got.pm") histogram samples as the record"
daemon_stop
finish
