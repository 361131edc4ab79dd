/* Unit tests for the virtio device models of ktstr's VMM: virtio-blk
 * against an in-memory disk (read, write, flush, GET_ID, requests past
 * the capacity, partial sectors, a read-only disk, host errors, framing
 * the driver is free to choose, chains that cannot carry a request) and
 * the console's transmit and receive queues. */
#include "unit.h"
#include "virtio_drv.h"

#include <errno.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_ids.h>
#include <stdlib.h>
#include <string.h>

#define DISK_SECTORS 64u

struct disk {
	uint8_t data[DISK_SECTORS * KVMM_BLK_SECTOR];
	unsigned reads, writes, flushes;
	int fail; /* -errno for the next access */
};

static int disk_io(void *arg, enum kvmm_blk_op op, void *buf, size_t len, uint64_t off)
{
	struct disk *d = arg;

	if (d->fail)
		return d->fail;
	if (op == KVMM_BLK_FLUSH) {
		d->flushes++;
		return 0;
	}
	if (off > sizeof(d->data) || len > sizeof(d->data) - off)
		return -EIO; /* the device must never ask for this */
	if (op == KVMM_BLK_READ) {
		d->reads++;
		memcpy(buf, d->data + off, len);
	} else {
		d->writes++;
		memcpy(d->data + off, buf, len);
	}
	return 0;
}

static unsigned n_irq, n_log;
static char last_log[256];
static void t_irq(void *arg)
{
	(void)arg;
	n_irq++;
}
static void t_log(void *arg, const char *msg)
{
	(void)arg;
	n_log++;
	snprintf(last_log, sizeof(last_log), "%s", msg);
}

struct rig {
	struct ram r;
	struct drv d;
	struct disk disk;
	struct kvmm_blk b;
};

static void rig_start(struct rig *g, bool ro, uint64_t bytes)
{
	ram_init(&g->r);
	memset(&g->disk, 0, sizeof(g->disk));
	for (size_t i = 0; i < sizeof(g->disk.data); i++)
		g->disk.data[i] = (uint8_t)(i * 7 + i / KVMM_BLK_SECTOR);
	kt_vmm_blk_init(&g->b, bytes, ro, "ktstr-vda", disk_io, &g->disk);
	g->b.vd.mem = g->r.ch;
	g->b.vd.nmem = g->r.n;
	g->b.vd.irq = t_irq;
	g->b.vd.log = t_log;
	n_irq = n_log = 0;
	g->d = (struct drv){ .r = &g->r, .desc = DESC_GPA, .avail = AVAIL_GPA, .used = USED_GPA, .num = 16 };
	drv_start(&g->b.vd, &g->d, 0, V1 | 1ull << VIRTIO_BLK_F_SEG_MAX | 1ull << VIRTIO_BLK_F_FLUSH |
					     (ro ? 1ull << VIRTIO_BLK_F_RO : 0));
}

#define HDR_GPA (BUF_GPA)
#define DATA_GPA (BUF_GPA + 0x1000)
#define STATUS_GPA (BUF_GPA + 0x800)

/* The usual Linux framing: header, data (nseg descriptors), status. */
static void submit(struct rig *g, uint32_t type, uint64_t sector, uint32_t len, unsigned nseg)
{
	uint8_t hdr[16] = { 0 };
	uint16_t dflag = type == VIRTIO_BLK_T_OUT ? 0 : VRING_DESC_F_WRITE;
	unsigned i = 1;

	memcpy(hdr, &type, 4);
	memcpy(hdr + 8, &sector, 8);
	memcpy(at(&g->r, HDR_GPA), hdr, 16);
	*at(&g->r, STATUS_GPA) = 0xee;
	put_desc(&g->d, 0, HDR_GPA, 16, VRING_DESC_F_NEXT, 1);
	for (unsigned s = 0; s < nseg; s++, i++)
		put_desc(&g->d, i, DATA_GPA + s * (len / nseg), s + 1 == nseg ? len - s * (len / nseg) : len / nseg,
			 dflag | VRING_DESC_F_NEXT, (uint16_t)(i + 1));
	put_desc(&g->d, i, STATUS_GPA, 1, VRING_DESC_F_WRITE, 0);
	offer(&g->d, 0);
	wr(&g->b.vd, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
}

static uint8_t status(struct rig *g)
{
	return *at(&g->r, STATUS_GPA);
}

static uint32_t last_used_len(struct rig *g)
{
	uint32_t id, len;

	used_elem(&g->d, (uint16_t)(used_idx(&g->d) - 1), &id, &len);
	return len;
}

UNIT_TEST(virtio_blk_config_and_features)
{
	struct rig g;
	uint64_t cap = 0;
	uint32_t segmax = 0;

	rig_start(&g, true, DISK_SECTORS * KVMM_BLK_SECTOR + 300); /* the partial sector is not visible */
	CHECK_EQ_INT(rd(&g.b.vd, VIRTIO_MMIO_DEVICE_ID), VIRTIO_ID_BLOCK);
	kt_vmm_virtio_read(&g.b.vd, 0x100, &cap, 8);
	CHECK_EQ_INT(cap, DISK_SECTORS);
	kt_vmm_virtio_read(&g.b.vd, 0x10c, &segmax, 4);
	CHECK_EQ_INT(segmax, KVMM_BLK_QUEUE_SIZE - 2);
	wr(&g.b.vd, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	CHECK_EQ_INT(rd(&g.b.vd, VIRTIO_MMIO_DEVICE_FEATURES),
		     1u << VIRTIO_BLK_F_SEG_MAX | 1u << VIRTIO_BLK_F_FLUSH | 1u << VIRTIO_BLK_F_RO);
	CHECK(kt_vmm_virtio_live(&g.b.vd));
	free(g.r.buf);
	rig_start(&g, false, 4096);
	wr(&g.b.vd, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	CHECK(!(rd(&g.b.vd, VIRTIO_MMIO_DEVICE_FEATURES) & 1u << VIRTIO_BLK_F_RO));
	/* a driver asking for RO on a writable disk asks for what is not offered */
	drv_start(&g.b.vd, &g.d, 0, V1 | 1ull << VIRTIO_BLK_F_RO);
	CHECK(!kt_vmm_virtio_live(&g.b.vd));
	free(g.r.buf);
}

UNIT_TEST(virtio_blk_read_write_flush_get_id)
{
	struct rig g;
	char id[21] = { 0 };

	rig_start(&g, false, sizeof(g.disk.data));
	/* IN: sectors 3-4 in three data descriptors */
	submit(&g, VIRTIO_BLK_T_IN, 3, 1024, 3);
	CHECK_EQ_INT(status(&g), VIRTIO_BLK_S_OK);
	CHECK(!memcmp(at(&g.r, DATA_GPA), g.disk.data + 3 * 512, 1024));
	CHECK_EQ_INT(used_idx(&g.d), 1);
	CHECK_EQ_INT(last_used_len(&g), 1025);
	CHECK_EQ_INT(g.disk.reads, 3);
	CHECK(n_irq >= 1);
	/* OUT: the last sector */
	memset(at(&g.r, DATA_GPA), 0xab, 512);
	submit(&g, VIRTIO_BLK_T_OUT, DISK_SECTORS - 1, 512, 1);
	CHECK_EQ_INT(status(&g), VIRTIO_BLK_S_OK);
	CHECK_EQ_INT(last_used_len(&g), 1);
	CHECK_EQ_INT(g.disk.data[(DISK_SECTORS - 1) * 512], 0xab);
	CHECK_EQ_INT(g.disk.data[DISK_SECTORS * 512 - 1], 0xab);
	CHECK(g.disk.data[(DISK_SECTORS - 1) * 512 - 1] != 0xab);
	/* FLUSH */
	submit(&g, VIRTIO_BLK_T_FLUSH, 0, 0, 0);
	CHECK_EQ_INT(status(&g), VIRTIO_BLK_S_OK);
	CHECK_EQ_INT(g.disk.flushes, 1);
	/* GET_ID: 20 bytes, NUL-padded */
	memset(at(&g.r, DATA_GPA), 'x', 20);
	submit(&g, VIRTIO_BLK_T_GET_ID, 0, 20, 1);
	CHECK_EQ_INT(status(&g), VIRTIO_BLK_S_OK);
	memcpy(id, at(&g.r, DATA_GPA), 20);
	CHECK_EQ_STR(id, "ktstr-vda");
	CHECK_EQ_INT(last_used_len(&g), 21);
	/* unknown type */
	submit(&g, 0x42, 0, 512, 1);
	CHECK_EQ_INT(status(&g), VIRTIO_BLK_S_UNSUPP);
	CHECK_EQ_INT(g.b.nreq, 5);
	CHECK_EQ_INT(g.b.nerr, 0);
	CHECK(kt_vmm_virtio_live(&g.b.vd));
	free(g.r.buf);
}

UNIT_TEST(virtio_blk_framing_is_the_drivers_choice)
{
	struct rig g;
	uint8_t hdr[16] = { 0 };
	uint64_t sector = 5;

	rig_start(&g, false, sizeof(g.disk.data));
	/* header split 4 + 12, then one writable descriptor holding both
	 * the data and the status byte */
	memcpy(hdr + 8, &sector, 8);
	memcpy(at(&g.r, HDR_GPA), hdr, 16);
	put_desc(&g.d, 4, HDR_GPA, 4, VRING_DESC_F_NEXT, 9);
	put_desc(&g.d, 9, HDR_GPA + 4, 12, VRING_DESC_F_NEXT, 2);
	put_desc(&g.d, 2, DATA_GPA, 513, VRING_DESC_F_WRITE, 0);
	*at(&g.r, DATA_GPA + 512) = 0xee;
	offer(&g.d, 4);
	wr(&g.b.vd, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	CHECK_EQ_INT(*at(&g.r, DATA_GPA + 512), VIRTIO_BLK_S_OK);
	CHECK(!memcmp(at(&g.r, DATA_GPA), g.disk.data + 5 * 512, 512));
	CHECK_EQ_INT(last_used_len(&g), 513);
	free(g.r.buf);
}

UNIT_TEST(virtio_blk_bad_requests_get_ioerr)
{
	struct rig g;
	static const struct {
		uint32_t type;
		uint64_t sector;
		uint32_t len;
	} bad[] = {
		{ VIRTIO_BLK_T_IN, DISK_SECTORS, 512 },         /* just past the end */
		{ VIRTIO_BLK_T_IN, DISK_SECTORS - 1, 1024 },    /* runs over the end */
		{ VIRTIO_BLK_T_OUT, DISK_SECTORS - 1, 1024 },
		{ VIRTIO_BLK_T_IN, UINT64_MAX, 512 },           /* sector * 512 would overflow */
		{ VIRTIO_BLK_T_IN, UINT64_MAX / 512 + 1, 512 },
		{ VIRTIO_BLK_T_IN, 0, 100 },                    /* not whole sectors */
		{ VIRTIO_BLK_T_OUT, 0, 513 },
	};
	uint8_t before[sizeof(g.disk.data)];

	rig_start(&g, false, sizeof(g.disk.data));
	memcpy(before, g.disk.data, sizeof(before));
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		submit(&g, bad[i].type, bad[i].sector, bad[i].len, 1);
		if (status(&g) != VIRTIO_BLK_S_IOERR)
			unit_fail(__FILE__, __LINE__, "case %zu: status %u, not IOERR", i, status(&g));
		CHECK_EQ_INT(last_used_len(&g), 1);
	}
	CHECK_EQ_INT(g.disk.reads + g.disk.writes, 0);
	CHECK(!memcmp(before, g.disk.data, sizeof(before)));
	/* the host failing */
	g.disk.fail = -EIO;
	submit(&g, VIRTIO_BLK_T_IN, 0, 512, 1);
	CHECK_EQ_INT(status(&g), VIRTIO_BLK_S_IOERR);
	submit(&g, VIRTIO_BLK_T_FLUSH, 0, 0, 0);
	CHECK_EQ_INT(status(&g), VIRTIO_BLK_S_IOERR);
	CHECK_EQ_INT(g.b.nerr, ARRAY_SIZE(bad) + 2);
	CHECK(kt_vmm_virtio_live(&g.b.vd)); /* errors, not driver bugs */
	free(g.r.buf);
	/* read-only: writes fail, reads work */
	rig_start(&g, true, sizeof(g.disk.data));
	memcpy(before, g.disk.data, sizeof(before));
	memset(at(&g.r, DATA_GPA), 0xcd, 512);
	submit(&g, VIRTIO_BLK_T_OUT, 0, 512, 1);
	CHECK_EQ_INT(status(&g), VIRTIO_BLK_S_IOERR);
	CHECK(!memcmp(before, g.disk.data, sizeof(before)));
	submit(&g, VIRTIO_BLK_T_IN, 1, 512, 1);
	CHECK_EQ_INT(status(&g), VIRTIO_BLK_S_OK);
	free(g.r.buf);
}

UNIT_TEST(virtio_blk_chain_without_room_stops_the_device)
{
	struct rig g;

	/* header of 8 bytes */
	rig_start(&g, false, sizeof(g.disk.data));
	put_desc(&g.d, 0, HDR_GPA, 8, VRING_DESC_F_NEXT, 1);
	put_desc(&g.d, 1, STATUS_GPA, 1, VRING_DESC_F_WRITE, 0);
	offer(&g.d, 0);
	wr(&g.b.vd, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	CHECK(rd(&g.b.vd, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET);
	CHECK(strstr(last_log, "header is 8 bytes") != NULL);
	CHECK_EQ_INT(used_idx(&g.d), 0);
	/* stopped: a good request is not served until reset */
	submit(&g, VIRTIO_BLK_T_IN, 0, 512, 1);
	CHECK_EQ_INT(used_idx(&g.d), 0);
	CHECK_EQ_INT(n_log, 1);
	free(g.r.buf);
	/* no writable byte for the status */
	rig_start(&g, false, sizeof(g.disk.data));
	put_desc(&g.d, 0, HDR_GPA, 16, 0, 0);
	offer(&g.d, 0);
	wr(&g.b.vd, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	CHECK(rd(&g.b.vd, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET);
	CHECK(strstr(last_log, "status") != NULL);
	/* a ring loop after a reset (fresh rings): also stopped, logged once */
	g.d.avail_idx = 0;
	memset(at(&g.r, AVAIL_GPA), 0, 64);
	memset(at(&g.r, USED_GPA), 0, 256);
	drv_start(&g.b.vd, &g.d, 0, V1);
	CHECK(kt_vmm_virtio_live(&g.b.vd));
	put_desc(&g.d, 0, HDR_GPA, 16, VRING_DESC_F_NEXT, 0);
	offer(&g.d, 0);
	wr(&g.b.vd, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	CHECK(rd(&g.b.vd, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET);
	CHECK(strstr(last_log, "a loop") != NULL);
	CHECK_EQ_INT(n_log, 2);
	free(g.r.buf);
}

/* ---- console ---- */
static char con_buf[256];
static size_t con_len;
static void con_out(void *arg, const void *p, size_t n)
{
	(void)arg;
	if (n > sizeof(con_buf) - con_len)
		n = sizeof(con_buf) - con_len;
	memcpy(con_buf + con_len, p, n);
	con_len += n;
}

UNIT_TEST(virtio_console_transmit_and_receive)
{
	struct ram r;
	struct kvmm_con c;
	struct drv tx, rx;
	uint32_t id, len;

	ram_init(&r);
	kt_vmm_con_init(&c, con_out, NULL);
	c.vd.mem = r.ch;
	c.vd.nmem = r.n;
	c.vd.irq = t_irq;
	c.vd.log = t_log;
	n_irq = n_log = 0;
	con_len = 0;
	CHECK_EQ_INT(rd(&c.vd, VIRTIO_MMIO_DEVICE_ID), VIRTIO_ID_CONSOLE);
	wr(&c.vd, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	CHECK_EQ_INT(rd(&c.vd, VIRTIO_MMIO_DEVICE_FEATURES), 0); /* no MULTIPORT, no SIZE */
	CHECK_EQ_INT(kt_vmm_con_input(&c, "early", 5), 0);         /* no driver yet */
	rx = (struct drv){ .r = &r, .desc = DESC_GPA, .avail = AVAIL_GPA, .used = USED_GPA, .num = 8 };
	tx = (struct drv){ .r = &r, .desc = DESC_GPA + 0x8000, .avail = AVAIL_GPA + 0x8000, .used = USED_GPA + 0x8000,
			   .num = 8 };
	drv_start(&c.vd, &rx, KVMM_CON_RXQ, V1);
	wr(&c.vd, VIRTIO_MMIO_QUEUE_SEL, KVMM_CON_TXQ);
	wr(&c.vd, VIRTIO_MMIO_QUEUE_NUM, 8);
	wr(&c.vd, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)tx.desc);
	wr(&c.vd, VIRTIO_MMIO_QUEUE_AVAIL_LOW, (uint32_t)tx.avail);
	wr(&c.vd, VIRTIO_MMIO_QUEUE_USED_LOW, (uint32_t)tx.used);
	wr(&c.vd, VIRTIO_MMIO_QUEUE_READY, 1);
	CHECK(kt_vmm_virtio_live(&c.vd));
	/* input waits until the guest has written: its port may not be ready */
	put_desc(&rx, 0, BUF_GPA + 0x100, 4, VRING_DESC_F_WRITE, 0);
	put_desc(&rx, 1, BUF_GPA + 0x200, 4, VRING_DESC_F_WRITE, 0);
	offer(&rx, 0);
	offer(&rx, 1);
	CHECK_EQ_INT(kt_vmm_con_input(&c, "abcdefghij", 10), 0);
	CHECK_EQ_INT(used_idx(&rx), 0);
	/* transmit: two buffers, one notification */
	memcpy(at(&r, BUF_GPA), "hello ", 6);
	memcpy(at(&r, BUF_GPA + 0x40), "hvc0\n", 5);
	put_desc(&tx, 0, BUF_GPA, 6, 0, 0);
	put_desc(&tx, 1, BUF_GPA + 0x40, 5, 0, 0);
	offer(&tx, 0);
	offer(&tx, 1);
	wr(&c.vd, VIRTIO_MMIO_QUEUE_NOTIFY, KVMM_CON_TXQ);
	CHECK_EQ_INT(con_len, 11);
	CHECK(!memcmp(con_buf, "hello hvc0\n", 11));
	CHECK_EQ_INT(used_idx(&tx), 2);
	CHECK_EQ_INT(n_irq, 1);
	/* receive: into the two 4-byte buffers */
	wr(&c.vd, VIRTIO_MMIO_QUEUE_NOTIFY, KVMM_CON_RXQ);
	CHECK_EQ_INT(kt_vmm_con_input(&c, "abcdefghij", 10), 8);
	CHECK(!memcmp(at(&r, BUF_GPA + 0x100), "abcd", 4));
	CHECK(!memcmp(at(&r, BUF_GPA + 0x200), "efgh", 4));
	used_elem(&rx, 1, &id, &len);
	CHECK_EQ_INT(id, 1);
	CHECK_EQ_INT(len, 4);
	CHECK_EQ_INT(kt_vmm_con_input(&c, "ij", 2), 0); /* waits for more buffers */
	CHECK_EQ_INT(n_irq, 2);
	/* a transmit buffer outside RAM stops the device */
	put_desc(&tx, 2, RAM_GPA + RAM_SIZE, 6, 0, 0);
	offer(&tx, 2);
	wr(&c.vd, VIRTIO_MMIO_QUEUE_NOTIFY, KVMM_CON_TXQ);
	CHECK(!kt_vmm_virtio_live(&c.vd));
	CHECK(strstr(last_log, "transmitq") != NULL);
	CHECK_EQ_INT(con_len, 11);
	CHECK_EQ_INT(kt_vmm_con_input(&c, "ij", 2), 0);
	/* after a reset the guest must write again before input flows */
	drv_start(&c.vd, &rx, KVMM_CON_RXQ, V1);
	CHECK(kt_vmm_virtio_live(&c.vd));
	CHECK(!c.guest_wrote);
	free(r.buf);
}
