/* Unit tests for the virtio-mmio side of ktstr's VMM (src/vm/kvm/virtio.h):
 * the transport's register state machine, split-virtqueue walking over a
 * buffer that stands in for guest RAM, virtio-blk requests against an
 * in-memory disk and the console's two queues; with the malformed input
 * a hostile guest could give (descriptors outside RAM, loops, lengths
 * that overflow, bad queue sizes, a driver refusing VERSION_1). */
#include "unit.h"
#include "virtio_drv.h"

#include <errno.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_config.h>
#include <linux/virtio_mmio.h>
#include <linux/virtio_ring.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ---- a test device counting what the transport does ---- */
static unsigned n_notify, n_irq, n_log, n_reset, last_q;
static char last_log[256];

static void t_notify(struct kvmm_virtio *d, unsigned q)
{
	(void)d;
	n_notify++;
	last_q = q;
}
static void t_reset(struct kvmm_virtio *d)
{
	(void)d;
	n_reset++;
}
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
static const struct kvmm_virtio_ops t_ops = { .notify = t_notify, .reset = t_reset };

static void t_dev(struct kvmm_virtio *v, struct ram *r)
{
	kt_vmm_virtio_init(v, 42, 1ull << 3, 2, 16, &t_ops);
	v->mem = r->ch;
	v->nmem = r->n;
	v->irq = t_irq;
	v->log = t_log;
	n_notify = n_irq = n_log = n_reset = 0;
	last_log[0] = '\0';
}

UNIT_TEST(virtio_mmio_identity_and_config)
{
	struct ram r;
	struct kvmm_virtio v;
	uint64_t v64 = 0;
	uint16_t v16 = 0;
	uint8_t b = 0;

	ram_init(&r);
	t_dev(&v, &r);
	for (unsigned i = 0; i < 8; i++)
		v.config[i] = (uint8_t)(0x11 * (i + 1));
	v.config_len = 8;
	CHECK_EQ_INT(rd(&v, VIRTIO_MMIO_MAGIC_VALUE), 0x74726976);
	CHECK_EQ_INT(rd(&v, VIRTIO_MMIO_VERSION), 2);
	CHECK_EQ_INT(rd(&v, VIRTIO_MMIO_DEVICE_ID), 42);
	CHECK_EQ_INT(rd(&v, VIRTIO_MMIO_VENDOR_ID), KVMM_VIRTIO_VENDOR);
	wr(&v, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	CHECK_EQ_INT(rd(&v, VIRTIO_MMIO_DEVICE_FEATURES), 1u << 3);
	wr(&v, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	CHECK_EQ_INT(rd(&v, VIRTIO_MMIO_DEVICE_FEATURES), 1); /* VERSION_1 is bit 32 */
	wr(&v, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 7);
	CHECK_EQ_INT(rd(&v, VIRTIO_MMIO_DEVICE_FEATURES), 0);
	for (unsigned q = 0; q < 3; q++) {
		wr(&v, VIRTIO_MMIO_QUEUE_SEL, q);
		CHECK_EQ_INT(rd(&v, VIRTIO_MMIO_QUEUE_NUM_MAX), q < 2 ? 16 : 0);
		CHECK_EQ_INT(rd(&v, VIRTIO_MMIO_QUEUE_READY), 0);
	}
	CHECK_EQ_INT(rd(&v, VIRTIO_MMIO_SHM_LEN_LOW), 0xffffffffu);
	CHECK_EQ_INT(rd(&v, VIRTIO_MMIO_CONFIG_GENERATION), 0);
	/* config space: any width, zero past its end */
	CHECK_EQ_INT(rd(&v, 0x100), 0x44332211);
	kt_vmm_virtio_read(&v, 0x100, &v64, 8);
	CHECK_EQ_INT(v64, 0x8877665544332211ull);
	kt_vmm_virtio_read(&v, 0x105, &b, 1);
	CHECK_EQ_INT(b, 0x66);
	kt_vmm_virtio_read(&v, 0x107, &v16, 2);
	CHECK_EQ_INT(v16, 0x0088);
	CHECK_EQ_INT(rd(&v, 0x200), 0);
	wr(&v, 0x100, 0xdeadbeef); /* read-only */
	CHECK_EQ_INT(rd(&v, 0x100), 0x44332211);
	/* registers: 32-bit aligned accesses only */
	kt_vmm_virtio_read(&v, VIRTIO_MMIO_MAGIC_VALUE, &v16, 2);
	CHECK_EQ_INT(v16, 0);
	CHECK_EQ_INT(rd(&v, VIRTIO_MMIO_MAGIC_VALUE + 1), 0);
	free(r.buf);
}

UNIT_TEST(virtio_mmio_driver_must_accept_version_1)
{
	struct ram r;
	struct kvmm_virtio v;
	struct drv d;
	const uint32_t st = VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK;

	ram_init(&r);
	t_dev(&v, &r);
	d = (struct drv){ .r = &r, .desc = DESC_GPA, .avail = AVAIL_GPA, .used = USED_GPA, .num = 8 };
	/* a legacy driver: no VERSION_1 -> FEATURES_OK does not stick */
	drv_start(&v, &d, 0, 1ull << 3);
	CHECK(!(rd(&v, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_FEATURES_OK));
	CHECK(!kt_vmm_virtio_live(&v));
	wr(&v, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	CHECK_EQ_INT(n_notify, 0);
	/* a feature we never offered */
	drv_start(&v, &d, 0, V1 | 1ull << 5);
	CHECK(!(rd(&v, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_FEATURES_OK));
	CHECK(!kt_vmm_virtio_live(&v));
	/* accepted: live, and DRIVER_OK kicks the ready queue once */
	drv_start(&v, &d, 0, V1 | 1ull << 3);
	CHECK_EQ_INT(rd(&v, VIRTIO_MMIO_STATUS), st | VIRTIO_CONFIG_S_DRIVER_OK);
	CHECK(kt_vmm_virtio_live(&v));
	CHECK_EQ_INT(v.driver_features, V1 | 1ull << 3);
	CHECK_EQ_INT(n_notify, 1);
	/* features are frozen after FEATURES_OK */
	wr(&v, VIRTIO_MMIO_DRIVER_FEATURES, 0);
	CHECK_EQ_INT(v.driver_features, V1 | 1ull << 3);
	/* FAILED stops it */
	wr(&v, VIRTIO_MMIO_STATUS, st | VIRTIO_CONFIG_S_DRIVER_OK | VIRTIO_CONFIG_S_FAILED);
	CHECK(!kt_vmm_virtio_live(&v));
	free(r.buf);
}

UNIT_TEST(virtio_mmio_queue_setup_checks)
{
	struct ram r;
	struct kvmm_virtio v;
	struct drv d;
	static const struct {
		unsigned num;
		uint64_t desc, avail, used;
		const char *why;
	} bad[] = {
		{ 12, DESC_GPA, AVAIL_GPA, USED_GPA, "not a power of two" },  /* below QueueNumMax */
		{ 0, DESC_GPA, AVAIL_GPA, USED_GPA, "not a power of two" },
		{ 32, DESC_GPA, AVAIL_GPA, USED_GPA, "not a power of two" }, /* above QueueNumMax 16 */
		{ 8, DESC_GPA + 8, AVAIL_GPA, USED_GPA, "misaligned" },
		{ 8, DESC_GPA, AVAIL_GPA + 1, USED_GPA, "misaligned" },
		{ 8, DESC_GPA, AVAIL_GPA, USED_GPA + 2, "misaligned" },
		{ 8, 0x1000, AVAIL_GPA, USED_GPA, "descriptor ring" },             /* below RAM */
		{ 8, DESC_GPA, RAM_GPA + RAM_SIZE - 8, USED_GPA, "avail ring" },  /* runs off the end */
		{ 8, DESC_GPA, AVAIL_GPA, 0xfffffffffffffff0ull, "used ring" },    /* would wrap */
	};

	ram_init(&r);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		t_dev(&v, &r);
		d = (struct drv){ .r = &r, .desc = bad[i].desc, .avail = bad[i].avail, .used = bad[i].used,
				  .num = bad[i].num };
		drv_start(&v, &d, 0, V1);
		CHECK_EQ_INT(rd(&v, VIRTIO_MMIO_QUEUE_READY), 0);
		CHECK(rd(&v, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET);
		CHECK(!kt_vmm_virtio_live(&v));
		CHECK_EQ_INT(n_log, 1);
		if (!strstr(last_log, bad[i].why))
			unit_fail(__FILE__, __LINE__, "case %zu: log \"%s\" lacks \"%s\"", i, last_log, bad[i].why);
		wr(&v, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
		CHECK_EQ_INT(n_notify, 0);
	}
	/* reset clears NEEDS_RESET; a good queue then works */
	d = (struct drv){ .r = &r, .desc = DESC_GPA, .avail = AVAIL_GPA, .used = USED_GPA, .num = 16 };
	n_reset = 0;
	drv_start(&v, &d, 1, V1);
	CHECK_EQ_INT(n_reset, 1);
	CHECK(kt_vmm_virtio_live(&v));
	CHECK_EQ_INT(rd(&v, VIRTIO_MMIO_QUEUE_READY), 1);
	/* queue registers are frozen while it is ready */
	wr(&v, VIRTIO_MMIO_QUEUE_NUM, 4);
	wr(&v, VIRTIO_MMIO_QUEUE_DESC_LOW, 0);
	CHECK_EQ_INT(v.q[1].num, 16);
	CHECK_EQ_INT(v.q[1].desc_gpa, DESC_GPA);
	n_notify = 0;
	wr(&v, VIRTIO_MMIO_QUEUE_NOTIFY, 1);
	wr(&v, VIRTIO_MMIO_QUEUE_NOTIFY, 0); /* not ready */
	wr(&v, VIRTIO_MMIO_QUEUE_NOTIFY, 9); /* no such queue */
	CHECK_EQ_INT(n_notify, 1);
	CHECK_EQ_INT(last_q, 1);
	wr(&v, VIRTIO_MMIO_QUEUE_READY, 0);
	CHECK_EQ_INT(rd(&v, VIRTIO_MMIO_QUEUE_READY), 0);
	free(r.buf);
}

UNIT_TEST(virtio_mmio_interrupts_and_reset)
{
	struct ram r;
	struct kvmm_virtio v;
	struct drv d;

	ram_init(&r);
	t_dev(&v, &r);
	d = (struct drv){ .r = &r, .desc = DESC_GPA, .avail = AVAIL_GPA, .used = USED_GPA, .num = 8 };
	drv_start(&v, &d, 0, V1);
	kt_vmm_virtio_interrupt(&v);
	CHECK_EQ_INT(n_irq, 1);
	CHECK_EQ_INT(rd(&v, VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_MMIO_INT_VRING);
	kt_vmm_virtio_fail(&v, "test %d", 1);
	CHECK_EQ_INT(n_irq, 2); /* configuration change */
	CHECK_EQ_INT(rd(&v, VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_MMIO_INT_VRING | VIRTIO_MMIO_INT_CONFIG);
	wr(&v, VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_MMIO_INT_VRING);
	CHECK_EQ_INT(rd(&v, VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_MMIO_INT_CONFIG);
	kt_vmm_virtio_fail(&v, "again"); /* already failed: no second log */
	CHECK_EQ_INT(n_log, 1);
	CHECK_EQ_STR(last_log, "test 1");
	wr(&v, VIRTIO_MMIO_STATUS, 0);
	CHECK_EQ_INT(rd(&v, VIRTIO_MMIO_STATUS), 0);
	CHECK_EQ_INT(rd(&v, VIRTIO_MMIO_INTERRUPT_STATUS), 0);
	wr(&v, VIRTIO_MMIO_QUEUE_SEL, 0);
	CHECK_EQ_INT(rd(&v, VIRTIO_MMIO_QUEUE_READY), 0);
	CHECK_EQ_INT(v.q[0].num, 0);
	CHECK_EQ_INT(v.q[0].num_max, 16);
	/* a driver that keeps failing and resetting is logged a few times only */
	for (unsigned i = 0; i < 10; i++) {
		drv_start(&v, &d, 0, V1);
		kt_vmm_virtio_fail(&v, "loop %u", i);
	}
	CHECK_EQ_INT(n_log, KVMM_VIRTIO_MAX_LOGS);
	free(r.buf);
}

/* ---- virtqueue walking ---- */
static void vq_ready(struct kvmm_vq *q, struct drv *d, struct ram *r, unsigned num)
{
	char err[200];

	*d = (struct drv){ .r = r, .desc = DESC_GPA, .avail = AVAIL_GPA, .used = USED_GPA, .num = num };
	*q = (struct kvmm_vq){ .num_max = 256, .num = num, .desc_gpa = DESC_GPA, .avail_gpa = AVAIL_GPA,
			       .used_gpa = USED_GPA };
	CHECK_EQ_INT(kt_vmm_vq_map(q, r->ch, r->n, err, sizeof(err)), 0);
	q->ready = true;
}

UNIT_TEST(virtq_pop_push_and_copy)
{
	struct ram r;
	struct kvmm_vq q;
	struct drv d;
	struct kvmm_vchain c;
	char err[200], buf[32] = { 0 };
	uint32_t id, len;
	uint16_t flags = VRING_AVAIL_F_NO_INTERRUPT;

	ram_init(&r);
	vq_ready(&q, &d, &r, 8);
	CHECK_EQ_INT(kt_vmm_vq_pop(&q, r.ch, r.n, &c, err, sizeof(err)), 0); /* nothing yet */
	memcpy(at(&r, BUF_GPA), "hello ", 6);
	memcpy(at(&r, BUF_GPA + 0x100), "world", 5);
	put_desc(&d, 5, BUF_GPA, 6, VRING_DESC_F_NEXT, 2);
	put_desc(&d, 2, BUF_GPA + 0x100, 5, VRING_DESC_F_NEXT, 7);
	put_desc(&d, 7, BUF_GPA + 0x200, 4, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 0);
	put_desc(&d, 0, BUF_GPA + 0x300, 3, VRING_DESC_F_WRITE, 0);
	offer(&d, 5);
	CHECK_EQ_INT(kt_vmm_vq_pop(&q, r.ch, r.n, &c, err, sizeof(err)), 1);
	CHECK_EQ_INT(c.head, 5);
	CHECK_EQ_INT(c.nr, 2);
	CHECK_EQ_INT(c.nw, 2);
	CHECK_EQ_INT(c.rlen, 11);
	CHECK_EQ_INT(c.wlen, 7);
	CHECK_EQ_INT(kt_vmm_vchain_read(&c, 0, buf, sizeof(buf)), 11);
	CHECK_EQ_STR(buf, "hello world");
	CHECK_EQ_INT(kt_vmm_vchain_read(&c, 4, buf, 4), 4);
	CHECK(!memcmp(buf, "o wo", 4));
	CHECK_EQ_INT(kt_vmm_vchain_write(&c, 2, "ABCDEFGH", 8), 5); /* 7 writable bytes, from 2 */
	CHECK(!memcmp(at(&r, BUF_GPA + 0x202), "AB", 2));
	CHECK(!memcmp(at(&r, BUF_GPA + 0x300), "CDE", 3));
	CHECK_EQ_INT(kt_vmm_vq_pop(&q, r.ch, r.n, &c, err, sizeof(err)), 0);
	kt_vmm_vq_push(&q, 5, 7);
	CHECK_EQ_INT(used_idx(&d), 1);
	used_elem(&d, 0, &id, &len);
	CHECK_EQ_INT(id, 5);
	CHECK_EQ_INT(len, 7);
	CHECK(kt_vmm_vq_want_irq(&q));
	memcpy(at(&r, AVAIL_GPA), &flags, 2);
	CHECK(!kt_vmm_vq_want_irq(&q));
	/* indices wrap at 16 bits */
	q.last_avail = q.used_idx = d.avail_idx = 0xffff;
	put_desc(&d, 1, BUF_GPA, 1, 0, 0);
	offer(&d, 1);
	CHECK_EQ_INT(kt_vmm_vq_pop(&q, r.ch, r.n, &c, err, sizeof(err)), 1);
	kt_vmm_vq_push(&q, 1, 0);
	CHECK_EQ_INT(used_idx(&d), 0);
	CHECK_EQ_INT(q.last_avail, 0);
	free(r.buf);
}

UNIT_TEST(virtq_buffer_across_ram_chunks)
{
	struct ram r;
	struct kvmm_vq q;
	struct drv d;
	struct kvmm_vchain c;
	char err[200];
	uint64_t edge = RAM_GPA + RAM_SIZE / 2;

	ram_init(&r);
	vq_ready(&q, &d, &r, 8);
	put_desc(&d, 0, edge - 100, 300, 0, 0); /* straddles the node boundary */
	offer(&d, 0);
	CHECK_EQ_INT(kt_vmm_vq_pop(&q, r.ch, r.n, &c, err, sizeof(err)), 1);
	CHECK_EQ_INT(c.nr, 2);
	CHECK_EQ_INT(c.seg[0].len, 100);
	CHECK_EQ_INT(c.seg[1].len, 200);
	CHECK(c.seg[1].p == at(&r, edge));
	/* with a hole between the chunks it is refused */
	r.ch[1].gpa += 0x1000;
	put_desc(&d, 0, edge - 100, 300, 0, 0);
	offer(&d, 0);
	CHECK_EQ_INT(kt_vmm_vq_pop(&q, r.ch, r.n, &c, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "not inside guest RAM") != NULL);
	free(r.buf);
}

/* One malformed ring per case: each is refused, names the problem and
 * is not consumed. */
UNIT_TEST(virtq_rejects_malformed_chains)
{
	struct ram r;
	struct kvmm_vq q;
	struct drv d;
	struct kvmm_vchain c;
	char err[200];
	enum { OUT_LOW, OUT_HIGH, WRAP, LOOP2, SELF, NEXT_OOR, HEAD_OOR, AVAIL_AHEAD, INDIRECT, R_AFTER_W, OVER_4G, N };
	static const char *const why[N] = { "not inside guest RAM", "not inside guest RAM", "not inside guest RAM",
					    "a loop", "a loop", "beyond the queue size", "names descriptor",
					    "entries ahead", "indirect", "follows a writable", "more than 4 GiB" };

	ram_init(&r);
	for (int k = 0; k < N; k++) {
		uint16_t head = 0;

		vq_ready(&q, &d, &r, 8);
		memset(at(&r, DESC_GPA), 0, 16 * 8);
		switch (k) {
		case OUT_LOW:
			put_desc(&d, 0, 0x1000, 16, 0, 0);
			break;
		case OUT_HIGH: /* starts inside, ends past the end of RAM */
			put_desc(&d, 0, RAM_GPA + RAM_SIZE - 8, 16, 0, 0);
			break;
		case WRAP: /* addr + len overflows 64 bits */
			put_desc(&d, 0, 0xffffffffffffff00ull, 0x200, 0, 0);
			break;
		case LOOP2:
			put_desc(&d, 0, BUF_GPA, 16, VRING_DESC_F_NEXT, 1);
			put_desc(&d, 1, BUF_GPA, 16, VRING_DESC_F_NEXT, 0);
			break;
		case SELF:
			put_desc(&d, 3, BUF_GPA, 16, VRING_DESC_F_NEXT, 3);
			head = 3;
			break;
		case NEXT_OOR:
			put_desc(&d, 0, BUF_GPA, 16, VRING_DESC_F_NEXT, 8);
			break;
		case HEAD_OOR:
			head = 8;
			break;
		case AVAIL_AHEAD: /* the driver claims 9 new entries in a queue of 8 */
			d.avail_idx = 8;
			break;
		case INDIRECT:
			put_desc(&d, 0, BUF_GPA, 16, VRING_DESC_F_INDIRECT, 0);
			break;
		case R_AFTER_W:
			put_desc(&d, 0, BUF_GPA, 16, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 1);
			put_desc(&d, 1, BUF_GPA, 16, 0, 0);
			break;
		case OVER_4G: /* two buffers whose lengths add up past 4 GiB (a large RAM chunk) */
			r.ch[2] = (struct kvmm_chunk){ .gpa = 1ull << 32, .size = 8ull << 30, .host = r.buf };
			r.n = 3;
			put_desc(&d, 0, 1ull << 32, 0xffffffffu, VRING_DESC_F_NEXT, 1);
			put_desc(&d, 1, 1ull << 32, 1, VRING_DESC_F_WRITE, 0);
			break;
		}
		offer(&d, head);
		err[0] = '\0';
		CHECK_EQ_INT(kt_vmm_vq_pop(&q, r.ch, r.n, &c, err, sizeof(err)), -EINVAL);
		if (!strstr(err, why[k]))
			unit_fail(__FILE__, __LINE__, "case %d: \"%s\" lacks \"%s\"", k, err, why[k]);
		CHECK_EQ_INT(q.last_avail, 0);
		r.n = 2;
	}
	/* one buffer of exactly 4 GiB - 1 is fine */
	vq_ready(&q, &d, &r, 8);
	r.ch[2] = (struct kvmm_chunk){ .gpa = 1ull << 32, .size = 8ull << 30, .host = r.buf };
	put_desc(&d, 0, 1ull << 32, 0xffffffffu, 0, 0);
	offer(&d, 0);
	CHECK_EQ_INT(kt_vmm_vq_pop(&q, r.ch, 3, &c, err, sizeof(err)), 1);
	CHECK_EQ_INT(c.rlen, 0xffffffffu);
	free(r.buf);
}
