# Shared parts of the end-to-end tests (tests/e2e/postfix.sh, exim.sh):
# the sink, smtptallyd, and the comparisons of smtptally's counts with the
# sink's record and with the test's own reading of the MTA log.  Sourced,
# not run.  Each test exits 0 pass, 1 fail, 77 skip.
#
# usage of a test: tests/e2e/MTA.sh [BUILDDIR]
#   BUILDDIR holds smtptallyd and tests/parsecount (default: $top_builddir,
#   else the current directory).  The test's folder /tmp/e2e-MTA.* is
#   removed after a pass unless E2E_KEEP is set, kept after a failure.

# Each test bounds itself (automake's harness has no time limit): at
# E2E_TIMEOUT seconds (default 420) it is stopped by SIGTERM, which runs
# its clean-up like any other exit.
if [ -z "${E2E_TIMED:-}" ] && command -v timeout >/dev/null; then
	E2E_TIMED=1 exec timeout -k 10 "${E2E_TIMEOUT:-420}" bash "$0" "$@"
fi

e2e_src=$(cd "$(dirname "$0")" && pwd)
e2e_build=$(cd "${1:-${top_builddir:-.}}" && pwd)
E2E_DBTOOL=$e2e_build/tests/dbtool
e2e_fail=0
e2e_pids=

say() { printf '%s: %s\n' "$e2e_name" "$*"; }
skip() {
	say "SKIP: $*"
	[ -n "${E2E_DIR:-}" ] && [ -z "${E2E_KEEP:-}" ] && rm -rf "$E2E_DIR"
	exit 77
}
bad() { say "FAIL: $*"; e2e_fail=1; }

# The test domains and their routes, the same for both MTAs: r<code>
# answers RCPT with <code>, d<code> the end of DATA (see sink.py); each
# gets its own sink port on 127.0.0.2 from 2600 on, so one SMTP
# transaction holds one domain.  closed.test goes to 127.0.0.3, where
# nobody listens (another address, so Exim cannot reuse a connection to
# the sink for it: it matches waiting messages to open connections by
# address).  The p-* domains of the e2e table (E2E_TABLE) answer the
# provider-style texts it lists.  EXTRA domains get a sink port too but
# are not in DOMAINS (the batches leave them out: the MTA test sends to
# them itself).  Sets DOMAINS, ports and CLOSED_PORT; writes one route a
# line to FILE with the printf formats SINKFMT and CLOSEDFMT (domain, port).
# usage: e2e_routes FILE SINKFMT CLOSEDFMT [EXTRA...]
E2E_TABLE=$e2e_src/../data/replies-e2e.txt
e2e_routes() {
	local c d port=2600 file=$1 sinkfmt=$2 closedfmt=$3
	shift 3
	DOMAINS="ok.test grey.test"
	for c in 250 421 450 451 452 455 500 501 502 503 541 550 551 552 553 \
	    554; do
		DOMAINS="$DOMAINS r$c.test"
	done
	for c in 421 451 452 552 554; do DOMAINS="$DOMAINS d$c.test"; done
	DOMAINS="$DOMAINS $(awk -F' [|] ' '/^p-/ {print $1}' "$E2E_TABLE")"
	CLOSED_PORT=2599
	ports=
	: > "$file"
	for d in $DOMAINS "$@"; do
		# shellcheck disable=SC2059
		printf "$sinkfmt\n" "$d" "$port" >> "$file"
		ports="$ports $port"
		port=$((port + 1))
	done
	# shellcheck disable=SC2059
	printf "$closedfmt\n" closed.test "$CLOSED_PORT" >> "$file"
}

e2e_require() {
	[ "$(id -u)" = 0 ] || skip "not root"
	[ -x "$e2e_build/smtptallyd" ] || skip "no $e2e_build/smtptallyd"
	[ -x "$e2e_build/tests/parsecount" ] || skip "no tests/parsecount"
	command -v python3 >/dev/null || skip "no python3"
	command -v sqlite3 >/dev/null || skip "no sqlite3 CLI"
}

# What the test does to the machine, said before it does anything, and
# the refusal to go on when that would replace someone else's mail server.
# An e2e test installs a Debian MTA package with apt-get when it is
# missing -- the Postfix and Exim packages conflict, so installing one
# removes the other, which then stays removed -- and runs the MTA as root
# with its own configuration, queue and log in its folder.  It refuses
# (exit 77, saying why) while a mail server it did not start is running,
# unless CI=true (a throw-away machine) or SMTPTALLY_E2E_REPLACE_MTA=yes.
# The packages an e2e test installed are listed in $E2E_STATE/installed.
E2E_STATE=/var/lib/smtptally-e2e
# Is the Debian package PKG installed (not only its configuration files
# left from a removal, which dpkg -s reports too)?
e2e_installed() {
	[ "$(dpkg-query -W -f '${Status}' "$1" 2>/dev/null)" = \
	    "install ok installed" ]
}

# usage: e2e_machine PACKAGE CONFLICTING-PACKAGE WHAT-ELSE...
e2e_machine() {
	local pkg=$1 other=$2 line inst=
	shift 2
	say "what this test does to the machine:"
	if e2e_installed "$pkg"; then
		say "  - uses the installed Debian package $pkg (not reinstalled)"
	else
		grep -qx "$other" "$E2E_STATE/installed" 2>/dev/null &&
		    inst=" (installed by an earlier e2e run)"
		say "  - installs the Debian package $pkg with apt-get; it stays installed"
		if e2e_installed "$other"; then
			say "  - which REMOVES the installed package $other$inst (configuration files kept)"
		else
			say "  - (it conflicts with $other, not installed here)"
		fi
		say "  - puts an 'exit 101' /usr/sbin/policy-rc.d in place while apt runs, when none is there, so no service starts"
	fi
	for line in "$@"; do
		say "  - $line"
	done
	say "  - leaves no process running; refuses to start while a mail server it did not start runs"
	e2e_guard
}

# Running mail servers the e2e tests did not start: "pid name" lines.
# A process of an e2e test names the test's folder (/tmp/e2e-NAME.*) in its
# command line (exim -C) or in MAIL_CONFIG (postfix -c exports it to master
# and master to its children).
e2e_foreign_mtas() {
	local d pid comm pids
	pids=$(ss -Hltnp 2>/dev/null | awk '$4 ~ /:(25|465|587)$/' |
	    grep -o 'pid=[0-9]*' | sed 's/pid=//' | sort -u)
	for d in /proc/[0-9]*; do
		pid=${d#/proc/}
		comm=$(cat "$d/comm" 2>/dev/null) || continue
		case $comm in
		master|exim|exim4|sendmail|smtpd|opensmtpd|qmail-send|\
		    courieresmtpd|masqmail|nullmailer-send|dma) ;;
		*) case " $pids " in *" $pid "*) ;; *) continue ;; esac ;;
		esac
		[ "$pid" = "$$" ] && continue
		if tr '\0' '\n' < "$d/cmdline" 2>/dev/null | grep -q '/e2e-'; then
			continue
		fi
		if tr '\0' '\n' < "$d/environ" 2>/dev/null |
		    grep -q '^MAIL_CONFIG=.*/e2e-'; then
			continue
		fi
		echo "$pid $comm"
	done
}

e2e_guard() {
	local found
	found=$(e2e_foreign_mtas)
	[ -n "$found" ] || return 0
	if [ "${CI:-}" = true ] || [ "${SMTPTALLY_E2E_REPLACE_MTA:-}" = yes ]
	then
		say "note: mail server processes not started by a test run:" \
		    "$(echo "$found" | tr "\n" ";")" "(going on: CI=${CI:-} SMTPTALLY_E2E_REPLACE_MTA=${SMTPTALLY_E2E_REPLACE_MTA:-})"
		return 0
	fi
	printf '%s\n' "$found" | while read -r pid comm; do
		say "  running: pid $pid $comm: $(tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null)"
	done
	skip "refused: a mail server this test did not start is running (above);" \
	    "the test would replace its package or run beside it.  Stop it, or run with" \
	    "SMTPTALLY_E2E_REPLACE_MTA=yes (or CI=true on a throw-away machine)"
}

# Install Debian packages without questions and without starting services
# (a policy-rc.d is put in place only when none exists).  Returns non-zero
# when the packages cannot be installed.
e2e_apt_install() {
	local rc made=0
	command -v apt-get >/dev/null || return 1
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
		chmod 755 /usr/sbin/policy-rc.d
		made=1
	fi
	# A missing package list is refreshed once (apt-get update).
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
	    -o DPkg::Lock::Timeout=120 --no-install-recommends "$@" \
	    > "$E2E_DIR/apt.log" 2>&1
	rc=$?
	if [ "$rc" != 0 ]; then
		apt-get update -q -o DPkg::Lock::Timeout=120 \
		    >> "$E2E_DIR/apt.log" 2>&1
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
		    -o DPkg::Lock::Timeout=120 --no-install-recommends "$@" \
		    >> "$E2E_DIR/apt.log" 2>&1
		rc=$?
	fi
	[ "$made" = 1 ] && rm -f /usr/sbin/policy-rc.d
	if [ "$rc" = 0 ]; then
		mkdir -p "$E2E_STATE"
		printf '%s\n' "$@" >> "$E2E_STATE/installed"
		sort -u -o "$E2E_STATE/installed" "$E2E_STATE/installed"
	else
		tail -5 "$E2E_DIR/apt.log"
	fi
	return $rc
}

# Kill what this test started, by pid.
e2e_cleanup() {
	local p
	for p in $e2e_pids; do
		kill "$p" 2>/dev/null
	done
	[ -n "${e2e_mta_stop:-}" ] && $e2e_mta_stop >/dev/null 2>&1
	[ -n "${e2e_on_exit:-}" ] && $e2e_on_exit >/dev/null 2>&1
	return 0
}

e2e_setup() {
	E2E_DIR=$(mktemp -d "/tmp/e2e-$e2e_name.XXXXXX") || exit 1
	chmod 755 "$E2E_DIR"
	mkdir -p "$E2E_DIR/log"
	trap 'e2e_cleanup' EXIT
	trap 'say "killed"; exit 1' TERM INT HUP
	say "working in $E2E_DIR"
}

# e2e_sink PORT...: start the sink on 127.0.0.2 with its record file.
e2e_sink() {
	python3 "$e2e_src/sink.py" --record "$E2E_DIR/record" \
	    --replies "$E2E_TABLE" \
	    --pidfile "$E2E_DIR/sink.pid" "$@" 2> "$E2E_DIR/sink.err" &
	local i pid=$!
	e2e_pids="$e2e_pids $pid"
	for i in $(seq 50); do
		[ -s "$E2E_DIR/sink.pid" ] && return 0
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	# One of its ports taken by another program: this machine cannot
	# run the test, said as such (the ports are fixed in the MTAs'
	# routes).
	grep -q -i "address already in use" "$E2E_DIR/sink.err" &&
	    skip "a sink port on 127.0.0.2 is in use: $(cat "$E2E_DIR/sink.err")"
	cat "$E2E_DIR/sink.err"
	bad "sink did not start"
	exit 1
}

# e2e_daemon FMT:PATH...: start smtptallyd following the given logs, with
# the shipped rules (no local ones) and E2E_DAEMON_ARGS.  The sink listens
# on loopback addresses, so SMTP to loopback is not taken for a content
# filter (--filter-loopback no); a test names its filter (--filter-relay).
e2e_daemon() {
	local args='' f
	for f in "$@"; do
		args="$args --follow $f"
	done
	# shellcheck disable=SC2086
	"$e2e_build/smtptallyd" --foreground --db "$E2E_DIR/db" \
	    --socket "$E2E_DIR/sock" --rules "$e2e_src/../../etc/smtptally.rules" \
	    --rules-local "$E2E_DIR/rules.local" --filter-loopback no \
	    ${E2E_DAEMON_ARGS:-} $args 2> "$E2E_DIR/smtptallyd.err" &
	e2e_daemon_pid=$!
	e2e_pids="$e2e_pids $e2e_daemon_pid"
}

# Wait until smtptallyd has committed the followed file PATH to its end
# (at most 30 s), then stop it with SIGTERM; it commits before exit.
e2e_daemon_stop() {
	local path=$1 size off i
	size=$(stat -c %s "$path" 2>/dev/null || echo 0)
	for i in $(seq 60); do
		off=$(sqlite3 -cmd '.timeout 2000' "$E2E_DIR/db" \
		    "SELECT max(offset) FROM source WHERE path = '$path'
		    AND state = 'active'" \
		    2>/dev/null)
		[ "${off:-0}" -ge "$size" ] && break
		sleep 0.5
	done
	[ "${off:-0}" -ge "$size" ] ||
	    say "note: committed offset ${off:-none} < size $size after 30 s"
	# What the views say, asked of the running daemon by the client as a
	# user would (e2e_categories compares it; an error is kept there).
	"$e2e_build/smtptally" -s "$E2E_DIR/sock" summary --since 2000-01-01 \
	    --by domain,category,blame --kind attempt --hop remote \
	    --direction out --top 100000 --csv > "$E2E_DIR/view.category" \
	    2> "$E2E_DIR/view.err"
	kill -TERM "$e2e_daemon_pid"
	for i in $(seq 100); do
		kill -0 "$e2e_daemon_pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$e2e_daemon_pid" 2>/dev/null; then
		bad "smtptallyd did not exit after SIGTERM"
		kill -KILL "$e2e_daemon_pid"
	fi
	wait "$e2e_daemon_pid"
	e2e_daemon_rc=$?
	[ "$e2e_daemon_rc" = 0 ] ||
	    bad "smtptallyd exited $e2e_daemon_rc: $(tail -3 "$E2E_DIR/smtptallyd.err")"
}

# Proof that smtptallyd follows the log live: while the MTA still runs, its
# database already holds counts (read through WAL beside the daemon).
e2e_live() {
	local n _
	for _ in $(seq 20); do
		n=$("$E2E_DBTOOL" sql "$E2E_DIR/db" \
		    "SELECT coalesce(sum(n), 0) FROM counts" 2>/dev/null)
		[ "${n:-0}" -gt 0 ] && break
		sleep 0.5
	done
	if [ "${n:-0}" -gt 0 ]; then
		say "ok: live: $n events committed while the MTA runs"
	else
		bad "live: nothing committed while the MTA runs"
	fi
}

e2e_sink_stop() {
	kill -TERM "$(cat "$E2E_DIR/sink.pid")" 2>/dev/null
	sleep 0.3
}

# e2e_sql MTA QUERY-TAIL: counts from smtptally's database.
e2e_sql() {
	"$E2E_DBTOOL" sql "$E2E_DIR/db" "$1"
}

# e2e_compare WHAT EXPECTED-FILE ACTUAL-FILE: both hold "key... n" lines;
# print differences and fail on any.
e2e_compare() {
	local what=$1 exp=$2 act=$3
	sort -o "$exp" "$exp"
	sort -o "$act" "$act"
	if cmp -s "$exp" "$act"; then
		say "ok: $what ($(awk '{s += $NF} END {print s + 0}' "$exp") counted, $(wc -l < "$exp") keys)"
	else
		bad "$what differs (< expected, > smtptally):"
		diff "$exp" "$act" | grep '^[<>]' | sed 's/^/    /'
	fi
}

# e2e_postfix_classes FILTER: the test's own reading of Postfix's delivery
# lines ($E2E_DIR/delivery.lines) into $E2E_DIR/classes (the format
# e2e_check reads), by grep/awk, not by smtptally's parser; each remote
# attempt without a reply, with its line, also in noreply.remote.  The hop:
# the discard transport, local delivery (local, virtual, pipe), the content
# filter's relay (FILTER, a "relay=HOST[ADDR]:PORT," string; "" for none),
# else remote.
e2e_postfix_classes() {
	awk -v filter="$1" \
	    -v nr="$E2E_DIR/noreply.remote" '
	function dom(s) { sub(/^.* to=<[^@>]*@/, "", s); sub(/>.*/, "", s); return tolower(s) }
	function dsn(s) { if (match(s, /dsn=[0-9]\.[0-9]+\.[0-9]+/)) return substr(s, RSTART + 4, RLENGTH - 4); return "" }
	{
		prog = $0; sub(/^.* postfix\//, "", prog); sub(/\[.*/, "", prog)
		st = $0; sub(/^.* status=/, "", st); sub(/ .*/, "", st)
		hop = "remote"
		if (prog == "discard") hop = "discard"
		else if (prog == "local" || prog == "virtual" || prog == "pipe") hop = "mailbox"
		else if (filter != "" && index($0, filter)) hop = "filter"
	}
	/delivery temporarily suspended/ { print "skip", dom($0), 1; next }
	/ said: [0-9][0-9][0-9][ -]/ { r = $0; sub(/^.* said: /, "", r); print "reply", hop, dom($0), substr(r, 1, 3), st; next }
	/status=sent \([0-9][0-9][0-9] / && !/relay=(local|none)/ { r = $0; sub(/^.*status=sent \(/, "", r); print "reply", hop, dom($0), substr(r, 1, 3), st; next }
	{
		print "noreply", hop, dom($0), st, dsn($0)
		if (hop == "remote") print dom($0) "\t" $0 > nr
	}
	' "$E2E_DIR/delivery.lines" > "$E2E_DIR/classes"
}

# The main check shared by both MTAs.  $1 = mta name in the database.
# Needs the sink's record and, from the MTA's log by the test's own means,
# $E2E_DIR/classes: one line per delivery line,
#   reply HOP DOMAIN CODE STATUS	an attempt with a reply
#   noreply HOP DOMAIN STATUS [ENH]	an attempt without one
#   skip DOMAIN / final DOMAIN STATUS	no attempt / a give-up (the
#					MTA's test compares these)
# HOP is remote, mailbox, filter or discard.  Exim logs no enhanced code
# for attempts without a reply, so its key is without it ($2 = "domain").
e2e_check() {
	local mta=$1 k
	# 1. Remote replies: smtptally's remote attempts with reply != 0
	#    against the sink's record, per (domain, code) ...
	awk -F'\t' '{n[$1 " " $2]++} END {for (k in n) print k, n[k]}' \
	    "$E2E_DIR/record" > "$E2E_DIR/reply.expected"
	e2e_sql "SELECT c.domain, c.reply, sum(c.n) FROM counts c
	    WHERE c.mta = '$mta' AND c.direction = 'out' AND c.kind = 'attempt'
	    AND c.hop = 'remote' AND c.reply <> 0 GROUP BY 1, 2" \
	    > "$E2E_DIR/reply.actual"
	e2e_compare "remote attempts per (domain, remote reply) = sink record" \
	    "$E2E_DIR/reply.expected" "$E2E_DIR/reply.actual"
	#    ... and per (domain, code, enhanced).  A reply without an
	#    enhanced code gets Postfix's own X.0.0 (smtp(8) writes the
	#    class's default status into dsn=).
	awk -F'\t' -v mta="$mta" '{
		e = $3
		if (e == "" && mta == "postfix") e = substr($2, 1, 1) ".0.0"
		n[$1 " " $2 " " e]++
	} END {for (k in n) print k, n[k]}' \
	    "$E2E_DIR/record" > "$E2E_DIR/replyx.expected"
	e2e_sql "SELECT c.domain, c.reply, c.enhanced, sum(c.n) FROM counts c
	    WHERE c.mta = '$mta' AND c.direction = 'out' AND c.kind = 'attempt'
	    AND c.hop = 'remote' AND c.reply <> 0 GROUP BY 1, 2, 3" \
	    | sed 's/ *$//; s/  / /' > "$E2E_DIR/replyx.actual"
	sed -i 's/ *$//; s/  / /' "$E2E_DIR/replyx.expected"
	e2e_compare "remote attempts per (domain, remote reply, enhanced) = sink record" \
	    "$E2E_DIR/replyx.expected" "$E2E_DIR/replyx.actual"
	# 2. Attempts without a reply, per (hop, domain, status[, enhanced]),
	#    against the test's own count from the MTA's log.
	if [ "${2:-}" = domain ]; then
		k='c.hop, c.domain, c.status'
	else
		k='c.hop, c.domain, c.status, c.enhanced'
	fi
	awk '$1 == "noreply" {$1 = ""; sub(/^ /, ""); n[$0]++}
	    END {for (k in n) print k, n[k]}' "$E2E_DIR/classes" \
	    > "$E2E_DIR/noreply.expected"
	e2e_sql "SELECT $k, sum(c.n) FROM counts c
	    WHERE c.mta = '$mta' AND c.direction = 'out'
	    AND c.kind = 'attempt' AND c.reply = 0 GROUP BY $k" \
	    | sed 's/ *$//' > "$E2E_DIR/noreply.actual"
	e2e_compare "attempts without a reply per (${k//c./}) = log" \
	    "$E2E_DIR/noreply.expected" "$E2E_DIR/noreply.actual"
	[ -s "$E2E_DIR/noreply.expected" ] ||
	    bad "the run produced no attempt without a reply"
	# 3. Every attempt that went elsewhere than a remote server (a
	#    mailbox, a content filter, a discard), per (hop, domain, status).
	awk '($1 == "reply" || $1 == "noreply") && $2 != "remote" {
		s = $1 == "reply" ? $5 : $4; n[$2 " " $3 " " s]++
	} END {for (k in n) print k, n[k]}' "$E2E_DIR/classes" \
	    > "$E2E_DIR/hops.expected"
	e2e_sql "SELECT c.hop, c.domain, c.status, sum(c.n) FROM counts c
	    WHERE c.mta = '$mta' AND c.direction = 'out'
	    AND c.kind = 'attempt' AND c.hop <> 'remote' GROUP BY 1, 2, 3" \
	    > "$E2E_DIR/hops.actual"
	e2e_compare "attempts to a mailbox, filter or discard per (hop, domain, status) = log" \
	    "$E2E_DIR/hops.expected" "$E2E_DIR/hops.actual"
}

# e2e_categories MTA NFINAL: the category and blame of every remote attempt
# (issue 14) against the test's own expectations: for one with a reply,
# the sink's record mapped by the test's own table, E2E_TABLE (a 2xx reply
# is delivered/none, another the row of its domain); for one without, the
# cause the MTA logged ($E2E_DIR/noreply.remote: "domain TAB line", written
# by the MTA's test) mapped by the table of causes below.  Checked twice:
# in the verdicts the daemon stored for each count's outcome, reason text
# and the domain's provider, and in what the client's summary --by
# domain,category,blame showed while the daemon ran (e2e_daemon_stop).
# Every one of the NFINAL final outcomes (the test's own count from the
# log) must be of category expired.
e2e_categories() {
	local mta=$1 nfinal=$2
	awk -F'\t' -v table="$E2E_TABLE" -v noreply="$E2E_DIR/noreply.remote" '
	# What the MTA logged when no server answered, as the test reads it
	function cause(s) {
		if (s ~ /Connection refused/) return "network network"
		if (s ~ /[Cc]onnection timed out|timed out while/)
			return "network network"
		if (s ~ /lost connection|[Cc]onnection closed|closed connection/)
			return "network network"
		# Exim: no router took it (our local domains, unknown user)
		if (s ~ /Unrouteable address/) return "domain_invalid recipient"
		return "(a cause not in the table of e2e_categories)"
	}
	BEGIN {
		while ((getline line < table) > 0) {
			if (line ~ /^#/ || line !~ / [|] /) continue
			nf = split(line, f, / [|] /)
			for (i = 1; i <= nf; i++) gsub(/^ +| +$/, "", f[i])
			if (f[1] ~ /^(ok|closed)\.test$/) continue
			cat[f[1]] = f[5] " " f[6]
		}
		while ((getline line < noreply) > 0) {
			split(line, f, "\t")
			n[f[1] " " cause(f[2])]++
		}
	}
	{
		if ($2 < 300) k = "delivered none"
		else if ($1 in cat) k = cat[$1]
		else k = "(no row in " table ")"
		n[$1 " " k]++
	}
	END {for (k in n) print k, n[k]}' "$E2E_DIR/record" \
	    > "$E2E_DIR/category.expected"
	e2e_sql "SELECT d.name, coalesce(v.category, '(none)'),
	    coalesce(v.blame, '(none)'), sum(c.n)
	    FROM (SELECT domain, outcome, reason, n FROM count_hour
	    UNION ALL SELECT domain, outcome, reason, n FROM count_day) c
	    JOIN outcome o ON o.id = c.outcome
	    JOIN domain d ON d.id = c.domain
	    LEFT JOIN verdict v ON v.outcome = c.outcome
	    AND v.reason = c.reason AND v.provider = d.provider
	    WHERE o.mta = '$mta' AND o.direction = 'out' AND o.kind = 'attempt'
	    AND o.hop = 'remote' GROUP BY 1, 2, 3" \
	    > "$E2E_DIR/category.actual"
	e2e_compare "remote attempts per (domain, category, blame) = sink record and log by the tables" \
	    "$E2E_DIR/category.expected" "$E2E_DIR/category.actual"
	grep -q ' network network ' "$E2E_DIR/category.expected" ||
	    bad "no remote attempt without a reply (closed.test) was checked"
	if [ -s "$E2E_DIR/view.category" ] &&
	    [ "$(head -1 "$E2E_DIR/view.category")" = domain,category,blame,count ]; then
		sed 1d "$E2E_DIR/view.category" | tr ',' ' ' \
		    > "$E2E_DIR/view.actual"
		e2e_compare "smtptally summary --by domain,category,blame (the client, the daemon's API) = the same" \
		    "$E2E_DIR/category.expected" "$E2E_DIR/view.actual"
	else
		bad "smtptally summary --by domain,category,blame: $(head -3 "$E2E_DIR/view.category" "$E2E_DIR/view.err")"
	fi
	echo "expired $nfinal" > "$E2E_DIR/finalcat.expected"
	e2e_sql "SELECT coalesce(v.category, '(none)'), sum(c.n)
	    FROM (SELECT domain, outcome, reason, n FROM count_hour
	    UNION ALL SELECT domain, outcome, reason, n FROM count_day) c
	    JOIN outcome o ON o.id = c.outcome
	    JOIN domain d ON d.id = c.domain
	    LEFT JOIN verdict v ON v.outcome = c.outcome
	    AND v.reason = c.reason AND v.provider = d.provider
	    WHERE o.mta = '$mta' AND o.direction = 'out' AND o.kind = 'final'
	    GROUP BY 1" > "$E2E_DIR/finalcat.actual"
	e2e_compare "final outcomes per category = log (all expired)" \
	    "$E2E_DIR/finalcat.expected" "$E2E_DIR/finalcat.actual"
	say "remote attempts per category (smtptally):"
	awk '{n[$2 "/" $3] += $4} END {for (k in n) print "    " k, n[k]}' \
	    "$E2E_DIR/category.actual" | sort
}

# e2e_unrecognised FMT FILE...: no line the parser does not recognise.
e2e_unrecognised() {
	local fmt=$1 f n
	shift
	: > "$E2E_DIR/unrecognised"
	for f in "$@"; do
		case $f in
		*.gz) gzip -dc "$f" ;;
		*) cat "$f" ;;
		esac
	done > "$E2E_DIR/all.log"
	"$e2e_build/tests/parsecount" -u -m "$fmt" "$E2E_DIR/all.log" |
	    grep '^U	' > "$E2E_DIR/unrecognised"
	n=$(wc -l < "$E2E_DIR/unrecognised")
	if [ "$n" = 0 ]; then
		say "ok: no unrecognised line in $(wc -l < "$E2E_DIR/all.log") log lines"
	else
		bad "$n unrecognised lines:"
		sed 's/^/    /' "$E2E_DIR/unrecognised" | head -20
	fi
	e2e_sql "SELECT result, sum(n) FROM lines_hour GROUP BY 1" |
	    sed "s/^/$e2e_name: smtptallyd lines: /"
	# Every line of every generation read exactly once, live, across the
	# rotation; none of them unrecognised by the daemon either.
	n=$(wc -l < "$E2E_DIR/all.log")
	read -r got unrec <<-EOT
	$(e2e_sql "SELECT coalesce(sum(n), 0), coalesce(sum(CASE WHEN
	    result NOT IN ('event', 'ignored', 'foreign') THEN n END), 0)
	    FROM lines_hour")
	EOT
	if [ "$got" = "$n" ] && [ "$unrec" = 0 ]; then
		say "ok: smtptallyd read $got lines = the log files' $n lines"
	else
		bad "smtptallyd read $got lines ($unrec not events or ignored), the log files hold $n"
	fi
}

# e2e_log_vs_sink FILE: a sanity check of the oracle itself: the remote
# replies the MTA logged (FILE: "domain code" lines from the test's own
# reading) against the sink's record.  A difference is the MTA's doing,
# not smtptally's, so it is only noted.
e2e_log_vs_sink() {
	awk '{n[$1 " " $2]++} END {for (k in n) print k, n[k]}' "$1" |
	    sort > "$E2E_DIR/logreply.count"
	if cmp -s "$E2E_DIR/logreply.count" "$E2E_DIR/reply.expected"; then
		say "ok: the MTA logged the replies the sink recorded"
	else
		say "note: the MTA's log and the sink's record differ:"
		diff "$E2E_DIR/reply.expected" "$E2E_DIR/logreply.count" |
		    grep '^[<>]' | sed 's/^/    /'
	fi
}

# Per-class summary of what smtptally counted, for the report.
e2e_summary() {
	local mta=$1
	say "smtptally counts ($mta, direction out):"
	e2e_sql "SELECT kind, status,
	    CASE WHEN reply <> 0 THEN (reply / 100) || 'xx'
	    ELSE 'no reply' END, sum(n) FROM counts
	    WHERE mta = '$mta' AND direction = 'out' GROUP BY 1, 2, 3
	    ORDER BY 1, 2, 3" | sed "s/^/    /"
}

e2e_end() {
	if [ "$e2e_fail" = 0 ]; then
		say "PASS ($SECONDS s)"
		[ -n "${E2E_KEEP:-}" ] || rm -rf "$E2E_DIR"
		exit 0
	fi
	say "FAIL ($SECONDS s); files kept in $E2E_DIR"
	exit 1
}
