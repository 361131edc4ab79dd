/* BPF programs and maps in the monitor thread (monitor.h, bpf.h): a walk
 * of the guest's prog_idr and map_idr every KT_MON_BPF_MS once the kernel
 * is located, and once more when the monitor stops; every program ever
 * seen is kept with its first and last reading (a scheduler's programs
 * are gone once it stops).  Host writes into a map value (a test's
 * .bpf_map_write) are done here too, by this thread, on request. */
#include "monitor/mon_int.h"
#include "proto/shm_ring.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KT_MON_BPF_MS 500u
#define KT_MON_BPF_PROGS 256u
#define KT_MON_READY_TRIES 3u

struct kt_mon_bpf {
	uint64_t last_walk;
	struct kt_bpf_prog cur[KT_BPF_MAX_OBJS];
	struct kt_mon_bpf_prog progs[KT_MON_BPF_PROGS];
	size_t nprogs;
	struct kt_bpf_map maps[KT_BPF_MAX_OBJS];
	size_t nmaps;
	unsigned walks, bad;
	bool truncated;
	/* The walk the guest may wait for once it is "ready" (kt_ctl_signal_walked). */
	bool ready_walked;
	unsigned ready_tries;
	char first_bad[160];
	/* host write: request (under m->lock) and result */
	bool want_write, write_done, write_ok;
	struct kt_mon_map_write w;
	char write_detail[256];
};

struct kt_mon_bpf *kt_mon_bpf_new(void)
{
	return calloc(1, sizeof(struct kt_mon_bpf));
}

static void note_walk(struct kt_mon_bpf *b, const struct kt_bpf_walk_stats *ws)
{
	b->bad += ws->bad;
	b->truncated |= ws->truncated;
	if (ws->first_bad[0] && !b->first_bad[0])
		snprintf(b->first_bad, sizeof(b->first_bad), "%s", ws->first_bad);
}

/* Merge a walk's programs into the history (by id: an id is never
 * reused while the guest runs, ids grow). */
static void merge(struct kt_monitor *m, struct kt_mon_bpf *b, size_t n, uint64_t now)
{
	for (size_t i = 0; i < n; i++) {
		const struct kt_bpf_prog *p = &b->cur[i];
		struct kt_mon_bpf_prog *h = NULL;

		for (size_t k = 0; k < b->nprogs; k++)
			if (b->progs[k].last.id == p->id && b->progs[k].last.va == p->va) {
				h = &b->progs[k];
				break;
			}
		if (!h) {
			if (b->nprogs == KT_MON_BPF_PROGS) {
				b->truncated = true;
				continue;
			}
			h = &b->progs[b->nprogs++];
			h->first = *p;
			h->first_ns = now;
			snprintf(h->type_name, sizeof(h->type_name), "%s", kt_bpf_prog_type_name(&m->l->bpf, p->type));
		}
		h->last = *p;
		h->last_ns = now;
	}
}

/* One walk of both IDRs; *progs_clean: every program entry read. */
static int walk(struct kt_monitor *m, struct kt_mon_bpf *b, const uint64_t *pcpu, bool *progs_clean)
{
	struct kt_bpf_walk_stats ws;
	size_t n = 0;
	int ret;

	ret = kt_bpf_progs(&m->x, &m->l->bpf, pcpu, m->ncpus, b->cur, KT_BPF_MAX_OBJS, &n, &ws);
	note_walk(b, &ws);
	*progs_clean = !ret && !ws.bad;
	if (!ret)
		merge(m, b, n, kt_now_ns() - m->t0);
	ret = kt_bpf_maps(&m->x, &m->l->bpf, b->maps, KT_BPF_MAX_OBJS, &b->nmaps, &ws);
	note_walk(b, &ws);
	b->walks++;
	return ret;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), l = strlen(suffix);

	return a >= l && !strcmp(s + a - l, suffix);
}

/* The write itself: the first ARRAY map named *suffix, the field's or
 * the given offset in its value at key 0, one aligned scalar within a
 * page, read back. */
static int do_write(struct kt_monitor *m, struct kt_mon_bpf *b, const struct kt_mon_map_write *w, char *why, size_t wl)
{
	const struct kt_bpf_layout *l = &m->l->bpf;
	const struct kt_bpf_map *map = NULL;
	uint32_t off = w->offset, size = w->size ? w->size : 4;
	uint64_t va, pa, before = 0, after = 0;

	for (size_t i = 0; i < b->nmaps && !map; i++)
		if (b->maps[i].type == l->t_array && ends_with(b->maps[i].name, w->map))
			map = &b->maps[i];
	if (!map) {
		snprintf(why, wl, "no ARRAY map named *%s among the guest's %zu maps", w->map, b->nmaps);
		return -ENOENT;
	}
	if (w->field[0]) {
		struct kt_btf *btf = NULL;
		uint32_t fsize = 0;
		int ret = kt_bpf_map_btf(&m->x, l, map, &btf);

		if (!ret)
			ret = kt_bpf_value_field(btf, map->btf_value_type_id, w->field, &off, &fsize);
		kt_btf_free(btf);
		if (ret) {
			snprintf(why, wl, "map %s (id %u): no field '%s' in its BTF (%s)", map->name, map->id, w->field,
				 strerror(-ret));
			return ret;
		}
		if (!w->size)
			size = fsize;
	}
	if ((size != 1 && size != 2 && size != 4 && size != 8) || off % size || (uint64_t)off + size > map->value_size) {
		snprintf(why, wl, "map %s (id %u): %u bytes at offset %u do not fit its %u-byte value (aligned scalar)",
			 map->name, map->id, size, off, map->value_size);
		return -EINVAL;
	}
	if (kt_bpf_map_value_va(&m->x, l, map, 0, NULL, 0, 0, &va) || kt_xlate_va(&m->x, va + off, &pa)) {
		snprintf(why, wl, "map %s (id %u): its value is not mapped", map->name, map->id);
		return -EFAULT;
	}
	if (kt_vm_read_phys(m->vm, pa, &before, size) || kt_vm_write_phys(m->vm, pa, &w->value, size) ||
	    kt_vm_read_phys(m->vm, pa, &after, size)) {
		snprintf(why, wl, "map %s (id %u): guest-physical 0x%llx outside RAM", map->name, map->id,
			 (unsigned long long)pa);
		return -EFAULT;
	}
	snprintf(why, wl, "map %s (id %u) value+%u (%u bytes%s%s) at guest-physical 0x%llx: %llu -> %llu", map->name,
		 map->id, off, size, w->field[0] ? ", field " : "", w->field, (unsigned long long)pa,
		 (unsigned long long)before, (unsigned long long)after);
	return after == (w->value & (size == 8 ? ~0ull : (1ull << (8 * size)) - 1)) ? 0 : -EIO;
}

void kt_mon_bpf_tick(struct kt_monitor *m, const uint64_t *pcpu, bool last)
{
	struct kt_mon_bpf *b = m->bpf;
	uint64_t now = kt_now_ns();
	struct kt_mon_map_write w;
	bool want;

	if (!b || !m->ready)
		return;
	if (!m->l->bpf.progs_ok && !m->l->bpf.maps_ok) {
		/* Nothing to read: do not keep a waiting guest waiting. */
		if (m->t_ready && !b->ready_walked && m->vm && m->vm->shm)
			b->ready_walked = kt_ctl_signal_walked(m->vm->shm);
		return;
	}
	pthread_mutex_lock(&m->lock);
	want = b->want_write;
	w = b->w;
	pthread_mutex_unlock(&m->lock);
	/* Right after "ready", then until a walk reads every program (a
	 * few tries: an entry may be mid-update), answer the guest that
	 * waits for it (`ktstr shell --bpf-out`, `ktstr verifier`). */
	bool after_ready = m->t_ready && !b->ready_walked;

	if (want || last || after_ready || now - b->last_walk >= KT_MON_BPF_MS * 1000000ull) {
		bool clean;

		b->last_walk = now;
		walk(m, b, pcpu, &clean);
		if (after_ready && (clean || ++b->ready_tries >= KT_MON_READY_TRIES)) {
			struct kt_ring_hdr *h = m->vm ? m->vm->shm : NULL;

			b->ready_walked = true;
			if (h)
				kt_ctl_signal_walked(h);
		}
	}
	if (last) {
		const char *dir = getenv("KTSTR_MON_CAPTURE");

		if (dir && *dir)
			kt_mon_bpf_capture(m, pcpu, dir);
	}
	if (want && !last) {
		char why[256];
		int ret = do_write(m, b, &w, why, sizeof(why));
		struct kt_ring_hdr *h = m->vm ? m->vm->shm : NULL;

		pthread_mutex_lock(&m->lock);
		b->want_write = false;
		b->write_done = true;
		b->write_ok = !ret;
		snprintf(b->write_detail, sizeof(b->write_detail), "%s", why);
		pthread_mutex_unlock(&m->lock);
		kt_monitor_event(m, "bpf_map_write", "%s%s", ret ? "failed: " : "", why);
		if (!ret && h)
			kt_ctl_signal_map_written(h);
	}
}

int kt_monitor_bpf_write(struct kt_monitor *m, const struct kt_mon_map_write *w)
{
	struct kt_mon_bpf *b;

	if (!m || !m->running || !w->map[0])
		return -EINVAL;
	pthread_mutex_lock(&m->lock);
	b = m->bpf;
	if (b && !b->want_write && !b->write_done) {
		b->w = *w;
		b->want_write = true;
	}
	pthread_mutex_unlock(&m->lock);
	return b ? 0 : -ENODEV;
}

bool kt_monitor_bpf_write_result(struct kt_monitor *m, bool *ok, char *detail, size_t len)
{
	bool done = false;

	if (!m)
		return false;
	pthread_mutex_lock(&m->lock);
	if (m->bpf && m->bpf->write_done) {
		done = true;
		*ok = m->bpf->write_ok;
		snprintf(detail, len, "%s", m->bpf->write_detail);
	}
	pthread_mutex_unlock(&m->lock);
	return done;
}

size_t kt_monitor_bpf_progs(struct kt_monitor *m, const struct kt_mon_bpf_prog **out)
{
	*out = m && m->bpf ? m->bpf->progs : NULL;
	return m && m->bpf && !m->running ? m->bpf->nprogs : 0;
}

size_t kt_monitor_bpf_maps(struct kt_monitor *m, const struct kt_bpf_map **out)
{
	*out = m && m->bpf ? m->bpf->maps : NULL;
	return m && m->bpf && !m->running ? m->bpf->nmaps : 0;
}

void kt_monitor_bpf_note(struct kt_monitor *m, char *buf, size_t len)
{
	const struct kt_bpf_layout *l = m ? &m->l->bpf : NULL;

	if (!len)
		return;
	buf[0] = '\0';
	if (!m)
		return;
	if (!l->progs_ok || !l->maps_ok)
		snprintf(buf, len, "BPF walk degraded: %s", l->why[0] ? l->why : "unknown");
	else if (!m->bpf || !m->bpf->walks)
		snprintf(buf, len, "BPF walk never ran (kernel not located: %s)", m->wait_why[0] ? m->wait_why : "?");
	else if (m->bpf->bad || m->bpf->truncated)
		snprintf(buf, len, "BPF walk: %u walks, %u entries refused%s%s%s", m->bpf->walks, m->bpf->bad,
			 m->bpf->truncated ? ", bounds reached" : "", m->bpf->first_bad[0] ? ": " : "",
			 m->bpf->first_bad);
}

void kt_mon_bpf_free(struct kt_monitor *m)
{
	free(m->bpf);
	m->bpf = NULL;
}
