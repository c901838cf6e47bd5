#!/usr/bin/env bash
# The whole test suite, as the README's second command and CI run it:
# install what is missing, build with -Werror, run the unit, corpus and
# integration tests, the same suite under ASan+UBSan, make distcheck, and
# the parser fuzzer for a minute.  Build trees go to build/.
set -uo pipefail
cd "$(dirname "$0")/.."
top=$(pwd)
. tools/deps.sh

jobs=$(nproc 2>/dev/null || echo 2)
pass=0 fail=0 skip=0
failed_stages=

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
	fi
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

stage "end to end: real Postfix and real Exim (tests/e2e)"
rc=0
bash tests/e2e/run.sh build/main || rc=$?
case $rc in
0) pass=$((pass + 1)) ;;
77) skip=$((skip + 1)) ;;
*) failed e2e ;;
esac

stage "fuzz the parser for 60 s"
if FUZZ_WORK="$top/build/fuzz" bash tests/fuzz/run.sh 60 "$top/build/main"; then
	pass=$((pass + 1))
else
	rc=$?
	if [ "$rc" = 77 ]; then skip=$((skip + 1)); else failed fuzz; fi
fi

stage "summary"
[ -n "$failed_stages" ] && echo "failed stages:$failed_stages"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ] && [ -z "$failed_stages" ]
