#!/bin/sh
# Build the parser's libFuzzer target with clang and run it.
#   tests/fuzz/run.sh [SECONDS] [BUILDDIR]
# Seeds: the project's own test vectors (and the shared corpus when it is
# there).  A crash leaves crash-* in the work folder and exits non-zero.
set -eu
secs=${1:-60}
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${2:-$top}
work=${FUZZ_WORK:-$(mktemp -d)}
cc=${FUZZ_CC:-clang}

command -v "$cc" >/dev/null 2>&1 || { echo "fuzz: $cc not found"; exit 77; }
[ -f "$build/config.h" ] || { echo "fuzz: no config.h in $build"; exit 1; }

mkdir -p "$work/corpus" "$work/seeds"
$cc -g -O1 -fsanitize=fuzzer,address,undefined \
    -fno-sanitize-recover=undefined -I"$build" -I"$top/src" \
    "$top/tests/fuzz/fuzz_parse.c" "$top"/src/parse.c "$top"/src/parse_util.c \
    "$top"/src/civil.c "$top"/src/event.c \
    "$top"/src/parse_time.c "$top"/src/parse_tz.c "$top"/src/parse_postfix.c "$top"/src/parse_exim.c \
    "$top"/src/reason.c -o "$work/fuzz_parse"

# one seed per test-vector line
sed -n 's/^L //p' "$top/tests/data/parse-cases.txt" | split -l 1 - "$work/seeds/case-"
corpus=${SMTPTALLY_CORPUS:-$top/../shared/corpus}
if [ -d "$corpus" ]; then
	cat "$corpus"/*/*.log | shuf -n 2000 --random-source=/dev/zero |
	    split -l 1 - "$work/seeds/corpus-"
fi
cd "$work"
rc=0
./fuzz_parse -max_total_time="$secs" -max_len=4096 -timeout=10 \
    -rss_limit_mb=1024 -print_final_stats=1 corpus seeds >fuzz.log 2>&1 || rc=$?
grep -E '^(Done|stat::)|ERROR|SUMMARY' fuzz.log || true
[ "$rc" = 0 ] || { tail -40 fuzz.log; echo "fuzz: failed ($rc); see $work"; }
exit "$rc"
