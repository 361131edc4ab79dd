/* ACPI tables: RSDP (rev 2) -> XSDT/RSDT -> FADT (rev 6, FACS, DSDT),
 * MADT, SRAT, SLIT, HMAT.  The DSDT's AML holds \_S5 (so Linux's ACPI power-off
 * writes SLP_TYP=5|SLP_EN to PM1a_CNT, which the VMM turns into a clean
 * exit) and a QEMU0001 pvpanic device at I/O port 0x505 (so a guest panic
 * is reported at once).  Every table carries its checksum. */
#include "vm/kvm/kvmm.h"

#include <string.h>

#define HDR_LEN 36u

uint8_t kt_vmm_acpi_checksum(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint8_t s = 0;

	for (size_t i = 0; i < len; i++)
		s += b[i];
	return (uint8_t)(0x100 - s);
}

struct out {
	uint8_t *buf;
	size_t cap, pos;
	uint64_t base;
	bool overflow;
};

static size_t take(struct out *o, size_t len, size_t align)
{
	size_t at = (o->pos + align - 1) & ~(align - 1);

	if (at + len > o->cap) {
		o->overflow = true;
		return 0;
	}
	memset(o->buf + at, 0, len);
	o->pos = at + len;
	return at;
}

static void put8(uint8_t *p, uint8_t v) { p[0] = v; }
static void put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

static void header(uint8_t *t, const char *sig, uint32_t len, uint8_t rev)
{
	memcpy(t, sig, 4);
	put32(t + 4, len);
	put8(t + 8, rev);
	memcpy(t + 10, "KTSTR ", 6);
	memcpy(t + 16, "KTSTRVMM", 8);
	put32(t + 24, 1);
	memcpy(t + 28, "KTST", 4);
	put32(t + 32, 1);
}

static void finish(uint8_t *t)
{
	uint32_t len;

	memcpy(&len, t + 4, 4);
	t[9] = 0;
	t[9] = kt_vmm_acpi_checksum(t, len);
}

/* Generic address structure: system I/O. */
static void gas_io(uint8_t *p, uint8_t bits, uint8_t access, uint64_t port)
{
	put8(p, 1);
	put8(p + 1, bits);
	put8(p + 2, 0);
	put8(p + 3, access);
	put64(p + 4, port);
}

/* ---- AML ---- */
struct aml {
	uint8_t b[512];
	size_t n;
};

static void aml_bytes(struct aml *a, const void *p, size_t n)
{
	if (a->n + n <= sizeof(a->b)) {
		memcpy(a->b + a->n, p, n);
		a->n += n;
	}
}

/* Wraps a->b[start..] in op + PkgLength (the length counts itself). */
static void aml_pkg(struct aml *a, size_t start, const uint8_t *op, size_t oplen)
{
	size_t body = a->n - start, len = body + 1;
	uint8_t pl[2];
	size_t pln = 1;

	if (len >= 0x40) {
		len = body + 2;
		pl[0] = (uint8_t)(0x40 | (len & 0xf));
		pl[1] = (uint8_t)(len >> 4);
		pln = 2;
	} else {
		pl[0] = (uint8_t)len;
	}
	if (a->n + oplen + pln > sizeof(a->b))
		return;
	memmove(a->b + start + oplen + pln, a->b + start, body);
	memcpy(a->b + start, op, oplen);
	memcpy(a->b + start + oplen, pl, pln);
	a->n += oplen + pln;
}

static void build_dsdt_aml(struct aml *a)
{
	static const uint8_t s5[] = { 0x08, '_', 'S', '5', '_', 0x12, 0x08, 0x04,
				      0x0a, KVMM_S5_SLP_TYP, 0x0a, KVMM_S5_SLP_TYP, 0x00, 0x00 };
	static const uint8_t hid[] = { 0x08, '_', 'H', 'I', 'D', 0x0d, 'Q', 'E', 'M', 'U', '0', '0', '0', '1', 0x00 };
	static const uint8_t crs[] = { 0x08, '_', 'C', 'R', 'S', 0x11, 0x0d, 0x0a, 0x0a,
				       /* IO (Decode16, 0x505, 0x505, 1, 1), EndTag */
				       0x47, 0x01, 0x05, 0x05, 0x05, 0x05, 0x01, 0x01, 0x79, 0x00 };
	static const uint8_t sta[] = { 0x08, '_', 'S', 'T', 'A', 0x0a, 0x0f };
	static const uint8_t scope_op[] = { 0x10 }, device_op[] = { 0x5b, 0x82 };
	size_t scope, dev;

	aml_bytes(a, s5, sizeof(s5));
	scope = a->n;
	aml_bytes(a, "\\_SB_", 5);
	dev = a->n;
	aml_bytes(a, "PEVT", 4);
	aml_bytes(a, hid, sizeof(hid));
	aml_bytes(a, crs, sizeof(crs));
	aml_bytes(a, sta, sizeof(sta));
	aml_pkg(a, dev, device_op, sizeof(device_op));
	aml_pkg(a, scope, scope_op, sizeof(scope_op));
}

static size_t build_fadt(struct out *o, uint64_t facs, uint64_t dsdt)
{
	const uint32_t len = 276;
	size_t at = take(o, len, 8);
	uint8_t *t;

	if (o->overflow)
		return 0;
	t = o->buf + at;
	header(t, "FACP", len, 6);
	put32(t + 36, (uint32_t)facs);
	put32(t + 40, (uint32_t)dsdt);
	put8(t + 45, 0);                      /* PM profile: unspecified */
	put16(t + 46, KVMM_SCI_IRQ);
	put32(t + 56, KVMM_PORT_PM1A_EVT);
	put32(t + 64, KVMM_PORT_PM1A_CNT);
	put8(t + 88, 4);                      /* PM1_EVT_LEN */
	put8(t + 89, 2);                      /* PM1_CNT_LEN */
	put16(t + 96, 101);                   /* no C2 */
	put16(t + 98, 1001);                  /* no C3 */
	put16(t + 109, 1u << 2 | 1u << 5);    /* IAPC_BOOT_ARCH: no VGA, no CMOS RTC */
	put32(t + 112, 1u << 0 | 1u << 2 | 1u << 4 | 1u << 5); /* WBINVD, C1, no fixed power/sleep buttons */
	put8(t + 131, 0);                     /* minor version */
	put64(t + 132, facs);
	put64(t + 140, dsdt);
	gas_io(t + 148, 32, 2, KVMM_PORT_PM1A_EVT);
	gas_io(t + 172, 16, 2, KVMM_PORT_PM1A_CNT);
	memcpy(t + 268, "KTSTRVMM", 8);       /* hypervisor vendor identity */
	finish(t);
	return at;
}

static size_t build_madt(struct out *o, const struct kvmm_acpi_cfg *c)
{
	uint32_t len = 44 + 8 * c->ncpus + 12 + 10 + 10 + 6;
	size_t at = take(o, len, 8);
	uint8_t *t, *p;

	if (o->overflow)
		return 0;
	t = o->buf + at;
	header(t, "APIC", len, 4);
	put32(t + 36, KVMM_LAPIC_GPA);
	put32(t + 40, 1); /* PCAT_COMPAT: 8259s present */
	p = t + 44;
	for (unsigned i = 0; i < c->ncpus; i++, p += 8) {
		put8(p, 0);
		put8(p + 1, 8);
		put8(p + 2, (uint8_t)i);              /* ACPI processor UID */
		put8(p + 3, (uint8_t)c->apic_ids[i]);
		put32(p + 4, 1);                      /* enabled */
	}
	put8(p, 1); /* I/O APIC */
	put8(p + 1, 12);
	put8(p + 2, 0);
	put32(p + 4, KVMM_IOAPIC_GPA);
	put32(p + 8, 0);
	p += 12;
	put8(p, 2); /* ISA IRQ0 -> GSI2 */
	put8(p + 1, 10);
	put8(p + 2, 0);
	put8(p + 3, 0);
	put32(p + 4, 2);
	put16(p + 8, 0);
	p += 10;
	put8(p, 2); /* SCI: level, active high */
	put8(p + 1, 10);
	put8(p + 2, 0);
	put8(p + 3, KVMM_SCI_IRQ);
	put32(p + 4, KVMM_SCI_IRQ);
	put16(p + 8, 0xd);
	p += 10;
	put8(p, 4); /* local APIC NMI on LINT1, all processors */
	put8(p + 1, 6);
	put8(p + 2, 0xff);
	put16(p + 3, 0);
	put8(p + 5, 1);
	finish(t);
	return at;
}

static size_t build_srat(struct out *o, const struct kvmm_acpi_cfg *c)
{
	uint32_t len = 48 + 16 * c->ncpus + 40 * c->nmem;
	size_t at = take(o, len, 8);
	uint8_t *t, *p;

	if (o->overflow)
		return 0;
	t = o->buf + at;
	header(t, "SRAT", len, 3);
	put32(t + 36, 1); /* reserved, 1 for compatibility */
	p = t + 48;
	for (unsigned i = 0; i < c->ncpus; i++, p += 16) {
		put8(p, 0); /* processor local APIC affinity */
		put8(p + 1, 16);
		put8(p + 2, (uint8_t)c->cpu_node[i]);
		put8(p + 3, (uint8_t)c->apic_ids[i]);
		put32(p + 4, 1); /* enabled */
	}
	for (unsigned i = 0; i < c->nmem; i++, p += 40) {
		put8(p, 1); /* memory affinity */
		put8(p + 1, 40);
		put32(p + 2, c->mem[i].node);
		put32(p + 8, (uint32_t)c->mem[i].gpa);
		put32(p + 12, (uint32_t)(c->mem[i].gpa >> 32));
		put32(p + 16, (uint32_t)c->mem[i].size);
		put32(p + 20, (uint32_t)(c->mem[i].size >> 32));
		put32(p + 28, 1); /* enabled */
	}
	finish(t);
	return at;
}

/* SLIT distance between two nodes: local 10, remote 20. */
static unsigned node_distance(unsigned i, unsigned j)
{
	return i == j ? 10 : 20;
}

static size_t build_slit(struct out *o, unsigned nodes)
{
	uint32_t len = 44 + nodes * nodes;
	size_t at = take(o, len, 8);
	uint8_t *t;

	if (o->overflow)
		return 0;
	t = o->buf + at;
	header(t, "SLIT", len, 1);
	put64(t + 36, nodes);
	for (unsigned i = 0; i < nodes; i++)
		for (unsigned j = 0; j < nodes; j++)
			t[44 + i * nodes + j] = (uint8_t)node_distance(i, j);
	finish(t);
	return at;
}

/* One HMAT system locality latency/bandwidth structure: initiators x
 * targets; latency entries in ns (base unit 1000 ps), bandwidth in MB/s. */
static uint8_t *hmat_lb(uint8_t *p, bool bandwidth, const uint32_t *ini, unsigned ni, const uint32_t *tgt,
			unsigned nt)
{
	uint32_t len = 32 + 4 * ni + 4 * nt + 2 * ni * nt;

	put16(p, 1);
	put32(p + 4, len);
	put8(p + 8, 0);                     /* flags: memory hierarchy = memory */
	put8(p + 9, bandwidth ? 3 : 0);     /* access bandwidth / access latency */
	put32(p + 12, ni);
	put32(p + 16, nt);
	put64(p + 24, bandwidth ? 1 : 1000); /* entry base unit */
	p += 32;
	for (unsigned i = 0; i < ni; i++, p += 4)
		put32(p, ini[i]);
	for (unsigned j = 0; j < nt; j++, p += 4)
		put32(p, tgt[j]);
	for (unsigned i = 0; i < ni; i++)
		for (unsigned j = 0; j < nt; j++, p += 2)
			put16(p, (uint16_t)(bandwidth ? KVMM_HMAT_LOCAL_MBPS * 10 / node_distance(ini[i], tgt[j])
						       : KVMM_HMAT_LOCAL_NS * node_distance(ini[i], tgt[j]) / 10));
	return p;
}

/* HMAT rev 2, consistent with the SLIT: per memory node a proximity
 * domain attributes structure (attached initiator: the node itself when
 * it has CPUs), then access latency and access bandwidth from every node
 * with CPUs to every node with memory. */
static size_t build_hmat(struct out *o, const struct kvmm_acpi_cfg *c)
{
	uint32_t ini[VM_MAX_NODES], tgt[VM_MAX_NODES];
	bool has_cpu[VM_MAX_NODES] = { false }, has_mem[VM_MAX_NODES] = { false };
	unsigned ni = 0, nt = 0;
	uint32_t len;
	size_t at;
	uint8_t *t, *p;

	for (unsigned i = 0; i < c->ncpus; i++)
		if (c->cpu_node[i] < VM_MAX_NODES)
			has_cpu[c->cpu_node[i]] = true;
	for (unsigned i = 0; i < c->nmem; i++)
		if (c->mem[i].node < VM_MAX_NODES)
			has_mem[c->mem[i].node] = true;
	for (uint32_t n = 0; n < VM_MAX_NODES; n++) {
		if (has_cpu[n])
			ini[ni++] = n;
		if (has_mem[n])
			tgt[nt++] = n;
	}
	len = 40 + 40 * nt + 2 * (32 + 4 * ni + 4 * nt + 2 * ni * nt);
	at = take(o, len, 8);
	if (o->overflow)
		return 0;
	t = o->buf + at;
	header(t, "HMAT", len, 2);
	p = t + 40;
	for (unsigned j = 0; j < nt; j++, p += 40) {
		put16(p, 0);
		put32(p + 4, 40);
		put16(p + 8, has_cpu[tgt[j]] ? 1 : 0); /* attached initiator valid */
		put32(p + 12, has_cpu[tgt[j]] ? tgt[j] : 0);
		put32(p + 16, tgt[j]);
	}
	p = hmat_lb(p, false, ini, ni, tgt, nt);
	hmat_lb(p, true, ini, ni, tgt, nt);
	finish(t);
	return at;
}

size_t kt_vmm_acpi_build(void *buf, size_t cap, uint64_t base_gpa, const struct kvmm_acpi_cfg *cfg)
{
	struct out o = { .buf = buf, .cap = cap, .base = base_gpa };
	struct aml aml = { .n = 0 };
	size_t rsdp, xsdt, rsdt, fadt, facs, dsdt, tables[5];
	unsigned nt = 0;
	uint8_t *t;

	rsdp = take(&o, 36, 16);
	facs = take(&o, 64, 64);
	if (o.overflow)
		return 0;
	t = o.buf + facs;
	memcpy(t, "FACS", 4);
	put32(t + 4, 64);
	put8(t + 32, 2); /* version */

	build_dsdt_aml(&aml);
	dsdt = take(&o, HDR_LEN + aml.n, 8);
	if (o.overflow)
		return 0;
	header(o.buf + dsdt, "DSDT", (uint32_t)(HDR_LEN + aml.n), 2);
	memcpy(o.buf + dsdt + HDR_LEN, aml.b, aml.n);
	finish(o.buf + dsdt);

	fadt = build_fadt(&o, base_gpa + facs, base_gpa + dsdt);
	tables[nt++] = fadt;
	tables[nt++] = build_madt(&o, cfg);
	tables[nt++] = build_srat(&o, cfg);
	tables[nt++] = build_slit(&o, cfg->nnodes);
	tables[nt++] = build_hmat(&o, cfg);
	if (o.overflow)
		return 0;

	xsdt = take(&o, HDR_LEN + 8 * nt, 8);
	rsdt = take(&o, HDR_LEN + 4 * nt, 8);
	if (o.overflow)
		return 0;
	header(o.buf + xsdt, "XSDT", HDR_LEN + 8 * nt, 1);
	header(o.buf + rsdt, "RSDT", HDR_LEN + 4 * nt, 1);
	for (unsigned i = 0; i < nt; i++) {
		put64(o.buf + xsdt + HDR_LEN + 8 * i, base_gpa + tables[i]);
		put32(o.buf + rsdt + HDR_LEN + 4 * i, (uint32_t)(base_gpa + tables[i]));
	}
	finish(o.buf + xsdt);
	finish(o.buf + rsdt);

	t = o.buf + rsdp;
	memcpy(t, "RSD PTR ", 8);
	memcpy(t + 9, "KTSTR ", 6);
	put8(t + 15, 2);
	put32(t + 16, (uint32_t)(base_gpa + rsdt));
	put32(t + 20, 36);
	put64(t + 24, base_gpa + xsdt);
	t[8] = kt_vmm_acpi_checksum(t, 20);
	t[32] = kt_vmm_acpi_checksum(t, 36);
	return o.pos;
}
