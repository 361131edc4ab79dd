#!/usr/bin/env bash
# Performance mode end to end (docs/performance.md), what a 2-CPU host
# can show: a 1-vCPU VM under --perf-mode has its vCPU thread pinned to
# one host CPU with SCHED_FIFO 1 and QEMU's other threads on the service
# CPU (read back from /proc and sched_getaffinity via taskset/chrt while
# it runs); the LLC lock is held during the run and released after; a
# second concurrent run waits for it (one line) and then passes; the
# missing resources (hugepages, CAP_SYS_NICE) give one warning each; a VM
# that does not fit is skipped as resource contention.  Skipped when no
# kernel is cached.
#   usage: tests/cli/perf.sh [BUILD_DIR]     (default: build)
. "$(dirname "$0")/lib.sh"
need_bin "$T" "$K"
have_kernel || skip_all "no cached kernel (ktstr kernel build)"
kpath=$("$K" kernel path)
lock=$(dirname "$(dirname "$(dirname "$kpath")")")/locks/llc-0.lock
run() { exec "$T" --perf-mode --no-progress -j 1 -t 1n1l1c1t -d "$1" '^steady'; }
qemu_of() { pgrep -P "$1" -x qemu-system-x86 | head -1; }

# --- one run: placement read back while it runs -------------------------
run 4 >"$TMP/a" 2>&1 &
A=$!
q= vtid=
for _ in $(seq 1 300); do
	q=$(qemu_of $A)
	if [ -n "$q" ]; then
		vtid=$(grep -l '^CPU 0/' /proc/"$q"/task/*/comm 2>/dev/null | head -1 | cut -d/ -f5)
		[ -n "$vtid" ] && chrt -p "$vtid" 2>/dev/null | grep -q SCHED_FIFO && break
	fi
	sleep 0.1
done
if [ -z "$vtid" ]; then
	bad "the VM's vCPU thread was seen" "$(tail -5 "$TMP/a")"
else
	vaff=$(taskset -pc "$vtid" | sed 's/.*: //')
	check "vCPU thread is SCHED_FIFO priority 1" sh -c "chrt -p $vtid | grep -q 'policy: SCHED_FIFO' &&
		chrt -p $vtid | grep -q 'priority: 1\$'"
	check "vCPU thread pinned to one host CPU ($vaff)" sh -c "echo '$vaff' | grep -qx '[0-9]*'"
	others=$(for t in /proc/"$q"/task/*; do [ "${t##*/}" = "$vtid" ] || taskset -pc "${t##*/}" | sed 's/.*: //'; done |
		sort -u | tr '\n' ' ')
	check "QEMU's other threads on the service CPU ($others), not the vCPU's" \
		sh -c "[ \"\$(echo $others | wc -w)\" = 1 ] && [ '$others' != '$vaff ' ]"
	check "the LLC lock is held during the run" sh -c "! flock -n '$lock' true"
	# --- a second run while the first holds the LLC ----------------
	run 1 >"$TMP/b" 2>&1 &
	Bp=$!
	sleep 2
	if kill -0 $A 2>/dev/null; then
		check "the second run waits: no VM of its own yet" sh -c "[ -z \"\$(pgrep -P $Bp -x qemu-system-x86)\" ]"
	fi
	wait $A
	ra=$?
	wait $Bp
	rb=$?
	check "both runs pass (exit $ra, $rb)" test "$ra$rb" = 00
	check "the second run said once that it waited for the LLC" \
		test "$(grep -c 'waiting for host LLCs other runs hold' "$TMP/b")" = 1
fi
wait $A 2>/dev/null
check "the LLC lock is released after the runs" flock -n "$lock" true
if [ "$(awk '/HugePages_Free/ { print $2 }' /proc/meminfo)" -lt 1024 ]; then
	check "no hugepages: one warning" test "$(grep -c 'not enough free 2 MiB hugepages' "$TMP/a")" = 1
else
	skip "the hugepage warning" "this host has 2 GiB of free hugepages"
fi

# --- no CAP_SYS_NICE: one warning, the run still passes ----------------
if command -v setpriv >/dev/null && [ "$(id -u)" = 0 ]; then
	( ulimit -r 0; exec setpriv --bounding-set=-sys_nice --inh-caps=-sys_nice "$T" --perf-mode --no-progress \
		-j 1 -t 1n1l1c1t -d 1 '^steady' ) >"$TMP/a" 2>&1
	rc=$?
	check "without CAP_SYS_NICE: passes, one SCHED_FIFO warning" sh -c "[ $rc = 0 ] &&
		[ \"\$(grep -c 'SCHED_FIFO for vCPU threads refused' '$TMP/a')\" = 1 ]"
else
	skip "no CAP_SYS_NICE" "needs root and setpriv"
fi

# --- does not fit: skipped as resource contention ----------------------
ncpu=$(nproc)
"$T" --perf-mode --no-progress -j 1 -t "1n1l${ncpu}c1t" -d 1 '^steady' >"$TMP/a" 2>&1
check "$ncpu vCPUs + a service CPU on $ncpu CPUs: SKIP resource contention" \
	grep -q '^ok 1 steady # SKIP resource contention' "$TMP/a"
"$T" --perf-mode --cpu-cap 1 --no-progress -j 1 -t 1n1l1c1t -d 1 '^steady' >"$TMP/a" 2>&1
check "--cpu-cap 1 below vCPUs + service CPU: one line, SKIP" sh -c "grep -q 'cpu-cap 1 is below' '$TMP/a' &&
	grep -q '# SKIP resource contention' '$TMP/a'"

done_testing
