#!/usr/bin/env bash
# bench/dbsize.sh: database size per day at a given load (issue 11,
# target 5: <= 5 MB a day at 50,000 deliveries an hour over 20,000
# domains, 30 simulated days).  A seeded generator (python3) draws each
# hour's deliveries -- recipient domains by a Zipf law, outcomes and reply
# texts from a fixed mix -- sums them per key and hands the rows to
# tests/dbtool fill, which counts them through the store's own commit and
# runs its maintenance (the fold of old days).  Prints the file size and
# the pages in use, per simulated day.
#   usage: bench/dbsize.sh [DAYS [PER_HOUR [DOMAINS]]]   (default 30 50000 20000)
#   START=EPOCH: the first simulated hour (default 2025-12-01 00:00 UTC);
#   DB=PATH: where the database goes.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
DAYS=${1:-30}
PER_HOUR=${2:-50000}
DOMAINS=${3:-20000}
START=${START:-1764547200}
db=${DB:-$BENCH_DIR/dbsize-$DAYS-$PER_HOUR-$DOMAINS.db}
mkdir -p "$BENCH_DIR"
build tests/dbtool || die "build failed"
rm -f "$db" "$db"-* "$db".lock
python3 - "$DAYS" "$PER_HOUR" "$DOMAINS" "$SEED" "$START" <<'PY' |
import collections, random, sys
days, per_hour, ndom, seed, start = (int(x) for x in sys.argv[1:6])
rng = random.Random(seed)
doms = ["d%d.example" % i for i in range(ndom)]
zipf = [1.0 / (i + 1) ** 1.1 for i in range(ndom)]
cum = []
t = 0.0
for w in zipf:
    t += w
    cum.append(t)
# (weight, status, reply, enhanced, text): a mail server's usual answers
mix = [(850, "sent", 250, "2.0.0", ""),
       (30, "deferred", 451, "4.7.1", "greylisted, try again later"),
       (20, "deferred", 421, "4.7.0", "too many connections from your ip"),
       (15, "deferred", 450, "4.2.0", "mailbox busy"),
       (10, "deferred", 0, "4.4.1", "connection timed out"),
       (40, "bounced", 550, "5.1.1", "user unknown"),
       (15, "bounced", 550, "5.7.1", "blocked using zen.spamhaus.org"),
       (10, "bounced", 552, "5.2.2", "mailbox full"),
       (10, "bounced", 554, "5.7.1", "message rejected as spam")]
ocum = []
t = 0
for m in mix:
    t += m[0]
    ocum.append(t)
start -= start % 3600
out = sys.stdout
for h in range(days * 24):
    hour = start + h * 3600
    ds = rng.choices(range(ndom), cum_weights=cum, k=per_hour)
    os_ = rng.choices(range(len(mix)), cum_weights=ocum, k=per_hour)
    for (d, o), n in collections.Counter(zip(ds, os_)).items():
        _, st, rep, enh, text = mix[o]
        out.write("count %d %d %s mx postfix out attempt %s %d %s %s\n" %
                  (hour + 1800, n, doms[d], st, rep, enh, text))
    out.write("line %d event %d\n" % (hour + 1800, per_hour))
PY
"$BUILD/tests/dbtool" fill "$db" || die "dbtool fill failed"
size=$(fsize "$db")
used=$(sqlite3 "$db" "SELECT (page_count - freelist_count) * page_size FROM pragma_page_count, pragma_freelist_count, pragma_page_size")
rows=$(sqlite3 "$db" "SELECT (SELECT count(*) FROM count_hour) || ' hour rows, ' || (SELECT count(*) FROM count_day) || ' day rows'")
echo "| days | deliveries/h | domains | file MB | in use MB | MB/day (in use) | rows |"
echo "|---:|---:|---:|---:|---:|---:|---|"
awk -v d="$DAYS" -v p="$PER_HOUR" -v n="$DOMAINS" -v s="$size" -v u="$used" -v r="$rows" \
    'BEGIN { printf "| %d | %d | %d | %.1f | %.1f | %.2f | %s |\n", d, p, n, s / 1e6, u / 1e6, u / 1e6 / d, r }'
