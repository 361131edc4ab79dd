#!/usr/bin/env bash
# Per-test cost (issue 18), side by side in one run on the cached kernel:
# for 1, 2, 4 and 8 vCPUs, the wall time of
#   microvm  raw qemu-system-x86_64 -M microvm boot-and-poweroff of a
#            minimal initramfs (one static /init that calls reboot(2));
#   q35      the same with -M q35;
#   shell    `ktstr shell --exec true`;
#   test     `ktstr-tests -d 1 --no-monitor ^steady` (a 1 s scenario).
# Rounds are interleaved (each round runs every row once), so drift of a
# shared host hits every row alike.  Every run has a time limit; a run
# that reaches it counts as a hang and is left out of the medians.
#   bench/overhead.sh [-n RUNS] [-c "1 2 4 8"] [-m MB] [-t LIMIT_S]
# Defaults: 5 runs, vCPUs 1 2 4 8, 2048 MiB (ktstr's default guest memory),
# 60 s limit.  Needs a cached kernel (build/ktstr kernel build).  Prints a
# markdown table: medians, and each row against the fastest raw boot of
# its vCPU count; docs/performance.md has one.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=5 cpus="1 2 4 8" mem=2048 limit=60
while getopts "n:c:m:t:h" o; do
	case $o in
	n) runs=$OPTARG ;;
	c) cpus=$OPTARG ;;
	m) mem=$OPTARG ;;
	t) limit=$OPTARG ;;
	*) sed -n '2,17s/^# \{0,1\}//p' "$0"; exit 2 ;;
	esac
done
case $runs in ''|*[!0-9]*|0) echo "overhead: -n wants a number of runs >= 1, not '$runs'" >&2; exit 2 ;; esac

make -s all
kernel=$(build/ktstr kernel path)
qemu=${KTSTR_QEMU:-qemu-system-x86_64}
tmp=$(mktemp -d /tmp/ktstr-overhead.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# The minimal initramfs: init powers the machine off at once.
cat >"$tmp/init.c" <<'EOF'
#include <sys/reboot.h>
#include <unistd.h>
int main(void)
{
	sync();
	reboot(RB_POWER_OFF);
	return 0;
}
EOF
${CC:-gcc} -static -Os -s -o "$tmp/init" "$tmp/init.c"
(cd "$tmp" && echo init | cpio -o -H newc --quiet >"$tmp/initramfs.cpio")

# Under TCG the guest's TSC is the host's.  Without a given frequency the
# guest calibrates it against the PIT, and on a loaded host that was seen
# to fail ("tsc: Unable to calibrate against PIT") and the microvm boot to
# hang there: take the host's figure, as a tuned boot would.
khz=$(awk '/^cpu MHz/ { printf "%d", $4 * 1000; exit }' /proc/cpuinfo)

topo_of() { # vCPUs -> a ktstr topology with that many CPUs
	case $1 in
	1) echo 1n1l1c1t ;; 2) echo 1n1l2c1t ;; 4) echo 1n2l2c1t ;; 8) echo 1n2l4c1t ;;
	*) echo "1n1l${1}c1t" ;;
	esac
}

# The raw boots use the harness's CPU model (src/vm/qemu.c).  Under TCG
# plain `-cpu max` is an AMD CPU, and that kernel boot was measured
# 0.6-1.0 s slower than the same boot with an Intel vendor string (it
# calibrates the delay loop on every CPU): a raw row with it would flatter
# the harness.
raw() { # MACHINE VCPUS
	local m=$1 n=$2 machine append="console=ttyS0 loglevel=0 panic=-1 pci=off tsc_early_khz=$khz"
	case $m in
	microvm) machine=microvm,acpi=on ;;
	q35) machine=q35,smbus=off,sata=off,usb=off,vmport=off ;;
	esac
	"$qemu" -nodefaults -no-user-config -nographic -no-reboot -M "$machine" \
		-accel tcg,thread=multi -cpu max,vendor=GenuineIntel -smp "$n" -m "$mem" \
		-kernel "$kernel" -initrd "$tmp/initramfs.cpio" -append "$append" \
		-serial none -monitor none
}

one() { # ROW VCPUS -> prints the wall seconds, or "hang"/"fail"
	local row=$1 n=$2 t0 t1 rc=0 topo
	topo=$(topo_of "$n")
	t0=$(date +%s.%N)
	case $row in
	microvm|q35) timeout -k 5 "$limit" bash -c "$(declare -f raw); qemu='$qemu' kernel='$kernel' \
		mem='$mem' tmp='$tmp' khz='$khz' raw $row $n" >>"$tmp/log" 2>&1 || rc=$? ;;
	shell) timeout -k 5 "$limit" build/ktstr shell --topo "$topo" --memory "$mem" --exec true \
		</dev/null >>"$tmp/log" 2>&1 || rc=$? ;;
	test) timeout -k 5 "$limit" build/ktstr-tests -j 1 --no-progress -d 1 --no-monitor \
		--memory "$mem" -t "$topo" '^steady' >>"$tmp/log" 2>&1 || rc=$? ;;
	esac
	t1=$(date +%s.%N)
	if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
		echo hang
	elif [ "$rc" != 0 ]; then
		echo "fail"
		echo "overhead: $row, $n vCPUs: exit $rc" >&2
	else
		echo "$t1 $t0" | awk '{ printf "%.3f\n", $1 - $2 }'
	fi
}

echo "overhead: $runs runs x {microvm,q35,shell,test} x vCPUs {$cpus}, kernel $kernel" >&2
echo "overhead: host load before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
for r in $(seq 1 "$runs"); do
	for n in $cpus; do
		for row in microvm q35 shell test; do
			echo "$n $row $(one "$row" "$n")" >>"$tmp/times"
		done
	done
	echo "overhead: round $r of $runs done (load $(cut -d' ' -f1 /proc/loadavg))" >&2
done
echo "overhead: host load after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2

python3 - "$tmp/times" "$cpus" <<'EOF'
import statistics, sys
rows = ("microvm", "q35", "shell", "test")
t = {}
for line in open(sys.argv[1]):
    n, row, v = line.split()
    t.setdefault((int(n), row), []).append(v)
def med(n, row):
    ok = [float(v) for v in t.get((n, row), []) if v not in ("hang", "fail")]
    return statistics.median(ok) if ok else None
def bad(n, row, what):
    return sum(1 for v in t.get((n, row), []) if v == what)
print("| vCPUs | raw microvm s | raw q35 s | shell --exec true s | 1 s test s "
      "| shell / raw | test / raw | (test - 1 s) / raw | hangs | failures |")
print("|---|---|---|---|---|---|---|---|---|---|")
for n in map(int, sys.argv[2].split()):
    m = {r: med(n, r) for r in rows}
    raws = [m[r] for r in ("microvm", "q35") if m[r] is not None]
    best = min(raws) if raws else None
    f = lambda v: "-" if v is None else f"{v:.2f}"
    q = lambda v: "-" if v is None or not best else f"{v / best:.2f}"
    hangs = ", ".join(f"{r} {bad(n, r, 'hang')}/{len(t.get((n, r), []))}" for r in rows if bad(n, r, "hang"))
    fails = ", ".join(f"{r} {bad(n, r, 'fail')}" for r in rows if bad(n, r, "fail"))
    print(f"| {n} | {f(m['microvm'])} | {f(m['q35'])} | {f(m['shell'])} | {f(m['test'])} "
          f"| {q(m['shell'])} | {q(m['test'])} | {q(None if m['test'] is None else m['test'] - 1)} "
          f"| {hangs or 0} | {fails or 0} |")
EOF
