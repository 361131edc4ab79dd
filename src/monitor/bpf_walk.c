/* The walk of prog_idr and map_idr in guest memory (bpf.h).
 *
 * An IDR is an xarray: xa_head is NULL, the entry of index 0, or an
 * internal node pointer (low bits 10, above 4096) to a struct xa_node
 * whose `shift` says which index bits its slots[] cover; a slot holds
 * NULL, an entry, another node (shift - XA_CHUNK_SHIFT), or an internal
 * value (retry, zero, sibling) that is not an entry.  The guest is
 * untrusted: a node must point back at the array it belongs to and have
 * the shift its parent implies, the depth and the number of nodes
 * visited are bounded, and an object must carry the id it is filed
 * under. */
#include "monitor/bpf.h"
#include "util/util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The kernel half of the address space: 4-level paging starts it at
 * 0xffff800000000000, 5-level (LA57) at 0xff00000000000000. */
#define KERNEL_VA_MIN(x) ((x)->levels == 5 ? 0xff00000000000000ull : 0xffff800000000000ull)
#define MAX_DEPTH 8  /* 32-bit ids: 6 levels of 64 slots */
#define MAX_SHIFT 30 /* the highest level an id below 2^31 needs */

typedef int (*leaf_fn)(void *arg, uint64_t index, uint64_t entry);

struct walk {
	struct kt_xlate *x;
	const struct kt_bpf_layout *l;
	struct kt_bpf_walk_stats *ws;
	uint64_t xa_va;       /* the struct xarray, runtime address */
	unsigned chunk_shift; /* log2(slots per node) */
	leaf_fn fn;
	void *arg;
};

static void bad(struct kt_bpf_walk_stats *ws, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void bad(struct kt_bpf_walk_stats *ws, const char *fmt, ...)
{
	va_list ap;

	ws->bad++;
	if (ws->first_bad[0])
		return;
	va_start(ap, fmt);
	vsnprintf(ws->first_bad, sizeof(ws->first_bad), fmt, ap);
	va_end(ap);
}

static bool is_internal(uint64_t e)
{
	return (e & 3) == 2;
}

static bool is_node(uint64_t e)
{
	return is_internal(e) && e > 4096;
}

/* 1: stop (the caller's array is full), 0: go on. */
static int node(struct walk *w, uint64_t va, uint64_t base, int want_shift, int depth)
{
	const struct kt_bpf_layout *l = w->l;
	uint64_t slots[64], array = 0;
	uint8_t shift = 0;

	if (depth >= MAX_DEPTH) {
		bad(w->ws, "xarray deeper than %d levels at node 0x%llx", MAX_DEPTH, (unsigned long long)va);
		return 0;
	}
	if (w->ws->nodes >= KT_BPF_MAX_NODES) {
		w->ws->truncated = true;
		return 1;
	}
	w->ws->nodes++;
	if (va < KERNEL_VA_MIN(w->x) || kt_xlate_read(w->x, va + l->xa_shift, &shift, 1) ||
	    kt_xlate_read(w->x, va + l->xa_array, &array, 8) ||
	    kt_xlate_read(w->x, va + l->xa_slots, slots, (size_t)l->xa_nslots * 8)) {
		bad(w->ws, "xarray node 0x%llx unreadable", (unsigned long long)va);
		return 0;
	}
	if (array != w->xa_va || shift % w->chunk_shift || shift > MAX_SHIFT ||
	    (want_shift >= 0 && shift != want_shift)) {
		bad(w->ws, "xarray node 0x%llx: shift %u, array 0x%llx (want %d, 0x%llx)", (unsigned long long)va, shift,
		    (unsigned long long)array, want_shift, (unsigned long long)w->xa_va);
		return 0;
	}
	for (uint32_t i = 0; i < l->xa_nslots; i++) {
		uint64_t e = slots[i], index = base + ((uint64_t)i << shift);

		if (!e)
			continue;
		if (is_node(e)) {
			if (!shift) {
				bad(w->ws, "xarray node 0x%llx: a node below the last level", (unsigned long long)va);
				continue;
			}
			if (node(w, e - 2, index, shift - (int)w->chunk_shift, depth + 1))
				return 1;
		} else if (!is_internal(e) && !(e & 1)) { /* not retry/zero/sibling, not a value */
			w->ws->entries++;
			if (w->fn(w->arg, index, e))
				return 1;
		}
	}
	return 0;
}

static int xa_walk(struct kt_xlate *x, const struct kt_bpf_layout *l, uint64_t idr_link, leaf_fn fn, void *arg,
		   struct kt_bpf_walk_stats *ws)
{
	struct walk w = { .x = x, .l = l, .ws = ws, .fn = fn, .arg = arg };
	uint64_t idr = idr_link + x->voff, head = 0;

	w.xa_va = idr + l->idr_rt;
	w.chunk_shift = l->xa_nslots == 16 ? 4 : 6;
	if (kt_xlate_read(x, idr + l->idr_head, &head, 8))
		return -EFAULT;
	if (!head)
		return 0;
	if (!is_node(head)) {
		if (!is_internal(head) && !(head & 1)) {
			ws->entries++;
			fn(arg, 0, head);
		}
		return 0;
	}
	node(&w, head - 2, 0, -1, 0);
	return 0;
}

static void copy_name(char *dst, const char *src)
{
	size_t i;

	for (i = 0; i < KT_BPF_NAME_LEN && src[i]; i++)
		dst[i] = (unsigned char)src[i] > 0x20 && (unsigned char)src[i] < 0x7f ? src[i] : '?';
	dst[i] = '\0';
}

static uint64_t sat_add(uint64_t a, uint64_t b)
{
	return a + b < a ? UINT64_MAX : a + b;
}

struct progs {
	struct kt_xlate *x;
	const struct kt_bpf_layout *l;
	const uint64_t *pcpu;
	unsigned ncpu;
	struct kt_bpf_prog *out;
	size_t max, n;
	struct kt_bpf_walk_stats *ws;
};

static void prog_stats(struct progs *c, uint64_t stats, struct kt_bpf_prog *p)
{
	const struct kt_bpf_layout *l = c->l;

	if (!l->stats_ok || !c->pcpu || !stats)
		return;
	for (unsigned cpu = 0; cpu < c->ncpu; cpu++) {
		uint64_t va = stats + c->pcpu[cpu], cnt, ns;

		if (kt_xlate_read(c->x, va + l->stats_cnt, &cnt, 8) || kt_xlate_read(c->x, va + l->stats_nsecs, &ns, 8))
			return;
		p->run_cnt = sat_add(p->run_cnt, cnt);
		p->run_ns = sat_add(p->run_ns, ns);
	}
	p->stats_ok = true;
}

static int prog_leaf(void *arg, uint64_t index, uint64_t va)
{
	struct progs *c = arg;
	const struct kt_bpf_layout *l = c->l;
	struct kt_bpf_prog p = { .va = va };
	uint64_t aux = 0, stats = 0;
	char name[KT_BPF_NAME_LEN];

	if (c->n == c->max) {
		c->ws->truncated = true;
		return 1;
	}
	if (va < KERNEL_VA_MIN(c->x) || kt_xlate_read(c->x, va + l->prog_type, &p.type, 4) ||
	    kt_xlate_read(c->x, va + l->prog_aux, &aux, 8) || aux < KERNEL_VA_MIN(c->x) ||
	    kt_xlate_read(c->x, aux + l->aux_id, &p.id, 4) || kt_xlate_read(c->x, aux + l->aux_name, name, sizeof(name)) ||
	    kt_xlate_read(c->x, aux + l->aux_verified, &p.verified_insns, 4)) {
		bad(c->ws, "prog_idr[%llu]: bpf_prog 0x%llx unreadable", (unsigned long long)index, (unsigned long long)va);
		return 0;
	}
	if (p.id != index) {
		bad(c->ws, "prog_idr[%llu]: bpf_prog 0x%llx says id %u", (unsigned long long)index, (unsigned long long)va,
		    p.id);
		return 0;
	}
	copy_name(p.name, name);
	if (l->stats_ok && !kt_xlate_read(c->x, va + l->prog_stats, &stats, 8))
		prog_stats(c, stats, &p);
	c->out[c->n++] = p;
	return 0;
}

static int by_prog_id(const void *a, const void *b)
{
	const struct kt_bpf_prog *x = a, *y = b;

	return (x->id > y->id) - (x->id < y->id);
}

int kt_bpf_progs(struct kt_xlate *x, const struct kt_bpf_layout *l, const uint64_t *pcpu, unsigned ncpu,
		 struct kt_bpf_prog *out, size_t max, size_t *n, struct kt_bpf_walk_stats *ws)
{
	struct progs c = { .x = x, .l = l, .pcpu = pcpu, .ncpu = ncpu, .out = out, .max = max, .ws = ws };
	int ret;

	memset(ws, 0, sizeof(*ws));
	*n = 0;
	if (!l->progs_ok)
		return -ENOENT;
	if (!x->located)
		return -EAGAIN;
	ret = xa_walk(x, l, l->prog_idr, prog_leaf, &c, ws);
	qsort(out, c.n, sizeof(*out), by_prog_id);
	*n = c.n;
	return ret;
}

struct maps {
	struct kt_xlate *x;
	const struct kt_bpf_layout *l;
	struct kt_bpf_map *out;
	size_t max, n;
	struct kt_bpf_walk_stats *ws;
};

static int map_leaf(void *arg, uint64_t index, uint64_t va)
{
	struct maps *c = arg;
	const struct kt_bpf_layout *l = c->l;
	struct kt_bpf_map m = { .va = va };
	char name[KT_BPF_NAME_LEN];

	if (c->n == c->max) {
		c->ws->truncated = true;
		return 1;
	}
	if (va < KERNEL_VA_MIN(c->x) || kt_xlate_read(c->x, va + l->map_type, &m.type, 4) ||
	    kt_xlate_read(c->x, va + l->map_key_size, &m.key_size, 4) ||
	    kt_xlate_read(c->x, va + l->map_value_size, &m.value_size, 4) ||
	    kt_xlate_read(c->x, va + l->map_max_entries, &m.max_entries, 4) ||
	    kt_xlate_read(c->x, va + l->map_flags, &m.flags, 4) || kt_xlate_read(c->x, va + l->map_id, &m.id, 4) ||
	    kt_xlate_read(c->x, va + l->map_name, name, sizeof(name))) {
		bad(c->ws, "map_idr[%llu]: bpf_map 0x%llx unreadable", (unsigned long long)index, (unsigned long long)va);
		return 0;
	}
	if (m.id != index) {
		bad(c->ws, "map_idr[%llu]: bpf_map 0x%llx says id %u", (unsigned long long)index, (unsigned long long)va, m.id);
		return 0;
	}
	copy_name(m.name, name);
	if (m.type == l->t_array || m.type == l->t_percpu_array) {
		uint32_t es = 0;

		/* the kernel's elem_size is value_size rounded up to 8 */
		if (!kt_xlate_read(c->x, va + l->array_elem_size, &es, 4) && m.value_size &&
		    es == ((m.value_size + 7ull) & ~7ull))
			m.elem_size = es;
		else
			bad(c->ws, "map %u: elem_size %u for value_size %u", m.id, es, m.value_size);
	}
	if (l->map_btf_ok && !kt_xlate_read(c->x, va + l->map_btf, &m.btf_va, 8) &&
	    kt_xlate_read(c->x, va + l->map_btf_value_type_id, &m.btf_value_type_id, 4))
		m.btf_va = 0;
	if (m.btf_va && m.btf_va < KERNEL_VA_MIN(c->x))
		m.btf_va = 0;
	c->out[c->n++] = m;
	return 0;
}

static int by_map_id(const void *a, const void *b)
{
	const struct kt_bpf_map *x = a, *y = b;

	return (x->id > y->id) - (x->id < y->id);
}

int kt_bpf_maps(struct kt_xlate *x, const struct kt_bpf_layout *l, struct kt_bpf_map *out, size_t max, size_t *n,
		struct kt_bpf_walk_stats *ws)
{
	struct maps c = { .x = x, .l = l, .out = out, .max = max, .ws = ws };
	int ret;

	memset(ws, 0, sizeof(*ws));
	*n = 0;
	if (!l->maps_ok)
		return -ENOENT;
	if (!x->located)
		return -EAGAIN;
	ret = xa_walk(x, l, l->map_idr, map_leaf, &c, ws);
	qsort(out, c.n, sizeof(*out), by_map_id);
	*n = c.n;
	return ret;
}

int kt_bpf_map_value_va(struct kt_xlate *x, const struct kt_bpf_layout *l, const struct kt_bpf_map *m, uint32_t key,
			const uint64_t *pcpu, unsigned ncpu, unsigned cpu, uint64_t *va)
{
	uint64_t base = m->va + l->array_value, pptr = 0;

	if (!m->elem_size || key >= m->max_entries)
		return -EINVAL;
	if (m->type == l->t_array) {
		*va = base + (uint64_t)key * m->elem_size;
		return 0;
	}
	if (m->type != l->t_percpu_array || !pcpu || cpu >= ncpu)
		return -EINVAL;
	if (kt_xlate_read(x, base + 8ull * key, &pptr, 8) || !pptr)
		return -EFAULT;
	*va = pptr + pcpu[cpu];
	return 0;
}

int kt_bpf_map_btf(struct kt_xlate *x, const struct kt_bpf_layout *l, const struct kt_bpf_map *m, struct kt_btf **out)
{
	uint64_t data = 0;
	uint32_t size = 0;
	unsigned char *buf;
	char err[160];
	int ret;

	*out = NULL;
	if (!l->map_btf_ok || !m->btf_va)
		return -ENOENT;
	if (kt_xlate_read(x, m->btf_va + l->btf_data, &data, 8) || kt_xlate_read(x, m->btf_va + l->btf_data_size, &size, 4))
		return -EFAULT;
	if (data < KERNEL_VA_MIN(x) || !size || size > KT_BPF_BTF_MAX)
		return -EINVAL;
	buf = malloc(size);
	if (!buf)
		return -ENOMEM;
	ret = kt_xlate_read(x, data, buf, size) ? -EFAULT : kt_btf_parse(buf, size, out, err, sizeof(err));
	free(buf);
	return ret;
}

int kt_bpf_value_field(const struct kt_btf *b, uint32_t value_type_id, const char *field, uint32_t *off,
		       uint32_t *size)
{
	size_t n = strcspn(field, ".");
	uint32_t base = 0, type = value_type_id, vsize = 0;
	const char *rest = field;
	uint64_t moff = 0;
	int64_t sz;

	if (!n || n >= 128)
		return -EINVAL;
	if (kt_btf_kind(b, kt_btf_resolve(b, value_type_id)) == KT_BTF_DATASEC) {
		char var[128];
		int ret;

		memcpy(var, field, n);
		var[n] = '\0';
		ret = kt_btf_datasec_var(b, value_type_id, var, &base, &vsize, &type);
		if (ret)
			return ret;
		rest = field[n] == '.' ? field + n + 1 : "";
	}
	if (*rest) {
		int ret = kt_btf_member(b, type, rest, &moff, &type, NULL, 0);

		if (ret)
			return ret;
	}
	sz = kt_btf_size(b, type);
	if (sz <= 0 || (uint64_t)base + moff + (uint64_t)sz > UINT32_MAX)
		return -EINVAL;
	*off = base + (uint32_t)moff;
	*size = (uint32_t)sz;
	return 0;
}
