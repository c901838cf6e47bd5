#!/bin/sh
# Issue 12 item 4: many rotated siblings and the fd limit.  1,500 rotated
# siblings (mail.log-0000 ... -1499, one delivery line each) and the live
# file, --backfill under `ulimit -n 1024`: every line counted, exit 0; a
# restart under the same limit counts nothing again.  A sibling that
# cannot be opened (a symlink loop named like one) is an error: logged,
# and --oneshot exits 1 (trial exp/many_siblings.sh: 1,021 of 1,510
# counted, exit 0, no word).
. "$(dirname "$0")/common.sh"
ingest_init

LOG=$T/log/mail.log
mkdir -p "$T/log"
write_lines -c 1500 -N 0 -t sib -r "$T/rec.sib" "$T/all.log"
split -l 1 -d -a 4 "$T/all.log" "$LOG-"
write_lines -c 10 -N 0 -s 5000 -t live -r "$T/rec.live" "$LOG"
[ "$(ls "$T/log" | wc -l)" -eq 1501 ] || fail "test bug: $(ls "$T/log" | wc -l) files"
follow "postfix:$LOG"
run()
{
	( ulimit -n 1024 && exec "$SMTPTALLYD" --foreground --oneshot \
	    --backfill --db "$DB" --socket "$SOCK" $FOLLOW ) >> "$DLOG" 2>&1 &
	_p=$!
	track "$_p"
	wait_exit "$_p" 300 || fail "--oneshot did not finish in 300 s"
}
run
[ "$STATUS" -eq 0 ] || soft_fail "--oneshot exit status $STATUS"
check_counts "$T/rec.sib" "$T/rec.live" || soft_fail "counts differ"
run
[ "$STATUS" -eq 0 ] || soft_fail "restart: exit status $STATUS"
check_counts "$T/rec.sib" "$T/rec.live" || soft_fail "restart: counts differ"
ln -s mail.log-loop "$LOG-loop"
run
[ "$STATUS" -eq 1 ] || soft_fail "an unreadable sibling: exit status $STATUS"
grep -q "mail.log-loop" "$DLOG" || soft_fail "no word about mail.log-loop"
check_counts "$T/rec.sib" "$T/rec.live" || soft_fail "loop: counts differ"
finish
