/* `ktstr show-host`: what this host offers ktstr (CPU topology from sysfs,
 * KVM usability, the backend --vmm auto picks, QEMU, cached kernels).
 * `ktstr topo`: the gauntlet's named topology presets. */
#include "model/presets.h"
#include "kernel/kernel.h"
#include "vm/accel.h"
#include "vm/backend.h"
#include "cli.h"
#include <ktstr/cpumask.h>
#include <ktstr/topology.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SYS_CPU "/sys/devices/system/cpu"
#define SYS_NODE "/sys/devices/system/node"
#define MAX_GROUPS 256


struct groups {
	struct ktstr_cpumask m[MAX_GROUPS];
	char label[MAX_GROUPS][32];
	unsigned n;
};

static void add_group(struct groups *g, const struct ktstr_cpumask *m, const char *label)
{
	for (unsigned i = 0; i < g->n; i++)
		if (kt_mask_equal(&g->m[i], m))
			return;
	if (g->n < MAX_GROUPS) {
		g->m[g->n] = *m;
		snprintf(g->label[g->n], sizeof(g->label[g->n]), "%s", label);
		g->n++;
	}
}

static int read_mask(const char *path, struct ktstr_cpumask *m)
{
	char buf[4096];

	kmask_zero(m);
	if (kt_read_file_str(path, buf, sizeof(buf)))
		return -1;
	return kt_mask_parse(buf, m);
}

/* The last-level cache of cpu: the highest-level data/unified cache. */
static int cpu_llc(unsigned cpu, struct ktstr_cpumask *m, char *label, size_t len)
{
	int best = -1;

	for (unsigned idx = 0; idx < 16; idx++) {
		char p[256], v[64], type[32], size[32] = "";
		int level;

		snprintf(p, sizeof(p), SYS_CPU "/cpu%u/cache/index%u/level", cpu, idx);
		if (kt_read_file_str(p, v, sizeof(v)))
			break;
		level = atoi(v);
		snprintf(p, sizeof(p), SYS_CPU "/cpu%u/cache/index%u/type", cpu, idx);
		if (!kt_read_file_str(p, type, sizeof(type)) && !strcmp(type, "Instruction"))
			continue;
		if (level <= best)
			continue;
		snprintf(p, sizeof(p), SYS_CPU "/cpu%u/cache/index%u/shared_cpu_list", cpu, idx);
		if (read_mask(p, m))
			continue;
		snprintf(p, sizeof(p), SYS_CPU "/cpu%u/cache/index%u/size", cpu, idx);
		kt_read_file_str(p, size, sizeof(size));
		snprintf(label, len, "L%d %s", level, size);
		best = level;
	}
	return best < 0 ? -1 : 0;
}

static void print_groups(const char *what, const struct groups *g)
{
	char list[1024];

	printf("%-16s %u\n", what, g->n);
	for (unsigned i = 0; i < g->n; i++) {
		if (kt_mask_format(&g->m[i], list, sizeof(list)))
			snprintf(list, sizeof(list), "(long list)");
		printf("  %-14s cpus %s (%u)\n", g->label[i], list, kt_mask_weight(&g->m[i]));
	}
}

static void show_cpus(void)
{
	struct ktstr_cpumask online, sib;
	struct groups *llc = calloc(1, sizeof(*llc)), *nodes = calloc(1, sizeof(*nodes));
	char buf[256], model[256] = "", list[1024];
	unsigned threads_min = 0, threads_max = 0, nonline;
	FILE *f;

	if (!llc || !nodes) {
		free(llc);
		free(nodes);
		return;
	}
	f = fopen("/proc/cpuinfo", "r");
	while (f && fgets(buf, sizeof(buf), f))
		if (!strncmp(buf, "model name", 10) && strchr(buf, ':')) {
			snprintf(model, sizeof(model), "%s", strchr(buf, ':') + 2);
			model[strcspn(model, "\n")] = '\0';
			break;
		}
	if (f)
		fclose(f);
	printf("%-16s %s\n", "cpu model", model[0] ? model : "(unknown)");
	if (read_mask(SYS_CPU "/online", &online)) {
		printf("%-16s (unknown: %s/online unreadable)\n", "online cpus", SYS_CPU);
		free(llc);
		free(nodes);
		return;
	}
	nonline = kt_mask_weight(&online);
	if (kt_mask_format(&online, list, sizeof(list)))
		snprintf(list, sizeof(list), "(long list)");
	printf("%-16s %u (%s)\n", "online cpus", nonline, list);
	for (unsigned cpu = 0; cpu < KTSTR_MASK_BITS; cpu++) {
		struct ktstr_cpumask m;
		char p[256], label[32];
		unsigned w;

		if (!kmask_test(&online, cpu))
			continue;
		if (!cpu_llc(cpu, &m, label, sizeof(label)))
			add_group(llc, &m, label);
		snprintf(p, sizeof(p), SYS_CPU "/cpu%u/topology/thread_siblings_list", cpu);
		if (!read_mask(p, &sib)) {
			w = kt_mask_weight(&sib);
			threads_min = !threads_min || w < threads_min ? w : threads_min;
			threads_max = w > threads_max ? w : threads_max;
		}
	}
	if (llc->n)
		print_groups("llc groups", llc);
	else
		printf("%-16s (unknown: no cache information in sysfs)\n", "llc groups");
	{
		DIR *d = opendir(SYS_NODE);
		struct dirent *e;
		unsigned ids[MAX_GROUPS], nid = 0;

		while (d && (e = readdir(d)) && nid < MAX_GROUPS) {
			char *end;
			unsigned long id;

			if (strncmp(e->d_name, "node", 4) || !e->d_name[4])
				continue;
			id = strtoul(e->d_name + 4, &end, 10);
			if (!*end)
				ids[nid++] = (unsigned)id;
		}
		if (d)
			closedir(d);
		/* readdir order is arbitrary: print by node id */
		for (unsigned i = 1; i < nid; i++)
			for (unsigned j = i; j > 0 && ids[j - 1] > ids[j]; j--) {
				unsigned t = ids[j];

				ids[j] = ids[j - 1];
				ids[j - 1] = t;
			}
		printf("%-16s %u\n", "numa nodes", nid ? nid : 1);
		for (unsigned i = 0; i < nid; i++) {
			char p[256], lab[32];
			struct ktstr_cpumask m;

			snprintf(p, sizeof(p), SYS_NODE "/node%u/cpulist", ids[i]);
			snprintf(lab, sizeof(lab), "node%u", ids[i]);
			if (read_mask(p, &m))
				continue;
			if (kt_mask_format(&m, list, sizeof(list)))
				snprintf(list, sizeof(list), "(long list)");
			printf("  %-14s cpus %s (%u)\n", lab, list[0] ? list : "none, memory only", kt_mask_weight(&m));
		}
	}
	if (!kt_read_file_str(SYS_CPU "/smt/active", buf, sizeof(buf)))
		printf("%-16s %s", "smt", !strcmp(buf, "1") ? "active" : "inactive");
	else
		printf("%-16s %s", "smt", "(unknown)");
	if (threads_max)
		printf(", %u thread%s per core%s", threads_max, threads_max == 1 ? "" : "s",
		       threads_min != threads_max ? " (not uniform)" : "");
	printf("\n");
	free(llc);
	free(nodes);
}

static void show_vm(void)
{
	char why[512], kvm_why[512], qemu[4096];
	const char *env_q = getenv("KTSTR_QEMU");
	bool kvm_ok = kt_accel_kvm_usable(NULL, why, sizeof(why));
	bool own_ok = !kt_vm_kvm_ops.available(kvm_why, sizeof(kvm_why));
	bool qemu_ok = !kt_find_in_path(env_q && *env_q ? env_q : "qemu-system-x86_64", qemu, sizeof(qemu));

	printf("%-16s %s (%s)\n", "kvm", kvm_ok ? "usable" : "not usable", why);
	printf("%-16s %s%s%s\n", "ktstr kvm vmm", own_ok ? "available" : "unavailable", own_ok ? "" : ": ",
	       own_ok ? "" : kvm_why);
	printf("%-16s %s\n", "qemu", qemu_ok ? qemu : "not found (apt-get install qemu-system-x86, or set KTSTR_QEMU)");
	if (own_ok)
		printf("%-16s kvm (ktstr's own VMM)\n", "--vmm auto");
	else if (qemu_ok)
		printf("%-16s qemu, accel %s\n", "--vmm auto", kvm_ok ? "kvm" : "tcg (software emulation: slow)");
	else
		printf("%-16s none: no usable backend\n", "--vmm auto");
}

static int show_host(int argc, char **argv)
{
	char *list_argv[] = { "kernel", "list", NULL };
	char root[4096];
	long mem = sysconf(_SC_PHYS_PAGES), psz = sysconf(_SC_PAGESIZE);

	if (argc > 1) {
		if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
			printf("usage: ktstr show-host\nPrints the host's CPU topology (CPUs, LLC groups, NUMA nodes, SMT), "
			       "memory,\nKVM usability and why, the backend --vmm auto picks, QEMU, cached kernels.\n");
			return 0;
		}
		fprintf(stderr, "ktstr: show-host: unexpected argument '%s'; see `ktstr show-host --help`\n", argv[1]);
		return 2;
	}
	printf("== host ==\n");
	show_cpus();
	if (mem > 0 && psz > 0)
		printf("%-16s %llu MiB\n", "memory", (unsigned long long)mem * (unsigned long long)psz >> 20);
	printf("\n== vm backends ==\n");
	show_vm();
	printf("\n== kernels ==\n");
	if (!kt_cache_root(root, sizeof(root)))
		printf("%-16s %s\n", "cache", root);
	{
		const char *env = getenv("KTSTR_KERNEL");

		if (env && *env)
			printf("%-16s %s\n", "KTSTR_KERNEL", env);
	}
	{
		char scx[4096];
		bool found = !kt_scx_ktstr_src_dir(scx, sizeof(scx));

		printf("%-16s %s%s\n", "scx-ktstr src", scx[0] ? scx : "(none compiled in)",
		       found ? "" : " (missing: set KTSTR_SRC_DIR to the directory holding scx-ktstr/)");
	}
	fflush(stdout);
	cli_kernel(2, list_argv);
	return 0;
}

static int show_presets(int argc, char **argv)
{
	if (argc > 1) {
		if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
			printf("usage: ktstr topo\nLists the gauntlet's named x86_64 topology presets; give the topology "
			       "string to --topo.\n");
			return 0;
		}
		fprintf(stderr, "ktstr: topo: unexpected argument '%s'; see `ktstr topo --help`\n", argv[1]);
		return 2;
	}
	printf("%-20s %-11s %5s %5s %5s %s\n", "PRESET", "TOPOLOGY", "CPUS", "LLCS", "NUMA", "SMT");
	for (size_t i = 0; i < kt_npresets; i++) {
		const struct kt_preset *p = &kt_presets[i];

		printf("%-20s %-11s %5u %5u %5u %s\n", p->name, p->topo, p->cpus, p->llcs, p->numa,
		       strstr(p->topo, "2t") ? "yes" : "no");
	}
	return 0;
}

/* argv[0] is "show-host" or "topo". */
int cli_host(int argc, char **argv)
{
	if (!strcmp(argv[0], "topo"))
		return show_presets(argc, argv);
	return show_host(argc, argv);
}
