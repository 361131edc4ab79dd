/* The virtio-mmio devices of a kvm-backend VM, wired to the host: where
 * they sit, their interrupt lines, the MMIO exits that reach them, the
 * disks' backing files and the console's output pipe.  The device logic
 * itself is pure (virtio.h).
 *
 *   0xd0000000  virtio-console  IRQ 5   /dev/hvc0 -> vm->out_fd[3]
 *   0xd0001000  virtio-blk      IRQ 10  cfg->disks[0], /dev/vda
 *   0xd0002000  virtio-blk      IRQ 11  cfg->disks[1], /dev/vdb
 *
 * The windows lie in the 3-4 GiB hole, well clear of the IOAPIC
 * (0xfec00000), the LAPIC (0xfee00000) and the TSS/identity pages below
 * 4 GiB.  The IRQs are ISA ones that nothing else here uses: Linux maps
 * ISA IRQs 0-15 onto IOAPIC pins at boot (edge, active high) from the
 * MADT, so the numbers given as `virtio_mmio.device=4K@<base>:<irq>` on
 * the command line are valid for request_irq(); each event is a rising
 * edge (KVM_IRQ_LINE 1 then 0).  One lock per device serialises vCPUs
 * (register accesses, QueueNotify processing, which runs in the vCPU
 * thread) and the run loop (console input). */
#include "vm/kvm/kvm.h"
#include "vm/kvm/virtio.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#define VIO_BASE 0xd0000000ull
#define VIO_IRQ_CON 5u
static const unsigned disk_irq[VM_MAX_DISKS] = { 10, 11 };

struct vio_dev {
	struct kvmm *k;
	struct kvmm_virtio *vd;
	pthread_mutex_t lock;
	bool lock_init;
	uint64_t base;
	unsigned irq;
	char name[48];
};

struct vio_disk {
	struct kvmm *k;
	int fd;
	char name[8];        /* vda, vdb */
	unsigned nlogged;
};

struct kvmm_vio {
	struct vio_dev dev[1 + VM_MAX_DISKS];
	unsigned ndev;
	struct kvmm_con con;
	struct kvmm_blk blk[VM_MAX_DISKS];
	struct vio_disk disk[VM_MAX_DISKS];
	int con_w;           /* hvc0 output: the write end of vm->out_fd[3] */
};

static void dev_irq(void *arg)
{
	struct vio_dev *v = arg;
	struct kvm_irq_level l = { .irq = v->irq, .level = 1 };

	ioctl(v->k->vm_fd, KVM_IRQ_LINE, &l);
	l.level = 0;
	ioctl(v->k->vm_fd, KVM_IRQ_LINE, &l);
}

static void dev_log(void *arg, const char *msg)
{
	struct vio_dev *v = arg;

	kt_vmm_log(v->k, "%s at 0x%llx: driver error, device needs reset: %s", v->name, (unsigned long long)v->base,
		 msg);
}

/* The guest wrote on hvc0: into the pipe, waiting while it is full
 * (the run loop drains it) unless the VM is stopping. */
static void con_out(void *arg, const void *p, size_t n)
{
	struct kvmm *k = arg;
	const char *b = p;

	while (n && k->vio->con_w >= 0) {
		ssize_t w = write(k->vio->con_w, b, n);

		if (w > 0) {
			b += w;
			n -= (size_t)w;
		} else if (w < 0 && errno == EINTR) {
			continue;
		} else if (w < 0 && errno == EAGAIN && !atomic_load(&k->stop)) {
			struct pollfd pfd = { .fd = k->vio->con_w, .events = POLLOUT };

			poll(&pfd, 1, 100);
		} else {
			return; /* stopping, or the reader is gone: drop */
		}
	}
}

static int disk_io(void *arg, enum kvmm_blk_op op, void *buf, size_t len, uint64_t off)
{
	struct vio_disk *d = arg;
	const char *what = op == KVMM_BLK_READ ? "pread" : op == KVMM_BLK_WRITE ? "pwrite" : "fdatasync";
	int err = 0;

	if (op == KVMM_BLK_FLUSH) {
		if (fdatasync(d->fd))
			err = errno;
		len = 0;
	}
	while (len && !err) {
		ssize_t n = op == KVMM_BLK_READ ? pread(d->fd, buf, len, (off_t)off) : pwrite(d->fd, buf, len, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err = n < 0 ? errno : EIO; /* 0: the file shrank under us */
			break;
		}
		buf = (char *)buf + n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	if (err && d->nlogged++ < KVMM_VIRTIO_MAX_LOGS)
		kt_vmm_log(d->k, "virtio-blk %s: %s at offset %llu: %s (the guest gets IOERR)", d->name, what,
			 (unsigned long long)off, err == EIO && len ? "short file" : strerror(err));
	return -err;
}


static int open_disk(struct kvmm *k, unsigned i, const struct vm_disk *cfg, uint64_t *bytes)
{
	struct vio_disk *d = &k->vio->disk[i];
	struct stat st;
	off_t end;
	int err;

	d->k = k;
	snprintf(d->name, sizeof(d->name), "vd%c", 'a' + i);
	d->fd = open(cfg->path, (cfg->ro ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (d->fd < 0)
		return kt_vmm_fail(errno, "virtio-blk disk %s: open %s: %s", cfg->path, cfg->ro ? "read-only" : "read-write",
			    strerror(errno));
	if (fstat(d->fd, &st))
		return kt_vmm_fail(errno, "virtio-blk disk %s: fstat: %s", cfg->path, strerror(errno));
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
		return kt_vmm_fail(EINVAL, "virtio-blk disk %s: not a regular file or block device", cfg->path);
	/* Two writers of one image would corrupt it: shared for read-only. */
	if (flock(d->fd, (cfg->ro ? LOCK_SH : LOCK_EX) | LOCK_NB)) {
		err = errno;
		return kt_vmm_fail(err, "virtio-blk disk %s: lock: %s", cfg->path,
			    err == EWOULDBLOCK ? "in use by another VM or process" : strerror(err));
	}
	end = lseek(d->fd, 0, SEEK_END);
	if (end < 0)
		return kt_vmm_fail(errno, "virtio-blk disk %s: size: %s", cfg->path, strerror(errno));
	if (end % KVMM_BLK_SECTOR)
		kt_vmm_log(k, "virtio-blk %s: %s is %lld bytes; the last %lld (less than a sector) are not visible", d->name,
			 cfg->path, (long long)end, (long long)(end % KVMM_BLK_SECTOR));
	*bytes = (uint64_t)end;
	return 0;
}

static int add_dev(struct kvmm *k, struct kvmm_virtio *vd, unsigned irq, const char *name)
{
	struct kvmm_vio *vio = k->vio;
	struct vio_dev *v = &vio->dev[vio->ndev];
	int ret = -pthread_mutex_init(&v->lock, NULL);

	if (ret)
		return kt_vmm_fail(-ret, "%s: mutex: %s", name, strerror(-ret));
	v->lock_init = true;
	v->k = k;
	v->vd = vd;
	v->irq = irq;
	v->base = VIO_BASE + (uint64_t)vio->ndev * KVMM_VIRTIO_WINDOW;
	snprintf(v->name, sizeof(v->name), "%s", name);
	vd->mem = k->mem;
	vd->nmem = k->nmem;
	vd->irq = dev_irq;
	vd->log = dev_log;
	vd->arg = v;
	vio->ndev++;
	return 0;
}

int kt_vmm_vio_create(struct kvmm *k)
{
	const struct vm_config *c = k->vm->cfg;
	struct kvmm_vio *vio = calloc(1, sizeof(*vio));
	int p[2], ret;

	if (!vio)
		return kt_vmm_fail(ENOMEM, "allocate virtio devices");
	k->vio = vio;
	vio->con_w = -1;
	for (unsigned i = 0; i < VM_MAX_DISKS; i++)
		vio->disk[i].fd = -1;
	if (pipe2(p, O_CLOEXEC | O_NONBLOCK))
		return kt_vmm_fail(errno, "virtio-console: output pipe: %s", strerror(errno));
	k->vm->out_fd[3] = p[0];
	vio->con_w = p[1];
	kt_vmm_con_init(&vio->con, con_out, k);
	ret = add_dev(k, &vio->con.vd, VIO_IRQ_CON, "virtio-console hvc0");
	for (unsigned i = 0; i < VM_MAX_DISKS && !ret && c->disks[i].path; i++) {
		uint64_t bytes = 0;
		char name[48], serial[24];

		ret = open_disk(k, i, &c->disks[i], &bytes);
		if (ret)
			break;
		snprintf(serial, sizeof(serial), "ktstr-%s", vio->disk[i].name);
		kt_vmm_blk_init(&vio->blk[i], bytes, c->disks[i].ro, serial, disk_io, &vio->disk[i]);
		snprintf(name, sizeof(name), "virtio-blk %s", vio->disk[i].name);
		ret = add_dev(k, &vio->blk[i].vd, disk_irq[i], name);
	}
	return ret;
}

int kt_vmm_vio_cmdline(const struct kvmm *k, char *buf, size_t len)
{
	size_t at = strlen(buf);

	for (unsigned i = 0; k->vio && i < k->vio->ndev; i++) {
		int n = snprintf(buf + at, len - at, " virtio_mmio.device=%uK@0x%llx:%u", KVMM_VIRTIO_WINDOW >> 10,
				 (unsigned long long)k->vio->dev[i].base, k->vio->dev[i].irq);

		if (n < 0 || (size_t)n >= len - at) {
			buf[at] = '\0';
			return kt_vmm_fail(E2BIG, "kernel command line: no room to announce %s", k->vio->dev[i].name);
		}
		at += (size_t)n;
	}
	return 0;
}

bool kt_vmm_vio_mmio(struct kvmm *k, uint64_t gpa, uint8_t *data, unsigned len, bool is_write)
{
	struct kvmm_vio *vio = k->vio;

	if (!vio || gpa < VIO_BASE || gpa - VIO_BASE >= (uint64_t)vio->ndev * KVMM_VIRTIO_WINDOW)
		return false;
	if (len > 8)
		len = 8;
	{
		struct vio_dev *v = &vio->dev[(gpa - VIO_BASE) / KVMM_VIRTIO_WINDOW];
		uint64_t off = gpa - v->base;

		pthread_mutex_lock(&v->lock);
		if (is_write)
			kt_vmm_virtio_write(v->vd, off, data, len);
		else
			kt_vmm_virtio_read(v->vd, off, data, len);
		pthread_mutex_unlock(&v->lock);
	}
	return true;
}

ssize_t kt_vmm_vio_input(struct kvmm *k, const char *p, size_t n)
{
	struct vio_dev *v = k->vio && k->vio->ndev ? &k->vio->dev[0] : NULL;
	size_t took;

	if (!v)
		return -EBADF;
	/* Never wait here: a vCPU may hold the lock while it waits for the
	 * run loop (this thread) to drain the output pipe. */
	if (pthread_mutex_trylock(&v->lock))
		return 0;
	took = kt_vmm_con_input(&k->vio->con, p, n); /* 0 until the guest's port is up */
	pthread_mutex_unlock(&v->lock);
	return (ssize_t)took;
}

void kt_vmm_vio_destroy(struct kvmm *k)
{
	struct kvmm_vio *vio = k->vio;

	if (!vio)
		return;
	for (unsigned i = 0; i < vio->ndev; i++)
		if (vio->dev[i].lock_init)
			pthread_mutex_destroy(&vio->dev[i].lock);
	for (unsigned i = 0; i < VM_MAX_DISKS; i++)
		if (vio->disk[i].fd >= 0)
			close(vio->disk[i].fd);
	if (vio->con_w >= 0)
		close(vio->con_w);
	free(vio);
	k->vio = NULL;
}
