/* virtio over MMIO for ktstr's VMM (internal, pure).
 *
 * The transport (virtio 1.2 §4.2.2, register layout version 2), split
 * virtqueues (§2.7) and the two device models, virtio-blk (§5.2) and a
 * single-port virtio-console (§5.3), work on guest RAM through the chunk
 * map (struct kvmm_chunk; a plain buffer in the unit tests) and reach the
 * host only through callbacks (the interrupt line, the backing file, the
 * console sink), so the whole of it is unit-tested without /dev/kvm
 * (unit/test_virtio.c).  vdev.c places the devices and wires the
 * callbacks to KVM and to host files.
 *
 * Everything in guest RAM is untrusted and may change under us (other
 * vCPUs): ring indices and descriptors are read once into locals, every
 * guest address range is checked against RAM before it is touched, a
 * chain may not be longer than its queue, and a driver that breaks the
 * ring rules gets DEVICE_NEEDS_RESET (the device stops) and one log line.
 * The caller serialises all calls on one device (vdev.c: one lock each). */
#ifndef KTSTR_VM_KVM_VIRTIO_H
#define KTSTR_VM_KVM_VIRTIO_H
#include "vm/kvm/kvmm.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KVMM_VIRTIO_MAGIC 0x74726976u   /* "virt" */
#define KVMM_VIRTIO_VERSION 2u          /* MMIO register layout (non-legacy) */
#define KVMM_VIRTIO_VENDOR 0x7473746bu  /* "ktst" */
#define KVMM_VIRTIO_WINDOW 0x1000u      /* bytes of MMIO per device */
#define KVMM_VIRTIO_CONFIG_OFF 0x100u   /* device config space */
#define KVMM_VIRTIO_CONFIG_MAX 64u
#define KVMM_VIRTIO_MAX_QUEUES 2u
#define KVMM_VQ_MAX_SIZE 256u           /* largest QueueNumMax a device offers */
/* A descriptor that straddles two RAM chunks (a NUMA node boundary)
 * becomes two segments. */
#define KVMM_VCHAIN_MAX_SEGS (2u * KVMM_VQ_MAX_SIZE)
#define KVMM_VIRTIO_MAX_LOGS 4u         /* driver errors logged per device */

/* ---- split virtqueue ---- */
struct kvmm_vq {
	uint32_t num_max;            /* offered (a power of two) */
	uint32_t num;                /* QueueNum, as the driver wrote it */
	bool ready;                  /* QueueReady */
	uint64_t desc_gpa, avail_gpa, used_gpa;
	uint8_t *desc, *avail, *used; /* host views, set by kt_vmm_vq_map() */
	uint16_t last_avail;         /* next avail ring entry the device takes */
	uint16_t used_idx;           /* the device's copy of used->idx */
};

struct kvmm_vseg {
	uint8_t *p; /* host view of guest RAM */
	uint32_t len;
};

/* One descriptor chain: the device-readable segments, then the writable
 * ones (a readable descriptor after a writable one is an error). */
struct kvmm_vchain {
	uint16_t head;
	unsigned nr, nw;
	uint64_t rlen, wlen; /* bytes in each part */
	struct kvmm_vseg seg[KVMM_VCHAIN_MAX_SEGS];
};

/* The queue the driver marks ready: its size a power of two no larger
 * than num_max, the descriptor table 16-, the avail ring 2- and the used
 * ring 4-byte aligned, all three inside guest RAM.  Maps them and starts
 * both indices at 0.  0, or -EINVAL with err saying why. */
int kt_vmm_vq_map(struct kvmm_vq *q, const struct kvmm_chunk *mem, unsigned nmem, char *err, size_t errlen);
/* The next chain the driver made available: 1 with *c filled, 0 when
 * there is none, -EINVAL (err says why) when the ring or the chain is
 * malformed: avail index more than a queue ahead, head or next index out
 * of range, a chain longer than the queue (a loop), a buffer outside RAM
 * or wrapping around, an indirect descriptor (not offered), a readable
 * descriptor after a writable one, more than 4 GiB in all.  A bad chain
 * is not consumed. */
int kt_vmm_vq_pop(struct kvmm_vq *q, const struct kvmm_chunk *mem, unsigned nmem, struct kvmm_vchain *c, char *err,
		size_t errlen);
/* Hands chain `head` back with `len` bytes written into it (used ring
 * entry, then used->idx with release ordering). */
void kt_vmm_vq_push(struct kvmm_vq *q, uint16_t head, uint32_t len);
/* After pushing: does the driver want an interrupt (no
 * VRING_AVAIL_F_NO_INTERRUPT)?  Has a full barrier first. */
bool kt_vmm_vq_want_irq(const struct kvmm_vq *q);
/* Copy out of the readable part / into the writable part of a chain,
 * starting `off` bytes into that part.  Returns the bytes copied (fewer
 * when the part ends). */
size_t kt_vmm_vchain_read(const struct kvmm_vchain *c, uint64_t off, void *buf, size_t len);
size_t kt_vmm_vchain_write(const struct kvmm_vchain *c, uint64_t off, const void *buf, size_t len);

/* ---- the MMIO transport ---- */
struct kvmm_virtio;
struct kvmm_virtio_ops {
	/* Queue q has new buffers: QueueNotify, or DRIVER_OK set while it is
	 * ready.  Called only while the device is live. */
	void (*notify)(struct kvmm_virtio *d, unsigned q);
	/* Status 0 was written (the transport state is already reset); may
	 * be NULL. */
	void (*reset)(struct kvmm_virtio *d);
};

struct kvmm_virtio {
	/* Set by kt_vmm_virtio_init() */
	uint32_t device_id;
	uint64_t features;           /* offered; always has VIRTIO_F_VERSION_1 */
	const struct kvmm_virtio_ops *ops;
	unsigned nq;
	struct kvmm_vq q[KVMM_VIRTIO_MAX_QUEUES];
	uint8_t config[KVMM_VIRTIO_CONFIG_MAX]; /* little-endian, read-only to the driver */
	unsigned config_len;
	/* Set by the caller before the guest runs */
	const struct kvmm_chunk *mem;
	unsigned nmem;
	void (*irq)(void *arg);                  /* pulse the interrupt line (edge) */
	void (*log)(void *arg, const char *msg); /* a driver error */
	void *arg;
	/* Transport state */
	uint64_t driver_features;
	uint32_t dev_fsel, drv_fsel, qsel;
	uint32_t status;             /* as the driver wrote it (FEATURES_OK only if accepted) */
	uint32_t isr;                /* InterruptStatus */
	uint32_t config_gen;
	bool needs_reset;            /* DEVICE_NEEDS_RESET: stopped until Status 0 */
	unsigned nlogged;
};

/* A device with `nq` queues of at most `qmax` entries (a power of two up
 * to KVMM_VQ_MAX_SIZE), offering `features` | VIRTIO_F_VERSION_1. */
void kt_vmm_virtio_init(struct kvmm_virtio *d, uint32_t device_id, uint64_t features, unsigned nq, uint32_t qmax,
		      const struct kvmm_virtio_ops *ops);
/* A driver access at offset `off` of the device's window, len 1, 2, 4 or
 * 8 bytes.  Registers (below 0x100) take aligned 32-bit accesses only;
 * anything else reads 0 and writes are ignored.  Config space takes any
 * width; outside it reads 0. */
void kt_vmm_virtio_read(struct kvmm_virtio *d, uint64_t off, void *data, unsigned len);
void kt_vmm_virtio_write(struct kvmm_virtio *d, uint64_t off, const void *data, unsigned len);
/* For device models: FEATURES_OK and DRIVER_OK, not FAILED, not stopped. */
bool kt_vmm_virtio_live(const struct kvmm_virtio *d);
/* Used buffers for the driver: InterruptStatus bit 0 and an edge. */
void kt_vmm_virtio_interrupt(struct kvmm_virtio *d);
/* The driver broke the rules: DEVICE_NEEDS_RESET, a configuration-change
 * interrupt, one log line (at most KVMM_VIRTIO_MAX_LOGS per device). */
void kt_vmm_virtio_fail(struct kvmm_virtio *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- virtio-blk ---- */
enum kvmm_blk_op { KVMM_BLK_READ, KVMM_BLK_WRITE, KVMM_BLK_FLUSH };
#define KVMM_BLK_QUEUE_SIZE 128u
#define KVMM_BLK_SECTOR 512u

struct kvmm_blk {
	struct kvmm_virtio vd;       /* first: the transport's callbacks cast back */
	uint64_t capacity;           /* 512-byte sectors */
	bool ro;
	char serial[20];             /* VIRTIO_BLK_T_GET_ID, NUL-padded */
	/* The backing store: all of [off, off+len) or -errno.  FLUSH has no
	 * buffer. */
	int (*io)(void *arg, enum kvmm_blk_op op, void *buf, size_t len, uint64_t off);
	void *io_arg;
	uint64_t nreq, nerr;         /* requests done, and those that got IOERR */
};

/* A disk of `bytes` (rounded down to whole sectors), read-only or not:
 * one request queue; offers SEG_MAX, FLUSH and RO if ro. */
void kt_vmm_blk_init(struct kvmm_blk *b, uint64_t bytes, bool ro, const char *serial,
		   int (*io)(void *, enum kvmm_blk_op, void *, size_t, uint64_t), void *io_arg);
/* One request chain: runs it, writes its status byte (the last byte of
 * the writable part) and sets *written to the bytes written into the
 * chain.  0, or -EINVAL (err says why) when the chain cannot carry a
 * request at all (a header shorter than 16 bytes, no room for the
 * status). */
int kt_vmm_blk_request(struct kvmm_blk *b, const struct kvmm_vchain *c, uint32_t *written, char *err, size_t errlen);

/* ---- virtio-console (one port, no MULTIPORT) ---- */
#define KVMM_CON_QUEUE_SIZE 64u
enum { KVMM_CON_RXQ = 0, KVMM_CON_TXQ = 1 };

struct kvmm_con {
	struct kvmm_virtio vd;       /* first, as above */
	void (*out)(void *arg, const void *p, size_t n); /* the guest wrote on hvc0 */
	void *out_arg;
	bool guest_wrote;            /* since the last reset: input may flow */
};

void kt_vmm_con_init(struct kvmm_con *c, void (*out)(void *, const void *, size_t), void *out_arg);
/* Host bytes for the guest: into the buffers on the receive queue.
 * Returns how many were taken: 0 while the driver has none posted, and
 * until the guest has written on the port once.  Without MULTIPORT a
 * device cannot tell when the guest's port is ready, and Linux drops
 * what arrives before (virtio_console.c in_intr: the buffers are posted
 * before the port is listed and connected); a guest writes (a prompt, a
 * banner) before it waits for input. */
size_t kt_vmm_con_input(struct kvmm_con *c, const void *p, size_t n);

#endif
