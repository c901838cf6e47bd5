# bench/lib.sh: helpers shared by the benchmark runners (sourced, not run).
#
# Where things live (override in the environment):
#   BUILD      build directory of smtptally (default /tmp/b-bench; it is
#              configured from the source tree if it does not exist)
#   BENCH_DIR  generated logs, databases and outputs (default /tmp/bench)
#   SEED       generator seed (default 1)
# Not a test: nothing here asserts timings.

SRCDIR=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-/tmp/b-bench}
BENCH_DIR=${BENCH_DIR:-/tmp/bench}
SEED=${SEED:-1}
GEN=$BUILD/bench/gen
TIMEV=/usr/bin/time

say() { printf '%s\n' "$*" >&2; }
die() { say "bench: $*"; exit 1; }

# Configure the build directory if needed, then make the given targets.
build() {
	if [ ! -f "$BUILD/Makefile" ]; then
		(cd "$SRCDIR" && { test -x configure || autoreconf -fi; }) ||
		    die "autoreconf failed"
		mkdir -p "$BUILD" || die "mkdir $BUILD failed"
		(cd "$BUILD" && "$SRCDIR/configure" -q) || die "configure failed"
	fi
	make -C "$BUILD" -j1 -s "$@" >&2
}

# Nanoseconds since the epoch.
now_ns() { date +%s%N; }

# Seconds (3 decimals) between two now_ns values.
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b - a) / 1e9 }'; }

# Run "$@" once, output discarded; print its wall time in seconds.
wall() {
	local t0 t1
	t0=$(now_ns)
	"$@" >/dev/null 2>&1 || { say "bench: failed: $*"; return 1; }
	t1=$(now_ns)
	secs "$t0" "$t1"
}

# Median of the numbers given as arguments.
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 }
	END { if (NR % 2) print v[(NR + 1) / 2];
	      else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# Decimal GB/s for SIZE bytes in SECONDS (3 digits for slow tools).
gbps() { awk -v s="$1" -v t="$2" 'BEGIN { v = s / 1e9 / t;
	printf (v < 0.1 ? "%.3f" : "%.2f"), v }'; }

# A / B with two decimals.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

# File size in bytes.
fsize() { stat -c %s "$1"; }

# Generate FORMAT log of SIZE (gen -s syntax) at PATH with PATH.exp beside
# it, unless it exists already with its expected file.
gen_log() {
	local fmt=$1 size=$2 path=$3
	[ -s "$path" ] && [ -s "$path.exp" ] && return 0
	[ -x "$GEN" ] || build bench/gen
	mkdir -p "$(dirname "$path")"
	say "generating $path ($fmt, $size, seed $SEED)"
	"$GEN" -f "$fmt" -s "$size" -o "$path" -e "$path.exp" --seed "$SEED" ||
	    die "gen failed"
}

# Read the whole file once so the measurements see a warm page cache.
warm() { cat "$1" >/dev/null; }

# Machine line for the reports.
machine() {
	printf '%s, %s cores, %s, %s\n' \
	    "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)" \
	    "$(nproc)" "$(uname -r)" "$(date -u +%Y-%m-%dT%H:%MZ)"
}

# Build the daemon if its sources are there; print its path, or nothing.
# (It is `smtptallyd` at the top of the build tree, or src/smtptallyd.)
daemon_path() {
	local t
	for t in smtptallyd src/smtptallyd; do
		build "$t" >/dev/null 2>&1
		[ -x "$BUILD/$t" ] && { echo "$BUILD/$t"; return 0; }
	done
	return 0
}

# Run "$@" under /usr/bin/time (Debian package time); sets T (wall s,
# ms resolution) and RSS (peak KiB, from time's counter).
timed() {
	local tf=$BENCH_DIR/time.out t0 t1 rc
	t0=$(now_ns)
	$TIMEV -f '%e %M' -o "$tf" "$@" >"$BENCH_DIR/last.out" \
	    2>"$BENCH_DIR/last.err"
	rc=$?
	t1=$(now_ns)
	read -r _ RSS <"$tf"
	T=$(secs "$t0" "$t1")
	return $rc
}

