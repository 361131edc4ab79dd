#!/usr/bin/env bash
# CLI tests of `ktstr stats`, `ktstr compare`, `ktstr report` and the man
# page, error paths included.  Sidecars: a live run of two scenarios when
# a kernel is cached (two short VMs), plus the fixtures in
# tests/cli/fixtures/sidecars (real sidecars, one with a synthetic monitor
# timeline).  Synthetic regressions are derived from them with python3.
# The report is screenshotted with headless Chromium (SKIP without it).
# TAP output (tests/cli/lib.sh); exits non-zero on failure.
#   usage: tests/cli/report.sh [BUILD_DIR]     (default: build)
. "$(dirname "$0")/lib.sh"
FIX=$HERE/fixtures/sidecars
MAN=$HERE/../../docs/ktstr.1
# mutate SRC DST PYTHON: copy every sidecar, running PYTHON on each with
# d (the sidecar), name, st (result.stats) and i (its index).
mutate() {
	python3 - "$@" <<'PY'
import glob, json, os, sys
src, dst, code = sys.argv[1:4]
os.makedirs(dst, exist_ok=True)
for i, p in enumerate(sorted(glob.glob(src + "/*.ktstr.json"))):
    d = json.load(open(p))
    name, st = d["name"], d.get("result", {}).get("stats", {})
    exec(code)
    json.dump(d, open(os.path.join(dst, os.path.basename(p)), "w"))
PY
}

need_bin "$K"
command -v python3 >/dev/null || skip_all "python3 missing (needed to check JSON and build the regressions)"

# --- sidecars: a live run when a kernel is cached, else the fixtures ------
SRC=$FIX
if need_kernel "live sidecars (using the fixtures only)"; then
	# Filters match by substring: cpuset_resize also selects cgroup_cpuset_resize.
	want=$("$K" scenario --list fan_out_wake cpuset_resize | wc -l)
	nice "$K" scenario fan_out_wake cpuset_resize -j 1 --duration 2 --no-progress --out "$TMP/live" \
		>"$TMP/live.log" 2>&1 </dev/null
	got=$(ls "$TMP"/live/*.ktstr.json 2>/dev/null | wc -l)
	if [ "$want" -ge 2 ] && [ "$got" -eq "$want" ]; then
		ok "live run wrote a sidecar per case ($got)"
		SRC=$TMP/live
	else
		bad "live run wrote a sidecar per case" "$got sidecars for $want cases" "$(tail -5 "$TMP/live.log")"
	fi
fi
N=$(ls "$SRC"/*.ktstr.json | wc -l)

# --- help ------------------------------------------------------------------
expect "ktstr help lists stats, compare, report" 0 "stats .*DIR" "$K" help
expect_status "help: the three commands" 0 "$K" help &&
	{ grep -q '^  compare ' "$TMP/out" && grep -q '^  report ' "$TMP/out" && ok "help: compare and report" ||
		bad "help: compare and report" "$(cat "$TMP/out")"; }
for f in --json --metrics --help; do expect "stats help lists $f" 0 "^ +(-h, )?$f" "$K" stats --help; done
for f in --threshold --all --help; do expect "compare help lists $f" 0 "^ +(-h, )?$f" "$K" compare --help; done
for f in --output --title --help; do expect "report help lists $f" 0 "^ +(-[oh], )?$f" "$K" report --help; done

# --- stats -----------------------------------------------------------------
expect_status "stats" 0 "$K" stats "$SRC" && {
	rows=$(grep -cE '^[a-z_]+ +[0-9]n[0-9]+l' "$TMP/out")
	[ "$rows" -eq "$N" ] && ok "stats: a row per test ($rows)" || bad "stats: a row per test" "$rows rows, $N sidecars" "$(cat "$TMP/out")"
	grep -qE "^$N tests: " "$TMP/out" && grep -q '^overall' "$TMP/out" && ok "stats: summary and overall" ||
		bad "stats: summary and overall" "$(cat "$TMP/out")"
}
expect_status "stats --json" 0 "$K" stats --json "$SRC" && cp "$TMP/out" "$TMP/base.json" &&
	check_py "stats --json agrees with the sidecars" "$TMP/base.json" "$SRC" <<'PY'
import glob, json, sys
s = json.load(open(sys.argv[1]))
raw = [json.load(open(p)) for p in sorted(glob.glob(sys.argv[2] + "/*.ktstr.json"))]
assert s["ktstr_stats"] == 1 and len(s["tests"]) == len(raw), (len(s["tests"]), len(raw))
by = {t["name"]: t for t in s["tests"]}
for d in raw:
    t, st = by[d["name"]], d["result"]["stats"]
    assert t["runs"] == 1 and t["verdict"] == d["verdict"] and t["topology"] == d["topology"], t
    for k in ("worst_spread", "worst_gap_ms", "total_migrations", "total_iterations", "worst_run_delay_us"):
        assert abs(t["metrics"][k] - st[k]) < 1e-6, (d["name"], k, t["metrics"][k], st[k])
o = s["overall"]["metrics"]
assert o["worst_gap_ms"] == max(d["result"]["stats"]["worst_gap_ms"] for d in raw), o
assert o["total_iterations"] == sum(d["result"]["stats"]["total_iterations"] for d in raw), o
assert abs(o["worst_spread"] - max(d["result"]["stats"]["worst_spread"] for d in raw)) < 1e-9, o
print("ok")
PY
expect_status "stats of one directory twice" 0 "$K" stats --json "$SRC" "$SRC" &&
	check_py "stats: repeated runs are averaged" "$TMP/out" "$TMP/base.json" <<'PY'
import json, sys
two, one = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
assert len(two["tests"]) == len(one["tests"]), "grouping"
for a, b in zip(two["tests"], one["tests"]):
    assert a["runs"] == 2 and a["metrics"] == b["metrics"], (a, b)
print("ok")
PY
expect_status "stats of the fixtures" 0 "$K" stats --json "$FIX" &&
	check_py "stats: monitor metrics from the samples" "$TMP/out" "$FIX/cpuset_resize.ktstr.json" <<'PY'
import json, sys
s, d = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
m = {t["name"]: t for t in s["tests"]}["cpuset_resize"]["metrics"]
ev = {e["kind"]: e["t_ms"] for e in reversed(d["monitor"]["events"])}
smp = [x for x in d["monitor"]["samples"] if ev["scenario_start"] <= x["t_ms"] <= ev["scenario_end"]]
assert len(smp) < len(d["monitor"]["samples"]), "the fixture should have samples outside the window"
nr = [[v for v in x["nr_running"] if v is not None] for x in smp]
imb = max(1.0, max(max(v) / max(1, min(v)) for v in nr))
dsq = max(max(x["dsq_depth"]) for x in smp)
fb = sum(smp[-1]["ev_select_cpu_fallback"][c] - smp[0]["ev_select_cpu_fallback"][c] for c in range(4))
assert abs(m["max_imbalance_ratio"] - imb) < 1e-9 and m["max_dsq_depth"] == dsq, (m, imb, dsq)
assert m["total_fallback"] == fb and m["stall_count"] == 0, (m, fb)
assert "max_imbalance_ratio" not in {t["name"]: t for t in s["tests"]}["fan_out_wake"]["metrics"]
print("ok")
PY
expect_status "stats --metrics --json" 0 "$K" stats --metrics --json &&
	check_py "metric registry: 19 reference metrics + 3 BPF, reference gates" "$TMP/out" <<'PY'
import json, sys
m = {x["name"]: x for x in json.load(open(sys.argv[1]))}
assert len(m) == 22, len(m)
assert all(m[k]["polarity"] == "lower" for k in ("bpf_run_ns", "bpf_ns_per_run", "bpf_max_verified_insns"))
assert (m["worst_gap_ms"]["default_abs"], m["worst_gap_ms"]["default_rel"]) == (500, 0.5)
assert (m["worst_spread"]["default_abs"], m["worst_spread"]["default_rel"]) == (5, 0.25)
assert m["total_iterations"]["polarity"] == "higher" and m["worst_page_locality"]["polarity"] == "higher"
assert m["worst_p99_wake_latency_us"]["polarity"] == "lower" and m["worst_p99_wake_latency_us"]["default_abs"] == 50
print("ok")
PY
expect "stats --metrics table" 0 "^worst_cross_node_migration_ratio +lower" "$K" stats --metrics
# errors
mkdir -p "$TMP/empty" "$TMP/malformed" "$TMP/notsidecar"
echo '{"name": "x", "verdict": ' >"$TMP/malformed/x.ktstr.json"
echo '{"hello": 1}' >"$TMP/notsidecar/x.ktstr.json"
expect "stats without a directory" 2 "give at least one" "$K" stats
expect "stats of a missing directory" 2 "No such file" "$K" stats "$TMP/nodir"
expect "stats of an empty directory" 2 "no sidecars" "$K" stats "$TMP/empty"
expect "stats of malformed JSON" 2 "x.ktstr.json: not valid JSON" "$K" stats "$TMP/malformed"
expect "stats of a non-sidecar" 2 "not a ktstr sidecar" "$K" stats "$TMP/notsidecar"
expect "stats unknown option" 2 "unknown option '--bogus'" "$K" stats --bogus "$SRC"
expect "stats --metrics with a directory" 2 "takes no directory" "$K" stats --metrics "$SRC"

# --- compare -----------------------------------------------------------------
FIRST=$(python3 -c 'import glob,json,sys; print(json.load(open(sorted(glob.glob(sys.argv[1]+"/*.ktstr.json"))[0]))["name"])' "$SRC")
expect "compare a run with itself" 0 "summary: 0 regressions, 0 improvements" "$K" compare "$SRC" "$SRC"
mutate "$SRC" "$TMP/gap" 'st["worst_gap_ms"] += 5000 * (i == 0)'
expect_status "compare: a synthetic gap regression is caught" 1 "$K" compare "$SRC" "$TMP/gap" && {
	grep -qE "^$FIRST\b.* worst_gap_ms .* REGRESSION$" "$TMP/out" && grep -q 'summary: 1 regressions' "$TMP/out" &&
		ok "compare names the regressed test and metric" || bad "compare names the regressed test and metric" "$(cat "$TMP/out")"
}
mutate "$SRC" "$TMP/noise" 'st["worst_gap_ms"] = st["worst_gap_ms"] * 1.2 + 5; st["worst_spread"] += 1.0; st["total_iterations"] *= 0.97; st["total_migrations"] += 3'
expect "compare: changes within noise pass" 0 "summary: 0 regressions, 0 improvements, [1-9]" "$K" compare "$SRC" "$TMP/noise"
expect_grep "compare shows the within-noise lines" "within noise" "$TMP/out"
mutate "$SRC" "$TMP/iters" 'st["total_iterations"] = st["total_iterations"] // 2'
expect "compare: fewer iterations (higher is better) regress" 1 "total_iterations .* REGRESSION" "$K" compare "$SRC" "$TMP/iters"
expect "compare: the reverse is an improvement" 0 "total_iterations .* improvement" "$K" compare "$TMP/iters" "$SRC"
mutate "$SRC" "$TMP/failed" 'd["verdict"] = "fail" if i == 0 else d["verdict"]; d["passed"] = d["passed"] and i != 0'
expect "compare: pass -> fail is a regression" 1 "^$FIRST\b.* verdict +pass +fail .*REGRESSION" "$K" compare "$SRC" "$TMP/failed"
mutate "$SRC" "$TMP/sched" 'd["scheduler"] = "scx_other"'
expect "compare: scheduler A/B pairs on the other dims" 0 "differs between the sides: scheduler" "$K" compare "$SRC" "$TMP/sched"
# gates
expect "compare --threshold loosens a gate" 0 "0 regressions" "$K" compare --threshold worst_gap_ms=100000,0 "$SRC" "$TMP/gap"
expect "compare --threshold=... form" 0 "0 regressions" "$K" compare --threshold=worst_gap_ms=100000, "$SRC" "$TMP/gap"
expect "compare --threshold tightens a gate" 1 "worst_gap_ms .* REGRESSION" "$K" compare --threshold worst_gap_ms=1,1% "$SRC" "$TMP/noise"
expect "compare --threshold all" 1 "REGRESSION" "$K" compare --threshold all=0,0 "$SRC" "$TMP/noise"
# stats --json files as inputs
"$K" stats --json "$TMP/gap" >"$TMP/gap.json" 2>/dev/null
expect "compare stats --json outputs" 1 "worst_gap_ms .* REGRESSION" "$K" compare "$TMP/base.json" "$TMP/gap.json"
expect "compare a directory with a stats file" 0 "0 regressions" "$K" compare "$SRC" "$TMP/base.json"
# errors
mutate "$SRC" "$TMP/renamed" 'd["name"] = "other_" + d["name"]'
echo '{"ktstr_stats": 1, "tests": [' >"$TMP/bad.json"
expect "compare with one argument" 2 "give BASE and NEW" "$K" compare "$SRC"
expect "compare with three arguments" 2 "unexpected argument" "$K" compare "$SRC" "$SRC" "$SRC"
expect "compare a missing directory" 2 "No such file" "$K" compare "$SRC" "$TMP/nodir"
expect "compare an empty directory" 2 "no sidecars" "$K" compare "$TMP/empty" "$SRC"
expect "compare malformed JSON" 2 "not valid JSON" "$K" compare "$SRC" "$TMP/bad.json"
expect "compare a malformed sidecar" 2 "not valid JSON" "$K" compare "$TMP/malformed" "$SRC"
expect "compare without common tests" 2 "no test of" "$K" compare "$SRC" "$TMP/renamed"
expect "compare --threshold unknown metric" 2 "unknown metric 'nope'" "$K" compare --threshold nope=1,2 "$SRC" "$SRC"
expect "compare --threshold without a comma" 2 "want METRIC=ABS,REL" "$K" compare --threshold worst_gap_ms=5 "$SRC" "$SRC"
expect "compare --threshold negative" 2 "non-negative" "$K" compare --threshold worst_gap_ms=-5,0.1 "$SRC" "$SRC"
expect "compare --threshold junk" 2 "non-negative" "$K" compare --threshold worst_gap_ms=1,abc "$SRC" "$SRC"
expect "compare --threshold empty" 2 "give ABS, REL or both" "$K" compare --threshold worst_gap_ms=, "$SRC" "$SRC"
expect "compare --threshold without a value" 2 "needs METRIC=ABS,REL" "$K" compare "$SRC" "$SRC" --threshold
expect "compare unknown option" 2 "unknown option" "$K" compare --bogus "$SRC" "$SRC"

# --- report ------------------------------------------------------------------
# A hostile sidecar: markup in every string the guest or test controls.
mutate "$FIX" "$TMP/hostile" 'd["name"] = "evil<script>alert(1)</script>" if i == 0 else d["name"]; d["reason"] = "<img src=x onerror=alert(2)> & more"; d["verdict"] = "fail"; d["passed"] = False; d["result"]["details"] = [{"kind": "stuck", "message": "</li><script>alert(3)</script>"}]; d["scheduler"] = "<b>x</b>"'
html_check() { # name html sidecar-dir
	check_py "$1" "$2" "$3" <<'PY'
import glob, json, re, sys
h = open(sys.argv[1], encoding="utf-8").read()
side = [json.load(open(p)) for p in sorted(glob.glob(sys.argv[2] + "/*.ktstr.json"))]
assert h.startswith("<!DOCTYPE html>") and h.rstrip().endswith("</html>"), "not a whole page"
assert h.count('<tr class="t">') == len(side), ("table rows", h.count('<tr class="t">'), len(side))
assert h.count('<section class="test"') == len(side), "sections"
for bad in ("<script", "<img", "<link", "<iframe", "@import", "url(", "https://"):
    assert bad not in h.lower(), bad
assert len(re.findall(r"https?://", h)) == h.count('xmlns="http://www.w3.org/2000/svg"'), "external URL"
assert h.count("<svg") == h.count("</svg>"), "unbalanced svg"
mon = [d for d in side if isinstance(d.get("monitor"), dict) and d["monitor"].get("samples")]
assert h.count("no monitor data") == len(side) - len(mon), ("no monitor data", h.count("no monitor data"))
timelines = h.count("nr_running per CPU</text>") + h.count("local DSQ depth per CPU</text>")
assert timelines == 2 * len(mon), ("timelines", timelines, len(mon))
hists = sum(1 for d in side for key in ("gap_hist_ms", "wake_hist_us")
            if sum(sum(c.get(key, [])) for c in d["result"]["cgroups"]) > 0)
assert h.count('class="plot hist"') == hists, ("histograms", h.count('class="plot hist"'), hists)
for d in mon:
    for e in d["monitor"]["events"]:
        if e["kind"] == "step":
            assert e["detail"][:20].replace("&", "&amp;").replace("<", "&lt;") in h, e
print("ok")
PY
}
expect_status "report -o" 0 "$K" report -o "$TMP/r.html" "$SRC" && {
	grep -qE "^wrote $TMP/r.html \($N tests" "$TMP/out" && ok "report says what it wrote" || bad "report says what it wrote" "$(cat "$TMP/out")"
	html_check "report of $(basename "$SRC"): a row per test, a plot per series" "$TMP/r.html" "$SRC"
}
expect_status "report of the fixtures" 0 "$K" report --title "fixtures & <co>" -o "$TMP/fix.html" "$FIX" &&
	html_check "report of the fixtures: monitor timeline, steps, histograms" "$TMP/fix.html" "$FIX"
expect_grep "report --title is escaped" '<title>fixtures &amp; &lt;co&gt;</title>' "$TMP/fix.html"
expect_status "report of hostile sidecars" 0 "$K" report -o "$TMP/hostile.html" "$TMP/hostile" && {
	html_check "report: hostile strings are escaped" "$TMP/hostile.html" "$TMP/hostile"
	grep -q 'evil&lt;script&gt;alert(1)&lt;/script&gt;' "$TMP/hostile.html" && grep -q '&lt;img src=x' "$TMP/hostile.html" &&
		ok "report: hostile strings shown as text" || bad "report: hostile strings shown as text"
}
cp -r "$FIX" "$TMP/defdir"
expect_status "report default output" 0 "$K" report "$TMP/defdir" &&
	{ [ -s "$TMP/defdir/report.html" ] && ok "report writes DIR/report.html by default" || bad "report writes DIR/report.html by default"; }
expect_status "report -o -" 0 "$K" report -o - "$FIX" &&
	{ head -1 "$TMP/out" | grep -q '<!DOCTYPE html>' && ok "report -o - writes to stdout" || bad "report -o - writes to stdout"; }
expect "report without a directory" 2 "give the sidecar directory" "$K" report
expect "report of a missing directory" 2 "No such file" "$K" report "$TMP/nodir"
expect "report of an empty directory" 2 "no sidecars" "$K" report "$TMP/empty"
expect "report of malformed JSON" 2 "not valid JSON" "$K" report "$TMP/malformed"
expect "report of a file" 2 "give a directory" "$K" report "$TMP/bad.json"
expect "report -o without a value" 2 "needs a value" "$K" report "$FIX" -o
expect "report two directories" 2 "unexpected argument" "$K" report "$FIX" "$FIX"
expect "report unknown option" 2 "unknown option" "$K" report --bogus "$FIX"
expect "report to an unwritable path" 1 "writing $TMP/nodir/x.html" "$K" report -o "$TMP/nodir/x.html" "$FIX"

# --- screenshot in headless Chromium ------------------------------------------
CHROME=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
if [ -z "$CHROME" ]; then
	skip "screenshots" "chromium not installed (apt-get install chromium)"
else
	sandbox=""; [ "$(id -u)" -eq 0 ] && sandbox=--no-sandbox # Chromium refuses root without it
	shot() { # name html png colours...
		local name=$1 html=$2 png=$3
		shift 3
		rm -f "$png"
		timeout 120 nice "$CHROME" --headless $sandbox --disable-gpu --hide-scrollbars --screenshot="$png" \
			--window-size=1280,2000 "file://$html" >"$TMP/chrome.log" 2>&1 </dev/null
		if [ ! -s "$png" ]; then
			bad "$name" "no screenshot: $(tail -3 "$TMP/chrome.log")"
		elif python3 "$HERE/pngcheck.py" "$png" 1280 2000 "$@" >"$TMP/png" 2>&1; then
			ok "$name: $(cat "$TMP/png") ($(stat -c %s "$png") bytes)"
		else
			bad "$name" "$(cat "$TMP/png")"
		fi
	}
	# colours: pass badge, histogram bars (and cpu0's line with a monitor)
	shot "screenshot of the $(basename "$SRC") report" "$TMP/r.html" "$TMP/r.png" 2e7d32 5c85d6
	shot "screenshot of the fixtures report (monitor timeline)" "$TMP/fix.html" "$TMP/fix.png" 2e7d32 5c85d6 1f77b4
	[ -n "${KTSTR_KEEP_SCREENSHOTS:-}" ] && cp "$TMP"/*.png "$KTSTR_KEEP_SCREENSHOTS"/ 2>/dev/null
fi

# --- man page ----------------------------------------------------------------
if [ ! -f "$MAN" ]; then
	bad "man page exists" "$MAN missing"
elif ! command -v groff >/dev/null; then
	skip "man page rendering" "groff not installed"
else
	groff -man -Tutf8 -ww "$MAN" >/dev/null 2>"$TMP/groff.err"
	[ ! -s "$TMP/groff.err" ] && ok "man page renders without warnings" || bad "man page renders without warnings" "$(head -5 "$TMP/groff.err")"
	# runs of blanks as one: groff justifies lines by widening gaps
	groff -man -Tascii "$MAN" 2>/dev/null | col -b | sed "s/[[:space:]]\+/ /g" >"$TMP/man.txt"
	# every command of `ktstr help` and every flag of its --help is documented
	missing=""
	for c in $("$K" help | awk '/^commands:/ {on=1; next} on && /^  [a-z]/ {print $1} /^$/ && on {on=0}' | tr '|' ' ') \
		show-host topo; do
		grep -q "ktstr $c" "$TMP/man.txt" || { missing="$missing $c"; continue; }
		"$K" "$c" --help >"$TMP/h" 2>&1 || continue
		for f in $(grep -oE -- '(^|[][ ,|(])--?[a-zA-Z][a-zA-Z0-9-]*' "$TMP/h" | sed 's/^[][ ,|(]//' | sort -u); do
			grep -qF -- "$f" "$TMP/man.txt" || missing="$missing $c:$f"
		done
	done
	[ -z "$missing" ] && ok "man page covers every command and flag" || bad "man page covers every command and flag" "missing:$missing"
fi

done_testing
