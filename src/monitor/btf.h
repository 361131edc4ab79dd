/* A reader of BTF, the kernel's compact type information (the .BTF
 * section of vmlinux, or /sys/kernel/btf/vmlinux): header, type section,
 * string section.  It answers what the host-side monitor needs — a named
 * struct's member offsets (through anonymous struct/union members), a
 * type's size, enum names — and nothing else: no writing, no dedup, no
 * split BTF, no foreign byte order.  Pure: parses a buffer it copies;
 * every offset and id read from the blob is bounds-checked. */
#ifndef KTSTR_MONITOR_BTF_H
#define KTSTR_MONITOR_BTF_H
#include <stddef.h>
#include <stdint.h>

#define KT_BTF_MAGIC 0xeB9F

/* Type kinds (the kernel's BTF_KIND_*). */
enum kt_btf_kind {
	KT_BTF_INT = 1, KT_BTF_PTR, KT_BTF_ARRAY, KT_BTF_STRUCT, KT_BTF_UNION, KT_BTF_ENUM, KT_BTF_FWD,
	KT_BTF_TYPEDEF, KT_BTF_VOLATILE, KT_BTF_CONST, KT_BTF_RESTRICT, KT_BTF_FUNC, KT_BTF_FUNC_PROTO,
	KT_BTF_VAR, KT_BTF_DATASEC, KT_BTF_FLOAT, KT_BTF_DECL_TAG, KT_BTF_TYPE_TAG, KT_BTF_ENUM64,
	KT_BTF_KIND_MAX = KT_BTF_ENUM64,
};

struct kt_btf;

/* Parse a raw BTF blob (copied).  0, or -EINVAL with a reason in err. */
int kt_btf_parse(const void *data, size_t len, struct kt_btf **out, char *err, size_t errlen);
void kt_btf_free(struct kt_btf *b);
/* Number of types (ids 1..n; 0 is void). */
uint32_t kt_btf_count(const struct kt_btf *b);
int kt_btf_kind(const struct kt_btf *b, uint32_t id);     /* -ENOENT for a bad id */
const char *kt_btf_name(const struct kt_btf *b, uint32_t id); /* "" if anonymous */

/* The id of the named type of that kind (STRUCT, UNION, ENUM, ENUM64,
 * TYPEDEF, ...), or -ENOENT. */
int64_t kt_btf_find(const struct kt_btf *b, const char *name, int kind);
/* id with typedef/const/volatile/restrict/type_tag peeled off. */
uint32_t kt_btf_resolve(const struct kt_btf *b, uint32_t id);
/* Size in bytes of a type (through modifiers; arrays: elements x size),
 * or -EINVAL for a type without one (void, func). */
int64_t kt_btf_size(const struct kt_btf *b, uint32_t id);

/* Resolve a dotted member path ("scx.local_dsq.nr") inside the struct or
 * union `id`: byte offset from its start and the member's type id.
 * Anonymous struct/union members are searched through, as C does.
 * -ENOENT (the missing component in `missing`), -EINVAL if a component
 * is a bitfield not on a byte boundary or the path walks into a
 * non-aggregate, -E2BIG when the search looked at more than
 * KT_BTF_MEMBER_BUDGET members (a real kernel's deepest path needs a few
 * hundred; a hostile blob could otherwise branch at every level).  The
 * offset is a 64-bit sum: nested members can reach past 4 GiB. */
#define KT_BTF_MEMBER_BUDGET 65536u
int kt_btf_member(const struct kt_btf *b, uint32_t id, const char *path, uint64_t *off, uint32_t *type,
		  char *missing, size_t mlen);

/* Enums (ENUM or ENUM64 `id`): the name of a value (NULL if none), the
 * value of a name (-ENOENT). */
const char *kt_btf_enum_name(const struct kt_btf *b, uint32_t id, int64_t val);
int kt_btf_enum_value(const struct kt_btf *b, uint32_t id, const char *name, int64_t *val);

/* A DATASEC `id` (a BPF object's .bss, .data, ...): offset, size and
 * type of its variable `name`.  -EINVAL if id is not a DATASEC, -ENOENT
 * if it has no such variable. */
int kt_btf_datasec_var(const struct kt_btf *b, uint32_t id, const char *name, uint32_t *off, uint32_t *size,
		       uint32_t *type);

#endif
