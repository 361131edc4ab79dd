#!/usr/bin/env bash
# Cost of the host-side monitor, measured side by side in one run: the
# CPU-spinning `steady` test (EEVDF, 1n2l2c1t) with the monitor off, at
# 10 Hz (100 ms) and at 100 Hz (10 ms), interleaved round by round so
# that drift of the shared host hits every mode alike.
#   bench/monitor_cost.sh [ROUNDS] [DURATION_S]     (default 4 rounds, 6 s)
# Reports, per mode:
#   - monitor host CPU per second of guest run: the monitor thread's own
#     CPU time (CLOCK_THREAD_CPUTIME_ID, sidecar monitor.host_cpu_ns) over
#     the scenario duration;
#   - guest throughput: the workers' total iterations per second of the
#     scenario, as a ratio to the monitor-off mean of the same run (with
#     the spread across rounds, so noise can be told from an effect).
# Needs a cached kernel (build/ktstr kernel build).  Not a test: it has no
# threshold; docs/monitor.md has a table from it.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-4}
dur=${2:-6}
make -s all
out=$(mktemp -d /tmp/ktstr-moncost.XXXXXX)
trap 'rm -rf "$out"' EXIT

for r in $(seq 1 "$rounds"); do
	for mode in off 100 10; do
		case $mode in
		off) flags=(--no-monitor) ;;
		*) flags=(--monitor-interval "$mode") ;;
		esac
		build/ktstr-tests --no-progress -d "$dur" --out "$out/$mode-$r" "${flags[@]}" "^steady" >"$out/$mode-$r.log" 2>&1 ||
			{ echo "monitor_cost: round $r mode $mode failed (log kept: $out/$mode-$r.log):"
			  grep -E '^not ok' "$out/$mode-$r.log"; trap - EXIT; exit 1; }
	done
	echo "round $r of $rounds done" >&2
done

python3 - "$out" "$rounds" <<'EOF'
import json, statistics, sys, glob, os
out, rounds = sys.argv[1], int(sys.argv[2])
def load(mode):
    rows = []
    for r in range(1, rounds + 1):
        f = glob.glob(os.path.join(out, f"{mode}-{r}", "*.ktstr.json"))
        d = json.load(open(f[0]))
        res = d["result"]
        ms = res.get("elapsed_ms") or d["duration_ms"]
        it = res["stats"]["total_iterations"] / (ms / 1000.0)
        mon = d.get("monitor") or {}
        cpu = mon.get("host_cpu_ns")
        rows.append((it, None if cpu is None else cpu / (ms * 1e6), len(mon.get("samples", []))))
    return rows
base = load("off")
b = statistics.mean(r[0] for r in base)
bsd = statistics.pstdev(r[0] for r in base) / b
print(f"| monitor | samples/run | host CPU per guest second | throughput vs off (mean, spread across {rounds} rounds) |")
print("|---|---|---|---|")
for mode, name in (("off", "off"), ("100", "10 Hz (100 ms)"), ("10", "100 Hz (10 ms)")):
    rows = base if mode == "off" else load(mode)
    ratio = [r[0] / b for r in rows]
    cpu = [r[1] for r in rows if r[1] is not None]
    cpus = f"{100 * statistics.mean(cpu):.3f} %" if cpu else "-"
    smp = f"{statistics.mean(r[2] for r in rows):.0f}"
    print(f"| {name} | {smp} | {cpus} | {statistics.mean(ratio):.4f} (min {min(ratio):.4f}, max {max(ratio):.4f}) |")
print(f"\nmonitor-off round-to-round spread (stddev/mean): {100 * bsd:.2f} % — an effect smaller than this is noise")
EOF
