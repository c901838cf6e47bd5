#!/bin/sh
# install.sh: `make install DESTDIR=...` into a scratch directory, then
# check what a postmaster gets: the binaries, the default config, the
# sysusers file, the systemd units (systemd-analyze verify, exposure from
# systemd-analyze security <= 2.0) and the man pages (man -l and groff
# render them without a warning).  Exit 0 pass, 1 fail, 77 skip.
#
# The units name their programs by the installed path ($(sbindir)/...);
# verify checks those exist, so it runs on copies whose paths point into
# DESTDIR.  Nothing outside the scratch directory is written.

: "${top_builddir:=.}"

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }
pass() { echo "ok: $*"; }

command -v systemd-analyze >/dev/null 2>&1 || skip "no systemd-analyze"
command -v man >/dev/null 2>&1 || skip "no man(1)"

T=$(mktemp -d "${TMPDIR:-/tmp}/smtptally-install.XXXXXX") || fail "mktemp"
trap 'rm -rf "$T"' EXIT
trap 'exit 1' INT TERM
D=$T/root

# MAKEFLAGS from an outer `make check` may carry -j and jobserver fds:
# the nested install needs neither.
MAKEFLAGS= make -C "$top_builddir" install DESTDIR="$D" >"$T/make.log" 2>&1 ||
    { cat "$T/make.log"; fail "make install"; }
pass "make install DESTDIR"

# One installed file by name (the layout depends on configure).
find_one() {
	f=$(find "$D" -name "$1" -type f | head -n 1)
	[ -n "$f" ] || fail "$1 not installed"
	echo "$f"
}

daemon=$(find_one smtptallyd)
# (the bash completion is a file named smtptally too)
client=$(find "$D" -path '*bin/smtptally' -type f | head -n 1)
[ -x "$daemon" ] && [ -x "$client" ] || fail "programs not executable"
conf=$(find_one smtptallyd.conf)
case $conf in */smtptally/smtptallyd.conf) ;; *) fail "config at $conf" ;; esac
grep -q '^#retention_days = 90$' "$conf" || fail "config defaults"
pass "programs and default config"

# Installing again keeps a changed config.
echo "# changed" >> "$conf"
MAKEFLAGS= make -C "$top_builddir" install DESTDIR="$D" >"$T/make.log" 2>&1 ||
    { cat "$T/make.log"; fail "second make install"; }
tail -n 1 "$conf" | grep -q '^# changed$' || fail "config overwritten"
pass "a changed config survives make install"

# --- systemd units -------------------------------------------------------
service=$(find "$D" -name smtptallyd.service -type f | head -n 1)
if [ -z "$service" ]; then
	# only a machine without systemd's pkg-config file may lack units
	pkg-config --exists systemd 2>/dev/null &&
	    fail "systemd is here (pkg-config) but no unit was installed"
	echo "configured without a unit directory (no systemd): units not checked"
else
	unitdir=$(dirname "$service")
	mkdir "$T/units"
	for u in smtptallyd.service smtptally-report.service \
	    smtptally-report.timer; do
		[ -f "$unitdir/$u" ] || fail "$u not installed"
		cp "$unitdir/$u" "$T/units/$u"
		# Point Exec*= programs that were installed into DESTDIR.
		for cmd in $(sed -n 's/^Exec[A-Za-z]*=[-@!+:]*\(\/[^ ]*\).*/\1/p' \
		    "$unitdir/$u"); do
			if [ -x "$D$cmd" ]; then
				sed "s|=$cmd|=$D$cmd|" "$T/units/$u" > "$T/u" &&
				    mv "$T/u" "$T/units/$u"
			fi
		done
	done
	grep -q "^ExecStart=$D/" "$T/units/smtptallyd.service" ||
	    fail "ExecStart does not name the installed smtptallyd"
	systemd-analyze verify --man=no "$T/units/smtptallyd.service" \
	    "$T/units/smtptally-report.service" \
	    "$T/units/smtptally-report.timer" > "$T/verify" 2>&1
	rc=$?
	if [ $rc -ne 0 ] || [ -s "$T/verify" ]; then
		cat "$T/verify"
		fail "systemd-analyze verify (exit $rc)"
	fi
	pass "systemd-analyze verify on the installed units"

	systemd-analyze security --offline=yes "$T/units/smtptallyd.service" \
	    > "$T/security" 2>&1 || { cat "$T/security"; fail "security"; }
	level=$(sed -n 's/.*Overall exposure level for smtptallyd.service: \([0-9.]*\).*/\1/p' \
	    "$T/security")
	[ -n "$level" ] || { cat "$T/security"; fail "no exposure level"; }
	awk -v l="$level" 'BEGIN { exit !(l <= 2.0) }' ||
	    fail "exposure $level > 2.0"
	pass "exposure level $level (<= 2.0)"

	sysusers=$(find "$D" -path '*sysusers.d/smtptally.conf' -type f)
	[ -n "$sysusers" ] || fail "sysusers.d/smtptally.conf not installed"
	if command -v systemd-sysusers >/dev/null 2>&1; then
		systemd-sysusers --dry-run "$sysusers" > "$T/sysusers" 2>&1 ||
		    { cat "$T/sysusers"; fail "systemd-sysusers"; }
		pass "systemd-sysusers --dry-run reads the sysusers file"
	fi
fi

# --- man pages ----------------------------------------------------------
for page in smtptallyd.8 smtptally.1 smtptallyd.conf.5; do
	f=$(find_one "$page")
	LC_ALL=C.UTF-8 MANROFFSEQ='' MANWIDTH=80 man --warnings -E UTF-8 \
	    -l "$f" > "$T/out" 2> "$T/err"
	if [ -s "$T/err" ] || [ ! -s "$T/out" ]; then
		cat "$T/err"
		fail "man -l $page"
	fi
	if command -v groff >/dev/null 2>&1; then
		# all warnings but "break": a long --prefix (distcheck) puts
		# paths in the page that cannot be justified nicely
		groff -mandoc -ww -Wbreak -z "$f" > "$T/err" 2>&1
		[ -s "$T/err" ] && { cat "$T/err"; fail "groff -ww $page"; }
	fi
	if command -v mandoc >/dev/null 2>&1; then
		mandoc -T lint -W warning "$f" > "$T/err" 2>&1
		[ -s "$T/err" ] && { cat "$T/err"; fail "mandoc -T lint $page"; }
	fi
	pass "man -l $page without warnings"
done
exit 0
