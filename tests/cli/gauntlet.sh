#!/usr/bin/env bash
# CLI tests of `ktstr gauntlet` and the runner's --gauntlet/--presets/
# --budget/--costs: variant counts and names, constraints, bad input, the
# budget's choice (respected, deterministic, sharded), and one small real
# run (2 presets x steady) that must pass and record its costs.  TAP
# output (tests/cli/lib.sh); exits non-zero on failure.
#   usage: tests/cli/gauntlet.sh [BUILD_DIR]     (default: build)
. "$(dirname "$0")/lib.sh"
export KTSTR_COSTS=$TMP/costs.json # never the user's cost cache
need_bin "$T" "$K"

# --- help -------------------------------------------------------------------
for f in --gauntlet --presets --budget --costs --shard --junit --out --list --jobs --scheduler; do
	expect "gauntlet help lists $f" 0 "^ +(-[a-z], )?$f[ =]" "$K" gauntlet --help
	expect "test binary help lists $f" 0 "^ +(-[a-z], )?$f[ =]" "$T" --help
done
expect "ktstr help lists gauntlet" 0 "^  gauntlet " "$K" help

# --- variant counts -----------------------------------------------------------
"$K" gauntlet --list >"$TMP/all" 2>"$TMP/err"
awk '{print $1}' "$TMP/all" | sort >"$TMP/all.names"
nall=$(wc -l <"$TMP/all.names")
nscen=$("$K" scenario --list | wc -l)
check "gauntlet lists variants ($nall)" [ "$nall" -gt "$nscen" ]
check "every variant is NAME@TOPO" [ "$(grep -cvE '^[a-z0-9_]+@[0-9]+n[0-9]+l[0-9]+c[0-9]+t$' "$TMP/all.names")" -eq 0 ]
check "no duplicate variants" [ -z "$(uniq -d "$TMP/all.names")" ]
nbase=$(sed 's/@.*//' "$TMP/all.names" | sort -u | wc -l)
check "every scenario has variants ($nbase of $nscen)" [ "$nbase" -eq "$nscen" ]
# default constraints: one NUMA node, at most 12 LLCs, at most 192 CPUs
# (multi-NUMA presets only for scenarios declared on several nodes)
"$K" scenario --list | awk '$2 ~ /topo=[2-9]n/ {print $1}' | sort >"$TMP/numa.scen"
grep -E '@[2-9]n' "$TMP/all.names" | sed 's/@.*//' | sort -u >"$TMP/numa.var"
check "multi-NUMA presets only for multi-NUMA scenarios" [ -z "$(comm -23 "$TMP/numa.var" "$TMP/numa.scen")" ]
check "no preset beyond 12 LLCs by default" [ "$(grep -cE '@1n1[3-9]l' "$TMP/all.names")" -eq 0 ]
topos1=$(grep -vE '@[2-9]n' "$TMP/all.names" | sed 's/.*@//' | sort -u | wc -l)
check "15 single-node presets pass the default constraints ($topos1)" [ "$topos1" -eq 15 ]
# the full list is the union of the per-preset lists
sum=0
for p in $("$K" topo | tail -n +2 | awk '{print $1}'); do
	n=$("$K" gauntlet --list --presets "$p" 2>/dev/null | wc -l)
	sum=$((sum + n))
done
check "sum over presets = full list ($sum)" [ "$sum" -eq "$nall" ]
check "--presets all = default" [ "$("$K" gauntlet --list --presets all | wc -l)" -eq "$nall" ]
# two presets x one scenario (anchored filter)
"$K" gauntlet --list --presets tiny-1llc,smt-2llc '^steady@' | awk '{print $1}' >"$TMP/two"
check "2 presets x steady = 2 variants" [ "$(cat "$TMP/two" | tr '\n' ' ')" = "steady@1n1l4c1t steady@1n2l2c2t " ]
# a scenario whose steps need 2 LLCs is left off the 1-LLC preset
check "steady_llc skips 1n1l4c1t" [ "$("$K" gauntlet --list --presets tiny-1llc '^steady_llc@' 2>/dev/null | wc -l)" -eq 0 ]
# flag profiles x presets in a test binary; nested-rig tests have no variants
"$T" --gauntlet --list --presets tiny-1llc,smt-2llc '^sched_qmap_profiles@' | awk '{print $1}' >"$TMP/prof"
check "6 profiles x 2 presets = 12" [ "$(wc -l <"$TMP/prof")" -eq 12 ]
check "profile variant names" grep -qx 'sched_qmap_profiles@1n2l2c2t/batch+boost' "$TMP/prof"
expect "nested tests have no variants" 2 "no test matches" "$T" --gauntlet --list '^nested_'

# --- bad input ----------------------------------------------------------------
expect "unknown preset" 2 "unknown preset 'nope'" "$K" gauntlet --list --presets tiny-1llc,nope
expect "empty --presets" 2 "--presets" "$K" gauntlet --list --presets ""
expect "--topo with the gauntlet" 2 "--topo and the gauntlet" "$K" gauntlet --list --topo 1n1l2c1t
expect "--budget 0" 2 "--budget" "$K" gauntlet --list --budget 0
expect "--budget x" 2 "--budget" "$K" gauntlet --list --budget x
expect "a budget nothing fits in" 2 "no variant fits; the cheapest is estimated at" "$K" gauntlet --list --budget 1

# --- --budget -----------------------------------------------------------------
for b in 30 120 600; do
	"$K" gauntlet --list --budget "$b" >"$TMP/b$b" 2>"$TMP/b$b.err"
	rc=$?
	grep -vE '^(VARIANT|#)' "$TMP/b$b" >"$TMP/b$b.rows"
	n=$(wc -l <"$TMP/b$b.rows")
	est=$(awk '{s += $2} END {printf "%.1f", s}' "$TMP/b$b.rows")
	check "--budget $b: exit 0, $n variants" [ "$rc" -eq 0 -a "$n" -gt 0 ]
	check "--budget $b: estimate $est <= $b" awk -v e="$est" -v b="$b" 'BEGIN {exit !(e <= b)}'
	check "--budget $b: summary line" grep -qE "^ktstr budget: $n/$nall variants" "$TMP/b$b.err"
	check "--budget $b: chosen variants exist" [ -z "$(awk '{print $1}' "$TMP/b$b.rows" | sort | comm -23 - "$TMP/all.names")" ]
	grep -oE '[0-9]+/[0-9]+ features covered' "$TMP/b$b" | head -1 | cut -d/ -f1 >"$TMP/b$b.cov"
done
check "more budget covers more features" [ "$(cat "$TMP/b30.cov")" -lt "$(cat "$TMP/b600.cov")" ]
check "more budget chooses more variants" [ "$(wc -l <"$TMP/b30.rows")" -lt "$(wc -l <"$TMP/b600.rows")" ]
"$K" gauntlet --list --budget 120 >"$TMP/b120.again" 2>/dev/null
check "--budget is deterministic" cmp -s "$TMP/b120" "$TMP/b120.again"
check "the budget's listing names the covered features" grep -qE '^# not covered: ' "$TMP/b120"
check "a small budget covers tests first" grep -qE 'test:[a-z_]+' "$TMP/b30"
# -j N: N VMs at a time, so N times the VM-seconds
"$K" gauntlet --list --budget 60 -j 2 2>/dev/null | grep -vE '^(VARIANT|#)' >"$TMP/j2"
"$K" gauntlet --list --budget 120 2>/dev/null | grep -vE '^(VARIANT|#)' >"$TMP/j1"
check "--budget 60 -j 2 = --budget 120" cmp -s "$TMP/j1" "$TMP/j2"
# shards of the budget's choice: together exactly that choice
awk '{print $1}' "$TMP/b120.rows" | sort >"$TMP/b120.names"
: >"$TMP/union"
for i in 1 2 3; do
	"$K" gauntlet --list --budget 120 --shard "$i/3" 2>/dev/null | awk '{print $1}' >>"$TMP/union"
done
check "--budget with --shard: shards partition the choice" cmp -s <(sort "$TMP/union") "$TMP/b120.names"
# a measured cost replaces the model
printf '{"version":1,"entries":{"tcg/steady@1n2l2c1t":{"overhead_s":1.25,"runs":2}}}\n' >"$TMP/m.json"
"$K" gauntlet --list --budget 9999 --presets tiny-2llc --costs "$TMP/m.json" '^steady@' >"$TMP/m" 2>/dev/null
check "measured cost used (1.25 + 3 s)" grep -qE '^steady@1n2l2c1t +4\.2 +measured ' "$TMP/m"
echo 'not json' >"$TMP/junk.json"
expect "a broken costs file falls back to the model" 0 "model" "$K" gauntlet --list --budget 60 --costs "$TMP/junk.json"

# --- a real gauntlet: 2 presets x steady ----------------------------------------
if need_kernel "gauntlet run: 2 presets x steady"; then
	nice "$K" gauntlet '^steady@' --presets tiny-2llc,smt-2llc --duration 1 --no-progress \
		--junit "$TMP/g.xml" >"$TMP/run" 2>"$TMP/run.err" </dev/null
	rc=$?
	check "gauntlet run exit 0" [ "$rc" -eq 0 ]
	check "gauntlet run: 2 passed, 0 failed" grep -qx '2 passed, 0 failed' "$TMP/run"
	check "gauntlet run: variant on its preset's topology" grep -qE '^ok [12] steady@1n2l2c2t # topo=1n2l2c2t ' "$TMP/run"
	check "gauntlet run: JUnit names the variants" grep -q 'steady@1n2l2c1t' "$TMP/g.xml"
	if [ "$rc" -ne 0 ]; then diag "$(tail -5 "$TMP/run")" "$(tail -3 "$TMP/run.err")"; fi
	check "costs recorded for both variants" [ "$(grep -cE '"tcg/steady@1n2l2c[12]t"|"kvm/steady@1n2l2c[12]t"' "$KTSTR_COSTS")" -eq 2 ]
	"$K" gauntlet --list --budget 9999 --presets tiny-2llc,smt-2llc '^steady@' >"$TMP/after" 2>/dev/null
	check "the next budget uses the measured costs" [ "$(grep -c ' measured ' "$TMP/after")" -eq 2 ]
fi

done_testing
