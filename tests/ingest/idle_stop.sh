#!/bin/sh
# An idle daemon stops promptly on SIGTERM (D31): 5 s after its last
# commit with nothing more to commit, the WAL is copied into the database
# file, so the close at exit has nothing left to copy and sync.  Before,
# that close did the copy and two fsyncs, seconds on a slow disk.  The
# state is read from the -shm file's WAL index (SQLite's file format,
# walformat.html: the header's mxFrame at byte 16, the checkpoint's
# nBackfill at byte 96, native 32-bit integers): nBackfill reaches mxFrame
# while the daemon is idle.  Then SIGTERM: exit 0 within a generous bound
# (not a timing assertion), and the counts equal the writer's record.
. "$(dirname "$0")/common.sh"
ingest_init
command -v od >/dev/null 2>&1 || skip "no od command"

LOG=$T/mail.log
: > "$LOG"
follow "postfix:$LOG"
daemon_start
# Few lines: a handful of WAL frames, far below SQLite's automatic
# checkpoint (1000 pages), so only the idle daemon copies them.
"$WRITER" -c 200 -t idle -r "$T/rec" "$LOG" > /dev/null || fail "writer"
wait_total "$(rec_total "$T/rec")" 60 || fail "lines not committed"

shm() { od -An -tu4 -j "$1" -N 4 "$DB-shm" | tr -d ' '; }
n=0
while :; do
	mx=$(shm 16) bf=$(shm 96)
	[ "${mx:-0}" -gt 0 ] && [ "$bf" = "$mx" ] && break
	n=$((n + 1))
	[ $n -le 300 ] || fail "idle for 30 s, the WAL not copied: nBackfill $bf of mxFrame $mx"
	sleep 0.1
done
say "idle: the WAL's $mx frames are in the database file"

kill -TERM "$DPID"
wait_exit "$DPID" 10 || fail "no exit 10 s after SIGTERM"
[ "$STATUS" -eq 0 ] || fail "exit status $STATUS after SIGTERM"
DPID=
check_counts "$T/rec" || soft_fail "counts differ from the writer's record"
finish
