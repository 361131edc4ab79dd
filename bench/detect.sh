#!/usr/bin/env bash
# Detection power of the default checks (docs/checks.md): each faulty
# fixture scheduler through the scenario set once, each healthy
# scheduler N times; a table of how many scenarios caught each fault and
# with which reason class, and the healthy schedulers' false FAILs (a run
# judged host-starved is counted apart).  A benchmark, not part of
# `make check`: the full set takes hours under TCG.  Auto-repro is off
# (a second VM per caught fault would measure nothing more).
#
#   bench/detect.sh [-n N] [-j JOBS] [-o DIR] [-s NAME]... [SCENARIO_FILTER...]
#     -n N      runs per healthy scheduler (default 10)
#     -j JOBS   parallel VMs (default 2)
#     -o DIR    keep the sidecars there (default: a temporary directory);
#               the table covers everything in DIR, earlier runs included
#     -s NAME   run only these fixtures/schedulers (kt_idle, scx_simple, ...)
#     filters   as `ktstr scenario` takes them (default: all)
#   KTSTR_BIN   the ktstr binary (default build/ktstr)
set -u
cd "$(dirname "$0")/.."
N=10 J=2 OUT= ONLY=
while getopts "n:j:o:s:" o; do
	case $o in
	n) N=$OPTARG ;;
	j) J=$OPTARG ;;
	o) OUT=$OPTARG ;;
	s) ONLY="$ONLY $OPTARG " ;;
	*) sed -n '2,17p' "$0"; exit 2 ;;
	esac
done
wanted() { [ -z "$ONLY" ] || [[ "$ONLY" == *" $1 "* ]]; }
shift $((OPTIND - 1))
SET=("$@")
[ ${#SET[@]} -eq 0 ] && SET=(all)
K=${KTSTR_BIN:-build/ktstr}
[ -x "$K" ] || make -s all >/dev/null || exit 1
command -v python3 >/dev/null || { echo "bench/detect.sh needs python3"; exit 2; }
if [ -z "$OUT" ]; then
	OUT=$(mktemp -d /tmp/ktstr-detect.XXXXXX)
	trap 'rm -rf "$OUT"' EXIT
fi
mkdir -p "$OUT"

# name|scheduler|args: the fault classes (docs/checks.md)
FAULTY=(
	"kt_unfair|scx_kt_unfair|"
	"kt_idle|scx_kt_idle|"
	"kt_park|scx_kt_park|"
	"kt_noaff|scx_kt_noaff|"
	"ktstr_stall|scx_ktstr|--stall-after 1"
	"ktstr_degrade|scx_ktstr|--degrade"
	"ktstr_slow|scx_ktstr|--slow"
	"ktstr_scattershot|scx_ktstr|--scattershot"
)
HEALTHY=(eevdf scx_simple scx_central scx_flatcg scx_qmap scx_ktstr)

run() { # dir scheduler args
	local dir=$1 s=$2 a=$3
	local sched=()
	[ "$s" != eevdf ] && sched=(--scheduler "$s")
	[ -n "$a" ] && sched+=(--args "$a")
	mkdir -p "$dir"
	"$K" scenario -j "$J" --no-progress --no-auto-repro "${sched[@]}" --out "$dir" "${SET[@]}" >"$dir.log" 2>&1
}

start=$(date +%s)
for f in "${FAULTY[@]}"; do
	IFS='|' read -r name s a <<<"$f"
	wanted "$name" || continue
	echo "# $name ($s $a)" >&2
	run "$OUT/faulty/$name" "$s" "$a"
done
for s in "${HEALTHY[@]}"; do
	wanted "$s" || continue
	for i in $(seq 1 "$N"); do
		echo "# $s run $i of $N" >&2
		run "$OUT/healthy/$s/$i" "$s" ""
	done
done

python3 - "$OUT" "$N" "$J" "$(( $(date +%s) - start ))" "${SET[*]}" <<'PY'
import json, os, sys, glob, collections
out, n, jobs, secs, sset = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), sys.argv[5]

def classes(j):
    """The fault classes a failed sidecar names: its guest details and
    the monitor's failures."""
    c = []
    res = j.get("result") or {}
    for d in res.get("details") or []:
        k, m = d.get("kind", ""), d.get("message", "")
        if k in ("unfair", "starved"):
            c.append("unfair/starved")
        elif k == "stuck":
            c.append("stall")
        elif k == "scheduler":
            c.append("stall" if "runnable task stall" in m else "ejected")
        elif k == "isolation":
            c.append("isolation")
    mon = ((j.get("monitor") or {}).get("verdict") or {}).get("failures") or []
    for m in mon:
        if "idle while" in m:
            c.append("idle-while-waiting")
        elif "stalled" in m:
            c.append("stall")
        elif "misplaced work" in m:
            c.append("misplaced")
        elif "imbalance" in m:
            c.append("imbalance")
        elif "DSQ depth" in m:
            c.append("dsq-depth")
    if not c:
        c.append("other")
    return c

def load(d):
    return [json.load(open(f)) for f in sorted(glob.glob(os.path.join(d, "*.ktstr.json")))]

print("## Detection (scenario set: %s; %s parallel VMs; this invocation %d s)" % (sset, jobs, secs))
print()
print("| faulty scheduler | scenarios | caught (FAIL) | reason classes (scenarios naming each) | errors |")
print("|---|---|---|---|---|")
for d in sorted(glob.glob(os.path.join(out, "faulty", "*"))):
    if not os.path.isdir(d):
        continue
    sc = load(d)
    fails = [j for j in sc if j.get("verdict") == "fail"]
    errs = [j for j in sc if j.get("verdict") == "error"]
    cnt = collections.Counter()
    for j in fails:
        for c in set(classes(j)):
            cnt[c] += 1
    print("| %s | %d | %d | %s | %d |" % (os.path.basename(d), len(sc), len(fails),
          ", ".join("%s %d" % kv for kv in cnt.most_common()) or "-", len(errs)))
print()
print("| healthy scheduler | runs x scenarios | false FAILs | host-starved (apart) | other errors | failing scenarios |")
print("|---|---|---|---|---|---|")
for d in sorted(glob.glob(os.path.join(out, "healthy", "*"))):
    runs = sorted(r for r in glob.glob(os.path.join(d, "*")) if os.path.isdir(r))
    total = ff = starved = other = 0
    names = collections.Counter()
    for r in runs:
        if not os.path.isdir(r):
            continue
        for j in load(r):
            total += 1
            v = j.get("verdict")
            if v == "fail":
                ff += 1
                names[j.get("name", "?")] += 1
            elif v == "error" and "host starved" in j.get("reason", ""):
                starved += 1
            elif v == "error":
                other += 1
    print("| %s | %d x %d | %d | %d | %d | %s |" % (os.path.basename(d), len(runs), total // max(len(runs), 1),
          ff, starved, other, ", ".join("%s (%d)" % kv for kv in names.most_common()) or "-"))
PY
