# common.sh: sourced by the ingest scenarios in tests/ingest/.
#
# Finds the daemon and the writer, makes a scratch directory that is
# removed on success and kept on failure, starts and stops daemons with a
# bounded wait for everything, and compares the writer's record (the
# oracle) with the counts in the database, printing a diff on mismatch.
#
# It does not decide what a scenario does; each script says that.
# Exit codes follow automake: 0 pass, 1 fail, 77 skip.

set -u

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$(pwd)}"
INGEST_SRC=$top_srcdir/tests/ingest
if [ -z "${SMTPTALLYD:-}" ]; then
	SMTPTALLYD=$top_builddir/src/smtptallyd
	[ -x "$SMTPTALLYD" ] || [ ! -x "$top_builddir/smtptallyd" ] ||
	    SMTPTALLYD=$top_builddir/smtptallyd
fi
WRITER=${WRITER:-$top_builddir/tests/writer}
DBTOOL=${DBTOOL:-$top_builddir/tests/dbtool}
NAME=$(basename "$0" .sh)

PATH=$PATH:/usr/sbin:/sbin
export PATH

# The clock and the language are the test's, not the machine's: stamps
# without a zone are local time in a zone that is not UTC and not a whole
# number of hours from it (India's, written without tzdata), so a daemon
# that files a line under the wrong hour fails the comparison; month names
# are English.  SMTPTALLY_TEST_TZ overrides the zone for one run.
TZ=${SMTPTALLY_TEST_TZ:-<+0530>-5:30}
LC_ALL=C
export TZ LC_ALL

# Print a time-stamped progress message.
say()
{
	echo "[$(date -u +%H:%M:%S)] $NAME: $*"
}

# Give up on the scenario: failed.
fail()
{
	echo "FAIL $NAME: $*"
	RESULT=1
	exit 1
}

# Note a failed check and go on with the scenario's other cases.
soft_fail()
{
	echo "FAIL $NAME: $*"
	FAILED="${FAILED:-}${FAILED:+; }$*"
}

# End a scenario: pass unless a check failed on the way.
finish()
{
	[ -z "${FAILED:-}" ] || fail "$FAILED"
	RESULT=0
	exit 0
}

# Give up on the scenario: cannot run here.
skip()
{
	echo "SKIP $NAME: $*"
	RESULT=77
	exit 77
}

# Kill every process we started that is still alive, unmount, and remove
# the scratch directory unless the scenario failed.
cleanup()
{
	rc=$?
	[ -n "${RESULT:-}" ] && rc=$RESULT
	if [ -n "${T:-}" ] && [ -f "$T/pids" ]; then
		while read -r p; do
			# only our own: the command line names our directory
			if [ -r "/proc/$p/cmdline" ] &&
			    tr '\0' ' ' < "/proc/$p/cmdline" 2>/dev/null |
			    grep -q -F "$T"; then
				kill -CONT "$p" 2>/dev/null
				kill -KILL "$p" 2>/dev/null
			fi
		done < "$T/pids"
	fi
	if [ -n "${MOUNTED:-}" ]; then
		umount "$MOUNTED" 2>/dev/null || umount -l "$MOUNTED" 2>/dev/null
	fi
	if [ -n "${SOCKDIR:-}" ] && [ "$SOCKDIR" != "${T:-}" ]; then
		rm -rf "$SOCKDIR"
	fi
	if [ -n "${T:-}" ] && [ -d "$T" ]; then
		if { [ "$rc" -eq 0 ] || [ "$rc" -eq 77 ]; } && [ -z "${KEEP:-}" ]; then
			rm -rf "$T"
		else
			echo "$NAME: scratch directory kept: $T"
			if [ -f "$T/daemon.log" ]; then
				echo "--- last lines of the daemon's log ---"
				tail -n 30 "$T/daemon.log"
			fi
		fi
	fi
	exit "$rc"
}

# Start a scenario: check the programs, make the scratch directory.
ingest_init()
{
	[ -x "$SMTPTALLYD" ] || skip "no daemon at $SMTPTALLYD"
	[ -x "$WRITER" ] || skip "no writer at $WRITER"
	[ -x "$DBTOOL" ] || skip "no dbtool at $DBTOOL"
	command -v sqlite3 >/dev/null 2>&1 || skip "no sqlite3 command"
	T=$(mktemp -d "${TMPDIR:-/tmp}/smtptally-$NAME.XXXXXX") ||
	    fail "mktemp"
	trap cleanup EXIT
	trap 'RESULT=1; exit 1' INT TERM HUP
	: > "$T/pids"
	# A Unix socket path has at most 107 bytes: under a long TMPDIR the
	# sockets go to a short directory of their own.
	SOCKDIR=$T
	if [ ${#T} -gt 60 ]; then
		SOCKDIR=$(mktemp -d /tmp/st.XXXXXX) || fail "mktemp"
	fi
	DB=$T/tally.db
	SOCK=$SOCKDIR/sock
	DLOG=$T/daemon.log
	FOLLOW=
	DPID=
	say "scratch $T"
}

# Remember a pid so cleanup can kill it.
track()
{
	echo "$1" >> "$T/pids"
}

# Whether a process exists and is not a zombie.
alive()
{
	[ -r "/proc/$1/stat" ] || return 1
	st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)
	[ -n "$st" ] && [ "$st" != Z ]
}

# Wait up to $2 seconds for child $1 to end; its status goes in STATUS.
wait_exit()
{
	_n=0
	_lim=$(($2 * 10))
	while alive "$1"; do
		_n=$((_n + 1))
		[ "$_n" -gt "$_lim" ] && return 1
		sleep 0.1
	done
	STATUS=0
	wait "$1" 2>/dev/null || STATUS=$?
	return 0
}

# Wait up to $2 seconds for a file to exist.
wait_file()
{
	_n=0
	_lim=$(($2 * 10))
	while [ ! -e "$1" ]; do
		_n=$((_n + 1))
		[ "$_n" -gt "$_lim" ] && return 1
		sleep 0.1
	done
	return 0
}

# Add a followed file: follow [postfix:|exim:]PATH.
follow()
{
	FOLLOW="$FOLLOW --follow $1"
}

# Start the daemon in the background and do not wait (arguments:
# environment settings).
daemon_spawn()
{
	env "$@" "$SMTPTALLYD" --foreground --db "$DB" --socket "$SOCK" \
	    $FOLLOW >> "$DLOG" 2>&1 &
	DPID=$!
	track "$DPID"
}

# How many times the daemon's log says it started.
started_count()
{
	_c=$(grep -c 'smtptallyd: started: ' "$DLOG" 2>/dev/null)
	echo "${_c:-0}"
}

# Start the daemon in the background and wait until it is up: its log
# says "started" (after it opened the database, scanned its files and
# listens; a file or socket left by an earlier run says nothing).
# Arguments: environment settings.
daemon_start()
{
	_before=$(started_count)
	daemon_spawn "$@"
	_n=0
	while [ "$(started_count)" -le "$_before" ]; do
		alive "$DPID" || break
		_n=$((_n + 1))
		[ "$_n" -le 600 ] || fail "daemon not started after 60 s"
		sleep 0.1
	done
	alive "$DPID" || {
		wait "$DPID"; STATUS=$?
		fail "daemon died at start (status $STATUS)"
	}
}

# SIGKILL the daemon and reap it.
daemon_kill()
{
	kill -KILL "$DPID" 2>/dev/null
	wait_exit "$DPID" 10 || fail "daemon $DPID survived SIGKILL"
	DPID=
}

# SIGTERM the daemon; it must commit and exit 0 within 60 seconds.
daemon_stop()
{
	kill -TERM "$DPID" 2>/dev/null
	wait_exit "$DPID" 60 || fail "daemon did not exit 60 s after SIGTERM"
	[ "$STATUS" -eq 0 ] || fail "daemon exit status $STATUS after SIGTERM"
	DPID=
}

# Run the daemon once over the files to their end (arguments: environment).
daemon_oneshot()
{
	env "$@" "$SMTPTALLYD" --foreground --db "$DB" --socket "$SOCK" \
	    --oneshot $FOLLOW >> "$DLOG" 2>&1 &
	_p=$!
	track "$_p"
	wait_exit "$_p" 300 || fail "--oneshot did not finish in 300 s"
	[ "$STATUS" -eq 0 ] || fail "--oneshot exit status $STATUS"
}

# Run a query on the database, read-only, without disturbing the daemon.
db_sql()
{
	[ -e "$DB" ] || return 0
	sqlite3 -readonly -batch -noheader -separator ' ' \
	    -cmd '.timeout 20000' "$DB" "$1"
}

# A query over the counts: tests/dbtool's view "counts" (hour, domain,
# host, mta, direction, kind, status, hop, reply, enhanced, class, reason,
# n), hour rows and folded days alike, read as the store wrote them.
db_counts_sql()
{
	[ -e "$DB" ] || return 0
	"$DBTOOL" sql "$DB" "$1"
}

# The key the counts are compared on, in this order: UTC hour, domain,
# MTA, syslog host ("-" for none), direction, kind, status, reply and
# enhanced code ("-" for none).  Both sides print the key and its count.
COUNT_KEY="hour domain mta host direction kind status reply enhanced"

# Counts per key in the database, hours and days together.
db_counts()
{
	db_counts_sql "SELECT hour, domain, mta,
	    CASE host WHEN '' THEN '-' ELSE host END, direction, kind, status,
	    reply, CASE enhanced WHEN '' THEN '-' ELSE enhanced END, sum(n)
	    FROM counts GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9
	    HAVING sum(n) > 0;" | LC_ALL=C sort
}

# Total of all counts in the database.
db_total()
{
	_v=$(db_counts_sql "SELECT coalesce(sum(n), 0) FROM counts;" \
	    2>/dev/null)
	echo "${_v:-0}"
}

# Expected counts per key from writer records (tests/writer.c: SEQ DOMAIN
# REPLY ENH STATUS KIND DIR MTA HOST HOUR EPOCH STAMP).
rec_counts()
{
	cat "$@" | awk '$2 != "-" {
		if (NF < 12) {
			print "short record line: " $0 > "/dev/stderr"
			exit 1
		}
		c[$10 " " $2 " " $8 " " $9 " " $7 " " $6 " " $5 " " $3 " " $4]++
	    }
	    END { for (k in c) print k, c[k] }' | LC_ALL=C sort
}

# Number of delivery lines in writer records.
rec_total()
{
	cat "$@" | awk '$2 != "-" { n++ } END { print n + 0 }'
}

# A record line for a delivery written by the test itself, not the
# writer: SEQ DOMAIN REPLY ENH STATUS EPOCH [HOST], Postfix, an attempt
# out; the stamp is the local time of EPOCH.
rec_line()
{
	_st=$(date -d "@$6" '+%b %e %H:%M:%S' | tr ' ' _)
	echo "$1 $2 $3 $4 $5 attempt out postfix ${7:-mx1}" \
	    "$(($6 - $6 % 3600)) $6 $_st"
}

# Wait up to $2 s until the database holds $1 events; stop early when
# nothing moved for WAIT_STALL seconds (45: longer than the daemon's
# longest commit back-off, 30 s).  Returns 1 if the total was not reached;
# the exact comparison judges the rest.
wait_total()
{
	_want=$1
	_lim=$(($2 * 2))
	_n=0
	_last=-1
	_still=0
	while :; do
		_got=$(db_total)
		[ "$_got" -ge "$_want" ] && return 0
		if [ "$_got" = "$_last" ]; then
			_still=$((_still + 1))
			[ "$_still" -ge $((${WAIT_STALL:-45} * 2)) ] && break
		else
			_still=0
		fi
		_last=$_got
		_n=$((_n + 1))
		[ "$_n" -ge "$_lim" ] && break
		sleep 0.5
	done
	say "waited for $_want events, database has $_got"
	return 1
}

# The live daemon must get to every line without a restart: wait as
# wait_total does and note a failure if it did not.
wait_live()
{
	wait_total "$@" ||
	    soft_fail "the live daemon counted only $_got of $1 events"
}

# Wait up to $2 s until the database holds at least $1 events (some of
# a writer's lines are in, whatever is still to come); the daemon must
# stay alive meanwhile.
wait_counted()
{
	_n=0
	until [ "$(db_total)" -ge "$1" ]; do
		_n=$((_n + 1))
		[ "$_n" -le $(($2 * 10)) ] ||
		    fail "fewer than $1 events after $2 s"
		alive "$DPID" || fail "the daemon died: $(tail -n 3 "$DLOG")"
		sleep 0.1
	done
}

# The daemon's /v1/status on its socket, one line of JSON ("" if none).
daemon_status()
{
	curl -s -m 10 --unix-socket "$SOCK" http://localhost/v1/status \
	    2>/dev/null
}

# Wait up to $1 s until the daemon says it has committed everything it
# follows to the end ("caught_up": the decision about every file it sees
# is in the database).
wait_caught_up()
{
	_n=0
	while :; do
		daemon_status | grep -q '"caught_up":true' && return 0
		alive "$DPID" || fail "the daemon died: $(tail -n 3 "$DLOG")"
		_n=$((_n + 1))
		[ "$_n" -le $(($1 * 10)) ] ||
		    fail "the daemon did not catch up in $1 s:" \
		    "$(daemon_status)"
		sleep 0.1
	done
}

# Wait up to $3 s until the committed offset of followed path $1 is $2.
wait_offset()
{
	_n=0
	while :; do
		_o=$(db_sql "SELECT offset FROM source WHERE path = '$1'
		    AND state = 'active';")
		[ "${_o:-x}" = "$2" ] && return 0
		_n=$((_n + 1))
		[ "$_n" -le $(($3 * 10)) ] ||
		    fail "committed offset of $1 is ${_o:-none}, not $2, after $3 s"
		sleep 0.1
	done
}

# The offset of the first byte after the file's last newline: where a
# reader that holds a partial last line has committed to.
last_line_start()
{
	echo $(($(wc -c < "$1") - $(tail -n 1 "$1" | wc -c)))
}

# Wait up to $2 s for a line matching the extended regular expression
# $1 in the daemon's log.
wait_log()
{
	_n=0
	until grep -q -E "$1" "$DLOG"; do
		_n=$((_n + 1))
		[ "$_n" -le $(($2 * 10)) ] || fail "no \"$1\" in the log in $2 s"
		sleep 0.1
	done
}

# Peak resident memory of a process in KiB (VmHWM).
peak_kib()
{
	awk '$1 == "VmHWM:" { print $2 }' "/proc/$1/status" 2>/dev/null
}

# Whether the daemon was built with AddressSanitizer (its memory figures
# mean nothing then).
daemon_asan()
{
	command -v ldd >/dev/null 2>&1 &&
	    ldd "$SMTPTALLYD" 2>/dev/null | grep -q libasan
}

# Compare the record(s) with the database: exact equality or a diff.
# Scratch files go in $WORK (default $T), so parallel cases can differ.
check_counts()
{
	WORK=${WORK:-$T}
	rec_counts "$@" > "$WORK/expected"
	db_counts > "$WORK/actual"
	_e=$(rec_total "$@")
	_a=$(db_total)
	for _r in "$@"; do
		dups=$(awk '{ print $1 }' "$_r" | LC_ALL=C sort | uniq -d |
		    head -n 5 | tr '\n' ' ')
		[ -z "$dups" ] || fail "test bug: $_r repeats seq $dups"
	done
	if cmp -s "$WORK/expected" "$WORK/actual"; then
		say "counts exact: $_e events in $(wc -l < "$WORK/expected")" \
		    "keys ($COUNT_KEY)"
		return 0
	fi
	echo "COUNT MISMATCH: expected $_e events, database has $_a"
	echo "--- keys that differ: $COUNT_KEY expected actual" \
	    "(the block of seqs is in the domain name) ---"
	awk 'function key(  i, k) {
		k = $1
		for (i = 2; i < NF; i++)
			k = k " " $i
		return k
	    }
	    FNR == NR { e[key()] = $NF; next }
	    { a[key()] = $NF }
	    END {
		for (k in e) if (a[k] + 0 != e[k]) print k, e[k], a[k] + 0
		for (k in a) if (!(k in e)) print k, 0, a[k]
	    }' "$WORK/expected" "$WORK/actual" | LC_ALL=C sort > "$WORK/diff"
	echo "$(wc -l < "$WORK/diff") keys differ; first 40:"
	head -n 40 "$WORK/diff"
	echo "--- file table ---"
	db_sql "SELECT id, path, ino, offset, lines, unrecognised, long_lines,
	    lost, state FROM source ORDER BY id;"
	return 1
}

# The offset invariant, for every generation in the file table that is
# still on disk uncompressed in directory $1 (same inode, same head): the
# committed offset is 0 or just after a newline, and the line count equals
# the newlines before it.  Prints what it checked; returns 1 on a breach,
# or when it checked fewer than $2 generations (default 1).
check_offsets()
{
	_min=${2:-1}
	WORK=${WORK:-$T}
	db_sql "SELECT id, ino, offset, lines, length(head), hex(head)
	    FROM source ORDER BY id;" > "$WORK/offsets"
	ls -i "$1" > "$WORK/inodes"
	_bad=0
	_n=0
	while read -r _id _ino _off _lines _hl _hex; do
		_f=$(awk -v i="$_ino" '$1 == i { print $2 }' "$WORK/inodes")
		[ -n "$_f" ] || continue
		case $_f in *.gz) continue;; esac
		_fh=$(head -c "$_hl" "$1/$_f" | od -An -v -tx1 |
		    tr -d ' \n' | tr a-f A-F)
		[ "$_fh" = "${_hex:-}" ] || continue
		_n=$((_n + 1))
		_nl=$(head -c "$_off" "$1/$_f" | tr -cd '\n' | wc -c)
		_last=0a
		[ "$_off" -eq 0 ] || _last=$(tail -c +"$_off" "$1/$_f" |
		    head -c 1 | od -An -tx1 | tr -d ' ')
		if [ "$_nl" -ne "$_lines" ] || [ "$_last" != 0a ]; then
			echo "offset breach: file row $_id ($_f): offset $_off," \
			    "lines $_lines, newlines before it $_nl," \
			    "byte before it $_last"
			_bad=1
		fi
	done < "$WORK/offsets"
	say "offset invariant checked on $_n generations"
	if [ "$_n" -lt "$_min" ]; then
		echo "offset invariant: checked $_n generations, want $_min" \
		    "(test too weak?)"
		_bad=1
	fi
	return "$_bad"
}

# Sizes and line counts of the files as they are, for the log.
show_files()
{
	for f in "$@"; do
		[ -e "$f" ] || continue
		case $f in
		*.gz)	echo "  $f: $(zcat "$f" | wc -l) lines (gz)";;
		*)	echo "  $f: $(wc -c < "$f") bytes," \
			    "$(tr -cd '\n' < "$f" | wc -c) lines";;
		esac
	done
}

# Make a logrotate configuration from a template, @DIR@ = $2.
logrotate_conf()
{
	sed "s|@DIR@|$2|g" "$INGEST_SRC/$1" > "$T/$(basename "$1" .in)"
	chmod 0644 "$T/$(basename "$1" .in)"
	echo "$T/$(basename "$1" .in)"
}

# Force one real logrotate run with a private state file.
rotate()
{
	logrotate -f -s "$T/logrotate.state" "$1" >> "$T/logrotate.log" 2>&1 ||
	    fail "logrotate failed: $(tail -n 5 "$T/logrotate.log")"
}

# Run the writer in the foreground; it must succeed.
write_lines()
{
	"$WRITER" "$@" 2>> "$T/writer.log" || fail "writer $* failed"
}

# Run the writer in the background; its pid goes in WPID.
write_bg()
{
	"$WRITER" "$@" 2>> "$T/writer.log" &
	WPID=$!
	track "$WPID"
}

# Wait up to $2 s for background writer $1 and check it succeeded.
writer_wait()
{
	wait_exit "$1" "$2" || fail "writer $1 still running after $2 s"
	[ "$STATUS" -eq 0 ] || fail "writer $1 exit status $STATUS"
}

# Whether the daemon was built with crash points: run it on a tiny file
# with SMTPTALLY_CRASH set and see if it died by SIGKILL.
have_hooks()
{
	mkdir -p "$T/hookprobe"
	"$WRITER" -c 5 -r /dev/null "$T/hookprobe/mail.log" 2>/dev/null
	SMTPTALLY_CRASH=before_commit:1 "$SMTPTALLYD" --foreground \
	    --db "$T/hookprobe/db" --socket "$SOCKDIR/hookprobe.sock" --oneshot \
	    --follow "postfix:$T/hookprobe/mail.log" \
	    > "$T/hookprobe/log" 2>&1 &
	_p=$!
	track "$_p"
	wait_exit "$_p" 30 || return 1
	[ "$STATUS" -eq 137 ]
}
