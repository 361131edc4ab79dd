/* Unit tests for the pure builders of ktstr's KVM VMM (src/vm/kvm):
 * guest memory map, e820, bzImage parsing, boot_params, page tables,
 * APIC IDs and CPUID leaves, ACPI tables (checksums, contents and an
 * `iasl -d` round trip), the MP table and the 16550 UART model. */
#include "unit.h"
#include "vm/kvm/kvmm.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static uint8_t sum(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint8_t s = 0;

	while (n--)
		s += *b++;
	return s;
}

static uint32_t rd32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint64_t rd64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }

UNIT_TEST(vmm_memmap_splits_at_the_mmio_gap)
{
	static char a, b;
	struct vm_region r[2] = { { .off = 0, .size = 2048ull << 20, .host = &a },
				  { .off = 2048ull << 20, .size = 2048ull << 20, .host = &b } };
	struct kvmm_chunk c[KVMM_MAX_CHUNKS];
	int n = kt_vmm_memmap(r, 2, c, KVMM_MAX_CHUNKS);

	CHECK_EQ_INT(n, 3);
	CHECK_EQ_INT(c[0].gpa, 0);
	CHECK_EQ_INT(c[0].size, 2048ull << 20);
	CHECK_EQ_INT(c[0].node, 0);
	CHECK_EQ_INT(c[1].gpa, 2048ull << 20);
	CHECK_EQ_INT(c[1].size, 1024ull << 20);
	CHECK_EQ_INT(c[1].node, 1);
	CHECK_EQ_INT(c[2].gpa, 4096ull << 20);
	CHECK_EQ_INT(c[2].size, 1024ull << 20);
	CHECK(c[2].host == &b + (1024ull << 20));
	CHECK_EQ_INT(kt_vmm_low_ram_end(c, 3), KVMM_LOW_END);
	CHECK(kt_vmm_gpa_ptr(c, 3, 0x1000, 16) == &a + 0x1000);
	CHECK(kt_vmm_gpa_ptr(c, 3, KVMM_LOW_END, 1) == NULL); /* in the gap */
	CHECK_EQ_INT(kt_vmm_memmap(r, 2, c, 2), -EINVAL);
}

UNIT_TEST(vmm_e820_reserves_bios_area)
{
	struct kvmm_chunk c[3] = { { .gpa = 0, .size = 3ull << 30 }, { .gpa = 4ull << 30, .size = 1ull << 30 } };
	struct boot_e820_entry e[8];
	int n = kt_vmm_build_e820(c, 2, e, 8);

	CHECK_EQ_INT(n, 4);
	CHECK_EQ_INT(e[0].addr, 0);
	CHECK_EQ_INT(e[0].size, 0x9fc00);
	CHECK_EQ_INT(e[0].type, 1);
	CHECK_EQ_INT(e[1].addr, 0x9fc00);
	CHECK_EQ_INT(e[1].addr + e[1].size, 0x100000);
	CHECK_EQ_INT(e[1].type, 2);
	CHECK_EQ_INT(e[2].addr, 0x100000);
	CHECK_EQ_INT(e[2].addr + e[2].size, 3ull << 30);
	CHECK_EQ_INT(e[3].addr, 4ull << 30);
	CHECK_EQ_INT(e[3].type, 1);
	CHECK_EQ_INT(kt_vmm_build_e820(c, 2, e, 3), -ENOSPC);
}

/* A minimal image with a valid setup header. */
static uint8_t *fake_bzimage(size_t *len, uint16_t version, uint16_t xlf)
{
	size_t setup = 5 * 512, pm = 64 * 1024;
	uint8_t *b = calloc(1, setup + pm);
	uint32_t v32;
	uint16_t v16;

	b[0x1f1] = 4;
	v32 = (uint32_t)(pm / 16);
	memcpy(b + 0x1f4, &v32, 4);
	v16 = 0xaa55;
	memcpy(b + 0x1fe, &v16, 2);
	b[0x200] = 0xeb;
	b[0x201] = 0x6a; /* header ends at 0x26c */
	memcpy(b + 0x202, "HdrS", 4);
	memcpy(b + 0x206, &version, 2);
	b[0x211] = 0x01;
	v32 = 0x7fffffff;
	memcpy(b + 0x22c, &v32, 4);
	v32 = 2047;
	memcpy(b + 0x238, &v32, 4);
	memcpy(b + 0x236, &xlf, 2);
	v32 = 32u << 20;
	memcpy(b + 0x260, &v32, 4);
	*len = setup + pm;
	return b;
}

UNIT_TEST(vmm_bzimage_parse_and_bad_input)
{
	struct kvmm_kernel k;
	char err[256];
	size_t len;
	uint8_t *img = fake_bzimage(&len, 0x20f, 0x3);

	CHECK_EQ_INT(kt_vmm_parse_bzimage(img, len, &k, err, sizeof(err)), 0);
	CHECK_EQ_INT(k.setup_size, 5 * 512);
	CHECK_EQ_INT(k.pm_size, 64 * 1024);
	CHECK_EQ_INT(k.init_size, 32u << 20);
	CHECK_EQ_INT(k.cmdline_size, 2047);
	CHECK_EQ_INT(k.hdr_end, 0x26c);
	/* truncated: the header promises more code than there is */
	CHECK_EQ_INT(kt_vmm_parse_bzimage(img, len - 4096, &k, err, sizeof(err)), -ENOEXEC);
	CHECK(strstr(err, "truncated") != NULL);
	CHECK_EQ_INT(kt_vmm_parse_bzimage(img, 1000, &k, err, sizeof(err)), -ENOEXEC);
	/* not a kernel at all */
	CHECK_EQ_INT(kt_vmm_parse_bzimage("#!/bin/sh\necho hi\n", 18, &k, err, sizeof(err)), -ENOEXEC);
	CHECK(strstr(err, "not a bzImage") != NULL);
	free(img);
	img = fake_bzimage(&len, 0x20b, 0x3);
	CHECK_EQ_INT(kt_vmm_parse_bzimage(img, len, &k, err, sizeof(err)), -ENOEXEC);
	CHECK(strstr(err, "too old") != NULL);
	free(img);
	img = fake_bzimage(&len, 0x20f, 0x2);
	CHECK_EQ_INT(kt_vmm_parse_bzimage(img, len, &k, err, sizeof(err)), -ENOEXEC);
	CHECK(strstr(err, "64-bit") != NULL);
	free(img);
}

UNIT_TEST(vmm_boot_params_fields)
{
	struct boot_params *bp = calloc(1, sizeof(*bp));
	struct boot_e820_entry e[2] = { { 0, 0x9fc00, 1 }, { 0x100000, 0x3ff00000, 1 } };
	struct kvmm_boot_info bi = { .cmdline_gpa = KVMM_CMDLINE_GPA, .cmdline_len = 10, .initrd_gpa = 0x3f000000,
				     .initrd_size = 0x123456, .rsdp_gpa = KVMM_ACPI_GPA, .e820 = e, .ne820 = 2 };
	struct kvmm_kernel k;
	char err[128];
	size_t len;
	uint8_t *img = fake_bzimage(&len, 0x20f, 0x3);

	CHECK_EQ_INT(kt_vmm_parse_bzimage(img, len, &k, err, sizeof(err)), 0);
	kt_vmm_build_boot_params(bp, img, &k, &bi);
	CHECK_EQ_INT(bp->hdr.header, 0x53726448);
	CHECK_EQ_INT(bp->hdr.boot_flag, 0xaa55);
	CHECK_EQ_INT(bp->hdr.version, 0x20f);
	CHECK_EQ_INT(bp->hdr.type_of_loader, 0xff);
	CHECK(bp->hdr.loadflags & 0x01);
	CHECK_EQ_INT(bp->hdr.cmd_line_ptr, KVMM_CMDLINE_GPA);
	CHECK_EQ_INT(bp->hdr.ramdisk_image, 0x3f000000);
	CHECK_EQ_INT(bp->hdr.ramdisk_size, 0x123456);
	CHECK_EQ_INT(bp->acpi_rsdp_addr, KVMM_ACPI_GPA);
	CHECK_EQ_INT(bp->e820_entries, 2);
	CHECK_EQ_INT(bp->e820_table[1].addr, 0x100000);
	free(img);
	free(bp);
}

UNIT_TEST(vmm_initrd_placement)
{
	uint64_t end = 1ull << 30, g = kt_vmm_initrd_gpa(end, 0x7fffffff, 10u << 20);

	CHECK_EQ_INT(g, end - (10u << 20));
	CHECK_EQ_INT(g & 0xfff, 0);
	CHECK_EQ_INT(kt_vmm_initrd_gpa(3ull << 30, 0x7fffffff, 4096), 0x80000000ull - 4096);
	/* Must stay above the shared region: too big is refused. */
	CHECK_EQ_INT(kt_vmm_initrd_gpa(512ull << 20, 0x7fffffff, 300u << 20), 0);
	CHECK_EQ_INT(kt_vmm_initrd_gpa(512ull << 20, 0x7fffffff, (512ull << 20) - VM_SHM_GPA - VM_SHM_SIZE),
		     VM_SHM_GPA + VM_SHM_SIZE);
}

UNIT_TEST(vmm_page_tables_and_gdt)
{
	char *low = calloc(1, 1 << 20);
	uint64_t *pml4 = (uint64_t *)(low + KVMM_PML4_GPA), *pdpt = (uint64_t *)(low + KVMM_PDPT_GPA);
	uint64_t *pd = (uint64_t *)(low + KVMM_PD_GPA), gdt[5];

	kt_vmm_build_page_tables(low);
	kt_vmm_build_gdt(low);
	CHECK_EQ_INT(pml4[0], KVMM_PDPT_GPA | 3);
	CHECK_EQ_INT(pdpt[3], (KVMM_PD_GPA + 3 * 4096) | 3);
	CHECK_EQ_INT(pd[0], 0x83);
	CHECK_EQ_INT(pd[2047], (2047ull << 21) | 0x83); /* last 2 MiB below 4 GiB */
	memcpy(gdt, low + KVMM_GDT_GPA, sizeof(gdt));
	CHECK_EQ_INT(gdt[2], 0x00af9b000000ffffull); /* __BOOT_CS: long mode */
	CHECK_EQ_INT(gdt[3], 0x00cf93000000ffffull);
	free(low);
}

UNIT_TEST(vmm_apic_ids)
{
	struct ktstr_topo t = { .numa_nodes = 1, .llcs = 2, .cores = 3, .threads = 2 };

	CHECK_EQ_INT(kt_vmm_bits(1), 0);
	CHECK_EQ_INT(kt_vmm_bits(2), 1);
	CHECK_EQ_INT(kt_vmm_bits(3), 2);
	CHECK_EQ_INT(kt_vmm_bits(63), 6);
	CHECK_EQ_INT(kt_vmm_apic_id(&t, 0), 0);
	CHECK_EQ_INT(kt_vmm_apic_id(&t, 1), 1);  /* SMT sibling */
	CHECK_EQ_INT(kt_vmm_apic_id(&t, 2), 2);  /* core 1 */
	CHECK_EQ_INT(kt_vmm_apic_id(&t, 5), 5);  /* core 2 thread 1 */
	CHECK_EQ_INT(kt_vmm_apic_id(&t, 6), 8);  /* LLC 1 starts at 1 << 3 */
	CHECK_EQ_INT(kt_vmm_apic_id(&t, 11), 13);
	t = (struct ktstr_topo){ .numa_nodes = 1, .llcs = 4, .cores = 63, .threads = 1 }; /* 252 CPUs */
	CHECK_EQ_INT(kt_vmm_apic_id(&t, 251), 3 << 6 | 62);
}

static unsigned fake_supported(struct kvm_cpuid_entry2 *e, bool amd)
{
	unsigned n = 0;

	memset(e, 0, 16 * sizeof(*e));
	e[n++] = (struct kvm_cpuid_entry2){ .function = 0, .eax = 0xd,
					    .ebx = amd ? 0x68747541 : 0x756e6547,
					    .edx = amd ? 0x69746e65 : 0x49656e69,
					    .ecx = amd ? 0x444d4163 : 0x6c65746e };
	e[n++] = (struct kvm_cpuid_entry2){ .function = 1, .eax = 0x800f12, .ebx = 0x00010800, .ecx = 0x20 /* VMX */ };
	e[n++] = (struct kvm_cpuid_entry2){ .function = 0xb, .index = 0, .flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX,
					    .eax = 9 };
	e[n++] = (struct kvm_cpuid_entry2){ .function = 0xa, .eax = 0x12345 };
	e[n++] = (struct kvm_cpuid_entry2){ .function = 0x80000000, .eax = 0x80000008 };
	e[n++] = (struct kvm_cpuid_entry2){ .function = 0x80000001, .ecx = 0x1 | 0x4 /* SVM */ };
	e[n++] = (struct kvm_cpuid_entry2){ .function = 0x8000000a, .eax = 1, .ebx = 8 };
	e[n++] = (struct kvm_cpuid_entry2){ .function = 0x80000008, .eax = 0x3030, .ecx = 0x7007 };
	return n;
}

UNIT_TEST(vmm_cpuid_amd_topology_leaves)
{
	struct kvm_cpuid_entry2 in[16], out[64];
	struct ktstr_topo t = { .numa_nodes = 2, .llcs = 4, .cores = 2, .threads = 2 };
	unsigned nin = fake_supported(in, true);
	int n = kt_vmm_cpuid_build(in, nin, out, 64, &t, 13); /* LLC 3, core 0, thread 1 */
	const struct kvm_cpuid_entry2 *e;

	CHECK(n > 0);
	CHECK_EQ_INT(kt_vmm_cpuid_vendor(in, nin), KVMM_VENDOR_AMD);
	CHECK_EQ_INT(kt_vmm_apic_id(&t, 13), 13);
	e = kt_vmm_cpuid_find(out, (unsigned)n, 1, 0);
	CHECK_EQ_INT(e->ebx >> 24, 13);
	CHECK_EQ_INT((e->ebx >> 16) & 0xff, 4);
	CHECK(e->edx & (1u << 28));
	CHECK(e->ecx & (1u << 31));
	e = kt_vmm_cpuid_find(out, (unsigned)n, 0xb, 0);
	CHECK_EQ_INT(e->eax, 1);
	CHECK_EQ_INT(e->ebx, 2);
	CHECK_EQ_INT(e->ecx, 0x100);
	CHECK_EQ_INT(e->edx, 13);
	e = kt_vmm_cpuid_find(out, (unsigned)n, 0xb, 1);
	CHECK_EQ_INT(e->eax, 2);
	CHECK_EQ_INT(e->ebx, 4);
	CHECK_EQ_INT(e->ecx, 0x201);
	e = kt_vmm_cpuid_find(out, (unsigned)n, 0xb, 2);
	CHECK_EQ_INT(e->ecx & 0xff00, 0);
	CHECK(kt_vmm_cpuid_find(out, (unsigned)n, 0x1f, 1) != NULL);
	CHECK(kt_vmm_cpuid_find(out, (unsigned)n, 0xa, 0) == NULL); /* no PMU */
	e = kt_vmm_cpuid_find(out, (unsigned)n, 0x80000000, 0);
	CHECK_EQ_INT(e->eax, 0x8000001e);
	e = kt_vmm_cpuid_find(out, (unsigned)n, 0x80000001, 0);
	CHECK(e->ecx & (1u << 22)); /* TopologyExtensions */
	CHECK(e->ecx & (1u << 1));  /* CmpLegacy */
	CHECK(!(e->ecx & (1u << 2))); /* SVM hidden */
	CHECK(kt_vmm_cpuid_find(out, (unsigned)n, 0x8000000a, 0) == NULL);
	CHECK(!(kt_vmm_cpuid_find(out, (unsigned)n, 1, 0)->ecx & (1u << 5))); /* VMX hidden */
	e = kt_vmm_cpuid_find(out, (unsigned)n, 0x80000008, 0);
	CHECK_EQ_INT(e->ecx & 0xff, 3);
	CHECK_EQ_INT((e->ecx >> 12) & 0xf, 2);
	e = kt_vmm_cpuid_find(out, (unsigned)n, 0x8000001d, 3); /* L3 */
	CHECK_EQ_INT((e->eax >> 5) & 7, 3);
	CHECK_EQ_INT(((e->eax >> 14) & 0xfff) + 1, 4);
	e = kt_vmm_cpuid_find(out, (unsigned)n, 0x8000001d, 2); /* L2: per core */
	CHECK_EQ_INT(((e->eax >> 14) & 0xfff) + 1, 2);
	CHECK_EQ_INT(kt_vmm_cpuid_find(out, (unsigned)n, 0x8000001d, 4)->eax & 0x1f, 0); /* end */
	e = kt_vmm_cpuid_find(out, (unsigned)n, 0x8000001e, 0);
	CHECK_EQ_INT(e->eax, 13);
	CHECK_EQ_INT((e->ebx >> 8) & 0xff, 1);
	CHECK_EQ_INT(e->ecx & 0xff, 3); /* node id = global LLC */
	CHECK_EQ_INT(kt_vmm_cpuid_build(in, nin, out, 8, &t, 0), -ENOSPC);
}

UNIT_TEST(vmm_cpuid_intel_leaf4)
{
	struct kvm_cpuid_entry2 in[16], out[64];
	struct ktstr_topo t = { .numa_nodes = 1, .llcs = 2, .cores = 4, .threads = 1 };
	unsigned nin = fake_supported(in, false);
	int n = kt_vmm_cpuid_build(in, nin, out, 64, &t, 5);
	const struct kvm_cpuid_entry2 *e;

	CHECK(n > 0);
	CHECK_EQ_INT(kt_vmm_cpuid_find(out, (unsigned)n, 0, 0)->eax, 0x1f);
	e = kt_vmm_cpuid_find(out, (unsigned)n, 4, 3);
	CHECK_EQ_INT(((e->eax >> 14) & 0xfff) + 1, 4); /* L3 shared by the LLC's 4 cores */
	CHECK_EQ_INT(((e->eax >> 26) & 0x3f) + 1, 4);
	CHECK_EQ_INT(kt_vmm_cpuid_find(out, (unsigned)n, 1, 0)->ebx >> 24, 5);
	CHECK(kt_vmm_cpuid_find(out, (unsigned)n, 0x8000001e, 0) == NULL);
	e = kt_vmm_cpuid_find(out, (unsigned)n, 0x1f, 1);
	CHECK_EQ_INT(e->eax, 2);
	CHECK_EQ_INT(e->edx, 5);
}

/* 4 CPUs, 2 nodes; returns the blob (caller frees). */
static uint8_t *build_acpi(size_t *used, struct kvmm_chunk *mem)
{
	static const uint32_t apic[4] = { 0, 1, 2, 3 };
	static const unsigned node[4] = { 0, 0, 1, 1 };
	struct kvmm_acpi_cfg cfg = { .ncpus = 4, .apic_ids = apic, .cpu_node = node, .nnodes = 2, .mem = mem,
				     .nmem = 2 };
	uint8_t *buf = calloc(1, KVMM_ACPI_SIZE);

	mem[0] = (struct kvmm_chunk){ .gpa = 0, .size = 512u << 20, .node = 0 };
	mem[1] = (struct kvmm_chunk){ .gpa = 512u << 20, .size = 512u << 20, .node = 1 };
	*used = kt_vmm_acpi_build(buf, KVMM_ACPI_SIZE, KVMM_ACPI_GPA, &cfg);
	return buf;
}

static const uint8_t *table(const uint8_t *buf, uint64_t gpa)
{
	return buf + (gpa - KVMM_ACPI_GPA);
}

static uint16_t rd16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }

/* HMAT of build_acpi()'s 2 nodes, both with CPUs and memory. */
static void check_hmat(const uint8_t *h)
{
	const uint8_t *p = h + 40, *end = h + rd32(h + 4);
	unsigned nprox = 0, nlat = 0, nbw = 0;

	CHECK_EQ_INT(h[8], 2); /* revision */
	while (p + 8 <= end && rd32(p + 4) >= 8 && p + rd32(p + 4) <= end) {
		if (rd16(p) == 0) {
			CHECK_EQ_INT(rd32(p + 4), 40);
			CHECK_EQ_INT(rd16(p + 8) & 1, 1);          /* initiator valid */
			CHECK_EQ_INT(rd32(p + 12), rd32(p + 16));  /* node's own CPUs */
			CHECK_EQ_INT(rd32(p + 16), nprox);
			nprox++;
		} else if (rd16(p) == 1) {
			const uint8_t *e = p + 32 + 4 * 2 + 4 * 2;  /* 2 initiators, 2 targets */
			bool bw = p[9] == 3;

			CHECK(p[9] == 0 || p[9] == 3);
			CHECK_EQ_INT(rd32(p + 4), 32 + 8 + 8 + 8);
			CHECK_EQ_INT(rd32(p + 12), 2);
			CHECK_EQ_INT(rd32(p + 16), 2);
			CHECK_EQ_INT(rd32(p + 32 + 4), 1);            /* second initiator: node 1 */
			CHECK_EQ_INT(rd64(p + 24), bw ? 1 : 1000);
			/* [0][0] local, [0][1] remote: twice the latency, half the bandwidth */
			CHECK_EQ_INT(rd16(e), bw ? KVMM_HMAT_LOCAL_MBPS : KVMM_HMAT_LOCAL_NS);
			CHECK_EQ_INT(rd16(e + 2), bw ? KVMM_HMAT_LOCAL_MBPS / 2 : 2 * KVMM_HMAT_LOCAL_NS);
			CHECK_EQ_INT(rd16(e + 4), rd16(e + 2));
			CHECK_EQ_INT(rd16(e + 6), rd16(e));
			nlat += !bw;
			nbw += bw;
		}
		p += rd32(p + 4);
	}
	CHECK(p == end);
	CHECK_EQ_INT(nprox, 2);
	CHECK_EQ_INT(nlat, 1);
	CHECK_EQ_INT(nbw, 1);
}

UNIT_TEST(vmm_acpi_tables_checksums_and_content)
{
	struct kvmm_chunk mem[2];
	size_t used;
	uint8_t *buf = build_acpi(&used, mem);
	const uint8_t *xsdt, *fadt, *dsdt, *madt = NULL, *srat = NULL, *slit = NULL, *hmat = NULL;
	unsigned nent, lapics = 0;

	CHECK(used > 0 && used < KVMM_ACPI_SIZE);
	CHECK(!memcmp(buf, "RSD PTR ", 8));
	CHECK_EQ_INT(sum(buf, 20), 0);
	CHECK_EQ_INT(sum(buf, 36), 0);
	CHECK_EQ_INT(buf[15], 2);
	xsdt = table(buf, rd64(buf + 24));
	CHECK(!memcmp(xsdt, "XSDT", 4));
	CHECK_EQ_INT(sum(xsdt, rd32(xsdt + 4)), 0);
	CHECK_EQ_INT(sum(table(buf, rd32(buf + 16)), rd32(table(buf, rd32(buf + 16)) + 4)), 0); /* RSDT */
	nent = (rd32(xsdt + 4) - 36) / 8;
	CHECK_EQ_INT(nent, 5);
	for (unsigned i = 0; i < nent; i++) {
		const uint8_t *t = table(buf, rd64(xsdt + 36 + 8 * i));

		CHECK_EQ_INT(sum(t, rd32(t + 4)), 0);
		if (!memcmp(t, "APIC", 4))
			madt = t;
		else if (!memcmp(t, "SRAT", 4))
			srat = t;
		else if (!memcmp(t, "SLIT", 4))
			slit = t;
		else if (!memcmp(t, "HMAT", 4))
			hmat = t;
	}
	fadt = table(buf, rd64(xsdt + 36));
	CHECK(!memcmp(fadt, "FACP", 4));
	CHECK_EQ_INT(rd32(fadt + 4), 276);
	CHECK_EQ_INT(rd32(fadt + 64), KVMM_PORT_PM1A_CNT);
	dsdt = table(buf, rd64(fadt + 140));
	CHECK_EQ_INT(rd32(fadt + 40), rd64(fadt + 140));
	CHECK(!memcmp(dsdt, "DSDT", 4));
	CHECK_EQ_INT(sum(dsdt, rd32(dsdt + 4)), 0);
	CHECK(memmem(dsdt, rd32(dsdt + 4), "_S5_", 4) != NULL);
	CHECK(memmem(dsdt, rd32(dsdt + 4), "QEMU0001", 8) != NULL);
	CHECK(!memcmp(table(buf, rd64(fadt + 132)), "FACS", 4));
	CHECK(madt && srat && slit);
	if (madt)
		for (const uint8_t *p = madt + 44; p < madt + rd32(madt + 4); p += p[1])
			lapics += p[0] == 0 && (p[4] & 1);
	CHECK_EQ_INT(lapics, 4);
	if (srat) {
		CHECK_EQ_INT(srat[48 + 2 * 16 + 2], 1); /* CPU 2 -> node 1 */
		CHECK_EQ_INT(rd32(srat + 48 + 4 * 16 + 40 + 8), 512u << 20); /* node 1 memory base */
	}
	if (slit) {
		CHECK_EQ_INT(rd64(slit + 36), 2);
		CHECK_EQ_INT(slit[44], 10);
		CHECK_EQ_INT(slit[45], 20);
	}
	CHECK(hmat != NULL);
	if (hmat)
		check_hmat(hmat);
	CHECK_EQ_INT(kt_vmm_acpi_build(buf, 200, KVMM_ACPI_GPA,
				     &(struct kvmm_acpi_cfg){ .ncpus = 1, .apic_ids = (uint32_t[]){ 0 },
							      .cpu_node = (unsigned[]){ 0 }, .nnodes = 1, .mem = mem,
							      .nmem = 1 }),
		     0);
	free(buf);
}

static void check_recompiles(const char *dir, const uint8_t *t)
{
	char cmd[512], path[128];
	struct kbuf aml = { 0 };
	uint32_t len = rd32(t + 4);

	snprintf(cmd, sizeof(cmd), "cd %s && iasl %.4s.dsl > %.4s.rt.log 2>&1 || cat %.4s.rt.log", dir,
		 (const char *)t, (const char *)t, (const char *)t);
	CHECK_EQ_INT(system(cmd), 0);
	snprintf(path, sizeof(path), "%s/%.4s.aml", dir, (const char *)t);
	CHECK_EQ_INT(kt_read_file(path, &aml), 0);
	CHECK_EQ_INT(aml.len, len);
	for (size_t i = 0; aml.len == len && i < len; i++) {
		if (i == 9 || (i >= 28 && i < 36) || aml.data[i] == (char)t[i])
			continue;
		printf("    # %.4s: byte %zu recompiles as 0x%02x, built 0x%02x\n", (const char *)t, i,
		       (uint8_t)aml.data[i], t[i]);
		CHECK(false);
		break;
	}
	kt_kbuf_free(&aml);
}

/* Every table through `iasl -d`: it must disassemble without errors. */
UNIT_TEST(vmm_acpi_iasl_disassembles)
{
	struct kvmm_chunk mem[2];
	size_t used;
	uint8_t *buf = build_acpi(&used, mem);
	char dir[] = "/tmp/ktstr-acpi-XXXXXX", cmd[512];
	const uint8_t *xsdt = table(buf, rd64(buf + 24)), *fadt = table(buf, rd64(xsdt + 36));
	const uint8_t *tabs[8];
	unsigned nt = 0;
	int st;

	if (system("command -v iasl >/dev/null 2>&1")) {
		printf("    # iasl not installed (acpica-tools): disassembly check skipped\n");
		free(buf);
		return;
	}
	CHECK(mkdtemp(dir) != NULL);
	for (unsigned i = 0; i < (rd32(xsdt + 4) - 36) / 8; i++)
		tabs[nt++] = table(buf, rd64(xsdt + 36 + 8 * i));
	tabs[nt++] = xsdt;
	tabs[nt++] = table(buf, rd64(fadt + 140)); /* DSDT */
	tabs[nt++] = table(buf, rd64(fadt + 132)); /* FACS */
	for (unsigned i = 0; i < nt; i++) {
		char path[128];
		FILE *f;

		snprintf(path, sizeof(path), "%s/%.4s.dat", dir, (const char *)tabs[i]);
		f = fopen(path, "wb");
		CHECK(f != NULL);
		if (!f)
			continue;
		fwrite(tabs[i], 1, rd32(tabs[i] + 4), f);
		fclose(f);
	}
	snprintf(cmd, sizeof(cmd),
		 "cd %s && for t in *.dat; do iasl -d $t > $t.log 2>&1 || { cat $t.log; exit 1; }; "
		 "grep -qi 'error' ${t%%.dat}.dsl $t.log && { cat $t.log; exit 2; }; done; exit 0",
		 dir);
	st = system(cmd);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	snprintf(cmd, sizeof(cmd), "test -s %s/DSDT.dsl && grep -q '_S5' %s/DSDT.dsl && grep -q QEMU0001 %s/DSDT.dsl",
		 dir, dir, dir);
	CHECK_EQ_INT(system(cmd), 0);
	snprintf(cmd, sizeof(cmd), "grep -q 'System Locality Latency' %s/HMAT.dsl && grep -q 'Data Type : 03' %s/HMAT.dsl",
		 dir, dir);
	CHECK_EQ_INT(system(cmd), 0);
	/* Round trip: each data table's disassembly compiles back to the
	 * same bytes (iasl puts its own compiler id and checksum). */
	for (unsigned i = 0; i < nt; i++)
		if (memcmp(tabs[i], "DSDT", 4)) /* AML recompiles to different encodings */
			check_recompiles(dir, tabs[i]);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	CHECK_EQ_INT(system(cmd), 0);
	free(buf);
}

UNIT_TEST(vmm_mptable)
{
	uint32_t apic[3] = { 0, 1, 4 };
	uint8_t buf[1024];
	size_t n = kt_vmm_mptable_build(buf, sizeof(buf), KVMM_MPTABLE_GPA, 3, apic);
	const uint8_t *cfg = buf + 16;
	uint16_t len, count;

	CHECK(n > 0);
	CHECK(!memcmp(buf, "_MP_", 4));
	CHECK_EQ_INT(sum(buf, 16), 0);
	CHECK_EQ_INT(rd32(buf + 4), KVMM_MPTABLE_GPA + 16);
	CHECK(!memcmp(cfg, "PCMP", 4));
	memcpy(&len, cfg + 4, 2);
	memcpy(&count, cfg + 34, 2);
	CHECK_EQ_INT(len + 16, n);
	CHECK_EQ_INT(sum(cfg, len), 0);
	CHECK_EQ_INT(count, 3 + 1 + 1 + 16 + 2);
	CHECK_EQ_INT(cfg[44], 0);          /* processor */
	CHECK_EQ_INT(cfg[44 + 3], 3);      /* enabled | BSP */
	CHECK_EQ_INT(cfg[44 + 40 + 1], 4); /* third CPU's APIC ID */
	CHECK_EQ_INT(cfg[44 + 40 + 3], 1);
	CHECK_EQ_INT(kt_vmm_mptable_build(buf, 100, KVMM_MPTABLE_GPA, 3, apic), 0);
}

struct uart_log {
	char out[64];
	size_t n;
	int irq_changes;
	bool level;
};

static void log_tx(void *arg, uint8_t ch)
{
	struct uart_log *l = arg;

	if (l->n < sizeof(l->out) - 1)
		l->out[l->n++] = (char)ch;
}

static void log_irq(void *arg, bool level)
{
	struct uart_log *l = arg;

	l->level = level;
	l->irq_changes++;
}

UNIT_TEST(vmm_uart_16550)
{
	struct kvmm_uart u;
	struct uart_log l = { .n = 0 };

	kt_vmm_uart_init(&u, log_tx, log_irq, &l);
	CHECK_EQ_INT(kt_vmm_uart_in(&u, 5), 0x60); /* THRE | TEMT */
	CHECK_EQ_INT(kt_vmm_uart_in(&u, 2), 0x01); /* no interrupt */
	/* The 8250 probe: IER keeps 4 bits, scratch works, loopback MSR. */
	kt_vmm_uart_out(&u, 1, 0xff);
	CHECK_EQ_INT(kt_vmm_uart_in(&u, 1), 0x0f);
	kt_vmm_uart_out(&u, 1, 0);
	kt_vmm_uart_in(&u, 2);
	kt_vmm_uart_out(&u, 7, 0xa5);
	CHECK_EQ_INT(kt_vmm_uart_in(&u, 7), 0xa5);
	kt_vmm_uart_out(&u, 4, 0x10 | 0x0a);
	CHECK_EQ_INT(kt_vmm_uart_in(&u, 6) & 0xf0, 0x90);
	kt_vmm_uart_out(&u, 4, 0x0b);
	kt_vmm_uart_out(&u, 2, 0x01);
	CHECK_EQ_INT(kt_vmm_uart_in(&u, 2) & 0xc0, 0xc0); /* 16550A FIFO */
	/* Divisor latch does not transmit. */
	kt_vmm_uart_out(&u, 3, 0x83);
	kt_vmm_uart_out(&u, 0, 0x01);
	CHECK_EQ_INT(kt_vmm_uart_in(&u, 0), 0x01);
	kt_vmm_uart_out(&u, 3, 0x03);
	CHECK_EQ_INT(l.n, 0);
	/* Transmit without interrupts. */
	l.irq_changes = 0;
	kt_vmm_uart_out(&u, 0, 'h');
	kt_vmm_uart_out(&u, 0, 'i');
	CHECK_EQ_INT(l.n, 2);
	CHECK(!memcmp(l.out, "hi", 2));
	CHECK_EQ_INT(l.irq_changes, 0);
	/* Enabling THRI with THR empty raises the line; IIR acknowledges. */
	kt_vmm_uart_out(&u, 1, 0x02);
	CHECK(l.level);
	CHECK_EQ_INT(kt_vmm_uart_in(&u, 2), 0xc2);
	CHECK(!l.level);
	CHECK_EQ_INT(kt_vmm_uart_in(&u, 2), 0xc1);
	kt_vmm_uart_out(&u, 0, '!');
	CHECK(l.level);
	kt_vmm_uart_out(&u, 1, 0x00); /* masking drops the line */
	CHECK(!l.level);
}
