#!/usr/bin/env bash
# Restore instead of boot (docs/performance.md), end to end on the QEMU
# backend: restore_clock_rng (tests/restore.c) passes cold and with
# --restore; after the first --restore run (which may take the snapshot)
# two more are restored from it, each guest's CLOCK_REALTIME is the
# host's time of that run (not the snapshot's), and the two restores
# draw different random bytes.  A damaged snapshot falls back to a cold
# boot that passes, says so at -v, and is removed.  Skipped when no
# kernel is cached or the VMs do not run under QEMU/TCG.
#   usage: tests/cli/restore.sh [BUILD_DIR]     (default: build)
. "$(dirname "$0")/lib.sh"
need_bin "$T"
have_kernel || skip_all "no cached kernel (ktstr kernel build)"
run() { "$T" --vmm qemu --no-monitor --no-progress -j 1 -v "$@" '^restore_clock_rng' >"$TMP/out" 2>"$TMP/err"; }
probe() { sed -n 's/.*KTSTR_RESTORE_PROBE realtime=\([0-9]*\) random=\([0-9a-f]*\).*/\1 \2/p' "$TMP/err" | head -1; }

run
if grep -q '^ok 1 restore_clock_rng' "$TMP/out"; then ok "cold: passes"; else bad "cold: passes"; _last_output; fi
if ! grep -q 'accel tcg' "$TMP/err"; then
	skip "restore" "not QEMU/TCG here"
	done_testing
fi
run --restore
if grep -q '^ok 1 restore_clock_rng' "$TMP/out"; then ok "--restore, first: passes"; else bad "--restore, first: passes"; _last_output; fi
declare -a rnd
for i in 1 2; do
	t0=$(date +%s)
	run --restore
	t1=$(date +%s)
	read -r real r < <(probe)
	rnd[$i]=$r
	if grep -q '^ok 1 restore_clock_rng' "$TMP/out" && grep -q 'restore: restored ' "$TMP/err"; then
		ok "--restore, run $i: restored and passes"
	else
		bad "--restore, run $i: restored and passes"
		_last_output
	fi
	if [ -n "$real" ] && [ "$real" -ge $((t0 - 2)) ] && [ "$real" -le $((t1 + 2)) ]; then
		ok "--restore, run $i: guest CLOCK_REALTIME $real within the run ($t0..$t1)"
	else
		bad "--restore, run $i: guest CLOCK_REALTIME '$real' within the run ($t0..$t1)"
	fi
done
if [ -n "${rnd[1]}" ] && [ "${rnd[1]}" != "${rnd[2]}" ]; then
	ok "two restores draw different random bytes (${rnd[1]} ${rnd[2]})"
else
	bad "two restores draw different random bytes ('${rnd[1]}' '${rnd[2]}')"
fi

# A damaged snapshot: a cold boot that passes, said at -v, snapshot gone.
dir=$(sed -n 's/.*restore: restored \([^:]*\):.*/\1/p' "$TMP/err" | head -1)
if [ -n "$dir" ] && [ -f "$dir/state" ]; then
	: >"$dir/state"
	run --restore
	if grep -q '^ok 1 restore_clock_rng' "$TMP/out" && grep -q 'did not restore' "$TMP/err" && [ ! -e "$dir" ]; then
		ok "damaged snapshot: cold boot passes, said at -v, snapshot removed"
	else
		bad "damaged snapshot: cold boot passes, said at -v, snapshot removed"
		_last_output
	fi
else
	skip "damaged snapshot" "no restored snapshot to damage"
fi
done_testing
