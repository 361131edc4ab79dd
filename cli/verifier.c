/* `ktstr verifier` (and `<test binary> verifier`): load a scheduler in a
 * 1-CPU VM per flag profile and show what the BPF verifier made of each
 * program (docs/verifier.md); `--compare A B` diffs two --json outputs.
 * In libktstr.a: a test binary's `verifier` knows the flags its tests'
 * KTSTR_SCHEDULER declarations give. */
#include "cli.h"
#include "kernel/kernel.h"
#include "model/profiles.h"
#include "report/verifier.h"
#include "shell/shell.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PROFILES 256

static void usage(FILE *f)
{
	fprintf(f,
		"usage: ktstr verifier --scheduler PATH|NAME [--args \"ARGS\"] [--kernel K] [--raw]\n"
		"                      [--profiles A,B | --all-profiles] [--flag NAME=ARGS]... [--json]\n"
		"       ktstr verifier --compare A.json B.json [--max-growth PCT]\n"
		"Loads the scheduler in a 1-CPU VM per flag profile and prints, for each of its BPF\n"
		"programs, the instructions the verifier accepted (verified_insns, read by the host from\n"
		"guest memory) with their share of the verifier's 1,000,000-instruction budget (\"!\" and\n"
		"a warning at 75 %%), run counts, the verifier's statistics and its load log with repeated\n"
		"blocks folded; a rejected program shows the log around the rejection.\n\n"
		"  -s, --scheduler P     a host path, or scx_simple/scx_qmap/scx_central/scx_flatcg/scx_ktstr\n"
		"                        from the kernel cache (a test binary also knows its tests' schedulers)\n"
		"  -a, --args \"ARGS\"     the scheduler's arguments (with every profile)\n"
		"  -k, --kernel P|KEY    kernel: bzImage path, build tree, cache dir or cache key\n"
		"      --vmm V           qemu | kvm | auto (default auto)\n"
		"      --raw             the load logs as the verifier wrote them (not collapsed)\n"
		"      --profiles A,B    run these flag profiles (names like \"default\", \"batch+boost\")\n"
		"      --all-profiles    run every valid flag profile, then a table across them\n"
		"      --flag NAME=ARGS  declare a flag of the scheduler (repeatable) for the profiles\n"
		"      --json            print JSON instead of text (the input of --compare)\n"
		"      --compare A B     compare two --json outputs: program | A | B | delta (B - A)\n"
		"      --max-growth PCT  with --compare: exit 1 when a program, or the total, grew by more\n"
		"  -v, --verbose         show the guest kernel's console on stderr\n"
		"  -h, --help            this help\n"
		"A scheduler that knows --log-level (scx_ktstr) is given --log-level 4: the verifier's\n"
		"statistics of every program.  Exit status: 0 every profile loaded; 1 one did not load\n"
		"or attach, or --compare found growth over --max-growth; 2 bad input.\n");
}

struct vopts {
	const char *sched, *args, *kernel, *profiles, *compare_a, *compare_b;
	enum vm_vmm vmm;
	bool raw, all, json, verbose, have_max;
	double max_growth;
	struct ktstr_sched_flag flags[KT_MAX_FLAGS + 1];
	unsigned nflags;
};

static int compare(const struct vopts *o)
{
	json_error_t je;
	json_t *a = json_load_file(o->compare_a, 0, &je), *b = NULL;
	char err[300];
	int ret;

	if (!a) {
		fprintf(stderr, "ktstr: verifier --compare %s: %s\n", o->compare_a, je.text);
		return 2;
	}
	if (!(b = json_load_file(o->compare_b, 0, &je))) {
		fprintf(stderr, "ktstr: verifier --compare %s: %s\n", o->compare_b, je.text);
		json_decref(a);
		return 2;
	}
	ret = kt_verifier_compare(stdout, o->compare_a, a, o->compare_b, b, o->have_max, o->max_growth, err,
				  sizeof(err));
	json_decref(a);
	json_decref(b);
	if (ret < 0) {
		fprintf(stderr, "ktstr: verifier --compare: %s\n", err);
		return 2;
	}
	return ret;
}

/* A declared scheduler of this binary's tests matching name (one with
 * flags first). */
static const struct ktstr_scheduler *declared(const char *name, const struct ktstr_test *const *reg, size_t nreg)
{
	const struct ktstr_scheduler *best = NULL;

	for (size_t i = 0; i < nreg; i++) {
		const struct ktstr_scheduler *s = reg[i]->scheduler;

		if (!s || !((s->name && !strcmp(s->name, name)) || (s->binary && !strcmp(s->binary, name))))
			continue;
		if (!best || (!best->flags && s->flags))
			best = s;
	}
	return best;
}

/* The profiles to run: names and arguments. */
static int profiles(const struct vopts *o, const struct ktstr_sched_flag *flags, struct kt_vprofile **out, size_t *n)
{
	uint32_t masks[MAX_PROFILES] = { 0 };
	char err[256];
	int np = 1;

	if ((o->all || o->profiles) && (!flags || !flags[0].name)) {
		fprintf(stderr, "ktstr: verifier: %s needs flags: the scheduler declares none here; give them with "
				"--flag NAME=ARGS\n", o->all ? "--all-profiles" : "--profiles");
		return -EINVAL;
	}
	if (flags && flags[0].name && (np = kt_flag_profiles(flags, NULL, NULL, masks, MAX_PROFILES, err, sizeof(err))) < 0) {
		fprintf(stderr, "ktstr: verifier: flags: %s\n", err);
		return -EINVAL;
	}
	*out = calloc((size_t)np, sizeof(**out));
	if (!*out)
		return -ENOMEM;
	*n = 0;
	for (int k = 0; k < np; k++) {
		struct kt_vprofile *p = &(*out)[*n];
		char name[128], fargs[512];

		kt_profile_name(flags, masks[k], name, sizeof(name));
		if (!(o->all || o->profiles) && masks[k])
			continue; /* neither: the default profile alone */
		if (o->profiles) {
			const char *s = o->profiles;
			size_t l = strlen(name);
			bool want = false;

			for (; *s; s += strcspn(s, ",") + (s[strcspn(s, ",")] == ',')) /* comma-separated */
				want |= strcspn(s, ",") == l && !strncmp(s, name, l);
			if (!want)
				continue;
		}
		kt_profile_args(flags, masks[k], fargs, sizeof(fargs));
		snprintf(p->name, sizeof(p->name), "%s", name);
		snprintf(p->args, sizeof(p->args), "%s%s%s", o->args ? o->args : "", o->args && fargs[0] ? " " : "", fargs);
		(*n)++;
	}
	if (!*n) {
		fprintf(stderr, "ktstr: verifier --profiles %s: no such valid profile (valid:", o->profiles);
		for (int k = 0; k < np; k++) {
			char name[128];

			kt_profile_name(flags, masks[k], name, sizeof(name));
			fprintf(stderr, " %s", name);
		}
		fprintf(stderr, ")\n");
		free(*out);
		return -EINVAL;
	}
	return 0;
}

static int run(const struct vopts *o, const struct ktstr_test *const *reg, size_t nreg)
{
	const struct ktstr_scheduler *d = declared(o->sched, reg, nreg);
	const struct ktstr_sched_flag *flags = o->nflags ? o->flags : d ? d->flags : NULL;
	const char *binary = d && d->binary ? d->binary : o->sched;
	struct kt_vprofile *p = NULL;
	struct kernel_info k;
	size_t n = 0;
	int ret = 0;

	if (kt_kernel_resolve(o->kernel, &k))
		return 2;
	if (profiles(o, flags, &p, &n))
		return 2;
	for (size_t i = 0; i < n && ret != 2; i++) {
		char args[1200];
		struct kt_shell_opts so = { .kernel = o->kernel, .vmm = o->vmm, .topo = { 1, 1, 1, 1 },
					    .scheduler = binary, .exec = "true", .quiet = true, .log_level = 4,
					    .verbose = o->verbose, .bpf = &p[i].run };

		snprintf(args, sizeof(args), "%s%s%s", d && d->args ? d->args : "", d && d->args ? " " : "", p[i].args);
		so.sched_args = args[0] ? args : NULL;
		if (!o->json)
			fprintf(stderr, "ktstr verifier: %s/%s: booting a 1-CPU VM\n", o->sched, p[i].name);
		{
			struct kt_shell_end end;
			int r = kt_shell_run(&so, &end);

			/* As `ktstr shell` maps it: bad input 2, a failed VM 1,
			 * else the command's status. */
			p[i].status = end.bad_input ? 2 : r ? 1 : end.status ? 1 : 0;
		}
		if (p[i].status == 2)
			ret = 2;
		else if (p[i].status)
			ret = 1;
	}
	if (ret != 2 && o->json) {
		json_t *j = kt_verifier_json(o->sched, k.version[0] ? k.version : k.key, p, n);

		if (!j || json_dumpf(j, stdout, JSON_INDENT(2)))
			ret = 1;
		fputc('\n', stdout);
		json_decref(j);
	} else if (ret != 2) {
		printf("ktstr verifier: %s on kernel %s, 1 CPU, %zu profile%s\n", o->sched,
		       k.version[0] ? k.version : k.key, n, n == 1 ? "" : "s");
		for (size_t i = 0; i < n; i++) {
			char label[300];

			snprintf(label, sizeof(label), "%s/%s", o->sched, p[i].name);
			kt_verifier_print(stdout, label, &p[i], o->raw);
		}
		if (n > 1)
			kt_verifier_table(stdout, p, n);
	}
	for (size_t i = 0; i < n; i++)
		kt_bpf_run_free(&p[i].run);
	free(p);
	return ret;
}

static int add_flag(struct vopts *o, char *spec)
{
	char *eq = strchr(spec, '=');

	if (!eq || eq == spec || o->nflags == KT_MAX_FLAGS) {
		fprintf(stderr, "ktstr: verifier --flag '%s': want NAME=ARGS (at most %d flags)\n", spec, KT_MAX_FLAGS);
		return -1;
	}
	*eq = '\0';
	o->flags[o->nflags++] = (struct ktstr_sched_flag){ .name = spec, .args = eq + 1 };
	return 0;
}

int kt_verifier_cli(int argc, char **argv, const struct ktstr_test *const *reg, size_t nreg)
{
	enum { O_RAW = 256, O_PROFILES, O_ALL, O_FLAG, O_JSON, O_COMPARE, O_MAX, O_VMM };
	static const struct option lo[] = {
		{ "scheduler", required_argument, 0, 's' }, { "args", required_argument, 0, 'a' },
		{ "kernel", required_argument, 0, 'k' },    { "vmm", required_argument, 0, O_VMM },
		{ "raw", no_argument, 0, O_RAW },           { "profiles", required_argument, 0, O_PROFILES },
		{ "all-profiles", no_argument, 0, O_ALL },  { "flag", required_argument, 0, O_FLAG },
		{ "json", no_argument, 0, O_JSON },         { "compare", required_argument, 0, O_COMPARE },
		{ "max-growth", required_argument, 0, O_MAX }, { "verbose", no_argument, 0, 'v' },
		{ "help", no_argument, 0, 'h' },            { 0 },
	};
	struct vopts o = { 0 };
	char *end;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "s:a:k:vh", lo, NULL)) != -1) {
		switch (c) {
		case 's': o.sched = optarg; break;
		case 'a': o.args = optarg; break;
		case 'k': o.kernel = optarg; break;
		case 'v': o.verbose = true; break;
		case O_RAW: o.raw = true; break;
		case O_PROFILES: o.profiles = optarg; break;
		case O_ALL: o.all = true; break;
		case O_JSON: o.json = true; break;
		case O_COMPARE: o.compare_a = optarg; break;
		case O_FLAG:
			if (add_flag(&o, optarg))
				return 2;
			break;
		case O_MAX:
			o.max_growth = strtod(optarg, &end);
			if (!*optarg || *end || !isfinite(o.max_growth) || o.max_growth < 0) {
				fprintf(stderr, "ktstr: verifier --max-growth '%s': want a percentage >= 0\n", optarg);
				return 2;
			}
			o.have_max = true;
			break;
		case O_VMM:
			if (kt_vm_parse_vmm(optarg, &o.vmm)) {
				fprintf(stderr, "ktstr: verifier --vmm '%s': expected qemu, kvm or auto\n", optarg);
				return 2;
			}
			break;
		case 'h': usage(stdout); return 0;
		default: fprintf(stderr, "ktstr: see `ktstr verifier --help`\n"); return 2;
		}
	}
	if (o.compare_a) {
		if (optind + 1 != argc || o.sched) {
			fprintf(stderr, "ktstr: verifier --compare A.json B.json: want exactly two files and no "
					"--scheduler\n");
			return 2;
		}
		o.compare_b = argv[optind];
		return compare(&o);
	}
	if (optind < argc || !o.sched || o.have_max || (o.all && o.profiles)) {
		fprintf(stderr, "ktstr: verifier: %s; see `ktstr verifier --help`\n",
			optind < argc ? "unexpected argument" : !o.sched ? "--scheduler is required"
			: o.have_max ? "--max-growth goes with --compare" : "--profiles and --all-profiles exclude each other");
		return 2;
	}
	return run(&o, reg, nreg);
}
