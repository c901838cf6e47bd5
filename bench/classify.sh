#!/bin/bash
# bench/classify.sh: what classifying replies costs the catch-up (issue 14
# acceptance 3: no more than 10% of catch-up time).
#
# usage: bench/classify.sh [SIZE...]       (default: 20m; k, m or g suffix)
#
# For each size, a generated Postfix and a generated Exim log (bench/gen,
# seed $SEED) are caught up by `smtptallyd --oneshot` into a fresh
# database twice under `valgrind --tool=callgrind`:
#   with:    the shipped rules (etc/smtptally.rules), as installed;
#   without: SMTPTALLY_OFF=classify (a test hook: no provider is guessed,
#            no verdict is made) and an empty rules file, so nothing of the
#            classifier runs, not even the loading of the rules.
# It prints the instructions (callgrind's Ir) of each run per delivery line
# (the generator's event count), the ratio with/without, and, from the
# "with" run alone, the instructions inside the classifier's entry points
# (inclusive: the verdict and provider hooks, loading the rules) as a share
# of the run.  Instructions, not seconds: the machine is shared, and the
# count does not depend on the load.  Both runs must also give the
# generator's counts.
#
# The daemon must be built with --enable-test-hooks: BUILD defaults to
# /tmp/b-classify, configured so (CFLAGS -g -O2) when absent.

set -u
BUILD=${BUILD:-/tmp/b-classify}
. "$(dirname "$0")/lib.sh"

command -v valgrind >/dev/null || die "valgrind missing (apt-get install valgrind)"
if [ ! -f "$BUILD/Makefile" ]; then
	(cd "$SRCDIR" && { test -x configure || autoreconf -fi; }) ||
	    die "autoreconf failed"
	mkdir -p "$BUILD" && (cd "$BUILD" &&
	    "$SRCDIR/configure" -q --enable-test-hooks CFLAGS='-g -O2') ||
	    die "configure failed"
fi
grep -q '^#define SMTPTALLY_TEST_HOOKS' "$BUILD/config.h" ||
    die "$BUILD is not configured with --enable-test-hooks"
build smtptallyd bench/gen tests/dbtool || die "build failed"
daemon=$(daemon_path)
[ -n "$daemon" ] || die "no smtptallyd in $BUILD"

SIZES=${*:-20m}
work=$BENCH_DIR/classify
mkdir -p "$work" || die "mkdir $work"
: > "$work/empty.rules"

# Sum of the counts in DB by (mta, direction, kind, status, reply), in the
# generator's "reply" lines; all hops count (the generator knows none).
db_replies() {
	"$BUILD/tests/dbtool" sql "$1" "SELECT 'reply', mta, direction,
	    kind, status, reply, sum(n) FROM counts
	    GROUP BY mta, direction, kind, status, reply" | sort
}

# run MODE FMT LOG: one callgrind run; prints the total Ir.
run() {
	local mode=$1 fmt=$2 log=$3 db=$work/$1-$2.db out=$work/$1-$2.cg
	local rules=$SRCDIR/etc/smtptally.rules off=
	[ "$mode" = without ] && { rules=$work/empty.rules; off=classify; }
	rm -f "$db" "$db"-* "$out"
	SMTPTALLY_OFF=$off valgrind --tool=callgrind --callgrind-out-file="$out" \
	    "$daemon" --oneshot --foreground --db "$db" \
	    --socket "$work/sock" --rules "$rules" \
	    --rules-local "$work/none.rules" --follow "$fmt:$log" \
	    > "$work/$mode-$fmt.err" 2>&1 ||
	    die "$mode $fmt: smtptallyd failed: $(tail -3 "$work/$mode-$fmt.err")"
	diff <(grep '^reply ' "$log.exp" | sort) <(db_replies "$db") \
	    > "$work/$mode-$fmt.diff" ||
	    die "$mode $fmt: counts differ from the generator's, see $work/$mode-$fmt.diff"
	if [ "$mode" = without ] && [ "$("$BUILD/tests/dbtool" sql "$db" \
	    "SELECT count(*) FROM verdict")" != 0 ]; then
		die "without: the daemon made verdicts (is the hook built in?)"
	fi
	awk '/^(summary|totals):/ { print $2; exit }' "$out"
}

# The inclusive Ir of the classifier's own code in a "with" run: d_verdict
# (the store's verdict hook, all of classify()), d_provider (the provider
# hook) and rules_load (reading the rules at start); none calls another.
# The store's side (looking verdicts up, writing them) is not in it: the
# ratio of the two runs has everything.  Only the function table's lines
# (not the "=>" call lines of the annotated sources).
inside() {
	callgrind_annotate --inclusive=yes --threshold=100 "$1" 2>/dev/null |
	    awk '$0 !~ /=>/ && $0 ~ /:(d_verdict|d_provider|rules_load) \[/ {
		gsub(",", "", $1); s += $1 }
	    END { print s + 0 }'
}

echo "classifier cost in the catch-up (smtptallyd --oneshot, callgrind Ir)"
echo "machine: $(machine)"
echo
echo "| log | delivery lines | lines | Ir without | Ir with | per delivery line without | with | with / without | Ir in the classifier's code (with run) |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
for size in $SIZES; do
	for fmt in postfix exim; do
		log=$BENCH_DIR/$fmt-$size.log
		gen_log "$fmt" "$(echo "$size" | tr kmg KMG)" "$log"
		events=$(awk '$1 == "events" { print $2 }' "$log.exp")
		lines=$(awk '$1 == "lines" { print $2 }' "$log.exp")
		without=$(run without "$fmt" "$log")
		with=$(run with "$fmt" "$log")
		in=$(inside "$work/with-$fmt.cg")
		awk -v f="$fmt-$size" -v e="$events" -v l="$lines" \
		    -v a="$without" -v b="$with" -v c="$in" 'BEGIN {
			printf "| %s | %d | %d | %.0f | %.0f | %.0f | %.0f | %.3f | %.1f%% (%.0f a delivery line) |\n",
			    f, e, l, a, b, a / e, b / e, b / a, 100 * c / b, c / e
		}'
	done
done
echo
echo "target: with / without <= 1.10 (issue 14 acceptance 3)"
