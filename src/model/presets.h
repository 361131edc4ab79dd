/* The gauntlet's named x86_64 topology presets (reference §4.14). */
#ifndef KTSTR_PRESETS_H
#define KTSTR_PRESETS_H
#include <stddef.h>

struct kt_preset {
	const char *name;
	const char *topo; /* "1n2l2c1t" */
	unsigned cpus, llcs, numa;
};

extern const struct kt_preset kt_presets[];
extern const size_t kt_npresets;
/* NULL if no preset has that name. */
const struct kt_preset *kt_preset_find(const char *name);

#endif
