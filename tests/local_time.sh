#!/bin/sh
# Local time at the time of the line, through the real daemon (issue 9
# rule 7): syslog lines whose stamps cross both 2026 changes of a zone are
# counted by hour, and the hours must be those of the stamps' true UTC,
# which Python's zoneinfo computed (tests/data/tz-cases.txt, written by
# tests/data/tz-cases.py).  Europe/Berlin is named in the configuration
# (timezone = Europe/Berlin, read from tzdata) while the process runs in
# UTC; America/New_York is the process's own zone (TZ, timezone = local,
# read through localtime(3)).  Each run of the table between breaks is a
# file of its own, so the repeated autumn hour is told apart by line order
# within one file.  Files are dated 2026-12-15 (year = mtime): the summer
# lines are read in winter.
. "${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/tests/ingest/common.sh"

ingest_init
cases=$top_srcdir/tests/data/tz-cases.txt
[ -f "$cases" ] || fail "no $cases"
[ -f /usr/share/zoneinfo/Europe/Berlin ] || skip "no tzdata"

# zone_run ZONE MODE: MODE named (--timezone ZONE, TZ=UTC) or local (TZ).
zone_run() {
	zone=$1
	mode=$2
	dir=$T/$mode
	mkdir -p "$dir" || fail "mkdir"
	# The zone's stamps as Postfix lines, one file per run; the expected
	# count per UTC hour from the true UTC column.
	LC_ALL=C awk -v z="$zone" -v d="$dir" '
	/^Z / { on = $2 == z; next }
	!on { next }
	/^B/ { f++; next }
	/^L / {
		split(substr($0, 3), a, "|")
		printf "%s mx1 postfix/smtp[1]: 4F1A2B3C4D: to=<a@example.com>, relay=mx.example.com[192.0.2.7]:25, delay=1, delays=0/0/0/1, dsn=2.0.0, status=sent (250 ok)\n", a[1] > (d "/run" sprintf("%02d", f) ".log")
		n[substr(a[3], 1, 13)]++
	}
	END { for (h in n) print h, n[h] }' "$cases" | sort > "$dir/want"
	[ -s "$dir/want" ] || fail "$zone: no stamps in $cases"
	follows=
	for f in "$dir"/run*.log; do
		touch -d "2026-12-15 00:00:00 UTC" "$f"
		follows="$follows --follow postfix:$f"
	done
	if [ "$mode" = named ]; then
		# shellcheck disable=SC2086
		TZ=UTC "$SMTPTALLYD" --foreground --oneshot --db "$dir/db" \
		    --socket "$dir/sock" $follows --timezone "$zone" \
		    --retention-days 100000 \
		    > "$dir/daemon.log" 2>&1 ||
		    fail "$zone: daemon failed: $(cat "$dir/daemon.log")"
	else
		# shellcheck disable=SC2086
		TZ=$zone "$SMTPTALLYD" --foreground --oneshot --db "$dir/db" \
		    --socket "$dir/sock" $follows --retention-days 100000 \
		    > "$dir/daemon.log" 2>&1 ||
		    fail "$zone: daemon failed: $(cat "$dir/daemon.log")"
	fi
	"$DBTOOL" sql "$dir/db" "SELECT strftime('%Y-%m-%dT%H', hour,
	    'unixepoch'), SUM(n) FROM counts GROUP BY 1 ORDER BY 1" \
	    > "$dir/got" || fail "$zone: dbtool failed"
	if ! cmp -s "$dir/want" "$dir/got"; then
		diff "$dir/want" "$dir/got" | sed 's/^/    /'
		fail "$zone ($mode): counts by UTC hour differ from zoneinfo's"
	fi
	say "ok: $zone ($mode): $(awk '{s += $2} END {print s}' "$dir/want") lines in $(wc -l < "$dir/want") UTC hours as zoneinfo has them"
}

zone_run Europe/Berlin named
zone_run America/New_York local
finish
