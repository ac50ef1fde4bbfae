#!/bin/sh
# The end-to-end tests (tests/e2e, test-console-*) with every program they
# start (watchfloor, watchd, watchctl) under valgrind's memcheck:
#
#   sh tests/valgrind/run.sh BUILD [ctest options...]
#
# BUILD is a normal build (RelWithDebInfo, no sanitizers: valgrind and
# AddressSanitizer do not mix). The tests are the list the build writes to
# BUILD/valgrind (tests/e2e/CMakeLists.txt): each runs with
# WATCHFLOOR_VALGRIND=1, which makes the harness start the programs under
# memcheck and stretch its deadlines (tests/support/test-valgrind.h), and
# each program writes BUILD/valgrind-logs/TEST.PROGRAM.PID.log.
#
# The run fails when a test fails (a program memcheck failed exits with
# status 99, which fails the test that reaps it), and also when any log
# says memcheck found an error: a log whose program ended must say
# "ERROR SUMMARY: 0 errors", and a log whose program was killed before it
# could end (so memcheck never checked it for leaks) must show no error
# and must be one of the kills the tests make on purpose (below).
# Suppressions: tests/valgrind/watchfloor.supp. Extra valgrind options may
# go in VALGRIND_OPTS (the harness's own, which come after, win).
set -eu

if [ $# -lt 1 ]; then
	echo "usage: sh tests/valgrind/run.sh BUILD [ctest options...]" >&2
	exit 2
fi
build=$(cd "$1" && pwd)
shift
if ! command -v valgrind >/dev/null; then
	echo "valgrind: not installed (VALGRIND=1 sh .ci/setup installs it)" >&2
	exit 1
fi
if [ ! -f "$build/valgrind/CTestTestfile.cmake" ]; then
	echo "valgrind: $build/valgrind has no test list: configure and build $build first" >&2
	exit 1
fi

# Programs killed on purpose, as TEST.PROGRAM with how many of its logs may
# be unfinished: the hub that test-console-hub kills with SIGKILL to show
# the consoles its death (the hub it starts again ends normally).
expected_kills="test-console-hub.watchd:1"

logs="$build/valgrind-logs"
rm -rf "$logs"
mkdir -p "$logs"
export WATCHFLOOR_VALGRIND=1 WATCHFLOOR_VALGRIND_LOGS="$logs"

status=0
start=$(date +%s)
ctest --test-dir "$build/valgrind" --output-on-failure -j "$(nproc)" "$@" || status=1
took=$(($(date +%s) - start))

total=0 clean=0 killed=0 bad=""
for f in "$logs"/*.log; do
	[ -e "$f" ] || continue
	total=$((total + 1))
	if grep -q "ERROR SUMMARY:" "$f"; then
		if grep -q "ERROR SUMMARY: 0 errors" "$f"; then
			clean=$((clean + 1))
		else
			bad="$bad $f"
		fi
		continue
	fi
	# No summary: killed before it could end. A stack in the log is an
	# error memcheck reported while it ran.
	killed=$((killed + 1))
	if grep -Eq "^==[0-9]+== +(at|by) 0x" "$f"; then
		bad="$bad $f"
	fi
done

# Unfinished logs beyond the expected kills: programs memcheck never
# checked for leaks (the harness says which it had to kill).
for name in $(ls "$logs" | sed -n 's/\.[0-9]*\.log$//p' | sort -u); do
	n=0
	for f in "$logs/$name".*.log; do
		grep -q "ERROR SUMMARY:" "$f" || n=$((n + 1))
	done
	allowed=0
	for k in $expected_kills; do
		[ "${k%:*}" = "$name" ] && allowed=${k#*:}
	done
	if [ "$n" -gt "$allowed" ]; then
		echo "valgrind: $n log(s) of $name end without a summary (killed?), $allowed expected" >&2
		status=1
	fi
done

for f in $bad; do
	echo "==== $f ====" >&2
	cat "$f" >&2
	status=1
done
if [ "$total" -eq 0 ]; then
	echo "valgrind: no program ran under valgrind" >&2
	status=1
fi
echo "valgrind: $total programs under memcheck in ${took} s: $clean ended clean," \
	"$killed killed before their end, $(echo $bad | wc -w) with errors (logs in $logs)"
exit $status
