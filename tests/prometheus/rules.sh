#!/bin/sh
# The shipped Prometheus rules: `promtool check rules` accepts them and
# `promtool test rules` passes their unit tests (contrib/prometheus/).
# Then a broken copy (the provider bounce threshold raised above the
# test's share) must fail, so the tests are known to bite.
: "${top_srcdir:=.}"
R=$top_srcdir/contrib/prometheus
command -v promtool >/dev/null 2>&1 || { echo "SKIP: promtool not installed"; exit 77; }
T=$(mktemp -d /tmp/smtptally-rules.XXXXXX) || exit 1
trap 'rm -rf "$T"' EXIT

promtool check rules "$R/smtptally.rules.yml" > "$T/out" 2>&1 || {
	echo "FAIL: promtool check rules:"; cat "$T/out"; exit 1; }
grep -q "SUCCESS: 11 rules found" "$T/out" || {
	echo "FAIL: expected 11 rules:"; cat "$T/out"; exit 1; }
echo "ok: promtool check rules"

# promtool resolves rule_files relative to the test file's directory.
cp "$R/smtptally.rules.yml" "$R/smtptally.rules.test.yml" "$T/"
(cd "$T" && promtool test rules smtptally.rules.test.yml) > "$T/out" 2>&1 || {
	echo "FAIL: promtool test rules:"; cat "$T/out"; exit 1; }
echo "ok: promtool test rules"

sed 's/> 0\.05$/> 0.5/' "$R/smtptally.rules.yml" > "$T/smtptally.rules.yml"
cmp -s "$R/smtptally.rules.yml" "$T/smtptally.rules.yml" && {
	echo "FAIL: test bug: the threshold to break was not found"; exit 1; }
if (cd "$T" && promtool test rules smtptally.rules.test.yml) > "$T/out" 2>&1; then
	echo "FAIL: the rule tests pass with a broken bounce threshold"; exit 1
fi
grep -q "SmtptallyProviderBounceRate" "$T/out" || {
	echo "FAIL: the broken rule failed for another reason:"; cat "$T/out"; exit 1; }
echo "ok: a broken threshold fails the tests"
echo PASS
