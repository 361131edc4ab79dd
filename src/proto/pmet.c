/* PMET messages checked and kept on the host; the sidecar's view
 * (proto/pmet.h).  Every byte came from the guest. */
#include "proto/pmet.h"
#include "util/util.h"
#include <ktstr/payload.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A NUL-terminated string in field[size], 1+ bytes of the allowed set. */
static bool field_ok(const char *field, size_t size, const char *extra, bool empty_ok)
{
	size_t n = strnlen(field, size);

	return n < size && (n || empty_ok) && kt_word_chars(field, n, extra);
}

#define BAD(...) (snprintf(err, errlen, __VA_ARGS__), -EINVAL)

int kt_pmet_decode(const void *msg, uint32_t len, struct kt_pmet_run *out, char *err, size_t errlen)
{
	const struct kt_pmet_head *h = msg;
	const struct kt_pmet_rec *rec;
	struct kt_pmet_head head;

	memset(out, 0, sizeof(*out));
	if (!msg || len < sizeof(head))
		return BAD("%u bytes, shorter than the %zu-byte head", len, sizeof(head));
	memcpy(&head, h, sizeof(head));
	if (head.nmetrics > KT_PMET_MAX)
		return BAD("%u metrics, more than %d", head.nmetrics, KT_PMET_MAX);
	if (len != kt_pmet_size(head.nmetrics))
		return BAD("%u bytes for %u metrics (want %u)", len, head.nmetrics, kt_pmet_size(head.nmetrics));
	if (!field_ok(head.payload, sizeof(head.payload), "", false))
		return BAD("payload name is not 1..31 bytes of [A-Za-z0-9_-]");
	if ((head.flags & ~KT_PMET_FLAGS) || head.reserved)
		return BAD("payload %s: unknown flags 0x%x or reserved 0x%x", head.payload, head.flags, head.reserved);
	if (head.code < -1 || head.code > 255)
		return BAD("payload %s: exit code %d out of range", head.payload, head.code);
	rec = (const struct kt_pmet_rec *)((const char *)msg + sizeof(head));
	out->m = calloc(head.nmetrics ? head.nmetrics : 1, sizeof(*out->m));
	if (!out->m)
		return snprintf(err, errlen, "%s", strerror(ENOMEM)), -ENOMEM;
	for (uint32_t i = 0; i < head.nmetrics; i++) {
		struct kt_pmet_rec *r = &out->m[i];

		memcpy(r, &rec[i], sizeof(*r)); /* the ring need not align records */
		if (!field_ok(r->name, sizeof(r->name), ".", false) || !field_ok(r->unit, sizeof(r->unit), "%/.", true) ||
		    !isfinite(r->value) || r->polarity > KTSTR_LOWER_BETTER || r->reserved) {
			free(out->m);
			out->m = NULL;
			return BAD("payload %s: metric %u is malformed", head.payload, i);
		}
		for (uint32_t k = 0; k < i; k++)
			if (!strcmp(out->m[k].name, r->name)) {
				snprintf(err, errlen, "payload %s: metric %s twice", head.payload, r->name);
				free(out->m);
				out->m = NULL;
				return -EINVAL;
			}
	}
	out->h = head;
	return 0;
}

void kt_pmet_collect(struct kt_pmet_runs *r, const void *msg, uint32_t len)
{
	struct kt_pmet_run run;
	char err[160];

	if (kt_pmet_decode(msg, len, &run, err, sizeof(err))) {
		kt_debug("ring: PMET message refused: %s", err);
		r->rejected++;
		return;
	}
	if (r->n >= KT_PMET_RUNS) {
		free(run.m);
		r->over++;
		return;
	}
	if (!r->v && !(r->v = calloc(KT_PMET_RUNS, sizeof(*r->v)))) {
		free(run.m);
		r->rejected++;
		return;
	}
	r->v[r->n++] = run;
}

void kt_pmet_runs_free(struct kt_pmet_runs *r)
{
	for (unsigned i = 0; r->v && i < r->n; i++)
		free(r->v[i].m);
	free(r->v);
	memset(r, 0, sizeof(*r));
}

static const char *pol_name(uint32_t p)
{
	return p == KTSTR_HIGHER_BETTER ? "higher" : p == KTSTR_LOWER_BETTER ? "lower" : NULL;
}

json_t *kt_pmet_json(const struct kt_pmet_runs *r)
{
	json_t *a = json_array();

	for (unsigned i = 0; a && i < r->n; i++) {
		const struct kt_pmet_head *h = &r->v[i].h;
		json_t *o = json_object(), *ms = json_array();

		if (!o || !ms) {
			json_decref(o);
			json_decref(ms);
			break;
		}
		json_object_set_new(o, "payload", json_string(h->payload));
		if (h->flags & KT_PMET_SIGNALED)
			json_object_set_new(o, "signal", json_integer(h->code));
		else if (h->code >= 0)
			json_object_set_new(o, "exit_code", json_integer(h->code));
		json_object_set_new(o, "ended", json_boolean(h->flags & KT_PMET_EXITED));
		json_object_set_new(o, "killed", json_boolean(h->flags & KT_PMET_KILLED));
		json_object_set_new(o, "timed_out", json_boolean(h->flags & KT_PMET_TIMED_OUT));
		json_object_set_new(o, "output_truncated", json_boolean(h->flags & KT_PMET_TRUNCATED));
		json_object_set_new(o, "no_json", json_boolean(h->flags & KT_PMET_NO_DOC));
		json_object_set_new(o, "metrics_dropped", json_integer(h->dropped));
		json_object_set_new(o, "wall_ms", json_integer(h->wall_ms));
		for (uint32_t k = 0; k < h->nmetrics; k++) {
			const struct kt_pmet_rec *m = &r->v[i].m[k];
			const char *pol = pol_name(m->polarity);

			json_array_append_new(ms, json_pack("{s:s,s:f,s:s,s:o}", "name", m->name, "value", m->value,
							    "unit", m->unit, "polarity",
							    pol ? json_string(pol) : json_null()));
		}
		json_object_set_new(o, "metrics", ms);
		json_array_append_new(a, o);
	}
	return a;
}
