# Sourced by tools/demo.sh and tools/check.sh: install what a Debian 12
# machine lacks to build smtptally and run its tests.  Only as root, only
# packages that are missing, so a second run does not touch the network.

SMTPTALLY_BUILD_DEPS="build-essential autoconf automake libtool pkgconf
libevent-dev libsqlite3-dev libjansson-dev zlib1g-dev check
libsystemd-dev"
SMTPTALLY_TEST_DEPS="sqlite3 logrotate curl clang libclang-rt-14-dev
prometheus jq systemd man-db groff-base mandoc procps psmisc util-linux gzip python3
systemd-journal-remote chromium"

deps_install() {
	missing=
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
		    grep -q 'install ok installed' || missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	if [ "$(id -u)" != 0 ]; then
		echo "smtptally: missing Debian packages:$missing" >&2
		echo "smtptally: run as root, or: apt-get install$missing" >&2
		return 1
	fi
	echo "smtptally: installing$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >/dev/null &&
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
}
