#!/bin/sh
# Run every fuzz target for SECONDS on a copy of its seed corpus, with its
# dictionary; fail if any finds a crash, a leak, a timeout or too much memory.
#   sh tests/fuzz/run.sh BUILD_DIR SECONDS
# BUILD_DIR is a WATCHFLOOR_FUZZ build (BUILD=build-fuzz FUZZ=1 sh .ci/setup).
# Everything the fuzzer writes (new inputs, reproducers, logs) goes to a
# temporary directory, never into the repository; it is removed when all
# targets pass and kept, with its path printed, when one fails.
set -eu

if [ $# -ne 2 ]; then
	echo "usage: sh tests/fuzz/run.sh BUILD_DIR SECONDS" >&2
	exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "$1" && pwd)
seconds=$2
work=$(mktemp -d "${TMPDIR:-/tmp}/watchfloor-fuzz.XXXXXX")
failed=""

for target in fuzz-codec fuzz-request fuzz-lists fuzz-json fuzz-config fuzz-text; do
	bin=$build/tests/fuzz/$target
	if [ ! -x "$bin" ]; then
		echo "fuzz: $bin is missing: is $1 a WATCHFLOOR_FUZZ build?" >&2
		exit 2
	fi
	mkdir -p "$work/$target/corpus"
	cp "$here/corpus/$target/"* "$work/$target/corpus/"
	# fuzz-text reads up to BUS_TEXT_SCAN_MAX bytes (over 4 KiB): give it
	# inputs long enough to reach that limit.
	more=""
	[ "$target" = fuzz-text ] && more="-max_len=8192"
	echo "== $target: $seconds s =="
	if (cd "$work/$target" && "$bin" corpus -dict="$here/$target.dict" \
	    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
	    -artifact_prefix="$work/$target/" -print_final_stats=1 $more) \
	    >"$work/$target/log" 2>&1; then
		grep -E "^#[0-9]+[[:space:]]+DONE|^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)" \
		    "$work/$target/log" || true
		echo "corpus: $(ls "$work/$target/corpus" | wc -l) inputs"
	else
		tail -n 60 "$work/$target/log"
		for a in "$work/$target"/crash-* "$work/$target"/leak-* \
		    "$work/$target"/timeout-* "$work/$target"/oom-*; do
			[ -f "$a" ] || continue
			echo "reproducer $a:"
			od -A d -c "$a" | head -n 40
		done
		failed="$failed $target"
	fi
done

if [ -n "$failed" ]; then
	echo "fuzz: FAILED:$failed (logs and reproducers in $work)" >&2
	exit 1
fi
rm -rf "$work"
echo "fuzz: all targets ran $seconds s without a finding"
