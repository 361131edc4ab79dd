/* Decoders for the values the probes record (probe.h).  The constants
 * are the kernel's (include/linux/sched/ext.h, kernel/sched/ext.c and
 * kernel/sched/sched.h of 6.12; BYPASS is 6.13's). */
#include "probe/probe.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define DSQ_FLAG_BUILTIN ((uint64_t)1 << 63)
#define DSQ_FLAG_LOCAL_ON ((uint64_t)1 << 62)

void kt_dec_dsq_id(uint64_t id, char *buf, size_t len)
{
	static const char *const builtin[] = { "SCX_DSQ_INVALID", "SCX_DSQ_GLOBAL", "SCX_DSQ_LOCAL", "SCX_DSQ_BYPASS" };

	if ((id & (DSQ_FLAG_BUILTIN | DSQ_FLAG_LOCAL_ON)) == (DSQ_FLAG_BUILTIN | DSQ_FLAG_LOCAL_ON))
		snprintf(buf, len, "SCX_DSQ_LOCAL_ON|%" PRIu64, id & (uint64_t)0xffffffffu);
	else if ((id & DSQ_FLAG_BUILTIN) && (id & ~DSQ_FLAG_BUILTIN) < 4)
		snprintf(buf, len, "%s", builtin[id & 3]);
	else if (id & DSQ_FLAG_BUILTIN)
		snprintf(buf, len, "BUILTIN(0x%" PRIx64 ")", id & ~DSQ_FLAG_BUILTIN);
	else
		snprintf(buf, len, "DSQ(0x%" PRIx64 ")", id);
}

/* Append s to buf at *off, truncating at len (always a C string). */
static void put(char *buf, size_t len, size_t *off, const char *s)
{
	int n;

	if (*off >= len)
		return;
	n = snprintf(buf + *off, len - *off, "%s", s);
	*off += n > 0 ? (size_t)n : 0;
	if (*off >= len)
		*off = len - 1;
}

void kt_dec_cpumask(const uint64_t bits[4], char *buf, size_t len)
{
	char tmp[48];
	size_t off = 0;
	int top = 3, run = -1;
	bool any = false;

	if (!len)
		return;
	buf[0] = '\0';
	while (top > 0 && !bits[top])
		top--;
	put(buf, len, &off, "0x");
	for (int w = top; w >= 0; w--) {
		snprintf(tmp, sizeof(tmp), w == top ? "%" PRIx64 : "%016" PRIx64, bits[w]);
		put(buf, len, &off, tmp);
	}
	put(buf, len, &off, "(");
	for (int c = 0; c <= 256; c++) {
		bool set = c < 256 && (bits[c / 64] >> (c % 64) & 1);

		if (set && run < 0)
			run = c;
		if (!set && run >= 0) {
			if (c - 1 == run)
				snprintf(tmp, sizeof(tmp), "%s%d", any ? "," : "", run);
			else
				snprintf(tmp, sizeof(tmp), "%s%d-%d", any ? "," : "", run, c - 1);
			put(buf, len, &off, tmp);
			any = true;
			run = -1;
		}
	}
	put(buf, len, &off, any ? ")" : "none)");
}

struct flag {
	uint64_t bit;
	const char *name;
};

static void flags(uint64_t v, const struct flag *f, size_t nf, char *buf, size_t len)
{
	size_t off = 0;
	char tmp[32];

	if (!len)
		return;
	buf[0] = '\0';
	for (size_t i = 0; i < nf; i++)
		if (v & f[i].bit) {
			if (off)
				put(buf, len, &off, "|");
			put(buf, len, &off, f[i].name);
			v &= ~f[i].bit;
		}
	if (v) {
		snprintf(tmp, sizeof(tmp), "%s0x%" PRIx64, off ? "|" : "", v);
		put(buf, len, &off, tmp);
	} else if (!off) {
		put(buf, len, &off, "0");
	}
}

void kt_dec_enq_flags(uint64_t f, char *buf, size_t len)
{
	static const struct flag ef[] = {
		{ 0x01, "WAKEUP" },      { 0x02, "RESTORE" },        { 0x04, "MOVE" },
		{ 0x08, "NOCLOCK" },     { 0x10, "HEAD" },           { 0x20, "REPLENISH" },
		{ 0x40, "MIGRATED" },    { 0x80, "INITIAL" },        { 0x100, "MIGRATING" },
		{ 0x200, "DELAYED" },    { 0x400, "CPU_SELECTED" },  { 1ull << 32, "PREEMPT" },
		{ 1ull << 40, "REENQ" }, { 1ull << 41, "LAST" },     { 1ull << 56, "CLEAR_OPSS" },
		{ 1ull << 57, "DSQ_PRIQ" },
	};

	flags(f, ef, sizeof(ef) / sizeof(ef[0]), buf, len);
}

void kt_dec_exit_kind(uint64_t k, char *buf, size_t len)
{
	static const struct {
		uint64_t v;
		const char *name;
	} kinds[] = {
		{ 0, "NONE" },           { 1, "DONE" },          { 64, "UNREG" },        { 65, "UNREG_BPF" },
		{ 66, "UNREG_KERN" },    { 67, "SYSRQ" },        { 1024, "ERROR" },      { 1025, "ERROR_BPF" },
		{ 1026, "ERROR_STALL" },
	};

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (kinds[i].v == k) {
			snprintf(buf, len, "%s", kinds[i].name);
			return;
		}
	snprintf(buf, len, "%" PRIu64, k);
}

void kt_dec_scx_flags(uint32_t f, char *buf, size_t len)
{
	static const struct flag tf[] = {
		{ 1u << 0, "QUEUED" },
		{ 1u << 2, "RESET_RUNNABLE_AT" },
		{ 1u << 3, "DEQD_FOR_SLEEP" },
		{ 1u << 31, "CURSOR" },
	};
	static const char *const state[] = { "NONE", "INIT", "READY", "ENABLED" };
	size_t off;

	flags(f & ~(3u << 8), tf, sizeof(tf) / sizeof(tf[0]), buf, len);
	if (!len)
		return;
	off = strlen(buf);
	if (!strcmp(buf, "0"))
		off = 0;
	if (off)
		put(buf, len, &off, "|");
	put(buf, len, &off, "state=");
	put(buf, len, &off, state[(f >> 8) & 3]);
}

void kt_dec_sticky_cpu(uint32_t v, char *buf, size_t len)
{
	snprintf(buf, len, "%d", (int32_t)v);
}

void kt_dec_change(const char *before, const char *after, char *buf, size_t len)
{
	if (!strcmp(before, after))
		snprintf(buf, len, "%s", before);
	else
		snprintf(buf, len, "%s \xe2\x86\x92 %s", before, after);
}
