/* The test registry: KTSTR_TEST places a pointer in section "ktstr_tests". */
#include "model/ctx.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

extern const struct ktstr_test *const __start_ktstr_tests[] __attribute__((weak));
extern const struct ktstr_test *const __stop_ktstr_tests[] __attribute__((weak));

size_t kt_test_count(void)
{
	if (!__start_ktstr_tests)
		return 0;
	return (size_t)(__stop_ktstr_tests - __start_ktstr_tests);
}

const struct ktstr_test *kt_test_at(size_t i)
{
	return i < kt_test_count() ? __start_ktstr_tests[i] : NULL;
}

extern const struct ktstr_test *const __start_ktstr_scenarios[] __attribute__((weak));
extern const struct ktstr_test *const __stop_ktstr_scenarios[] __attribute__((weak));

size_t kt_scenario_count(void)
{
	if (!__start_ktstr_scenarios)
		return 0;
	return (size_t)(__stop_ktstr_scenarios - __start_ktstr_scenarios);
}

const struct ktstr_test *kt_scenario_at(size_t i)
{
	return i < kt_scenario_count() ? __start_ktstr_scenarios[i] : NULL;
}

/* The guest looks a name up among tests and scenarios alike. */
const struct ktstr_test *kt_test_find(const char *name)
{
	for (size_t i = 0; i < kt_test_count(); i++)
		if (!strcmp(kt_test_at(i)->name, name))
			return kt_test_at(i);
	for (size_t i = 0; i < kt_scenario_count(); i++)
		if (!strcmp(kt_scenario_at(i)->name, name))
			return kt_scenario_at(i);
	return NULL;
}

void kt_test_topo(const struct ktstr_test *t, struct ktstr_topo *out)
{
	static const struct ktstr_topo none;
	const struct ktstr_topo *s = t->scheduler ? &t->scheduler->topology : &none;

	out->numa_nodes = t->numa_nodes ? t->numa_nodes : s->numa_nodes ? s->numa_nodes : 1;
	out->llcs = t->llcs ? t->llcs : s->llcs ? s->llcs : out->numa_nodes;
	out->cores = t->cores ? t->cores : s->cores ? s->cores : 2;
	out->threads = t->threads ? t->threads : s->threads ? s->threads : 1;
}

void kt_ctx_init(struct ktstr_ctx *ctx, const struct ktstr_test *t, const struct ktstr_topo *topo,
		 unsigned duration_ms, bool emulated)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->test = t;
	ctx->topo = *topo;
	ctx->duration_ms = duration_ms;
	ctx->emulated = emulated;
	ctx->workers_per_cgroup = t->workers_per_cgroup ? t->workers_per_cgroup : 2;
	/* Thresholds: defaults (scaled under TCG) -> scheduler -> test
	 * (docs/checks.md). */
	kt_checks_resolve(&ctx->checks, emulated, t->scheduler ? &t->scheduler->checks : NULL, &t->checks);
	if (t->no_spread_check)
		ctx->checks.has &= ~KT_C_BIT(KT_C_SPREAD);
	ctx->gap_threshold_ms = (unsigned)ctx->checks.max_gap_ms;
	ctx->spread_threshold_pct = ctx->checks.max_spread_pct;
	kt_result_init(&ctx->result, t->name);
}

const struct ktstr_topo *ktstr_ctx_topo(const struct ktstr_ctx *ctx) { return &ctx->topo; }
const struct ktstr_test *ktstr_ctx_test(const struct ktstr_ctx *ctx) { return ctx->test; }
unsigned ktstr_ctx_duration_ms(const struct ktstr_ctx *ctx) { return ctx->duration_ms; }

void ktstr_sleep_ms(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts))
		;
}

static void vadd(struct ktstr_ctx *ctx, enum ktstr_kind kind, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));
static void vadd(struct ktstr_ctx *ctx, enum ktstr_kind kind, const char *fmt, va_list ap)
{
	char msg[256];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	kt_result_add(&ctx->result, kind, msg);
	fprintf(stderr, "%s: %s\n", ktstr_kind_name(kind), msg);
}

void ktstr_fail(struct ktstr_ctx *ctx, enum ktstr_kind kind, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vadd(ctx, kind == KTSTR_K_SKIP ? KTSTR_K_OTHER : kind, fmt, ap);
	va_end(ap);
}

void ktstr_skip(struct ktstr_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vadd(ctx, KTSTR_K_SKIP, fmt, ap);
	va_end(ap);
}

void ktstr_log(struct ktstr_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "[%s] ", ctx->test->name);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}
