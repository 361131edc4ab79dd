#!/usr/bin/env bash
# Runs the libFuzzer targets built by `make fuzz-build` (docs/fuzzing.md),
# each for SECONDS, JOBS of them at a time, and prints each one's
# libFuzzer total.  A crash, leak or timeout stops that target, prints the
# end of its log and leaves the input in BUILD/fuzz/artifacts/<target>/;
# the script then fails, after the other targets have run.
#   usage: scripts/fuzz.sh BUILD SECONDS TIMEOUT JOBS 'LIBFUZZER ARGS' TARGET...
set -u
[ $# -ge 5 ] || { echo "usage: $0 BUILD SECONDS TIMEOUT JOBS 'ARGS' TARGET..." >&2; exit 2; }
B=$1 SECS=$2 TMO=$3 JOBS=$4 ARGS=$5
shift 5
case "$SECS$TMO$JOBS" in *[!0-9]*) echo "fuzz: SECONDS, TIMEOUT and JOBS must be numbers" >&2; exit 2 ;; esac
[ "$JOBS" -ge 1 ] || JOBS=1

one() {
	local t=$1 dict= rc
	mkdir -p "$B/fuzz/corpus/$t" "$B/fuzz/artifacts/$t"
	[ -f "fuzz/dict/$t.dict" ] && dict=-dict=fuzz/dict/$t.dict
	# shellcheck disable=SC2086 # ARGS are libFuzzer flags, split on purpose
	"$B/fuzz/bin/$t" -max_total_time="$SECS" -timeout="$TMO" -print_final_stats=1 \
		-artifact_prefix="$B/fuzz/artifacts/$t/" $dict $ARGS \
		"$B/fuzz/corpus/$t" "fuzz/corpus/$t" >"$B/fuzz/$t.log" 2>&1
	rc=$?
	if [ $rc -ne 0 ]; then
		echo "fuzz: $t FAILED (exit $rc); the end of $B/fuzz/$t.log:"
		tail -n 60 "$B/fuzz/$t.log"
	fi
	grep -E '^Done [0-9]+ runs' "$B/fuzz/$t.log" | sed "s/^/fuzz: $t: /"
	echo $rc >"$B/fuzz/$t.rc"
}

fail= running=0
for t in "$@"; do
	if [ "$running" -ge "$JOBS" ]; then
		wait -n
		running=$((running - 1))
	fi
	echo "fuzz: $t for $SECS s"
	rm -f "$B/fuzz/$t.rc"
	one "$t" &
	running=$((running + 1))
done
wait
for t in "$@"; do
	[ "$(cat "$B/fuzz/$t.rc" 2>/dev/null)" = 0 ] || fail="$fail $t"
done
if [ -n "$fail" ]; then
	echo "fuzz: FAILED:$fail (inputs in $B/fuzz/artifacts/)"
	exit 1
fi
echo "fuzz: $# targets, $SECS s each: no crash, leak or timeout"
