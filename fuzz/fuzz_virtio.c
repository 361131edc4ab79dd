/* Fuzz target: the VMM's virtio-mmio devices as a hostile guest driver
 * drives them (src/vm/kvm/virtio_mmio.c, virtq.c, virtio_blk.c,
 * virtio_con.c): register reads and writes, descriptor tables and rings
 * in guest RAM, block requests, console output and host console input.
 *
 * Guest RAM is two chunks of 32 KiB at GPA 0x100000, contiguous for the
 * guest but two separate host allocations, like two NUMA nodes: a buffer
 * that straddles them must become two segments, and any access past
 * either is an ASan error.  The disk is 16 KiB.
 *
 * Input: a device byte (0 virtio-blk, 1 read-only virtio-blk, 2
 * virtio-console), then operations until the input ends (see op names in
 * LLVMFuzzerTestOneInput): register accesses, raw writes into guest RAM,
 * a Linux-like driver start, descriptors, avail ring entries,
 * notifications, a whole block request, console input.
 * Oracles: every backing-store access lies inside the disk image and
 * every buffer handed to the disk or the console sink lies inside one RAM
 * chunk; a device that is not live (no DRIVER_OK, or stopped with
 * DEVICE_NEEDS_RESET) touches neither the disk nor the sink, except when
 * the operation is a register write (which may start it); the device's
 * used index moves by at most the queue size per operation; at most
 * KVMM_VIRTIO_MAX_LOGS log lines, each terminated. */
#include "fuzz.h"
#include "vm/kvm/virtio.h"

#include <linux/virtio_blk.h>
#include <linux/virtio_config.h>
#include <linux/virtio_mmio.h>
#include <linux/virtio_ring.h>

#define RAM_GPA 0x100000ull
#define CHUNK (32u << 10)
#define RAM_SIZE (2 * CHUNK)
#define DISK_SIZE (16u << 10)
#define MAX_OPS 512

struct rig {
	struct kvmm_chunk ch[2];
	uint8_t *disk;
	struct kvmm_blk blk;
	struct kvmm_con con;
	struct kvmm_virtio *vd;
	unsigned io_calls, irqs, logs;
	/* the driver's view of the queue it started last */
	uint64_t desc, avail, used;
	unsigned num, q;
	uint16_t avail_idx;
};

static void in_ram(const struct rig *g, const void *p, size_t len)
{
	const uint8_t *b = p;

	for (unsigned i = 0; i < 2; i++) {
		const uint8_t *h = g->ch[i].host;

		if (b >= h && b < h + CHUNK) {
			FZ_CHECK(len <= (size_t)(h + CHUNK - b), "buffer of %zu bytes runs past RAM chunk %u", len, i);
			return;
		}
	}
	FZ_CHECK(0, "buffer of %zu bytes outside guest RAM", len);
}

static int disk_io(void *arg, enum kvmm_blk_op op, void *buf, size_t len, uint64_t off)
{
	struct rig *g = arg;

	g->io_calls++;
	if (op == KVMM_BLK_FLUSH)
		return 0;
	FZ_CHECK(off <= DISK_SIZE && len <= DISK_SIZE - off, "disk access of %zu bytes at %llu, disk %u", len,
		 (unsigned long long)off, DISK_SIZE);
	in_ram(g, buf, len);
	FZ_CHECK(op == KVMM_BLK_READ || !g->blk.ro, "write to a read-only disk");
	if (op == KVMM_BLK_READ)
		memcpy(buf, g->disk + off, len);
	else
		memcpy(g->disk + off, buf, len);
	return 0;
}

static void con_out(void *arg, const void *p, size_t n)
{
	struct rig *g = arg;

	g->io_calls++;
	in_ram(g, p, n);
	(void)kt_crc32(p, n); /* reads it all */
}

static void on_irq(void *arg)
{
	((struct rig *)arg)->irqs++;
}

static void on_log(void *arg, const char *msg)
{
	((struct rig *)arg)->logs++;
	FZ_CHECK(strlen(msg) < 256, "log line of %zu bytes", strlen(msg));
}

static uint8_t *host(struct rig *g, uint64_t gpa)
{
	return gpa < RAM_GPA + CHUNK ? (uint8_t *)g->ch[0].host + (gpa - RAM_GPA)
				     : (uint8_t *)g->ch[1].host + (gpa - RAM_GPA - CHUNK);
}

/* Guest RAM bytes at gpa (clamped to RAM). */
static void poke(struct rig *g, uint64_t gpa, const void *p, size_t n)
{
	for (size_t i = 0; i < n && gpa + i >= RAM_GPA && gpa + i < RAM_GPA + RAM_SIZE; i++)
		*host(g, gpa + i) = ((const uint8_t *)p)[i];
}

static void wr32(struct rig *g, uint64_t off, uint32_t v)
{
	kt_vmm_virtio_write(g->vd, off, &v, 4);
}

/* What Linux's virtio_mmio does: reset, features, FEATURES_OK, one queue,
 * DRIVER_OK. */
static void driver_start(struct rig *g, struct fz *f)
{
	uint64_t feat = fz_u8(f) & 1 ? fz_u64(f) : g->vd->features;

	g->q = fz_u8(f) % 3;
	g->num = 1u << (fz_u8(f) % 9);
	g->desc = RAM_GPA + fz_u16(f);
	g->avail = RAM_GPA + fz_u16(f);
	g->used = RAM_GPA + fz_u16(f);
	g->avail_idx = 0;
	wr32(g, VIRTIO_MMIO_STATUS, 0);
	wr32(g, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	wr32(g, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	wr32(g, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(feat >> 32));
	wr32(g, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	wr32(g, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)feat);
	wr32(g, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK);
	for (unsigned q = 0; q < 2; q++) {
		/* The selected queue at the fuzzed places; the console's
		 * receive queue as well (for input), 8 KiB further. */
		uint64_t o = q == g->q ? 0 : 0x2000;

		if (q != g->q && !(g->vd == &g->con.vd && q == 0))
			continue;
		wr32(g, VIRTIO_MMIO_QUEUE_SEL, q);
		wr32(g, VIRTIO_MMIO_QUEUE_NUM, g->num);
		wr32(g, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)(g->desc + o));
		wr32(g, VIRTIO_MMIO_QUEUE_DESC_HIGH, 0);
		wr32(g, VIRTIO_MMIO_QUEUE_AVAIL_LOW, (uint32_t)(g->avail + o));
		wr32(g, VIRTIO_MMIO_QUEUE_AVAIL_HIGH, 0);
		wr32(g, VIRTIO_MMIO_QUEUE_USED_LOW, (uint32_t)(g->used + o));
		wr32(g, VIRTIO_MMIO_QUEUE_USED_HIGH, 0);
		wr32(g, VIRTIO_MMIO_QUEUE_READY, 1);
	}
	wr32(g, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK |
				       VIRTIO_CONFIG_S_DRIVER_OK);
}

static void put_desc(struct rig *g, unsigned i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	uint8_t d[16];

	memcpy(d, &addr, 8);
	memcpy(d + 8, &len, 4);
	memcpy(d + 12, &flags, 2);
	memcpy(d + 14, &next, 2);
	poke(g, g->desc + 16ull * (g->num ? i % g->num : 0), d, sizeof(d));
}

static void offer(struct rig *g, uint16_t head)
{
	if (!g->num)
		return;
	poke(g, g->avail + 4 + 2ull * (g->avail_idx % g->num), &head, 2);
	g->avail_idx++;
	poke(g, g->avail + 2, &g->avail_idx, 2);
}

/* A block request in the usual framing at fuzzed places: header, data
 * in up to three descriptors, status. */
static void blk_request(struct rig *g, struct fz *f)
{
	static const uint32_t types[] = { VIRTIO_BLK_T_IN, VIRTIO_BLK_T_OUT, VIRTIO_BLK_T_FLUSH, VIRTIO_BLK_T_GET_ID };
	uint8_t hdr[16] = { 0 };
	uint8_t sel = fz_u8(f);
	uint32_t type = sel < 0xf0 ? types[sel % 4] : fz_u32(f);
	uint64_t sector = fz_u8(f) & 1 ? fz_u64(f) : fz_u8(f) % 40, at = RAM_GPA + fz_u16(f);
	unsigned nseg = fz_u8(f) % 4, i = 1;
	uint16_t dflag = type == VIRTIO_BLK_T_OUT ? 0 : VRING_DESC_F_WRITE;

	memcpy(hdr, &type, 4);
	memcpy(hdr + 8, &sector, 8);
	poke(g, at, hdr, sizeof(hdr));
	put_desc(g, 0, at, 16, VRING_DESC_F_NEXT, 1);
	for (unsigned s = 0; s < nseg; s++, i++) {
		uint64_t addr = RAM_GPA + fz_u16(f);
		uint32_t len = fz_u16(f) % 0x2000;

		put_desc(g, i, addr, len, dflag | VRING_DESC_F_NEXT, (uint16_t)(i + 1));
	}
	put_desc(g, i, at + 16, 1, VRING_DESC_F_WRITE, 0);
	offer(g, 0);
	wr32(g, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = { data, size };
	struct rig *g = calloc(1, sizeof(*g));
	uint8_t dev = fz_u8(&f) % 3;

	if (!g)
		abort();
	for (unsigned i = 0; i < 2; i++) {
		g->ch[i] = (struct kvmm_chunk){ .gpa = RAM_GPA + i * CHUNK, .size = CHUNK, .host = calloc(1, CHUNK),
					       .node = i };
		if (!g->ch[i].host)
			abort();
	}
	g->disk = calloc(1, DISK_SIZE);
	if (!g->disk)
		abort();
	if (dev < 2) {
		kt_vmm_blk_init(&g->blk, DISK_SIZE, dev == 1, "ktstr-fuzz", disk_io, g);
		g->vd = &g->blk.vd;
	} else {
		kt_vmm_con_init(&g->con, con_out, g);
		g->vd = &g->con.vd;
	}
	g->vd->mem = g->ch;
	g->vd->nmem = 2;
	g->vd->irq = on_irq;
	g->vd->log = on_log;
	g->vd->arg = g;

	for (unsigned n = 0; n < MAX_OPS && fz_left(&f); n++) {
		uint8_t op = fz_u8(&f) % 9, buf[256];
		bool live = kt_vmm_virtio_live(g->vd);
		unsigned calls = g->io_calls;
		uint16_t used0[KVMM_VIRTIO_MAX_QUEUES];

		for (unsigned q = 0; q < g->vd->nq; q++)
			used0[q] = g->vd->q[q].used_idx;

		switch (op) {
		case 0: { /* register or config write, any width */
			uint64_t off = fz_u16(&f) % 0x200, v = fz_u64(&f);

			kt_vmm_virtio_write(g->vd, off, &v, 1u << (fz_u8(&f) % 4));
			break;
		}
		case 1: { /* register or config read */
			uint64_t off = fz_u16(&f) % 0x200, v;

			kt_vmm_virtio_read(g->vd, off, &v, 1u << (fz_u8(&f) % 4));
			break;
		}
		case 2: { /* the guest writes its RAM */
			uint64_t gpa = RAM_GPA + fz_u16(&f);
			uint8_t k = fz_u8(&f);

			fz_take(&f, buf, k);
			poke(g, gpa, buf, k);
			break;
		}
		case 3: /* driver start */
			driver_start(g, &f);
			break;
		case 4: /* notify */
			wr32(g, VIRTIO_MMIO_QUEUE_NOTIFY, fz_u8(&f) % 3);
			break;
		case 5: { /* a descriptor */
			uint8_t i = fz_u8(&f), fl = fz_u8(&f);
			uint64_t addr = fl & 0x80 ? fz_u64(&f) : RAM_GPA + fz_u16(&f);
			uint32_t len = fl & 0x40 ? fz_u32(&f) : fz_u16(&f);

			put_desc(g, i, addr, len, fl & 7, fz_u8(&f));
			break;
		}
		case 6: /* an avail ring entry */
			offer(g, fz_u16(&f));
			break;
		case 7: /* a block request */
			blk_request(g, &f);
			break;
		case 8: { /* host console input */
			uint8_t k = fz_u8(&f);

			fz_take(&f, buf, k);
			if (g->vd == &g->con.vd) {
				size_t took = kt_vmm_con_input(&g->con, buf, k);

				FZ_CHECK(took <= k, "took %zu of %u", took, k);
			}
			break;
		}
		}
		if (!live && op != 0 && op != 3)
			FZ_CHECK(g->io_calls == calls, "a device that is not live used a buffer (op %u)", op);
		for (unsigned q = 0; q < g->vd->nq && op != 0 && op != 3; q++)
			FZ_CHECK((uint16_t)(g->vd->q[q].used_idx - used0[q]) <= g->vd->q[q].num,
				 "queue %u: used index moved by %u, queue size %u", q,
				 (uint16_t)(g->vd->q[q].used_idx - used0[q]), g->vd->q[q].num);
	}
	FZ_CHECK(g->logs <= KVMM_VIRTIO_MAX_LOGS, "%u log lines", g->logs);
	free(g->disk);
	free(g->ch[0].host);
	free(g->ch[1].host);
	free(g);
	return 0;
}
