#!/bin/sh
# Scenario 4 of issue 13: follow = journal-dir: on what
# systemd-journal-remote writes from two hosts' export streams.  The
# streams are real: a namespaced journald takes each host's entries (from
# jwriter, which records them) and journalctl exports them; the host name
# in each stream is set to the host's (mx1, mx2) as on two machines.
# systemd-journal-remote writes one file per host into a directory; the
# daemon follows the directory, live, while a second batch arrives.
# Counts per (host, domain, reply) must equal the records exactly.

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
	jw -c "$4" -s "$3" -t "$2" -r "$T/rec.$1" -N 10 -x 3
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

# expected: host domain reply n, from the records; actual from the counts
for h in mx1 mx2; do
	awk -v h="$h" '$2 != "-" { c[h " " $2 " " $3]++ }
	    END { for (k in c) print k, c[k] }' "$T/rec.$h"
done | LC_ALL=C sort > "$T/expected.host"
want=$(awk '$2 != "-"' "$T/rec.mx1" "$T/rec.mx2" | wc -l)
wait_total "$want" 120 || true
daemon_stop
db_counts_sql "SELECT host, domain, reply, sum(n) FROM counts
    GROUP BY host, domain, reply;" | LC_ALL=C sort > "$T/actual.host"
if ! cmp -s "$T/expected.host" "$T/actual.host"; then
	diff "$T/expected.host" "$T/actual.host" | head -n 20
	fail "counts per (host, domain, reply) differ from the records"
fi
say "counts exact per host: $want events," \
    "$(wc -l < "$T/expected.host") (host, domain, reply) keys"
finish
