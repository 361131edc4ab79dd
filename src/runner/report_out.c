/* JUnit XML and JSON sidecars (see report_out.h). */
#include "runner/report_out.h"
#include "runner/repro.h"
#include "util/text.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define TAIL_BYTES 16384

static const char *verdict_name(enum kt_verdict v)
{
	switch (v) {
	case KT_PASS: return "pass";
	case KT_FAIL: return "fail";
	case KT_SKIP: return "skip";
	default: return "error";
	}
}

void kt_safe_name(const char *name, char *buf, size_t len)
{
	size_t i = 0;

	if (!len)
		return;
	for (; name[i] && i + 1 < len; i++) {
		char c = name[i];

		buf[i] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
					 c == '_' || c == '+' || (c == '.' && i > 0)
				 ? c
				 : '_';
	}
	buf[i] = '\0';
}

/* Can a file be created next to prefix?  Probed with a file of our own
 * (mkstemp: O_EXCL, never an existing file or a symlink), removed at
 * once.  0 or -errno (said why). */
static int probe_writable(const char *opt, const char *name, const char *prefix)
{
	char probe[PATH_MAX];
	int fd;

	if ((size_t)snprintf(probe, sizeof(probe), "%sXXXXXX", prefix) >= sizeof(probe))
		return kt_err(ENAMETOOLONG, "%s %s", opt, name);
	fd = mkostemp(probe, O_CLOEXEC);
	if (fd < 0)
		return kt_err(errno, "%s %s: cannot write there", opt, name);
	close(fd);
	unlink(probe);
	return 0;
}

int kt_report_check(const struct kt_run_opts *o)
{
	char prefix[PATH_MAX];
	struct stat st;
	int ret;

	if (o->out_dir) {
		if (!*o->out_dir) {
			kt_err(0, "--out: empty directory name");
			return -EINVAL;
		}
		if (kt_mkdir_p(o->out_dir, 0755)) {
			kt_err(errno, "--out %s: cannot create the directory", o->out_dir);
			return -EACCES;
		}
		if (stat(o->out_dir, &st) || !S_ISDIR(st.st_mode)) {
			kt_err(ENOTDIR, "--out %s", o->out_dir);
			return -ENOTDIR;
		}
		if (kt_fmt(prefix, sizeof(prefix), "%s/.ktstr-probe-", o->out_dir))
			return kt_err(ENAMETOOLONG, "--out %s", o->out_dir);
		if ((ret = probe_writable("--out", o->out_dir, prefix)))
			return ret;
	}
	if (o->junit) {
		if (!*o->junit) {
			kt_err(0, "--junit: empty file name");
			return -EINVAL;
		}
		if (!lstat(o->junit, &st) && S_ISDIR(st.st_mode)) {
			kt_err(EISDIR, "--junit %s: give a file name", o->junit);
			return -EISDIR;
		}
		/* The file is written by rename() from a temporary file next
		 * to it: what must be writable is its directory, not the path
		 * itself (never opened here: it may be anyone's symlink). */
		if (kt_fmt(prefix, sizeof(prefix), "%s" KT_TMP_SUFFIX, o->junit))
			return kt_err(ENAMETOOLONG, "--junit %s", o->junit);
		if ((ret = probe_writable("--junit", o->junit, prefix)))
			return ret;
	}
	return 0;
}

static void tail_copy(struct kbuf *dst, const struct kt_capture *src)
{
	struct kbuf t = { 0 };
	size_t off = 0;

	dst->len = 0;
	if (kt_capture_last(src, TAIL_BYTES, &t) || !t.data || !t.len) {
		kt_kbuf_free(&t);
		return;
	}
	/* Start at a line boundary when there is one near. */
	if (src->total > t.len) {
		const char *nl = memchr(t.data, '\n', t.len);

		if (nl && (size_t)(nl - t.data) < 1024)
			off = (size_t)(nl - t.data) + 1;
	}
	kt_kbuf_append(dst, t.data + off, t.len - off);
	kt_kbuf_free(&t);
}

void kt_report_capture(struct kt_outcome *out, const struct vm_result *vr, const char *ring_json, size_t ring_len)
{
	snprintf(out->vmm, sizeof(out->vmm), "%s", vr->vmm_name);
	out->exit = vr->exit;
	out->guest_json.len = 0;
	if (ring_json && ring_len)
		kt_kbuf_append(&out->guest_json, ring_json, ring_len);
	tail_copy(&out->com1_tail, &vr->com1);
	tail_copy(&out->com2_tail, &vr->com2);
}

struct kt_report {
	const struct kt_run_opts *o;
	size_t n;
	struct kbuf *junit; /* one <testcase> per case index, empty: not run */
	unsigned tests, failures, errors, skipped;
	double time_s;
	char kernel[256];
	char stamp[32];
	bool failed;
};

struct kt_report *kt_report_begin(const struct kt_run_opts *o, size_t n, const char *kernel)
{
	struct kt_report *r;
	time_t now = time(NULL);
	struct tm tm;

	if (!o->junit && !o->out_dir)
		return NULL;
	r = calloc(1, sizeof(*r));
	if (!r || !(r->junit = calloc(n ? n : 1, sizeof(*r->junit)))) {
		free(r);
		kt_err(ENOMEM, "--junit/--out");
		return NULL;
	}
	r->o = o;
	r->n = n;
	snprintf(r->kernel, sizeof(r->kernel), "%s", kernel ? kernel : "");
	gmtime_r(&now, &tm);
	strftime(r->stamp, sizeof(r->stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return r;
}

static const char *sched_name(const struct kt_case *c)
{
	return c->sched ? (c->sched->name ? c->sched->name : c->sched->binary) : "eevdf";
}

static json_t *str_json(const char *s, size_t len)
{
	struct kbuf b = { 0 };
	json_t *j;

	if (kt_text_clean(s ? s : "", s ? len : 0, 0, &b))
		return json_null();
	j = json_stringn(b.data ? b.data : "", b.len);
	kt_kbuf_free(&b);
	return j ? j : json_null();
}

static int write_atomic(const char *path, const char *data, size_t len)
{
	int ret = kt_write_atomic(path, data, len, 0644);

	return ret ? kt_err(-ret, "write %s", path) : 0;
}

/* The sched_ext watchdog the case ran with (runner/watchdog.h). */
static json_t *watchdog_json(const struct kt_wd_obs *w)
{
	json_t *o = json_object();

	json_object_set_new(o, "seconds", json_integer(w->seconds));
	json_object_set_new(o, "source", json_string(w->source));
	json_object_set_new(o, "hz", json_integer(w->hz));
	json_object_set_new(o, "applied", json_boolean(w->applied));
	json_object_set_new(o, "scheduler_own_jiffies", w->applied || w->skipped
								 ? json_integer((json_int_t)w->own_jiffies)
								 : json_null());
	json_object_set_new(o, "written_jiffies", w->applied ? json_integer((json_int_t)w->written_jiffies)
							      : json_null());
	json_object_set_new(o, "read_back_jiffies", w->read ? json_integer((json_int_t)w->read_jiffies) : json_null());
	json_object_set_new(o, "first_pass_due_jiffies", w->pass_due_jiffies
								  ? json_integer((json_int_t)w->pass_due_jiffies)
								  : json_null());
	json_object_set_new(o, "note", json_string(w->note));
	return o;
}

static int write_sidecar(struct kt_report *r, const struct kt_case *c, const struct kt_outcome *out)
{
	json_t *j = json_object(), *guest = NULL, *con;
	char fname[256], path[PATH_MAX];
	char *text;
	int ret;

	if (!j)
		return -ENOMEM;
	kt_safe_name(c->name, fname, sizeof(fname));
	if ((size_t)snprintf(path, sizeof(path), "%s/%s.ktstr.json", r->o->out_dir, fname) >= sizeof(path)) {
		json_decref(j);
		return kt_err(ENAMETOOLONG, "--out %s", r->o->out_dir);
	}
	json_object_set_new(j, "name", str_json(c->name, strlen(c->name)));
	json_object_set_new(j, "test", str_json(c->t->name, strlen(c->t->name)));
	json_object_set_new(j, "verdict", json_string(verdict_name(out->verdict)));
	json_object_set_new(j, "passed", json_boolean(out->verdict == KT_PASS));
	json_object_set_new(j, "skipped", json_boolean(out->verdict == KT_SKIP));
	json_object_set_new(j, "expect_fail", json_boolean(c->t->expect_fail));
	json_object_set_new(j, "reason", str_json(out->reason, strlen(out->reason)));
	json_object_set_new(j, "topology", str_json(out->topo, strlen(out->topo)));
	json_object_set_new(j, "scheduler", str_json(sched_name(c), strlen(sched_name(c))));
	json_object_set_new(j, "scheduler_flags", str_json(c->flag_args, strlen(c->flag_args)));
	json_object_set_new(j, "vmm", str_json(out->vmm, strlen(out->vmm)));
	json_object_set_new(j, "accel", str_json(out->accel, strlen(out->accel)));
	json_object_set_new(j, "vm_exit", json_string(kt_vm_exit_name(out->exit)));
	json_object_set_new(j, "kernel", str_json(r->kernel, strlen(r->kernel)));
	json_object_set_new(j, "wall_s", json_real(out->wall_s));
	json_object_set_new(j, "boot_s", json_real(out->boot_s));
	json_object_set_new(j, "duration_ms", json_integer(out->duration_ms));
	json_object_set_new(j, "attempts", json_integer(out->attempts ? out->attempts : 1));
	json_object_set_new(j, "flaky", json_boolean(out->verdict == KT_PASS && out->first_failure[0]));
	json_object_set_new(j, "first_failure", str_json(out->first_failure, strlen(out->first_failure)));
	json_object_set_new(j, "first_failure_report", str_json(out->first_report.data, out->first_report.len));
	json_object_set_new(j, "guest_crash", str_json(out->guest_crash, strlen(out->guest_crash)));
	json_object_set_new(j, "timestamp", json_string(r->stamp));
	/* The guest's own result JSON (telemetry), verbatim when it parses;
	 * it came through a CRC-checked message but is still guest data. */
	if (out->guest_json.len)
		guest = json_loadb(out->guest_json.data, out->guest_json.len, JSON_REJECT_DUPLICATES, NULL);
	if (guest && json_is_object(guest)) {
		json_object_set_new(j, "result", guest);
	} else {
		json_decref(guest);
		json_object_set_new(j, "result", json_null());
		if (out->guest_json.len)
			json_object_set_new(j, "result_raw", str_json(out->guest_json.data, out->guest_json.len));
	}
	if (out->wd.active)
		json_object_set_new(j, "watchdog", watchdog_json(&out->wd));
	con = json_object();
	json_object_set_new(con, "com1_tail", str_json(out->com1_tail.data, out->com1_tail.len));
	json_object_set_new(con, "com2_tail", str_json(out->com2_tail.data, out->com2_tail.len));
	if (out->com1.len) /* a failed run: all of COM1 that was kept (64 KiB head, 256 KiB tail) */
		json_object_set_new(con, "com1", str_json(out->com1.data, out->com1.len));
	json_object_set_new(j, "console", con);
	json_object_set_new(j, "report", str_json(out->report.data, out->report.len));
	/* The report's sections on their own (guest text cleaned). */
	json_object_set_new(j, "monitor_summary", str_json(out->mon_summary.data, out->mon_summary.len));
	json_object_set_new(j, "timeline", str_json(out->mon_timeline.data, out->mon_timeline.len));
	json_object_set_new(j, "sched_ext_dump", str_json(out->scx_dump.data, out->scx_dump.len));
	/* The host monitor's timeline and verdict (docs/monitor.md); written
	 * by us from guest memory values, so it parses. */
	if (out->monitor_json.len) {
		json_t *mon = json_loadb(out->monitor_json.data, out->monitor_json.len, 0, NULL);

		json_object_set_new(j, "monitor", mon ? mon : json_null());
	}
	/* Auto-repro (docs/auto-repro.md): its status and section text. */
	if (out->repro && out->repro->status[0])
		json_object_set_new(j, "auto_repro",
				    json_pack("{s:s,s:o}", "status", out->repro->status, "section",
					      str_json(out->repro->section.data, out->repro->section.len)));
	/* Payload runs: written by us from checked PMET messages. */
	if (out->payloads_json.len) {
		json_t *pl = json_loadb(out->payloads_json.data, out->payloads_json.len, 0, NULL);

		if (json_is_object(pl))
			json_object_update(j, pl);
		json_decref(pl);
	}
	/* BPF programs, maps and verifier logs (docs/verifier.md): ours,
	 * guest strings already cleaned. */
	if (out->bpf_json.len) {
		json_t *bpf = json_loadb(out->bpf_json.data, out->bpf_json.len, 0, NULL);

		json_object_set_new(j, "bpf", bpf ? bpf : json_null());
	}
	text = json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS);
	json_decref(j);
	if (!text)
		return kt_err(ENOMEM, "sidecar for %s", c->name);
	ret = write_atomic(path, text, strlen(text));
	free(text);
	return ret;
}

static void xml(struct kbuf *b, const char *s, size_t len)
{
	kt_text_clean(s ? s : "", s ? len : 0, KT_TEXT_XML, b);
}

static void xmls(struct kbuf *b, const char *s)
{
	xml(b, s, s ? strlen(s) : 0);
}

static void junit_case(struct kt_report *r, struct kbuf *b, const struct kt_case *c, const struct kt_outcome *out)
{
	kt_kbuf_printf(b, "    <testcase classname=\"ktstr.");
	xmls(b, c->t->name);
	kt_kbuf_printf(b, "\" name=\"");
	xmls(b, c->name);
	kt_kbuf_printf(b, "\" time=\"%.3f\">\n", out->wall_s);
	r->tests++;
	r->time_s += out->wall_s;
	kt_kbuf_printf(b, "      <properties>\n        <property name=\"topology\" value=\"");
	xmls(b, out->topo);
	kt_kbuf_printf(b, "\"/>\n        <property name=\"scheduler\" value=\"");
	xmls(b, sched_name(c));
	kt_kbuf_printf(b, "\"/>\n        <property name=\"vmm\" value=\"");
	xmls(b, out->vmm);
	kt_kbuf_printf(b, "/");
	xmls(b, out->accel);
	kt_kbuf_printf(b, "\"/>\n      </properties>\n");
	switch (out->verdict) {
	case KT_PASS:
		/* Passed on a retry: the Surefire rerun element for the
		 * failed attempt. */
		if (out->first_failure[0]) {
			kt_kbuf_printf(b, "      <flakyFailure message=\"");
			xmls(b, out->first_failure);
			kt_kbuf_printf(b, "\" type=\"FAIL\"/>\n");
		}
		break;
	case KT_SKIP:
		r->skipped++;
		kt_kbuf_printf(b, "      <skipped message=\"");
		xmls(b, out->reason);
		kt_kbuf_printf(b, "\"/>\n");
		break;
	default:
		if (out->verdict == KT_FAIL)
			r->failures++;
		else
			r->errors++;
		kt_kbuf_printf(b, "      <%s message=\"", out->verdict == KT_FAIL ? "failure" : "error");
		xmls(b, out->reason);
		kt_kbuf_printf(b, "\" type=\"%s\">", verdict_name(out->verdict));
		xmls(b, out->reason);
		kt_kbuf_printf(b, "</%s>\n", out->verdict == KT_FAIL ? "failure" : "error");
		break;
	}
	if (out->report.len) {
		kt_kbuf_printf(b, "      <system-out>");
		xml(b, out->report.data, out->report.len);
		kt_kbuf_printf(b, "</system-out>\n");
	}
	kt_kbuf_printf(b, "    </testcase>\n");
}

void kt_report_case(struct kt_report *r, size_t idx, const struct kt_case *c, const struct kt_outcome *out)
{
	if (!r || idx >= r->n)
		return;
	if (r->o->out_dir && write_sidecar(r, c, out)) {
		kt_err(0, "--out: could not write the sidecar of %s", c->name);
		r->failed = true;
	}
	if (r->o->junit) {
		r->junit[idx].len = 0;
		junit_case(r, &r->junit[idx], c, out);
	}
}

int kt_report_end(struct kt_report *r)
{
	struct kbuf b = { 0 };
	int ret;

	if (!r)
		return 0;
	if (r->o->junit) {
		kt_kbuf_printf(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
				"<testsuites name=\"ktstr\" tests=\"%u\" failures=\"%u\" errors=\"%u\" skipped=\"%u\" "
				"time=\"%.3f\">\n"
				"  <testsuite name=\"ktstr\" tests=\"%u\" failures=\"%u\" errors=\"%u\" skipped=\"%u\" "
				"time=\"%.3f\" timestamp=\"%s\" hostname=\"",
			    r->tests, r->failures, r->errors, r->skipped, r->time_s, r->tests, r->failures, r->errors,
			    r->skipped, r->time_s, r->stamp);
		{
			char host[256] = "";

			gethostname(host, sizeof(host) - 1);
			xmls(&b, host);
		}
		kt_kbuf_printf(&b, "\">\n    <properties>\n      <property name=\"kernel\" value=\"");
		xmls(&b, r->kernel);
		kt_kbuf_printf(&b, "\"/>\n    </properties>\n");
		for (size_t i = 0; i < r->n; i++)
			if (r->junit[i].len)
				kt_kbuf_append(&b, r->junit[i].data, r->junit[i].len);
		kt_kbuf_printf(&b, "  </testsuite>\n</testsuites>\n");
		ret = b.data ? write_atomic(r->o->junit, b.data, b.len) : -ENOMEM;
		if (ret) {
			kt_err(0, "--junit: could not write %s", r->o->junit);
			r->failed = true;
		}
		kt_kbuf_free(&b);
	}
	ret = r->failed ? -1 : 0;
	for (size_t i = 0; i < r->n; i++)
		kt_kbuf_free(&r->junit[i]);
	free(r->junit);
	free(r);
	return ret;
}
