/* Hand-made BTF blobs (see btf_mk.h). */
#include "btf_mk.h"
#include "unit.h"

void mk(struct mk *m, uint32_t a, uint32_t b, uint32_t c)
{
	m->t[m->nt++] = a;
	m->t[m->nt++] = b;
	m->t[m->nt++] = c;
}

uint32_t mk_str(struct mk *m, const char *s)
{
	uint32_t o = m->sl ? m->sl : 1; /* offset 0 is "" */

	memcpy(m->s + o, s, strlen(s) + 1);
	m->sl = o + (uint32_t)strlen(s) + 1;
	return o;
}

static void put32(unsigned char *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

struct kt_btf *mk_parse(const struct mk *m)
{
	unsigned char blob[24 + sizeof(m->t) + sizeof(m->s)];
	uint32_t tl = m->nt * 4, sl = m->sl ? m->sl : 1;
	struct kt_btf *b = NULL;
	char err[200] = "";
	int ret;

	memset(blob, 0, sizeof(blob));
	blob[0] = 0x9f;
	blob[1] = 0xeb;
	blob[2] = 1;
	put32(blob + 4, 24);
	put32(blob + 12, tl);
	put32(blob + 16, tl);
	put32(blob + 20, sl);
	memcpy(blob + 24, m->t, tl);
	memcpy(blob + 24 + tl, m->s, sl);
	ret = kt_btf_parse(blob, 24 + tl + sl, &b, err, sizeof(err));
	if (ret)
		unit_fail(__FILE__, __LINE__, "kt_btf_parse: %d %s", ret, err);
	return b;
}
