/* Restore instead of boot (docs/performance.md): the page where a parked
 * guest PID 1 waits for its test's parameters.  The VM layer reserves it
 * right after the shared region (a second memmap=) and names it with
 * ktstr_park=ADDR; the guest maps it through /dev/mem, says it is
 * parked, and polls until the host has filled the page and set GO.  The
 * page carries what a restored guest cannot know: its kernel command
 * line (the snapshot's /proc/cmdline is another test's), the host's
 * CLOCK_REALTIME and fresh entropy.  Pure functions; each side treats
 * what the other wrote as untrusted. */
#ifndef KTSTR_PROTO_HANDOVER_H
#define KTSTR_PROTO_HANDOVER_H
#include <stddef.h>
#include <stdint.h>

#define KT_HO_SIZE 4096u
#define KT_HO_PARKED 0x4b504b44u /* guest: waiting for GO */
#define KT_HO_GO 0x4b474f21u     /* host: the page is filled */
#define KT_HO_TAKEN 0x4b54414bu  /* guest: read it, running the test */
#define KT_HO_VERSION 1u
#define KT_HO_ENTROPY 64u
#define KT_HO_CMDLINE_MAX 3968u

struct kt_handover {
	uint32_t parked;  /* guest -> host: KT_HO_PARKED */
	uint32_t state;   /* host: KT_HO_GO; guest then: KT_HO_TAKEN */
	uint32_t version; /* KT_HO_VERSION */
	uint32_t len;     /* of cmdline, without its NUL */
	uint64_t realtime_ns;
	uint8_t entropy[KT_HO_ENTROPY];
	char cmdline[KT_HO_CMDLINE_MAX];
};
_Static_assert(sizeof(struct kt_handover) <= KT_HO_SIZE, "handover page");

/* Host: fill page (the guest's view) with cmdline, the time and the
 * entropy, then set GO last (release).  -E2BIG when cmdline does not
 * fit; the page then keeps state 0. */
int kt_handover_fill(struct kt_handover *page, const char *cmdline, uint64_t realtime_ns,
		     const uint8_t entropy[KT_HO_ENTROPY]);
/* Guest: once state is GO, copy the page into *out (every field read
 * once, the command line bounded and NUL-terminated) and set TAKEN.
 * -EAGAIN before GO, -EINVAL for a version or length that is not ours. */
int kt_handover_take(struct kt_handover *page, struct kt_handover *out);
/* Host: has the guest taken the page? */
static inline int kt_handover_taken(const struct kt_handover *page)
{
	return __atomic_load_n(&page->state, __ATOMIC_ACQUIRE) == KT_HO_TAKEN;
}
static inline int kt_handover_parked(const struct kt_handover *page)
{
	return __atomic_load_n(&page->parked, __ATOMIC_ACQUIRE) == KT_HO_PARKED;
}

#endif
