/* BPF programs and maps of the guest kernel, read from guest memory alone
 * (docs/verifier.md): the kernel's prog_idr and map_idr (xarrays) are
 * walked through the monitor's address translation and the offsets
 * resolved from the kernel's BTF.  Everything read from the guest is
 * checked before use: every xarray node must name its own array and the
 * right level, every object the id it is filed under; node visits and
 * results are bounded.  Pure apart from the read callback of kt_xlate. */
#ifndef KTSTR_MONITOR_BPF_H
#define KTSTR_MONITOR_BPF_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "monitor/btf.h"
#include "monitor/xlate.h"

#define KT_BPF_NAME_LEN 16       /* BPF_OBJ_NAME_LEN */
#define KT_BPF_MAX_OBJS 512      /* programs or maps one walk returns, at most */
#define KT_BPF_MAX_NODES 1024    /* xarray nodes one walk visits, at most */
#define KT_BPF_BTF_MAX (8u << 20) /* a map's BTF blob read from the guest, at most */

/* Offsets in the guest kernel, from its BTF and symbols (bpf_layout.c). */
struct kt_bpf_layout {
	bool progs_ok, maps_ok;        /* what can be walked */
	bool stats_ok;                 /* bpf_prog.stats: run count and time */
	bool map_btf_ok;               /* bpf_map.btf: typed access */
	char why[200];                 /* the first thing missing */
	uint64_t prog_idr, map_idr;    /* link-time addresses of the struct idr */
	uint32_t idr_rt, idr_head;     /* idr.idr_rt (struct xarray), idr.idr_rt.xa_head */
	uint32_t xa_shift, xa_array, xa_slots, xa_nslots; /* struct xa_node */
	uint32_t prog_type, prog_aux, prog_stats;
	uint32_t aux_id, aux_name, aux_verified;
	uint32_t stats_cnt, stats_nsecs, stats_size;
	uint32_t map_type, map_key_size, map_value_size, map_max_entries, map_flags, map_id, map_name;
	uint32_t map_btf, map_btf_value_type_id;
	uint32_t array_elem_size, array_value; /* struct bpf_array */
	uint32_t btf_data, btf_data_size;      /* struct btf */
	/* enum bpf_prog_type / bpf_map_type values used (uapi, checked in BTF) */
	int64_t t_struct_ops, t_array, t_percpu_array;
	/* lower-case names without the prefix: "struct_ops", "percpu_array" */
	char prog_type_name[64][24], map_type_name[64][24];
};

/* Names of the symbols kt_bpf_layout_resolve() takes, in order. */
extern const char *const kt_bpf_sym_names[];
extern const unsigned kt_bpf_nsyms;
/* Fills l from the kernel's BTF and the symbols' link-time addresses
 * (0: absent).  Never fails: what is missing is switched off and the
 * first reason kept in why. */
void kt_bpf_layout_resolve(struct kt_bpf_layout *l, const struct kt_btf *btf, const uint64_t *sym);
/* The same with the symbols looked up in vmlinux (kt_vmlinux_open). */
struct kt_vmlinux;
void kt_bpf_layout_load(struct kt_bpf_layout *l, const struct kt_btf *btf, struct kt_vmlinux *v);
const char *kt_bpf_prog_type_name(const struct kt_bpf_layout *l, uint32_t type); /* "?" if unknown */
const char *kt_bpf_map_type_name(const struct kt_bpf_layout *l, uint32_t type);

struct kt_bpf_prog {
	uint32_t id, type;
	char name[KT_BPF_NAME_LEN + 1]; /* printable; others become '?' */
	uint32_t verified_insns;
	bool stats_ok;                  /* run_cnt, run_ns read */
	uint64_t run_cnt, run_ns;       /* summed over the CPUs */
	uint64_t va;                    /* its struct bpf_prog */
};

struct kt_bpf_map {
	uint32_t id, type, key_size, value_size, max_entries, flags;
	char name[KT_BPF_NAME_LEN + 1];
	uint64_t va;                    /* its struct bpf_map */
	uint32_t elem_size;             /* ARRAY, PERCPU_ARRAY: bytes per element */
	uint64_t btf_va;                /* its struct btf, 0: none */
	uint32_t btf_value_type_id;
};

/* Per walk. */
struct kt_bpf_walk_stats {
	unsigned nodes, entries;        /* xarray nodes visited, entries found */
	unsigned bad;                   /* nodes or objects refused */
	bool truncated;                 /* a bound was reached */
	char first_bad[160];
};

/* The current per-CPU offsets (__per_cpu_offset[0..ncpu)) are needed
 * for run statistics and per-CPU values; pcpu may be NULL (no stats). */
int kt_bpf_progs(struct kt_xlate *x, const struct kt_bpf_layout *l, const uint64_t *pcpu, unsigned ncpu,
		 struct kt_bpf_prog *out, size_t max, size_t *n, struct kt_bpf_walk_stats *ws);
int kt_bpf_maps(struct kt_xlate *x, const struct kt_bpf_layout *l, struct kt_bpf_map *out, size_t max, size_t *n,
		struct kt_bpf_walk_stats *ws);

/* Where the value of `key` lives in an ARRAY map (cpu ignored) or on CPU
 * `cpu` in a PERCPU_ARRAY map: a kernel virtual address.  -EINVAL for a
 * key out of range or another map type, -EFAULT if unreadable. */
int kt_bpf_map_value_va(struct kt_xlate *x, const struct kt_bpf_layout *l, const struct kt_bpf_map *m, uint32_t key,
			const uint64_t *pcpu, unsigned ncpu, unsigned cpu, uint64_t *va);
/* The map's own BTF (the BPF object's), read from the guest and parsed
 * (free with kt_btf_free).  -ENOENT: none, -EFAULT, -EINVAL. */
int kt_bpf_map_btf(struct kt_xlate *x, const struct kt_bpf_layout *l, const struct kt_bpf_map *m, struct kt_btf **out);
/* Offset and size of `field` in the map's value: a variable of a
 * section map (".bss": "crash"), or a member path of a struct value
 * ("a.b"); "var.member" goes into a variable of struct type. */
int kt_bpf_value_field(const struct kt_btf *b, uint32_t value_type_id, const char *field, uint32_t *off,
		       uint32_t *size);

#endif
