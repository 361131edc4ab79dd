/* Symbols and BTF offsets for the monitor (see layout.h). */
#include "monitor/layout.h"
#include "monitor/vmlinux.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

enum {
	S_TEXT, S_END, S_BANNER, S_PHYS_BASE, S_PAGE_OFFSET_BASE, S_L5, S_INIT_TOP_PGT, S_RUNQUEUES,
	S_PER_CPU_OFFSET, S_NR_CPU_IDS, S_SCX_OPS_STATE, S_SCX_STATE, S_SCX_SWITCHING_ALL, S_SCX_NR_REJECTED,
	S_EVENT_STATS_CPU, S_SCX_ROOT, S__COUNT
};

const char *const kt_layout_sym_names[] = {
	[S_TEXT] = "_text",
	[S_END] = "_end",
	[S_BANNER] = "linux_banner",
	[S_PHYS_BASE] = "phys_base",
	[S_PAGE_OFFSET_BASE] = "page_offset_base",
	[S_L5] = "__pgtable_l5_enabled",
	[S_INIT_TOP_PGT] = "init_top_pgt",
	[S_RUNQUEUES] = "runqueues",
	[S_PER_CPU_OFFSET] = "__per_cpu_offset",
	[S_NR_CPU_IDS] = "nr_cpu_ids",
	[S_SCX_OPS_STATE] = "scx_ops_enable_state_var", /* up to 6.12 */
	[S_SCX_STATE] = "scx_enable_state_var",         /* 6.13 on */
	[S_SCX_SWITCHING_ALL] = "scx_switching_all",
	[S_SCX_NR_REJECTED] = "scx_nr_rejected",
	[S_EVENT_STATS_CPU] = "event_stats_cpu",
	[S_SCX_ROOT] = "scx_root",
};
const unsigned kt_layout_nsyms = S__COUNT;

static const struct {
	const char *path;
	enum kt_mon_group g;
} rq_fields[KT_RQ__COUNT] = {
	[KT_RQ_NR_RUNNING] = { "nr_running", KT_G_CORE },
	[KT_RQ_CLOCK] = { "clock", KT_G_CORE },
	[KT_RQ_CURR] = { "curr", KT_G_IDLE },
	[KT_RQ_IDLE] = { "idle", KT_G_IDLE },
	[KT_RQ_SCX_NR] = { "scx.nr_running", KT_G_SCX },
	[KT_RQ_SCX_DSQ_NR] = { "scx.local_dsq.nr", KT_G_SCX },
	[KT_RQ_SCX_FLAGS] = { "scx.flags", KT_G_SCX },
	[KT_RQ_RUN_DELAY] = { "rq_sched_info.run_delay", KT_G_SCHEDSTAT },
	[KT_RQ_PCOUNT] = { "rq_sched_info.pcount", KT_G_SCHEDSTAT },
	[KT_RQ_SCHED_COUNT] = { "sched_count", KT_G_SCHEDSTAT },
	[KT_RQ_SCHED_GOIDLE] = { "sched_goidle", KT_G_SCHEDSTAT },
	[KT_RQ_TTWU_COUNT] = { "ttwu_count", KT_G_SCHEDSTAT },
};

static const struct {
	const char *name, *signals, *hint;
} groups[KT_G__COUNT] = {
	[KT_G_CORE] = { "core", "nr_running, clock_ns (the whole monitor)", "" },
	[KT_G_IDLE] = { "idle", "idle", "" },
	[KT_G_SCX] = { "scx", "scx_nr_running, dsq_depth", " (kernel built without sched_ext?)" },
	[KT_G_SCHEDSTAT] = { "schedstat", "run_delay_ns, pcount, sched_count, sched_goidle, ttwu_count",
			     " (kernel built without CONFIG_SCHEDSTATS?)" },
	[KT_G_EVENTS] = { "events", "fallback_rate, keep_last_rate", "" },
	[KT_G_SCX_STATE] = { "scx_state", "scx_state", " (kernel built without sched_ext?)" },
};

const char *kt_mon_group_name(enum kt_mon_group g)
{
	return (unsigned)g < KT_G__COUNT ? groups[g].name : "?";
}

static void degrade(struct kt_layout *l, enum kt_mon_group g, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void degrade(struct kt_layout *l, enum kt_mon_group g, const char *fmt, ...)
{
	char why[384], line[512];
	va_list ap;

	if (!l->group[g])
		return; /* one reason per group is enough */
	l->group[g] = false;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	snprintf(line, sizeof(line), "%s: %s%s", groups[g].signals, why, groups[g].hint);
	kt_strlist_add(&l->degraded, line);
}

/* Offset and size of a member path in a named struct: inside the
 * struct, whose size is plausible, in 64-bit arithmetic. */
static int member(const struct kt_btf *btf, const char *sname, const char *path, uint64_t *off, uint32_t *size,
		  char *why, size_t wlen)
{
	int64_t id = kt_btf_find(btf, sname, KT_BTF_STRUCT), sz, ssz;
	char missing[64];
	uint64_t o;
	uint32_t type;
	int ret;

	if (id < 0) {
		snprintf(why, wlen, "no struct %s in BTF", sname);
		return -ENOENT;
	}
	ret = kt_btf_member(btf, (uint32_t)id, path, &o, &type, missing, sizeof(missing));
	if (ret) {
		if (ret == -ENOENT)
			snprintf(why, wlen, "struct %s has no member '%s'", sname, missing);
		else if (ret == -E2BIG)
			snprintf(why, wlen, "struct %s member '%s': BTF search budget spent (a malformed BTF?)", sname,
				 path);
		else
			snprintf(why, wlen, "struct %s member '%s' is not byte-addressable", sname, path);
		return ret;
	}
	ssz = kt_btf_size(btf, (uint32_t)id);
	sz = kt_btf_size(btf, type);
	if (ssz <= 0 || ssz > KT_LAYOUT_MAX_STRUCT) {
		snprintf(why, wlen, "struct %s has size %lld, not a plausible one", sname, (long long)ssz);
		return -ERANGE;
	}
	if (o >= (uint64_t)ssz || (sz > 0 && (uint64_t)sz > (uint64_t)ssz - o)) {
		snprintf(why, wlen, "struct %s member '%s' at offset %llu (%lld bytes) lies outside its %lld bytes", sname,
			 path, (unsigned long long)o, (long long)sz, (long long)ssz);
		return -ERANGE;
	}
	if (size && sz != 1 && sz != 2 && sz != 4 && sz != 8) {
		snprintf(why, wlen, "struct %s member '%s' has size %lld, not a scalar", sname, path, (long long)sz);
		return -EINVAL;
	}
	*off = o;
	if (size)
		*size = (uint32_t)sz;
	return 0;
}

static void resolve_events(struct kt_layout *l, const struct kt_btf *btf, const uint64_t *sym)
{
	char why[256];
	uint32_t sz;

	if (kt_btf_find(btf, "scx_event_stats", KT_BTF_STRUCT) < 0) {
		degrade(l, KT_G_EVENTS, "no struct scx_event_stats in BTF (sched_ext event counters appeared in 6.15)");
		return;
	}
	if (member(btf, "scx_event_stats", "SCX_EV_SELECT_CPU_FALLBACK", &l->ev_fallback_off, &sz, why, sizeof(why)) ||
	    member(btf, "scx_event_stats", "SCX_EV_DISPATCH_KEEP_LAST", &l->ev_keep_last_off, &sz, why, sizeof(why))) {
		degrade(l, KT_G_EVENTS, "%s", why);
		return;
	}
	if (sym[S_SCX_ROOT] && !member(btf, "scx_sched", "pcpu", &l->ev_ptr_off, NULL, why, sizeof(why)) &&
	    !member(btf, "scx_sched_pcpu", "event_stats", &l->ev_base_off, NULL, why, sizeof(why))) {
		l->ev = KT_EV_ROOT_PCPU;
		l->ev_var = sym[S_SCX_ROOT];
	} else if (sym[S_SCX_ROOT] &&
		   !member(btf, "scx_sched", "event_stats_cpu", &l->ev_ptr_off, NULL, why, sizeof(why))) {
		l->ev = KT_EV_ROOT_STATS;
		l->ev_var = sym[S_SCX_ROOT];
	} else if (sym[S_EVENT_STATS_CPU]) {
		l->ev = KT_EV_PERCPU_VAR;
		l->ev_var = sym[S_EVENT_STATS_CPU];
	} else {
		degrade(l, KT_G_EVENTS, "struct scx_event_stats exists but neither scx_root nor event_stats_cpu does");
	}
}

static void resolve_scx_state(struct kt_layout *l, const struct kt_btf *btf, const uint64_t *sym)
{
	int64_t e = kt_btf_find(btf, "scx_ops_enable_state", KT_BTF_ENUM);

	if (e < 0)
		e = kt_btf_find(btf, "scx_enable_state", KT_BTF_ENUM);
	l->scx_state_var = sym[S_SCX_OPS_STATE] ? sym[S_SCX_OPS_STATE] : sym[S_SCX_STATE];
	if (!l->scx_state_var || e < 0) {
		degrade(l, KT_G_SCX_STATE, "no %s", l->scx_state_var ? "enum scx_ops_enable_state in BTF"
								    : "scx_ops_enable_state_var/scx_enable_state_var symbol");
		return;
	}
	for (int v = 0; v < KT_SCX_STATES; v++) {
		const char *n = kt_btf_enum_name(btf, (uint32_t)e, v);

		/* "SCX_OPS_ENABLED" / "SCX_ENABLED" -> "enabled" */
		if (n && (!strncmp(n, "SCX_OPS_", 8) || !strncmp(n, "SCX_", 4)))
			n += strncmp(n, "SCX_OPS_", 8) ? 4 : 8;
		snprintf(l->scx_state_name[v], sizeof(l->scx_state_name[v]), "%s", n ? n : "");
		for (char *c = l->scx_state_name[v]; *c; c++)
			if (*c >= 'A' && *c <= 'Z')
				*c = (char)(*c - 'A' + 'a');
	}
	l->scx_switching_all = sym[S_SCX_SWITCHING_ALL];
	l->scx_nr_rejected = sym[S_SCX_NR_REJECTED];
}

int kt_layout_resolve(struct kt_layout *l, const struct kt_btf *btf, const uint64_t *sym)
{
	char why[256];

	for (int g = 0; g < KT_G__COUNT; g++)
		l->group[g] = true;
	l->syms.text = sym[S_TEXT];
	l->syms.end = sym[S_END];
	l->syms.banner = sym[S_BANNER];
	l->syms.phys_base = sym[S_PHYS_BASE];
	l->syms.page_offset_base = sym[S_PAGE_OFFSET_BASE];
	l->syms.pgtable_l5 = sym[S_L5];
	l->syms.init_top_pgt = sym[S_INIT_TOP_PGT];
	l->runqueues = sym[S_RUNQUEUES];
	l->per_cpu_offset = sym[S_PER_CPU_OFFSET];
	l->nr_cpu_ids = sym[S_NR_CPU_IDS];
	for (int i = S_TEXT; i <= S_PER_CPU_OFFSET; i++)
		if (i != S_L5 && i != S_RUNQUEUES && !sym[i]) {
			degrade(l, KT_G_CORE, "vmlinux has no symbol %s", kt_layout_sym_names[i]);
			break;
		}
	for (int f = 0; f < KT_RQ__COUNT; f++) {
		struct kt_field *fl = &l->rq[f];

		if (!l->group[rq_fields[f].g])
			continue;
		if (member(btf, "rq", rq_fields[f].path, &fl->off, &fl->size, why, sizeof(why)))
			degrade(l, rq_fields[f].g, "%s", why);
		else
			fl->ok = true;
	}
	if (!member(btf, "rq", "cpu", &l->rq_cpu.off, &l->rq_cpu.size, why, sizeof(why)) && l->rq_cpu.size == 4)
		l->rq_cpu.ok = true;
	l->rq_lo = UINT64_MAX;
	l->rq_hi = 0;
	for (int f = 0; f < KT_RQ__COUNT; f++) {
		if (!l->group[rq_fields[f].g])
			l->rq[f].ok = false;
		if (!l->rq[f].ok)
			continue;
		if (l->rq[f].off < l->rq_lo)
			l->rq_lo = l->rq[f].off;
		if (l->rq[f].off + l->rq[f].size > l->rq_hi)
			l->rq_hi = l->rq[f].off + l->rq[f].size;
	}
	if (!l->group[KT_G_CORE]) {
		for (int g = 1; g < KT_G__COUNT; g++)
			l->group[g] = false;
		return -ENOENT;
	}
	resolve_events(l, btf, sym);
	resolve_scx_state(l, btf, sym);
	if (l->group[KT_G_SCX])
		kt_walk_resolve(&l->walk, btf, &l->degraded);
	return 0;
}

void kt_layout_free(struct kt_layout *l)
{
	kt_strlist_free(&l->degraded);
}

int kt_layout_load(struct kt_layout *l, const char *path)
{
	struct kt_vmlinux *v = kt_vmlinux_open(path);
	uint64_t sym[S__COUNT];
	struct kbuf raw = { 0 };
	struct kt_btf *btf = NULL;
	char err[256];
	int ret;

	memset(l, 0, sizeof(*l));
	if (!v)
		return -errno;
	kt_vmlinux_syms(v, kt_layout_sym_names, sym, S__COUNT);
	ret = kt_vmlinux_btf(v, &raw);
	if (ret == -ENOENT)
		kt_err(0, "monitor: %s has no .BTF section (kernel built without CONFIG_DEBUG_INFO_BTF)", path);
	else if (!ret && (ret = kt_btf_parse(raw.data, raw.len, &btf, err, sizeof(err))))
		kt_err(0, "monitor: %s: %s", path, err);
	if (!ret && sym[S_BANNER]) {
		/* The banner is "Linux version <release> (<builder>) (<compiler>) #<n> ..."
		 * and so names this very build. */
		if (kt_vmlinux_read(v, sym[S_BANNER], l->banner, sizeof(l->banner) - 1))
			l->banner[0] = '\0';
		l->syms.banner_bytes = l->banner;
		l->syms.banner_len = strnlen(l->banner, sizeof(l->banner) - 1);
		if (l->syms.banner_len < 16) {
			kt_err(0, "monitor: %s: linux_banner unreadable", path);
			ret = -ENOENT;
		}
	}
	if (!ret) {
		kt_layout_resolve(l, btf, sym); /* a missing member degrades signals; not an error */
		kt_bpf_layout_load(&l->bpf, btf, v);
	}
	kt_btf_free(btf);
	kt_kbuf_free(&raw);
	kt_vmlinux_close(v);
	return ret;
}
