/* Verifier-log ring message (vlog_msg.h). */
#include "proto/vlog_msg.h"

#include <errno.h>
#include <string.h>

static bool name_ok(const char *p, size_t max)
{
	size_t n = strnlen(p, max);

	if (n == max)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)p[i] <= 0x20 || (unsigned char)p[i] >= 0x7f)
			return false;
	return true;
}

int kt_vlog_msg_encode(const char *prog, uint32_t flags, const char *log, size_t len, struct kbuf *out)
{
	struct kt_vlog_hdr h = { .flags = flags, .log_len = (uint32_t)len };

	if (len > KT_VLOG_MSG_LOG_MAX || (flags & ~KT_VLOG_F_ALL) || !prog || strlen(prog) >= sizeof(h.prog))
		return -EINVAL;
	memcpy(h.prog, prog, strlen(prog));
	if (!name_ok(h.prog, sizeof(h.prog)))
		return -EINVAL;
	if (kt_kbuf_append(out, &h, sizeof(h)) || (len && kt_kbuf_append(out, log, len)))
		return -ENOMEM;
	return 0;
}

int kt_vlog_msg_decode(const void *payload, size_t len, struct kt_vlog_hdr *hdr, const char **log)
{
	struct kt_vlog_hdr h;

	if (!payload || len < sizeof(h))
		return -EINVAL;
	memcpy(&h, payload, sizeof(h));
	if ((h.flags & ~KT_VLOG_F_ALL) || h.log_len > KT_VLOG_MSG_LOG_MAX || h.log_len != len - sizeof(h) ||
	    !name_ok(h.prog, sizeof(h.prog)))
		return -EINVAL;
	*hdr = h;
	*log = (const char *)payload + sizeof(h);
	return 0;
}
