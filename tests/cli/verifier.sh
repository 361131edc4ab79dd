#!/usr/bin/env bash
# CLI tests of `ktstr verifier` and `ktstr shell --bpf-out` (docs/verifier.md):
# help and bad input (no VM); --compare's gate on two files; then VMs:
#  - per kernel-tree scheduler and scx_ktstr, one boot: the host's reading of
#    every struct_ops program from guest memory (shell --bpf-out) against the
#    guest's own view in the same boot: `bpftool prog show` (ids, names,
#    types; bpftool built with the kernel tree, in the kernel's sched dir)
#    and the scheduler's /proc/PID/fdinfo (verified_insns: 6.12's bpftool
#    does not print it);
#  - `ktstr verifier` on each: every struct_ops program listed with the
#    same non-zero verified_insns as that boot;
#  - scx_ktstr --verify-loop / --fail-verify: rejected, with the folded log
#    and the reason; scx_qmap's declared flags: one column per profile.
# Prints "N passed, N failed"; exits non-zero on failure.
#   usage: tests/cli/verifier.sh [BUILD_DIR]     (default: build)
. "$(dirname "$0")/lib.sh"
need_bin "$K" "$T"

# --- help and bad input (no VM) ------------------------------------------------
for f in --scheduler --args --kernel --raw --profiles --all-profiles --flag --json --compare --max-growth; do
	expect "verifier help lists $f" 0 "^ +(-[a-z], )?$f[ =]" "$K" verifier --help
done
expect "ktstr help lists verifier" 0 "^  verifier " "$K" help
expect "shell help lists --bpf-out" 0 "^ +--bpf-out FILE" "$K" shell --help
expect "no --scheduler" 2 "--scheduler is required" "$K" verifier
expect "--max-growth without --compare" 2 "goes with --compare" "$K" verifier --scheduler scx_simple --max-growth 5
expect "--all-profiles without flags" 2 "needs flags" "$K" verifier --scheduler scx_simple --all-profiles
expect "bad --flag" 2 "want NAME=ARGS" "$K" verifier --scheduler scx_simple --flag nameonly
expect "unknown profile" 2 "no such valid profile.*default a" "$K" verifier --scheduler scx_simple --flag a=-x --profiles b
expect "bad --max-growth" 2 "percentage" "$K" verifier --compare a b --max-growth -3

# --- --compare (no VM) ----------------------------------------------------------
mk() { # mk FILE INSNS: a --json document with one program
	printf '{"profiles":[{"profile":"default","progs":[{"name":"ktstr_dispatch","verified_insns":%s}]}]}\n' "$2" >"$1"
}
mk "$TMP/a.json" 1000
mk "$TMP/b.json" 1300
expect "--compare over --max-growth exits 1" 1 "default/ktstr_dispatch +1000 +1300  \+300 \(\+30\.0 %\)  over" \
	"$K" verifier --compare "$TMP/a.json" "$TMP/b.json" --max-growth 10
expect "--compare within --max-growth exits 0" 0 "^ok: growth limit 50\.0 %" \
	"$K" verifier --compare "$TMP/a.json" "$TMP/b.json" --max-growth 50
echo '{"profiles":7}' >"$TMP/c.json"
expect "--compare refuses other JSON" 2 "not .ktstr verifier --json. output" \
	"$K" verifier --compare "$TMP/a.json" "$TMP/c.json"

if ! kpath=$("$K" kernel path 2>/dev/null); then
	skip "verifier VMs" "no cached kernel (ktstr kernel build)"
	done_testing
fi
BPFTOOL=$(dirname "$kpath")/sched/bpftool
[ -x "$BPFTOOL" ] || BPFTOOL=""

# --- the host's reading against the guest's own, in one boot ---------------------
# check_boot SCHED: every struct_ops program of the scheduler, as the host read
# it, has the verified_insns its fdinfo says and the name/type bpftool says.
check_boot() {
	local s=$1 cmd
	cmd="for f in /proc/\$(pidof $s)/fdinfo/*; do grep -E '^(prog_id|verified_insns):' \$f; done"
	[ -n "$BPFTOOL" ] && cmd="$BPFTOOL prog show; $cmd"
	nice "$K" shell --scheduler "$s" ${BPFTOOL:+--include-files "$BPFTOOL"} --bpf-out "$TMP/$s.boot.json" \
		--exec "$cmd" >"$TMP/$s.guest" 2>"$TMP/err" </dev/null
	python3 - "$TMP/$s.boot.json" "$TMP/$s.guest" "$s" <<'EOF'
import json, re, sys
host = json.load(open(sys.argv[1]))
guest = open(sys.argv[2]).read()
fd = dict(re.findall(r'prog_id:\s+(\d+)\nverified_insns:\s+(\d+)', guest))
bt = {m[0]: (m[1], m[2]) for m in re.findall(r'^(\d+): (\w+)\s+name (\S+)', guest, re.M)}
progs = [p for p in host['progs'] if p['type'] == 'struct_ops']
errs = []
if not progs:
    errs.append('no struct_ops program read by the host (%s)' % host.get('note'))
for p in progs:
    i = str(p['id'])
    if p['verified_insns'] <= 0:
        errs.append('%s: verified_insns %d' % (p['name'], p['verified_insns']))
    if i not in fd:
        errs.append('%s (id %s): not among the scheduler\'s fds in the guest' % (p['name'], i))
    elif int(fd[i]) != p['verified_insns']:
        errs.append('%s: host %d, guest fdinfo %s' % (p['name'], p['verified_insns'], fd[i]))
    # the kernel keeps 15 bytes of a name (BPF_OBJ_NAME_LEN); bpftool
    # prints the whole function name from the program's BTF
    if bt and (i not in bt or bt[i][0] != p['type'] or bt[i][1][:15] != p['name']):
        errs.append('%s (id %s): bpftool says %s' % (p['name'], i, bt.get(i)))
for e in errs:
    print(e)
print('%d programs checked' % len(progs), file=sys.stderr)
sys.exit(1 if errs else 0)
EOF
}

for s in scx_simple scx_qmap scx_central scx_flatcg scx_ktstr; do
	if out=$(check_boot "$s" 2>&1); then
		ok "$s: host's verified_insns and names = the guest's fdinfo/bpftool ($(echo "$out" | tail -n 1))"
	else
		bad "$s: host and guest disagree" "$out" "stderr: $(tail -c 300 "$TMP/err")"
	fi
	# ktstr verifier lists the same programs with the same figures
	nice "$K" verifier --scheduler "$s" --json >"$TMP/$s.v.json" 2>"$TMP/err" </dev/null
	rc=$?
	if [ "$rc" -eq 0 ] && python3 - "$TMP/$s.v.json" "$TMP/$s.boot.json" <<'EOF'; then
import json, sys
v = json.load(open(sys.argv[1]))['profiles'][0]
b = json.load(open(sys.argv[2]))
want = {p['name']: p['verified_insns'] for p in b['progs'] if p['type'] == 'struct_ops'}
got = {p['name']: p['verified_insns'] for p in v['progs'] if p['type'] == 'struct_ops'}
sys.exit(0 if v['attached'] and want and got == want and all(got.values()) else 1)
EOF
		ok "$s: ktstr verifier lists every struct_ops program with the same non-zero verified_insns"
	else
		bad "$s: ktstr verifier (exit $rc)" "stdout: $(head -c 400 "$TMP/$s.v.json")" "stderr: $(tail -c 300 "$TMP/err")"
	fi
done
# scx_ktstr knows --log-level: the verifier's statistics of every program
expect "scx_ktstr: verifier stats from its load logs" 0 "ktstr_dispatch +processed=[0-9]+  states=[0-9]+/[0-9]+  time=[0-9]+us  stack=" \
	nice "$K" verifier --scheduler scx_ktstr

# --- rejections -------------------------------------------------------------------
expect "--verify-loop: rejected, the unrolled copies folded" 1 "^    --- 8x of the following 12 lines ---$" \
	nice "$K" verifier --scheduler scx_ktstr --args --verify-loop
grep -q "^    --- 6 identical iterations omitted ---$" "$TMP/out" &&
	grep -q "ktstr_dispatch  *REJECTED: infinite loop detected at insn 115" "$TMP/out" &&
	ok "--verify-loop: the omitted marker and the reason" ||
	bad "--verify-loop: the omitted marker and the reason" "$(head -c 600 "$TMP/out")"
expect "--verify-loop --raw: the log as written" 1 "^    103: \(27\) r6 \*= 31" \
	nice "$K" verifier --scheduler scx_ktstr --args --verify-loop --raw
grep -q "^    58: (27) r6 \*= 31" "$TMP/out" && ok "--raw keeps the middle iterations" ||
	bad "--raw keeps the middle iterations" "$(head -c 600 "$TMP/out")"
expect "--fail-verify: the reason and the lines before it" 1 \
	"^    123: \(7b\) \*\(u64 \*\)\(r2 \+0\) = r1$" nice "$K" verifier --scheduler scx_ktstr --args --fail-verify
grep -q "^    R2 invalid mem access 'scalar'$" "$TMP/out" && ok "--fail-verify: R2 invalid mem access" ||
	bad "--fail-verify: R2 invalid mem access" "$(head -c 600 "$TMP/out")"

# --- profiles: scx_qmap's flags as tests/sched.c declares them -----------------------
expect "scx_qmap --all-profiles: a column per profile in the program table" 0 \
	"^program +default +batch +short_slice +batch\+boost +batch\+short_slice +batch\+boost\+short_slice$" \
	nice "$T" verifier --scheduler scx_qmap --all-profiles
rows=$(grep -cE "^(default|batch|short_slice|batch\+boost|batch\+short_slice|batch\+boost\+short_slice) +[0-9]+ +[0-9]+  qmap_" "$TMP/out")
[ "$rows" -eq 6 ] && ok "scx_qmap --all-profiles: one row per profile (6)" ||
	bad "scx_qmap --all-profiles: one row per profile" "$rows rows" "$(head -c 800 "$TMP/out")"
grep -qE "^batch +[0-9]+ +[0-9]+ .*qmap_dispatch \+[0-9]+" "$TMP/out" &&
	ok "scx_qmap: batch changes qmap_dispatch's verified_insns" ||
	bad "scx_qmap: batch changes qmap_dispatch" "$(grep -E '^batch ' "$TMP/out")"

done_testing
