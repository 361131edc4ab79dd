/* Intel MultiProcessor Specification 1.4 table: the floating pointer
 * ("_MP_") followed by the configuration table ("PCMP") with one processor
 * entry per vCPU (topology APIC IDs, BSP flagged), an ISA bus, the I/O
 * APIC, the ISA interrupt routing and the local interrupts.  Linux uses it
 * only when ACPI is off, but it must agree with the MADT. */
#include "vm/kvm/kvmm.h"

#include <string.h>

#define MP_APIC_VERSION 0x14
#define MP_IOAPIC_VERSION 0x11

static uint8_t sum8(const uint8_t *p, size_t n)
{
	uint8_t s = 0;

	while (n--)
		s += *p++;
	return s;
}

static void put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }

static void intsrc(uint8_t *p, uint8_t type, uint8_t bus_irq, uint8_t ioapic, uint8_t pin)
{
	p[0] = 3;
	p[1] = type;  /* 0 INT, 3 ExtINT */
	put16(p + 2, 0); /* conforming polarity and trigger */
	p[4] = 0;     /* bus 0 (ISA) */
	p[5] = bus_irq;
	p[6] = ioapic;
	p[7] = pin;
}

size_t kt_vmm_mptable_build(void *buf, size_t cap, uint64_t base_gpa, unsigned ncpus, const uint32_t *apic_ids)
{
	/* ExtINT on pin 0, ISA IRQs 0-15 (IRQ0 on pin 2, IRQ2 skipped). */
	const unsigned nint = 1 + 15, nlocal = 2;
	size_t cfg_len = 44 + 20 * (size_t)ncpus + 8 + 8 + 8 * nint + 8 * nlocal;
	size_t total = 16 + cfg_len;
	uint8_t *b = buf, *cfg = b + 16, *p;
	uint32_t max_apic = 0;
	uint8_t ioapic_id;
	unsigned entries = 0;

	if (total > cap)
		return 0;
	memset(b, 0, total);
	for (unsigned i = 0; i < ncpus; i++)
		max_apic = apic_ids[i] > max_apic ? apic_ids[i] : max_apic;
	ioapic_id = (uint8_t)(max_apic + 1 < 0xfe ? max_apic + 1 : 0xfe);

	/* Floating pointer structure. */
	memcpy(b, "_MP_", 4);
	put32(b + 4, (uint32_t)(base_gpa + 16));
	b[8] = 1;  /* length in 16-byte units */
	b[9] = 4;  /* spec revision 1.4 */
	b[10] = 0;
	b[10] = (uint8_t)(0x100 - sum8(b, 16));

	memcpy(cfg, "PCMP", 4);
	put16(cfg + 4, (uint16_t)cfg_len);
	cfg[6] = 4;
	memcpy(cfg + 8, "KTSTR   ", 8);
	memcpy(cfg + 16, "KTSTR-VMM   ", 12);
	put32(cfg + 36, KVMM_LAPIC_GPA);
	p = cfg + 44;
	for (unsigned i = 0; i < ncpus; i++, p += 20, entries++) {
		p[0] = 0;
		p[1] = (uint8_t)apic_ids[i];
		p[2] = MP_APIC_VERSION;
		p[3] = 1 | (i == 0 ? 2 : 0); /* enabled, BSP */
		put32(p + 4, 0x600);          /* family 6 signature */
		put32(p + 8, 0x201);          /* FPU, APIC */
	}
	p[0] = 1; /* bus 0: ISA */
	p[1] = 0;
	memcpy(p + 2, "ISA   ", 6);
	p += 8, entries++;
	p[0] = 2; /* I/O APIC */
	p[1] = ioapic_id;
	p[2] = MP_IOAPIC_VERSION;
	p[3] = 1;
	put32(p + 4, KVMM_IOAPIC_GPA);
	p += 8, entries++;
	intsrc(p, 3, 0, ioapic_id, 0);
	p += 8, entries++;
	for (unsigned irq = 0; irq < 16; irq++) {
		if (irq == 2)
			continue;
		intsrc(p, 0, (uint8_t)irq, ioapic_id, (uint8_t)(irq == 0 ? 2 : irq));
		p += 8, entries++;
	}
	for (unsigned lint = 0; lint < 2; lint++, p += 8, entries++) {
		p[0] = 4;
		p[1] = lint ? 1 : 3; /* LINT0 ExtINT, LINT1 NMI */
		put16(p + 2, 0);
		p[4] = 0;
		p[5] = 0;
		p[6] = 0xff; /* all local APICs */
		p[7] = (uint8_t)lint;
	}
	put16(cfg + 34, (uint16_t)entries);
	cfg[7] = (uint8_t)(0x100 - sum8(cfg, cfg_len));
	return total;
}
