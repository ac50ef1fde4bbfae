#!/bin/sh
# Run the pyzmq examples of docs/PROTOCOL.md against a real hub.
#
# usage: test-python-examples.sh WATCHD SOURCE_DIR
#
# Starts watchd on ipc:// endpoints in a temporary directory with a fresh
# database, runs docs/examples/subscriber.py in the background, waits until
# it prints a heartbeat (so its subscription is live), runs producer.py and
# expects the subscriber to print the case event for the producer's incident.
# Then runs control.py (an acknowledged report) and expects an ok reply.
# Finally checks that docs/PROTOCOL.md quotes every example file verbatim, so
# the doc cannot drift from the code tested here. Exit 0 on success, 1 on any
# failure; the hub and the temporary directory are removed on every path.

set -u

watchd=${1:?usage: test-python-examples.sh WATCHD SOURCE_DIR}
src=${2:?usage: test-python-examples.sh WATCHD SOURCE_DIR}
# The Debian python with python3-zmq; a pyenv python3 earlier on PATH lacks it.
py=/usr/bin/python3
examples=$src/docs/examples
doc=$src/docs/PROTOCOL.md

tmp=
hub_pid=
sub_pid=

cleanup() {
	for pid in $sub_pid $hub_pid; do
		kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	done
	[ -n "$tmp" ] && rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

fail() {
	echo "FAIL: $*" >&2
	for f in hub.log sub.out sub.err producer.out control.out; do
		if [ -n "$tmp" ] && [ -s "$tmp/$f" ]; then
			echo "--- $f" >&2
			# Heartbeats would drown the events: show only the last.
			grep -v '^hub\.heartbeat ' "$tmp/$f" | tail -n 40 >&2
			grep '^hub\.heartbeat ' "$tmp/$f" | tail -n 1 >&2
		fi
	done
	exit 1
}

# wait_for FILE PATTERN SECONDS: until grep -E finds PATTERN in FILE.
wait_for() {
	i=0
	while [ "$i" -lt $(($3 * 10)) ]; do
		grep -Eq -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

[ -x "$watchd" ] || fail "no watchd at $watchd"
[ -x "$py" ] || fail "no $py"
"$py" -c 'import zmq' 2>/dev/null || fail "$py cannot import zmq (apt-get install python3-zmq)"
for f in producer.py subscriber.py control.py; do
	[ -f "$examples/$f" ] || fail "missing $examples/$f"
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/wf-docs.XXXXXX") || fail "mktemp -d"
WATCHFLOOR_INGEST=ipc://$tmp/ingest
WATCHFLOOR_EVENTS=ipc://$tmp/events
WATCHFLOOR_CONTROL=ipc://$tmp/control
# chen is an intake officer in the roster a new database is seeded with.
WATCHFLOOR_USER=chen
export WATCHFLOOR_INGEST WATCHFLOOR_EVENTS WATCHFLOOR_CONTROL WATCHFLOOR_USER

"$watchd" --ingest "$WATCHFLOOR_INGEST" --events "$WATCHFLOOR_EVENTS" \
    --control "$WATCHFLOOR_CONTROL" --db "$tmp/watchd.db" --log "$tmp/hub.log" &
hub_pid=$!
wait_for "$tmp/hub.log" ' up at seq ' 10 || fail "watchd did not start"

"$py" -u "$examples/subscriber.py" >"$tmp/sub.out" 2>"$tmp/sub.err" &
sub_pid=$!
# A heartbeat proves the subscription reached the hub (no slow joiner).
wait_for "$tmp/sub.out" '^hub\.heartbeat [0-9]+ ' 10 ||
    fail "subscriber printed no heartbeat"

timeout 20 "$py" "$examples/producer.py" >"$tmp/producer.out" 2>&1 ||
    fail "producer.py failed"
# Field order in a body is not part of the contract: one grep per field.
case_line='^case\.ICS-[0-9]{4}-[0-9]{4,} [0-9]+ \{.*"ref": "acme-2026-17"'
wait_for "$tmp/sub.out" "$case_line" 10 ||
    fail "subscriber printed no case event for the producer's incident"
event=$(grep -E "$case_line" "$tmp/sub.out" | head -n 1)
printf '%s\n' "$event" | grep -q '"status": "reported"' ||
    fail "the producer's case is not in status reported"
printf '%s\n' "$event" | grep -q '"opened_by": "ingest"' ||
    fail "the producer's case is not recorded as opened by ingest"
# The same seq leads the line and sits in the body.
printf '%s\n' "$event" | grep -Eq '^[^ ]+ ([0-9]+) .*"seq": \1[,}]' ||
    fail "the case event's seq is not the one the subscriber printed"

timeout 20 "$py" "$examples/control.py" >"$tmp/control.out" 2>&1 ||
    fail "control.py failed"
grep -q '"ok":true,"object":"case\.ICS-' "$tmp/control.out" ||
    fail "control.py printed no ok reply naming a case"
wait_for "$tmp/sub.out" '^case\.ICS-[^ ]+ [0-9]+ .*"ref": "acme-2026-18"' 10 ||
    fail "subscriber printed no case event for control.py's report"
grep -E '^case\.ICS-[^ ]+ [0-9]+ .*"ref": "acme-2026-18"' "$tmp/sub.out" |
    grep -q '"opened_by": "chen"' ||
    fail "control.py's case is not recorded as opened by chen"

# The doc must quote each example file byte for byte.
"$py" - "$doc" "$examples/producer.py" "$examples/subscriber.py" "$examples/control.py" <<'PY' ||
import sys
doc = open(sys.argv[1], encoding="utf-8").read()
missing = [f for f in sys.argv[2:] if open(f, encoding="utf-8").read() not in doc]
for f in missing:
    print("not quoted verbatim in %s: %s" % (sys.argv[1], f), file=sys.stderr)
sys.exit(1 if missing else 0)
PY
    fail "docs/PROTOCOL.md does not quote the examples verbatim"

echo "ok: examples ran against $watchd and PROTOCOL.md quotes them verbatim"
exit 0
