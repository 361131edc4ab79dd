/* Run-wide set-up of a VM run (runner/prepare.h). */
#include "runner/prepare.h"
#include "runner/ksym.h"
#include "runner/payload_host.h"
#include "initramfs/initramfs.h"
#include "monitor/monitor.h"
#include "util/dl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const struct kt_sched_file *sched_of(const struct kt_prep *p, const struct ktstr_scheduler *s)
{
	for (size_t i = 0; i < p->nsched; i++)
		if (p->sched[i].s == s)
			return &p->sched[i];
	return NULL;
}

static const char *sched_guest(void *arg, const struct ktstr_scheduler *s)
{
	const struct kt_sched_file *f = sched_of(arg, s);

	return f ? f->guest : NULL;
}

/* Every scheduler the selected cases use: resolve its binary (a host
 * path or a scheduler built with the kernel) before any VM boots. */
static int resolve_schedulers(struct kt_prep *p, const struct kt_case *cases, size_t n)
{
	const struct kernel_info *k = &p->k;

	p->sched = calloc(n ? n : 1, sizeof(*p->sched));
	if (!p->sched)
		return kt_err(ENOMEM, "allocate %zu scheduler entries", n);
	for (size_t i = 0; i < n; i++) {
		const struct ktstr_scheduler *s = cases[i].sched;
		struct kt_sched_file *f;
		const char *base;

		if (!s || sched_of(p, s))
			continue;
		f = &p->sched[p->nsched];
		if (!s->binary || !*s->binary)
			return kt_err(0, "scheduler %s (test %s): no binary given", s->name ? s->name : "?",
				      cases[i].name), -EINVAL;
		if (strchr(s->binary, '/')) {
			if (!realpath(s->binary, f->host) || !kt_is_executable(f->host))
				return kt_err(errno ? errno : EACCES, "scheduler %s: binary %s missing or not executable",
					      s->name ? s->name : s->binary, s->binary), -EINVAL;
		} else if (kt_scx_fixture(s->binary) ? kt_kernel_scx_fixture(k, s->binary, f->host, sizeof(f->host))
							   : kt_kernel_scheduler_path(k, s->binary, f->host, sizeof(f->host))) {
			return kt_err(0, "scheduler %s: '%s' is not among the schedulers built with kernel %s (in %s); "
					 "run `ktstr kernel build` or give a path",
				      s->name ? s->name : s->binary, s->binary, k->key[0] ? k->key : k->bzimage,
				      k->sched_dir[0] ? k->sched_dir : "no sched dir"), -EINVAL;
		}
		base = strrchr(f->host, '/') + 1;
		if ((size_t)snprintf(f->guest, sizeof(f->guest), "sched/%s", base) >= sizeof(f->guest))
			return kt_err(ENAMETOOLONG, "scheduler %s: file name %s", s->name ? s->name : s->binary, base),
			       -EINVAL;
		for (size_t j = 0; j < p->nsched; j++)
			if (!strcmp(p->sched[j].guest, f->guest) && strcmp(p->sched[j].host, f->host))
				return kt_err(0, "schedulers %s and %s share the file name %s", p->sched[j].host, f->host,
					      base), -EINVAL;
		f->s = s;
		p->nsched++;
	}
	return 0;
}

/* Files only the nested rig's L1 needs (spec->files has room for them). */
#define NESTED_EXTRA 6

/* The nested rig's L1 initramfs: the common one plus the kernel its L2s
 * boot, a monitor-only vmlinux (the host monitor and the watchdog
 * override run in L1 beside our own VMM), the kernel's .config (its HZ),
 * scx_ktstr for L2 tests under it, and libcrypto: the L1 builds its L2s'
 * initramfs, named by SHA-256, and libcrypto is opened at run time
 * (util/dl.h), so it is not in /init's closure.  (libdw, the other
 * library opened so, serves only the host's auto-repro reports, which
 * an L1 does not make.)  Built only when a nested case is selected; the
 * vmlinux, config and scx_ktstr are optional (the L2 tests that need them
 * say so). */
static int nested_initramfs(struct kt_prep *p, const struct kt_case *cases, size_t n, struct initramfs_spec *spec,
			    struct initramfs_file *files)
{
	static char vml[PATH_MAX], scx[PATH_MAX], crypto[PATH_MAX];
	const struct kernel_info *k = &p->k;
	bool any = false, have_scx = false;

	for (size_t i = 0; i < n; i++)
		any |= cases[i].t->nested;
	if (!any)
		return 0;
	files[spec->nfiles++] = (struct initramfs_file){ .src = k->bzimage, .dst = "nested/bzImage" };
	if (k->vmlinux[0] && !kt_kernel_monitor_vmlinux(k->vmlinux, vml, sizeof(vml)))
		files[spec->nfiles++] = (struct initramfs_file){ .src = vml, .dst = "nested/vmlinux" };
	if (k->config[0] && kt_path_exists(k->config))
		files[spec->nfiles++] = (struct initramfs_file){ .src = k->config, .dst = "nested/config" };
	for (size_t i = 0; i + 1 < spec->nfiles; i++)
		have_scx |= !strcmp(files[i].dst, "sched/scx_ktstr");
	if (!have_scx && !kt_kernel_scx_ktstr(k, scx, sizeof(scx)))
		files[spec->nfiles++] = (struct initramfs_file){ .src = scx, .dst = "sched/scx_ktstr", .strip = true };
	if (kt_dl_path(&kt_dl_crypto, crypto, sizeof(crypto)))
		return kt_err(0, "nested: %s for the L1 image: not found on this host (install %s)",
			      kt_dl_crypto.soname, kt_dl_crypto.package), -ENOENT;
	files[spec->nfiles++] = (struct initramfs_file){ .src = crypto, .dst = crypto + 1 };
	return kt_initramfs_build(spec, p->initrd_nested, sizeof(p->initrd_nested));
}

static const char *initrd_for(void *arg, const struct ktstr_test *t)
{
	const struct kt_prep *p = arg;

	for (size_t i = 0; i < p->npl; i++)
		if (p->pl[i].t == t)
			return p->pl[i].initrd;
	return NULL;
}

/* Tests with payloads: the run's initramfs (spec) plus their binaries,
 * libraries, files and /payload/NAME links, one archive per test
 * (cached by content, so tests sharing payloads share it). */
static int payload_initramfs(struct kt_prep *p, const struct kt_case *cases, size_t n,
			     const struct initramfs_spec *base)
{
	p->pl = calloc(n ? n : 1, sizeof(*p->pl));
	if (!p->pl)
		return kt_err(ENOMEM, "allocate %zu payload entries", n), -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		struct initramfs_spec spec = *base;
		struct initramfs_file *files;
		struct kt_payload_pack pack;
		int ret;

		if (initrd_for(p, cases[i].t))
			continue;
		ret = kt_payload_pack(cases[i].t, &pack);
		if (ret || !pack.nlinks) {
			kt_payload_pack_free(&pack);
			if (ret)
				return ret;
			continue;
		}
		files = calloc(base->nfiles + pack.files.n, sizeof(*files));
		if (!files) {
			kt_payload_pack_free(&pack);
			return kt_err(ENOMEM, "test %s: initramfs file list", cases[i].t->name), -ENOMEM;
		}
		memcpy(files, base->files, base->nfiles * sizeof(*files));
		for (size_t k = 0; k < pack.files.n; k++)
			files[spec.nfiles++] = (struct initramfs_file){ .src = pack.files.v[k].src,
									.dst = pack.files.v[k].dst };
		spec.files = files;
		spec.links = pack.links;
		spec.nlinks = pack.nlinks;
		p->pl[p->npl].t = cases[i].t;
		ret = kt_initramfs_build(&spec, p->pl[p->npl].initrd, sizeof(p->pl[p->npl].initrd));
		free(files);
		kt_payload_pack_free(&pack);
		if (ret)
			return ret;
		kt_debug("test %s: payload initramfs %s", cases[i].t->name, p->pl[p->npl].initrd);
		p->npl++;
	}
	return 0;
}

static int build_initramfs(struct kt_prep *p, const struct kt_case *cases, size_t n)
{
	struct initramfs_spec spec = { .busybox = true };
	struct initramfs_file *files;
	char self[PATH_MAX];
	ssize_t sl;
	int ret;

	sl = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (sl < 0)
		return kt_err(errno, "readlink /proc/self/exe"), -errno;
	self[sl] = '\0';
	spec.init = self;
	files = calloc(p->nsched + NESTED_EXTRA, sizeof(*files));
	if (!files)
		return kt_err(ENOMEM, "allocate the initramfs file list"), -ENOMEM;
	for (size_t i = 0; i < p->nsched; i++) {
		bool dup = false;

		/* Several declarations may share one binary. */
		for (size_t j = 0; j < i; j++)
			dup |= !strcmp(p->sched[j].guest, p->sched[i].guest);
		if (!dup)
			files[spec.nfiles++] = (struct initramfs_file){ .src = p->sched[i].host, .dst = p->sched[i].guest,
								       .strip = true };
	}
	spec.files = files;
	ret = kt_initramfs_build(&spec, p->initrd, sizeof(p->initrd));
	if (!ret)
		ret = payload_initramfs(p, cases, n, &spec);
	if (!ret)
		ret = nested_initramfs(p, cases, n, &spec, files);
	free(files);
	return ret;
}

/* Cases under a sched_ext scheduler get the watchdog override: its
 * variables' addresses (vmlinux symbols) and the guest's HZ (.config).
 * A case that asks for a value explicitly needs them; the default goes
 * without (said once) on a kernel that lacks them. */
static int watchdog_setup(struct kt_prep *p, const struct kt_case *cases, size_t n, const struct kt_run_opts *o)
{
	bool need = false, any = false;
	const char *what = NULL;

	for (size_t i = 0; i < n; i++) {
		enum kt_wd_source src;

		if (!cases[i].sched)
			continue;
		kt_watchdog_explicit(cases[i].t->watchdog_timeout_s, cases[i].sched->watchdog_timeout_s,
				     o->have_watchdog_timeout, o->watchdog_timeout_s, &src);
		any |= src != KT_WD_OWN;
		if (src != KT_WD_OWN && src != KT_WD_DEFAULT && !need) {
			need = true;
			what = cases[i].name;
		}
	}
	if (!any)
		return 0;
	if (kt_watchdog_locate(p->k.vmlinux, p->k.config, &p->wd)) {
		if (need)
			return kt_err(0, "%s: a sched_ext watchdog timeout is asked for, but %s has no "
					 "scx_watchdog_timeout symbol (kernel without sched_ext, or no vmlinux next to "
					 "the image)", what, p->k.vmlinux[0] ? p->k.vmlinux : "(none)"), -EINVAL;
		kt_info("watchdog: no scx_watchdog_timeout in %s: sched_ext cases keep their schedulers' own "
			"watchdog", p->k.vmlinux[0] ? p->k.vmlinux : "(no vmlinux)");
		return 0;
	}
	if (!p->wd.hz) {
		if (need)
			return kt_err(0, "%s: a sched_ext watchdog timeout is asked for, but the kernel's CONFIG_HZ is "
					 "unknown (no .config at %s)", what, p->k.config[0] ? p->k.config : "(none)"),
			       -EINVAL;
		kt_info("watchdog: the kernel's CONFIG_HZ is unknown: sched_ext cases keep their schedulers' own "
			"watchdog");
		memset(&p->wd, 0, sizeof(p->wd));
		return 0;
	}
	kt_debug("watchdog: scx_watchdog_timeout at gpa 0x%llx, timestamp 0x%llx, HZ=%u",
		 (unsigned long long)p->wd.timeout, (unsigned long long)p->wd.stamp, p->wd.hz);
	return 0;
}

int kt_prep_vm(struct kt_prep *p, const struct kt_case *cases, size_t n, const struct kt_run_opts *o)
{
	int ret;

	memset(p, 0, sizeof(*p));
	if (kt_kernel_resolve(o->kernel, &p->k))
		return -EINVAL;
	ret = resolve_schedulers(p, cases, n);
	if (!ret)
		ret = build_initramfs(p, cases, n);
	if (!ret)
		ret = watchdog_setup(p, cases, n, o);
	if (ret)
		return ret;
	if (!o->no_monitor && p->k.vmlinux[0]) {
		p->mon = kt_monitor_kernel(p->k.vmlinux); /* NULL: said why; tests run without it */
		if (!p->mon)
			kt_info("monitor: off for this run (vmlinux %s unusable)", p->k.vmlinux);
	}
	return 0;
}

void kt_prep_env(const struct kt_prep *p, const struct kt_run_opts *o, struct kt_exec_env *env)
{
	memset(env, 0, sizeof(*env));
	env->where = KT_EXEC_VM;
	env->kernel = p->k.bzimage;
	env->initrd = p->initrd;
	env->initrd_nested = p->initrd_nested[0] ? p->initrd_nested : NULL;
	env->vmm = o->vmm;
	env->sched_guest = sched_guest;
	env->sched_guest_arg = (void *)p;
	env->initrd_for = initrd_for;
	env->initrd_for_arg = (void *)p;
	env->wd = p->wd;
	env->mon = o->no_monitor ? NULL : p->mon;
	env->monitor_interval_ms = o->monitor_interval_ms;
	env->verbose = o->verbose;
	env->capture = o->out_dir || o->junit;
	env->perf_mode = o->perf_mode;
	env->cpu_cap = o->cpu_cap;
	env->restore = o->restore;
}

void kt_prep_free(struct kt_prep *p)
{
	free(p->sched);
	p->sched = NULL;
	free(p->pl);
	p->pl = NULL;
	p->npl = 0;
	kt_monitor_kernel_free(p->mon);
	p->mon = NULL;
}
