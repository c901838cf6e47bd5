#!/usr/bin/env bash
# The README's first command: install what is missing, build, run the
# daemon over this machine's mail log (or the bundled sample when there is
# none) and show what it counted.  Everything it makes stays in build/demo.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$(pwd)
. tools/deps.sh

deps_install $SMTPTALLY_BUILD_DEPS
[ -x configure ] || autoreconf -fi >/dev/null 2>&1
mkdir -p build/demo
( cd build/demo && { [ -f Makefile ] || "$top/configure" -q; } &&
    make -s -j"$(nproc 2>/dev/null || echo 2)" )

bin=$top/build/demo
# SMTPTALLY_DEMO_STATE: another folder for the database and socket (the
# tests use it); by default build/demo/state.
state=${SMTPTALLY_DEMO_STATE:-$top/build/demo/state}
# The shipped classification rules, from the source tree (not installed).
rules=(--rules "$top/etc/smtptally.rules")
mkdir -p "$state"
follow=()
for f in /var/log/mail.log /var/log/maillog; do
	[ -r "$f" ] && { follow+=(--follow "postfix:$f"); break; }
done
[ -r /var/log/exim4/mainlog ] && follow+=(--follow exim:/var/log/exim4/mainlog)
# No mail log (Debian 12 without rsyslog): Postfix and Exim log to the
# journal; count it there when they do and this build reads it.
if [ ${#follow[@]} -eq 0 ] && command -v journalctl >/dev/null 2>&1 &&
    ! "$bin/smtptallyd" -n --follow journal 2>&1 | grep -q 'built without' &&
    [ -n "$(journalctl -q -o cat -n 1 -t postfix/smtp -t postfix/smtpd \
        -t postfix/qmgr -t postfix/local -t exim4 -t exim 2>/dev/null)" ]; then
	follow=(--follow journal)
fi
if [ ${#follow[@]} -eq 0 ]; then
	echo "smtptally: no mail log on this machine; using the bundled sample"
	follow=(--follow "postfix:$top/tests/data/sample-postfix.log")
fi

echo "smtptally: reading ${follow[*]}"
"$bin/smtptallyd" --oneshot --db "$state/smtptally.db" "${rules[@]}" \
    "${follow[@]}"

# Serve what was counted, ask for a summary, and stop again.
sock=$state/smtptally.sock
"$bin/smtptallyd" --foreground --db "$state/smtptally.db" --socket "$sock" \
    "${rules[@]}" "${follow[@]}" 2>"$state/smtptallyd.log" &
pid=$!
trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true' EXIT
for _ in $(seq 50); do [ -S "$sock" ] && break; sleep 0.1; done
"$bin/smtptally" -s "$sock" summary --by class
echo
"$bin/smtptally" -s "$sock" top
echo
echo "smtptally: the database is $state/smtptally.db; to follow the log live:"
echo "  $bin/smtptallyd -d --db $state/smtptally.db --socket $sock ${rules[*]} ${follow[*]}"
