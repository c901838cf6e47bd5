#!/bin/bash
# bench/catchup.sh: the ingest benchmarks of issue 3.
#
# usage: bench/catchup.sh [oneshot|live|all]      (default all)
#
# oneshot: on a 100 MB and a 1 GB generated Postfix log, in the same run:
#   smtptallyd --oneshot into a fresh database, pflogsumm, and mtail
#   (bench/mtail/smtptally.mtail: domain x status x code) in one-shot mode.
#   Wall time, GB/s, ratios, peak RSS (/usr/bin/time), and an exact check
#   of the database against the generator's record.  One run each: the
#   other tools take minutes on 1 GB.
# live: smtptallyd follows a log while bench/gen appends 100,000 lines/s for
#   60 s (LIVE_RATE, LIVE_SECONDS); a probe line every 2 s is timed from its
#   write(2) until sqlite3 sees it in count_hour; the daemon's CPU share
#   comes from /proc/PID/stat.  Exact counts checked after it caught up.
# A component that is not built yet is reported as "not measured".

set -u
. "$(dirname "$0")/lib.sh"

what=${1:-all}
PFLOGSUMM=${PFLOGSUMM:-/usr/sbin/pflogsumm}
MTAIL=${MTAIL:-/usr/bin/mtail}
LIVE_RATE=${LIVE_RATE:-100000}
LIVE_SECONDS=${LIVE_SECONDS:-60}
SIZES=${SIZES:-100m 1g}		# log sizes for oneshot (k, m or g suffix)
DAEMON_ARGS=${DAEMON_ARGS:-}	# extra smtptallyd options, e.g. --commit-interval 500
[ -x $TIMEV ] || die "/usr/bin/time missing (apt-get install time)"

build bench/gen tests/dbtool || die "build failed"
daemon=$(daemon_path)

# Sum of counts in DB by reply, in the expected file's "reply" format.
db_replies() {
	# tests/dbtool's view "counts" reads hour rows and folded days
	# alike; the generator does not know filter hops, so all hops count.
	"$BUILD/tests/dbtool" sql "$1" "SELECT 'reply', mta, direction,
	    kind, status, reply, sum(n) FROM counts
	    GROUP BY mta, direction, kind, status, reply" | sort
}

# Compare DB with the generator's record EXP; prints "exact" or the diff.
check_db() {
	local d
	if d=$(diff <(grep '^reply ' "$2" | sort) <(db_replies "$1")); then
		echo "exact"
	else
		echo "MISMATCH:"
		printf '%s\n' "$d"
	fi
}

oneshot() {
	local label file size exp progs
	progs=$BENCH_DIR/mtail-progs
	rm -rf "$progs" && mkdir -p "$progs" &&
	    cp "$SRCDIR/bench/mtail/smtptally.mtail" "$progs/"
	echo "catch-up benchmark (one run each, warm page cache)"
	echo "machine: $(machine)"
	echo
	echo "| log | tool | wall s | GB/s | peak RSS MiB | counts |"
	echo "|---|---|---:|---:|---:|---|"
	for label in $SIZES; do
		file=$BENCH_DIR/postfix-$label.log
		gen_log postfix "$(echo "$label" | tr kmg KMG)" "$file"
		exp=$file.exp
		size=$(fsize "$file")
		warm "$file"
		declare -A t=() r=()

		# wc -l, the floor: reading the file once (issue 11 asks for
		# smtptallyd >= 0.12 x its speed).
		timed wc -l "$file" || say "wc failed"
		t[wc]=$T
		echo "| $label | wc -l | $T | $(gbps "$size" "$T") |" \
		    "$(awk -v k="$RSS" 'BEGIN{printf "%.1f", k/1024}') | |"

		if [ -n "$daemon" ]; then
			db=$BENCH_DIR/catchup-$label.db
			rm -f "$db" "$db"-* "$BENCH_DIR/catchup.sock"
			# shellcheck disable=SC2086
			if timed "$daemon" --oneshot --db "$db" $DAEMON_ARGS \
			    --socket "$BENCH_DIR/catchup.sock" \
			    --follow "postfix:$file"; then
				t[smtptallyd]=$T r[smtptallyd]=$RSS
				c=$(check_db "$db" "$exp")
			else
				c="FAILED: $(tail -1 "$BENCH_DIR/last.err")"
				t[smtptallyd]=$T r[smtptallyd]=$RSS
			fi
			echo "| $label | smtptallyd --oneshot | ${t[smtptallyd]} |" \
			    "$(gbps "$size" "${t[smtptallyd]}") |" \
			    "$(awk -v k="${r[smtptallyd]}" 'BEGIN{printf "%.1f", k/1024}') |" \
			    "$(echo "$c" | head -1) |"
			[ "$(echo "$c" | head -1)" = exact ] || say "$c"
		else
			echo "| $label | smtptallyd --oneshot | not measured: smtptallyd not built yet | | | |"
		fi

		timed "$PFLOGSUMM" "$file" || say "pflogsumm failed"
		t[pflogsumm]=$T r[pflogsumm]=$RSS
		pd=$(sed -n 's/^ *\([0-9]*[km]\{0,1\}\)  *delivered$/\1/p' "$BENCH_DIR/last.out")
		echo "| $label | pflogsumm | $T | $(gbps "$size" "$T") |" \
		    "$(awk -v k="$RSS" 'BEGIN{printf "%.1f", k/1024}') |" \
		    "delivered $pd (expected sent attempts $(awk '$1=="event" && $5=="sent" && $4=="attempt" {s+=$6} END{print s}' "$exp")) |"

		timed "$MTAIL" --one_shot --progs "$progs" --logs "$file" ||
		    say "mtail failed"
		t[mtail]=$T r[mtail]=$RSS
		mt=$(jq '[.smtp_reply[0].LabelValues[].Value.Value] | add' \
		    "$BENCH_DIR/last.out" 2>/dev/null)
		echo "| $label | mtail --one_shot | $T | $(gbps "$size" "$T") |" \
		    "$(awk -v k="$RSS" 'BEGIN{printf "%.1f", k/1024}') |" \
		    "total $mt (expected events $(grep '^events ' "$exp" | cut -d' ' -f2)) |"

		if [ -n "${t[smtptallyd]:-}" ]; then
			echo "| $label | ratio wc/smtptallyd (speed vs wc -l) |" \
			    "$(ratio "${t[wc]}" "${t[smtptallyd]}") | | | |"
			echo "| $label | ratio smtptallyd/pflogsumm |" \
			    "$(ratio "${t[pflogsumm]}" "${t[smtptallyd]}")x | | | |"
			echo "| $label | ratio smtptallyd/mtail |" \
			    "$(ratio "${t[mtail]}" "${t[smtptallyd]}")x | | | |"
		fi
		unset t r
	done
	echo
	echo "targets: >= 1 GB/s, >= 60x pflogsumm, >= 30x mtail, RSS <= 32 MiB and the same for 100 MB and 1 GB"
}

# Ticks of user+system CPU used so far by PID.
cputicks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

live() {
	local log=$BENCH_DIR/live.log db=$BENCH_DIR/live.db
	local sock=$BENCH_DIR/live.sock probes=$BENCH_DIR/live.probes
	local dpid gpid c0 c1 t0 t1 hz n line delays=() now c stop='' last
	[ -n "$daemon" ] || {
		echo "live benchmark: not measured (smtptallyd not built yet)"
		return 0
	}
	rm -f "$log" "$db" "$db"-* "$sock" "$probes" "$log.exp"
	: >"$log"
	# shellcheck disable=SC2086
	"$daemon" -d --db "$db" --socket "$sock" --follow "postfix:$log" $DAEMON_ARGS \
	    2>"$BENCH_DIR/live.daemon.err" &
	dpid=$!
	for _ in $(seq 50); do
		[ -s "$db" ] && break
		sleep 0.1
	done
	kill -0 $dpid 2>/dev/null || die "daemon did not start: $(tail -3 "$BENCH_DIR/live.daemon.err")"
	hz=$(getconf CLK_TCK)
	c0=$(cputicks $dpid) t0=$(now_ns)
	"$GEN" -f postfix --live "$LIVE_RATE" --duration "$LIVE_SECONDS" \
	    --probe-every 2 --probe-log "$probes" -o "$log" -e "$log.exp" \
	    --seed "$SEED" &
	gpid=$!

	# One sqlite3 process polls every 20 ms for probe domains.
	coproc SQ { sqlite3 -batch "$db" 2>/dev/null; }
	declare -A visible=()
	while :; do
		printf '%s\n' "SELECT d.name FROM domain d WHERE d.name LIKE 'probe-%' AND EXISTS (SELECT 1 FROM count_hour c WHERE c.domain = d.id);" "SELECT '__END__';" >&"${SQ[1]}"
		now=$(now_ns)
		while read -r line <&"${SQ[0]}"; do
			[ "$line" = __END__ ] && break
			n=${line#probe-}; n=${n%%.*}
			[ -n "${visible[$n]:-}" ] || visible[$n]=$now
		done
		if ! kill -0 $gpid 2>/dev/null; then
			# writer done: wait for the last probe, 10 s at most
			[ -z "$stop" ] && stop=$(( $(now_ns) + 10000000000 ))
			last=$(tail -1 "$probes" 2>/dev/null | cut -d' ' -f1)
			[ -n "${visible[${last:-x}]:-}" ] && break
			[ "$(now_ns)" -gt "$stop" ] && break
		fi
		sleep 0.02
	done
	c1=$(cputicks $dpid) t1=$(now_ns)
	wait $gpid
	while read -r n tw; do
		[ -n "${visible[$n]:-}" ] || { delays+=(lost); continue; }
		delays+=("$(awk -v v="${visible[$n]}" -v w="$tw" 'BEGIN { printf "%.3f", v / 1e9 - w }')")
	done <"$probes"

	# caught up?  then exact counts
	for _ in $(seq 100); do
		[ "$(sqlite3 "$db" "SELECT sum(offset) FROM source")" = "$(fsize "$log")" ] && break
		sleep 0.2
	done
	c=$(check_db "$db" "$log.exp")
	kill -TERM $dpid; wait $dpid
	kill "$SQ_PID" 2>/dev/null

	echo "live benchmark: $LIVE_RATE lines/s for $LIVE_SECONDS s${DAEMON_ARGS:+, smtptallyd $DAEMON_ARGS}"
	echo "machine: $(machine)"
	echo "lines written: $(grep '^lines ' "$log.exp" | cut -d' ' -f2), bytes: $(fsize "$log")"
	echo "daemon CPU: $(awk -v a="$c0" -v b="$c1" -v hz="$hz" -v s="$t0" -v e="$t1" 'BEGIN { printf "%.1f%% of one core", 100 * (b - a) / hz / ((e - s) / 1e9) }') over $(secs "$t0" "$t1") s"
	echo "probe delays (write -> visible to sqlite3), s: ${delays[*]}"
	# shellcheck disable=SC2046
	echo "delay median: $(median $(printf '%s\n' "${delays[@]}" | grep -v lost)) s, max: $(printf '%s\n' "${delays[@]}" | grep -v lost | sort -g | tail -1) s, lost: $(printf '%s\n' "${delays[@]}" | grep -c lost) (target <= 1 s; poll interval 20 ms)"
	echo "counts after catching up: $(echo "$c" | head -1)"
	[ "$(echo "$c" | head -1)" = exact ] || say "$c"
}

case $what in
oneshot) oneshot ;;
live) live ;;
all) oneshot; echo; live ;;
*) die "usage: bench/catchup.sh [oneshot|live|all]" ;;
esac
