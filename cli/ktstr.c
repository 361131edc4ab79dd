/* The ktstr command line. */
#include "guest/guest.h"
#include "cli.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define KTSTR_VERSION "0.1.0"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: ktstr COMMAND [ARGS]\n\n"
		"Test harness for Linux process schedulers: boots a kernel in a VM with an exact\n"
		"CPU topology and checks starvation, fairness and scheduling gaps.\n\n"
		"commands:\n"
		"  kernel build [--source DIR] [-j N] [--force] [--no-schedulers]\n"
		"                      build the guest kernel + sched_ext schedulers into the cache\n"
		"  kernel list         list cached kernels\n"
		"  kernel path [KEY]   print the bzImage path of a cached kernel\n"
		"  kernel clean [KEY|--all] [--keep N]\n"
		"                      remove cached kernels\n"
		"  scenario [NAME...|all] [--list] [--scheduler PATH] [--args \"...\"] [--topo T]\n"
		"           [--duration S] [-j N]\n"
		"                      run canned scenarios in a VM under EEVDF or a sched_ext\n"
		"                      scheduler; `ktstr scenario --help` for every option\n"
		"  gauntlet [NAME...] [--presets P,Q|all] [--budget S] [--list] [-j N] [--shard I/N]\n"
		"           [--scheduler PATH] [--junit F] [--out DIR]\n"
		"                      every scenario on every topology preset its constraints accept,\n"
		"                      as NAME@TOPO; --budget picks the subset covering the most features\n"
		"                      in S seconds; `ktstr gauntlet --help` for every option\n"
		"  shell [--topo T] [--scheduler PATH [--args \"...\"]] [--include-files PATH...]\n"
		"        [--memory MB] [--kernel K] [--vmm V] [--exec \"CMD\"]\n"
		"                      a shell (or one command) in a VM with busybox; `exit` or Ctrl-]\n"
		"                      leaves; `ktstr shell --help` for every option\n"
		"  verifier --scheduler PATH|NAME [--args \"...\"] [--kernel K] [--raw]\n"
		"           [--profiles A,B | --all-profiles] [--flag NAME=ARGS]... [--json]\n"
		"  verifier --compare A.json B.json [--max-growth PCT]\n"
		"                      what the BPF verifier made of each program of a scheduler (1-CPU VM\n"
		"                      per flag profile): verified_insns, budget share, stats, collapsed log;\n"
		"                      `ktstr verifier --help` for every option\n"
		"  show-host | topo    host CPUs/LLCs/NUMA, KVM, backend, kernels | topology presets\n"
		"  run [NAME...|all] [--duration S]\n"
		"                      run canned scenarios on this host (bare metal)\n"
		"  stats [--json] DIR...\n"
		"                      metrics of the sidecars (--out DIR) per test and overall\n"
		"  compare [--threshold M=ABS,REL]... BASE NEW\n"
		"                      A/B regression gate on two runs (exit 1 on a regression)\n"
		"  report [-o FILE] DIR\n"
		"                      self-contained HTML page: tests, monitor timeline, histograms\n"
		"  version             print the version\n"
		"  help                this help\n\n"
		"Tests are C files declaring KTSTR_TEST(...) linked with libktstr.a; the resulting\n"
		"binary (e.g. build/ktstr-tests) runs them: see `build/ktstr-tests --help`.\n"
		"Environment: KTSTR_KERNEL (kernel to use), KTSTR_CACHE_DIR (cache root,\n"
		"default ~/.cache/ktstr), KTSTR_ACCEL=kvm|tcg (QEMU accelerator),\n"
		"KTSTR_VM_TIMEOUT (seconds).\n");
}

int main(int argc, char **argv)
{
	if (getpid() == 1)
		kt_guest_main();
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "kernel"))
		return cli_kernel(argc - 1, argv + 1);
	if (!strcmp(argv[1], "scenario"))
		return cli_scenario(argc - 1, argv + 1);
	if (!strcmp(argv[1], "run"))
		return cli_run(argc - 1, argv + 1);
	if (!strcmp(argv[1], "gauntlet"))
		return cli_gauntlet(argc - 1, argv + 1);
	if (!strcmp(argv[1], "shell"))
		return cli_shell(argc - 1, argv + 1);
	if (!strcmp(argv[1], "verifier"))
		return kt_verifier_cli(argc - 1, argv + 1, NULL, 0);
	if (!strcmp(argv[1], "stats"))
		return cli_stats(argc - 1, argv + 1);
	if (!strcmp(argv[1], "compare"))
		return cli_compare(argc - 1, argv + 1);
	if (!strcmp(argv[1], "report"))
		return cli_report(argc - 1, argv + 1);
	if (!strcmp(argv[1], "show-host") || !strcmp(argv[1], "topo"))
		return cli_host(argc - 1, argv + 1);
	if (!strcmp(argv[1], "version") || !strcmp(argv[1], "--version")) {
		printf("ktstr %s\n", KTSTR_VERSION);
		return 0;
	}
	if (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(stdout);
		return 0;
	}
	fprintf(stderr, "ktstr: unknown command '%s'; see `ktstr help`\n", argv[1]);
	return 2;
}
