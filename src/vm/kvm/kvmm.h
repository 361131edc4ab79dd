/* ktstr's own KVM VMM for x86_64 (internal).  The pure builders (memory
 * map, e820, boot_params, page tables, CPUID leaves, ACPI tables, MP
 * table, 16550 UART) work over caller-provided buffers so they can be
 * unit-tested without /dev/kvm; kvm.c wires them to the KVM API.
 *
 * Guest-physical layout (low memory):
 *   0x00500  GDT          0x07000  boot_params   0x08ff0  boot stack
 *   0x09000  PML4, 0x0a000 PDPT, 0x0b000-0x0efff PDs (identity 4 GiB)
 *   0x20000  kernel command line
 *   0x9fc00  MP table (reserved up to 1 MiB)
 *   0xe0000  ACPI: RSDP, then the tables
 *   0x100000 bzImage protected-mode code (decompresses to 16 MiB)
 *   VM_SHM_GPA the shared region (reserved by memmap= on the cmdline)
 *   initrd   at the top of low RAM, above the shared region */
#ifndef KTSTR_VM_KVM_KVMM_H
#define KTSTR_VM_KVM_KVMM_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <asm/bootparam.h>
#include <linux/kvm.h>
#include <ktstr/topology.h>
#include "vm/backend.h"

#define KVMM_GDT_GPA 0x500ull
#define KVMM_IDT_GPA 0x530ull
#define KVMM_BOOT_PARAMS_GPA 0x7000ull
#define KVMM_STACK_GPA 0x8ff0ull
#define KVMM_PML4_GPA 0x9000ull
#define KVMM_PDPT_GPA 0xa000ull
#define KVMM_PD_GPA 0xb000ull /* four pages */
#define KVMM_CMDLINE_GPA 0x20000ull
#define KVMM_CMDLINE_MAX 4096u
#define KVMM_MPTABLE_GPA 0x9fc00ull
#define KVMM_ACPI_GPA 0xe0000ull
#define KVMM_ACPI_SIZE 0x20000u
#define KVMM_KERNEL_GPA 0x100000ull
#define KVMM_KERNEL_RUN_GPA 0x1000000ull /* where the decompressor runs */
#define KVMM_LOW_END 0xc0000000ull      /* 3 GiB: the MMIO gap starts */
#define KVMM_HIGH_START 0x100000000ull
#define KVMM_IOAPIC_GPA 0xfec00000u
#define KVMM_LAPIC_GPA 0xfee00000u
#define KVMM_MAX_VCPUS 252u
#define KVMM_MAX_APIC_ID 254u

/* I/O ports the VMM emulates. */
#define KVMM_PORT_COM1 0x3f8
#define KVMM_PORT_COM2 0x2f8
#define KVMM_IRQ_COM1 4
#define KVMM_IRQ_COM2 3
#define KVMM_PORT_I8042 0x64
#define KVMM_PORT_PVPANIC 0x505
#define KVMM_PORT_PM1A_EVT 0x600 /* 4 bytes: status, enable */
#define KVMM_PORT_PM1A_CNT 0x604 /* 2 bytes */
#define KVMM_SCI_IRQ 9
#define KVMM_S5_SLP_TYP 5        /* the _S5 package's value */

/* ---- memory map ---- */
struct kvmm_chunk {
	uint64_t gpa, size;
	void *host;
	unsigned node;
};
#define KVMM_MAX_CHUNKS (VM_MAX_NODES + 1)
/* Guest RAM as KVM slots: the node regions laid out from GPA 0, with the
 * part that would fall into [3 GiB, 4 GiB) moved above 4 GiB.  Returns the
 * number of chunks, -EINVAL if there are too many. */
int kt_vmm_memmap(const struct vm_region *r, unsigned n, struct kvmm_chunk *out, unsigned max);
/* Top of the RAM that is contiguous from 0 (below 3 GiB). */
uint64_t kt_vmm_low_ram_end(const struct kvmm_chunk *c, unsigned n);
/* Host pointer for [gpa, gpa+len) if it lies inside one chunk, else NULL. */
void *kt_vmm_gpa_ptr(const struct kvmm_chunk *c, unsigned n, uint64_t gpa, size_t len);

/* ---- boot ---- */
struct kvmm_kernel {
	size_t setup_size;      /* (setup_sects + 1) * 512 */
	size_t pm_size;         /* protected-mode code */
	uint32_t init_size;     /* memory the kernel needs from its run address */
	uint32_t initrd_addr_max;
	uint32_t cmdline_size;
	uint16_t version;
	size_t hdr_end;         /* setup header ends here (offset in the image) */
};
/* Validates a bzImage (64-bit boot protocol >= 2.12, XLF_KERNEL_64). */
int kt_vmm_parse_bzimage(const void *img, size_t len, struct kvmm_kernel *k, char *err, size_t errlen);
/* e820 from the chunks: low 640 KiB minus the MP-table page, the BIOS
 * area reserved, then RAM.  Returns the entry count or -ENOSPC. */
int kt_vmm_build_e820(const struct kvmm_chunk *c, unsigned n, struct boot_e820_entry *out, unsigned max);
struct kvmm_boot_info {
	uint64_t cmdline_gpa;
	uint32_t cmdline_len;   /* without the NUL */
	uint64_t initrd_gpa, initrd_size;
	uint64_t rsdp_gpa;
	const struct boot_e820_entry *e820;
	unsigned ne820;
};
/* The zero page: setup header copied from the image, then our fields. */
void kt_vmm_build_boot_params(struct boot_params *bp, const void *img, const struct kvmm_kernel *k,
			    const struct kvmm_boot_info *bi);
/* Identity map of the first 4 GiB (2 MiB pages) and the boot GDT, written
 * into the guest's low memory (host view of GPA 0, at least 1 MiB). */
void kt_vmm_build_page_tables(void *low);
void kt_vmm_build_gdt(void *low);
/* Where the initrd goes: top of low RAM (and below initrd_addr_max),
 * page-aligned, above the shared region.  0 if it does not fit. */
uint64_t kt_vmm_initrd_gpa(uint64_t low_end, uint32_t initrd_addr_max, uint64_t size);

/* ---- topology / CPUID ---- */
unsigned kt_vmm_bits(unsigned n); /* ceil(log2 n), 0 for n <= 1 */
uint32_t kt_vmm_apic_id(const struct ktstr_topo *t, unsigned cpu);
enum kvmm_vendor { KVMM_VENDOR_OTHER, KVMM_VENDOR_INTEL, KVMM_VENDOR_AMD };
enum kvmm_vendor kt_vmm_cpuid_vendor(const struct kvm_cpuid_entry2 *e, unsigned n);
/* One vCPU's CPUID from KVM_GET_SUPPORTED_CPUID's entries: topology leaves
 * 0x1, 0x4, 0xB, 0x1F, 0x8000_0001/8/1D/1E rebuilt for `cpu` of t.
 * Returns the entry count, or -ENOSPC. */
int kt_vmm_cpuid_build(const struct kvm_cpuid_entry2 *in, unsigned nin, struct kvm_cpuid_entry2 *out, unsigned max,
		     const struct ktstr_topo *t, unsigned cpu);
const struct kvm_cpuid_entry2 *kt_vmm_cpuid_find(const struct kvm_cpuid_entry2 *e, unsigned n, uint32_t fn,
					       uint32_t idx);

/* ---- ACPI ---- */
struct kvmm_acpi_cfg {
	unsigned ncpus;
	const uint32_t *apic_ids;  /* per CPU */
	const unsigned *cpu_node;  /* per CPU */
	unsigned nnodes;
	const struct kvmm_chunk *mem; /* RAM ranges with their node */
	unsigned nmem;
};
/* HMAT figures for local memory (remote: scaled by the SLIT distance). */
#define KVMM_HMAT_LOCAL_NS 100
#define KVMM_HMAT_LOCAL_MBPS 20000
/* RSDP at buf[0] (= base_gpa), then XSDT, RSDT, FADT, FACS, DSDT, MADT,
 * SRAT, SLIT, HMAT.  Returns the bytes used, or 0 if cap is too small. */
size_t kt_vmm_acpi_build(void *buf, size_t cap, uint64_t base_gpa, const struct kvmm_acpi_cfg *cfg);
uint8_t kt_vmm_acpi_checksum(const void *p, size_t len); /* value that makes the sum 0 */

/* ---- MP table ---- */
/* Floating pointer at buf[0] (= base_gpa), configuration table after it.
 * Returns the bytes used, or 0 if cap is too small. */
size_t kt_vmm_mptable_build(void *buf, size_t cap, uint64_t base_gpa, unsigned ncpus, const uint32_t *apic_ids);

/* ---- 16550 UART ---- */
struct kvmm_uart {
	uint8_t ier, lcr, mcr, scr, dll, dlm, fcr;
	bool thre_pending;  /* transmitter-empty interrupt pending */
	bool irq_level;     /* what the line was last set to */
	uint8_t rx[256];    /* receive FIFO (console input, `ktstr shell`) */
	unsigned rx_head, rx_len;
	void (*tx)(void *arg, uint8_t ch);
	void (*set_irq)(void *arg, bool level);
	void *arg;
};
void kt_vmm_uart_init(struct kvmm_uart *u, void (*tx)(void *, uint8_t), void (*set_irq)(void *, bool), void *arg);
uint8_t kt_vmm_uart_in(struct kvmm_uart *u, unsigned off);
void kt_vmm_uart_out(struct kvmm_uart *u, unsigned off, uint8_t v);
/* Bytes arriving on the line: queued for the guest (data-ready, the
 * receive interrupt).  Returns how many fit. */
size_t kt_vmm_uart_rx(struct kvmm_uart *u, const uint8_t *p, size_t n);

#endif
