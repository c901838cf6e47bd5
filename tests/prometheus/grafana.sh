#!/bin/sh
# contrib/grafana/smtptally.json: valid JSON (jq), the panels are the
# ones contrib/grafana/README.md names, each has a query, and every
# metric a query reads is a smtptally_* family listed in
# doc/exporter-compat.md.  (tests/prometheus/scrape.sh runs the queries
# against a real Prometheus.)
: "${top_srcdir:=.}"
J=$top_srcdir/contrib/grafana/smtptally.json
README=$top_srcdir/contrib/grafana/README.md
DOC=$top_srcdir/doc/exporter-compat.md
command -v jq >/dev/null 2>&1 || { echo "SKIP: jq not installed"; exit 77; }
T=$(mktemp -d /tmp/smtptally-grafana.XXXXXX) || exit 1
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

jq -e . "$J" > /dev/null 2>"$T/err" || fail "not JSON: $(cat "$T/err")"
echo "ok: valid JSON"
jq -r '.panels[].title' "$J" | LC_ALL=C sort > "$T/json"
sed -n '/<!-- panels/,/<!-- end panels/p' "$README" |
    sed -n 's/^- \*\*\([^*]*\)\*\*.*/\1/p' | LC_ALL=C sort > "$T/readme"
[ -s "$T/readme" ] || fail "no panel list in $README"
diff "$T/readme" "$T/json" > "$T/diff" || fail "panels differ from the README (< README, > JSON): $(cat "$T/diff")"
echo "ok: $(wc -l < "$T/json") panels, as the README names them"
[ "$(jq '[.panels[] | select((.targets // []) | length == 0)] | length' "$J")" = 0 ] ||
    fail "a panel has no query"
[ "$(jq '[.panels[].id] | length == (unique | length)' "$J")" = true ] ||
    fail "panel ids repeat"
jq -r '.panels[].targets[].expr' "$J" | grep -o '[a-z_]*_[a-z_]*{' |
    tr -d '{' | LC_ALL=C sort -u > "$T/metrics"
[ -s "$T/metrics" ] || fail "no metric names found in the queries"
while read -r m; do
	case $m in smtptally_*) ;; *) fail "query reads $m, not a smtptally_* family";; esac
	grep -q "\`$m\`" "$DOC" || fail "$m is not listed in doc/exporter-compat.md"
done < "$T/metrics"
echo "ok: queries read $(wc -l < "$T/metrics") documented families"
echo PASS
