/* ktstr_monitor_probe(): the guest reads its own kernel's view (debugfs,
 * /proc) and sends it to the host monitor for a cross-check. */
#include "guest/monprobe.h"
#include "guest/guest.h"
#include <ktstr/ktstr.h>

#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Next line of text; *len its length without the newline. */
static const char *next_line(const char *p, size_t *len)
{
	const char *nl = strchr(p, '\n');

	*len = nl ? (size_t)(nl - p) : strlen(p);
	return nl ? nl + 1 : p + *len;
}

/* "  .name   : value" -> value text, or NULL. */
static const char *field(const char *line, size_t len, const char *name)
{
	size_t n = strlen(name);
	const char *p = line;

	while (p < line + len && *p == ' ')
		p++;
	if ((size_t)(line + len - p) <= n + 1 || *p != '.' || strncmp(p + 1, name, n) || (p[n + 1] != ' ' && p[n + 1] != ':'))
		return NULL;
	p = memchr(p, ':', (size_t)(line + len - p));
	return p ? p + 1 : NULL;
}

size_t kt_parse_sched_debug(const char *text, struct kt_mon_probe *out, size_t max)
{
	const char *p = text;
	size_t n = 0, len;
	long cpu = -1;
	bool have_nr = false;
	uint64_t nr = 0;

	while (*p && n < max) {
		const char *line = p, *v;

		p = next_line(p, &len);
		if (!strncmp(line, "cpu#", 4)) {
			cpu = strtol(line + 4, NULL, 10);
			have_nr = false;
			continue;
		}
		if (cpu < 0)
			continue;
		if ((v = field(line, len, "nr_running")) && !have_nr) {
			nr = strtoull(v, NULL, 10);
			have_nr = true;
		} else if ((v = field(line, len, "clock")) && have_nr) {
			char *end;
			unsigned long long ms = strtoull(v, &end, 10), frac = 0;

			if (*end == '.') {
				/* SPLIT_NS: milliseconds, then 6 digits of the rest */
				char digits[7] = "000000";
				size_t k = 0;

				for (end++; k < 6 && *end >= '0' && *end <= '9'; end++)
					digits[k++] = *end;
				frac = strtoull(digits, NULL, 10);
			}
			out[n++] = (struct kt_mon_probe){ .kind = KT_PROBE_NR_RUNNING, .cpu = (uint32_t)cpu,
							   .a = ms * 1000000ull + frac, .b = nr };
			cpu = -1; /* one reading per section (cfs_rq sections repeat names) */
		}
	}
	return n;
}

size_t kt_probe_drop_cpu(struct kt_mon_probe *p, size_t n, uint32_t cpu)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		if (p[i].kind != KT_PROBE_NR_RUNNING || p[i].cpu != cpu)
			p[k++] = p[i];
	return k;
}

uint64_t kt_parse_kallsyms(const char *text, const char *name)
{
	const char *p = text;
	size_t len, nl = strlen(name);

	while (*p) {
		const char *line = p;
		char type;
		unsigned long long a;
		int off = 0;

		p = next_line(p, &len);
		if (sscanf(line, "%llx %c %n", &a, &type, &off) >= 2 && off > 0 && (size_t)off + nl <= len &&
		    !strncmp(line + off, name, nl) && (line[off + nl] == '\n' || line[off + nl] == '\0' ||
						   line[off + nl] == ' ' || line[off + nl] == '\t'))
			return a;
	}
	return 0;
}

uint64_t kt_parse_iomem_kernel(const char *text)
{
	const char *p = text;
	size_t len;

	while (*p) {
		const char *line = p, *c = NULL;

		p = next_line(p, &len);
		for (size_t i = 0; i + 13 <= len; i++)
			if (!strncmp(line + i, ": Kernel code", 13))
				c = line;
		if (c) {
			while (*c == ' ')
				c++;
			return strtoull(c, NULL, 16);
		}
	}
	return 0;
}

size_t kt_parse_vmallocinfo(const char *text, struct kt_mon_probe *out, size_t max)
{
	const char *p = text;
	size_t n = 0, len;

	while (*p && n < max) {
		const char *line = p, *ph;
		char buf[512];
		unsigned long long va, pa;

		p = next_line(p, &len);
		if (len >= sizeof(buf))
			continue;
		memcpy(buf, line, len);
		buf[len] = '\0';
		ph = strstr(buf, " phys=");
		if (!ph || !strstr(buf, "ioremap") || sscanf(buf, "0x%llx-", &va) != 1 ||
		    sscanf(ph, " phys=0x%llx", &pa) != 1 || !va)
			continue;
		out[n++] = (struct kt_mon_probe){ .kind = KT_PROBE_VMAP, .a = va, .b = pa };
	}
	return n;
}

static int send(struct kt_mon_probe *p, size_t n)
{
	for (size_t i = 0; i < n; i += KT_MON_PROBES_PER_MSG) {
		size_t k = n - i < KT_MON_PROBES_PER_MSG ? n - i : KT_MON_PROBES_PER_MSG;
		int ret = kt_shm_send(KT_MSG_MON_PROBE, p + i, k * sizeof(*p));

		if (ret)
			return ret;
	}
	return 0;
}

int ktstr_monitor_probe(struct ktstr_ctx *ctx, unsigned what)
{
	struct kt_mon_probe p[256];
	struct kbuf b = { 0 };
	size_t n = 0;
	int ret = 0;

	(void)ctx;
	memset(p, 0, sizeof(p));
	if (what & KTSTR_PROBE_NR_RUNNING) {
		int c0 = sched_getcpu(), c1;

		ret = kt_read_file("/sys/kernel/debug/sched/debug", &b);
		c1 = sched_getcpu();
		if (!ret && b.data)
			n += kt_parse_sched_debug(b.data, p + n, 128);
		if (!ret && !n)
			ret = -ENODATA;
		/* Not the CPU(s) the read ran on (kt_probe_drop_cpu). */
		if (c0 >= 0)
			n = kt_probe_drop_cpu(p, n, (uint32_t)c0);
		if (c1 >= 0 && c1 != c0)
			n = kt_probe_drop_cpu(p, n, (uint32_t)c1);
	}
	if (!ret && (what & KTSTR_PROBE_KERNEL)) {
		char old[16] = "";

		/* Real addresses for root in kallsyms and vmallocinfo (%pK). */
		kt_read_file_str("/proc/sys/kernel/kptr_restrict", old, sizeof(old));
		kt_write_str("/proc/sys/kernel/kptr_restrict", "1");
		b.len = 0;
		if (!kt_read_file("/proc/kallsyms", &b) && b.data &&
		    (p[n].a = kt_parse_kallsyms(b.data, "_text")))
			p[n++].kind = KT_PROBE_TEXT_VA;
		b.len = 0;
		if (!kt_read_file("/proc/iomem", &b) && b.data && (p[n].a = kt_parse_iomem_kernel(b.data)))
			p[n++].kind = KT_PROBE_TEXT_PA;
		b.len = 0;
		if (!kt_read_file("/proc/vmallocinfo", &b) && b.data)
			n += kt_parse_vmallocinfo(b.data, p + n, 16);
		if (old[0])
			kt_write_str("/proc/sys/kernel/kptr_restrict", old);
	}
	kt_kbuf_free(&b);
	if (!ret)
		ret = send(p, n);
	return ret ? ret : (int)n;
}
