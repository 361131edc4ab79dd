/* Verifier logs on the host (vlog_out.h). */
#include "runner/vlog_out.h"
#include "runner/report_out.h"
#include "util/text.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int kt_vlogs_add(struct kt_vlogs *l, const void *payload, size_t len)
{
	struct kt_vlog_entry *e;
	struct kt_vlog_hdr h;
	const char *log;

	if (kt_vlog_msg_decode(payload, len, &h, &log)) {
		l->bad++;
		return -EINVAL;
	}
	if (l->n == KT_VLOG_MSGS_MAX || l->bytes + h.log_len > KT_VLOGS_BYTES_MAX) {
		l->bad++;
		return -E2BIG;
	}
	e = &l->v[l->n];
	e->log = malloc((size_t)h.log_len + 1);
	if (!e->log)
		return -ENOMEM;
	memcpy(e->log, log, h.log_len);
	e->log[h.log_len] = '\0';
	e->h = h;
	e->have_st = !kt_vstats_parse(e->log, h.log_len, &e->st);
	l->bytes += h.log_len;
	l->n++;
	return 0;
}

void kt_vlogs_free(struct kt_vlogs *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i].log);
	l->n = l->bytes = 0;
}

void kt_vstats_line(const struct kt_vstats *s, char *buf, size_t len)
{
	char stack[64];
	int n = 0;

	if (!len)
		return;
	buf[0] = '\0';
	if (s->have_processed)
		n = snprintf(buf, len, "processed %llu insns (%.2f %% of the %u budget), states %llu peak / %llu total",
			     (unsigned long long)s->processed, 100.0 * (double)s->processed / KT_VERIFIER_INSN_LIMIT,
			     KT_VERIFIER_INSN_LIMIT, (unsigned long long)s->peak_states,
			     (unsigned long long)s->total_states);
	if (n >= 0 && (size_t)n < len && s->have_time)
		n += snprintf(buf + n, len - (size_t)n, "%s%llu us", n ? ", " : "", (unsigned long long)s->time_usec);
	kt_vstats_stack_str(s, stack, sizeof(stack));
	if (n >= 0 && (size_t)n < len && stack[0])
		snprintf(buf + n, len - (size_t)n, "%sstack %s", n ? ", " : "", stack);
}

/* The first line shown: `skip`, or earlier to the "--- Nx of the
 * following" header of a folded block the cut would fall into. */
static size_t repeat_start(const char *s, size_t len, size_t skip)
{
	size_t line = 0, header = SIZE_MAX;

	for (const char *p = s, *end = s + len; p < end && line < skip; line++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		if (!strncmp(p, "--- ", 4) && memmem(p, nl ? (size_t)(nl - p) : (size_t)(end - p), "x of the following", 18))
			header = line;
		else if (!strncmp(p, "--- end repeat ---", 18))
			header = SIZE_MAX;
		p = nl ? nl + 1 : end;
	}
	return header != SIZE_MAX ? header : skip;
}

void kt_vlog_rejection(struct kbuf *out, const char *prog, const char *log, size_t len, unsigned indent)
{
	struct kbuf c = { 0 };
	struct kt_vstats st;
	char reason[256], line[256];
	const char *p, *end;
	size_t lines = 0, skip;

	kt_vlog_reason(log, len, reason, sizeof(reason));
	kt_kbuf_printf(out, "%*s--- verifier: %s rejected%s%s%s ---\n", (int)indent, "", prog[0] ? prog : "(unnamed)",
		       reason[0] ? " (" : "", reason, reason[0] ? ")" : "");
	if (!kt_vstats_parse(log, len, &st)) {
		kt_vstats_line(&st, line, sizeof(line));
		kt_kbuf_printf(out, "%*s  %s\n", (int)indent, "", line);
	}
	if (kt_vlog_collapse(log, len, &c, NULL) || !c.data) {
		kt_kbuf_free(&c);
		return;
	}
	for (size_t i = 0; i < c.len; i++)
		lines += c.data[i] == '\n';
	skip = lines > KT_VLOG_REPORT_LINES ? lines - KT_VLOG_REPORT_LINES : 0;
	skip = repeat_start(c.data, c.len, skip);
	if (skip)
		kt_kbuf_printf(out, "%*s  ... %zu earlier lines of the collapsed log (%zu lines in all) ...\n", (int)indent,
			       "", skip, lines);
	for (p = c.data, end = c.data + c.len; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);

		if (skip)
			skip--;
		else
			kt_kbuf_printf(out, "%*s  %.*s\n", (int)indent, "", (int)l, p);
		p = nl ? nl + 1 : end;
	}
	kt_kbuf_free(&c);
}

void kt_vlogs_report(const struct kt_vlogs *l, struct kbuf *report)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].h.flags & KT_VLOG_F_FAILED)
			kt_vlog_rejection(report, l->v[i].h.prog, l->v[i].log, l->v[i].h.log_len, 2);
}

/* Guest text as a JSON string (valid UTF-8). */
static json_t *text_json(const char *s, size_t len)
{
	struct kbuf b = { 0 };
	json_t *j = NULL;

	if (!kt_text_clean(s, len, 0, &b))
		j = json_stringn(b.data ? b.data : "", b.len);
	kt_kbuf_free(&b);
	return j ? j : json_null();
}

static void set_u64(json_t *o, const char *k, uint64_t v)
{
	json_object_set_new(o, k, json_integer(v > (uint64_t)INT64_MAX ? INT64_MAX : (json_int_t)v));
}

json_t *kt_vlogs_json(const struct kt_vlogs *l)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < l->n; i++) {
		const struct kt_vlog_entry *e = &l->v[i];
		json_t *o = json_object();
		struct kbuf c = { 0 };
		char reason[256] = "", stack[64];

		if (!o)
			break;
		json_object_set_new(o, "prog", json_string(e->h.prog));
		json_object_set_new(o, "complete", json_boolean(e->h.flags & KT_VLOG_F_COMPLETE));
		json_object_set_new(o, "failed", json_boolean(e->h.flags & KT_VLOG_F_FAILED));
		json_object_set_new(o, "collapsed_by_guest", json_boolean(e->h.flags & KT_VLOG_F_COLLAPSED));
		json_object_set_new(o, "cut_by_guest", json_boolean(e->h.flags & KT_VLOG_F_CUT));
		if (e->h.flags & KT_VLOG_F_FAILED)
			kt_vlog_reason(e->log, e->h.log_len, reason, sizeof(reason));
		json_object_set_new(o, "reason", text_json(reason, strlen(reason)));
		if (e->have_st && e->st.have_processed) {
			set_u64(o, "processed_insns", e->st.processed);
			set_u64(o, "total_states", e->st.total_states);
			set_u64(o, "peak_states", e->st.peak_states);
		}
		if (e->have_st && e->st.have_time)
			set_u64(o, "verification_us", e->st.time_usec);
		kt_vstats_stack_str(&e->st, stack, sizeof(stack));
		if (e->have_st && stack[0])
			json_object_set_new(o, "stack_depth", json_string(stack));
		if (!kt_vlog_collapse(e->log, e->h.log_len, &c, NULL) && c.data)
			json_object_set_new(o, "log", text_json(c.data, c.len));
		kt_kbuf_free(&c);
		json_array_append_new(a, o);
	}
	return a;
}
