#!/bin/sh
# The bash completion: commands, a command's options (from the client's
# own help), an option's words, and --by's comma-separated keys.
: "${top_srcdir:=.}" "${top_builddir:=.}"
command -v bash >/dev/null 2>&1 || { echo "SKIP: no bash"; exit 77; }
COMP=$top_srcdir/completion/smtptally
PATH=$top_builddir:$PATH bash -c '
	. "$1"
	c() { COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _smtptally; echo "${COMPREPLY[*]}"; }
	fail() { echo "FAIL: $*"; exit 1; }
	[ "$(c smtptally su)" = "summary" ] || fail "command: $(c smtptally su)"
	[ "$(c smtptally top --dir)" = "--direction" ] || fail "option: $(c smtptally top --dir)"
	[ "$(c smtptally domain gmail.com --sin)" = "--since" ] || fail "after NAME"
	[ "$(c smtptally top --direction "")" = "out in all" ] || fail "words: $(c smtptally top --direction "")"
	[ "$(c smtptally summary --by class,ho)" = "class,hop class,host class,hour" ] || fail "by: $(c smtptally summary --by class,ho)"
	case " $(c smtptally top --) " in *" --by "*) fail "top offers --by";; esac
	[ "$(c smtptally help re)" = "reasons report" ] || fail "help: $(c smtptally help re)"
	[ "$(c smtptally del)" = "delays" ] || fail "delays: $(c smtptally del)"
	[ "$(c smtptally unr)" = "unrecognised" ] || fail "unrecognised: $(c smtptally unr)"
	[ "$(c smtptally delays --by "")" = "domain provider" ] || fail "delays --by: $(c smtptally delays --by "")"
	echo PASS
' sh "$COMP"
