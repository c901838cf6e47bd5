# Shared by the tests in tests/serve/: a database this test fills itself
# (the expected answers are awk's arithmetic over the rows it writes), the
# test server running http_new() on it, and small helpers.  Source it.

: "${top_builddir:=.}"
: "${top_srcdir:=.}"
TESTD=$top_builddir/tests/serve/testd
HAMMER=$top_builddir/tests/serve/hammer
CLIENT=$top_builddir/smtptally
DBTOOL=$top_builddir/tests/dbtool

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }
pass() { echo "ok: $*"; }

command -v sqlite3 >/dev/null 2>&1 || skip "sqlite3(1) not installed"
command -v timeout >/dev/null 2>&1 || skip "timeout(1) not installed"
[ -x "$TESTD" ] || fail "$TESTD not built"
[ -x "$DBTOOL" ] || fail "$DBTOOL not built"

# Under TMPDIR, unless that is too long for the sockets made in $T (a
# Unix socket path has at most 107 bytes).
T=${TMPDIR:-/tmp}
[ ${#T} -le 60 ] || T=/tmp
T=$(mktemp -d "$T/smtptally-serve.XXXXXX") || fail "mktemp"
DB=$T/db
SOCK=$T/sock
TESTD_PID=
cleanup() {
	[ -n "$TESTD_PID" ] && kill "$TESTD_PID" 2>/dev/null && \
	    wait "$TESTD_PID" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# 2026-11-28T00:00:00Z (date -u -d 2026-11-28 +%s): hour rows for 48
# hours from here, day rows for the 5 days before.
T0=1795824000

# make_db: count the rows through the store (tests/dbtool fill: a tally,
# the commit, the fold; the days before T0 keep their day only); leave
# the expected figures in $T/expect as shell assignments (sourced below).
make_db() {
	awk -v t0=$T0 -v rows="$T/rows" -v out="$T/expect" '
	BEGIN {
		dom[1] = "gmail.com"; dom[2] = "example.org"
		dom[3] = "o'\''brien.example"; dom[4] = "xn--bcher-kva.example"
		# status, reply, enhanced, class (DESIGN.md: reply / 100,
		# else the enhanced class digit, else from the status)
		st[0] = "sent";     rp[0] = 250; en[0] = "2.0.0"; cl[0] = 2
		st[1] = "deferred"; rp[1] = 421; en[1] = "4.7.0"; cl[1] = 4
		st[2] = "deferred"; rp[2] = 0;   en[2] = "4.4.1"; cl[2] = 4
		st[3] = "bounced";  rp[3] = 550; en[3] = "5.1.1"; cl[3] = 5
		st[4] = "sent";     rp[4] = 0;   en[4] = "-";     cl[4] = 2
		for (h = -5; h < 48; h++) {
			for (d = 1; d <= 4; d++) {
				o = (h * 3 + d + 100) % 5
				n = ((h + 10) * 7 + d * 13) % 50 + 1
				t = h < 0 ? t0 + h * 86400 : t0 + h * 3600
				# example.org says why it bounces
				text = d == 2 && rp[o] == 550 ? \
				    " <ADDR>: user unknown" : ""
				printf "count %d %d %s mx1 postfix out " \
				    "attempt %s %d %s%s\n", t, n, dom[d], \
				    st[o], rp[o], en[o], text > rows
				total += n; class[cl[o]] += n; perdom[d] += n
				if (h >= 24) { day2 += n; day2c[cl[o]] += n }
				if (st[o] == "deferred") deferred[d] += n
				if (st[o] == "bounced") bounced[d] += n
				if (text != "") r550 += n
			}
		}
		print "line " t0 " unrecognised 5" > rows
		print "source /nonexistent/mail.log 4096 1234 5 " t0 + 3600 \
		    > rows
		printf "E_TOTAL=%d\nE_2XX=%d\nE_4XX=%d\nE_5XX=%d\n", total, \
		    class[2], class[4], class[5] > out
		printf "E_DAY2=%d\nE_DAY2_4XX=%d\n", day2, day2c[4] > out
		# every event is a line, and the 5 unrecognised ones
		printf "E_LINES=%d\nE_R550=%d\n", total + 5, r550 > out
		for (d = 1; d <= 4; d++)
			printf "E_DOM%d=%d\nE_DEF%d=%d\nE_BOU%d=%d\n", d, \
			    perdom[d], d, deferred[d], d, bounced[d] > out
	}' || fail "awk"
	"$DBTOOL" fill "$DB" 1 < "$T/rows" || fail "fill"
	. "$T/expect"
}

# start_testd [options]: run the test server, wait until it says it
# listens (a stale socket file may exist before it does).
start_testd() {
	: > "$T/testd.log"
	"$TESTD" "$@" "$DB" "$SOCK" 2>>"$T/testd.log" &
	TESTD_PID=$!
	i=0
	while ! grep -q "listening on" "$T/testd.log"; do
		i=$((i + 1))
		[ $i -gt 100 ] && fail "testd did not start: $(cat "$T/testd.log")"
		kill -0 "$TESTD_PID" 2>/dev/null || \
		    fail "testd exited: $(cat "$T/testd.log")"
		sleep 0.05
	done
}

# stop_testd: SIGTERM; it must exit 0 (a sanitizer build exits non-zero
# on a leak or an error, and that fails the test here).
stop_testd() {
	[ -n "$TESTD_PID" ] || return 0
	kill "$TESTD_PID" 2>/dev/null
	wait "$TESTD_PID"
	rc=$?
	TESTD_PID=
	[ $rc = 0 ] || fail "testd exited $rc: $(tail -20 "$T/testd.log")"
}

# Built with AddressSanitizer?  Its quarantine and shadow memory make RSS
# figures meaningless.
sanitized() {
	command -v ldd >/dev/null 2>&1 && ldd "$TESTD" 2>/dev/null | \
	    grep -q libasan
}

# get PATH: the body through the socket (curl), bounded in time.
get() {
	timeout 20 curl -s --max-time 15 --unix-socket "$SOCK" "http://localhost$1"
}

# code PATH [curl options]: just the HTTP status.
code() {
	p=$1; shift
	timeout 20 curl -s -o /dev/null -w '%{http_code}' --max-time 15 \
	    --unix-socket "$SOCK" "$@" "http://localhost$p"
}

# eq WHAT GOT WANT
eq() {
	[ "$2" = "$3" ] || fail "$1: got '$2', want '$3'"
	pass "$1 = $3"
}
