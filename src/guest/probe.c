/* Auto-repro's loader in the guest (guest/probe.h): phase A before the
 * scheduler starts (traceable names, kprobes, the trigger), phase B once
 * it is attached (its struct_ops programs, their kernel callers), then a
 * poller that reports when the trigger fires. */
#include "guest/probe.h"
#include "guest/guest.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FILTER_FUNCS "/sys/kernel/tracing/available_filter_functions"
/* fentry/fexit costs a copy of the object per function, loaded and
 * verified (~0.4 s under TCG, measured by tests/probe_loader.c; a kprobe
 * ~0.04 s); past this much set-up time, kernel functions get kprobes, so
 * a list of 64 names does not hold the scheduler's start for half a
 * minute. */
#define FENTRY_BUDGET_NS (3000 * 1000000ull)

static int __attribute__((format(printf, 2, 0))) silent(enum libbpf_print_level l, const char *fmt, va_list ap)
{
	if (l == LIBBPF_WARN && getenv("KTSTR_PROBE_DEBUG"))
		return vfprintf(stderr, fmt, ap);
	return 0;
}

void kt_pg_skip(struct kt_pg *g, const char *name, const char *why, int err)
{
	if (g->skipped.len < 2048)
		kt_kbuf_printf(&g->skipped, "%s%s: %s%s%s", g->skipped.len ? "; " : "", name, why, err ? " " : "",
			       err ? strerror(err < 0 ? -err : err) : "");
}

struct bpf_object *kt_pg_open(void)
{
	LIBBPF_OPTS(bpf_object_open_opts, o, .object_name = "kt_probe");

	return bpf_object__open_mem(kt_probe_bpf_obj, kt_probe_bpf_obj_len, &o);
}

/* A name the kernel can trace: a whole line of available_filter_functions
 * ("name" or "name [module]"), else a text symbol of /proc/kallsyms. */
static bool traceable(const struct kt_pg *g, const char *name)
{
	const char *p = g->traceable.data, *end = p ? p + g->traceable.len : NULL;
	size_t n = strlen(name);

	while (p && p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *s = p;
		size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);

		if (g->traceable_is_kallsyms) { /* "addr t name [mod]" */
			const char *sp = memchr(p, ' ', l);

			if (sp && sp + 3 < p + l && (sp[1] == 't' || sp[1] == 'T') && sp[2] == ' ') {
				s = sp + 3;
				l -= (size_t)(s - p);
			} else {
				l = 0;
			}
		}
		if (l >= n && !memcmp(s, name, n) && (l == n || s[n] == ' ' || s[n] == '\t'))
			return true;
		p = nl ? nl + 1 : end;
	}
	return false;
}

/* Skip typedefs and qualifiers. */
static const struct btf_type *resolve(const struct btf *b, __u32 id)
{
	const struct btf_type *t = btf__type_by_id(b, id);

	while (t && (btf_is_typedef(t) || btf_is_mod(t) || btf_kind(t) == BTF_KIND_TYPE_TAG))
		t = btf__type_by_id(b, t->type);
	return t;
}

/* Argument kinds and names from a FUNC_PROTO. */
static void meta_from_proto(const struct btf *b, const struct btf_type *proto, struct kt_pg_func *f)
{
	const struct btf_param *p = btf_params(proto);
	unsigned n = btf_vlen(proto);

	f->meta.nargs = n > KT_PW_ARGS ? KT_PW_ARGS : n;
	for (unsigned i = 0; i < f->meta.nargs; i++) {
		const struct btf_type *t = resolve(b, p[i].type);
		const char *an = btf__name_by_offset(b, p[i].name_off);

		snprintf(f->arg_name[i], sizeof(f->arg_name[i]), "%s", an && *an ? an : "arg");
		f->meta.kind[i] = KT_ARG_SCALAR;
		if (t && btf_is_ptr(t)) {
			const struct btf_type *s = resolve(b, t->type);

			if (s && (btf_is_struct(s) || btf_is_fwd(s)))
				f->meta.kind[i] = (__u8)kt_probe_arg_kind(btf__name_by_offset(b, s->name_off));
		}
	}
}

static bool func_meta_btf(const struct btf *b, const char *name, struct kt_pg_func *f)
{
	int id = b ? btf__find_by_name_kind(b, name, BTF_KIND_FUNC) : -1;
	const struct btf_type *fn = id > 0 ? btf__type_by_id(b, (__u32)id) : NULL;
	const struct btf_type *proto = fn ? btf__type_by_id(b, fn->type) : NULL;

	if (!proto || !btf_is_func_proto(proto))
		return false;
	meta_from_proto(b, proto, f);
	return true;
}

static int set_meta(struct kt_pg *g, unsigned slot)
{
	__u32 k = slot;

	return bpf_map_update_elem(g->meta_fd, &k, &g->func[slot].meta, BPF_ANY) ? -errno : 0;
}

static int find_func(const struct kt_pg *g, const char *name, bool bpf)
{
	for (unsigned i = 0; i < g->nfunc; i++)
		if (g->func[i].bpf == bpf && !strcmp(g->func[i].name, name))
			return (int)i;
	return -1;
}

/* kprobe on slot's function; the slot is the cookie. */
static int attach_kprobe(struct kt_pg *g, unsigned slot)
{
	struct bpf_program *kp = bpf_object__find_program_by_name(g->base, "kt_kp");
	LIBBPF_OPTS(bpf_kprobe_opts, o, .bpf_cookie = slot);
	struct bpf_link *l = kp ? bpf_program__attach_kprobe_opts(kp, g->func[slot].name, &o) : NULL;

	if (!l)
		return kp ? -errno : -ENOENT;
	g->link[g->nlink++] = l;
	return 0;
}

int kt_pg_add_kernel_how(struct kt_pg *g, const char *name, int task_arg, enum kt_pg_how how)
{
	struct kt_pg_func *f;
	unsigned slot = g->nfunc;
	bool btf;
	int ret;

	if (find_func(g, name, false) >= 0)
		return 0;
	if (!traceable(g, name))
		return kt_pg_skip(g, name, "not traceable in this kernel", 0), -ENOENT;
	if (slot >= KT_PW_FUNCS || g->nlink + 2 > sizeof(g->link) / sizeof(g->link[0]))
		return kt_pg_skip(g, name, "too many functions", 0), -ENOSPC;
	f = &g->func[slot];
	memset(f, 0, sizeof(*f));
	snprintf(f->name, sizeof(f->name), "%s", name);
	btf = func_meta_btf(g->vmlinux, name, f);
	if (!btf) { /* no BTF: six raw arguments */
		f->meta.nargs = KT_PW_ARGS;
		for (int i = 0; i < KT_PW_ARGS; i++)
			snprintf(f->arg_name[i], sizeof(f->arg_name[i]), "arg%d", i);
		if (task_arg >= 0 && task_arg < KT_PW_ARGS)
			f->meta.kind[task_arg] = KT_ARG_TASK;
	}
	ret = set_meta(g, slot);
	if (ret)
		return kt_pg_skip(g, name, "meta", ret), ret;
	if (how == KT_PG_KPROBE || (how == KT_PG_AUTO && g->kprobe_only)) {
		snprintf(f->why, sizeof(f->why), "kprobe asked for");
	} else if (!btf) {
		snprintf(f->why, sizeof(f->why), "no BTF signature for fentry");
	} else if (how == KT_PG_AUTO && g->fentry_ns >= FENTRY_BUDGET_NS) {
		snprintf(f->why, sizeof(f->why), "fentry set-up budget spent (%llu s)",
			 (unsigned long long)(FENTRY_BUDGET_NS / 1000000000u));
	} else {
		uint64_t t0 = kt_now_ns();

		/* fentry/fexit: the arguments typed, and fexit sees the fields
		 * again on the way out.  The kernel refuses some functions
		 * (variadic, struct arguments by value, notrace, the BPF deny
		 * list): those fall back to a kprobe, and the report says why. */
		ret = kt_pg_attach_trace(g, slot, 0, name);
		g->fentry_ns += kt_now_ns() - t0;
		if (!ret) {
			f->how = "fentry/fexit";
			g->nfunc++;
			return 0;
		}
		snprintf(f->why, sizeof(f->why), "fentry refused: %s", strerror(-ret));
		if (how == KT_PG_FENTRY)
			return kt_pg_skip(g, name, "fentry/fexit", ret), ret;
	}
	f->how = "kprobe";
	ret = attach_kprobe(g, slot);
	if (ret)
		return kt_pg_skip(g, name, "kprobe", ret), ret;
	g->nfunc++;
	return 0;
}

int kt_pg_add_kernel(struct kt_pg *g, const char *name, int task_arg)
{
	return kt_pg_add_kernel_how(g, name, task_arg, KT_PG_AUTO);
}

static int map_fd(struct bpf_object *o, const char *name)
{
	struct bpf_map *m = bpf_object__find_map_by_name(o, name);

	return m ? bpf_map__fd(m) : -ENOENT;
}

static void fail(struct kt_pg *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(struct kt_pg *g, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(g->error, sizeof(g->error), fmt, ap);
	va_end(ap);
}

static int load_base(struct kt_pg *g)
{
	struct bpf_program *p;
	int ret;

	g->base = kt_pg_open();
	if (!g->base)
		return fail(g, "open the probe object: %s", strerror(errno)), -errno;
	bpf_object__for_each_program(p, g->base)
		bpf_program__set_autoload(p, !strcmp(bpf_program__name(p), "kt_kp") ||
					     !strcmp(bpf_program__name(p), "kt_trig_kp"));
	ret = bpf_object__load(g->base);
	if (ret)
		return fail(g, "load the probe object: %s", strerror(-ret)), ret;
	g->state_fd = map_fd(g->base, "kt_state");
	g->calls_fd = map_fd(g->base, "kt_calls");
	g->meta_fd = map_fd(g->base, "kt_meta");
	return 0;
}

/* The scheduler-exit function the trigger hangs on; 1: the kernel has
 * none (no sched_ext). */
static int attach_trigger(struct kt_pg *g)
{
	static const char *const names[] = { "scx_ops_exit_kind", "scx_exit" };
	struct bpf_program *t = bpf_object__find_program_by_name(g->base, "kt_trig_kp");

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		struct bpf_link *l;

		if (!traceable(g, names[i]))
			continue;
		l = bpf_program__attach_kprobe(t, false, names[i]);
		if (!l)
			return fail(g, "trigger kprobe on %s: %s", names[i], strerror(errno)), -errno;
		g->link[g->nlink++] = l;
		snprintf(g->trigger_fn, sizeof(g->trigger_fn), "%s", names[i]);
		return 0;
	}
	return 1;
}

static const char *const bridge_ops[] = { "select_cpu", "enqueue", "dequeue", "dispatch", "running",
					  "stopping", "tick", "set_cpumask", "enable" };

struct kt_pg *kt_pg_new(void)
{
	struct kt_pg *g = calloc(1, sizeof(*g));

	if (!g)
		return NULL;
	g->t0 = kt_now_ns();
	g->state_fd = g->calls_fd = g->meta_fd = -1;
	libbpf_set_print(silent);
	return g;
}

int kt_pg_setup(struct kt_pg *g, const char *list)
{
	int ret = kt_probe_list_parse(list, &g->want);

	if (ret)
		return fail(g, "the probe list does not parse (%s)", strerror(-ret)), ret;
	if (kt_read_file(FILTER_FUNCS, &g->traceable)) {
		g->traceable_is_kallsyms = true;
		if (kt_read_file("/proc/kallsyms", &g->traceable))
			return fail(g, "neither %s nor /proc/kallsyms is readable", FILTER_FUNCS), -ENOENT;
	}
	g->vmlinux = btf__load_vmlinux_btf(); /* NULL: kprobes still work, raw arguments */
	ret = load_base(g);
	if (!ret)
		ret = attach_trigger(g);
	if (ret == 1 && !g->trigger_optional)
		return fail(g, "no scheduler-exit function (scx_ops_exit_kind, scx_exit) to trigger on"), -ENOENT;
	if (ret < 0)
		return ret;
	for (unsigned i = 0; i < g->want.n; i++)
		if (!g->want.bpf[i])
			kt_pg_add_kernel(g, g->want.name[i], -1);
	/* The callbacks' kernel callers too, before the scheduler starts:
	 * enabling it enqueues every task, and a task stalled from then on
	 * has no later call.  They run for sched_ext tasks only. */
	for (size_t i = 0; g->trigger_fn[0] && !g->no_bridge && i < sizeof(bridge_ops) / sizeof(bridge_ops[0]); i++) {
		const struct kt_probe_bridge *b = kt_probe_bridge_of(bridge_ops[i]);

		for (int k = 0; b && b->callers[k]; k++)
			if (traceable(g, b->callers[k])) {
				kt_pg_add_kernel(g, b->callers[k], b->task_arg);
				break;
			}
	}
	return 0;
}

bool kt_pg_triggered(const struct kt_pg *g)
{
	struct kt_pw_state s;
	__u32 z = 0;

	return g && g->state_fd >= 0 && !bpf_map_lookup_elem(g->state_fd, &z, &s) && s.frozen;
}

int kt_pg_last_call(const struct kt_pg *g, const char *name, uint32_t cur_pid, struct kt_pw_call *out)
{
	struct kt_pw_key k, next;
	struct kt_pw_call c;
	unsigned guard = 0;
	void *prev = NULL;
	bool found = false;
	int slot = -1;

	for (unsigned i = 0; i < g->nfunc && slot < 0; i++)
		if (!strcmp(g->func[i].name, name))
			slot = (int)i;
	if (slot < 0 || g->calls_fd < 0)
		return -ENOENT;
	while (!bpf_map_get_next_key(g->calls_fd, prev, &next) && guard++ < 2 * KT_PW_CALLS) {
		k = next;
		prev = &k;
		if (next.func != (__u32)slot || bpf_map_lookup_elem(g->calls_fd, &next, &c) || c.cur_pid != cur_pid)
			continue;
		if (!found || c.ts > out->ts)
			*out = c;
		found = true;
	}
	return found ? 0 : -ENOENT;
}

int kt_pg_kprobe_support(char *why, size_t len)
{
	static const char *const ev[] = { "/sys/bus/event_source/devices/kprobe/type",
					  "/sys/kernel/tracing/kprobe_events",
					  "/sys/kernel/debug/tracing/kprobe_events" };

	for (size_t i = 0; i < sizeof(ev) / sizeof(ev[0]); i++)
		if (!access(ev[i], F_OK))
			return 0;
	snprintf(why, len, "this kernel has no kprobe support (no %s, no tracefs kprobe_events)", ev[0]);
	return -EOPNOTSUPP;
}

struct kt_pg *kt_pg_start(const char *list)
{
	struct kt_pg *g = kt_pg_new();

	if (!g)
		return NULL;
	if (kt_pg_setup(g, list)) {
		kt_pg_report(g, "attach_failed", g->error);
		kt_pg_finish(g);
		return NULL;
	}
	printf("KTSTR_PROBE phase A: %u kernel functions attached, trigger on %s%s%s\n", g->nfunc, g->trigger_fn,
	       g->skipped.len ? "; skipped: " : "", g->skipped.len ? g->skipped.data : "");
	fflush(stdout);
	return g;
}
