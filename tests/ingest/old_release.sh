#!/bin/sh
# A database written by a real earlier release opens in this one with
# every count kept (issue 10 item 2).  The earlier daemon is built from
# this tree's own git history: f753601 (schema 2, the release the test
# audit looked at) and the parent of the commit that added the newest
# sql/migrate-N.sql (the schema before the current one).  Each counts a Postfix and an Exim
# log with --oneshot; the writers then append more, and this daemon runs
# --oneshot on the same database: it must migrate it, go on from the
# offsets the old one committed, and end with the counts of the writers'
# records, per (hour, domain, status, reply, enhanced code, ...).
#
# Skips when the tree has no git history (a release tarball, distcheck)
# or a commit is missing (a shallow clone).  The builds are kept in
# SMTPTALLY_OLD_BUILDS (tools/check.sh shares one between its builds).
. "$(dirname "$0")/common.sh"
ingest_init

command -v git >/dev/null 2>&1 || skip "no git"
[ -e "$top_srcdir/.git" ] &&
    git -C "$top_srcdir" rev-parse --git-dir >/dev/null 2>&1 ||
    skip "$top_srcdir has no git history (a tarball build)"
last=$(ls "$top_srcdir"/sql/migrate-*.sql 2>/dev/null |
    sed 's/.*migrate-//; s/\.sql$//' | sort -n | tail -n 1)
[ -n "$last" ] || fail "no sql/migrate-N.sql in $top_srcdir"
newest=$(git -C "$top_srcdir" log -1 --format=%H --diff-filter=A \
    -- "sql/migrate-$last.sql" 2>/dev/null)
[ -n "$newest" ] || skip "no history of sql/migrate-$last.sql in $top_srcdir"
COMMITS="f753601 $(git -C "$top_srcdir" rev-parse --short "$newest^")"
CACHE=${SMTPTALLY_OLD_BUILDS:-$top_builddir/tests/old}

# build COMMIT: the commit's smtptallyd, built once; its path in OLD.
build_old()
{
	_sha=$(git -C "$top_srcdir" rev-parse --verify -q "$1^{commit}") ||
	    skip "commit $1 is not in this clone (shallow?)"
	_dir=$CACHE/$_sha
	OLD=
	for _b in "$_dir/b/smtptallyd" "$_dir/b/src/smtptallyd"; do
		[ -x "$_b" ] && OLD=$_b
	done
	[ -n "$OLD" ] && return 0
	say "building smtptallyd of $1 ($_sha) in $_dir"
	rm -rf "$_dir"
	mkdir -p "$_dir/src" "$_dir/b" || fail "mkdir $_dir"
	git -C "$top_srcdir" archive "$_sha" | tar -x -C "$_dir/src" ||
	    fail "git archive $_sha"
	( cd "$_dir/src" && autoreconf -fi ) > "$_dir/build.log" 2>&1 &&
	    ( cd "$_dir/b" && ../src/configure -q && make -j2 smtptallyd ) \
	    >> "$_dir/build.log" 2>&1 ||
	    fail "the build of $1 failed: $(tail -n 5 "$_dir/build.log")"
	for _b in "$_dir/b/smtptallyd" "$_dir/b/src/smtptallyd"; do
		[ -x "$_b" ] && OLD=$_b
	done
	[ -n "$OLD" ] || fail "no smtptallyd after building $1"
}

# The schema version this daemon writes: a fresh database's.
mkdir -p "$T/fresh"
: > "$T/fresh/mail.log"
DB=$T/fresh/db
FOLLOW="--follow postfix:$T/fresh/mail.log"
daemon_oneshot
current=$(db_sql "PRAGMA user_version;")
say "this daemon writes schema $current"

for c in $COMMITS; do
	build_old "$c"
	D=$T/$(echo "$c" | tr -c 'a-zA-Z0-9\n' _)
	mkdir -p "$D"
	DB=$D/tally.db
	FOLLOW=
	follow "postfix:$D/mail.log"
	follow "exim:$D/mainlog"
	write_lines -c 3000 -t "old" -r "$D/rec" "$D/mail.log"
	write_lines -F exim -c 2000 -s 5001 -t "oldx" -r "$D/rec" "$D/mainlog"
	"$OLD" --foreground --oneshot --db "$DB" --socket "$SOCK" $FOLLOW \
	    >> "$D/old.log" 2>&1 ||
	    fail "$c: the old daemon failed: $(tail -n 3 "$D/old.log")"
	was=$(db_sql "PRAGMA user_version;")
	[ "$was" -lt "$current" ] ||
	    fail "$c wrote schema $was, not older than $current (test too weak)"
	old_total=$(db_sql "SELECT sum(n) FROM count_hour;")
	[ "${old_total:-0}" -eq "$(rec_total "$D/rec")" ] ||
	    fail "$c counted ${old_total:-0} of $(rec_total "$D/rec") deliveries"
	write_lines -c 2000 -s 10001 -t "new" -r "$D/rec" "$D/mail.log"
	write_lines -F exim -c 1000 -s 20001 -t "newx" -r "$D/rec" \
	    "$D/mainlog"
	DLOG=$D/daemon.log
	daemon_oneshot
	now=$(db_sql "PRAGMA user_version;")
	[ "$now" = "$current" ] ||
	    soft_fail "$c: schema $was became $now, not $current"
	WORK=$D check_counts "$D/rec" ||
	    soft_fail "$c: counts differ after schema $was was migrated"
	say "$c: schema $was -> $now, $old_total old events kept"
done
finish
