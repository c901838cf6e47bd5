#!/bin/sh
# Scenario 4 (issue 3): inode reuse across a restart.  A file of 1,000
# lines is counted; while the daemon is down it is deleted and a new file
# gets the same inode (checked with stat), (i) shorter and (ii) longer than
# the old offset.  The new file must be counted in full, the old one not
# again.
. "$(dirname "$0")/common.sh"
# tmpfs never hands an inode number out again: work in the build tree
# then (Debian 13, Fedora and Arch mount /tmp as tmpfs).
if [ "$(stat -f -c %T "${TMPDIR:-/tmp}" 2>/dev/null)" = tmpfs ]; then
	mkdir -p "$top_builddir/tests/ingest"
	TMPDIR=$top_builddir/tests/ingest
	export TMPDIR
fi
ingest_init
[ "$(stat -f -c %T "$T")" != tmpfs ] ||
    skip "$T is on tmpfs, which does not reuse inode numbers"

run_case()
{
	D=$T/$1
	mkdir -p "$D"
	DB=$D/tally.db
	LOG=$D/mail.log
	FOLLOW=
	follow "postfix:$LOG"
	write_lines -c 1000 -t "$1" -r "$D/rec" "$LOG"
	daemon_start
	wait_live "$(rec_total "$D/rec")" 60
	daemon_stop
	check_counts "$D/rec" || soft_fail "$1: counts differ before reuse"
	old_ino=$(stat -c %i "$LOG")
	old_size=$(stat -c %s "$LOG")
	# ext4 hands out the lowest free number of the group, which is the
	# old one unless other numbers below it were freed earlier: create
	# empty files until one gets the old number, and rename it.
	# (in the same directory: the group follows the directory)
	rm -f "$LOG"
	batch=0
	while :; do
		k=0
		while [ "$k" -lt 50 ]; do
			: > "$D/fill.$batch.$k"
			k=$((k + 1))
		done
		hit=$(ls -i "$D" | awk -v ino="$old_ino" \
		    '$1 == ino && $2 ~ /^fill\./ { print $2 }')
		[ -n "$hit" ] && break
		batch=$((batch + 1))
		[ "$batch" -lt 40 ] || skip "the filesystem did not reuse" \
		    "inode $old_ino in 2000 files"
	done
	mv "$D/$hit" "$LOG"
	new_ino=$(stat -c %i "$LOG")
	[ "$old_ino" = "$new_ino" ] || fail "test bug: inode $new_ino"
	write_lines -c "$2" -s 5001 -t "$1" -r "$D/rec" "$LOG"
	say "$1: inode $new_ino reused (filler files: $(ls "$D" |
	    grep -c '^fill\.')): $old_size bytes before," \
	    "$(stat -c %s "$LOG") now"
	daemon_oneshot
	check_counts "$D/rec" || soft_fail "$1: counts differ after inode reuse"
}

run_case shorter 500
run_case longer 5000
finish
