/* Function names off a failed run's sched_ext dump and stack traces, and
 * the probe list that carries them to the guest (probe.h). */
#include "probe/probe.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* Frames every failure shares: the reference's list (§7.3) plus the
 * thread and irq plumbing of the 6.12 dumps (kthread, ret_from_fork,
 * irq_work, irqentry_*), which says nothing about a scheduler. */
static const char *const generic[] = {
	"schedule", "__schedule", "schedule_idle", "do_syscall_64", "__do_sys_sched_yield", "do_sched_yield",
	"__sys_bpf", "__x64_sys_bpf", "preempt_schedule_common", "preempt_schedule_irq", "scx_vexit",
	"scx_bpf_exit_bstr", "scx_dump_state", "scx_dump_task", "scx_exit", "scx_exit_reason", "dump_stack",
	"dump_stack_lvl", "stack_trace_save", "stack_trace_print", "show_stack",
	/* ours */
	"kthread", "ret_from_fork", "ret_from_fork_asm", "worker_thread", "process_one_work", "irq_work_single",
	"irq_work_run_list", "irq_work_run", "x64_sys_call",
};
static const char *const generic_prefix[] = {
	"_raw_spin_", "asm_", "entry_", "__sysvec_", "sysvec_", "__bpf_prog_enter", "__bpf_prog_exit",
	"scx_error_irq", "bpf_prog_test_run",
	/* ours */
	"irqentry_",
};

bool kt_probe_generic(const char *name)
{
	for (size_t i = 0; i < sizeof(generic) / sizeof(generic[0]); i++)
		if (!strcmp(name, generic[i]))
			return true;
	for (size_t i = 0; i < sizeof(generic_prefix) / sizeof(generic_prefix[0]); i++)
		if (!strncmp(name, generic_prefix[i], strlen(generic_prefix[i])))
			return true;
	return false;
}

static bool name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.';
}

static bool hex_digits(const char *p, size_t n)
{
	if (!n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f')))
			return false;
	return true;
}

/* "+0x1f/0x30" at p (within end): the offset/size of a frame. */
static bool offset_size(const char *p, const char *end)
{
	const char *q;

	if (end - p < 4 || strncmp(p, "+0x", 3))
		return false;
	p += 3;
	for (q = p; q < end && *q != '/'; q++)
		;
	if (q == end || !hex_digits(p, (size_t)(q - p)) || end - q < 4 || strncmp(q, "/0x", 3))
		return false;
	p = q + 3;
	for (q = p; q < end && *q != ' ' && *q != '\r' && *q != '\n'; q++)
		;
	return hex_digits(p, (size_t)(q - p));
}

int kt_probe_frame(const char *line, size_t n, char *name, size_t len, bool *bpf)
{
	const char *p = line, *end = line + n, *s, *plus;
	const char *tag;

	*bpf = false;
	if (len)
		name[0] = '\0';
	/* Whatever precedes "sched_ext_dump:" (a trace line's task, CPU,
	 * flags and time) is not the frame. */
	for (const char *q = line; q + 15 <= end; q++)
		if (!memcmp(q, "sched_ext_dump:", 15)) {
			p = q + 15;
			break;
		}
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if (p < end && *p == '[') { /* printk time "[   10.28] " */
		const char *q = memchr(p, ']', (size_t)(end - p));

		if (!q)
			return 0;
		for (p = q + 1; p < end && (*p == ' ' || *p == '\t'); p++)
			;
	}
	for (s = p; p < end && name_char(*p); p++)
		;
	plus = p;
	if (plus == s || !offset_size(plus, end))
		return 0;
	/* Only a module name may follow. */
	for (p = plus; p < end && *p != ' ' && *p != '\r' && *p != '\n'; p++)
		;
	while (p < end && (*p == ' ' || *p == '\r' || *p == '\n'))
		p++;
	if (p < end && *p != '[')
		return 0;
	/* bpf_prog_<16 hex>_<name>: the program's own name. */
	if ((size_t)(plus - s) > 9 && !strncmp(s, "bpf_prog_", 9)) {
		tag = s + 9;
		for (p = tag; p < plus && *p != '_'; p++)
			;
		if (p < plus && hex_digits(tag, (size_t)(p - tag)) && p + 1 < plus) {
			s = p + 1;
			*bpf = true;
		}
	}
	if ((size_t)(plus - s) >= len || (size_t)(plus - s) >= KT_PROBE_NAME_MAX)
		return 0;
	memcpy(name, s, (size_t)(plus - s));
	name[plus - s] = '\0';
	return 1;
}

static bool valid_name(const char *s)
{
	size_t n = strlen(s);

	if (!n || n >= KT_PROBE_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!name_char(s[i]))
			return false;
	return true;
}

int kt_probe_names_add(struct kt_probe_names *out, const char *name, bool bpf)
{
	if (!valid_name(name))
		return -EINVAL;
	for (unsigned i = 0; i < out->n; i++)
		if (!strcmp(out->name[i], name) && out->bpf[i] == bpf)
			return 0;
	if (out->n >= KT_PROBE_MAX_FUNCS) {
		out->dropped++;
		return -ENOSPC;
	}
	snprintf(out->name[out->n], KT_PROBE_NAME_MAX, "%s", name);
	out->bpf[out->n++] = bpf;
	return 0;
}

void kt_probe_extract(const char *text, size_t len, struct kt_probe_names *out)
{
	const char *p = text, *end = text + len;

	while (p && p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);
		char name[KT_PROBE_NAME_MAX];
		bool bpf;

		if (kt_probe_frame(p, l, name, sizeof(name), &bpf) && (bpf || !kt_probe_generic(name)))
			kt_probe_names_add(out, name, bpf);
		p = nl ? nl + 1 : end;
	}
}

int kt_probe_list_format(const struct kt_probe_names *in, char *buf, size_t len)
{
	size_t off = 0;

	if (len < 2)
		return -ENAMETOOLONG;
	snprintf(buf, len, "%s", in->n ? "" : "*");
	for (unsigned i = 0; i < in->n && i < KT_PROBE_MAX_FUNCS; i++) {
		int n = snprintf(buf + off, len - off, "%s%s%s", off ? "," : "", in->bpf[i] ? "bpf:" : "",
				 in->name[i]);

		if (n < 0 || (size_t)n >= len - off) {
			buf[off] = '\0';
			return -ENAMETOOLONG;
		}
		off += (size_t)n;
	}
	return 0;
}

int kt_probe_list_parse(const char *s, struct kt_probe_names *out)
{
	memset(out, 0, sizeof(*out));
	if (!s || !*s)
		return -EINVAL;
	if (!strcmp(s, "*"))
		return 0;
	while (*s) {
		size_t l = strcspn(s, ",");
		char name[KT_PROBE_NAME_MAX + 4];
		bool bpf = false;
		int ret;

		if (!l || l >= sizeof(name))
			return -EINVAL;
		memcpy(name, s, l);
		name[l] = '\0';
		if (!strncmp(name, "bpf:", 4))
			bpf = true;
		ret = kt_probe_names_add(out, name + (bpf ? 4 : 0), bpf);
		if (ret)
			return ret;
		s += l;
		if (*s == ',' && !*++s)
			return -EINVAL; /* a trailing comma */
	}
	return 0;
}
