#!/bin/bash
# bench/journal.sh: catch-up over the systemd journal (issue 13).
#
# usage: bench/journal.sh            (as root: it runs a journald)
#
# A namespaced systemd-journald (its own journald@NS.conf, no rate limit)
# takes JOURNAL_BENCH_ENTRIES (1,000,000) Postfix and Exim entries from
# tests/journal/jwriter.  Then, in the same run and on the same files:
#   journalctl --namespace=NS -o cat > /dev/null   (only prints MESSAGE)
#   smtptallyd --oneshot --follow journal:NS       (parses, counts, commits)
# each RUNS times (default 3), cold database every time; the medians of
# the wall and CPU times, the entries per second, both peak RSS
# (/usr/bin/time; smtptallyd's anonymous part sampled apart from the
# journal files sd-journal maps) and the ratios are printed.  The counts of the last run
# are checked against the writer's record.  The namespace, its files and
# its configuration are removed at the end; the journald is stopped by
# its pid.  Not a test: nothing here asserts a timing.

set -u
. "$(dirname "$0")/lib.sh"

N=${JOURNAL_BENCH_ENTRIES:-1000000}
RUNS=${RUNS:-3}
JOURNALD=/lib/systemd/systemd-journald
[ "$(id -u)" = 0 ] || die "needs root (a namespaced journald)"
[ -x "$JOURNALD" ] || die "no $JOURNALD"
[ -x $TIMEV ] || die "/usr/bin/time missing (apt-get install time)"
build tests/journal/jwriter tests/dbtool smtptallyd || die "build failed"
daemon=$(daemon_path)

NS=stbench$$
D=$BENCH_DIR/journal
rm -rf "$D" && mkdir -p "$D" || die "mkdir $D"
printf '[Journal]\nStorage=persistent\nRateLimitBurst=0\n' \
    > "/etc/systemd/journald@$NS.conf"
jpid=
finish() {
	[ -n "$jpid" ] && kill -TERM "$jpid" 2>/dev/null && wait "$jpid"
	rm -rf /var/log/journal/*."$NS" "/run/systemd/journal.$NS"
	rm -f "/etc/systemd/journald@$NS.conf"
}
trap finish EXIT
"$JOURNALD" "$NS" 2>"$D/journald.log" &
jpid=$!
for _ in $(seq 100); do
	[ -S "/run/systemd/journal.$NS/socket" ] && break
	sleep 0.1
done
say "writing $N entries to journald $NS"
t0=$(now_ns)
"$BUILD/tests/journal/jwriter" -u "/run/systemd/journal.$NS/socket" \
    -c "$N" -t b -x 4 -r "$D/rec" || die "jwriter failed"
say "written in $(secs "$t0" "$(now_ns)") s"
sleep 1
# everything on disk before reading: stop journald (it syncs its files)
kill -TERM "$jpid"; wait "$jpid"; jpid=
have=$(journalctl --namespace="$NS" -q -o cat JW_TAG=b | wc -l)
[ "$have" -eq "$N" ] || die "journald holds $have of $N entries"
du -sh /var/log/journal/*."$NS" >&2

jt=() st=() rss=() jrss=() anon=() jc=() sc=()
for r in $(seq "$RUNS"); do
	t0=$(now_ns)
	$TIMEV -f '%M %U %S' -o "$D/jrss" journalctl --namespace="$NS" -o cat \
	    > /dev/null || die "journalctl failed"
	jt+=("$(secs "$t0" "$(now_ns)")")
	jrss+=("$(tail -n 1 "$D/jrss" | cut -d' ' -f1)")
	jc+=("$(tail -n 1 "$D/jrss" | awk '{ print $2 + $3 }')")
	rm -f "$D/db" "$D/db-wal" "$D/db-shm"
	t0=$(now_ns)
	$TIMEV -f '%M %U %S' -o "$D/rss" "$daemon" --oneshot --db "$D/db" \
	    --socket "$D/sock" --follow "journal:$NS" 2>"$D/daemon.log" &
	dp=$!
	# the anonymous part (heap, tally, SQLite's cache) apart from the
	# journal files sd-journal maps, sampled every 50 ms
	a=0
	while kill -0 "$dp" 2>/dev/null; do
		k=$(pgrep -P "$dp" smtptallyd | head -n 1)
		v=$(awk '/^RssAnon/ { print $2 }' "/proc/$k/status" 2>/dev/null)
		[ -n "$v" ] && [ "$v" -gt "$a" ] && a=$v
		sleep 0.05
	done
	wait "$dp" || die "smtptallyd failed (see $D/daemon.log)"
	st+=("$(secs "$t0" "$(now_ns)")")
	anon+=("$a")
	rss+=("$(tail -n 1 "$D/rss" | cut -d' ' -f1)")
	sc+=("$(tail -n 1 "$D/rss" | awk '{ print $2 + $3 }')")
	say "run $r: journalctl ${jt[-1]} s (CPU ${jc[-1]} s), ${jrss[-1]} KiB;" \
	    "smtptallyd ${st[-1]} s (CPU ${sc[-1]} s), ${rss[-1]} KiB" \
	    "(anonymous ${anon[-1]})"
done

# exact: deliveries per reply, from the record and from the database
want=$(awk '$2 != "-" { c[$3]++ } END { for (k in c) print k, c[k] }' \
    "$D/rec" | sort)
got=$("$BUILD/tests/dbtool" sql "$D/db" "SELECT reply, sum(n) FROM counts
    GROUP BY reply" | sort)
[ "$want" = "$got" ] && exact=yes || exact=NO

jm=$(median "${jt[@]}")
sm=$(median "${st[@]}")
rm_=$(median "${rss[@]}")
jr=$(median "${jrss[@]}")
am=$(median "${anon[@]}")
jcm=$(median "${jc[@]}")
scm=$(median "${sc[@]}")
awk -v n="$N" -v j="$jm" -v s="$sm" -v r="$rm_" -v e="$exact" \
    -v jr="$jr" -v am="$am" -v jc="$jcm" -v sc="$scm" 'BEGIN {
	printf "entries            %d\n", n
	printf "journalctl -o cat  %.2f s  %.0f entries/s\n", j, n / j
	printf "smtptallyd         %.2f s  %.0f entries/s\n", s, n / s
	printf "ratio              %.2f x journalctl (wall)\n", j / s
	printf "CPU (user+sys)     journalctl %.2f s, smtptallyd %.2f s: "\
	    "%.2f x\n", jc, sc, jc / sc
	printf "peak RSS           %.1f MiB (anonymous %.1f MiB)\n", r / 1024,
	    am / 1024
	printf "journalctl RSS     %.1f MiB\n", jr / 1024
	printf "counts exact       %s\n", e
}'
