#!/bin/sh
# Scenario 4 of issue 13: follow = journal-dir: on what
# systemd-journal-remote writes from two hosts' export streams.  The
# streams are real: a namespaced journald takes each host's entries (from
# jwriter, which records them) and journalctl exports them; the host name
# in each stream is set to the host's (mx1, mx2) as on two machines.
# systemd-journal-remote writes one file per host into a directory; the
# daemon follows the directory, live, while a second batch arrives.
# Counts per (hour, domain, host, outcome) must equal the records exactly.

. "$top_srcdir/tests/journal/common.sh"

REMOTE=${REMOTE:-/lib/systemd/systemd-journal-remote}
journal_init
[ -x "$REMOTE" ] || skip "no $REMOTE (Debian: systemd-journal-remote)"
jd_ensure
mkdir -p "$T/remote"

# batch HOST TAG SEQ N: N entries of a host through the journald, exported
# and written by systemd-journal-remote to the host's file.
batch()
{
	jw -c "$4" -s "$3" -t "$2" -r "$T/rec.$1" -N 10 -x 3 -H "$1"
	jctl -o export JW_TAG="$2" > "$T/export.$2" ||
	    fail "journalctl -o export"
	sed "s/^_HOSTNAME=.*/_HOSTNAME=$1/" "$T/export.$2" |
	    "$REMOTE" --output="$T/remote/remote-$1.journal" - \
	    >> "$T/remote.log" 2>&1 || fail "systemd-journal-remote for $1"
}

batch mx1 a 1 4000
batch mx2 b 100001 3000
follow "journal-dir:$T/remote"
daemon_start
batch mx1 c 200001 2000
batch mx2 d 300001 2500

# the records name the host (-H): the comparison key holds it
want=$(rec_total "$T/rec.mx1" "$T/rec.mx2")
wait_total "$want" 120 || true
daemon_stop
check_counts "$T/rec.mx1" "$T/rec.mx2" ||
    fail "counts per (hour, domain, host, ...) differ from the records"
hosts=$(db_counts_sql "SELECT DISTINCT host FROM counts ORDER BY 1;" |
    tr '\n' ' ')
[ "$hosts" = "mx1 mx2 " ] || fail "hosts in the counts: $hosts"
finish
