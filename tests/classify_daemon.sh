#!/bin/sh
# The daemon and the rules files (issue 14): a rules file with an error is
# refused at start with file:line: why (and by -n); at a reload (SIGHUP)
# it is refused, the daemon keeps running with the rules it had, and a
# later reload with a good file is taken.  Uses the ingest helpers for
# bounded waits and cleanup.
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/tests/ingest/common.sh"

ingest_init
LOG=$T/mail.log
: > "$LOG"
follow "postfix:$LOG"
good=$T/rules
local=$T/rules.local
printf '%s\n' '# fine' \
    'user_unknown recipient no_such_user "user unknown"' > "$good"
printf '%s\n' '# a comment' 'policy nobody x reply=550' > "$T/bad"

# At start: refused, with the file and the line.
"$SMTPTALLYD" -n --db "$DB" --socket "$SOCK" $FOLLOW --rules "$T/bad" \
    --rules-local "$local" > "$T/n.out" 2>&1
rc=$?
[ "$rc" -eq 1 ] || fail "-n with a bad rules file: status $rc"
grep -q -F "$T/bad:2: unknown blame \"nobody\"" "$T/n.out" ||
    fail "-n: no file:line message: $(cat "$T/n.out")"
"$SMTPTALLYD" --foreground --oneshot --db "$DB" --socket "$SOCK" $FOLLOW \
    --rules "$good" --rules-local "$T/bad" > "$T/start.out" 2>&1
rc=$?
[ "$rc" -eq 1 ] || fail "start with a bad local rules file: status $rc"
grep -q -F "$T/bad:2: unknown blame" "$T/start.out" ||
    fail "start: no file:line message: $(cat "$T/start.out")"
[ ! -e "$DB" ] || fail "the daemon opened its database with bad rules"
"$SMTPTALLYD" -n --db "$DB" --socket "$SOCK" $FOLLOW --rules "$good" \
    --rules-local "$local" > "$T/ok.out" 2>&1 ||
    fail "-n with good rules: $(cat "$T/ok.out")"

# Running: a bad file at reload is refused, the daemon lives on.
cp "$good" "$T/current"
"$SMTPTALLYD" --foreground --db "$DB" --socket "$SOCK" $FOLLOW \
    --rules "$T/current" --rules-local "$local" >> "$DLOG" 2>&1 &
DPID=$!
track "$DPID"
wait_file "$DB" 30 || fail "daemon did not start: $(cat "$DLOG")"
cp "$T/bad" "$T/current"
kill -HUP "$DPID"
n=0
until grep -q -F "reload refused: $T/current:2: unknown blame" "$DLOG"; do
	n=$((n + 1))
	[ "$n" -le 300 ] || fail "no refusal logged: $(cat "$DLOG")"
	alive "$DPID" || fail "daemon died at reload: $(cat "$DLOG")"
	sleep 0.1
done
alive "$DPID" || fail "daemon died after a refused reload"
cp "$good" "$T/current"
kill -HUP "$DPID"
n=0
until grep -q "reloaded" "$DLOG"; do
	n=$((n + 1))
	[ "$n" -le 300 ] || fail "good rules not reloaded: $(cat "$DLOG")"
	sleep 0.1
done
daemon_stop
finish
