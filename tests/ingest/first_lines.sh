#!/bin/sh
# Lines before a file's first event (a "connect from", another program's
# line) are counted in the hour of their own stamp, not the hour they
# were read in (the 2026-12-01 trial's D24: the demo's day-old database
# said "Log lines read: 1" for a day nothing was logged).  The expected
# hours are date(1)'s reading of the stamps in the test's TZ.
. "$(dirname "$0")/common.sh"
ingest_init

mkdir "$T/log"
LOG=$T/log/mail.log
cat > "$LOG" <<'EOF'
Nov  1 03:10:00 mx1 postfix/smtpd[1383]: connect from unknown[192.0.2.1]
Nov  1 03:10:01 mx1 CRON[77]: (root) CMD (true)
Nov  1 05:20:00 mx1 postfix/smtp[30924]: 47924E4E01: to=<ann@example.com>, relay=mx.example.com[192.0.2.7]:25, delay=0.5, delays=0.1/0/0.2/0.2, dsn=2.0.0, status=sent (250 2.0.0 Ok)
Nov  1 05:20:01 mx1 postfix/qmgr[2200]: 47924E4E01: removed
EOF
# Year-less stamps take the year before the file's time: 2026.
touch -d '2026-11-01T12:00:00Z' "$LOG"

# hour STAMP: the UTC hour (seconds) of a local time in this TZ.
hour() {
	_s=$(date -d "$1" +%s) || fail "date -d '$1'"
	echo $((_s - _s % 3600))
}
H1=$(hour '2026-11-01 03:10:00')
H2=$(hour '2026-11-01 05:20:00')
printf '%s|foreign|1\n%s|ignored|1\n%s|event|1\n%s|ignored|1\n' \
    "$H1" "$H1" "$H2" "$H2" | sort > "$T/want"

follow "postfix:$LOG"
daemon_oneshot
sqlite3 -readonly "$DB" "SELECT hour, result, SUM(n) FROM lines_hour
    GROUP BY 1, 2" | sort > "$T/got" || fail "sqlite3"
diff "$T/want" "$T/got" > "$T/diff" || fail "lines by hour differ" \
    "(want, got): $(cat "$T/diff")"
say "4 lines in the hours of their stamps"
finish
