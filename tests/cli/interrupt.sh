#!/usr/bin/env bash
# Interrupting a real run leaves nothing behind (issue 16, part 3).  Each
# case starts one short VM test with its own cache (so the initramfs is
# built again), --junit and --out in a fresh directory $R, then sends
# SIGINT or SIGTERM at one moment: during set-up (kernel resolution,
# initramfs build), during boot, during the scenario, and right after the
# verdict (judge, reports).  Then: the exit status is 128 + the signal;
# no qemu-system process of this run is left (matched on $R in its
# command line: other VMs on this host are not ours); no temporary file
# is left under $R; the JUnit file, if written, is whole XML and each
# sidecar whole JSON.  Prints TAP; exits non-zero on failure.
#   usage: tests/cli/interrupt.sh [BUILD_DIR]     (default: build)
set -u
B=${1:-build}
T=$B/ktstr-tests
K=$B/ktstr
TEST=^steady # one case: boot, a 3 s scenario, the host monitor on
TMP=$(mktemp -d /tmp/ktstr-interrupt.XXXXXX)
pass=0 fail=0 n=0 c=0

cleanup() {
	# Whatever a failed case left: only processes of this script's runs.
	for p in $(ours); do kill -KILL "$p" 2>/dev/null; done
	rm -rf "$TMP"
}
trap cleanup EXIT

ok()  { n=$((n + 1)); pass=$((pass + 1)); echo "ok $n - $1"; }
bad() { n=$((n + 1)); fail=$((fail + 1)); echo "not ok $n - $1"; shift; for l in "$@"; do echo "#   $l"; done; }

# Pids of qemu-system processes whose command line names $1 (default:
# this script's directory): the initrd lives in the run's own cache.
ours() {
	local pat=${1:-$TMP} f p
	for f in /proc/[0-9]*/cmdline; do
		p=${f#/proc/}
		p=${p%/cmdline}
		{ tr '\0' ' ' <"$f"; } 2>/dev/null | grep -q "qemu-system.*$pat" && echo "$p"
	done
}

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# wait_for WHAT DEADLINE_MS: until QEMU runs (qemu) or has ended (its
# process gone or a zombie: qemu-done); 0 if it happened in time.
wait_for() {
	local what=$1 until=$(($(now_ms) + $2)) q
	while [ "$(now_ms)" -lt "$until" ] && kill -0 "$pid" 2>/dev/null; do
		q=$(ours "$R")
		case $what in
		qemu) [ -n "$q" ] && return 0 ;;
		qemu-done) { [ -z "$q" ] || grep -q '^[0-9]* ([^)]*) Z' "/proc/$q/stat" 2>/dev/null; } && return 0 ;;
		esac
		sleep 0.02
	done
	return 1
}

ms() { printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)); }

# interrupt NAME SIGNAL WHEN DELAY_MS: WHEN is start (DELAY_MS after the
# start), qemu (DELAY_MS after QEMU appeared) or guest-done: the run is
# stopped (SIGSTOP) DELAY_MS into the VM, the guest finishes and QEMU
# exits meanwhile, then the signal and SIGCONT: it lands in what follows
# the VM (judging, reports), which take milliseconds and could not be
# hit by timing alone.
interrupt() {
	local name=$1 sig=$2 when=$3 delay=$4 rc want left tmpf
	c=$((c + 1))
	R=$TMP/case$c
	mkdir -p "$R"
	set -m # the run gets its own process group and default signal dispositions
	KTSTR_CACHE_DIR=$R/cache "$T" -j1 --kernel "$KDIR" --no-progress --junit "$R/junit.xml" --out "$R/out" \
		"$TEST" >"$R/stdout" 2>"$R/stderr" </dev/null &
	pid=$!
	set +m
	case $when in
	start) sleep "$(ms "$delay")" ;;
	qemu) wait_for qemu 120000 && sleep "$(ms "$delay")" ;;
	guest-done) wait_for qemu 120000 && sleep "$(ms "$delay")" && kill -STOP "$pid" && wait_for qemu-done 120000 ;;
	esac
	if ! kill -0 "$pid" 2>/dev/null; then
		wait "$pid"
		bad "$name: the run ended (status $?) before the signal" "$(tail -3 "$R/stdout")"
		return
	fi
	kill "-$sig" "$pid"
	kill -CONT "$pid"
	wait "$pid"
	rc=$?
	want=$((128 + $(kill -l "$sig")))
	left=$(ours "$R")
	tmpf=$(find "$R" \( -name '*.tmp-*' -o -name '*.tmp.*' -o -name '.ktstr-probe-*' -o -name '*.tmp' \) 2>/dev/null)
	[ "$rc" -eq "$want" ] && ok "$name: exit status $rc" ||
		bad "$name: exit status $rc, wanted $want" "stdout: $(tail -4 "$R/stdout" | tr '\n' '|')" \
			"stderr: $(tail -4 "$R/stderr" | tr '\n' '|')"
	[ -z "$left" ] && ok "$name: no qemu-system process left" ||
		bad "$name: qemu-system left: $left" "$(ps -o pid,args -p "$(echo $left | tr ' ' ,)" | cut -c1-200)"
	[ -z "$tmpf" ] && ok "$name: no temporary file left" || bad "$name: temporary files left" $tmpf
	whole_outputs "$name"
}

# The JUnit file and the sidecars: absent, or whole.
whole_outputs() {
	local name=$1 broken=""
	if [ -e "$R/junit.xml" ]; then
		python3 -c 'import sys, xml.dom.minidom; xml.dom.minidom.parse(sys.argv[1])' "$R/junit.xml" 2>/dev/null ||
			broken="$broken junit.xml"
	fi
	for j in "$R"/out/*.json; do
		[ -e "$j" ] || continue
		python3 -c 'import sys, json; json.load(open(sys.argv[1]))' "$j" 2>/dev/null || broken="$broken $j"
	done
	[ -z "$broken" ] && ok "$name: JUnit and sidecars absent or whole" || bad "$name: partial outputs:$broken"
}

for b in "$T" "$K"; do
	[ -x "$b" ] || { echo "$b missing: run make first"; exit 2; }
done
if ! command -v python3 >/dev/null; then
	echo "1..0 # SKIP python3 missing (it checks the XML and JSON)"
	exit 0
fi
if ! KDIR=$("$K" kernel path 2>/dev/null) || [ -z "$KDIR" ]; then
	echo "1..0 # SKIP no cached kernel (ktstr kernel build)"
	exit 0
fi
KDIR=$(dirname "$KDIR") # the cache directory: bzImage, vmlinux, schedulers

echo "1..22"
interrupt "SIGINT at once (start-up)" INT start 30
interrupt "SIGINT during set-up (initramfs build)" INT start 300
interrupt "SIGINT during boot" INT qemu 300
interrupt "SIGTERM during the scenario" TERM qemu 3000
interrupt "SIGINT after the guest ended (judge, reports)" INT guest-done 1000
# The run interrupted in the scenario says so on its KTAP line; the one
# whose guest had ended keeps the guest's verdict and reports it whole.
grep -q 'interrupted by signal 15' "$TMP/case4/stdout" && ok "the scenario's KTAP line says interrupted" ||
	bad "no 'interrupted by signal 15' in the scenario run's output" "$(tail -3 "$TMP/case4/stdout")"
grep -q '^ok 1 steady ' "$TMP/case5/stdout" && grep -q 'tests="1" failures="0" errors="0"' "$TMP/case5/junit.xml" &&
	ok "interrupted after the guest ended: its verdict kept, in KTAP and JUnit" ||
	bad "interrupted after the guest ended: verdict lost" "$(tail -3 "$TMP/case5/stdout" | tr '\n' '|')"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
