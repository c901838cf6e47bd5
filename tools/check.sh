#!/usr/bin/env bash
# The whole test suite, as the README's second command and CI run it:
# install what is missing, build with -Werror, run the unit, corpus and
# integration tests, the same suite under ASan+UBSan, make distcheck, and
# the parser fuzzer for a minute.  Build trees go to build/.  A skip fails
# the run unless the allow-list below names it; the summary lists every
# skip with its reason.
set -uo pipefail
cd "$(dirname "$0")/.."
top=$(pwd)
. tools/deps.sh

jobs=$(nproc 2>/dev/null || echo 2)
pass=0 fail=0 skip=0
failed_stages=

# The shared corpus of real logs, for every stage (distcheck too): one
# variable, never a path of one workspace.
SMTPTALLY_CORPUS=${SMTPTALLY_CORPUS:-$top/../shared/corpus}
export SMTPTALLY_CORPUS
# tests/ingest/old_release.sh builds earlier commits once for both builds
SMTPTALLY_OLD_BUILDS=$top/build/old
export SMTPTALLY_OLD_BUILDS

# Skips that do not fail the run, each with the reason printed in the
# summary: "STAGE:TEST|REASON", STAGE and TEST shell patterns (stages:
# main, sanitize, distcheck, e2e, fuzz).  Any other skip is a failure.
allowed=()
allow() { allowed+=("$1|$2"); }
allow "distcheck:tests/ingest/crash_points.sh" \
    "distcheck configures without --enable-test-hooks"
allow "distcheck:tests/ingest/resume_race.sh" \
    "distcheck configures without --enable-test-hooks (a sleep at start-up)"
allow "distcheck:tests/serve/busy.sh" \
    "distcheck configures without --enable-test-hooks (slow queries)"
allow "distcheck:tests/serve/daemon.sh" \
    "distcheck configures without --enable-test-hooks (slow queries)"
allow "distcheck:tests/serve/time_limit.sh" \
    "distcheck configures without --enable-test-hooks (slow queries)"
allow "distcheck:tests/ingest/corpus_restart.sh" \
    "distcheck configures without --enable-test-hooks (fixed clock)"
allow "distcheck:tests/journal/*" "distcheck builds --without-journal"
allow "distcheck:tests/ingest/old_release.sh" \
    "a tarball has no git history to build an earlier release from"
if [ ! -d "$SMTPTALLY_CORPUS/postfix" ]; then
	allow "*:tests/corpus.sh" "no corpus at $SMTPTALLY_CORPUS"
	allow "*:tests/classify_corpus.sh" "no corpus at $SMTPTALLY_CORPUS"
	allow "*:tests/ingest/corpus_restart.sh" \
	    "no corpus at $SMTPTALLY_CORPUS"
fi
if [ "$(id -u)" != 0 ]; then
	allow "*:tests/ingest/disk_full.sh" "not root: cannot mount a tmpfs"
	allow "*:tests/ingest/tmpfs_full.sh" "not root: cannot mount a tmpfs"
	allow "*:tests/ingest/readonly_db.sh" "not root: cannot run as nobody"
	allow "*:tests/ingest/unreadable.sh" \
	    "not root: cannot run the daemon as nobody (root reads a mode-000 file)"
	allow "*:tests/journal/*" "not root: no namespaced journald"
	allow "e2e:*" "not root: cannot install an MTA"
fi
skips=()
unexpected=0

# Note a skip of TEST in STAGE with the reason its log gives.
skipped() {
	local stage=$1 test=$2 why=$3 a pat reason
	skip=$((skip + 1))
	for a in "${allowed[@]}"; do
		pat=${a%%|*} reason=${a#*|}
		# a suite log names a .sh test with or without its .sh
		# shellcheck disable=SC2053
		if [[ $stage:$test == $pat || $stage:$test.sh == $pat ]]; then
			skips+=("  $stage: $test: allowed: $reason")
			return
		fi
	done
	skips+=("  $stage: $test: NOT ALLOWED: ${why:-no reason given}")
	unexpected=$((unexpected + 1))
}

# The skips of an automake build tree, with the reason each log gives.
# usage: build_skips STAGE DIR [SUITE-LOG]; a .sh test's log is NAME.log
build_skips() {
	local stage=$1 dir=$2 suite=${3:-$2/test-suite.log} t why
	[ -f "$suite" ] || return 0
	for t in $(sed -n 's/^SKIP: //p' "$suite"); do
		why=$(grep -m1 -i 'skip' "$dir/${t%.sh}.log" 2>/dev/null |
		    sed 's/^SKIP[: ]*//')
		skipped "$stage" "$t" "$why"
	done
}

stage() { printf '\n=== %s (%s)\n' "$1" "$(date -u +%H:%M:%S)"; }

# Add the counts of an automake test-suite.log to the totals.
tally() {
	local log=$1 p f s
	[ -f "$log" ] || return 0
	p=$(awk '/^# PASS:/ {print $3}' "$log")
	f=$(awk '/^# (FAIL|XPASS|ERROR):/ {s += $3} END {print s + 0}' "$log")
	s=$(awk '/^# SKIP:/ {print $3}' "$log")
	pass=$((pass + ${p:-0})); fail=$((fail + ${f:-0})); skip=$((skip + ${s:-0}))
}

failed() {
	failed_stages="$failed_stages $1"
	fail=$((fail + 1))
}

stage "dependencies"
deps_install $SMTPTALLY_BUILD_DEPS $SMTPTALLY_TEST_DEPS || exit 1

stage "autoreconf"
autoreconf -fi >/dev/null 2>&1 || { autoreconf -fi; exit 1; }

# build NAME CONFIGURE-FLAGS...: configure, build and run `make check`.
build() {
	local name=$1; shift
	stage "build and check: $name"
	rm -rf "build/$name" && mkdir -p "build/$name"
	( cd "build/$name" && "$top/configure" -q "$@" && make -s -j"$jobs" ) ||
	    { failed "build-$name"; return; }
	# failing tests are counted by tally; the stage is only named
	( cd "build/$name" && make -s -j"$jobs" check ) ||
	    failed_stages="$failed_stages check-$name"
	tally "build/$name/test-suite.log"
	if [ -f "build/$name/test-suite.log" ]; then
		grep -E '^(FAIL|ERROR|XPASS):' "build/$name/test-suite.log" || true
		sed -n 's/^XFAIL: \(.*\)/XFAIL: \1 (a known fault: XFAIL_TESTS)/p' \
		    "build/$name/test-suite.log"
	fi
	build_skips "$name" "build/$name"
}

build main --enable-werror --enable-test-hooks
# The 1,000,000-line soak runs in the main build; the sanitizer and
# distcheck runs repeat every test with a shorter soak to stay in time.
SOAK_LINES=200000 build sanitize --enable-werror --enable-test-hooks \
    --enable-sanitizers

# distcheck builds --without-journal: the suite must pass without
# libsystemd too (issue 13), at no extra build's cost.
stage "distcheck"
( cd build/main && SOAK_LINES=200000 make -s distcheck \
    DISTCHECK_CONFIGURE_FLAGS="--enable-werror --without-journal" >distcheck.log 2>&1 ) || { tail -40 build/main/distcheck.log; failed distcheck; }
# its build tree is gone; the harness printed each result
for t in $(sed -n 's/^SKIP: //p' build/main/distcheck.log 2>/dev/null); do
	skipped distcheck "$t" "see build/main/distcheck.log"
done

stage "end to end: real Postfix and real Exim (tests/e2e)"
# each MTA its own test (Makefile.am check-e2e), counted like the others
( cd build/main && make -s check-e2e ) ||
    failed_stages="$failed_stages e2e"
tally build/main/tests/e2e/test-suite.log
grep -E '^(FAIL|ERROR|XPASS):' build/main/tests/e2e/test-suite.log \
    2>/dev/null || true
build_skips e2e build/main build/main/tests/e2e/test-suite.log

stage "fuzz the parser for 60 s"
if FUZZ_WORK="$top/build/fuzz" bash tests/fuzz/run.sh 60 "$top/build/main"; then
	pass=$((pass + 1))
else
	rc=$?
	if [ "$rc" = 77 ]; then
		skipped fuzz tests/fuzz/run.sh "no clang"
	else
		failed fuzz
	fi
fi

stage "summary"
if [ "${#skips[@]}" -gt 0 ]; then
	echo "skipped:"
	printf '%s\n' "${skips[@]}"
fi
[ "$unexpected" = 0 ] || failed_stages="$failed_stages skips"
[ -n "$failed_stages" ] && echo "failed stages:$failed_stages"
echo "$pass passed, $fail failed, $skip skipped ($unexpected not allowed)"
[ "$fail" = 0 ] && [ -z "$failed_stages" ]
