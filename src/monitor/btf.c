/* BTF reader (see btf.h).  Layout of the blob (include/uapi/linux/btf.h):
 * a header {u16 magic, u8 version, u8 flags, u32 hdr_len, u32 type_off,
 * u32 type_len, u32 str_off, u32 str_len} with the offsets counted from
 * the end of the header; the type section is a sequence of
 * {u32 name_off, u32 info, u32 size|type} each followed by kind-specific
 * data; the string section is NUL-separated names. */
#include "monitor/btf.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct btf_type {
	uint32_t name_off, info, size_type;
};
struct btf_member {
	uint32_t name_off, type, offset;
};
struct btf_enum {
	uint32_t name_off;
	int32_t val;
};
struct btf_enum64 {
	uint32_t name_off, lo, hi;
};
struct btf_array {
	uint32_t type, index_type, nelems;
};

struct name_ent {
	const char *name;
	uint32_t id;
	int kind;
};

struct kt_btf {
	unsigned char *data;
	size_t len;
	const unsigned char *types; /* type section */
	uint32_t types_len;
	const char *strs;
	uint32_t strs_len;
	uint32_t *off; /* off[id]: offset of type id in the type section; [0] unused */
	uint32_t n;    /* types 1..n */
	struct name_ent *names;
	size_t nnames;
};

#define KIND(info) ((int)(((info) >> 24) & 0x1f))
#define VLEN(info) ((info) & 0xffff)
#define KFLAG(info) (((info) >> 31) & 1)

static const struct btf_type *type_at(const struct kt_btf *b, uint32_t id)
{
	return id && id <= b->n ? (const struct btf_type *)(b->types + b->off[id]) : NULL;
}

static const char *str_at(const struct kt_btf *b, uint32_t off)
{
	return off < b->strs_len ? b->strs + off : NULL;
}

/* Bytes of kind-specific data after the common header; -1: unknown kind. */
static long extra_len(const struct btf_type *t)
{
	uint32_t v = VLEN(t->info);

	switch (KIND(t->info)) {
	case KT_BTF_INT:
	case KT_BTF_VAR:
	case KT_BTF_DECL_TAG:
		return 4;
	case KT_BTF_ARRAY:
		return (long)sizeof(struct btf_array);
	case KT_BTF_STRUCT:
	case KT_BTF_UNION:
		return (long)v * (long)sizeof(struct btf_member);
	case KT_BTF_ENUM:
		return (long)v * (long)sizeof(struct btf_enum);
	case KT_BTF_ENUM64:
		return (long)v * (long)sizeof(struct btf_enum64);
	case KT_BTF_FUNC_PROTO:
		return (long)v * 8;
	case KT_BTF_DATASEC:
		return (long)v * 12;
	case KT_BTF_PTR:
	case KT_BTF_FWD:
	case KT_BTF_TYPEDEF:
	case KT_BTF_VOLATILE:
	case KT_BTF_CONST:
	case KT_BTF_RESTRICT:
	case KT_BTF_FUNC:
	case KT_BTF_FLOAT:
	case KT_BTF_TYPE_TAG:
		return 0;
	default:
		return -1;
	}
}

static int name_cmp(const void *a, const void *b)
{
	const struct name_ent *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c ? c : (x->kind != y->kind ? x->kind - y->kind : (x->id > y->id) - (x->id < y->id));
}

static int fail(char *err, size_t len, const char *msg, unsigned long v)
{
	if (err && len)
		snprintf(err, len, "BTF: %s (%lu)", msg, v);
	return -EINVAL;
}

int kt_btf_parse(const void *data, size_t len, struct kt_btf **out, char *err, size_t errlen)
{
	const unsigned char *p = data;
	uint32_t hdr_len, type_off, type_len, str_off, str_len, cap = 1024, pos;
	uint16_t magic;
	struct kt_btf *b;

	*out = NULL;
	if (len < 24)
		return fail(err, errlen, "blob shorter than a header", len);
	memcpy(&magic, p, 2);
	if (magic != KT_BTF_MAGIC)
		return fail(err, errlen, magic == 0x9feb ? "foreign byte order" : "bad magic", magic);
	if (p[2] != 1)
		return fail(err, errlen, "unsupported version", p[2]);
	memcpy(&hdr_len, p + 4, 4);
	memcpy(&type_off, p + 8, 4);
	memcpy(&type_len, p + 12, 4);
	memcpy(&str_off, p + 16, 4);
	memcpy(&str_len, p + 20, 4);
	if (hdr_len < 24 || hdr_len > len)
		return fail(err, errlen, "bad header length", hdr_len);
	if ((uint64_t)hdr_len + type_off + type_len > len || (uint64_t)hdr_len + str_off + str_len > len)
		return fail(err, errlen, "sections beyond the blob", len);
	if (((uint64_t)hdr_len + type_off) % 4 || !str_len) /* types are read as u32s in place */
		return fail(err, errlen, "misaligned type section or no strings", type_off);
	b = calloc(1, sizeof(*b));
	if (!b || !(b->data = malloc(len)) || !(b->off = malloc(cap * sizeof(*b->off)))) {
		kt_btf_free(b);
		return -ENOMEM;
	}
	memcpy(b->data, data, len);
	b->len = len;
	b->types = b->data + hdr_len + type_off;
	b->types_len = type_len;
	b->strs = (const char *)b->data + hdr_len + str_off;
	b->strs_len = str_len;
	if (b->strs[str_len - 1] != '\0') {
		kt_btf_free(b);
		return fail(err, errlen, "string section not NUL-terminated", str_len);
	}
	for (pos = 0; pos < type_len;) {
		const struct btf_type *t = (const void *)(b->types + pos);
		long extra;

		if (type_len - pos < sizeof(*t) || (extra = extra_len(t)) < 0 ||
		    (uint64_t)type_len - pos - sizeof(*t) < (uint64_t)extra) {
			kt_btf_free(b);
			return fail(err, errlen, "truncated or unknown type at offset", pos);
		}
		if (b->n + 1 >= cap) {
			uint32_t *n = realloc(b->off, (size_t)cap * 2 * sizeof(*n));

			if (!n) {
				kt_btf_free(b);
				return -ENOMEM;
			}
			b->off = n;
			cap *= 2;
		}
		b->off[++b->n] = pos;
		pos += (uint32_t)(sizeof(*t) + (size_t)extra);
	}
	b->names = calloc(b->n ? b->n : 1, sizeof(*b->names));
	if (!b->names) {
		kt_btf_free(b);
		return -ENOMEM;
	}
	for (uint32_t id = 1; id <= b->n; id++) {
		const struct btf_type *t = type_at(b, id);
		const char *nm = str_at(b, t->name_off);

		if (!nm) {
			kt_btf_free(b);
			return fail(err, errlen, "name offset beyond the strings of type", id);
		}
		if (*nm)
			b->names[b->nnames++] = (struct name_ent){ nm, id, KIND(t->info) };
	}
	qsort(b->names, b->nnames, sizeof(*b->names), name_cmp);
	*out = b;
	return 0;
}

void kt_btf_free(struct kt_btf *b)
{
	if (!b)
		return;
	free(b->data);
	free(b->off);
	free(b->names);
	free(b);
}

uint32_t kt_btf_count(const struct kt_btf *b)
{
	return b->n;
}

int kt_btf_kind(const struct kt_btf *b, uint32_t id)
{
	const struct btf_type *t = type_at(b, id);

	return t ? KIND(t->info) : -ENOENT;
}

const char *kt_btf_name(const struct kt_btf *b, uint32_t id)
{
	const struct btf_type *t = type_at(b, id);
	const char *s = t ? str_at(b, t->name_off) : NULL;

	return s ? s : "";
}

int64_t kt_btf_find(const struct kt_btf *b, const char *name, int kind)
{
	size_t lo = 0, hi = b->nnames;

	while (lo < hi) { /* first entry >= name */
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(b->names[mid].name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < b->nnames && !strcmp(b->names[lo].name, name); lo++)
		if (b->names[lo].kind == kind)
			return b->names[lo].id;
	return -ENOENT;
}

static bool is_modifier(int k)
{
	return k == KT_BTF_TYPEDEF || k == KT_BTF_VOLATILE || k == KT_BTF_CONST || k == KT_BTF_RESTRICT ||
	       k == KT_BTF_TYPE_TAG;
}

uint32_t kt_btf_resolve(const struct kt_btf *b, uint32_t id)
{
	const struct btf_type *t;

	/* Bounded: a malicious blob may contain a cycle of typedefs. */
	for (int depth = 0; depth < 32 && (t = type_at(b, id)) && is_modifier(KIND(t->info)); depth++)
		id = t->size_type;
	return id;
}

int64_t kt_btf_size(const struct kt_btf *b, uint32_t id)
{
	uint64_t n = 1, sz;

	/* Arrays multiply down to their element; bounded and overflow-checked,
	 * as a malicious blob may hold a cycle or absurd counts. */
	for (int depth = 0; depth < 32; depth++) {
		const struct btf_type *t = type_at(b, kt_btf_resolve(b, id));
		const struct btf_array *a;

		if (!t)
			return -EINVAL;
		switch (KIND(t->info)) {
		case KT_BTF_INT:
		case KT_BTF_STRUCT:
		case KT_BTF_UNION:
		case KT_BTF_ENUM:
		case KT_BTF_ENUM64:
		case KT_BTF_FLOAT:
		case KT_BTF_DATASEC:
			sz = t->size_type;
			break;
		case KT_BTF_PTR:
			sz = 8; /* x86_64 guests only */
			break;
		case KT_BTF_ARRAY:
			a = (const void *)(t + 1);
			if (__builtin_mul_overflow(n, a->nelems, &n))
				return -EINVAL;
			id = a->type;
			continue;
		default:
			return -EINVAL;
		}
		return __builtin_mul_overflow(n, sz, &n) || n > INT64_MAX ? -EINVAL : (int64_t)n;
	}
	return -EINVAL;
}

/* Find member `name` (length n) in aggregate id, searching anonymous
 * members; adds its byte offset to *off.  depth bounds the recursion,
 * *budget the members looked at in all (-E2BIG when spent): a hostile
 * blob's anonymous members can branch at every level. */
static int find_member(const struct kt_btf *b, uint32_t id, const char *name, size_t n, uint64_t *off,
		       uint32_t *type, int depth, unsigned *budget)
{
	const struct btf_type *t = type_at(b, kt_btf_resolve(b, id));
	const struct btf_member *m;
	int k, ret;

	if (!t || depth > 16)
		return -ENOENT;
	k = KIND(t->info);
	if (k != KT_BTF_STRUCT && k != KT_BTF_UNION)
		return -EINVAL;
	m = (const void *)(t + 1);
	for (uint32_t i = 0; i < VLEN(t->info); i++) {
		const char *mn = str_at(b, m[i].name_off);
		uint32_t bits = KFLAG(t->info) ? (m[i].offset & 0xffffff) : m[i].offset;
		uint32_t bsize = KFLAG(t->info) ? m[i].offset >> 24 : 0;
		uint64_t sub = 0;

		if (!*budget)
			return -E2BIG;
		--*budget;
		if (!mn)
			continue;
		if (*mn) {
			if (strlen(mn) != n || memcmp(mn, name, n))
				continue;
			if (bits % 8 || bsize % 8)
				return -EINVAL; /* a bitfield: not addressable by byte */
			*off += bits / 8;
			*type = m[i].type;
			return 0;
		}
		ret = find_member(b, m[i].type, name, n, &sub, type, depth + 1, budget);
		if (ret == -E2BIG)
			return ret;
		if (!ret) {
			if (bits % 8)
				return -EINVAL;
			*off += bits / 8 + sub;
			return 0;
		}
	}
	return -ENOENT;
}

int kt_btf_member(const struct kt_btf *b, uint32_t id, const char *path, uint64_t *off, uint32_t *type,
		  char *missing, size_t mlen)
{
	unsigned budget = KT_BTF_MEMBER_BUDGET;
	uint64_t o = 0;
	uint32_t cur = id;

	if (missing && mlen)
		missing[0] = '\0';
	while (*path) {
		size_t n = strcspn(path, ".");
		int ret = find_member(b, cur, path, n, &o, &cur, 0, &budget);

		if (ret) {
			if (missing && mlen)
				snprintf(missing, mlen, "%.*s", (int)n, path);
			return ret;
		}
		path += n;
		if (*path == '.')
			path++;
	}
	*off = o;
	*type = cur;
	return 0;
}

const char *kt_btf_enum_name(const struct kt_btf *b, uint32_t id, int64_t val)
{
	const struct btf_type *t = type_at(b, kt_btf_resolve(b, id));

	if (!t)
		return NULL;
	if (KIND(t->info) == KT_BTF_ENUM) {
		const struct btf_enum *e = (const void *)(t + 1);

		for (uint32_t i = 0; i < VLEN(t->info); i++)
			if (e[i].val == val)
				return str_at(b, e[i].name_off);
	} else if (KIND(t->info) == KT_BTF_ENUM64) {
		const struct btf_enum64 *e = (const void *)(t + 1);

		for (uint32_t i = 0; i < VLEN(t->info); i++)
			if ((int64_t)((uint64_t)e[i].hi << 32 | e[i].lo) == val)
				return str_at(b, e[i].name_off);
	}
	return NULL;
}

int kt_btf_enum_value(const struct kt_btf *b, uint32_t id, const char *name, int64_t *val)
{
	const struct btf_type *t = type_at(b, kt_btf_resolve(b, id));

	if (!t)
		return -ENOENT;
	if (KIND(t->info) == KT_BTF_ENUM) {
		const struct btf_enum *e = (const void *)(t + 1);

		for (uint32_t i = 0; i < VLEN(t->info); i++) {
			const char *s = str_at(b, e[i].name_off);

			if (s && !strcmp(s, name)) {
				*val = e[i].val;
				return 0;
			}
		}
	} else if (KIND(t->info) == KT_BTF_ENUM64) {
		const struct btf_enum64 *e = (const void *)(t + 1);

		for (uint32_t i = 0; i < VLEN(t->info); i++) {
			const char *s = str_at(b, e[i].name_off);

			if (s && !strcmp(s, name)) {
				*val = (int64_t)((uint64_t)e[i].hi << 32 | e[i].lo);
				return 0;
			}
		}
	}
	return -ENOENT;
}

int kt_btf_datasec_var(const struct kt_btf *b, uint32_t id, const char *name, uint32_t *off, uint32_t *size,
		       uint32_t *type)
{
	const struct btf_type *t = type_at(b, kt_btf_resolve(b, id));
	const unsigned char *v;

	if (!t || KIND(t->info) != KT_BTF_DATASEC)
		return -EINVAL;
	v = (const unsigned char *)(t + 1);
	for (uint32_t i = 0; i < VLEN(t->info); i++) {
		uint32_t si[3]; /* struct btf_var_secinfo: type, offset, size */
		const struct btf_type *var;
		const char *s;

		memcpy(si, v + 12 * (size_t)i, sizeof(si));
		var = type_at(b, si[0]);
		s = var ? str_at(b, var->name_off) : NULL;
		if (var && KIND(var->info) == KT_BTF_VAR && s && !strcmp(s, name)) {
			*off = si[1];
			*size = si[2];
			*type = var->size_type;
			return 0;
		}
	}
	return -ENOENT;
}
