/* Percent-encoding of arguments for the kernel command line. */
#include "proto/argenc.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static int plain(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       strchr("._,:=/+-", c) != NULL;
}

int kt_arg_encode(const char *in, char *out, size_t len)
{
	size_t o = 0;

	for (const unsigned char *p = (const unsigned char *)in; *p; p++) {
		if (plain(*p) && *p) {
			if (o + 1 >= len)
				return -ENAMETOOLONG;
			out[o++] = (char)*p;
		} else {
			if (o + 3 >= len)
				return -ENAMETOOLONG;
			snprintf(out + o, 4, "%%%02X", *p);
			o += 3;
		}
	}
	if (o >= len)
		return -ENAMETOOLONG;
	out[o] = '\0';
	return 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int kt_arg_decode(const char *in, char *out, size_t len)
{
	size_t o = 0;

	for (const char *p = in; *p; p++) {
		char c = *p;

		if (c == '%') {
			int h = hexval(p[1]), l = h < 0 ? -1 : hexval(p[2]);

			if (h < 0 || l < 0)
				return -EINVAL;
			c = (char)(h * 16 + l);
			if (!c)
				return -EINVAL;
			p += 2;
		}
		if (o + 1 >= len)
			return -ENAMETOOLONG;
		out[o++] = c;
	}
	if (!len)
		return -ENAMETOOLONG;
	out[o] = '\0';
	return 0;
}

int kt_arg_split(char *buf, char **argv, int max)
{
	int n = 0;
	char *save = NULL;

	for (char *t = strtok_r(buf, " \t\n", &save); t; t = strtok_r(NULL, " \t\n", &save)) {
		if (n + 1 >= max)
			return -E2BIG;
		argv[n++] = t;
	}
	argv[n] = NULL;
	return n;
}

int kt_cmdline_get(const char *cmdline, const char *key, char *buf, size_t len)
{
	size_t kl = strlen(key);

	for (const char *p = cmdline; p && *p;) {
		while (*p == ' ')
			p++;
		if (!strncmp(p, key, kl) && p[kl] == '=') {
			size_t vl = strcspn(p + kl + 1, " \n");

			if (vl >= len)
				return -ENAMETOOLONG;
			memcpy(buf, p + kl + 1, vl);
			buf[vl] = '\0';
			return 0;
		}
		p = strchr(p, ' ');
	}
	return -ENOENT;
}
