#!/bin/sh
# The man pages match the programs: every option each program's --help
# names is in its man page, --version prints the project's version, and
# cmake --install puts programs, pages, example settings (which the
# programs accept) and the systemd unit in place.
# Usage: test-man-pages.sh BUILD_DIR SOURCE_DIR
set -eu
build=$1
src=$2
fail=0

check() { # program page
	prog=$1 page=$2
	opts=$("$build/$prog" --help | grep -o -- '--[a-z][a-z-]*' | sort -u)
	for o in $opts; do
		# troff writes each - of an option as \-
		esc=$(printf '%s' "$o" | sed 's/-/\\\\-/g')
		if ! grep -q -- "$esc" "$page"; then
			echo "FAIL: $prog --help has $o, $page does not"
			fail=1
		fi
	done
	"$build/$prog" --version | grep -q "^$prog [0-9]" ||
		{ echo "FAIL: $prog --version"; fail=1; }
	man -l "$page" >/dev/null 2>&1 || { echo "FAIL: $page does not render"; fail=1; }
}

check watchd "$src/docs/man/watchd.8"
check watchctl "$src/docs/man/watchctl.1"
check watchfloor "$src/docs/man/watchfloor.1"

dest=$(mktemp -d)
trap 'rm -rf "$dest"' EXIT
cmake --install "$build" --prefix "$dest" >/dev/null
for f in sbin/watchd bin/watchctl bin/watchfloor share/man/man1/watchfloor.1 \
    share/man/man1/watchctl.1 share/man/man8/watchd.8 \
    share/doc/watchfloor/examples/watchfloor.conf share/doc/watchfloor/examples/watchd.conf; do
	[ -e "$dest/$f" ] || { echo "FAIL: cmake --install did not put $f"; fail=1; }
done
# The example settings are valid settings, for each program that reads them.
for check in "watchd $src/docs/config/watchd.conf" "watchfloor $src/docs/config/watchfloor.conf" \
    "watchctl $src/docs/config/watchfloor.conf"; do
	set -- $check
	"$build/$1" --check-config --config "$2" >/dev/null ||
		{ echo "FAIL: $1 --check-config --config $2"; fail=1; }
done
# The unit names watchd where the configured prefix installs it.
unit=$(find "$dest" -name watchd.service)
if [ -z "$unit" ] || ! grep -q "^ExecStart=/.*/sbin/watchd --db " "$unit"; then
	echo "FAIL: the systemd unit is missing or does not run watchd from its sbin"
	fail=1
fi
[ "$fail" = 0 ] && echo "man pages, --version and install: ok"
exit "$fail"
