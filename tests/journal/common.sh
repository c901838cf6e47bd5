# common.sh: sourced by the journal scenarios in tests/journal/.
#
# The ingest helpers (scratch directory, daemon start/kill/stop, the
# record-against-database comparison) come from tests/ingest/common.sh;
# here is a real systemd-journald in a namespace of the test's own:
# /lib/systemd/systemd-journald NS makes /run/systemd/journal.NS/ with its
# native socket and writes /var/log/journal/MACHINE.NS/.  Its own
# /etc/systemd/journald@NS.conf turns the rate limit off (without a unit
# every writer shares one limit and journald drops entries).  A namespaced
# journald ends itself when idle, so jd_ensure starts it again as needed:
# a journald restart is part of what the daemon must survive anyway.
# Everything is removed at exit; the journald is stopped by its pid.

. "$top_srcdir/tests/ingest/common.sh"

JWRITER=${JWRITER:-$top_builddir/tests/journal/jwriter}
JOURNALD=${JOURNALD:-/lib/systemd/systemd-journald}
JNS=
JDPID=

# Skip unless a real journald can run here: root, the binary, journalctl.
journal_init()
{
	ingest_init
	[ -x "$JWRITER" ] || skip "no jwriter at $JWRITER"
	[ "$(id -u)" = 0 ] || skip "a namespaced journald needs root"
	[ -x "$JOURNALD" ] || skip "no $JOURNALD (Debian: systemd)"
	command -v journalctl >/dev/null 2>&1 || skip "no journalctl"
	"$SMTPTALLYD" -n --follow journal 2>&1 | grep -q 'built without' &&
	    skip "smtptallyd built without the journal"
	JNS=st$$$(date +%N | cut -c1-4)
	JSOCK=/run/systemd/journal.$JNS/socket
	trap journal_cleanup EXIT
	mkdir -p /etc/systemd
	{
		echo "[Journal]"
		echo "Storage=persistent"
		echo "RateLimitBurst=0"
		echo "${JD_EXTRA:-}"
	} > "/etc/systemd/journald@$JNS.conf"
	say "journald namespace $JNS"
}

# Start the namespace's journald unless it runs; wait for its socket.
jd_ensure()
{
	if [ -n "$JDPID" ] && alive "$JDPID"; then
		return 0
	fi
	[ -z "$JDPID" ] || wait "$JDPID" 2>/dev/null
	rm -f "$JSOCK"
	"$JOURNALD" "$JNS" >> "$T/journald.log" 2>&1 &
	JDPID=$!
	echo "$JDPID" >> "$T/jdpids"
	_n=0
	while [ ! -S "$JSOCK" ]; do
		_n=$((_n + 1))
		[ "$_n" -gt 100 ] && fail "journald $JNS did not start"
		sleep 0.1
	done
}

# Stop the journald (it flushes and closes its files).
jd_stop()
{
	[ -n "$JDPID" ] || return 0
	kill -TERM "$JDPID" 2>/dev/null
	wait_exit "$JDPID" 20 || kill -KILL "$JDPID" 2>/dev/null
	JDPID=
}

# Write entries through the journald: jw ARGS (of jwriter, without -u).
jw()
{
	jd_ensure
	"$JWRITER" -u "$JSOCK" "$@" || fail "jwriter failed"
}

# journalctl on the namespace.
jctl()
{
	journalctl --namespace="$JNS" "$@"
}

# How many entries the namespace holds (all programs).
jd_entries()
{
	jctl -q -o cat --output-fields=MESSAGE 2>/dev/null | wc -l
}

# Stop every journald we started, remove the namespace's files and
# configuration, then the ingest cleanup.
journal_cleanup()
{
	_rc=$?
	if [ -f "${T:-/nonexistent}/jdpids" ]; then
		while read -r p; do
			# only ours: its command line names the namespace
			[ -r "/proc/$p/cmdline" ] || continue
			tr '\0' ' ' < "/proc/$p/cmdline" 2>/dev/null |
			    grep -q -F "$JNS" || continue
			kill -TERM "$p" 2>/dev/null
			wait_exit "$p" 10 || kill -KILL "$p" 2>/dev/null
		done < "$T/jdpids"
	fi
	if [ -n "$JNS" ]; then
		rm -rf /var/log/journal/*."$JNS" "/run/log/journal/"*."$JNS" \
		    "/run/systemd/journal.$JNS"
		rm -f "/etc/systemd/journald@$JNS.conf"
	fi
	(exit "$_rc")
	cleanup
}
