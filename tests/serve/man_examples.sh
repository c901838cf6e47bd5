#!/bin/sh
# Every example in smtptally(1) runs against a test daemon and exits 0:
# the commands of the EXAMPLES section's literal blocks (continuation
# lines joined), with the test's socket for the installed one; the cron
# line's command after its user field; classify with the source tree's
# rules file, which is the one installed.
. "${top_srcdir:-.}/tests/serve/common.sh"
[ -x "$CLIENT" ] || fail "$CLIENT not built"
MAN=$top_builddir/man/smtptally.1
[ -f "$MAN" ] || fail "$MAN not built"
command -v curl >/dev/null 2>&1 || skip "curl not installed"
command -v jq >/dev/null 2>&1 || skip "jq not installed"

# A quote macro encloses the rest of its line, macros too: '.Ql a , Ql b'
# renders as nested quotes (the trial's D23).  One quoted word a line.
for m in "$top_srcdir"/man/*.in; do
	grep -nE '^\.(Pq )?(Ql|Sq|Dq) .* (Ql|Sq|Dq) ' "$m" > "$T/nested" && \
	    fail "nested quotes in $m: $(head -3 "$T/nested")"
done
pass "no quote macro inside another on one line"

make_db
start_testd
RULES=$top_srcdir/etc/smtptally.rules

# The literal blocks of EXAMPLES, one command a line.
awk '
	/^\.Sh / { ex = ($2 == "EXAMPLES") }
	ex && /^\.Bd -literal/ { lit = 1; next }
	ex && /^\.Ed/ { lit = 0; next }
	ex && lit {
		gsub(/\\e/, "\\")
		if (sub(/\\$/, "")) { held = held $0; next }
		print held $0; held = ""
	}' "$MAN" > "$T/examples"
n=$(grep -c . "$T/examples")
[ "$n" -ge 8 ] || fail "only $n example lines found in $MAN"

ran=0
while IFS= read -r line; do
	case $line in
	MAILTO=*) continue ;;
	*" smtptally smtptally "*)	# cron: minute hour dom mon dow user cmd
		cmd=${line#* smtptally smtptally } ;;
	smtptally\ *) cmd=${line#smtptally } ;;
	curl\ *)
		sock=$(printf '%s\n' "$line" | sed 's/.*--unix-socket \([^ ]*\).*/\1/')
		c=$(printf '%s\n' "$line" | sed "s|$sock|$SOCK|")
		timeout 30 sh -c "$c" > "$T/out" 2>&1 || fail "example '$line': $(cat "$T/out")"
		[ -s "$T/out" ] || fail "example '$line': no output"
		ran=$((ran + 1)); pass "example: $line"
		continue ;;
	*) fail "example not understood: $line" ;;
	esac
	# A redirection to a file is the reader's: the output goes to $T/out.
	cmd=${cmd%% > *}
	set -f
	case $cmd in
	classify*) set -- classify --rules "$RULES" ${cmd#classify} ;;
	*) set -- $cmd ;;
	esac
	set +f
	# Quoted arguments (classify's reply) are kept whole by eval.
	eval "set -- $(printf '%s\n' "$*")"
	timeout 30 "$CLIENT" -s "$SOCK" "$@" > "$T/out" 2>&1 || \
	    fail "example 'smtptally $cmd': $(cat "$T/out")"
	ran=$((ran + 1)); pass "example: smtptally $cmd"
done < "$T/examples"
[ $ran -ge 8 ] || fail "ran only $ran examples"
echo PASS
