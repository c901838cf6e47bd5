#!/bin/sh
# Corpus test: the parser over every file of the shared corpus of real
# Postfix and Exim logs.  For each file the events the parser reports, by
# MTA, direction, kind and status, and by hop (remote, mailbox, filter,
# discard), must equal a count made here by other
# means (grep and awk over the structure of the lines), and so must, for
# Postfix, the deliveries by domain and enhanced code and our rejections
# by code; no line that looks like a delivery may be left unrecognised.
# Skips (77) when the corpus is absent: it is a workspace aid, not part
# of the project.
set -u

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
corpus=${SMTPTALLY_CORPUS:-$top_srcdir/../shared/corpus}
parsecount=$top_builddir/tests/parsecount

if [ ! -d "$corpus/postfix" ] || [ ! -d "$corpus/exim" ]; then
	echo "corpus: $corpus not found, skipping"
	exit 77
fi
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
fail=0

# Independent count for a Postfix file, in parsecount's "event ..." form.
# $2 = 1 when lines are message parts without the syslog prefix.
postfix_count() {
	LC_ALL=C awk -v bare="$2" '
	{
		msg = $0
		svc = ""
		if (!bare) {
			# the message follows "postfix.../service[pid]: "
			if (!match($0, / postfix[^ ]*\/[^ \[]+\[[0-9]+\]: +/))
				next
			msg = substr($0, RSTART + RLENGTH)
			svc = substr($0, RSTART, RLENGTH)
			sub(/\[.*/, "", svc)
			sub(/.*\//, "", svc)
		}
		if (msg !~ /^(NOQUEUE|[0-9A-Za-z]+): /)
			next
		sub(/^[^:]*: /, "", msg)
		if (msg ~ /^(milter-)?reject: /) {
			n["postfix in attempt rejected"]++
			h["postfix remote"]++
			next
		}
		if (msg ~ /^from=<[^>]*>, status=expired/) {
			n["postfix out final expired"]++
			h["postfix remote"]++
			next
		}
		if (msg !~ /^to=/ || !match(msg, /, status=[a-z-]+/))
			next
		st = substr(msg, RSTART + 9, RLENGTH - 9)
		# where it went: the program, and the relay'"'"'s address
		hop = "remote"
		relay = ""
		if (match(msg, /, relay=[^,]*/))
			relay = substr(msg, RSTART + 8, RLENGTH - 8)
		if (st ~ /deliverable/)
			hop = "remote"	# verify probes: no hop
		else if (svc == "discard")
			hop = "discard"
		else {
			if (svc ~ /^(local|virtual|pipe)$/ ||
			    (svc == "" && relay ~ /^(local|virtual)$/))
				hop = "mailbox"
			if (relay ~ /\[(ipv6:)?(127\.[^]]+|::1|::ffff:127\.[^]]+|[^]]*\/[^]]*)\]/)
				hop = svc == "lmtp" ? "mailbox" : "filter"
		}
		h["postfix " hop]++
		if (st == "deferred" && msg ~ /status=deferred \(delivery temporarily suspended: /)
			n["postfix out skip deferred"]++
		else if (st ~ /^undeliverable/)
			n["postfix out verify undeliverable"]++
		else if (st ~ /^deliverable/)
			n["postfix out verify deliverable"]++
		else
			n["postfix out attempt " st]++
		if (msg ~ /status=deferred \(delivery temporarily suspended: /)
			next
		# the reply said by the next hop, if any
		text = msg
		sub(/^.*, status=[a-z-]+ \(/, "", text)
		sub(/^host [^ ]+ (said|refused to talk to me): /, "", text)
		if (text ~ /^[2-5][0-9][0-9]([ -]|$)/)
			r[substr(text, 1, 3)]++
	}
	END {
		for (k in n) print "event " k " " n[k]
		for (k in r) print "reply " k " " r[k]
		for (k in h) print "hop " k " " h[k]
	}' "$1" | sort
}

# Independent reading of a Postfix file's recipients and codes, from the
# words Postfix writes (not from what the parser makes of them):
#   dom DOMAIN ENH n	outgoing deliveries by the domain of to=<...>
#			(lower case, no final dot; "(none)" without one; a
#			queue-level "from=<...>, status=expired" names no
#			recipient) and the enhanced code: the one the reply in
#			the parentheses gives after its code (after "said: "),
#			else dsn=, else "-";
#   rej REPLY ENH n	our smtpd's rejections by the code and the enhanced
#			code that follow the client "from NAME[ADDR]: " (0 and
#			"-" when there is none).
postfix_keys() {
	LC_ALL=C awk -v bare="$2" '
	!bare && !/ postfix[^ ]*\/[^ \[]+\[[0-9]+\]: +/ { next }
	/: to=/ && /, status=/ {
		d = "(none)"
		if (match($0, /: to=<[^>]*@[^>]*>/) ||
		    match($0, /: to=[^<, ]*@[^, ]*,/)) {
			d = substr($0, RSTART + 5, RLENGTH - 5)
			sub(/^</, "", d)
			sub(/[>,]$/, "", d)
			sub(/.*@/, "", d)
			sub(/\.$/, "", d)
			d = d == "" ? "(none)" : tolower(d)
		}
		e = "-"
		if (match($0, /, dsn=[0-9.]+/))
			e = substr($0, RSTART + 6, RLENGTH - 6)
		if (match($0, /, status=[a-z]+ \(/)) {
			t = substr($0, RSTART + RLENGTH)
			if (match(t, /said: [2-5][0-9][0-9][ -]/))
				t = substr(t, RSTART + 6)
			if (match(t, /^[2-5][0-9][0-9][ -][245]\.[0-9]+\.[0-9]+/))
				e = substr(t, 5, RLENGTH - 4)
		}
		k["dom " d " " e]++
		next
	}
	/: from=<[^>]*>, status=expired/ { k["dom (none) -"]++; next }
	/(NOQUEUE|[0-9A-Za-z]+): ((milter|proxy)-)?reject: / {
		c = 0
		e = "-"
		if (match($0, / from [^ ]*\[[^]]*\](:[0-9]+)?: /)) {
			t = substr($0, RSTART + RLENGTH)
			if (t ~ /^[2-5][0-9][0-9] /) {
				c = substr(t, 1, 3)
				t = substr(t, 5)
			}
			if (match(t, /^[245]\.[0-9]+\.[0-9]+/))
				e = substr(t, 1, RLENGTH)
		}
		k["rej " c " " e]++
	}
	END { for (x in k) print x " " k[x] }' "$1" | sort
}

# Independent count for an Exim main log.  The texts of defers made
# without contacting a host, and of giving up, are those of Exim's
# deliver.c, retry.c and transports/smtp.c (issue 9), written here as
# regular expressions over Exim's own part of the line.
exim_count() {
	LC_ALL=C awk '
	BEGIN {
		own = "(: | : |defer [(]-?[0-9]+[)]( DT=[^ :]+)?: )"
		noattempt = own "(retry time not reached|Retry time not yet reached|reusing SMTP connection skips previous routing defer|domain is held|hold_domains lookup deferred|cannot check percent_hack_domains|domain is in queue_domains|queue_domains lookup deferred|remote deliveries suppressed|concurrency limit reached for transport|first-pass only routing due to -odqs|domain matches queue_smtp_domains, or -odqs set|SMTP delivery explicitly queued|no host found for existing SMTP connection|connection limit reached for all hosts)"
		giveup = own "(retry timeout exceeded|all hosts( for [^ ]+)? have been failing for a long time|retry time not reached for any host after a long failure period)"
	}
	{
		line = $0
		# Exim through syslog: drop the syslog part
		sub(/^[A-Z][a-z][a-z] +[0-9]+ [0-9:]+ [^ ]+ exim[0-9]*\[[0-9]+\]: /, "", line)
		if (!match(line, /^[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9] [0-9:.]+ ([-+][0-9][0-9][0-9][0-9] )?(\[[0-9]+\] )?/))
			next
		line = substr(line, RLENGTH + 1)
		# message id: 6-6-2 or (Exim 4.97+) 6-11-4 base-62 characters
		id = line
		sub(/ .*/, "", id)
		if (id ~ /[^0-9A-Za-z-]/ || length(id) != 16 && length(id) != 23)
			next
		if (length(id) == 16 && (substr(id, 7, 1) != "-" || substr(id, 14, 1) != "-"))
			next
		if (length(id) == 23 && (substr(id, 7, 1) != "-" || substr(id, 19, 1) != "-"))
			next
		sub(/^[^ ]+ /, "", line)
		flag = substr(line, 1, 3)
		if (flag == "=> " || flag == "-> " || flag == "*> ") {
			if (match(line, / C="[2-5][0-9][0-9]/))
				r[substr(line, RSTART + 4, 3)]++
		} else if (flag == "** " || flag == "== ") {
			if (match(line, /SMTP error from remote mail server after /)) {
				text = substr(line, RSTART + RLENGTH)
				if (match(text, /: [2-5][0-9][0-9]( |-|$)/))
					r[substr(text, RSTART + 2, 3)]++
			}
		}
		# where it went: a pipe, file or autoreply is a mailbox,
		# :blackhole: a discard, a remote host on the loopback a
		# filter, a delivery with no remote host a mailbox
		addr = substr(line, 4)
		sub(/ .*/, "", addr)
		hop = "remote"
		if (addr ~ /^[|\/>]/ || substr(line, 4, 5) == "save ")
			hop = "mailbox"
		else if (addr == ":blackhole:" || (flag != "== " && flag != "** " && addr == "discarded"))
			hop = "discard"
		else if (match(line, / H=[^ ]+ \[[^]]*\]/)) {
			ha = substr(line, RSTART, RLENGTH)
			sub(/^[^[]*\[/, "", ha)
			if (ha ~ /^(127\.|::1\]|::ffff:127\.)/)
				hop = "filter"
		} else if (flag == "=> " || flag == "-> ")
			hop = "mailbox"
		if (flag ~ /^(=>|->|\*>|\*\*|==) $/)
			h["exim " hop]++
		if (flag == "=> " || flag == "-> ")
			n["exim out attempt sent"]++
		else if (flag == "*> ")
			n["exim out skip sent"]++
		else if (flag == "** ") {
			if (line ~ giveup)
				n["exim out final expired"]++
			else
				n["exim out attempt bounced"]++
		} else if (flag == "== ") {
			if (line ~ noattempt || line ~ giveup)
				n["exim out skip deferred"]++
			else
				n["exim out attempt deferred"]++
		}
	}
	END {
		for (k in n) print "event " k " " n[k]
		for (k in r) print "reply " k " " r[k]
		for (k in h) print "hop " k " " h[k]
	}' "$1" | sort
}

check() {	# file mta bare
	f=$1; mta=$2; bare=$3
	name=$(basename "$f")
	if [ "$bare" = 1 ]; then flags="-M -m $mta"; else flags="-m $mta"; fi
	# shellcheck disable=SC2086
	if ! "$parsecount" -e -u $flags "$f" > "$tmp/out"; then
		echo "FAIL $name: parsecount crashed"
		fail=1
		return
	fi
	{
		grep -E '^(event|hop) ' "$tmp/out"
		# replies said on outgoing deliveries (column 7 of -e output)
		awk -F '\t' '$1 == "E" && $4 == "out" && $7 != 0 { r[$7]++ }
		    END { for (k in r) print "reply " k " " r[k] }' "$tmp/out"
		# Postfix: domains and enhanced codes out, codes in
		[ "$mta" = postfix ] && awk -F '\t' '$1 == "E" {
			if ($4 == "out") k["dom " $9 " " $8]++
			else k["rej " $7 " " $8]++
		    } END { for (x in k) print x " " k[x] }' "$tmp/out"
	} | sort > "$tmp/got"
	{
		"${mta}_count" "$f" "$bare"
		[ "$mta" != postfix ] || postfix_keys "$f" "$bare"
	} | sort > "$tmp/want"
	[ -n "${CORPUS_DEBUG:-}" ] && cat "$tmp/want"
	if ! cmp -s "$tmp/got" "$tmp/want"; then
		echo "FAIL $name: parser and independent count differ"
		diff "$tmp/want" "$tmp/got" | sed 's/^/    /'
		fail=1
	fi
	# An unrecognised line that looks like a delivery is a parser bug.
	grep '^U	' "$tmp/out" | grep -E 'status=|NOQUEUE: |reject: | (=>|->|\*\*|==) ' \
	    > "$tmp/bad" && {
		echo "FAIL $name: delivery lines left unrecognised:"
		head -5 "$tmp/bad" | cut -c1-200 | sed 's/^/    /'
		fail=1
	}
	printf 'ok   %-45s %s events, %s unrecognised of %s lines\n' "$name" \
	    "$(awk '$1 == "event" {s += $NF} END {print s + 0}' "$tmp/got")" \
	    "$(awk '$1 == "unrecognised" {print $2}' "$tmp/out")" \
	    "$(awk '$1 == "lines" {print $2}' "$tmp/out")"
}

n=0
for f in "$corpus"/postfix/*.log; do
	bare=0
	# one source has the message part only (see the corpus README)
	case $f in *whyscream-postfix-grok-patterns.log) bare=1 ;; esac
	check "$f" postfix "$bare"
	n=$((n + 1))
done
for f in "$corpus"/exim/*.log; do
	check "$f" exim 0
	n=$((n + 1))
done
[ "$n" -gt 0 ] || { echo "corpus: no files"; exit 1; }
exit $fail
