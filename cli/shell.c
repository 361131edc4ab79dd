/* `ktstr shell`: options to struct kt_shell_opts (src/shell/). */
#include "shell/shell.h"
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
	fprintf(f,
		"usage: ktstr shell [--topo T] [--scheduler PATH [--args \"ARGS\"]] [--include-files PATH...]\n"
		"                   [--memory MB] [--kernel K] [--vmm V] [--exec \"CMD\"] [--bpf-out FILE] [-v]\n"
		"Boots a VM with busybox and gives this terminal a shell in it (the guest's /dev/ttyS1),\n"
		"or runs one command and exits with its status.  `exit` or Ctrl-] ends the session; the\n"
		"VM powers off and the terminal is restored.  Ctrl-C, Ctrl-Z go to the guest.\n\n"
		"  -t, --topo T            topology NnNlNcNt (default 1n1l1c1t; presets: `ktstr topo`)\n"
		"  -s, --scheduler P       start this sched_ext scheduler first: a host path, or\n"
		"                          scx_simple/scx_qmap/scx_central/scx_flatcg/scx_ktstr from the\n"
		"                          kernel cache; its log is /tmp/sched.log in the guest\n"
		"  -a, --args \"ARGS\"       arguments for --scheduler\n"
		"  -i, --include-files P   put host file or directory P (recursively) at the same path in\n"
		"                          the guest, with the shared libraries ELF files need; a bare\n"
		"                          name is looked up in $PATH; repeatable, and further paths may\n"
		"                          follow it as arguments\n"
		"  -m, --memory MB         guest memory (default %d, at least 256)\n"
		"  -k, --kernel P|KEY      kernel: bzImage path, build tree, cache dir or cache key\n"
		"                          (default: $KTSTR_KERNEL, else the newest cached kernel)\n"
		"      --vmm V             qemu | kvm | auto (default auto); the shell needs console\n"
		"                          input: qemu always has it\n"
		"  -e, --exec \"CMD\"        run CMD with /bin/sh -c instead of a shell, stream its output\n"
		"                          (stdin is /dev/null) and exit with its exit status\n"
		"      --bpf-out FILE      after the session, write the BPF programs and maps the host read\n"
		"                          from guest memory (id, name, type, verified_insns, run counts)\n"
		"                          and the scheduler's verifier logs to FILE as JSON\n"
		"  -v, --verbose           also show the guest kernel's console on stderr\n"
		"  -h, --help              this help\n"
		"Exit status: the shell's or the command's; 0 after Ctrl-]; 130 interrupted; 2 bad input;\n"
		"1 when the VM failed.  Inside, the shell has TERM and the window size of this terminal.\n",
		KT_SHELL_DEFAULT_MEMORY);
}

/* --bpf-out FILE */
static int write_bpf(const char *path, const struct kt_bpf_run *r)
{
	json_t *j = kt_bpf_run_json(r);
	int ret = j ? json_dump_file(j, path, JSON_INDENT(2)) : -1;

	json_decref(j);
	if (ret)
		fprintf(stderr, "ktstr: shell --bpf-out %s: could not write it\n", path);
	return ret ? -1 : 0;
}

int cli_shell(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "topo", required_argument, 0, 't' },	 { "scheduler", required_argument, 0, 's' },
		{ "args", required_argument, 0, 'a' },	 { "include-files", required_argument, 0, 'i' },
		{ "memory", required_argument, 0, 'm' }, { "kernel", required_argument, 0, 'k' },
		{ "vmm", required_argument, 0, 'V' },	 { "exec", required_argument, 0, 'e' },
		{ "verbose", no_argument, 0, 'v' },	 { "help", no_argument, 0, 'h' },
		{ "bpf-out", required_argument, 0, 'B' },
		{ 0 },
	};
	struct kt_shell_opts o = { .topo = { 1, 1, 1, 1 } };
	struct kt_shell_end how;
	struct kt_bpf_run *bpf = NULL;
	const char *bpf_out = NULL;
	const char **inc = calloc((size_t)argc + 1, sizeof(*inc));
	char err[256], *end;
	unsigned long mem;
	int c, ret;

	if (!inc)
		return 1;
	optind = 1;
	while ((c = getopt_long(argc, argv, "t:s:a:i:m:k:e:vh", lo, NULL)) != -1) {
		switch (c) {
		case 't':
			if (ktstr_topo_parse(optarg, &o.topo, err, sizeof(err)) ||
			    ktstr_topo_validate(&o.topo, err, sizeof(err))) {
				fprintf(stderr, "ktstr: shell --topo: %s\n", err);
				goto bad;
			}
			break;
		case 's': o.scheduler = optarg; break;
		case 'a': o.sched_args = optarg; break;
		case 'i': inc[o.n_include++] = optarg; break;
		case 'm':
			mem = strtoul(optarg, &end, 10);
			if (!*optarg || *end || mem < 256 || mem > (1ul << 24)) {
				fprintf(stderr, "ktstr: shell --memory '%s': expected MiB from 256 to %lu\n", optarg,
					1ul << 24);
				goto bad;
			}
			o.memory_mb = (unsigned)mem;
			break;
		case 'k': o.kernel = optarg; break;
		case 'V':
			if (kt_vm_parse_vmm(optarg, &o.vmm)) {
				fprintf(stderr, "ktstr: shell --vmm '%s': expected qemu, kvm or auto\n", optarg);
				goto bad;
			}
			break;
		case 'e': o.exec = optarg; break;
		case 'v': o.verbose = true; break;
		case 'B': bpf_out = optarg; break;
		case 'h': usage(stdout); free(inc); return 0;
		default: fprintf(stderr, "ktstr: see `ktstr shell --help`\n"); goto bad;
		}
	}
	if (optind < argc && !o.n_include) {
		fprintf(stderr, "ktstr: shell: unexpected argument '%s' (files go after --include-files); see `ktstr "
				"shell --help`\n", argv[optind]);
		goto bad;
	}
	while (optind < argc)
		inc[o.n_include++] = argv[optind++];
	if (o.sched_args && !o.scheduler) {
		fprintf(stderr, "ktstr: shell: --args needs --scheduler\n");
		goto bad;
	}
	if (o.topo.numa_nodes > VM_MAX_NODES) {
		fprintf(stderr, "ktstr: shell --topo: at most %d NUMA nodes\n", VM_MAX_NODES);
		goto bad;
	}
	o.include = inc;
	if (bpf_out && !(o.bpf = bpf = calloc(1, sizeof(*bpf)))) {
		free(inc);
		return 1;
	}
	ret = kt_shell_run(&o, &how);
	/* The BPF walk is written whenever the VM ran (bad input: it did not). */
	if (bpf && !how.bad_input && write_bpf(bpf_out, bpf) && !ret && !how.status)
		how.status = 1;
	if (bpf)
		kt_bpf_run_free(bpf);
	free(bpf);
	free(inc);
	if (!ret)
		return how.status;
	if (how.bad_input)
		return 2;
	return ret == -EINTR ? 128 + (kt_interrupted ? (int)kt_interrupted : SIGINT) : 1;
bad:
	free(inc);
	return 2;
}
