#!/bin/sh
# Restart over real logs (issue 3, acceptance 2): the files of the shared
# corpus are fed to a live daemon in four byte chunks (cut anywhere, so
# lines are split between chunks), with a SIGKILL, a clean stop and a
# SIGKILL right after new data in between.  The counts must equal those of
# one clean --oneshot run over the complete files, key by key, and so must
# the line outcome totals.  Both runs see one fixed "now" (SMTPTALLY_NOW,
# a test hook), so a year-less stamp gets the same year in both however
# far apart they read it (without it a few percent of runs failed near
# the corpus's dates).  Skips when the corpus is absent (SMTPTALLY_CORPUS,
# set by tools/check.sh) or the daemon has no test hooks.
. "$(dirname "$0")/common.sh"

CORPUS=${SMTPTALLY_CORPUS:-$top_srcdir/../shared/corpus}
[ -d "$CORPUS/postfix" ] ||
    skip "no corpus at $CORPUS (set SMTPTALLY_CORPUS)"
ingest_init
have_hooks || skip "smtptallyd built without --enable-test-hooks" \
    "(needed for a fixed clock)"
# 2026-12-01 00:00:00 UTC
NOW=1796083200

# The fixed clock works: "Dec  9 12:00:00" (UTC+5:30) is more than a week
# after it, so it is 2025-12-09 06:30 UTC (1764657000 + 7 * 86400), which
# the real clock (2026-12-03 or later) would never make of it.
mkdir -p "$T/clock"
write_lines -T 1765261800 -c 20 -t clock -r "$T/clock/rec" "$T/clock/mail.log"
FOLLOW=
follow "postfix:$T/clock/mail.log"
DB=$T/clock/db
daemon_oneshot SMTPTALLY_NOW=$NOW
WORK=$T/clock check_counts "$T/clock/rec" ||
    fail "SMTPTALLY_NOW did not fix the year of a year-less stamp"

mkdir -p "$T/live" "$T/ref"
files=
for f in "$CORPUS"/postfix/*.log "$CORPUS"/exim/*.log; do
	kind=$(basename "$(dirname "$f")")
	name=$kind-$(basename "$f")
	cp "$f" "$T/ref/$name"
	: > "$T/live/$name"
	files="$files $kind:$name"
done

# Append chunk $1 (0..3) of every corpus file to its live copy.
feed()
{
	for kf in $files; do
		name=${kf#*:}
		size=$(wc -c < "$T/ref/$name")
		from=$((size * $1 / 4))
		to=$((size * ($1 + 1) / 4))
		tail -c +$((from + 1)) "$T/ref/$name" | head -c $((to - from)) \
		    >> "$T/live/$name"
	done
}

# Wait (at most $1 s) until the committed offsets of the live files stop
# moving.
settle()
{
	_last=
	_n=0
	while [ "$_n" -lt $(($1 * 2)) ]; do
		sleep 0.5
		_cur=$(db_sql "SELECT sum(offset), sum(lines) FROM source;")
		[ -n "$_cur" ] && [ "$_cur" = "$_last" ] && return 0
		_last=$_cur
		_n=$((_n + 1))
	done
}

# Every count with its names, and the line outcome totals.
dump()
{
	db_counts_sql "SELECT hour, domain, host, mta, direction, kind,
	    status, hop, reply, enhanced, reason, sum(n) FROM counts
	    GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11;" | LC_ALL=C sort
	db_sql "SELECT 'lines', result, sum(n) FROM lines_hour GROUP BY result;"
}

# Reference: one clean --oneshot over the complete files.
DB=$T/ref.db
FOLLOW=
for kf in $files; do follow "${kf%%:*}:$T/ref/${kf#*:}"; done
say "reference --oneshot over $(echo $files | wc -w) files"
daemon_oneshot SMTPTALLY_NOW=$NOW
dump > "$T/expected.dump"
[ -s "$T/expected.dump" ] || fail "the reference run counted nothing"

DB=$T/live.db
FOLLOW=
for kf in $files; do follow "${kf%%:*}:$T/live/${kf#*:}"; done
daemon_start SMTPTALLY_NOW=$NOW
feed 0
settle 20
say "SIGKILL after chunk 1 settled"
daemon_kill
daemon_start SMTPTALLY_NOW=$NOW
feed 1
settle 20
say "SIGTERM after chunk 2"
daemon_stop
daemon_start SMTPTALLY_NOW=$NOW
feed 2
sleep 0.3
say "SIGKILL 0.3 s after chunk 3"
daemon_kill
daemon_start SMTPTALLY_NOW=$NOW
feed 3
settle 30
daemon_stop
daemon_oneshot SMTPTALLY_NOW=$NOW
for kf in $files; do
	cmp -s "$T/ref/${kf#*:}" "$T/live/${kf#*:}" ||
	    fail "test bug: live copy of ${kf#*:} differs"
done
dump > "$T/actual.dump"
if ! cmp -s "$T/expected.dump" "$T/actual.dump"; then
	echo "MISMATCH: clean --oneshot (<) vs fed with restarts (>):"
	diff "$T/expected.dump" "$T/actual.dump" | head -n 60
	fail "counts differ from the clean run"
fi
say "identical: $(grep -vc '^lines ' "$T/expected.dump") count keys," \
    "events $(awk '$1 != "lines" { n += $NF } END { print n }' \
    "$T/expected.dump"); $(grep '^lines ' "$T/expected.dump" | tr '\n' ' ')"
finish
