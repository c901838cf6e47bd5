#!/usr/bin/env bash
# End to end against a real Exim (issue 6): Debian's exim4-daemon-light,
# run with its own configuration (-C) from the test's folder, delivers to
# the sink (tests/e2e/sink.py) through a manualroute router, logs to its own
# mainlog, which is rotated once in the middle (mv; Exim reopens a moved
# log), after which H= carries the port (+outgoing_port); smtptallyd follows
# the log live.  smtptally's counts must equal the
# sink's record (remote replies) and the test's own reading of the log
# (attempts without a reply, retry timeouts).
#
# usage: tests/e2e/exim.sh [BUILDDIR]    exit 0 pass, 1 fail, 77 skip
# Needs root; installs exim4-daemon-light when it is missing (this removes
# postfix, which conflicts with it).
set -u
e2e_name=exim
. "$(dirname "$0")/common.sh"
e2e_require

e2e_setup
e2e_machine exim4-daemon-light postfix \
    "runs Exim as root (deliveries as Debian-exim) with its own configuration (-C), spool and log in $E2E_DIR; appends that configuration's path to /etc/exim4/trusted_configs and removes the line at exit" \
    "listens on 127.0.0.1:2580 (Exim's daemon, accepting no recipient) and 127.0.0.2:2600-2660 (the sink); sends mail to those only" \
    "runs smtptallyd from the build tree on a database in $E2E_DIR; removes $E2E_DIR after a pass"
EXIM=/usr/sbin/exim4
if ! e2e_installed exim4-daemon-light || [ ! -x "$EXIM" ]; then
	e2e_apt_install exim4-daemon-light || skip "cannot install exim4-daemon-light"
fi
[ -x "$EXIM" ] || skip "no $EXIM after install"
id Debian-exim >/dev/null 2>&1 || skip "no Debian-exim user"

CONF=$E2E_DIR/exim.conf
SMTP_PORT=2580
mkdir -p "$E2E_DIR/spool" "$E2E_DIR/mail"
chown Debian-exim:Debian-exim "$E2E_DIR/spool" "$E2E_DIR/log" "$E2E_DIR/mail"
LOG=$E2E_DIR/log/mainlog

e2e_routes "$E2E_DIR/routes" '%s: 127.0.0.2::%s' '%s: 127.0.0.3::%s'
sed -e "s|@DIR@|$E2E_DIR|g" -e "s|@SMTP_PORT@|$SMTP_PORT|g" \
    "$e2e_src/exim.conf.in" > "$CONF"
for hp in 127.0.0.3:$CLOSED_PORT 127.0.0.1:$SMTP_PORT; do
	python3 -c 'import socket,sys; s=socket.socket(); sys.exit(s.connect_ex((sys.argv[1], int(sys.argv[2]))) == 0)' \
	    "${hp%:*}" "${hp#*:}" || skip "$hp is in use"
done
# List the configuration in Debian's TRUSTED_CONFIG_LIST, so Exim keeps its
# privilege separation under -C (else it runs everything as the caller and
# logs "exim user lost privilege"); the line is removed at exit.
chmod 644 "$CONF" "$E2E_DIR/routes"
TRUSTED=/etc/exim4/trusted_configs
if [ -d /etc/exim4 ]; then
	echo "$CONF" >> "$TRUSTED" && chmod 644 "$TRUSTED"
	untrust() { sed -i "\|^$CONF\$|d" "$TRUSTED"; }
	e2e_on_exit=untrust
fi
"$EXIM" -C "$CONF" -bV > "$E2E_DIR/exim-bV.out" 2>&1 ||
    { cat "$E2E_DIR/exim-bV.out"; bad "exim -bV"; e2e_end; }

# shellcheck disable=SC2086
e2e_sink $ports
e2e_daemon "exim:$LOG"
# The Exim daemon, in the foreground: it only runs the queue every 3 s
# (it listens on 127.0.0.1:$SMTP_PORT but accepts no recipient).
"$EXIM" -C "$CONF" -bdf -q3s 2> "$E2E_DIR/exim.err" &
exim_pid=$!
e2e_pids="$e2e_pids $exim_pid"
exim_stop() { kill -TERM "$exim_pid" 2>/dev/null; }
e2e_mta_stop=exim_stop

# send SENDER RCPT...: one message, queued only (-odq): the queue runner
# delivers it and retries it.
nsent=0
send() {
	local from=$1
	shift
	nsent=$((nsent + 1))
	printf 'From: <%s>\nSubject: e2e %d\n\nbody %d\n' "$from" "$nsent" \
	    "$nsent" | "$EXIM" -C "$CONF" -odq -f "$from" -- "$@" ||
	    bad "exim $*"
}

# batch PREFIX: messages with one and several recipients to every domain,
# a mixed message through -t, an unknown local user.
batch() {
	local p=$1 d
	for d in $DOMAINS closed.test; do
		case $d in ok.test) continue ;; esac
		send "bounce@ok.test" "${p}1@$d"
		send "bounce@ok.test" "${p}2@$d" "${p}3@$d" "${p}4@$d"
	done
	send "bounce@ok.test" "${p}nouser@mta.e2e.test"
	printf 'From: bounce@ok.test\nTo: %s, %s, %s\nCc: %s, %s\nSubject: mixed\n\nmixed\n' \
	    "${p}m@r250.test" "${p}m@r550.test" "${p}m@d451.test" \
	    "${p}m@closed.test" "${p}mnobody@localhost" |
	    "$EXIM" -C "$CONF" -odq -t -f bounce@ok.test || bad "exim -t"
}

batch a
sleep 20
say "rotating the log ($(wc -l < "$LOG") lines so far)"
mv "$LOG" "$LOG.1" || bad "mv $LOG"
e2e_live
# The second half with ports in H= (log_selector +outgoing_port), another
# format sites use: delivery processes read the file anew, the daemon is
# told by SIGHUP.
echo 'log_selector = +outgoing_port' > "$E2E_DIR/logsel"
sed -i "/^log_file_path/r $E2E_DIR/logsel" "$CONF" && kill -HUP "$exim_pid" ||
    bad "log_selector change"
batch b
sleep 5
# Wait for the queue to drain: deliveries, bounces, retry timeouts.
for _ in $(seq 90); do
	[ "$("$EXIM" -C "$CONF" -bpc 2>/dev/null)" = 0 ] && break
	sleep 2
done
left=$("$EXIM" -C "$CONF" -bpc 2>/dev/null)
[ "$left" = 0 ] || {
	bad "$left messages left in the queue after the wait"
	"$EXIM" -C "$CONF" -bp | head -20
}
sleep 2
exim_stop
wait "$exim_pid" 2>/dev/null
e2e_mta_stop=
sleep 1
e2e_daemon_stop "$LOG"
e2e_sink_stop

LOGS="$LOG.1 $LOG"
[ -s "$LOG" ] || bad "Exim did not write a new mainlog after the rotation"
grep -q ' => [^ ]* R=sink T=remote_smtp H=[^ ]* \[[0-9.]*\]:[0-9]' "$LOG" ||
    bad "no delivery line with an outgoing port after the change"
say "sent $nsent messages; log lines: $(cat $LOGS | wc -l)"

# The test's own reading of the log: delivery lines (=> -> ** ==),
# classified by awk, not by smtptally's parser.
cat $LOGS > "$E2E_DIR/all.log"
awk '
{
	i = 3
	if ($i ~ /^\[[0-9]+\]$/) i++
	flag = $(i + 1)
	if (flag != "=>" && flag != "->" && flag != "**" && flag != "==") next
	a = $(i + 2); sub(/:$/, "", a)
	d = a; sub(/^.*@/, "", d); d = tolower(d)
	# A bounce without an attempt: the retry rule timed out, or every
	# host has failed past its cutoff.  Checked before the skips: the
	# second also says "retry time not reached".
	if (flag == "**" && ($0 ~ /: retry timeout exceeded$/ ||
	    $0 ~ /have been failing for a long time/)) { print "final", d; next }
	if ($0 ~ /retry time not reached/) { print "skip", d; next }
	if (match($0, /SMTP error from remote mail server after [^:]*(:<[^>]*>)?: [0-9][0-9][0-9][ -]/) ||
	    match($0, / C="[0-9][0-9][0-9][ -]/)) {
		print "reply", d, substr($0, RSTART + RLENGTH - 4, 3); next
	}
	print "noreply", d
	print > "/dev/stderr"
}' "$E2E_DIR/all.log" > "$E2E_DIR/classes" 2> "$E2E_DIR/noreply.lines"
awk '$1 == "noreply" {n[$2]++} END {for (k in n) print k, n[k]}' \
    "$E2E_DIR/classes" > "$E2E_DIR/noreply.expected"
say "log lines without a remote reply, by cause:"
sed -E 's/^.* (==|\*\*|=>|->) [^ ]+ //; s/R=[^ ]+ T=[^ ]+ //; s/H=[^ ]+ \[[0-9.]+\]\*?(:[0-9]+)?:? ?//; s/<[^>]*>/<ADDR>/g' \
    "$E2E_DIR/noreply.lines" | sort | uniq -c | sed 's/^/    /'

e2e_check exim domain
awk '$1 == "reply" {print $2, $3}' "$E2E_DIR/classes" > "$E2E_DIR/logreply"
e2e_log_vs_sink "$E2E_DIR/logreply"
say "enhanced codes smtptally gave the attempts without a reply:"
e2e_sql "SELECT c.domain, c.status, c.enhanced, sum(c.n) FROM counts c
    WHERE c.mta = 'exim' AND c.kind = 'attempt' AND c.reply = 0
    GROUP BY 1, 2, 3" |
    sed 's/^/    /'

# Retry timeouts are final outcomes; retry-time-not-reached lines are skips.
for k in final skip; do
	awk -v k=$k '$1 == k {n[$2]++} END {for (x in n) print x, n[x]}' \
	    "$E2E_DIR/classes" > "$E2E_DIR/$k.expected"
	e2e_sql "SELECT c.domain, sum(c.n) FROM counts c WHERE c.mta = 'exim'
	    AND c.kind = '$k' GROUP BY 1" > "$E2E_DIR/$k.actual"
	e2e_compare "$k outcomes per domain = log" \
	    "$E2E_DIR/$k.expected" "$E2E_DIR/$k.actual"
done
[ -s "$E2E_DIR/final.expected" ] || bad "the run produced no retry timeout"

# shellcheck disable=SC2086
e2e_unrecognised exim $LOGS
e2e_summary exim
e2e_end
