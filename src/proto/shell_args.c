/* `ktstr shell`: the guest command line both ways (on kt_guest_args)
 * and path normalization (see shell_args.h).  Pure functions. */
#include "proto/shell_args.h"
#include "proto/argenc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool term_ok(const char *t)
{
	if (!*t || strlen(t) >= sizeof(((struct kt_shell_guest_cfg *)0)->term))
		return false;
	for (; *t; t++)
		if (!((*t >= 'a' && *t <= 'z') || (*t >= 'A' && *t <= 'Z') || (*t >= '0' && *t <= '9') ||
		      strchr("._+-", *t)))
			return false;
	return true;
}

/* value into a field of the guest's arguments; false if it does not fit */
static bool fits(char *dst, size_t len, const char *value)
{
	int n = snprintf(dst, len, "%s", value);

	return n >= 0 && (size_t)n < len;
}

int kt_shell_cmdline(const struct kt_shell_guest_spec *s, char *buf, size_t len, char *err, size_t errlen)
{
	struct kt_guest_args a;
	char enc[4096];
	const char *term = s->term && *s->term ? s->term : "vt100";
	int ret;

	if (!term_ok(term)) {
		snprintf(err, errlen, "TERM '%.40s' has characters other than letters, digits and ._+-; set TERM to "
				      "a plain terminal name", term);
		return -EINVAL;
	}
	memset(&a, 0, sizeof(a));
	a.mode = KT_GUEST_SHELL;
	ktstr_topo_format(&s->topo, a.topo, sizeof(a.topo));
	snprintf(a.term, sizeof(a.term), "%s", term); /* term_ok: it fits */
	a.cols = s->cols;
	a.rows = s->rows;
	if (s->exec) {
		if (kt_arg_encode(s->exec, enc, sizeof(enc)) || strlen(enc) > KT_SHELL_EXEC_MAX ||
		    !fits(a.exec, sizeof(a.exec), s->exec)) {
			snprintf(err, errlen, "--exec command too long for the kernel command line (at most about %d "
					      "bytes once encoded); put it in a script and pass that with --include-files",
				 KT_SHELL_EXEC_MAX);
			return -E2BIG;
		}
		a.have_exec = true;
	}
	if (s->sched_guest) {
		if (!fits(a.sched, sizeof(a.sched), s->sched_guest)) {
			snprintf(err, errlen, "scheduler path '%.60s...' is longer than the guest takes (%zu bytes)",
				 s->sched_guest, sizeof(a.sched) - 1);
			return -E2BIG;
		}
		if (!fits(a.sched_args, sizeof(a.sched_args), s->sched_args ? s->sched_args : "")) {
			snprintf(err, errlen, "--args too long for the kernel command line");
			return -E2BIG;
		}
	}
	a.tty_hvc0 = s->hvc0;
	a.bpf_sync_ms = s->sched_guest ? s->bpf_sync_ms : 0;
	if (!len)
		return -E2BIG;
	buf[0] = '\0';
	ret = kt_guest_args_encode(&a, buf, len);
	if (ret) {
		buf[0] = '\0';
		if (s->sched_guest)
			snprintf(err, errlen, "scheduler arguments too long for the kernel command line");
		else
			snprintf(err, errlen, "the shell's options do not fit a %zu-byte kernel command line", len);
		return -E2BIG;
	}
	memmove(buf, buf + 1, strlen(buf)); /* the encoder's leading space */
	return 0;
}

void kt_shell_cfg_from_args(const struct kt_guest_args *a, struct kt_shell_guest_cfg *out)
{
	_Static_assert(sizeof(out->term) == sizeof(a->term) && sizeof(out->cmd) == sizeof(a->exec) &&
			       sizeof(out->sched) == sizeof(a->sched) && sizeof(out->sched_args) == sizeof(a->sched_args),
		       "kt_shell_guest_cfg and kt_guest_args disagree");

	memset(out, 0, sizeof(*out));
	snprintf(out->term, sizeof(out->term), "%s", term_ok(a->term) ? a->term : "vt100");
	out->cols = a->cols;
	out->rows = a->rows;
	if (out->cols > 10000 || out->rows > 10000)
		out->cols = out->rows = 0;
	out->exec = a->have_exec;
	memcpy(out->cmd, a->exec, sizeof(out->cmd));
	out->hvc0 = a->tty_hvc0;
	out->bpf_sync_ms = a->bpf_sync_ms;
	memcpy(out->sched, a->sched, sizeof(out->sched));
	memcpy(out->sched_args, a->sched_args, sizeof(out->sched_args));
}

int kt_shell_parse_cmdline(const char *cmdline, struct kt_shell_guest_cfg *out)
{
	struct kt_guest_args a;

	memset(out, 0, sizeof(*out));
	if (kt_guest_args_parse(cmdline, &a))
		return -EINVAL;
	kt_shell_cfg_from_args(&a, out);
	return 0;
}

int kt_path_normalize(const char *in, char *out, size_t len)
{
	size_t o = 0;
	const char *p = in;

	if (!in || in[0] != '/' || len < 2)
		return -EINVAL;
	while (*p) {
		size_t l;

		while (*p == '/')
			p++;
		l = strcspn(p, "/");
		if (!l)
			break;
		if (l == 1 && p[0] == '.') {
			/* nothing */
		} else if (l == 2 && p[0] == '.' && p[1] == '.') {
			while (o > 0 && out[o - 1] != '/')
				o--;
			if (o > 0)
				o--; /* the slash */
		} else {
			if (o + 1 + l >= len)
				return -ENAMETOOLONG;
			out[o++] = '/';
			memcpy(out + o, p, l);
			o += l;
		}
		p += l;
	}
	out[o] = '\0';
	return o ? 0 : -EINVAL;
}
