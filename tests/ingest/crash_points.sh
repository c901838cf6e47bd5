#!/bin/sh
# Scenario 2 (issue 3): crash points.  With a daemon built with
# --enable-test-hooks, SMTPTALLY_CRASH=point:N SIGKILLs it at the N-th hit
# of a named point; for each point x {1st, 7th} hit, while a writer appends
# and rotates its file (rename + create, with late writes to the renamed
# file), the daemon must die by SIGKILL there and, restarted without the
# hook, end with exact counts.  Skips when built without hooks.
. "$(dirname "$0")/common.sh"
ingest_init
have_hooks || skip "smtptallyd built without --enable-test-hooks"

POINTS="before_commit after_commit mid_rotation mid_flush"
HITS="1 7"

# One point x hit, in its own directory; the verdict goes in $D/result.
run_case()
{
	D=$T/$1-$2
	mkdir -p "$D/log"
	DB=$D/tally.db
	SOCK=$SOCKDIR/$1-$2.sock
	DLOG=$D/daemon.log
	WORK=$D
	LOG=$D/log/mail.log
	FOLLOW=
	follow "postfix:$LOG"
	echo fail > "$D/result"
	: > "$LOG"
	# The writer starts once the daemon has a committed state (its
	# first commit records the file it found): a daemon that dies before
	# that has never started, and its next start, like any first start,
	# reads the current file only; a generation rotated away in between
	# would be missing for a reason this scenario is not about.
	daemon_spawn "SMTPTALLY_CRASH=$1:$2"
	if ! wait_known 25; then
		wait_exit "$DPID" 5 || fail "$1:$2: no state and still alive"
		echo "$1:$2: crashed before its first commit; restarting"
		daemon_start
		wait_known 25 || fail "$1:$2: no committed state after restart"
		crashed=early
	fi
	write_bg -c 4000 -l 400 -R 300:20 -k 30 -t c -r "$D/rec" "$LOG"
	W=$WPID
	if [ "${crashed:-}" = early ]; then
		:
	elif ! wait_exit "$DPID" 25; then
		echo "$1:$2: the daemon did not crash (point reached fewer" \
		    "than $2 times?)"
		kill -KILL "$DPID"
		wait_exit "$DPID" 5
		echo notreached > "$D/result"
		return
	fi
	if [ "${crashed:-}" != early ]; then
		[ "$STATUS" -eq 137 ] || {
			echo "$1:$2: the daemon exited $STATUS, not by SIGKILL"
			return
		}
		at=$(wc -l < "$D/rec")
		echo "$1:$2: crashed at about line $at; restarting"
		daemon_start
	fi
	writer_wait "$W" 40
	live=yes
	wait_total "$(rec_total "$D/rec")" 60 || live=no
	daemon_stop
	daemon_oneshot
	if check_counts "$D/rec" && check_offsets "$D/log" 10; then
		if [ "$live" = yes ]; then
			echo pass > "$D/result"
		else
			echo "$1:$2: exact only after the final restart"
		fi
	fi
}

# Wait up to $1 s until the database has a row for a followed file;
# false at once if the daemon died first.
wait_known()
{
	_n=0
	while [ -z "$(db_sql 'SELECT 1 FROM source LIMIT 1;' 2>/dev/null)" ]; do
		alive "$DPID" || return 1
		_n=$((_n + 1))
		[ "$_n" -le $(($1 * 10)) ] || return 1
		sleep 0.1
	done
	return 0
}

# Run the cases four at a time, each bounded.
pids=
n=0
for p in $POINTS; do
	for h in $HITS; do
		( run_case "$p" "$h" > "$T/$p-$h.out" 2>&1 ) &
		track $!
		pids="$pids $!"
		n=$((n + 1))
		if [ $((n % 4)) -eq 0 ]; then
			for q in $pids; do
				wait_exit "$q" 180 || fail "a case hangs"
			done
			pids=
		fi
	done
done
for q in $pids; do
	wait_exit "$q" 180 || fail "a case hangs"
done

failed=0
for p in $POINTS; do
	for h in $HITS; do
		r=$(cat "$T/$p-$h/result" 2>/dev/null)
		echo "== $p:$h: ${r:-no result}"
		sed 's/^/   /' "$T/$p-$h.out"
		[ "$r" = pass ] || failed=$((failed + 1))
	done
done
[ "$failed" -eq 0 ] || fail "$failed of 8 crash-point cases failed"
finish
