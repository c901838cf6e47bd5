#!/usr/bin/env bash
# Mutation check of the ingest oracle (issue 10 item 1): each mutant is a
# small deliberate bug in the daemon, applied to a scratch copy of the
# tree (never to this one), built, and run against the chosen tests.  A
# mutant must make at least one test fail; the summary says which tests
# caught it, and the script fails if a mutant survived or did not apply.
#
#   tools/mutants.sh [MUTANT ...]	(default: all; tests per mutant below)
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

TESTS_shift2h="tests/ingest/second_daemon.sh tests/ingest/truncate_down.sh"
TESTS_swap="tests/ingest/second_daemon.sh tests/ingest/truncate_down.sh"
TESTS_noenh="tests/ingest/second_daemon.sh tests/ingest/truncate_down.sh"
TESTS_twice="tests/ingest/second_daemon.sh tests/ingest/truncate_down.sh \
tests/ingest/rotate_down.sh"

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
		perl -0pi -e 's/(\n\tgen_seek\(g, offset\);)/
	if (row != NULL && offset > 0 && !isgz) {
		char	b[4096];
		int64_t	base = offset > 4096 ? offset - 4096 : 0;
		ssize_t	k = pread(fd, b, sizeof(b), base), j;

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
autoreconf -fi >/dev/null 2>&1 || { echo "autoreconf failed"; exit 1; }
mkdir -p build && cd build &&
    ../configure -q --enable-test-hooks >/dev/null &&
    make -s -j$jobs >/dev/null 2>&1 &&
    make -s -j$jobs tests/writer tests/dbtool >/dev/null 2>&1 ||
    { echo "the unmutated build failed"; exit 1; }
cd "$S"
bad=0
summary=
for m in $mutants; do
	eval "tests=\${TESTS_$m:-}"
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
	if ! (cd build && make -s -j$jobs >/dev/null 2>make.err); then
		summary="$summary
$m: DID NOT BUILD: $(head -n 3 build/make.err)"
		bad=1
	else
		for t in $tests; do
			(cd build && make -s check TESTS="$t" >/dev/null 2>&1)
			r=$(sed -n 's/^:test-result: //p' "build/${t%.sh}.trs")
			case $r in
			FAIL|ERROR) caught="$caught $(basename "$t" .sh)" ;;
			*) passed="$passed $(basename "$t" .sh)($r)" ;;
			esac
		done
		if [ -n "$caught" ]; then
			summary="$summary
$m: caught by$caught${passed:+; passed:$passed}"
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
