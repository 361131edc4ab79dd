/* Creating a VM: capability checks, the in-kernel irqchip and PIT, guest
 * RAM as memory slots, the kernel, initrd, command line, zero page, ACPI
 * and MP tables written into guest memory, and one vCPU per CPU of the
 * topology with its CPUID; the BSP starts in 64-bit mode at startup_64. */
#include "vm/kvm/kvm.h"
#include "proto/guest_args.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define TSS_GPA 0xfffbd000ull
#define IDENTITY_MAP_GPA 0xfffbc000ull
#define MSR_IA32_MISC_ENABLE 0x1a0
#define MSR_MTRR_DEF_TYPE 0x2ff

int kt_vmm_fail(int err, const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	kt_err(0, "kvm: %s", msg);
	return -err;
}

/* Is this KVM itself running on an emulated CPU (a nested rig's L1 under
 * QEMU TCG)?  Then the guest runs at emulation speed and must scale its
 * timing thresholds like a TCG guest: its accel says so. */
bool kt_vmm_host_emulated(void)
{
	char buf[4096];
	struct kt_guest_args a;

	if (!kt_read_file_str("/proc/cmdline", buf, sizeof(buf))) {
		/* ktstr_accel= is parsed even when a later ktstr_ value is bad */
		(void)kt_guest_args_parse(buf, &a);
		if (!strcmp(a.accel, "tcg"))
			return true;
	}
	return !kt_read_file_str("/proc/cpuinfo", buf, sizeof(buf)) && strstr(buf, "QEMU TCG CPU");
}

static int check_caps(struct kvmm *k)
{
	static const struct {
		int cap;
		const char *name;
	} need[] = {
		{ KVM_CAP_IRQCHIP, "IRQCHIP" },	      { KVM_CAP_USER_MEMORY, "USER_MEMORY" },
		{ KVM_CAP_PIT2, "PIT2" },	      { KVM_CAP_EXT_CPUID, "EXT_CPUID" },
		{ KVM_CAP_SET_TSS_ADDR, "SET_TSS_ADDR" }, { KVM_CAP_IMMEDIATE_EXIT, "IMMEDIATE_EXIT" },
		{ KVM_CAP_MP_STATE, "MP_STATE" },
	};
	int v = ioctl(k->kvm_fd, KVM_GET_API_VERSION, 0), maxv, maxid;
	uint32_t max_apic = 0;

	if (v != KVM_API_VERSION)
		return kt_vmm_fail(ENODEV, "/dev/kvm speaks API version %d, not %d", v, KVM_API_VERSION);
	for (size_t i = 0; i < ARRAY_SIZE(need); i++)
		if (ioctl(k->kvm_fd, KVM_CHECK_EXTENSION, need[i].cap) <= 0)
			return kt_vmm_fail(ENODEV, "/dev/kvm lacks KVM_CAP_%s", need[i].name);
	maxv = ioctl(k->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);
	if (maxv <= 0)
		maxv = ioctl(k->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_VCPUS);
	if (maxv <= 0)
		maxv = 4;
	maxid = ioctl(k->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPU_ID);
	if (maxid <= 0)
		maxid = maxv;
	for (unsigned i = 0; i < k->ncpus; i++)
		max_apic = k->vcpu[i].apic_id > max_apic ? k->vcpu[i].apic_id : max_apic;
	if (k->ncpus > (unsigned)maxv)
		return kt_vmm_fail(EINVAL, "%u vCPUs asked, but this host's KVM allows at most %d (KVM_CAP_MAX_VCPUS)",
			    k->ncpus, maxv);
	if (max_apic >= (unsigned)maxid)
		return kt_vmm_fail(EINVAL, "topology needs APIC ID %u, but KVM allows vCPU ids below %d", max_apic, maxid);
	return 0;
}

static int load_initrd(struct kvmm *k, const char *path, uint64_t low_end, uint32_t addr_max,
		       uint64_t *gpa_out, uint64_t *size_out)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), err;
	struct stat st;
	uint64_t gpa, size, done = 0;
	char *dst;

	if (fd < 0)
		return kt_vmm_fail(errno, "initramfs %s: %s", path, strerror(errno));
	if (fstat(fd, &st)) {
		err = errno;
		close(fd);
		return kt_vmm_fail(err, "initramfs %s: %s", path, strerror(err));
	}
	size = (uint64_t)st.st_size;
	gpa = kt_vmm_initrd_gpa(low_end, addr_max, size);
	dst = gpa ? kt_vmm_gpa_ptr(k->mem, k->nmem, gpa, size) : NULL;
	if (!dst) {
		close(fd);
		return kt_vmm_fail(EFBIG, "initramfs %s (%llu MiB) does not fit in guest RAM between the shared region "
				   "(ends at %u MiB) and the end of low RAM (%llu MiB); give the VM more memory",
			    path, (unsigned long long)(size >> 20), (unsigned)((VM_SHM_GPA + VM_SHM_SIZE) >> 20),
			    (unsigned long long)(low_end >> 20));
	}
	while (done < size) {
		ssize_t n = pread(fd, dst + done, size - done, (off_t)done);

		if (n <= 0) {
			err = n < 0 ? errno : EIO;
			close(fd);
			return kt_vmm_fail(err, "initramfs %s: read: %s", path, n < 0 ? strerror(err) : "short file");
		}
		done += (uint64_t)n;
	}
	close(fd);
	*gpa_out = gpa;
	*size_out = size;
	return 0;
}

/* The kernel file, mapped (read-only, populated) instead of read into a
 * buffer: one copy fewer on the start-up path (bench/vmm_startup.sh). */
static int map_image(const char *path, struct kbuf *img)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC), err;
	void *p;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st)) {
		err = errno;
		close(fd);
		return -err;
	}
	if (!S_ISREG(st.st_mode) || !st.st_size) {
		close(fd);
		return S_ISREG(st.st_mode) ? -ENOEXEC : -EINVAL; /* empty: not a bzImage */
	}
	p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
	err = errno;
	close(fd);
	if (p == MAP_FAILED)
		return -err;
	img->data = p;
	img->len = img->cap = (size_t)st.st_size;
	return 0;
}

static void unmap_image(struct kbuf *img)
{
	if (img->data)
		munmap(img->data, img->len);
	*img = (struct kbuf){ 0 };
}

/* Kernel, initrd, cmdline, zero page, ACPI, MP table, page tables, GDT. */
static int load_guest(struct kvmm *k)
{
	struct vm *vm = k->vm;
	const struct vm_config *c = vm->cfg;
	struct kvmm_kernel kern;
	struct kvmm_boot_info bi = { .cmdline_gpa = KVMM_CMDLINE_GPA, .rsdp_gpa = KVMM_ACPI_GPA };
	struct boot_e820_entry e820[E820_MAX_ENTRIES_ZEROPAGE];
	struct kbuf img = { 0 };
	uint32_t apic[KVMM_MAX_VCPUS];
	unsigned node[KVMM_MAX_VCPUS];
	struct kvmm_acpi_cfg acfg = { .ncpus = k->ncpus, .apic_ids = apic, .cpu_node = node,
				      .nnodes = c->topo.numa_nodes, .mem = k->mem, .nmem = k->nmem };
	uint64_t low_end = kt_vmm_low_ram_end(k->mem, k->nmem);
	char err[256], *low, *dst;
	int ret, ne;

	low = kt_vmm_gpa_ptr(k->mem, k->nmem, 0, KVMM_KERNEL_GPA);
	if (!low || low_end < VM_SHM_GPA + VM_SHM_SIZE)
		return kt_vmm_fail(EINVAL, "guest RAM must start at 0 and reach past %u MiB",
			    (unsigned)((VM_SHM_GPA + VM_SHM_SIZE) >> 20));
	ret = map_image(c->kernel, &img);
	if (ret)
		return kt_vmm_fail(-ret, "kernel %s: %s", c->kernel, strerror(-ret));
	ret = kt_vmm_parse_bzimage(img.data, img.len, &kern, err, sizeof(err));
	if (ret) {
		unmap_image(&img);
		return kt_vmm_fail(-ret, "kernel %s: %s", c->kernel, err);
	}
	if (KVMM_KERNEL_RUN_GPA + kern.init_size > VM_SHM_GPA ||
	    !(dst = kt_vmm_gpa_ptr(k->mem, k->nmem, KVMM_KERNEL_GPA, kern.pm_size))) {
		unmap_image(&img);
		return kt_vmm_fail(EFBIG, "kernel %s needs %u MiB from 16 MiB when decompressed; it must end below the "
				   "shared region at %u MiB (too big for this VMM's layout)",
			    c->kernel, kern.init_size >> 20, (unsigned)(VM_SHM_GPA >> 20));
	}
	memcpy(dst, img.data + kern.setup_size, kern.pm_size);

	snprintf(vm->accel, sizeof(vm->accel), "%s", kt_vmm_host_emulated() ? "kvm-nested-tcg" : "kvm");
	ret = kt_vm_build_cmdline(vm);
	if (!ret)
		ret = kt_vmm_vio_cmdline(k, vm->cmdline, sizeof(vm->cmdline));
	if (ret) {
		unmap_image(&img);
		return ret;
	}
	bi.cmdline_len = (uint32_t)strlen(vm->cmdline);
	if (bi.cmdline_len > kern.cmdline_size || bi.cmdline_len >= KVMM_CMDLINE_MAX) {
		unmap_image(&img);
		return kt_vmm_fail(E2BIG, "kernel command line is %u bytes; the kernel takes at most %u", bi.cmdline_len,
			    kern.cmdline_size);
	}
	memcpy(low + KVMM_CMDLINE_GPA, vm->cmdline, bi.cmdline_len + 1);

	ret = load_initrd(k, c->initrd, low_end, kern.initrd_addr_max, &bi.initrd_gpa, &bi.initrd_size);
	if (ret) {
		unmap_image(&img);
		return ret;
	}
	ne = kt_vmm_build_e820(k->mem, k->nmem, e820, ARRAY_SIZE(e820));
	bi.e820 = e820;
	bi.ne820 = ne > 0 ? (unsigned)ne : 0;
	kt_vmm_build_boot_params((struct boot_params *)(low + KVMM_BOOT_PARAMS_GPA), img.data, &kern, &bi);
	unmap_image(&img);

	for (unsigned i = 0; i < k->ncpus; i++) {
		apic[i] = k->vcpu[i].apic_id;
		node[i] = ktstr_topo_cpu_node(&c->topo, i);
	}
	if (!kt_vmm_acpi_build(low + KVMM_ACPI_GPA, KVMM_ACPI_SIZE, KVMM_ACPI_GPA, &acfg))
		return kt_vmm_fail(ENOSPC, "ACPI tables do not fit in %u KiB", KVMM_ACPI_SIZE >> 10);
	if (!kt_vmm_mptable_build(low + KVMM_MPTABLE_GPA, KVMM_ACPI_GPA - KVMM_MPTABLE_GPA, KVMM_MPTABLE_GPA, k->ncpus,
				apic))
		return kt_vmm_fail(ENOSPC, "MP table does not fit");
	kt_vmm_build_page_tables(low);
	kt_vmm_build_gdt(low);
	return 0;
}

static int get_supported_cpuid(struct kvmm *k)
{
	for (unsigned n = 128; n <= 4096; n *= 2) {
		struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + n * sizeof(c->entries[0]));

		if (!c)
			return kt_vmm_fail(ENOMEM, "allocate CPUID");
		c->nent = n;
		if (!ioctl(k->kvm_fd, KVM_GET_SUPPORTED_CPUID, c)) {
			k->supported = c;
			return 0;
		}
		free(c);
		if (errno != E2BIG)
			return kt_vmm_fail(errno, "KVM_GET_SUPPORTED_CPUID: %s", strerror(errno));
	}
	return kt_vmm_fail(E2BIG, "KVM_GET_SUPPORTED_CPUID: too many entries");
}

static int set_cpuid(struct kvmm *k, struct kvmm_vcpu *v)
{
	unsigned max = k->supported->nent + 32;
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + max * sizeof(c->entries[0]));
	int n, ret = 0;

	if (!c)
		return kt_vmm_fail(ENOMEM, "allocate CPUID");
	n = kt_vmm_cpuid_build(k->supported->entries, k->supported->nent, c->entries, max, &k->vm->cfg->topo, v->idx);
	if (n < 0)
		ret = kt_vmm_fail(ENOSPC, "vcpu %u: CPUID table too large", v->idx);
	else {
		c->nent = (uint32_t)n;
		if (ioctl(v->fd, KVM_SET_CPUID2, c))
			ret = kt_vmm_fail(errno, "vcpu %u: KVM_SET_CPUID2: %s", v->idx, strerror(errno));
	}
	free(c);
	return ret;
}

/* The BSP enters startup_64 in long mode with our GDT and page tables. */
static int setup_bsp(struct kvmm *k, struct kvmm_vcpu *v)
{
	struct kvm_segment code = { .base = 0, .limit = 0xffffffff, .selector = 0x10, .type = 0xb,
				    .present = 1, .dpl = 0, .db = 0, .s = 1, .l = 1, .g = 1 };
	struct kvm_segment data = { .base = 0, .limit = 0xffffffff, .selector = 0x18, .type = 0x3,
				    .present = 1, .dpl = 0, .db = 1, .s = 1, .l = 0, .g = 1 };
	struct kvm_segment tss = { .base = 0, .limit = 0x67, .selector = 0x20, .type = 0xb, .present = 1, .s = 0 };
	struct kvm_sregs s;
	struct kvm_regs r = { .rip = KVMM_KERNEL_GPA + 0x200, .rsi = KVMM_BOOT_PARAMS_GPA,
			      .rsp = KVMM_STACK_GPA, .rbp = KVMM_STACK_GPA, .rflags = 0x2 };
	struct kvm_fpu fpu = { .fcw = 0x37f, .mxcsr = 0x1f80 };
	/* struct kvm_msrs ends in a flexible array: give it room for two
	 * entries without a GNU variable-sized member. */
	union {
		struct kvm_msrs h;
		char room[sizeof(struct kvm_msrs) + 2 * sizeof(struct kvm_msr_entry)];
	} msrs = { .room = { 0 } };
	struct kvm_lapic_state lapic;
	uint32_t lvt;

	if (ioctl(v->fd, KVM_GET_SREGS, &s))
		return kt_vmm_fail(errno, "KVM_GET_SREGS: %s", strerror(errno));
	s.cs = code;
	s.ds = s.es = s.fs = s.gs = s.ss = data;
	s.tr = tss;
	s.gdt.base = KVMM_GDT_GPA;
	s.gdt.limit = 5 * 8 - 1;
	s.idt.base = KVMM_IDT_GPA;
	s.idt.limit = 0;
	s.cr0 = 0x80000011; /* PG, ET, PE */
	s.cr3 = KVMM_PML4_GPA;
	s.cr4 = 0x20;       /* PAE */
	s.efer = 0x500;     /* LMA, LME */
	if (ioctl(v->fd, KVM_SET_SREGS, &s))
		return kt_vmm_fail(errno, "KVM_SET_SREGS: %s", strerror(errno));
	if (ioctl(v->fd, KVM_SET_REGS, &r))
		return kt_vmm_fail(errno, "KVM_SET_REGS: %s", strerror(errno));
	if (ioctl(v->fd, KVM_SET_FPU, &fpu))
		return kt_vmm_fail(errno, "KVM_SET_FPU: %s", strerror(errno));
	msrs.h.nmsrs = 2;
	msrs.h.entries[0] = (struct kvm_msr_entry){ .index = MSR_IA32_MISC_ENABLE, .data = 1 };
	msrs.h.entries[1] = (struct kvm_msr_entry){ .index = MSR_MTRR_DEF_TYPE, .data = 0x806 };
	if (ioctl(v->fd, KVM_SET_MSRS, &msrs) < 0)
		return kt_vmm_fail(errno, "KVM_SET_MSRS: %s", strerror(errno));
	/* Virtual wire: LINT0 ExtINT (the PIC), LINT1 NMI. */
	if (ioctl(v->fd, KVM_GET_LAPIC, &lapic))
		return kt_vmm_fail(errno, "KVM_GET_LAPIC: %s", strerror(errno));
	memcpy(&lvt, lapic.regs + 0x350, 4);
	lvt = (lvt & ~0x1ff00u) | 0x700;
	memcpy(lapic.regs + 0x350, &lvt, 4);
	memcpy(&lvt, lapic.regs + 0x360, 4);
	lvt = (lvt & ~0x1ff00u) | 0x400;
	memcpy(lapic.regs + 0x360, &lvt, 4);
	if (ioctl(v->fd, KVM_SET_LAPIC, &lapic))
		return kt_vmm_fail(errno, "KVM_SET_LAPIC: %s", strerror(errno));
	return 0;
}

static int create_vcpus(struct kvmm *k)
{
	int sz = ioctl(k->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0), ret;

	if (sz <= 0)
		return kt_vmm_fail(errno, "KVM_GET_VCPU_MMAP_SIZE: %s", strerror(errno));
	k->run_size = (size_t)sz;
	ret = get_supported_cpuid(k);
	if (ret)
		return ret;
	for (unsigned i = 0; i < k->ncpus; i++) {
		struct kvmm_vcpu *v = &k->vcpu[i];
		void *run;

		v->fd = ioctl(k->vm_fd, KVM_CREATE_VCPU, (unsigned long)v->apic_id);
		if (v->fd < 0)
			return kt_vmm_fail(errno, "KVM_CREATE_VCPU %u (APIC ID %u): %s", i, v->apic_id, strerror(errno));
		run = mmap(NULL, k->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
		if (run == MAP_FAILED)
			return kt_vmm_fail(errno, "vcpu %u: mmap kvm_run: %s", i, strerror(errno));
		v->run = run;
		ret = set_cpuid(k, v);
		if (!ret && i == 0)
			ret = setup_bsp(k, v);
		if (ret)
			return ret;
	}
	return 0;
}

/* PC interrupt routing: ISA IRQs to the 8259s, GSIs to I/O APIC pins
 * except that GSI 0 (the PIT) goes to pin 2, as the MADT's interrupt
 * source override and the MP table say.  KVM's default sends it to pin 0. */
static int set_gsi_routing(struct kvmm *k)
{
	/* entries[] is a flexible array: header and entries allocated as one
	 * (a struct around it is a GNU extension). */
	struct kvm_irq_routing *rt = calloc(1, sizeof(*rt) + (15 + 23) * sizeof(rt->entries[0]));
	unsigned n = 0;
	int ret = 0;

	if (!rt)
		return kt_vmm_fail(ENOMEM, "KVM_SET_GSI_ROUTING: allocate the routing table");

	for (unsigned gsi = 0; gsi < 16; gsi++) {
		if (gsi == 2)
			continue;
		rt->entries[n++] = (struct kvm_irq_routing_entry){
			.gsi = gsi, .type = KVM_IRQ_ROUTING_IRQCHIP,
			.u.irqchip = { .irqchip = gsi < 8 ? KVM_IRQCHIP_PIC_MASTER : KVM_IRQCHIP_PIC_SLAVE, .pin = gsi % 8 } };
	}
	for (unsigned gsi = 0; gsi < 24; gsi++) {
		if (gsi == 2)
			continue;
		rt->entries[n++] = (struct kvm_irq_routing_entry){ .gsi = gsi, .type = KVM_IRQ_ROUTING_IRQCHIP,
							    .u.irqchip = { .irqchip = KVM_IRQCHIP_IOAPIC,
									   .pin = gsi ? gsi : 2 } };
	}
	rt->nr = n;
	if (ioctl(k->vm_fd, KVM_SET_GSI_ROUTING, rt))
		ret = kt_vmm_fail(errno, "KVM_SET_GSI_ROUTING: %s", strerror(errno));
	free(rt);
	return ret;
}

int kt_vmm_create(struct kvmm *k)
{
	struct vm *vm = k->vm;
	const struct vm_config *c = vm->cfg;
	uint32_t max_apic = 0;
	uint64_t t[3];
	int n, ret;

	unsigned ncpus = ktstr_topo_cpus(&c->topo);

	if (!ncpus || ncpus > KVMM_MAX_VCPUS)
		return kt_vmm_fail(EINVAL, "%u vCPUs asked; this VMM runs 1 to %u", ncpus, KVMM_MAX_VCPUS);
	k->vcpu = calloc(ncpus, sizeof(*k->vcpu));
	if (!k->vcpu)
		return kt_vmm_fail(ENOMEM, "allocate %u vCPUs", ncpus);
	k->ncpus = ncpus;
	for (unsigned i = 0; i < k->ncpus; i++) {
		k->vcpu[i] = (struct kvmm_vcpu){ .k = k, .idx = i, .fd = -1, .apic_id = kt_vmm_apic_id(&c->topo, i) };
		max_apic = k->vcpu[i].apic_id > max_apic ? k->vcpu[i].apic_id : max_apic;
	}
	if (max_apic > KVMM_MAX_APIC_ID)
		return kt_vmm_fail(EINVAL, "topology needs APIC ID %u; xAPIC ids stop at %u (fewer cores per LLC, "
				    "or a power-of-two count, packs them tighter)",
			    max_apic, KVMM_MAX_APIC_ID);
	k->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (k->kvm_fd < 0)
		return kt_vmm_fail(errno, "open /dev/kvm: %s", strerror(errno));
	ret = check_caps(k);
	if (ret)
		return ret;
	n = kt_vmm_memmap(vm->regions, vm->nregions, k->mem, KVMM_MAX_CHUNKS);
	if (n < 0)
		return kt_vmm_fail(EINVAL, "guest RAM: too many regions");
	k->nmem = (unsigned)n;
	for (int tries = 0; (k->vm_fd = ioctl(k->kvm_fd, KVM_CREATE_VM, 0)) < 0 && errno == EINTR && tries < 10;
	     tries++)
		;
	if (k->vm_fd < 0)
		return kt_vmm_fail(errno, "KVM_CREATE_VM: %s", strerror(errno));
	if (ioctl(k->vm_fd, KVM_SET_TSS_ADDR, (unsigned long)TSS_GPA))
		return kt_vmm_fail(errno, "KVM_SET_TSS_ADDR: %s", strerror(errno));
	if (ioctl(k->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_SET_IDENTITY_MAP_ADDR) > 0) {
		uint64_t a = IDENTITY_MAP_GPA;

		if (ioctl(k->vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &a))
			return kt_vmm_fail(errno, "KVM_SET_IDENTITY_MAP_ADDR: %s", strerror(errno));
	}
	if (ioctl(k->vm_fd, KVM_CREATE_IRQCHIP, 0))
		return kt_vmm_fail(errno, "KVM_CREATE_IRQCHIP: %s", strerror(errno));
	ret = set_gsi_routing(k);
	if (ret)
		return ret;
	{
		struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };

		if (ioctl(k->vm_fd, KVM_CREATE_PIT2, &pit))
			return kt_vmm_fail(errno, "KVM_CREATE_PIT2: %s", strerror(errno));
	}
	for (unsigned i = 0; i < k->nmem; i++) {
		struct kvm_userspace_memory_region r = { .slot = i, .guest_phys_addr = k->mem[i].gpa,
							 .memory_size = k->mem[i].size,
							 .userspace_addr = (uintptr_t)k->mem[i].host };

		if (ioctl(k->vm_fd, KVM_SET_USER_MEMORY_REGION, &r))
			return kt_vmm_fail(errno, "memory slot %u (%llu MiB at 0x%llx): %s", i,
				    (unsigned long long)(r.memory_size >> 20), (unsigned long long)r.guest_phys_addr,
				    strerror(errno));
	}
	t[0] = kt_now_ns();
	ret = kt_vmm_vio_create(k);
	if (!ret)
		ret = load_guest(k);
	t[1] = kt_now_ns();
	if (!ret)
		ret = create_vcpus(k);
	t[2] = kt_now_ns();
	/* Where start-up goes (bench/vmm_startup.sh; -v). */
	kt_debug("kvm: set-up %.2f ms: VM, irqchip, memory slots %.2f; devices, images, tables %.2f; vCPUs %.2f",
		 (double)(t[2] - k->t_launch) / 1e6, (double)(t[0] - k->t_launch) / 1e6, (double)(t[1] - t[0]) / 1e6,
		 (double)(t[2] - t[1]) / 1e6);
	return ret;
}
