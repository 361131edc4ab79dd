#!/usr/bin/env bash
# Flake hunter: the VM suite (build/ktstr-tests) N times, no retries, then
# a per-test table of the runs that failed and their first reasons.  A
# benchmark, not part of `make check` (the whole suite takes about half
# an hour per round under TCG); figures in docs/ci.md.
#
#   bench/flakes.sh N [FILTER...]
#     N         rounds (each one run of every selected test)
#     FILTER    as build/ktstr-tests takes them (default: all)
#   KTSTR_JOBS  parallel VMs per round (default 1)
#   FLAKES_OUT  keep each round's KTAP log and sidecars there
#               (default: a temporary directory, removed at the end)
#   KTSTR_TESTS the test binary (default build/ktstr-tests)
set -u
cd "$(dirname "$0")/.."
case ${1-} in
'' | *[!0-9]*) sed -n '2,13p' "$0"; exit 2 ;;
esac
N=$1
shift
[ $# -eq 0 ] && set -- all
T=${KTSTR_TESTS:-build/ktstr-tests}
J=${KTSTR_JOBS:-1}
[ -x "$T" ] || make -s all >/dev/null || exit 1
OUT=${FLAKES_OUT-}
if [ -z "$OUT" ]; then
	OUT=$(mktemp -d /tmp/ktstr-flakes.XXXXXX)
	trap 'rm -rf "$OUT"' EXIT
fi
mkdir -p "$OUT" || exit 1

for r in $(seq 1 "$N"); do
	echo "# round $r of $N: $T -j $J --retries 0 $* ($(cut -d' ' -f1-3 /proc/loadavg) load)" >&2
	"$T" -j "$J" --retries 0 --no-progress --out "$OUT/round$r" "$@" >"$OUT/round$r.ktap" 2>"$OUT/round$r.err"
	tail -n 1 "$OUT/round$r.ktap" >&2
done

# KTAP: "ok|not ok K NAME # topo=... — REASON"; a case run N times with F
# failures gives one row, the first failure's reason per distinct first
# 60 characters (at most 3).
cat "$OUT"/round*.ktap | awk -v rounds="$N" '
/^(not )?ok [0-9]+ / {
	bad = ($1 == "not");
	name = bad ? $4 : $3;
	if (!(name in runs))
		order[++n] = name;
	runs[name]++;
	if (!bad)
		next;
	fails[name]++;
	why = $0;
	if (!sub(/.* — /, "", why))
		why = "(no reason)";
	key = name SUBSEP substr(why, 1, 60);
	if (key in seen || nwhy[name] >= 3)
		next;
	seen[key] = 1;
	reason[name, ++nwhy[name]] = why;
}
END {
	total = 0;
	for (i = 1; i <= n; i++)
		total += fails[order[i]];
	printf "%d rounds, %d tests, %d failed runs\n\n", rounds, n, total;
	if (!total)
		exit 0;
	printf "| test | failed | first reasons |\n|---|---|---|\n";
	for (i = 1; i <= n; i++) {
		t = order[i];
		if (!fails[t])
			continue;
		line = "";
		for (k = 1; k <= nwhy[t]; k++) {
			w = reason[t, k];
			gsub(/\|/, "\\|", w);
			line = line (k > 1 ? "; " : "") substr(w, 1, 160);
		}
		printf "| `%s` | %d/%d | %s |\n", t, fails[t], runs[t], line;
	}
	exit 1;
}'
