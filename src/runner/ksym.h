/* Symbols of the guest kernel image (vmlinux) through libelf, and the
 * guest-physical address of a kernel data symbol with KASLR off. */
#ifndef KTSTR_KSYM_H
#define KTSTR_KSYM_H
#include <stddef.h>
#include <stdint.h>

#define KT_START_KERNEL_MAP 0xffffffff80000000ull

/* Looks up each names[i] in the ELF symbol table of path; addrs[i] = 0
 * when absent.  Returns the number found, or -errno. */
int kt_ksym_lookup(const char *path, const char *const *names, uint64_t *addrs, size_t n);
/* Kernel-text/data virtual address to guest physical (nokaslr, phys_base 0). */
static inline uint64_t ksym_phys(uint64_t vaddr)
{
	return vaddr >= KT_START_KERNEL_MAP ? vaddr - KT_START_KERNEL_MAP : 0;
}

#endif
