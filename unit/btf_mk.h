/* Hand-made BTF blobs for unit tests: the shapes a real kernel never
 * has (cycles, absurd counts, hostile nesting). */
#ifndef KTSTR_UNIT_BTF_MK_H
#define KTSTR_UNIT_BTF_MK_H
#include <stdint.h>
#include "monitor/btf.h"

struct mk {
	uint32_t t[128]; /* the type section, u32 by u32 */
	unsigned nt;
	char s[128];     /* the string section */
	uint32_t sl;
};

#define INFO(kind, vlen) ((uint32_t)(kind) << 24 | (vlen))

/* Three more words of the type section. */
void mk(struct mk *m, uint32_t a, uint32_t b, uint32_t c);
/* A string; its offset. */
uint32_t mk_str(struct mk *m, const char *s);
/* The blob parsed (a failure is a unit failure: NULL). */
struct kt_btf *mk_parse(const struct mk *m);

#endif
