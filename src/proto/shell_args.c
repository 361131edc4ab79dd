/* `ktstr shell`: the guest command line both ways and path
 * normalization (see shell.h).  Pure functions. */
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

int kt_shell_cmdline(const struct kt_shell_guest_spec *s, char *buf, size_t len, char *err, size_t errlen)
{
	char ts[32], enc[4096];
	const char *term = s->term && *s->term ? s->term : "vt100";
	size_t off;
	int n;

	if (!term_ok(term)) {
		snprintf(err, errlen, "TERM '%.40s' has characters other than letters, digits and ._+-; set TERM to "
				      "a plain terminal name", term);
		return -EINVAL;
	}
	ktstr_topo_format(&s->topo, ts, sizeof(ts));
	n = snprintf(buf, len, "ktstr_mode=shell ktstr_topo=%s ktstr_term=%s ktstr_cols=%u ktstr_rows=%u", ts, term,
		     s->cols, s->rows);
	if (n < 0 || (size_t)n >= len)
		return -E2BIG;
	off = (size_t)n;
	if (s->exec) {
		if (kt_arg_encode(s->exec, enc, sizeof(enc)) || strlen(enc) > KT_SHELL_EXEC_MAX) {
			snprintf(err, errlen, "--exec command too long for the kernel command line (at most about %d "
					      "bytes once encoded); put it in a script and pass that with --include-files",
				 KT_SHELL_EXEC_MAX);
			return -E2BIG;
		}
		n = snprintf(buf + off, len - off, " ktstr_exec=%s", enc);
		if (n < 0 || (size_t)n >= len - off)
			return -E2BIG;
		off += (size_t)n;
	}
	if (s->sched_guest) {
		if (kt_arg_encode(s->sched_args ? s->sched_args : "", enc, sizeof(enc))) {
			snprintf(err, errlen, "--args too long for the kernel command line");
			return -E2BIG;
		}
		n = snprintf(buf + off, len - off, " ktstr_sched=%s ktstr_sched_args=%s", s->sched_guest, enc);
		if (n < 0 || (size_t)n >= len - off) {
			snprintf(err, errlen, "scheduler arguments too long for the kernel command line");
			return -E2BIG;
		}
		off += (size_t)n;
	}
	if (s->hvc0) {
		n = snprintf(buf + off, len - off, " ktstr_tty=hvc0");
		if (n < 0 || (size_t)n >= len - off)
			return -E2BIG;
	}
	return 0;
}

int kt_shell_parse_cmdline(const char *cmdline, struct kt_shell_guest_cfg *out)
{
	char v[4096];

	memset(out, 0, sizeof(*out));
	if (kt_cmdline_get(cmdline, "ktstr_term", out->term, sizeof(out->term)) || !term_ok(out->term))
		snprintf(out->term, sizeof(out->term), "vt100");
	if (!kt_cmdline_get(cmdline, "ktstr_cols", v, 16))
		out->cols = (unsigned)strtoul(v, NULL, 10);
	if (!kt_cmdline_get(cmdline, "ktstr_rows", v, 16))
		out->rows = (unsigned)strtoul(v, NULL, 10);
	if (out->cols > 10000 || out->rows > 10000)
		out->cols = out->rows = 0;
	if (!kt_cmdline_get(cmdline, "ktstr_exec", v, sizeof(v))) {
		out->exec = true;
		if (kt_arg_decode(v, out->cmd, sizeof(out->cmd)))
			return -EINVAL;
	}
	out->hvc0 = !kt_cmdline_get(cmdline, "ktstr_tty", v, 16) && !strcmp(v, "hvc0");
	if (!kt_cmdline_get(cmdline, "ktstr_sched", out->sched, sizeof(out->sched)) &&
	    !kt_cmdline_get(cmdline, "ktstr_sched_args", v, sizeof(v)) &&
	    kt_arg_decode(v, out->sched_args, sizeof(out->sched_args)))
		return -EINVAL;
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
