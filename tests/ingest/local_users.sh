#!/bin/sh
# Issue 12 items 13 and 14 (files, and keep_days): what a local user can plant next to
# the database.  A symlink at <db>.lock (to a victim, or dangling) is
# refused and the victim kept; a database directory writable by others is
# refused; a hard-linked database path is refused (two names would get
# two locks and two WAL files); a new database is 0640 and its lock 0600
# under umask 022 (trial: the victim was overwritten with the pid, a
# dangling link created a file, the hard link ran two daemons, files were
# 0644).
. "$(dirname "$0")/common.sh"
ingest_init

LOG=$T/mail.log
write_lines -c 50 -t lu -r "$T/rec" "$LOG"
follow "postfix:$LOG"

# Run --oneshot on database $1; its status in STATUS.
run_on()
{
	"$SMTPTALLYD" --foreground --oneshot --db "$1" --socket "$T/sock" \
	    $FOLLOW >> "$DLOG" 2>&1 &
	_p=$!
	track "$_p"
	wait_exit "$_p" 60 || fail "--oneshot on $1 hangs"
}

mkdir -p "$T/a" "$T/b" "$T/c" "$T/d"
echo precious > "$T/victim"
ln -s "$T/victim" "$T/a/t.db.lock"
run_on "$T/a/t.db"
[ "$STATUS" -ne 0 ] || soft_fail "a symlinked lock file was accepted"
[ "$(cat "$T/victim")" = precious ] || soft_fail "the victim was overwritten"

ln -s "$T/created" "$T/b/t.db.lock"
run_on "$T/b/t.db"
[ "$STATUS" -ne 0 ] || soft_fail "a dangling lock link was accepted"
[ ! -e "$T/created" ] || soft_fail "a dangling lock link created its target"

chmod 0777 "$T/c"
run_on "$T/c/t.db"
[ "$STATUS" -ne 0 ] || soft_fail "a directory writable by others was accepted"

(umask 022 && run_on "$T/d/t.db")
run_on "$T/d/t.db"
[ "$STATUS" -eq 0 ] || soft_fail "a plain database: status $STATUS"
m=$(stat -c %a "$T/d/t.db")
[ "$m" = 640 ] || soft_fail "the database is mode $m, not 640"
m=$(stat -c %a "$T/d/t.db.lock")
[ "$m" = 600 ] || soft_fail "the lock is mode $m, not 600"
DB=$T/d/t.db
check_counts "$T/rec" || soft_fail "counts differ"
ln "$T/d/t.db" "$T/d/alias.db"
run_on "$T/d/alias.db"
[ "$STATUS" -ne 0 ] || soft_fail "a hard-linked database path was accepted"
grep -q "hard link" "$DLOG" || soft_fail "no word about the hard link"

# keep_days below retention_days is refused by -n.
if "$SMTPTALLYD" -n --db "$T/d/t.db" --socket "$T/sock" $FOLLOW \
    --retention-days 90 --keep-days 5 > "$T/n.out" 2>&1; then
	soft_fail "-n accepts keep_days 5 with retention_days 90"
fi
grep -q keep_days "$T/n.out" || soft_fail "-n says nothing of keep_days"
"$SMTPTALLYD" -n --db "$T/d/t.db" --socket "$T/sock" $FOLLOW \
    --retention-days 90 --keep-days 90 > "$T/n.out" 2>&1 ||
    soft_fail "-n refuses keep_days = retention_days: $(cat "$T/n.out")"
finish
