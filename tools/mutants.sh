#!/usr/bin/env bash
# Mutation check of the ingest oracle (issue 10 item 1): each mutant is a
# small deliberate bug in the daemon, applied to a scratch copy of the
# tree (never to this one), built, and run against the chosen tests.  A
# mutant must make at least one test fail; the summary says which tests
# caught it and the FAIL lines they printed, and the script fails if a
# mutant survived; it stops before building anything if one does not
# apply.
#
#   tools/mutants.sh [MUTANT ...]	(default: all; tests per mutant below,
#					or MUTANT_TESTS for all of them)
#
# Mutants:
#   shift2h	syslog stamps filed 2 h late (parse_time.c)
#   swap	Postfix status=deferred counted as bounced and back
#   noenh	Postfix enhanced codes dropped
#   twice	after a restart, the last committed line is read again
#
# Needs what the build needs; takes a few minutes.  Not part of make check.
set -uo pipefail
cd "$(dirname "$0")/.."
top=$(pwd)
jobs=2

# The scenarios that compare with the writer's record, and the restarts;
# MUTANT_TESTS replaces the list for every mutant; each test's log is
# copied to the directory MUTANT_LOGS if it is set.
TESTS_shift2h="tests/ingest/second_daemon.sh tests/ingest/truncate_down.sh \
tests/ingest/corpus_restart.sh"
TESTS_swap=$TESTS_shift2h
TESTS_noenh=$TESTS_shift2h
TESTS_twice="tests/ingest/second_daemon.sh tests/ingest/truncate_down.sh \
tests/ingest/rotate_down.sh tests/ingest/crash_points.sh \
tests/ingest/corpus_restart.sh"
# corpus_restart.sh reads the shared corpus next to this tree, not next
# to the scratch copy.
SMTPTALLY_CORPUS=${SMTPTALLY_CORPUS:-$top/../shared/corpus}
export SMTPTALLY_CORPUS

# mutate NAME: edit the scratch copy; non-zero when the code to change is
# not there (the mutant no longer applies: update this script).
mutate() {
	case $1 in
	shift2h)
		perl -0pi -e 's/(done:\n\tbest = local_to_utc\(ctx, best\));/$1 + 7200;/ or exit 1' \
		    src/parse_time.c ;;
	swap)
		perl -0pi -e 's/\{ "deferred", STATUS_DEFERRED,/{ "deferred", STATUS_BOUNCED,/ or exit 1;
		    s/\{ "bounced", STATUS_BOUNCED,/{ "bounced", STATUS_DEFERRED,/ or exit 1' \
		    src/parse_postfix.c ;;
	noenh)
		perl -0pi -e 's/strcpy\(ev->enhanced, dsn\);/ev->enhanced[0] = 0;/ or exit 1;
		    s/(if \(enh\[0\] != .\\0.\)\n\t\t)strcpy\(ev->enhanced, enh\);(\n\tev->text = p;)/$1;$2/ or exit 1' \
		    src/parse_postfix.c ;;
	twice)
		# At a restart the live file resumes at its stored offset
		# (gen_new with a row): go back one line before it, so the
		# last committed line is read and counted a second time.
		perl -0pi -e 's/(\n\tif \(\(g = gen_alloc\(t, tp, name, \(int64_t\)st->st_dev,)/
	if (row != NULL && offset > 0 && !isgz) {
		char	b[4096];
		int64_t	base = offset > 4096 ? offset - 4096 : 0;
		ssize_t	k = pread(fd, b, sizeof(b), (off_t)base), j;

		for (j = offset - base - 2; j >= 0 && j < k; j--)
			if (b[j] == 10)
				break;
		if (j >= 0 && j < k)
			offset = base + j + 1;
		else if (base == 0)
			offset = 0;
	}$1/ or exit 1' src/tail_gen.c ;;
	*)
		echo "unknown mutant $1" >&2
		return 2 ;;
	esac
}

mutants=${*:-shift2h swap noenh twice}
S=$(mktemp -d "${TMPDIR:-/tmp}/smtptally-mutants.XXXXXX") || exit 1
trap 'rm -rf "$S"' EXIT
echo "scratch copy in $S"
git ls-files -z | tar --null -T - -cf - | tar -xf - -C "$S" || exit 1
cd "$S" || exit 1
# Every mutant must apply, and change something, before anything is built:
# a patch whose code moved stops the run here, by name.
for m in $mutants; do
	rm -rf probe && mkdir probe && cp -a src probe/ || exit 1
	if ! (cd probe && mutate "$m") || diff -rq src probe/src >/dev/null
	then
		echo "FAIL: mutant $m does not apply to this tree (the code it" \
		    "changes moved): update mutate() in tools/mutants.sh" >&2
		exit 1
	fi
done
rm -rf probe
autoreconf -fi >/dev/null 2>&1 || { echo "autoreconf failed"; exit 1; }
mkdir -p build && cd build &&
    ../configure -q --enable-test-hooks >/dev/null &&
    make -s -j$jobs >/dev/null 2>&1 &&
    make -s -j$jobs tests/writer tests/dbtool >/dev/null 2>&1 ||
    { echo "the unmutated build failed"; exit 1; }
cd "$S"
# The tests' scratch directories (kept when a test fails) go with the copy.
mkdir -p "$S/tmp" && TMPDIR=$S/tmp && export TMPDIR
# run_test T: run one test in the scratch build; its result in r.
run_test() {
	rm -f "build/${1%.sh}.trs" "build/${1%.sh}.log"
	(cd build && make -s check TESTS="$1" >/dev/null 2>&1)
	r=$(sed -n 's/^:test-result: //p' "build/${1%.sh}.trs" 2>/dev/null)
}
# Unmutated, every chosen test must pass: a test failing anyway would
# "catch" every mutant.
all=
for m in $mutants; do
	eval "all=\"\$all \${MUTANT_TESTS:-\${TESTS_$m:-}}\""
done
for t in $(printf '%s\n' $all | sort -u); do
	run_test "$t"
	[ "$r" = PASS ] || {
		echo "FAIL: $t gives ${r:-no result} without a mutant" >&2
		sed -n '/^FAIL/p' "build/${t%.sh}.log" 2>/dev/null | head -n 5 >&2
		exit 1
	}
	echo "unmutated: $t PASS"
done
bad=0
summary=
for m in $mutants; do
	eval "tests=\${MUTANT_TESTS:-\${TESTS_$m:-}}"
	[ -n "$tests" ] || { echo "unknown mutant $m"; bad=1; continue; }
	rm -rf src.orig && cp -a src src.orig
	if ! mutate "$m"; then
		summary="$summary
$m: DID NOT APPLY (the code it changes moved; update tools/mutants.sh)"
		bad=1
		rm -rf src && mv src.orig src
		continue
	fi
	changed=$(diff -rq src.orig src | awk '{ print $4 }')
	echo "=== mutant $m:"
	diff -ru src.orig src | sed -n '3,40p'
	caught=
	passed=
	details=
	if ! (cd build && make -s -j$jobs >/dev/null 2>make.err); then
		summary="$summary
$m: DID NOT BUILD: $(head -n 3 build/make.err)"
		bad=1
	else
		for t in $tests; do
			run_test "$t"
			[ -z "${MUTANT_LOGS:-}" ] || cp "build/${t%.sh}.log" \
			    "$MUTANT_LOGS/$m-$(basename "$t" .sh).log"
			case $r in
			FAIL|ERROR)
				caught="$caught $(basename "$t" .sh)"
				# what the test said when it failed
				why=$( { grep -E '^(FAIL|COUNT MISMATCH)' \
				    "build/${t%.sh}.log" | head -n 2
				    grep -m 1 -A 1 'keys differ' \
				    "build/${t%.sh}.log"; } | cut -c 1-160 |
				    sed '2,$s/^/    /')
				details="$details
  $(basename "$t" .sh): ${why:-(no FAIL line; see its log)}"
				;;
			*) passed="$passed $(basename "$t" .sh)($r)" ;;
			esac
		done
		if [ -n "$caught" ]; then
			summary="$summary
$m: caught by$caught${passed:+; passed:$passed}$details"
		else
			summary="$summary
$m: SURVIVED (passed:$passed)"
			bad=1
		fi
	fi
	rm -rf src && mv src.orig src
	# restored with old times: make must still rebuild what changed
	touch $changed
done
echo
echo "=== mutants"
echo "${summary#?}"
exit $bad
