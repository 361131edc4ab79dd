/* `ktstr run --repro` (docs/auto-repro.md, "On this host"): the
 * auto-repro probes on this host while the scenarios run.  The loader
 * is the guest's (guest/probe.h), run quiet; the section is the one
 * runner/repro_render.c renders for a probe VM, in its host form.  What
 * this file adds is the host's preconditions and the words for them. */
#include "guest/probe.h"
#include "runner/local.h"
#include "runner/repro.h"
#include "cli.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#define ME "ktstr run: --repro"

/* A named function that is attached (kernel side). */
static bool attached(const struct kt_pg *g, const char *name)
{
	for (unsigned i = 0; i < g->nfunc; i++)
		if (!g->func[i].bpf && !strcmp(g->func[i].name, name))
			return true;
	return false;
}

int kt_cli_run_probes_begin(struct kt_host_probes *hp, const char *list, bool named)
{
	struct kt_pg *g;
	char why[200];
	unsigned nwant = 0, nok = 0, nkernel;
	int ret;

	memset(hp, 0, sizeof(*hp));
	if (geteuid() != 0) {
		fprintf(stderr, "%s: needs root (BPF programs and kprobes on this host's kernel); run it as root\n", ME);
		return 1;
	}
	if (kt_pg_kprobe_support(why, sizeof(why))) {
		fprintf(stderr, "%s: cannot probe on this host: %s\n", ME, why);
		return 1;
	}
	kt_local_sched(hp->sched, sizeof(hp->sched));
	hp->scx = strcmp(hp->sched, "eevdf") != 0;
	g = kt_pg_new();
	if (!g) {
		fprintf(stderr, "%s: allocate the probe loader: %s\n", ME, strerror(errno));
		return 1;
	}
	g->quiet = true;
	g->trigger_optional = true; /* a kernel without sched_ext: count calls only */
	g->no_bridge = !hp->scx;
	ret = kt_pg_setup(g, list);
	if (ret) {
		fprintf(stderr, "%s: probes could not attach: %s\n", ME, g->error[0] ? g->error : strerror(-ret));
		kt_pg_free(g);
		return 1;
	}
	for (unsigned i = 0; i < g->want.n; i++) {
		nwant += !g->want.bpf[i];
		nok += !g->want.bpf[i] && attached(g, g->want.name[i]);
	}
	if (named && nwant && !nok) {
		fprintf(stderr, "ktstr run: --probe-stack: none of the %u function%s can be probed on this kernel: %s\n",
			nwant, nwant == 1 ? "" : "s", g->skipped.len ? g->skipped.data : "(no reason given)");
		kt_pg_free(g);
		return 2;
	}
	nkernel = g->nfunc;
	if (hp->scx)
		kt_pg_attach_callbacks(g);
	if (!g->nfunc) {
		fprintf(stderr, "%s: nothing to probe: no sched_ext scheduler is active on this host and --probe-stack "
				"names no function\n", ME);
		kt_pg_free(g);
		return 2;
	}
	hp->g = g;
	if (hp->scx)
		printf("# auto-repro: probes on %u functions (%u BPF callbacks of the active sched_ext scheduler %s, "
		       "%u kernel); trigger: kprobe on %s\n",
		       g->nfunc, g->nfunc - nkernel, hp->sched, nkernel, g->trigger_fn);
	else
		printf("# auto-repro: no sched_ext scheduler is active on this host: probing %u kernel function%s only, "
		       "no BPF callbacks%s%s\n",
		       nkernel, nkernel == 1 ? "" : "s", g->trigger_fn[0] ? "; trigger: kprobe on " : "",
		       g->trigger_fn[0] ? g->trigger_fn : "; this kernel has no sched_ext, so no trigger");
	if (g->skipped.len)
		printf("# auto-repro: not probed: %s\n", g->skipped.data);
	fflush(stdout);
	return 0;
}

/* The running kernel's vmlinux with DWARF, for file:line: Debian's
 * debug package, or a kernel build tree.  Empty: none. */
static void host_vmlinux(char *buf, size_t len)
{
	struct utsname u;

	buf[0] = '\0';
	if (uname(&u))
		return;
	if (!kt_fmt(buf, len, "/usr/lib/debug/boot/vmlinux-%s", u.release) && kt_path_exists(buf))
		return;
	if (!kt_fmt(buf, len, "/lib/modules/%s/build/vmlinux", u.release) && kt_path_exists(buf))
		return;
	buf[0] = '\0';
}

void kt_cli_run_probes_end(struct kt_host_probes *hp, double wall_s)
{
	struct kt_repro x = { .host = true };
	struct kbuf section = { 0 };
	char vml[PATH_MAX], *txt;

	if (!hp->g)
		return;
	txt = kt_pg_report_json(hp->g, kt_pg_triggered(hp->g) ? "triggered" : "not_triggered", NULL);
	if (txt)
		kt_kbuf_append(&x.probe_json, txt, strlen(txt));
	free(txt);
	host_vmlinux(vml, sizeof(vml));
	kt_repro_render(&x, vml[0] ? vml : NULL, wall_s, VM_EXIT_NONE, &section, x.status, sizeof(x.status));
	printf("--- auto-repro ---\n%.*s", (int)section.len, section.data ? section.data : "");
	fflush(stdout);
	kt_kbuf_free(&section);
	kt_kbuf_free(&x.probe_json);
	kt_pg_free(hp->g);
	hp->g = NULL;
}
