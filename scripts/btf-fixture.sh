#!/bin/sh
# Capture the unit tests' BTF fixture from a cached kernel (see
# unit/fixtures/README.md):
#   scripts/btf-fixture.sh [KERNEL_CACHE_DIR]     (from the repository root)
# Default: the newest ~/.cache/ktstr/kernels/*.  Writes
# unit/fixtures/btf-<version>.btf (the types the monitor reads, cut out of
# vmlinux's .BTF by scripts/btf_trim.c), checks that pahole and bpftool
# read it and that pahole prints the same layouts from it as from the whole
# .BTF, then prints the DWARF layouts the expected offsets in
# unit/test_monitor_btf.c come from.
set -e
cd "$(dirname "$0")/.."
cache=${KTSTR_CACHE_DIR:-$HOME/.cache/ktstr}
dir=${1:-$(ls -td "$cache"/kernels/*/ | head -n 1)}
dir=${dir%/}
vmlinux=$dir/vmlinux
version=$(sed -n 's/.*"version": *"\([^"]*\)".*/\1/p' "$dir/metadata.json")
out=unit/fixtures/btf-$version.btf
mkdir -p build unit/fixtures
cc -O2 -g -std=gnu11 -Wall -Wextra -Werror -o build/btf_trim scripts/btf_trim.c
objcopy -O binary --only-section=.BTF "$vmlinux" build/vmlinux.btf
# The monitor's types (src/monitor/layout.c); the optional ones appeared
# after 6.12.
build/btf_trim build/vmlinux.btf "$out" struct:rq enum:scx_ops_enable_state '?enum:scx_enable_state' \
	'?struct:scx_event_stats' '?struct:scx_sched' '?struct:scx_sched_pcpu'
bpftool=$(command -v bpftool || ls "$cache"/build/*/build/sbin/bpftool 2>/dev/null | head -n 1)
if [ -n "$bpftool" ]; then
	"$bpftool" btf dump file "$out" >/dev/null
	echo "$out: bpftool reads it"
fi
for t in rq scx_rq scx_dispatch_q sched_info; do
	pahole -F btf -C $t "$vmlinux" >build/layout-full.txt
	pahole -F btf -C $t "$out" >build/layout-fixture.txt
	cmp -s build/layout-full.txt build/layout-fixture.txt || { echo "struct $t differs"; exit 1; }
done
echo "$out: $(wc -c <"$out") bytes, key $(basename "$dir"); pahole layouts identical to vmlinux .BTF"
echo "--- expected offsets (pahole -F dwarf: vmlinux's DWARF, not its BTF) ---"
pahole -F dwarf -C rq "$vmlinux" | grep -E '[ *](nr_running|clock|curr|idle|scx|rq_sched_info|sched_count|sched_goidle|ttwu_count|cpu);|size:'
pahole -F dwarf -C scx_rq "$vmlinux" | grep -E ' (local_dsq|nr_running|flags)[; ]|size:'
pahole -F dwarf -C scx_dispatch_q "$vmlinux" | grep -E ' nr;|size:'
pahole -F dwarf -C sched_info "$vmlinux" | grep -E ' (pcount|run_delay);|size:'
pahole -F dwarf -C sched_dl_entity "$vmlinux" | grep -E ' (dl_throttled|dl_yielded):'
pahole -F dwarf -C scx_ops_enable_state "$vmlinux"
nm "$vmlinux" | grep -wE '_text|_end|linux_banner|phys_base|page_offset_base|__pgtable_l5_enabled|init_top_pgt|runqueues|__per_cpu_offset|nr_cpu_ids|scx_ops_enable_state_var|scx_enable_state_var|scx_switching_all|scx_nr_rejected|event_stats_cpu|scx_root'
