/* Offsets for the BPF walk, from the guest kernel's BTF (bpf.h). */
#include "monitor/bpf.h"
#include "monitor/vmlinux.h"
#include "util/util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

enum { S_PROG_IDR, S_MAP_IDR, S__COUNT };
const char *const kt_bpf_sym_names[] = { [S_PROG_IDR] = "prog_idr", [S_MAP_IDR] = "map_idr" };
const unsigned kt_bpf_nsyms = S__COUNT;

struct want {
	const char *sname, *path;
	uint32_t *off;
	uint32_t size;          /* expected size, 0: any */
};

static void note(struct kt_bpf_layout *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(struct kt_bpf_layout *l, const char *fmt, ...)
{
	va_list ap;

	if (l->why[0])
		return;
	va_start(ap, fmt);
	vsnprintf(l->why, sizeof(l->why), fmt, ap);
	va_end(ap);
}

/* All of w resolved, or false with the reason noted. */
static bool resolve(struct kt_bpf_layout *l, const struct kt_btf *btf, const struct want *w, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int64_t id = kt_btf_find(btf, w[i].sname, KT_BTF_STRUCT), sz;
		char missing[64];
		uint64_t off;
		uint32_t type;

		if (id < 0) {
			note(l, "no struct %s in the kernel's BTF", w[i].sname);
			return false;
		}
		if (kt_btf_member(btf, (uint32_t)id, w[i].path, &off, &type, missing, sizeof(missing)) ||
		    off > UINT32_MAX) {
			note(l, "struct %s has no usable member '%s'", w[i].sname, w[i].path);
			return false;
		}
		sz = kt_btf_size(btf, type);
		if (w[i].size && sz != w[i].size) {
			note(l, "struct %s member '%s' has size %lld, expected %u", w[i].sname, w[i].path, (long long)sz,
			     w[i].size);
			return false;
		}
		*w[i].off = (uint32_t)off;
	}
	return true;
}

static void enum_names(const struct kt_btf *btf, const char *ename, const char *prefix, char (*out)[24])
{
	int64_t e = kt_btf_find(btf, ename, KT_BTF_ENUM);

	for (int v = 0; v < 64; v++) {
		const char *n = e >= 0 ? kt_btf_enum_name(btf, (uint32_t)e, v) : NULL;
		size_t pl = strlen(prefix);

		if (n && !strncmp(n, prefix, pl))
			n += pl;
		snprintf(out[v], sizeof(out[v]), "%s", n ? n : "");
		for (char *c = out[v]; *c; c++)
			if (*c >= 'A' && *c <= 'Z')
				*c = (char)(*c - 'A' + 'a');
	}
}

/* An enumerator's value, checked against the uapi value the code was
 * written for (the uapi is stable; a disagreement means a strange BTF). */
static int64_t enum_val(struct kt_bpf_layout *l, const struct kt_btf *btf, const char *ename, const char *name,
			int64_t uapi)
{
	int64_t e = kt_btf_find(btf, ename, KT_BTF_ENUM), v;

	if (e < 0 || kt_btf_enum_value(btf, (uint32_t)e, name, &v))
		return uapi;
	if (v != uapi)
		note(l, "%s is %lld in the kernel's BTF, %lld in the uapi", name, (long long)v, (long long)uapi);
	return v;
}

void kt_bpf_layout_resolve(struct kt_bpf_layout *l, const struct kt_btf *btf, const uint64_t *sym)
{
	uint32_t slots_off = 0, node_size = 0;
	const struct want xa[] = {
		{ "idr", "idr_rt", &l->idr_rt, 0 },
		{ "idr", "idr_rt.xa_head", &l->idr_head, 8 },
		{ "xa_node", "shift", &l->xa_shift, 1 },
		{ "xa_node", "array", &l->xa_array, 8 },
		{ "xa_node", "slots", &slots_off, 0 },
	};
	const struct want prog[] = {
		{ "bpf_prog", "type", &l->prog_type, 4 },
		{ "bpf_prog", "aux", &l->prog_aux, 8 },
		{ "bpf_prog_aux", "id", &l->aux_id, 4 },
		{ "bpf_prog_aux", "name", &l->aux_name, KT_BPF_NAME_LEN },
		{ "bpf_prog_aux", "verified_insns", &l->aux_verified, 4 },
	};
	const struct want stats[] = {
		{ "bpf_prog", "stats", &l->prog_stats, 8 },
		{ "bpf_prog_stats", "cnt", &l->stats_cnt, 8 },
		{ "bpf_prog_stats", "nsecs", &l->stats_nsecs, 8 },
	};
	const struct want map[] = {
		{ "bpf_map", "map_type", &l->map_type, 4 },
		{ "bpf_map", "key_size", &l->map_key_size, 4 },
		{ "bpf_map", "value_size", &l->map_value_size, 4 },
		{ "bpf_map", "max_entries", &l->map_max_entries, 4 },
		{ "bpf_map", "map_flags", &l->map_flags, 4 },
		{ "bpf_map", "id", &l->map_id, 4 },
		{ "bpf_map", "name", &l->map_name, KT_BPF_NAME_LEN },
		{ "bpf_array", "elem_size", &l->array_elem_size, 4 },
		{ "bpf_array", "value", &l->array_value, 0 },
	};
	const struct want mbtf[] = {
		{ "bpf_map", "btf", &l->map_btf, 8 },
		{ "bpf_map", "btf_value_type_id", &l->map_btf_value_type_id, 4 },
		{ "btf", "data", &l->btf_data, 8 },
		{ "btf", "data_size", &l->btf_data_size, 4 },
	};
	bool xa_ok;

	memset(l, 0, sizeof(*l));
	l->prog_idr = sym[S_PROG_IDR];
	l->map_idr = sym[S_MAP_IDR];
	xa_ok = resolve(l, btf, xa, ARRAY_SIZE(xa));
	if (xa_ok) {
		int64_t id = kt_btf_find(btf, "xa_node", KT_BTF_STRUCT);
		int64_t sz = id >= 0 ? kt_btf_size(btf, (uint32_t)id) : -1;
		uint64_t off;
		uint32_t type;
		int64_t ssz = 0;

		if (id >= 0 && !kt_btf_member(btf, (uint32_t)id, "slots", &off, &type, NULL, 0))
			ssz = kt_btf_size(btf, type);
		node_size = sz > 0 ? (uint32_t)sz : 0;
		l->xa_slots = slots_off;
		/* XA_CHUNK_SIZE: 64 (16 with CONFIG_BASE_SMALL) */
		if (ssz != 64 * 8 && ssz != 16 * 8) {
			note(l, "struct xa_node slots are %lld bytes, not 16 or 64 pointers", (long long)ssz);
			xa_ok = false;
		} else {
			l->xa_nslots = (uint32_t)(ssz / 8);
		}
		if (node_size && slots_off + (uint64_t)ssz > node_size)
			xa_ok = false;
	}
	if (xa_ok && !l->prog_idr)
		note(l, "vmlinux has no symbol prog_idr");
	if (xa_ok && !l->map_idr)
		note(l, "vmlinux has no symbol map_idr");
	l->progs_ok = xa_ok && l->prog_idr && resolve(l, btf, prog, ARRAY_SIZE(prog));
	l->stats_ok = l->progs_ok && resolve(l, btf, stats, ARRAY_SIZE(stats));
	if (l->stats_ok) {
		int64_t id = kt_btf_find(btf, "bpf_prog_stats", KT_BTF_STRUCT);
		int64_t sz = id >= 0 ? kt_btf_size(btf, (uint32_t)id) : -1;

		l->stats_size = sz > 0 && sz <= 4096 ? (uint32_t)sz : 0;
		l->stats_ok = l->stats_size >= l->stats_nsecs + 8 && l->stats_size >= l->stats_cnt + 8;
	}
	l->maps_ok = xa_ok && l->map_idr && resolve(l, btf, map, ARRAY_SIZE(map));
	l->map_btf_ok = l->maps_ok && resolve(l, btf, mbtf, ARRAY_SIZE(mbtf));
	l->t_struct_ops = enum_val(l, btf, "bpf_prog_type", "BPF_PROG_TYPE_STRUCT_OPS", 27);
	l->t_array = enum_val(l, btf, "bpf_map_type", "BPF_MAP_TYPE_ARRAY", 2);
	l->t_percpu_array = enum_val(l, btf, "bpf_map_type", "BPF_MAP_TYPE_PERCPU_ARRAY", 6);
	enum_names(btf, "bpf_prog_type", "BPF_PROG_TYPE_", l->prog_type_name);
	enum_names(btf, "bpf_map_type", "BPF_MAP_TYPE_", l->map_type_name);
}

void kt_bpf_layout_load(struct kt_bpf_layout *l, const struct kt_btf *btf, struct kt_vmlinux *v)
{
	uint64_t sym[S__COUNT];

	kt_vmlinux_syms(v, kt_bpf_sym_names, sym, S__COUNT);
	kt_bpf_layout_resolve(l, btf, sym);
}

const char *kt_bpf_prog_type_name(const struct kt_bpf_layout *l, uint32_t type)
{
	return type < 64 && l->prog_type_name[type][0] ? l->prog_type_name[type] : "?";
}

const char *kt_bpf_map_type_name(const struct kt_bpf_layout *l, uint32_t type)
{
	return type < 64 && l->map_type_name[type][0] ? l->map_type_name[type] : "?";
}
