#!/bin/sh
# report --html in a real browser: headless Chromium loads the page from
# a file, dumps its DOM and renders a PNG.  Pass: the stacked chart has
# one rect per hour and class with a count (the test's own arithmetic
# over the rows it wrote), one bar per deferring and bouncing domain,
# and a hostile domain and reply text come out as text, not markup.
. "${top_srcdir:-.}/tests/serve/common.sh"
[ -x "$CLIENT" ] || fail "$CLIENT not built"
CHROMIUM=$(command -v chromium || command -v chromium-browser) || \
    skip "chromium not installed"

make_db
# A domain and a reply text from a hostile remote: markup, quotes, an
# ampersand and a right-to-left override (U+202E).
BIDI=$(printf '\342\200\256')
printf 'count %d 7 <b>x"&y.example mx1 postfix out attempt bounced %s %s\n' \
    $((T0 + 47 * 3600)) '550 5.7.1 blocked & "listed"' \
    "<script>alert(1)</script> ${BIDI}evil" > "$T/hostile"
"$DBTOOL" fill "$DB" 1 < "$T/hostile" || fail "fill hostile"
start_testd

timeout 30 "$CLIENT" -s "$SOCK" report --html --utc \
    --since 2026-11-29T00:00:00Z --until 2026-11-30T00:00:00Z \
    > "$T/r.html" 2> "$T/err" || fail "report --html: $(cat "$T/err")"
pass "report --html exits 0"

# Hours of the second day with a count in each class, from the rows.
cat "$T/rows" "$T/hostile" | awk -v a=$((T0 + 86400)) -v b=$((T0 + 172800)) '
    $1 == "count" && $2 >= a && $2 < b {
	# class: reply / 100, else the enhanced digit, else sent = 2
	c = $10 != 0 ? substr($10, 1, 1) : $11 != "-" ? substr($11, 1, 1) : 2
	if (!((c, $2) in seen)) { seen[c, $2] = 1; n[c]++ }
    }
    END { printf "H2=%d\nH4=%d\nH5=%d\n", n[2], n[4], n[5] }' > "$T/hours"
. "$T/hours"

grep -q '<script' "$T/r.html" && fail "a <script> got through"
# The store keeps <...> as <HOST> (reason.c): its brackets stay.
grep -q 'blocked &amp; &quot;listed&quot; &lt;HOST&gt; &#xfffd;evil' \
    "$T/r.html" || fail "reply text not escaped"
grep -q '&lt;b&gt;x&quot;&amp;y.example' "$T/r.html" || \
    fail "domain not escaped"
grep -q "$BIDI" "$T/r.html" && fail "bidi override got through"
# A URL in a reply text is text; a resource needs an attribute.
grep -Eq 'src=|href=|url\(|<link|<img|<iframe' "$T/r.html" && \
    fail "an external reference"
pass "hostile strings escaped, no script, no bidi override"

# The browser: its own profile, no network needed for a file.
B="timeout 60 $CHROMIUM --headless --no-sandbox --disable-gpu \
    --user-data-dir=$T/profile --no-first-run --disable-extensions"
# shellcheck disable=SC2086
$B --dump-dom "file://$T/r.html" > "$T/dom" 2> "$T/chromium.err" || \
    fail "chromium --dump-dom: $(tail -5 "$T/chromium.err")"
grep -q '</html>' "$T/dom" || fail "no DOM: $(tail -5 "$T/chromium.err")"
grep -q '<parsererror' "$T/dom" && fail "parse error in the SVG"
grep -q 'CONSOLE' "$T/chromium.err" && \
    fail "the page logged: $(grep CONSOLE "$T/chromium.err")"
count() { grep -o "<rect class=\"$1\"" "$T/dom" | wc -l | tr -d ' '; }
eq "2xx columns in the DOM" "$(count c2)" "$H2"
eq "4xx columns in the DOM" "$(count c4)" "$H4"
eq "5xx columns in the DOM" "$(count c5)" "$H5"
# Deferring domains: the four of make_db; bouncing: those and the
# hostile one.
eq "deferring domain bars" "$(count 'domain c4')" 4
eq "bouncing domain bars" "$(count 'domain c5')" 5
[ "$(count 'provider c5')" -ge 1 ] || fail "no provider bars"
grep -q 'listed" &lt;HOST&gt;' "$T/dom" || fail "escaped text lost in the DOM"
grep -q '<script' "$T/dom" && fail "a script element in the DOM"
pass "the DOM has the charts and the escaped texts"

# shellcheck disable=SC2086
$B --hide-scrollbars --window-size=700,1400 --screenshot="$T/r.png" \
    "file://$T/r.html" > /dev/null 2>> "$T/chromium.err" || \
    fail "chromium --screenshot: $(tail -5 "$T/chromium.err")"
[ "$(head -c 8 "$T/r.png" | od -An -tx1 | tr -d ' \n')" = \
    89504e470d0a1a0a ] || fail "the screenshot is not a PNG"
[ "$(wc -c < "$T/r.png")" -gt 10000 ] || fail "the screenshot is blank"
pass "chromium rendered a PNG of $(wc -c < "$T/r.png") bytes"

# contrib/cron/smtptally-mail: text and HTML as multipart/alternative,
# through a sendmail that keeps the message.
printf '#!/bin/sh\ncat > "%s"\n' "$T/mail" > "$T/sendmail"
chmod +x "$T/sendmail"
SENDMAIL=$T/sendmail SMTPTALLY=$CLIENT timeout 30 \
    sh "$top_srcdir/contrib/cron/smtptally-mail" postmaster -s "$SOCK" --utc \
    --since 2026-11-29T00:00:00Z --until 2026-11-30T00:00:00Z || \
    fail "smtptally-mail"
grep -q '^Content-Type: multipart/alternative; boundary=' "$T/mail" || \
    fail "not multipart/alternative"
eq "parts" "$(grep -c '^Content-Type: text/' "$T/mail")" 2
grep -q '^Delivery attempts' "$T/mail" || fail "no text part"
awk '/^Content-Transfer-Encoding: base64/ { p = 1; next }
    p && /^--/ { p = 0 } p && NF' "$T/mail" | base64 -d > "$T/part.html" ||
    fail "the HTML part is not base64"
cmp -s "$T/part.html" "$T/r.html" || fail "the HTML part is not the page"
pass "smtptally-mail sends the text and the page"
stop_testd
