/* The park/hand-over page of a restorable guest (proto/handover.h). */
#include "proto/handover.h"

#include <errno.h>
#include <string.h>

int kt_handover_fill(struct kt_handover *page, const char *cmdline, uint64_t realtime_ns,
		     const uint8_t entropy[KT_HO_ENTROPY])
{
	size_t len = strlen(cmdline);

	if (len >= KT_HO_CMDLINE_MAX)
		return -E2BIG;
	__atomic_store_n(&page->state, 0, __ATOMIC_RELAXED);
	page->version = KT_HO_VERSION;
	page->len = (uint32_t)len;
	page->realtime_ns = realtime_ns;
	memcpy(page->entropy, entropy, KT_HO_ENTROPY);
	memcpy(page->cmdline, cmdline, len + 1);
	__atomic_store_n(&page->state, KT_HO_GO, __ATOMIC_RELEASE);
	return 0;
}

int kt_handover_take(struct kt_handover *page, struct kt_handover *out)
{
	uint32_t len;

	if (__atomic_load_n(&page->state, __ATOMIC_ACQUIRE) != KT_HO_GO)
		return -EAGAIN;
	memset(out, 0, sizeof(*out));
	out->version = __atomic_load_n(&page->version, __ATOMIC_RELAXED);
	len = __atomic_load_n(&page->len, __ATOMIC_RELAXED);
	if (out->version != KT_HO_VERSION || len >= KT_HO_CMDLINE_MAX)
		return -EINVAL;
	out->len = len;
	out->realtime_ns = page->realtime_ns;
	memcpy(out->entropy, page->entropy, KT_HO_ENTROPY);
	memcpy(out->cmdline, page->cmdline, len);
	out->cmdline[len] = '\0';
	out->len = (uint32_t)strlen(out->cmdline); /* an embedded NUL ends it */
	out->state = KT_HO_GO;
	__atomic_store_n(&page->state, KT_HO_TAKEN, __ATOMIC_RELEASE);
	return 0;
}
