/* The work-type registry: the table of plugins, names, parameter parsing,
 * group sizes and the group setup helpers.  Everything but the group
 * helpers is pure. */
#include "workload/work/work.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <unistd.h>

static const struct kt_work_type *const types[KTSTR_WORK__COUNT] = {
	[KTSTR_WORK_SPIN] = &kt_wt_cpu_spin,
	[KTSTR_WORK_YIELD_HEAVY] = &kt_wt_yield_heavy,
	[KTSTR_WORK_MIXED] = &kt_wt_mixed,
	[KTSTR_WORK_IO_SYNC] = &kt_wt_io_sync,
	[KTSTR_WORK_BURSTY] = &kt_wt_bursty,
	[KTSTR_WORK_PIPE_IO] = &kt_wt_pipe_io,
	[KTSTR_WORK_FUTEX_PING_PONG] = &kt_wt_futex_ping_pong,
	[KTSTR_WORK_CACHE_PRESSURE] = &kt_wt_cache_pressure,
	[KTSTR_WORK_CACHE_YIELD] = &kt_wt_cache_yield,
	[KTSTR_WORK_CACHE_PIPE] = &kt_wt_cache_pipe,
	[KTSTR_WORK_FUTEX_FAN_OUT] = &kt_wt_futex_fan_out,
	[KTSTR_WORK_FAN_OUT_COMPUTE] = &kt_wt_fan_out_compute,
	[KTSTR_WORK_SEQUENCE] = &kt_wt_sequence,
	[KTSTR_WORK_FORK_EXIT] = &kt_wt_fork_exit,
	[KTSTR_WORK_NICE_SWEEP] = &kt_wt_nice_sweep,
	[KTSTR_WORK_AFFINITY_CHURN] = &kt_wt_affinity_churn,
	[KTSTR_WORK_POLICY_CHURN] = &kt_wt_policy_churn,
	[KTSTR_WORK_PAGE_FAULT_CHURN] = &kt_wt_page_fault_churn,
	[KTSTR_WORK_MUTEX_CONTENTION] = &kt_wt_mutex_contention,
	[KTSTR_WORK_CUSTOM] = &kt_wt_custom,
};

const struct kt_work_type *kt_work_type(enum ktstr_work t)
{
	return (unsigned)t < KTSTR_WORK__COUNT ? types[t] : NULL;
}

const struct ktstr_work_info *ktstr_work_info(enum ktstr_work t)
{
	const struct kt_work_type *w = kt_work_type(t);

	return w ? &w->info : NULL;
}

const char *ktstr_work_name(enum ktstr_work t)
{
	const struct ktstr_work_info *i = ktstr_work_info(t);

	return i ? i->name : "?";
}

int ktstr_work_from_name(const char *name, enum ktstr_work *t, char *err, size_t errlen)
{
	const char *near = NULL;

	for (unsigned i = 0; name && i < KTSTR_WORK__COUNT; i++) {
		const struct ktstr_work_info *w = &types[i]->info;

		if (!strcmp(name, w->name)) {
			if (!w->by_name) {
				snprintf(err, errlen, "work type %s is not constructible by name (%s)", w->name,
					 i == KTSTR_WORK_SEQUENCE ? "it needs phases" : "it needs a function");
				return -EINVAL;
			}
			*t = (enum ktstr_work)i;
			return 0;
		}
		if (!strcasecmp(name, w->name))
			near = w->name;
	}
	if (near)
		snprintf(err, errlen, "unknown work type '%s'; did you mean '%s'?", name, near);
	else
		snprintf(err, errlen, "unknown work type '%s'", name ? name : "(null)");
	return -EINVAL;
}

static int param_list(const struct ktstr_work_info *w, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < w->nparams && o < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%s%s", i ? ", " : "", w->params[i].name);
	return 0;
}

static int parse_one(const struct ktstr_work_info *w, char *tok, uint64_t *p, char *err, size_t errlen)
{
	char *eq = strchr(tok, '='), *end, names[200];
	unsigned long long v;
	unsigned i;

	if (!eq || eq == tok) {
		snprintf(err, errlen, "%s: '%s' is not key=value", w->name, tok);
		return -EINVAL;
	}
	*eq = '\0';
	for (i = 0; i < w->nparams && strcmp(w->params[i].name, tok); i++)
		;
	if (i == w->nparams) {
		param_list(w, names, sizeof(names));
		snprintf(err, errlen, "%s: unknown parameter '%s' (%s%s)", w->name, tok,
			 w->nparams ? "parameters: " : "it takes none", names);
		return -EINVAL;
	}
	errno = 0;
	v = strtoull(eq + 1, &end, 10);
	if (errno || end == eq + 1 || *end || eq[1] == '-') {
		snprintf(err, errlen, "%s: %s='%s' is not a number", w->name, tok, eq + 1);
		return -EINVAL;
	}
	if (v < w->params[i].min || v > w->params[i].max) {
		snprintf(err, errlen, "%s: %s=%llu out of range %llu..%llu", w->name, tok, v,
			 (unsigned long long)w->params[i].min, (unsigned long long)w->params[i].max);
		return -EINVAL;
	}
	p[i] = v;
	return 0;
}

int ktstr_work_parse_args(enum ktstr_work t, const char *args, uint64_t p[KTSTR_WORK_MAX_PARAMS], char *err,
			  size_t errlen)
{
	const struct ktstr_work_info *w = ktstr_work_info(t);
	char buf[256], *save = NULL, *tok;

	if (!w) {
		snprintf(err, errlen, "unknown work type %d", (int)t);
		return -EINVAL;
	}
	memset(p, 0, KTSTR_WORK_MAX_PARAMS * sizeof(*p));
	for (unsigned i = 0; i < w->nparams && i < KTSTR_WORK_MAX_PARAMS; i++)
		p[i] = w->params[i].def;
	if (!args || !*args)
		return 0;
	if (strlen(args) >= sizeof(buf)) {
		snprintf(err, errlen, "%s: arguments longer than %zu bytes", w->name, sizeof(buf) - 1);
		return -EINVAL;
	}
	memcpy(buf, args, strlen(args) + 1);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
		if (parse_one(w, tok, p, err, errlen))
			return -EINVAL;
	return 0;
}

unsigned ktstr_work_group_size(enum ktstr_work t, const uint64_t p[KTSTR_WORK_MAX_PARAMS])
{
	const struct kt_work_type *w = kt_work_type(t);
	unsigned g = w && w->group_size ? w->group_size(p) : 1;

	return g ? g : 1;
}

unsigned kt_group_pairs(const uint64_t *p)
{
	(void)p;
	return 2;
}

int kt_group_shm(struct kt_work_group *g, size_t len)
{
	void *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (m == MAP_FAILED)
		return -errno;
	g->shm = m;
	g->shm_len = len;
	return 0;
}

int kt_group_pipes(struct kt_work_group *g)
{
	if (pipe2(&g->fd[0], O_CLOEXEC))
		return -errno;
	if (pipe2(&g->fd[2], O_CLOEXEC))
		return -errno;
	return 0;
}

void kt_group_release(struct kt_work_group *g)
{
	for (int i = 0; i < 4; i++)
		if (g->fd[i] >= 0) {
			close(g->fd[i]);
			g->fd[i] = -1;
		}
	if (g->shm)
		munmap(g->shm, g->shm_len);
	g->shm = NULL;
}
