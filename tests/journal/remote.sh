#!/bin/sh
# Scenario 4 of issue 13: follow = journal-dir: on what
# systemd-journal-remote writes from two hosts' export streams.  The
# streams are real: a namespaced journald takes each host's entries (from
# jwriter, which records them) and journalctl exports them; the host name
# in each stream is set to the host's (mx1, mx2) as on two machines.
# systemd-journal-remote writes one file per host into a directory; the
# daemon follows the directory, live, while more arrives, one host's
# backlog late, with stamps older than entries already counted.
# Counts per (hour, domain, host, outcome) must equal the records exactly.

. "$top_srcdir/tests/journal/common.sh"

REMOTE=${REMOTE:-/lib/systemd/systemd-journal-remote}
journal_init
[ -x "$REMOTE" ] || skip "no $REMOTE (Debian: systemd-journal-remote)"
jd_ensure
mkdir -p "$T/remote"

# made HOST TAG SEQ N: N entries of a host through the journald (jwriter
# records them), exported as the host's stream with its name.
made()
{
	jw -c "$4" -s "$3" -t "$2" -r "$T/rec.$1" -N 10 -x 3 -H "$1"
	jctl -o export JW_TAG="$2" | sed "s/^_HOSTNAME=.*/_HOSTNAME=$1/" \
	    > "$T/export.$2" || fail "journalctl -o export"
}

# sent HOST TAG: systemd-journal-remote writes the stream to the host's file.
sent()
{
	"$REMOTE" --output="$T/remote/remote-$1.journal" - < "$T/export.$2" \
	    >> "$T/remote.log" 2>&1 || fail "systemd-journal-remote for $1"
}

# Four streams, in time order a (mx1), b (mx2), c (mx1), d (mx2).  b
# reaches the log host late, after c: a backlog with older stamps than
# entries already read, as from a machine that was cut off for a while.
made mx1 a 1 4000
made mx2 b 100001 3000
made mx1 c 200001 2000
made mx2 d 300001 2500
sent mx1 a
follow "journal-dir:$T/remote"
daemon_start
sent mx1 c
wait_total "$(rec_total "$T/rec.mx1")" 60 || true
sent mx2 b
sent mx2 d

# the records name the host (-H): the comparison key holds it
want=$(rec_total "$T/rec.mx1" "$T/rec.mx2")
wait_total "$want" 120 || true
# one journal source per host, each with its own cursor
curl -s --unix-socket "$SOCK" http://x/v1/status > "$T/status" ||
    soft_fail "no /v1/status"
jq -e '[.journals[].host] | sort == ["mx1", "mx2"]' "$T/status" \
    >/dev/null || soft_fail "/v1/status journals: $(jq -c .journals "$T/status")"
daemon_stop
check_counts "$T/rec.mx1" "$T/rec.mx2" ||
    fail "counts per (hour, domain, host, ...) differ from the records"
hosts=$(db_counts_sql "SELECT DISTINCT host FROM counts ORDER BY 1;" |
    tr '\n' ' ')
[ "$hosts" = "mx1 mx2 " ] || fail "hosts in the counts: $hosts"
finish
