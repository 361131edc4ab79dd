/* Guest RAM as the guest sees it (issue 16, finding 7): each backend
 * exports its machine's guest-physical map of the nodes' memory, and
 * kt_vm_read_phys()/kt_vm_write_phys() use it.  QEMU's q35 puts RAM past
 * 2 GiB at 4 GiB once there are 2816 MiB or more; our VMM moves what
 * would fall in [3 GiB, 4 GiB) above 4 GiB. */
#include "unit.h"
#include "vm/backend.h"

#include <errno.h>
#include <sys/mman.h>

#define MiB (1ull << 20)
#define GiB (1ull << 30)

/* n equal nodes of total MiB, laid out back to back; hosts are fake. */
static int map(const struct vm_backend_ops *ops, unsigned n, uint64_t total_mb, struct vm_ram_range *out)
{
	struct vm_region r[VM_MAX_NODES];

	for (unsigned i = 0; i < n; i++)
		r[i] = (struct vm_region){ .off = i * (total_mb / n) * MiB, .size = (total_mb / n) * MiB, .fd = -1,
					   .host = (char *)0x100000000000ull + i * (total_mb / n) * MiB };
	return ops->ram_map(r, n, out, VM_MAX_RAM_RANGES);
}

/* Expected maps: gpa, size, offset of the host pointer, node (MiB). */
static const struct {
	const struct vm_backend_ops *ops;
	unsigned nodes, total_mb;
	int n;
	uint64_t r[3][4];
} maps[] = {
	/* q35 below 2816 MiB: all of it at 0. */
	{ &kt_vm_qemu_ops, 1, 2048, 1, { { 0, 2048, 0, 0 } } },
	{ &kt_vm_qemu_ops, 1, 2815, 1, { { 0, 2815, 0, 0 } } },
	/* 2816 MiB and more: 2 GiB at 0, the rest at 4 GiB. */
	{ &kt_vm_qemu_ops, 1, 2816, 2, { { 0, 2048, 0, 0 }, { 4096, 768, 2048, 0 } } },
	{ &kt_vm_qemu_ops, 1, 4096, 2, { { 0, 2048, 0, 0 }, { 4096, 2048, 2048, 0 } } },
	/* Two nodes of 2 GiB: node 1 entirely at 4 GiB; of 1.5 GiB: it straddles. */
	{ &kt_vm_qemu_ops, 2, 4096, 2, { { 0, 2048, 0, 0 }, { 4096, 2048, 2048, 1 } } },
	{ &kt_vm_qemu_ops, 2, 3072, 3, { { 0, 1536, 0, 0 }, { 1536, 512, 1536, 1 }, { 4096, 1024, 2048, 1 } } },
	/* Our VMM: [3 GiB, 4 GiB) moves above 4 GiB. */
	{ &kt_vm_kvm_ops, 1, 3072, 1, { { 0, 3072, 0, 0 } } },
	{ &kt_vm_kvm_ops, 1, 4096, 2, { { 0, 3072, 0, 0 }, { 4096, 1024, 3072, 0 } } },
	{ &kt_vm_kvm_ops, 2, 4096, 3, { { 0, 2048, 0, 0 }, { 2048, 1024, 2048, 1 }, { 4096, 1024, 3072, 1 } } },
};

UNIT_TEST(ram_map_both_backends)
{
	for (size_t t = 0; t < ARRAY_SIZE(maps); t++) {
		struct vm_ram_range m[VM_MAX_RAM_RANGES];
		int n = map(maps[t].ops, maps[t].nodes, maps[t].total_mb, m);

		CHECK_EQ_INT(n, maps[t].n);
		for (int i = 0; i < n && i < maps[t].n; i++) {
			CHECK_EQ_INT(m[i].gpa, maps[t].r[i][0] * MiB);
			CHECK_EQ_INT(m[i].size, maps[t].r[i][1] * MiB);
			CHECK_EQ_INT((uint64_t)(uintptr_t)m[i].host - 0x100000000000ull, maps[t].r[i][2] * MiB);
			CHECK_EQ_INT(m[i].node, maps[t].r[i][3]);
		}
		if (unit_failures) {
			fprintf(stderr, "    map %zu: %s, %u nodes, %u MiB\n", t, maps[t].ops->name, maps[t].nodes,
				maps[t].total_mb);
			break;
		}
	}
}

/* kt_vm_read_phys/kt_vm_write_phys over a 4 GiB q35 guest: the page at
 * RAM offset 3 GiB is guest-physical 5 GiB, and 3 GiB is the hole. */
UNIT_TEST(ram_map_phys_access_4g)
{
	struct vm vm = { .nregions = 1 };
	char *ram = mmap(NULL, 4 * GiB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	uint64_t v = 0, mark = 0x6b7473747261616dull;
	int n;

	if (ram == MAP_FAILED) {
		unit_fail(__FILE__, __LINE__, "mmap 4 GiB (MAP_NORESERVE) failed");
		return;
	}
	vm.regions[0] = (struct vm_region){ .off = 0, .size = 4 * GiB, .fd = -1, .host = ram };
	n = kt_vm_qemu_ops.ram_map(vm.regions, 1, vm.ram, VM_MAX_RAM_RANGES);
	CHECK_EQ_INT(n, 2);
	vm.nram = n > 0 ? (unsigned)n : 0;
	memcpy(ram + 3 * GiB, &mark, sizeof(mark));
	CHECK_EQ_INT(kt_vm_read_phys(&vm, 5 * GiB, &v, sizeof(v)), 0);
	CHECK_EQ_INT(v, mark);
	CHECK_EQ_INT(kt_vm_read_phys(&vm, 3 * GiB, &v, sizeof(v)), -EFAULT); /* the hole below 4 GiB */
	CHECK_EQ_INT(kt_vm_read_phys(&vm, 2 * GiB - 4, &v, sizeof(v)), -EFAULT); /* runs into it */
	CHECK_EQ_INT(kt_vm_read_phys(&vm, 6 * GiB - 4, &v, sizeof(v)), -EFAULT); /* past the end */
	v = 42;
	CHECK_EQ_INT(kt_vm_write_phys(&vm, 4 * GiB, &v, sizeof(v)), 0);
	CHECK(!memcmp(ram + 2 * GiB, &v, sizeof(v)));
	/* A read may run from one range into the next when they touch. */
	vm.ram[1].gpa = 2 * GiB;
	memcpy(ram + 2 * GiB - 4, "abcd", 4);
	memcpy(ram + 2 * GiB, "efgh", 4);
	CHECK_EQ_INT(kt_vm_read_phys(&vm, 2 * GiB - 4, &v, sizeof(v)), 0);
	CHECK(!memcmp(&v, "abcdefgh", 8));
	munmap(ram, 4 * GiB);
}
