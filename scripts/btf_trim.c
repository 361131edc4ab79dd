/* btf_trim: cut a raw BTF blob (a vmlinux .BTF section) down to a few
 * named types and what they hold by value, for the unit-test fixtures
 * (unit/fixtures/README.md; built and run by scripts/btf-fixture.sh).
 *
 *   btf_trim IN.btf OUT.btf KIND:NAME... (KIND: struct, union, enum,
 *   enum64, typedef; a leading '?' makes a root optional)
 *
 * Kept whole: the roots and, transitively, every type a kept type uses by
 * value (members, array elements, typedef/const/volatile/restrict/type
 * tag targets).  A pointer keeps its target when that is void or a
 * scalar (int, float, enum, through modifiers) or another pointer; a
 * pointer to a named struct or union points at a forward declaration of
 * it instead; any other pointer (to a function, an anonymous aggregate,
 * an array) becomes void *.  Names, sizes, member offsets and bitfield
 * encodings of everything kept are copied unchanged; ids are renumbered
 * and only the strings used are kept.  Standalone on purpose: its own
 * reader, not src/monitor/btf.c, so a fixture does not depend on the
 * parser it tests. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { K_INT = 1, K_PTR, K_ARRAY, K_STRUCT, K_UNION, K_ENUM, K_FWD, K_TYPEDEF, K_VOLATILE, K_CONST,
       K_RESTRICT, K_FUNC, K_FUNC_PROTO, K_VAR, K_DATASEC, K_FLOAT, K_DECL_TAG, K_TYPE_TAG, K_ENUM64 };

#define KIND(info) ((int)(((info) >> 24) & 0x1f))
#define VLEN(info) ((info) & 0xffff)

struct buf {
	unsigned char *p;
	size_t len, cap;
};

static unsigned char *in;   /* the input blob */
static const unsigned char *types;
static const char *strs;
static uint32_t types_len, strs_len, ntypes, *toff;

static uint32_t *map;       /* old id -> new id (0: not kept) */
static uint32_t *strmap;    /* old string offset + 1 -> new offset + 1 */
struct item {
	uint32_t old;       /* type to copy, or 0 for a forward declaration */
	uint32_t name, fwd_union;
};
static struct item *items;
static uint32_t nitems, capitems;
static struct buf out_types, out_strs;

static void die(const char *msg, unsigned long v)
{
	fprintf(stderr, "btf_trim: %s (%lu)\n", msg, v);
	exit(1);
}

static void put(struct buf *b, const void *p, size_t n)
{
	if (b->len + n > b->cap) {
		b->cap = (b->len + n) * 2 + 4096;
		if (!(b->p = realloc(b->p, b->cap)))
			die("out of memory", b->cap);
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

static uint32_t u32(const unsigned char *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static long extra(uint32_t info)
{
	uint32_t v = VLEN(info);

	switch (KIND(info)) {
	case K_INT: case K_VAR: case K_DECL_TAG: return 4;
	case K_ARRAY: return 12;
	case K_STRUCT: case K_UNION: case K_ENUM64: case K_DATASEC: return 12L * v;
	case K_ENUM: case K_FUNC_PROTO: return 8L * v;
	case K_PTR: case K_FWD: case K_TYPEDEF: case K_VOLATILE: case K_CONST: case K_RESTRICT:
	case K_FUNC: case K_FLOAT: case K_TYPE_TAG: return 0;
	default: return -1;
	}
}

static const unsigned char *type(uint32_t id)
{
	if (!id || id > ntypes)
		die("type id out of range", id);
	return types + toff[id];
}

static const char *str(uint32_t off)
{
	if (off >= strs_len)
		die("string offset out of range", off);
	return strs + off;
}

static uint32_t new_str(uint32_t old)
{
	const char *s = str(old);

	if (!strmap[old]) {
		if (!out_strs.len)
			put(&out_strs, "", 1); /* offset 0 is "" */
		strmap[old] = (uint32_t)out_strs.len + 1;
		if (*s)
			put(&out_strs, s, strlen(s) + 1);
		else
			strmap[old] = 1;
	}
	return strmap[old] - 1;
}

static uint32_t push(struct item it)
{
	if (nitems == capitems) {
		capitems = capitems ? capitems * 2 : 256;
		if (!(items = realloc(items, capitems * sizeof(*items))))
			die("out of memory", capitems);
	}
	items[nitems++] = it;
	return nitems; /* new ids start at 1 */
}

/* By value: the type itself. */
static uint32_t keep(uint32_t old)
{
	if (!old)
		return 0;
	type(old);
	if (!map[old])
		map[old] = push((struct item){ .old = old });
	return map[old];
}

static uint32_t fwd(uint32_t name, int is_union)
{
	for (uint32_t i = 0; i < nitems; i++)
		if (!items[i].old && items[i].name == name && items[i].fwd_union == (uint32_t)is_union)
			return i + 1;
	return push((struct item){ .old = 0, .name = name, .fwd_union = (uint32_t)is_union });
}

/* What a kept pointer points at. */
static uint32_t keep_ptr_target(uint32_t old)
{
	uint32_t id = old;

	for (int depth = 0; id && depth < 32; depth++) {
		const unsigned char *t = type(id);
		int k = KIND(u32(t + 4));

		switch (k) {
		case K_TYPEDEF: case K_VOLATILE: case K_CONST: case K_RESTRICT: case K_TYPE_TAG:
			id = u32(t + 8);
			continue;
		case K_INT: case K_FLOAT: case K_ENUM: case K_ENUM64: case K_PTR: case K_FWD:
			return keep(old);
		case K_STRUCT: case K_UNION:
			return *str(u32(t)) ? fwd(u32(t), k == K_UNION) : 0;
		default:
			return 0;
		}
	}
	return id ? 0 : keep(old); /* void, through modifiers */
}

static void emit(const struct item *it)
{
	unsigned char rec[12];
	uint32_t w[3];

	if (!it->old) {
		w[0] = new_str(it->name);
		w[1] = (uint32_t)K_FWD << 24 | it->fwd_union << 31;
		w[2] = 0;
		put(&out_types, w, 12);
		return;
	}
	const unsigned char *t = type(it->old);
	uint32_t info = u32(t + 4), v = VLEN(info);
	int k = KIND(info);

	memcpy(rec, t, 12);
	w[0] = new_str(u32(t));
	memcpy(rec, w, 4);
	switch (k) {
	case K_PTR:
		w[0] = keep_ptr_target(u32(t + 8));
		memcpy(rec + 8, w, 4);
		break;
	case K_TYPEDEF: case K_VOLATILE: case K_CONST: case K_RESTRICT: case K_TYPE_TAG:
		w[0] = keep(u32(t + 8));
		memcpy(rec + 8, w, 4);
		break;
	case K_INT: case K_FLOAT: case K_FWD: case K_STRUCT: case K_UNION: case K_ENUM: case K_ENUM64:
	case K_ARRAY:
		break;
	default:
		die("a kept type of a kind a fixture cannot hold, id", it->old);
	}
	put(&out_types, rec, 12);
	if (k == K_INT) {
		put(&out_types, t + 12, 4);
	} else if (k == K_ARRAY) {
		w[0] = keep(u32(t + 12));
		w[1] = keep(u32(t + 16));
		w[2] = u32(t + 20);
		put(&out_types, w, 12);
	} else if (k == K_STRUCT || k == K_UNION) {
		for (uint32_t i = 0; i < v; i++) {
			const unsigned char *m = t + 12 + 12 * i;

			w[0] = new_str(u32(m));
			w[1] = keep(u32(m + 4));
			w[2] = u32(m + 8);
			put(&out_types, w, 12);
		}
	} else if (k == K_ENUM || k == K_ENUM64) {
		size_t sz = k == K_ENUM ? 8 : 12;

		for (uint32_t i = 0; i < v; i++) {
			const unsigned char *e = t + 12 + sz * i;

			memcpy(w, e, sz);
			w[0] = new_str(u32(e));
			put(&out_types, w, sz);
		}
	}
}

static uint32_t find_root(const char *spec, int *optional)
{
	static const struct { const char *n; int k; } kinds[] = {
		{ "struct", K_STRUCT }, { "union", K_UNION }, { "enum", K_ENUM }, { "enum64", K_ENUM64 },
		{ "typedef", K_TYPEDEF },
	};
	const char *colon;
	int k = 0;

	*optional = *spec == '?';
	spec += *optional;
	colon = strchr(spec, ':');
	for (size_t i = 0; colon && i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if ((size_t)(colon - spec) == strlen(kinds[i].n) && !strncmp(spec, kinds[i].n, strlen(kinds[i].n)))
			k = kinds[i].k;
	if (!k) {
		fprintf(stderr, "btf_trim: %s: expected KIND:NAME\n", spec);
		exit(2);
	}
	for (uint32_t id = 1; id <= ntypes; id++) {
		const unsigned char *t = type(id);

		if (KIND(u32(t + 4)) == k && !strcmp(str(u32(t)), colon + 1))
			return id;
	}
	return 0;
}

int main(int argc, char **argv)
{
	uint32_t hdr_len, cap = 1024, hdr[6];
	FILE *f;
	long n;

	if (argc < 4) {
		fprintf(stderr, "usage: btf_trim IN.btf OUT.btf [?]KIND:NAME...\n");
		return 2;
	}
	if (!(f = fopen(argv[1], "rb")) || fseek(f, 0, SEEK_END) || (n = ftell(f)) < 24 || fseek(f, 0, SEEK_SET) ||
	    !(in = malloc((size_t)n)) || fread(in, 1, (size_t)n, f) != (size_t)n)
		die("cannot read the input (or shorter than a BTF header)", (unsigned long)errno);
	fclose(f);
	if (in[0] != 0x9f || in[1] != 0xeb || in[2] != 1)
		die("not little-endian BTF version 1, magic", in[0] | in[1] << 8);
	hdr_len = u32(in + 4);
	if (hdr_len < 24 || hdr_len > (uint64_t)n || (uint64_t)hdr_len + u32(in + 8) + u32(in + 12) > (uint64_t)n ||
	    (uint64_t)hdr_len + u32(in + 16) + u32(in + 20) > (uint64_t)n || !u32(in + 20))
		die("bad header", hdr_len);
	types = in + hdr_len + u32(in + 8);
	types_len = u32(in + 12);
	strs = (const char *)in + hdr_len + u32(in + 16);
	strs_len = u32(in + 20);
	if (strs[strs_len - 1])
		die("string section not NUL-terminated", strs_len);
	toff = malloc(cap * sizeof(*toff));
	for (uint32_t pos = 0; toff && pos < types_len; ntypes++) {
		long e = types_len - pos >= 12 ? extra(u32(types + pos + 4)) : -1;

		if (e < 0 || types_len - pos - 12 < (uint64_t)e)
			die("truncated or unknown type at offset", pos);
		if (ntypes + 2 > cap && !(toff = realloc(toff, (cap *= 2) * sizeof(*toff))))
			break;
		toff[ntypes + 1] = pos;
		pos += 12 + (uint32_t)e;
	}
	map = calloc(ntypes + 1, sizeof(*map));
	strmap = calloc(strs_len, sizeof(*strmap));
	if (!toff || !map || !strmap)
		die("out of memory", ntypes);
	for (int i = 3; i < argc; i++) {
		int optional;
		uint32_t id = find_root(argv[i], &optional);

		if (id)
			keep(id);
		else if (!optional)
			die(argv[i], 0);
		else
			fprintf(stderr, "btf_trim: %s: not in this BTF, skipped\n", argv[i] + 1);
	}
	new_str(0);
	for (uint32_t i = 0; i < nitems; i++) { /* emitting may push (and move) items */
		struct item it = items[i];

		emit(&it);
	}
	hdr[0] = 0x0001eb9f; /* magic, version 1, flags 0 */
	hdr[1] = 24;
	hdr[2] = 0;
	hdr[3] = (uint32_t)out_types.len;
	hdr[4] = (uint32_t)out_types.len;
	hdr[5] = (uint32_t)out_strs.len;
	if (!(f = fopen(argv[2], "wb")) || fwrite(hdr, 1, 24, f) != 24 ||
	    fwrite(out_types.p, 1, out_types.len, f) != out_types.len ||
	    fwrite(out_strs.p, 1, out_strs.len, f) != out_strs.len || fclose(f))
		die("cannot write the output", (unsigned long)errno);
	fprintf(stderr, "btf_trim: %u of %u types, %zu bytes of strings, %zu bytes in all\n", nitems, ntypes,
		out_strs.len, 24 + out_types.len + out_strs.len);
	return 0;
}
