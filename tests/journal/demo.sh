#!/bin/sh
# demo.sh: the README's first command on a machine where Postfix logs only
# to the journal (issue 13, acceptance 3: Debian 12 without rsyslog, no
# /var/log/mail.log).  A real systemd-journald runs as the machine's own
# journal (no namespace: what `journalctl` shows), Postfix's smtp(8) lines
# reach it through its syslog socket as syslog(3) sends them (`logger
# -t postfix/smtp --id=PID`), and tools/demo.sh must find the journal,
# count it and print the test's own totals.
#
# It owns the machine's journal for the run, so it refuses when one is
# already there (a journald running, /run/systemd/journal present, or this
# machine's journal folder already in /var/log/journal), or when a mail log
# file exists (demo.sh would count that instead).  Everything it made is
# removed after; the journald is stopped by its pid.
NAME=journal-demo
. "$top_srcdir/tests/ingest/common.sh"
JOURNALD=${JOURNALD:-/lib/systemd/systemd-journald}

[ "$(id -u)" = 0 ] || skip "runs the machine's journald: needs root"
[ -x "$JOURNALD" ] || skip "no $JOURNALD (Debian: systemd)"
command -v journalctl >/dev/null 2>&1 || skip "no journalctl"
command -v logger >/dev/null 2>&1 || skip "no logger (util-linux)"
"$SMTPTALLYD" -n --follow journal 2>&1 | grep -q 'built without' &&
    skip "smtptallyd built without the journal"
for f in /var/log/mail.log /var/log/maillog /var/log/exim4/mainlog; do
	[ -e "$f" ] && skip "$f exists: demo.sh counts that, not the journal"
done
pgrep -x systemd-journal >/dev/null 2>&1 &&
    skip "a journald runs: this machine's journal is not ours to fill"
[ -e /run/systemd/journal ] && skip "/run/systemd/journal exists"
MID=$(cat /etc/machine-id 2>/dev/null) || skip "no /etc/machine-id"
[ -n "$MID" ] || skip "empty /etc/machine-id"
[ -e "/var/log/journal/$MID" ] || [ -e "/run/log/journal/$MID" ] &&
    skip "this machine already has a journal (/var/log/journal/$MID)"

ingest_init
JDPID=
demo_cleanup()
{
	_rc=$?
	if [ -n "$JDPID" ]; then
		kill -TERM "$JDPID" 2>/dev/null
		wait_exit "$JDPID" 20 || kill -KILL "$JDPID" 2>/dev/null
	fi
	rm -rf /run/systemd/journal "/var/log/journal/$MID" \
	    "/run/log/journal/$MID"
	(exit "$_rc")
	cleanup
}
trap demo_cleanup EXIT

"$JOURNALD" >> "$T/journald.log" 2>&1 &
JDPID=$!
track "$JDPID"
i=0
while [ ! -S /run/systemd/journal/dev-log ]; do
	i=$((i + 1))
	[ $i -gt 100 ] && fail "journald made no dev-log: $(cat "$T/journald.log")"
	sleep 0.1
done
say "journald $JDPID listening on /run/systemd/journal/dev-log"

# Postfix's smtp(8) lines, as syslog(3) hands them to /dev/log: 20 sent
# (250), 7 deferred (451), 3 bounced (550), to three domains.
pf()
{
	logger -u /run/systemd/journal/dev-log -t postfix/smtp --id=4242 \
	    -p mail.info -- "$1" || fail "logger"
}
n=0
while [ $n -lt 30 ]; do
	n=$((n + 1))
	id=$(printf 'A%09X' $n)
	if [ $n -le 20 ]; then
		pf "$id: to=<u$n@ok.example>, relay=mx.ok.example[192.0.2.1]:25, delay=0.5, delays=0.1/0/0.2/0.2, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as X$n)"
	elif [ $n -le 27 ]; then
		pf "$id: to=<u$n@slow.example>, relay=mx.slow.example[192.0.2.2]:25, delay=2, delays=0.1/0/1/0.9, dsn=4.7.1, status=deferred (host mx.slow.example[192.0.2.2] said: 451 4.7.1 Try again later (in reply to RCPT TO command))"
	else
		pf "$id: to=<u$n@gone.example>, relay=mx.gone.example[192.0.2.3]:25, delay=1, delays=0.1/0/0.5/0.4, dsn=5.1.1, status=bounced (host mx.gone.example[192.0.2.3] said: 550 5.1.1 <u$n@gone.example>: Recipient address rejected: User unknown (in reply to RCPT TO command))"
	fi
done
# journald has them once journalctl sees all 30.
i=0
while [ "$(journalctl -q -o cat -t postfix/smtp 2>/dev/null | wc -l)" != 30 ]; do
	i=$((i + 1))
	[ $i -gt 100 ] && fail "the journal holds $(journalctl -q -o cat -t postfix/smtp | wc -l) of 30 lines"
	sleep 0.1
done
say "the journal holds the 30 lines"

SMTPTALLY_DEMO_STATE=$T/demo bash "$top_srcdir/tools/demo.sh" \
    > "$T/demo.out" 2>&1 || fail "demo.sh exited $?: $(tail -20 "$T/demo.out")"
sed 's/^/    /' "$T/demo.out" | grep -v '^    *\(CC\|CCLD\|AR\|GEN\|make\)' | tail -30
grep -q '^smtptally: reading --follow journal$' "$T/demo.out" ||
    fail "demo.sh did not follow the journal"
got=$(awk '$1 == "2xx" || $1 == "4xx" || $1 == "5xx" {printf "%s=%s ", $1, $2}
    $1 == "total" && !t++ {printf "total=%s", $2}' "$T/demo.out")
[ "$got" = "2xx=20 4xx=7 5xx=3 total=30" ] ||
    fail "demo.sh's summary: '$got', want 2xx=20 4xx=7 5xx=3 total=30"
grep -q '^total 30 attempts to 3 domains' "$T/demo.out" ||
    fail "demo.sh's top: $(grep '^total' "$T/demo.out" | tail -1)"
say "ok: demo.sh counted the journal: $got"
finish
