/* CPU topology through CPUID.  APIC ID = llc << (core_bits + thread_bits)
 * | core << thread_bits | thread, so each LLC is its own package; the
 * topology leaves (0xB/0x1F for Intel and AMD, 0x4 Intel caches, AMD
 * 0x8000_001D caches and 0x8000_001E ids) say the same.  Linux derives the
 * LLC from the L3's sharing count (Intel, AMD family >= 0x17) or from
 * 0x8000_001E's node id (AMD family < 0x17, e.g. QEMU's TCG "max" CPU
 * that a nested L1 runs on): both give the global LLC index.  VMX/SVM are
 * hidden: a guest's own KVM would only slow its boot (and, two levels
 * deep under emulation, was seen to triple-fault a vCPU). */
#include "vm/kvm/kvmm.h"

#include <errno.h>
#include <string.h>

unsigned kt_vmm_bits(unsigned n)
{
	unsigned b = 0;

	while ((1u << b) < n)
		b++;
	return b;
}

uint32_t kt_vmm_apic_id(const struct ktstr_topo *t, unsigned cpu)
{
	unsigned tb = kt_vmm_bits(t->threads), cb = kt_vmm_bits(t->cores);
	unsigned per_llc = t->cores * t->threads;
	unsigned llc = cpu / per_llc, core = (cpu / t->threads) % t->cores, thread = cpu % t->threads;

	return llc << (cb + tb) | core << tb | thread;
}

const struct kvm_cpuid_entry2 *kt_vmm_cpuid_find(const struct kvm_cpuid_entry2 *e, unsigned n, uint32_t fn,
					       uint32_t idx)
{
	for (unsigned i = 0; i < n; i++)
		if (e[i].function == fn && (!(e[i].flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) || e[i].index == idx))
			return &e[i];
	return NULL;
}

enum kvmm_vendor kt_vmm_cpuid_vendor(const struct kvm_cpuid_entry2 *e, unsigned n)
{
	const struct kvm_cpuid_entry2 *l0 = kt_vmm_cpuid_find(e, n, 0, 0);

	if (!l0)
		return KVMM_VENDOR_OTHER;
	if (l0->ebx == 0x756e6547 && l0->edx == 0x49656e69 && l0->ecx == 0x6c65746e) /* GenuineIntel */
		return KVMM_VENDOR_INTEL;
	if ((l0->ebx == 0x68747541 && l0->edx == 0x69746e65 && l0->ecx == 0x444d4163) || /* AuthenticAMD */
	    (l0->ebx == 0x6f677948 && l0->edx == 0x6e65476e && l0->ecx == 0x656e6975))   /* HygonGenuine */
		return KVMM_VENDOR_AMD;
	return KVMM_VENDOR_OTHER;
}

/* A cache level we describe: same numbers for Intel leaf 4 and AMD
 * 0x8000_001D (their layouts agree in the fields we fill). */
struct cache_desc {
	unsigned type, level, ways, sets, share_bits;
};

static void cache_regs(const struct cache_desc *c, unsigned core_bits, bool intel, struct kvm_cpuid_entry2 *e)
{
	e->eax = c->type | c->level << 5 | 1u << 8 /* self-initialising */ |
		 (((1u << c->share_bits) - 1) & 0xfff) << 14;
	if (intel)
		e->eax |= (((1u << core_bits) - 1) & 0x3f) << 26;
	e->ebx = (c->ways - 1) << 22 | 0u << 12 /* one partition */ | (64 - 1) /* line */;
	e->ecx = c->sets - 1;
	e->edx = c->level == 3 ? 0x2 /* inclusive */ : 0;
}

static int push(struct kvm_cpuid_entry2 *out, unsigned max, unsigned *n, uint32_t fn, uint32_t idx, bool indexed)
{
	if (*n >= max)
		return -ENOSPC;
	memset(&out[*n], 0, sizeof(out[*n]));
	out[*n].function = fn;
	out[*n].index = idx;
	out[*n].flags = indexed ? KVM_CPUID_FLAG_SIGNIFCANT_INDEX : 0;
	(*n)++;
	return 0;
}

static bool replaced(uint32_t fn)
{
	return fn == 0x4 || fn == 0xa || fn == 0x8000000a || fn == 0xb || fn == 0x1f || fn == 0x8000001d || fn == 0x8000001e ||
	       fn == 0x80000026;
}

int kt_vmm_cpuid_build(const struct kvm_cpuid_entry2 *in, unsigned nin, struct kvm_cpuid_entry2 *out, unsigned max,
		     const struct ktstr_topo *t, unsigned cpu)
{
	enum kvmm_vendor vendor = kt_vmm_cpuid_vendor(in, nin);
	bool amd = vendor == KVMM_VENDOR_AMD, intel = vendor == KVMM_VENDOR_INTEL;
	unsigned tb = kt_vmm_bits(t->threads), cb = kt_vmm_bits(t->cores);
	unsigned per_llc = t->cores * t->threads, llc = cpu / per_llc;
	uint32_t apic = kt_vmm_apic_id(t, cpu);
	const struct cache_desc caches[] = {
		{ 1, 1, 8, 64, tb },              /* L1d 32 KiB */
		{ 2, 1, 8, 64, tb },              /* L1i 32 KiB */
		{ 3, 2, 8, 2048, tb },            /* L2 1 MiB */
		{ 3, 3, 16, 16384, cb + tb },     /* L3 16 MiB per LLC */
	};
	unsigned n = 0;

	for (unsigned i = 0; i < nin; i++) {
		struct kvm_cpuid_entry2 *e;

		if (replaced(in[i].function))
			continue;
		if (n >= max)
			return -ENOSPC;
		e = &out[n++];
		*e = in[i];
		switch (e->function) {
		case 0x0:
			if (e->eax < 0xb)
				e->eax = 0xb;
			if (intel && e->eax < 0x1f)
				e->eax = 0x1f;
			break;
		case 0x1:
			e->ebx = (e->ebx & 0xffff) | (apic & 0xff) << 24 |
				 (per_llc > 1 ? (1u << (cb + tb)) & 0xff : 1) << 16;
			if (per_llc > 1)
				e->edx |= 1u << 28; /* HTT: several logical CPUs per package */
			else
				e->edx &= ~(1u << 28);
			e->ecx |= 1u << 31; /* hypervisor */
			e->ecx &= ~(1u << 5); /* no VMX: guests do not nest */
			break;
		case 0x80000000:
			if (amd && e->eax < 0x8000001e)
				e->eax = 0x8000001e;
			break;
		case 0x80000001:
			e->ecx &= ~(1u << 2); /* no SVM: guests do not nest */
			if (amd) {
				e->ecx |= 1u << 22; /* TopologyExtensions */
				if (per_llc > 1)
					e->ecx |= 1u << 1; /* CmpLegacy */
				else
					e->ecx &= ~(1u << 1);
			}
			break;
		case 0x80000008:
			if (amd)
				e->ecx = (e->ecx & ~0xf0ffu) | (cb + tb) << 12 | ((per_llc - 1) & 0xff);
			break;
		}
	}
	/* Deterministic cache parameters: Intel leaf 4 (harmless elsewhere). */
	for (unsigned i = 0; i <= ARRAY_SIZE(caches); i++) {
		if (push(out, max, &n, 0x4, i, true))
			return -ENOSPC;
		if (i < ARRAY_SIZE(caches))
			cache_regs(&caches[i], cb, true, &out[n - 1]);
	}
	/* Extended topology: 0xB and 0x1F, SMT then core level. */
	for (unsigned leaf = 0; leaf < 2; leaf++) {
		uint32_t fn = leaf ? 0x1f : 0xb;

		for (unsigned i = 0; i < 3; i++) {
			struct kvm_cpuid_entry2 *e;

			if (push(out, max, &n, fn, i, true))
				return -ENOSPC;
			e = &out[n - 1];
			e->edx = apic;
			e->ecx = i;
			if (i == 0) {
				e->eax = tb;
				e->ebx = t->threads;
				e->ecx |= 1u << 8;
			} else if (i == 1) {
				e->eax = cb + tb;
				e->ebx = per_llc;
				e->ecx |= 2u << 8;
			}
		}
	}
	if (amd) {
		struct kvm_cpuid_entry2 *e;

		for (unsigned i = 0; i <= ARRAY_SIZE(caches); i++) {
			if (push(out, max, &n, 0x8000001d, i, true))
				return -ENOSPC;
			if (i < ARRAY_SIZE(caches))
				cache_regs(&caches[i], cb, false, &out[n - 1]);
		}
		if (push(out, max, &n, 0x8000001e, 0, false))
			return -ENOSPC;
		e = &out[n - 1];
		e->eax = apic;
		e->ebx = (t->threads - 1) << 8 | ((apic >> tb) & 0xff);
		e->ecx = llc & 0xff; /* node id = LLC; one "node" per package */
	}
	/* No PMU (leaf 0xA absent reads as zeros). */
	return (int)n;
}
