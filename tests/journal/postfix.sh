#!/usr/bin/env bash
# Scenario 3 of issue 13: a real Postfix logging through syslog(3) to a
# real, namespaced systemd-journald, and smtptallyd following that
# namespace live (--follow journal:NS).  Postfix delivers to the e2e sink
# (tests/e2e/sink.py) as in tests/e2e/postfix.sh; the counts must equal
# the sink's record (remote replies) and the test's own reading of the
# journal (journalctl -o short, classified by awk: attempts without a
# reply, expiries).
#
# /dev/log is pointed at the namespace's dev-log for the run and put back
# after.  That is machine-wide: run it where no other real-MTA test runs
# at the same time (make check-e2e runs them one after the other; by hand
# beside others, hold their lock: flock LOCKFILE tests/journal/postfix.sh,
# or set E2E_LOCK=LOCKFILE and the script takes it).
#
# usage: tests/journal/postfix.sh [BUILDDIR]    exit 0 pass, 1 fail, 77 skip
set -u
e2e_name=journal-postfix
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
# common.sh finds its own folder from $0: source it from there
e2e_src_dir=$top/tests/e2e
. "$e2e_src_dir/common.sh"
e2e_src=$e2e_src_dir
e2e_require
JOURNALD=/lib/systemd/systemd-journald
[ -x "$JOURNALD" ] || skip "no $JOURNALD"
command -v journalctl >/dev/null || skip "no journalctl"
command -v flock >/dev/null || skip "no flock"
"$e2e_build/smtptallyd" -n --follow journal 2>&1 | grep -q 'built without' &&
    skip "smtptallyd built without the journal"

if [ -n "${E2E_LOCK:-}" ]; then
	exec 9>>"$E2E_LOCK" || skip "cannot open the lock $E2E_LOCK"
	say "waiting for the MTA lock $E2E_LOCK"
	flock -w 900 9 || skip "the MTA lock $E2E_LOCK stayed taken"
fi

NS=stpf$$
e2e_setup
e2e_machine postfix exim4-daemon-light \
    "runs Postfix as root (its daemons as postfix) with config_directory and queue in $E2E_DIR, logging through syslog(3); /etc/postfix is neither read nor changed" \
    "runs systemd-journald in a namespace of its own ($NS), with /etc/systemd/journald@$NS.conf; both removed after" \
    "points /dev/log at that journald's dev-log for the run and puts it back after" \
    "listens on 127.0.0.2:2600-2660 (the sink); sends mail there only" \
    "runs smtptallyd from the build tree on a database in $E2E_DIR; removes $E2E_DIR after a pass"

JDPID=
saved_devlog=
linked=
# Put /dev/log back, stop our journald, remove its namespace.
jp_restore() {
	if [ -n "$linked" ]; then
		rm -f /dev/log
		[ -n "$saved_devlog" ] && mv "$saved_devlog" /dev/log
	fi
	if [ -n "$JDPID" ]; then
		kill -TERM "$JDPID" 2>/dev/null
		wait "$JDPID" 2>/dev/null
	fi
	rm -rf /var/log/journal/*."$NS" "/run/systemd/journal.$NS"
	rm -f "/etc/systemd/journald@$NS.conf"
}
e2e_on_exit=jp_restore

if ! command -v postfix >/dev/null || ! e2e_installed postfix; then
	echo "postfix postfix/main_mailer_type select No configuration" |
	    debconf-set-selections 2>/dev/null
	e2e_apt_install postfix || skip "cannot install postfix"
fi
command -v postfix >/dev/null || skip "no postfix after install"

# The journald: its own configuration, no rate limit; kept running (a
# namespaced journald ends itself when idle: restarted by jd_up).
mkdir -p /etc/systemd
printf '[Journal]\nStorage=persistent\nRateLimitBurst=0\n' \
    > "/etc/systemd/journald@$NS.conf"
jd_up() {
	if [ -n "$JDPID" ] && kill -0 "$JDPID" 2>/dev/null; then
		return 0
	fi
	"$JOURNALD" "$NS" >> "$E2E_DIR/journald.log" 2>&1 &
	JDPID=$!
	local i
	for i in $(seq 100); do
		[ -S "/run/systemd/journal.$NS/dev-log" ] && return 0
		sleep 0.1
	done
	bad "journald $NS did not start"
	e2e_end
}
jd_up
if [ -e /dev/log ] || [ -L /dev/log ]; then
	saved_devlog=/dev/log.smtptally-saved.$$
	mv /dev/log "$saved_devlog"
fi
linked=yes
ln -s "/run/systemd/journal.$NS/dev-log" /dev/log

ETC=$E2E_DIR/etc
mkdir -p "$ETC" "$E2E_DIR/queue" "$E2E_DIR/data"
chown postfix "$E2E_DIR/data"
e2e_routes "$ETC/transport" '%s smtp:[127.0.0.2]:%s' \
    '%s smtp:[127.0.0.3]:%s'
# tests/e2e's configuration, logging through syslog(3) instead of a file
# (no content filter here: header_checks is empty, and the reinjection
# smtpd's port is set but nothing is sent to it)
: > "$ETC/header_checks"
for f in main master; do
	sed -e "s|@DIR@|$E2E_DIR|g" -e '/^maillog_file/d' \
	    -e 's|@FILTER_PORT@|10024|g' -e 's|@REINJECT_PORT@|10025|g' \
	    "$e2e_src/postfix-$f.cf.in" > "$ETC/$f.cf"
done
if grep -n '@[A-Z_]*@' "$ETC/main.cf" "$ETC/master.cf"; then
	bad "placeholders left in the Postfix configuration"
	e2e_end
fi
pf() { postfix -c "$ETC" "$@"; }
pf_stop() { postfix -c "$ETC" stop; }

# shellcheck disable=SC2086
e2e_sink $ports
# as tests/e2e does: the sink is on loopback, so not a content filter
e2e_daemon "journal:$NS"
pf check 2> "$E2E_DIR/postfix-check.err" ||
    { cat "$E2E_DIR/postfix-check.err"; bad "postfix check"; e2e_end; }
pf start 2> "$E2E_DIR/postfix-start.err" ||
    { cat "$E2E_DIR/postfix-start.err"; bad "postfix start"; e2e_end; }
e2e_mta_stop=pf_stop

nsent=0
send() {
	local from=$1
	shift
	nsent=$((nsent + 1))
	printf 'From: <%s>\nSubject: j %d\n\nbody %d\n' "$from" "$nsent" \
	    "$nsent" | /usr/sbin/sendmail -C "$ETC" -f "$from" -- "$@" ||
	    bad "sendmail $*"
}
batch() {
	local p=$1 d
	for d in $DOMAINS closed.test; do
		case $d in ok.test) continue ;; esac
		send "bounce@ok.test" "${p}1@$d"
		send "bounce@ok.test" "${p}2@$d" "${p}3@$d"
	done
	send "bounce@ok.test" "${p}nouser@mta.e2e.test"
}

batch a
sleep 10
jd_up
e2e_live
batch b
sleep 5
for _ in $(seq 90); do
	jd_up
	postqueue -c "$ETC" -p 2>/dev/null | grep -q 'Mail queue is empty' &&
	    break
	sleep 2
done
postqueue -c "$ETC" -p 2>/dev/null | grep -q 'Mail queue is empty' ||
    bad "queue not empty after the wait"
sleep 2
pf_stop > /dev/null 2>&1
e2e_mta_stop=
sleep 2

# The test's reading of the journal: syslog-style lines from journalctl.
journalctl --namespace="$NS" -o short -q > "$E2E_DIR/all.log"
grep -E ' postfix/[a-z]+\[[0-9]+\]: [0-9A-Za-z]+: to=<.*status=' \
    "$E2E_DIR/all.log" > "$E2E_DIR/delivery.lines"
say "sent $nsent messages; the journal holds $(wc -l < "$E2E_DIR/delivery.lines") delivery lines"
[ -s "$E2E_DIR/delivery.lines" ] || bad "no delivery line in the journal"

# Wait until the daemon counted every delivery line, then stop it.
want=$(wc -l < "$E2E_DIR/delivery.lines")
for _ in $(seq 60); do
	got=$("$E2E_DBTOOL" sql "$E2E_DIR/db" "SELECT coalesce(sum(n), 0)
	    FROM counts WHERE mta = 'postfix' AND direction = 'out'" \
	    2>/dev/null)
	[ "${got:-0}" -ge "$want" ] && break
	sleep 0.5
done
kill -TERM "$e2e_daemon_pid"
wait "$e2e_daemon_pid" || bad "smtptallyd exited $?"
e2e_sink_stop

e2e_postfix_classes ""
e2e_check postfix
awk '$1 == "reply" && $2 == "remote" {print $3, $4}' "$E2E_DIR/classes" \
    > "$E2E_DIR/logreply"
e2e_log_vs_sink "$E2E_DIR/logreply"
n=$(grep -c -E ' postfix/qmgr\[[0-9]+\]: [0-9A-Za-z]+: from=<.*status=expired' \
    "$E2E_DIR/all.log")
echo "total $n" > "$E2E_DIR/expired.expected"
[ "$n" -gt 0 ] || : > "$E2E_DIR/expired.expected"
e2e_sql "SELECT 'total', sum(n) FROM counts WHERE mta = 'postfix'
    AND direction = 'out' AND kind = 'final' AND status = 'expired'
    HAVING sum(n) > 0" > "$E2E_DIR/expired.actual"
e2e_compare "expiries counted as final outcomes = journal" \
    "$E2E_DIR/expired.expected" "$E2E_DIR/expired.actual"
# the host is the journal's _HOSTNAME: this machine's name
hosts=$(e2e_sql "SELECT DISTINCT host FROM counts WHERE mta = 'postfix'")
[ "$hosts" = "$(hostname)" ] || bad "hosts in the counts: $hosts, not $(hostname)"
e2e_summary postfix
e2e_end
