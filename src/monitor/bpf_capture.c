/* KTSTR_MON_CAPTURE=DIR, BPF part: when the monitor stops, the program
 * and map walks (and the typed lookup of the first .bss map's first
 * variable) run once more through a reader that keeps a copy of every
 * guest-physical page they read.  DIR/bpf.bin gets the pages ({le64 pa,
 * 4096 bytes} records), DIR/bpf.txt the translation state, the per-CPU
 * offsets and what the walks found.  That is the unit-test fixture
 * unit/fixtures/bpf-* (unit/fixtures/README.md): the walks can be
 * replayed over the pages alone.  Off unless the variable is set. */
#include "monitor/mon_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PG 4096ull
#define MAX_PAGES 2048u

struct rec {
	struct kt_xlate *live;
	uint64_t *pa;
	unsigned char *data;
	size_t n;
	bool full;
};

static bool have(const struct rec *r, uint64_t pa)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->pa[i] == pa)
			return true;
	return false;
}

static int rec_read(void *ctx, uint64_t pa, void *buf, size_t len)
{
	struct rec *r = ctx;
	int ret = r->live->read(r->live->ctx, pa, buf, len);

	for (uint64_t p = pa & ~(PG - 1); !ret && len && p < pa + len; p += PG) {
		if (have(r, p))
			continue;
		if (r->n == MAX_PAGES) {
			r->full = true;
			break;
		}
		if (!r->live->read(r->live->ctx, p, r->data + r->n * PG, PG))
			r->pa[r->n++] = p;
	}
	return ret;
}

static void put_le64(FILE *f, uint64_t v)
{
	for (int b = 0; b < 8; b++)
		fputc((int)((v >> (8 * b)) & 0xff), f);
}

static int write_out(const char *dir, const struct rec *r, const struct kt_monitor *m, const uint64_t *pcpu,
		     const struct kt_bpf_prog *p, size_t np, const struct kt_bpf_map *mp, size_t nm, const char *typed)
{
	const struct kt_xlate *x = &m->x;
	char path[600];
	FILE *f;

	snprintf(path, sizeof(path), "%s/bpf.bin", dir);
	if (!(f = fopen(path, "wb")))
		return -errno;
	for (size_t i = 0; i < r->n; i++) {
		put_le64(f, r->pa[i]);
		fwrite(r->data + i * PG, 1, PG, f);
	}
	if (fclose(f))
		return -errno;
	snprintf(path, sizeof(path), "%s/bpf.txt", dir);
	if (!(f = fopen(path, "w")))
		return -errno;
	fprintf(f, "# ktstr KTSTR_MON_CAPTURE BPF walk: %zu pages%s\n", r->n, r->full ? " (more were left out)" : "");
	fprintf(f, "mem_top 0x%llx\npgd 0x%llx\nlevels %u\npage_offset 0x%llx\nphys_load 0x%llx\nvoff 0x%llx\n",
		(unsigned long long)x->mem_top, (unsigned long long)x->pgd, x->levels,
		(unsigned long long)x->page_offset, (unsigned long long)x->phys_load, (unsigned long long)x->voff);
	fprintf(f, "text 0x%llx\nend 0x%llx\nncpu %u\n", (unsigned long long)m->l->syms.text,
		(unsigned long long)m->l->syms.end, m->ncpus);
	for (unsigned c = 0; c < m->ncpus; c++)
		fprintf(f, "pcpu %u 0x%llx\n", c, (unsigned long long)pcpu[c]);
	fprintf(f, "# prog id type verified_insns run_cnt run_ns name\n");
	for (size_t i = 0; i < np; i++)
		fprintf(f, "prog %u %u %u %llu %llu %s\n", p[i].id, p[i].type, p[i].verified_insns,
			(unsigned long long)p[i].run_cnt, (unsigned long long)p[i].run_ns, p[i].name);
	fprintf(f, "# map id type key_size value_size max_entries elem_size name\n");
	for (size_t i = 0; i < nm; i++)
		fprintf(f, "map %u %u %u %u %u %u %s\n", mp[i].id, mp[i].type, mp[i].key_size, mp[i].value_size,
			mp[i].max_entries, mp[i].elem_size, mp[i].name);
	fprintf(f, "%s", typed);
	return fclose(f) ? -errno : 0;
}

void kt_mon_bpf_capture(struct kt_monitor *m, const uint64_t *pcpu, const char *dir)
{
	struct rec r = { .live = &m->x };
	struct kt_xlate y = m->x;
	struct kt_bpf_walk_stats ws;
	struct kt_bpf_prog *p = calloc(KT_BPF_MAX_OBJS, sizeof(*p));
	struct kt_bpf_map *mp = calloc(KT_BPF_MAX_OBJS, sizeof(*mp));
	size_t np = 0, nm = 0;
	char typed[256] = "";
	int ret;

	r.pa = calloc(MAX_PAGES, sizeof(*r.pa));
	r.data = malloc(MAX_PAGES * PG);
	if (!p || !mp || !r.pa || !r.data)
		goto out;
	y.read = rec_read;
	y.ctx = &r;
	y.cache_ok = false;
	kt_bpf_progs(&y, &m->l->bpf, pcpu, m->ncpus, p, KT_BPF_MAX_OBJS, &np, &ws);
	kt_bpf_maps(&y, &m->l->bpf, mp, KT_BPF_MAX_OBJS, &nm, &ws);
	for (size_t i = 0; i < nm && !typed[0]; i++) {
		struct kt_btf *btf = NULL;
		uint32_t off, size;
		size_t l = strlen(mp[i].name);

		if (l < 4 || strcmp(mp[i].name + l - 4, ".bss") || kt_bpf_map_btf(&y, &m->l->bpf, &mp[i], &btf))
			continue;
		/* the first variable's name: the fixture records its lookup */
		for (uint32_t id = 1; id <= kt_btf_count(btf) && !typed[0]; id++) {
			const char *vn = kt_btf_name(btf, id);

			if (kt_btf_kind(btf, id) == KT_BTF_VAR && vn[0] &&
			    !kt_bpf_value_field(btf, mp[i].btf_value_type_id, vn, &off, &size))
				snprintf(typed, sizeof(typed), "field %u %s %u %u\n", mp[i].id, vn, off, size);
		}
		kt_btf_free(btf);
	}
	ret = write_out(dir, &r, m, pcpu, p, np, mp, nm, typed);
	if (ret)
		kt_err(-ret, "monitor: KTSTR_MON_CAPTURE: writing %s/bpf.*", dir);
	else
		kt_info("monitor: KTSTR_MON_CAPTURE: BPF walk, %zu pages, %zu programs, %zu maps in %s", r.n, np, nm, dir);
out:
	free(p);
	free(mp);
	free(r.pa);
	free(r.data);
}
