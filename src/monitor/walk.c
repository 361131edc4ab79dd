/* The sched_ext runnable-list walk (walk.h) and the placement of the
 * waiting tasks over the CPUs (kt_mon_place, pure; mcheck.h). */
#include "monitor/walk.h"
#include "monitor/mon_int.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static int offset_of(const struct kt_btf *btf, const char *sname, const char *path, uint32_t *off, int64_t *size,
		     char *why, size_t wlen)
{
	int64_t id = kt_btf_find(btf, sname, KT_BTF_STRUCT);
	char missing[64];
	uint64_t o;
	uint32_t type;

	if (id < 0) {
		snprintf(why, wlen, "no struct %s in BTF", sname);
		return -ENOENT;
	}
	if (kt_btf_member(btf, (uint32_t)id, path, &o, &type, missing, sizeof(missing)) || o > UINT32_MAX) {
		snprintf(why, wlen, "struct %s has no usable member '%s'", sname, path);
		return -ENOENT;
	}
	*off = (uint32_t)o;
	if (size)
		*size = kt_btf_size(btf, type);
	return 0;
}

void kt_walk_resolve(struct kt_walk_layout *w, const struct kt_btf *btf, struct strlist *degraded)
{
	char why[200], line[320];
	int64_t dsq_size = 0, mask_size = 0, at_size = 0;

	memset(w, 0, sizeof(*w));
	if (!btf || offset_of(btf, "rq", "scx.runnable_list", &w->rq_list, NULL, why, sizeof(why)) ||
	    offset_of(btf, "rq", "scx.local_dsq", &w->rq_local_dsq, NULL, why, sizeof(why)) ||
	    offset_of(btf, "task_struct", "scx.runnable_node", &w->t_node, NULL, why, sizeof(why)) ||
	    offset_of(btf, "task_struct", "scx.dsq", &w->t_dsq, &dsq_size, why, sizeof(why)) ||
	    offset_of(btf, "task_struct", "cpus_mask", &w->t_mask, &mask_size, why, sizeof(why)) ||
	    offset_of(btf, "task_struct", "scx.runnable_at", &w->t_runnable_at, &at_size, why, sizeof(why))) {
		if (!btf)
			snprintf(why, sizeof(why), "no BTF");
	} else if (dsq_size != 8 || at_size != 8 || mask_size < 8 || mask_size % 8) {
		snprintf(why, sizeof(why), "task_struct.scx.dsq (%lld bytes) or cpus_mask (%lld bytes) not as expected",
			 (long long)dsq_size, (long long)mask_size);
	} else {
		w->mask_bytes = (uint32_t)mask_size;
		w->ok = true;
		return;
	}
	snprintf(line, sizeof(line), "load, may_take (where sched_ext work waits; the checks fall back to "
				     "nr_running): %s", why);
	kt_strlist_add(degraded, line);
}

static bool may_run(const struct kt_mon_task *t, unsigned cpu)
{
	return cpu < KT_MON_MASK_WORDS * 64 && (t->mask[cpu / 64] >> (cpu % 64)) & 1;
}

void kt_mon_place(const struct kt_mon_task *t, size_t n, unsigned ncpus, struct kt_mon_cpu *cs, uint32_t *shared)
{
	*shared = 0;
	for (unsigned c = 0; c < ncpus; c++) {
		cs[c].has_oldest = false;
		cs[c].oldest = 0;
		cs[c].waiting_local = cs[c].may_take = 0;
		cs[c].peer_min = UINT32_MAX;
		cs[c].peer_cpu = 0;
	}
	for (size_t i = 0; i < n; i++) {
		if (t[i].local >= 0 && (unsigned)t[i].local < ncpus) {
			if (cs[t[i].local].waiting_local < UINT16_MAX)
				cs[t[i].local].waiting_local++;
		} else {
			(*shared)++;
		}
	}
	for (size_t i = 0; i < n; i++) {
		bool local = t[i].local >= 0 && (unsigned)t[i].local < ncpus;

		for (unsigned c = 0; c < ncpus; c++) {
			if (!may_run(&t[i], c) && !(local && (unsigned)t[i].local == c))
				continue;
			/* the longest waiting task this CPU could run (jiffies wrap) */
			if (!cs[c].has_oldest || (int64_t)(t[i].runnable_at - cs[c].oldest) < 0) {
				cs[c].oldest = t[i].runnable_at;
				cs[c].has_oldest = true;
			}
			if (local && (unsigned)t[i].local == c)
				continue;
			if (cs[c].may_take < UINT16_MAX)
				cs[c].may_take++;
			if (local && kt_mon_load(&cs[c]) < cs[t[i].local].peer_min) {
				cs[t[i].local].peer_min = kt_mon_load(&cs[c]);
				cs[t[i].local].peer_cpu = (uint16_t)c;
			}
		}
	}
}

/* Guest list pointers: kernel addresses, 8-byte aligned. */
static bool kptr(uint64_t p)
{
	return p >= 0xff00000000000000ull && !(p & 7);
}

int kt_mon_walk(struct kt_monitor *m, struct kt_mon_task *buf, size_t cap, size_t *n)
{
	const struct kt_walk_layout *w = &m->l->walk;
	unsigned words = w->mask_bytes / 8 < KT_MON_MASK_WORDS ? w->mask_bytes / 8 : KT_MON_MASK_WORDS;

	*n = 0;
	if (!w->ok || (m->ncpus + 63) / 64 > KT_MON_MASK_WORDS)
		return -EOPNOTSUPP;
	for (unsigned c = 0; c < m->ncpus; c++) {
		uint64_t head = m->rq_va[c] + w->rq_list, node;
		unsigned k = 0;

		if (kt_xlate_read(&m->x, head, &node, sizeof(node)))
			return -EFAULT;
		for (; node != head; k++) {
			uint64_t task = node - w->t_node, dsq, next;
			struct kt_mon_task *t;

			/* A list the guest changes under us, or a hostile one:
			 * bounded, every pointer checked and translated. */
			if (k >= KT_MON_WALK_PER_CPU || *n >= cap || !kptr(node) || node < w->t_node)
				return -EAGAIN;
			t = &buf[*n];
			memset(t, 0, sizeof(*t));
			if (kt_xlate_read(&m->x, node, &next, sizeof(next)) ||
			    kt_xlate_read(&m->x, task + w->t_dsq, &dsq, sizeof(dsq)) ||
			    kt_xlate_read(&m->x, task + w->t_mask, t->mask, words * 8) ||
			    kt_xlate_read(&m->x, task + w->t_runnable_at, &t->runnable_at, sizeof(t->runnable_at)))
				return -EFAULT;
			t->local = -1;
			for (unsigned d = 0; dsq && d < m->ncpus; d++)
				if (dsq == m->rq_va[d] + w->rq_local_dsq)
					t->local = (int32_t)d;
			(*n)++;
			node = next;
		}
	}
	return 0;
}
