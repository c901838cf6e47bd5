#!/bin/bash
# bench/parse.sh: parse-only throughput against `wc -l` on the same file,
# in one run (issue 2), and an exact check of the parser's counts against
# the generator's record.
#
# usage: bench/parse.sh [postfix|exim] [FILE]
#   FILE defaults to $BENCH_DIR/<format>-1g.log, generated (1 GiB) if absent.
# Each command runs 3 times, interleaved, on a warm page cache; the median
# wall time counts.  GB are 10^9 bytes.  Exit 1 if the counts differ.

set -u
. "$(dirname "$0")/lib.sh"

fmt=${1:-postfix}
file=${2:-$BENCH_DIR/$fmt-1g.log}
case $fmt in postfix|exim) ;; *) die "format must be postfix or exim" ;; esac

build tests/parsecount bench/gen || die "build failed"
pc=$BUILD/tests/parsecount
gen_log "$fmt" 1G "$file"
exp=$file.exp
size=$(fsize "$file")
out=$BENCH_DIR/parse-$fmt.out

warm "$file"
wc_t=() pc_t=()
for _ in 1 2 3; do
	wc_t+=("$(wall wc -l "$file")") || die "wc failed"
	t0=$(now_ns)
	"$pc" "$file" >"$out" || die "parsecount failed"
	t1=$(now_ns)
	pc_t+=("$(secs "$t0" "$t1")")
done
wc_m=$(median "${wc_t[@]}")
pc_m=$(median "${pc_t[@]}")

# Exact check: event counts and lines against the generator's record.
ok=yes
if ! diff <(grep -E '^(event|lines) ' "$exp" | sort) \
    <(grep -E '^(event|lines) ' "$out" | sort) >"$out.diff"; then
	ok=no
fi
# Per reply code too (not timed: -e prints every event).
"$pc" -e "$file" | awk -F'\t' '$1 == "E" {
	n[$3 " " $4 " " $5 " " $6 " " $7]++ }
	END { for (k in n) print "reply " k, n[k] }' | sort >"$out.reply"
if ! diff <(grep '^reply ' "$exp" | sort) "$out.reply" >>"$out.diff"; then
	ok=no
fi

cat <<EOF
parse-only benchmark ($fmt)
machine:   $(machine)
file:      $file ($size bytes, $(grep '^lines ' "$exp" | cut -d' ' -f2) lines, $(grep '^events ' "$exp" | cut -d' ' -f2) events)
wc -l:     ${wc_t[*]} s -> median $wc_m s = $(gbps "$size" "$wc_m") GB/s
parsecount: ${pc_t[*]} s -> median $pc_m s = $(gbps "$size" "$pc_m") GB/s
ratio parse/wc: $(ratio "$wc_m" "$pc_m") (target >= 0.25; parse target >= 2 GB/s)
counts:    $( [ $ok = yes ] && echo "exact match with $exp (events by kind/status and by reply, lines)" || echo "MISMATCH, see $out.diff")
parser's view: $(grep -E '^(ignored|foreign|unrecognised|long) ' "$out" | tr '\n' ' ')
generator's view: $(grep -E '^(ignored|foreign) ' "$exp" | tr '\n' ' ')
EOF
[ $ok = yes ] || { cat "$out.diff"; exit 1; }
