#!/bin/sh
# /metrics with metrics_compat (doc/exporter-compat.md): the real daemon
# follows a Postfix and an Exim log written by tests/writer, with
# `metrics_compat = postfix_exporter, exim_exporter` in its
# configuration file.  Checked:
#   - `promtool check metrics` passes;
#   - every family the page lists as served is there, with exactly the
#     label names the page gives it (and smtptally's own families too);
#   - the values equal the writer's record, by the mapping of the page
#     (Postfix status; Exim flags => delivered, == deferred, ** failed;
#     reply and enhanced codes), worked out here with awk;
#   - labels stay in their fixed lists (category, class, direction);
#   - without the key no postfix_* or exim_* family is served.
. "${top_srcdir:-.}/tests/ingest/common.sh"

command -v curl >/dev/null 2>&1 || skip "curl not installed"
command -v promtool >/dev/null 2>&1 || skip "promtool not installed"
ingest_init
DOC=$top_srcdir/doc/exporter-compat.md

write_lines -F postfix -c 600 -s 1 -t p -O 250,451,421,550,554,0 -N 5 \
    -r "$T/rec.p" "$T/mail.log"
write_lines -F exim -C -c 400 -s 1 -t e -O 250,451,421,550,554 -N 5 \
    -r "$T/rec.e" "$T/mainlog"
N=$(rec_total "$T/rec.p" "$T/rec.e")

cat > "$T/conf" <<EOF
# written by $NAME
metrics_compat = postfix_exporter, exim_exporter
EOF
start()
{
	"$SMTPTALLYD" --foreground -f "$T/conf" --db "$DB" --socket "$SOCK" \
	    --follow "postfix:$T/mail.log" --follow "exim:$T/mainlog" \
	    --rules "$top_srcdir/etc/smtptally.rules" \
	    --rules-local "$T/rules.local" "$@" >> "$DLOG" 2>&1 &
	DPID=$!
	track "$DPID"
	wait_total "$N" 60 || fail "the daemon counted $(db_total) of $N"
	wait_file "$SOCK" 10 || fail "no socket"
}
metrics()
{
	curl -s --max-time 15 --unix-socket "$SOCK" http://localhost/metrics
}

start
metrics > "$T/m" || fail "no /metrics"
promtool check metrics < "$T/m" > "$T/promtool" 2>&1 ||
    fail "promtool check metrics: $(cat "$T/promtool")"
say "promtool check metrics: ok"

# The page's rows: "| `family` | `l1`, `l2` | **served ...". Families
# of smtptally's own table have a type column first.
awk -F'|' '/^\| `/ && $4 ~ /\*\*served/ {
	n = split($2, a, "`"); fam = a[2]
	l = $3; gsub(/[` ]/, "", l); if (l == "—" || l == "") l = "-"
	print fam, l }' "$DOC" > "$T/listed"
awk -F'|' '/^\| `smtptally_/ && $3 ~ /counter|gauge/ {
	n = split($2, a, "`")
	l = $4; gsub(/[` ]/, "", l); if (l == "—" || l == "") l = "-"
	for (i = 2; i <= n; i += 2) print a[i], l }' "$DOC" >> "$T/listed"
[ "$(wc -l < "$T/listed")" -ge 20 ] ||
    fail "test bug: only $(wc -l < "$T/listed") families read from the page"
# served: family and its label names, in order, per sample line
grep -v '^#' "$T/m" | sed 's/ [^ ]*$//' | awk '{
	fam = $0; sub(/\{.*/, "", fam); l = ""
	if (index($0, "{")) {
		s = $0; sub(/^[^{]*\{/, "", s)
		while (match(s, /^[a-z_]+="([^"\\]|\\.)*",?/)) {
			k = substr(s, 1, RLENGTH); sub(/=.*/, "", k)
			l = l (l == "" ? "" : ",") k
			s = substr(s, RLENGTH + 1)
		}
	}
	print fam, (l == "" ? "-" : l) }' | LC_ALL=C sort -u > "$T/served"
while read -r fam labels; do
	got=$(awk -v f="$fam" '$1 == f { print $2 }' "$T/served" | sort -u |
	    tr '\n' ' ' | sed 's/ $//')
	case $got in
	"")	# declared, with no sample yet (the writer writes no rejection)
		grep -q "^# TYPE $fam " "$T/m" ||
		    soft_fail "$fam is listed as served but is not in /metrics";;
	"$labels") ;;
	*) soft_fail "$fam: labels '$got', the page says '$labels'";;
	esac
done < "$T/listed"
say "$(wc -l < "$T/listed") listed families served with their labels"

# value FAMILY LABELS: the sample's value ("" if absent).
value()
{
	awk -v k="$1$2" '$1 == k { print $2 }' "$T/m"
}
check()
{
	_g=$(value "$1" "$2")
	[ "${_g:-0}" = "$3" ] || soft_fail "$1$2 = '${_g:-absent}', want $3"
}

# Postfix: the writer's lines all go by postfix/smtp to remote hosts.
for st in sent deferred bounced; do
	check postfix_smtp_messages_processed_total "{status=\"$st\"}" \
	    "$(awk -v s="$st" '$2 != "-" && $5 == s { n++ } END { print n + 0 }' "$T/rec.p")"
done
D=$(awk '$2 != "-" && $5 == "deferred" { n++ } END { print n + 0 }' "$T/rec.p")
check postfix_smtp_status_deferred "" "$D"
check postfix_smtp_deferred_messages_total "" "$D"
awk '$2 != "-" && ($5 == "bounced" || $5 == "deferred") { n[$5 " " $4]++ }
    END { for (k in n) print k, n[k] }' "$T/rec.p" > "$T/dsn"
while read -r st enh n; do
	check "postfix_smtp_${st}_messages_by_dsn_total" "{dsn=\"$enh\"}" "$n"
done < "$T/dsn"
check postfix_qmgr_messages_expired_total "" 0
check postfix_smtp_connection_timed_out_total "" 0
grep -q '^postfix_smtpd_messages_rejected_total{' "$T/m" &&
    soft_fail "rejections served, but the writer wrote none"
check postfix_up "{path=\"$T/mail.log\"}" 1
check postfix_up "{path=\"$T/mainlog\"}" 1

# Exim: => delivered, == deferred, ** failed; errors by reply, enhanced.
for f in delivered:sent deferred:deferred failed:bounced; do
	check exim_messages_total "{flag=\"${f%%:*}\"}" \
	    "$(awk -v s="${f#*:}" '$2 != "-" && $5 == s { n++ } END { print n + 0 }' "$T/rec.e")"
done
awk '$2 != "-" && $3 != 250 { n[$3 " " $4]++ } END { for (k in n) print k, n[k] }' \
    "$T/rec.e" > "$T/errors"
[ -s "$T/errors" ] || fail "test bug: the Exim record has no failure"
while read -r code enh n; do
	check exim_message_errors_total "{status=\"$code\",enhanced=\"$enh\"}" "$n"
done < "$T/errors"
check exim_reject_total "" 0
say "postfix_* and exim_* values equal the writer's record"

# smtptally's own: by class over both MTAs (reply / 100, else the
# enhanced code's class), and the two texts whose category is plain:
# "550 5.1.1 ... User unknown" and Postfix's "Connection refused".
for c in 2 4 5; do
	want=$(cat "$T/rec.p" "$T/rec.e" | awk -v c="$c" '$2 != "-" {
	    k = $3 != 0 ? int($3 / 100) : substr($4, 1, 1); if (k == c) n++ }
	    END { print n + 0 }')
	got=$(awk -v c="$c" '$1 ~ "^smtptally_attempts_total\\{.*class=\"" c "xx\"" { n += $2 }
	    END { print n + 0 }' "$T/m")
	[ "$got" = "$want" ] || soft_fail "attempts ${c}xx: $got, want $want"
	got=$(awk -v c="$c" '$1 ~ "^smtptally_provider_attempts_total\\{.*class=\"" c "xx\"" { n += $2 }
	    END { print n + 0 }' "$T/m")
	[ "$got" = "$want" ] || soft_fail "provider attempts ${c}xx: $got, want $want"
done
check smtptally_attempts_total \
    '{direction="out",class="5xx",reply="550",enhanced="5.1.1",category="user_unknown"}' \
    "$(cat "$T/rec.p" "$T/rec.e" | awk '$2 != "-" && $3 == 550 { n++ } END { print n + 0 }')"
check smtptally_attempts_total \
    '{direction="out",class="4xx",reply="0",enhanced="4.4.1",category="network"}' \
    "$(awk '$2 != "-" && $3 == 0 { n++ } END { print n + 0 }' "$T/rec.p")"
CATS=" delivered user_unknown mailbox_full mailbox_disabled domain_invalid greylisted rate_limited reputation spam_content authentication policy message network remote_error expired other "
sed -n 's/.*category="\([^"]*\)".*/\1/p' "$T/m" | sort -u > "$T/cats"
while read -r c; do
	case $CATS in *" $c "*) ;; *) soft_fail "category '$c' is not in the fixed list";; esac
done < "$T/cats"
sed -n 's/^smtptally_attempts_total{direction="\([^"]*\)",class="\([^"]*\)".*/\1 \2/p' "$T/m" |
    sort -u | while read -r d c; do
	case "$d $c" in out\ [245]xx|in\ [245]xx) ;; *) echo "bad: $d $c";; esac
done > "$T/bad"
[ -s "$T/bad" ] && soft_fail "direction or class out of the list: $(cat "$T/bad")"
say "smtptally_* by class and category"

# Without the key: none of the exporters' names.
daemon_stop
: > "$T/conf"
start --metrics-compat none
metrics > "$T/m0" || fail "no /metrics"
if grep -E '^(# TYPE )?(postfix|exim)_' "$T/m0" > "$T/leak"; then
	soft_fail "metrics_compat none serves $(head -3 "$T/leak")"
fi
grep -q '^smtptally_attempts_total{' "$T/m0" || soft_fail "no smtptally_attempts_total"
say "metrics_compat none: only smtptally_*"
daemon_stop
finish
