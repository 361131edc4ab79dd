/* Auto-repro phase B (guest/probe.h): the scheduler's struct_ops
 * programs get fentry/fexit (one object copy per callback, sharing the
 * first copy's maps), their kernel callers kprobes (the bridge list);
 * then a poller waits for the trigger. */
#include "guest/probe.h"
#include "guest/guest.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The callback's real arguments: the inner ____name function the
 * BPF_STRUCT_OPS macro wraps (program BTF), else the sched_ext_ops
 * member's prototype (vmlinux BTF). */
static void cb_meta(struct kt_pg *g, const struct btf *pb, const char *name, struct kt_pg_func *f)
{
	char inner[KT_PROBE_NAME_MAX + 4];
	const struct btf_type *t;
	int id;

	snprintf(inner, sizeof(inner), "____%s", name);
	id = btf__find_by_name_kind(pb, inner, BTF_KIND_FUNC);
	t = id > 0 ? btf__type_by_id(pb, btf__type_by_id(pb, (__u32)id)->type) : NULL;
	if (t && btf_is_func_proto(t)) {
		const struct btf_param *p = btf_params(t);

		f->meta.nargs = btf_vlen(t) > KT_PW_ARGS ? KT_PW_ARGS : btf_vlen(t);
		for (unsigned i = 0; i < f->meta.nargs; i++) {
			const struct btf_type *a = btf__type_by_id(pb, p[i].type);
			const char *an = btf__name_by_offset(pb, p[i].name_off);

			while (a && (btf_is_typedef(a) || btf_is_mod(a)))
				a = btf__type_by_id(pb, a->type);
			snprintf(f->arg_name[i], sizeof(f->arg_name[i]), "%s", an && *an ? an : "arg");
			if (a && btf_is_ptr(a)) {
				const struct btf_type *s = btf__type_by_id(pb, a->type);

				while (s && (btf_is_typedef(s) || btf_is_mod(s)))
					s = btf__type_by_id(pb, s->type);
				if (s && (btf_is_struct(s) || btf_is_fwd(s)))
					f->meta.kind[i] = (__u8)kt_probe_arg_kind(btf__name_by_offset(pb, s->name_off));
			}
		}
		return;
	}
	id = g->vmlinux ? btf__find_by_name_kind(g->vmlinux, "sched_ext_ops", BTF_KIND_STRUCT) : -1;
	t = id > 0 ? btf__type_by_id(g->vmlinux, (__u32)id) : NULL;
	for (unsigned i = 0; t && f->op[0] && i < btf_vlen(t); i++) {
		const struct btf_member *m = btf_members(t) + i;
		const struct btf_type *pt;

		if (strcmp(btf__name_by_offset(g->vmlinux, m->name_off), f->op))
			continue;
		pt = btf__type_by_id(g->vmlinux, m->type);
		pt = pt && btf_is_ptr(pt) ? btf__type_by_id(g->vmlinux, pt->type) : NULL;
		if (pt && btf_is_func_proto(pt)) {
			struct kt_pg_func tmp = *f;
			const struct btf_param *p = btf_params(pt);

			tmp.meta.nargs = btf_vlen(pt) > KT_PW_ARGS ? KT_PW_ARGS : btf_vlen(pt);
			for (unsigned j = 0; j < tmp.meta.nargs; j++) {
				const struct btf_type *a = btf__type_by_id(g->vmlinux, p[j].type);

				snprintf(tmp.arg_name[j], sizeof(tmp.arg_name[j]), "arg%u", j);
				if (a && btf_is_ptr(a)) {
					const struct btf_type *s = btf__type_by_id(g->vmlinux, a->type);

					while (s && (btf_is_typedef(s) || btf_is_mod(s)))
						s = btf__type_by_id(g->vmlinux, s->type);
					if (s && btf_is_struct(s))
						tmp.meta.kind[j] = (__u8)kt_probe_arg_kind(
							btf__name_by_offset(g->vmlinux, s->name_off));
				}
			}
			*f = tmp;
		}
	}
}

/* fentry/fexit on one target: a BPF program (prog_fd > 0) or a kernel
 * function (prog_fd 0). */
int kt_pg_attach_trace(struct kt_pg *g, unsigned slot, int prog_fd, const char *name)
{
	struct bpf_object *o;
	struct bpf_program *p, *fe, *fx;
	struct bpf_map *m;
	struct bpf_link *l1 = NULL, *l2 = NULL;
	int ret = 0;

	if (g->nobj >= KT_PW_FUNCS || g->nlink + 2 > sizeof(g->link) / sizeof(g->link[0]))
		return -ENOSPC;
	o = kt_pg_open();
	if (!o)
		return -errno;
	fe = bpf_object__find_program_by_name(o, "kt_fe");
	fx = bpf_object__find_program_by_name(o, "kt_fx");
	bpf_object__for_each_program(p, o)
		bpf_program__set_autoload(p, p == fe || p == fx);
	bpf_object__for_each_map(m, o) {
		const char *mn = bpf_map__name(m);

		/* Internal maps are named "<object>.rodata": test that first. */
		if (strstr(mn, ".rodata")) {
			__u32 v = slot;
			size_t sz = 0;

			bpf_map__initial_value(m, &sz);
			ret = sz == sizeof(v) ? bpf_map__set_initial_value(m, &v, sizeof(v)) : -EINVAL;
		} else if (!strncmp(mn, "kt_", 3)) {
			ret = bpf_map__reuse_fd(m, bpf_map__fd(bpf_object__find_map_by_name(g->base, mn)));
		}
		if (ret)
			break;
	}
	if (!ret)
		ret = bpf_program__set_attach_target(fe, prog_fd, name) ?: bpf_program__set_attach_target(fx, prog_fd, name);
	if (!ret)
		ret = bpf_object__load(o);
	if (!ret && !(l1 = bpf_program__attach(fe)))
		ret = -errno;
	if (!ret && !(l2 = bpf_program__attach(fx)))
		ret = -errno;
	if (ret) {
		bpf_link__destroy(l1);
		bpf_object__close(o);
		return ret;
	}
	g->obj[g->nobj++] = o;
	g->link[g->nlink++] = l1;
	g->link[g->nlink++] = l2;
	return 0;
}

/* The program's name (BTF; info.name is cut at 15 bytes) and the
 * file:line of its first instruction (BTF line info). */
static struct btf *prog_btf(int fd, struct kt_pg_func *f)
{
	struct bpf_prog_info info = { 0 };
	struct bpf_func_info fi = { 0 };
	struct bpf_line_info li = { 0 };
	__u32 len = sizeof(info);
	struct btf *b;
	const struct btf_type *t;

	info.nr_func_info = 1;
	info.func_info_rec_size = sizeof(fi);
	info.func_info = (__u64)(unsigned long)&fi;
	info.nr_line_info = 1;
	info.line_info_rec_size = sizeof(li);
	info.line_info = (__u64)(unsigned long)&li;
	if (bpf_obj_get_info_by_fd(fd, &info, &len) || !info.btf_id)
		return NULL;
	b = btf__load_from_kernel_by_id(info.btf_id);
	t = b ? btf__type_by_id(b, fi.type_id) : NULL;
	if (!t || !btf_is_func(t)) {
		btf__free(b);
		return NULL;
	}
	snprintf(f->name, sizeof(f->name), "%s", btf__name_by_offset(b, t->name_off));
	if (info.nr_line_info) {
		const char *file = btf__name_by_offset(b, li.file_name_off);
		const char *base = file ? strrchr(file, '/') : NULL;

		snprintf(f->line, sizeof(f->line), "%s:%u", base ? base + 1 : file ? file : "?", li.line_col >> 10);
	}
	return b;
}

/* A sched_ext callback: a struct_ops program of sched_ext_ops, a type
 * of vmlinux (a host may run others: TCP congestion control, a module's
 * ops).  A kernel that does not say (attach_btf_id 0, before 6.0) is
 * taken to run sched_ext's only. */
static bool is_scx_prog(const struct kt_pg *g, const struct bpf_prog_info *info)
{
	const struct btf_type *t;

	if (info->type != BPF_PROG_TYPE_STRUCT_OPS)
		return false;
	if (!info->attach_btf_id || !g->vmlinux)
		return true;
	t = btf__type_by_id(g->vmlinux, info->attach_btf_id);
	return t && !strcmp(btf__name_by_offset(g->vmlinux, t->name_off), "sched_ext_ops");
}

void kt_pg_attach_callbacks(struct kt_pg *g)
{
	__u32 id = 0;
	unsigned ncb = 0;

	while (!bpf_prog_get_next_id(id, &id)) {
		struct bpf_prog_info info = { 0 };
		__u32 len = sizeof(info);
		int fd = bpf_prog_get_fd_by_id(id), ret;
		struct kt_pg_func *f = &g->func[g->nfunc];
		struct btf *pb;
		const char *op;

		if (fd < 0)
			continue;
		if (g->nfunc >= KT_PW_FUNCS || bpf_obj_get_info_by_fd(fd, &info, &len) || !is_scx_prog(g, &info)) {
			close(fd);
			continue;
		}
		memset(f, 0, sizeof(*f));
		f->bpf = true;
		f->how = "fentry/fexit";
		f->meta.bpf_cb = 1;
		pb = prog_btf(fd, f);
		if (!pb) {
			kt_pg_skip(g, info.name, "no BTF", 0);
			close(fd);
			continue;
		}
		op = kt_probe_op_of(f->name);
		snprintf(f->op, sizeof(f->op), "%s", op ? op : "");
		cb_meta(g, pb, f->name, f);
		btf__free(pb);
		ret = bpf_map_update_elem(g->meta_fd, &(__u32){ g->nfunc }, &f->meta, BPF_ANY) ? -errno : 0;
		if (!ret)
			ret = kt_pg_attach_trace(g, g->nfunc, fd, f->name);
		close(fd);
		if (ret) {
			kt_pg_skip(g, f->name, "fentry/fexit", ret);
			continue;
		}
		g->nfunc++;
		ncb++;
		/* Its kernel callers: the first the kernel can trace. */
		if (op && kt_probe_bridge_of(op)) {
			const struct kt_probe_bridge *b = kt_probe_bridge_of(op);

			for (int i = 0; b->callers[i]; i++)
				if (!kt_pg_add_kernel(g, b->callers[i], b->task_arg))
					break;
		}
	}
	if (g->quiet)
		return;
	printf("KTSTR_PROBE phase B: %u BPF callbacks, %u functions in all%s%s\n", ncb, g->nfunc,
	       g->skipped.len ? "; skipped: " : "", g->skipped.len ? g->skipped.data : "");
	fflush(stdout);
}

static void *poll_trigger(void *arg)
{
	struct kt_pg *g = arg;

	while (!g->stop) {
		struct kt_pw_state s;
		__u32 z = 0;

		if (!bpf_map_lookup_elem(g->state_fd, &z, &s) && s.frozen) {
			usleep(100000); /* let the trigger's record complete */
			kt_pg_report(g, "triggered", NULL);
			return NULL;
		}
		usleep(100000);
	}
	return NULL;
}

void kt_pg_sched_up(struct kt_pg *g)
{
	if (!g)
		return;
	kt_pg_attach_callbacks(g);
	if (!pthread_create(&g->poller, NULL, poll_trigger, g))
		g->polling = true;
}

void kt_pg_finish(struct kt_pg *g)
{
	if (!g)
		return;
	if (g->polling) {
		g->stop = true;
		pthread_join(g->poller, NULL);
	}
	if (!g->sent)
		kt_pg_report(g, kt_pg_triggered(g) ? "triggered" : "not_triggered", NULL);
	kt_pg_free(g);
}

void kt_pg_free(struct kt_pg *g)
{
	if (!g)
		return;
	for (unsigned i = 0; i < g->nlink; i++)
		bpf_link__destroy(g->link[i]);
	for (unsigned i = 0; i < g->nobj; i++)
		bpf_object__close(g->obj[i]);
	bpf_object__close(g->base);
	btf__free(g->vmlinux);
	kt_kbuf_free(&g->skipped);
	kt_kbuf_free(&g->traceable);
	free(g);
}
