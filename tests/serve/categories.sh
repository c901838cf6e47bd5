#!/bin/sh
# The views by category (issue 14) on the real daemon, reading a small
# Postfix log written here by hand: the report's "Problems by category"
# (counts this period and the one before, the change, who is to blame,
# the top providers and domains, the blocklists named), in text and in
# HTML; `domain X`'s categories; `reasons` grouped by category with the
# finer reasons and their texts; `reasons --category other` newest first.
# Every expected figure is counted by hand from the lines below.
. "${top_srcdir:-.}/tests/serve/common.sh"
[ -x "$CLIENT" ] || fail "$CLIENT not built"
SMTPTALLYD=$top_builddir/smtptallyd
[ -x "$SMTPTALLYD" ] || SMTPTALLYD=$top_builddir/src/smtptallyd
[ -x "$SMTPTALLYD" ] || fail "no smtptallyd"
TZ=UTC
LC_ALL=C
export TZ LC_ALL

LOG=$T/mail.log
: > "$LOG"
# put DAY TIME QID RCPT RELAY[IP] DSN STATUS REPLY: one delivery line of
# postfix/smtp, as Postfix 3 writes it with an RFC 3339 stamp.
n=0
put() {
	n=$((n + 1))
	case $7 in
	sent) said="$8" ;;
	*) said="host ${5%%\[*}[${5#*\[} said: $8" ;;
	esac
	printf '%sT%s.000000+00:00 mx1 postfix/smtp[%d]: %s: to=<%s>, relay=%s:25, delay=0.5, delays=0.1/0.01/0.2/0.19, dsn=%s, status=%s (%s)\n' \
	    "$1" "$2" $((2100 + n)) "$3" "$4" "$5" "$6" "$7" "$said" >> "$LOG"
}
SPAMHAUS='554 5.7.1 Service unavailable; Client host [198.51.100.7] blocked using zen.spamhaus.org; https://www.spamhaus.org/query/ip/198.51.100.7 (in reply to RCPT TO command)'
GREY='450 4.2.0 <erin@example.org>: Recipient address rejected: Greylisted, see http://postgrey.schweikert.ch/help/example.org.html (in reply to RCPT TO command)'
OTHER_A='550 5.0.0 Mail from this sender is not wanted at this host (in reply to end of DATA command)'
OTHER_B='554 5.0.0 Your envelope sender is not to our taste today (in reply to MAIL FROM command)'

# The period before: 2026-12-01.
# delivered
put 2026-12-01 09:00:01 1A2B3C4D01 anna@example.org 'mx.example.org[192.0.2.10]' 2.0.0 sent '250 2.0.0 Ok: queued as 9F8E7D6C01'
# reputation, zen.spamhaus.org, example.org (provider other)
put 2026-12-01 09:10:02 1A2B3C4D02 bob@example.org 'mx.example.org[192.0.2.10]' 5.7.1 bounced "$SPAMHAUS"
# greylisted, twice
put 2026-12-01 09:20:03 1A2B3C4D03 erin@example.org 'mx.example.org[192.0.2.10]' 4.2.0 deferred "$GREY"
put 2026-12-01 09:30:04 1A2B3C4D04 erin@example.org 'mx.example.org[192.0.2.10]' 4.2.0 deferred "$GREY"
# other: text A, the first unclassified text stored
put 2026-12-01 09:40:05 1A2B3C4D05 jack@example.com 'mx.example.com[203.0.113.9]' 5.0.0 bounced "$OTHER_A"

# This period: 2026-12-02.
# delivered, twice
put 2026-12-02 10:00:01 2A2B3C4D01 anna@example.org 'mx.example.org[192.0.2.10]' 2.0.0 sent '250 2.0.0 Ok: queued as 9F8E7D6C02'
put 2026-12-02 10:01:02 2A2B3C4D02 gina@gmail.com 'gmail-smtp-in.l.google.com[142.250.27.26]' 2.0.0 sent '250 2.0.0 OK  1764669662 a1-20020a05600c000000b0042c0000000si1234567wmb.12 - gsmtp'
# reputation, zen.spamhaus.org, example.org
put 2026-12-02 10:02:03 2A2B3C4D03 bob@example.org 'mx.example.org[192.0.2.10]' 5.7.1 bounced "$SPAMHAUS"
# reputation, microsoft-s3140, hotmail.com (provider microsoft)
put 2026-12-02 10:03:04 2A2B3C4D04 hank@hotmail.com 'hotmail-com.olc.protection.outlook.com[52.101.40.3]' 5.7.1 bounced "550 5.7.1 Unfortunately, messages from [198.51.100.7] weren't sent. Please contact your Internet service provider since part of their network is on our block list (S3140). You can also refer your provider to http://mail.live.com/mail/troubleshooting.aspx#errors. [AM2PEPF0001C70F.eurprd05.prod.outlook.com 2026-12-02T10:03:04.123Z 08DE1A2B3C4D5E6F] (in reply to MAIL FROM command)"
# user_unknown, example.net (provider other)
put 2026-12-02 10:04:05 2A2B3C4D05 carol@example.net 'mx.example.net[203.0.113.5]' 5.1.1 bounced '550 5.1.1 <carol@example.net>: Recipient address rejected: User unknown in virtual mailbox table (in reply to RCPT TO command)'
# user_unknown, gmail.com (provider google)
put 2026-12-02 10:05:06 2A2B3C4D06 ivan@gmail.com 'gmail-smtp-in.l.google.com[142.250.27.26]' 5.1.1 bounced "550-5.1.1 The email account that you tried to reach does not exist. Please try 550-5.1.1 double-checking the recipient's email address for typos or 550-5.1.1 unnecessary spaces. For more information, go to 550 5.1.1  https://support.google.com/mail/?p=NoSuchUser a1-20020a05600c000000b0042c0000000si7654321wmb.34 - gsmtp (in reply to RCPT TO command)"
# mailbox_full, example.net (Dovecot's quota text)
put 2026-12-02 10:06:07 2A2B3C4D07 dave@example.net 'mx.example.net[203.0.113.5]' 4.2.2 deferred '452 4.2.2 <dave@example.net> Quota exceeded (mailbox for user is full) (in reply to end of DATA command)'
# greylisted, once
put 2026-12-02 10:07:08 2A2B3C4D08 erin@example.org 'mx.example.org[192.0.2.10]' 4.2.0 deferred "$GREY"
# other: text B, the newest unclassified text
put 2026-12-02 10:08:09 2A2B3C4D09 jack@example.com 'mx.example.com[203.0.113.9]' 5.0.0 bounced "$OTHER_B"
# other: text A again
put 2026-12-02 10:09:10 2A2B3C4D10 jack@example.com 'mx.example.com[203.0.113.9]' 5.0.0 bounced "$OTHER_A"
eq "log lines written" "$(wc -l < "$LOG" | tr -d ' ')" 15

# By hand, failures of 2026-12-02 (previous: 2026-12-01):
#   reputation    2 (1)  +100.0%  sender_reputation
#   other         2 (1)  +100.0%  unknown
#   user_unknown  2 (0)  new      recipient
#   greylisted    1 (2)  -50.0%   remote
#   mailbox_full  1 (0)  new      recipient
# named: zen.spamhaus.org 1 (1) +0.0%, microsoft-s3140 1 (0) new.

# The daemon with the shipped rules; no local rules.
{
	echo "database = $DB"
	echo "socket = $SOCK"
	echo "commit_interval = 100ms"
	echo "follow = postfix:$LOG"
	echo "rules = $(cd "$top_srcdir" && pwd)/etc/smtptally.rules"
	echo "rules_local = $T/rules.local"
} > "$T/run.conf"
"$SMTPTALLYD" -d -f "$T/run.conf" > "$T/testd.log" 2>&1 &
TESTD_PID=$!	# common.sh's cleanup stops it
C="$CLIENT -s $SOCK"
i=0
until $C status 2>/dev/null | grep -q '^caught up'; do
	i=$((i + 1))
	[ $i -gt 300 ] && fail "daemon did not catch up: $(cat "$T/testd.log")"
	kill -0 "$TESTD_PID" 2>/dev/null || fail "daemon exited: $(cat "$T/testd.log")"
	sleep 0.1
done
eq "attempts counted" "$($C summary --csv --since 2026-11-30 | \
    awk -F, 'NR > 1 { s += $2 } END { print s }')" 15
DAY="--since 2026-12-02T00:00:00Z --until 2026-12-03T00:00:00Z"
BOTH="--since 2026-12-01T00:00:00Z --until 2026-12-03T00:00:00Z"

# 1. The report's problems, text.
timeout 30 $C report $DAY > "$T/report" 2> "$T/err" || fail "report: $(cat "$T/err")"
sed -n '/^Problems by category/,/^$/p' "$T/report" > "$T/problems"
[ -s "$T/problems" ] || fail "report: no problems section: $(cat "$T/report")"
row() { awk -v c="$1" '$1 == c { $1 = ""; sub(/^ /, ""); print; exit }' "$T/problems"; }
eq "problems reputation" "$(row reputation)" "2 1 +100.0% sender_reputation"
eq "problems other" "$(row other)" "2 1 +100.0% unknown"
eq "problems user_unknown" "$(row user_unknown)" "2 0 new recipient"
eq "problems greylisted" "$(row greylisted)" "1 2 -50.0% remote"
eq "problems mailbox_full" "$(row mailbox_full)" "1 0 new recipient"
eq "problems rows" "$(grep -c '^  [a-z_][a-z_]* ' "$T/problems")" 6	# with the heading
grep -q '^  delivered ' "$T/problems" && fail "problems list delivered"
# The lines under a category: its providers and domains.
under() {
	awk -v c="$1" -v w="$2" '$1 == c { on = 1; next }
	    on && /^  [^ ]/ { exit } on && $1 == w { $1 = ""; print }' \
	    "$T/problems" | sed 's/^ *//'
}
eq "reputation providers" "$(under reputation providers:)" "microsoft 1, other 1"
eq "reputation domains" "$(under reputation domains:)" "example.org 1, hotmail.com 1"
eq "user_unknown providers" "$(under user_unknown providers:)" "google 1, other 1"
eq "user_unknown domains" "$(under user_unknown domains:)" "example.net 1, gmail.com 1"
eq "mailbox_full domains" "$(under mailbox_full domains:)" "example.net 1"
sed -n '/^Blocklists and reputation/,/^$/p' "$T/report" > "$T/lists"
bl() { awk -v r="$1" '$1 == r { $1 = ""; sub(/^ /, ""); print }' "$T/lists"; }
eq "blocklist spamhaus" "$(bl zen.spamhaus.org)" "1 1 +0.0% other 1"
eq "blocklist microsoft" "$(bl microsoft-s3140)" "1 0 new microsoft 1"
# The report leads with them: before the picture and the codes.
at() { grep -n "^$1" "$T/report" | head -1 | cut -d: -f1; }
[ "$(at 'Problems by category')" -lt "$(at 'The period at a glance')" ] &&
    [ "$(at 'Problems by category')" -lt "$(at 'Top bouncing domains')" ] &&
    [ "$(at 'Problems by category')" -lt "$(at 'Codes seen, in words')" ] ||
    fail "problems do not lead the report"
pass "the problems lead the report"
eq "report widest line <= 80" \
    "$(awk '{ if (length($0) > m) m = length($0) } END { print (m <= 80) }' "$T/report")" 1

# 2. The same in HTML.
timeout 30 $C report --html $DAY > "$T/r.html" 2> "$T/err" ||
    fail "report --html: $(cat "$T/err")"
grep -q '<h2 id="problems">Problems by category</h2>' "$T/r.html" ||
    fail "html: no problems section"
grep -q '<tr><td>reputation</td><td align="right">2</td><td align="right">1</td><td align="right">+100.0%</td><td>sender_reputation</td><td>microsoft 1, other 1</td><td>example.org 1, hotmail.com 1</td></tr>' \
    "$T/r.html" || fail "html: no reputation row: $(grep reputation "$T/r.html")"
grep -q '<td>zen.spamhaus.org</td>' "$T/r.html" || fail "html: no blocklist"
pass "the HTML report has the problems and the blocklists"

# 3. A domain's categories: example.org over both days.
timeout 30 $C domain example.org $BOTH > "$T/dom" 2> "$T/err" ||
    fail "domain: $(cat "$T/err")"
sed -n '/^Categories/,/^$/p' "$T/dom" > "$T/cats"
cat_row() { awk -v c="$1" '$1 == c { print $2, $3 }' "$T/cats"; }
eq "example.org greylisted" "$(cat_row greylisted)" "remote 3"
eq "example.org delivered" "$(cat_row delivered)" "none 2"
eq "example.org reputation" "$(cat_row reputation)" "sender_reputation 2"
eq "example.org categories" "$(grep -c '^  [a-z]' "$T/cats")" 4	# and the heading
timeout 30 $C domain example.org $BOTH --json > "$T/dom.json" ||
    fail "domain --json"
grep -q '"categories"' "$T/dom.json" || fail "domain --json: no categories"

# 4. reasons, grouped: category, its finer reasons, their texts.
timeout 30 $C reasons $DAY --wide > "$T/reasons" 2> "$T/err" ||
    fail "reasons: $(cat "$T/err")"
# group CATEGORY: the lines of its block.
group() { awk -v c="$1:" '$1 == c { on = 1; print; next }
    on && /^[^ ]/ { exit } on && NF' "$T/reasons"; }
group reputation > "$T/g"
eq "reasons reputation heading" "$(head -1 "$T/g")" \
    "reputation: 2 attempts, to blame: sender_reputation"
grep -q '^  zen.spamhaus.org: 1$' "$T/g" || fail "reasons: no zen.spamhaus.org under reputation: $(cat "$T/g")"
grep -q '^  microsoft-s3140: 1$' "$T/g" || fail "reasons: no microsoft-s3140"
grep -q 'blocked using zen.spamhaus.org' "$T/g" || fail "reasons: spamhaus text not under reputation"
group user_unknown > "$T/g"
eq "reasons user_unknown heading" "$(head -1 "$T/g")" \
    "user_unknown: 2 attempts, to blame: recipient"
grep -q '^  no_such_user: 2$' "$T/g" || fail "reasons: no no_such_user 2: $(cat "$T/g")"
eq "user_unknown texts" "$(grep -c ' 550 5\.1\.1 ' "$T/g")" 2
group mailbox_full > "$T/g"
grep -q 'Quota exceeded' "$T/g" || fail "reasons: quota text not under mailbox_full"
group greylisted > "$T/g"
grep -q '^  postgrey: 1$' "$T/g" || fail "reasons: no postgrey under greylisted"
eq "reasons categories" "$(grep -c '^[a-z_]*: ' "$T/reasons")" 5

# 5. The unclassified texts, the newest first (B was first seen after A,
# though A is the more frequent), each whole.
timeout 30 $C reasons --category other $BOTH > "$T/other" 2> "$T/err" ||
    fail "reasons --category other: $(cat "$T/err")"
grep 'not to our taste\|not wanted at' "$T/other" | awk '{ print $1 }' > "$T/counts"
eq "other: newest first, with counts" "$(tr '\n' ' ' < "$T/counts")" "1 2 "
grep -q 'Your envelope sender is not to our taste today (in reply to MAIL FROM command)' \
    "$T/other" || fail "other: text not whole: $(cat "$T/other")"
timeout 30 $C reasons --category other $BOTH --csv > "$T/other.csv" ||
    fail "reasons --category other --csv"
eq "other csv rows" "$(($(wc -l < "$T/other.csv") - 1))" 2

# 6. The API under it: summary by reason.
eq "summary by reason" "$($C summary --by reason --category reputation $DAY --csv |
    sort | tr '\n' ' ')" "microsoft-s3140,1 reason,count zen.spamhaus.org,1 "
if command -v curl >/dev/null 2>&1; then
	eq "reasons order=newest" "$(code '/v1/reasons?order=newest')" 200
	eq "reasons order=bogus" "$(code '/v1/reasons?order=bogus')" 400
fi
stop_testd
echo PASS
