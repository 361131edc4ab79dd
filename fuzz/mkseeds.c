/* Writes the seed corpus of the fuzz targets (fuzz/corpus/<target>/):
 *
 *   mkseeds OUTDIR
 *
 * Protocol seeds are made with the project's own writers (the ring, the
 * result JSON and frame, the command-line encoder) so they are what a
 * real guest or host sends; the others come from the fixtures and from
 * this host's files: unit/fixtures (BTF, page tables),
 * tests/cli/fixtures/sidecars, the cached kernel's .config (trimmed to
 * ktstr's options) and bzImage (its first 16 KiB), /bin/true and
 * /etc/ld.so.cache.  A missing host file is skipped with a note.  Every
 * seed stays under 64 KiB.  `make fuzz-seeds` runs it; the output is
 * committed, so a run is needed only to add seeds (docs/fuzzing.md). */
#include <dirent.h>
#include <errno.h>
#include <glob.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "initramfs/cpio.h"
#include "kernel/kernel.h"
#include "monitor/xlate.h"
#include "proto/guest_args.h"
#include "proto/result.h"
#include "proto/shm_ring.h"
#include "report/report.h"
#include "util/util.h"

#define SEED_MAX (64u << 10)

static const char *outdir;
static int failures;

/* A growable seed: bytes appended field by field. */
static void put(struct kbuf *b, const void *p, size_t n)
{
	if (kt_kbuf_append(b, p, n)) {
		fprintf(stderr, "mkseeds: out of memory\n");
		exit(1);
	}
}
static void put8(struct kbuf *b, uint8_t v) { put(b, &v, 1); }
static void put16(struct kbuf *b, uint16_t v) { put(b, &v, 2); }
static void put32(struct kbuf *b, uint32_t v) { put(b, &v, 4); }
static void put64(struct kbuf *b, uint64_t v) { put(b, &v, 8); }
static void puts0(struct kbuf *b, const char *s) { put(b, s, strlen(s) + 1); }
#define PUTS(b, lit) put(b, lit, sizeof(lit) - 1) /* a literal without its NUL */

static void seed(const char *target, const char *name, const void *p, size_t n)
{
	char path[1024];

	if (n > SEED_MAX) {
		fprintf(stderr, "mkseeds: %s/%s: %zu bytes, over the 64 KiB limit\n", target, name, n);
		failures++;
		return;
	}
	snprintf(path, sizeof(path), "%s/%s", outdir, target);
	kt_mkdir_p(path, 0755);
	snprintf(path, sizeof(path), "%s/%s/%s", outdir, target, name);
	if (kt_write_file(path, p, n))
		failures++;
}

static void seed_buf(const char *target, const char *name, struct kbuf *b)
{
	seed(target, name, b->data ? b->data : "", b->len);
	kt_kbuf_free(b);
}

/* A file of this host as a seed, behind a prefix (NULL: none), at most
 * max bytes. */
static void seed_file(const char *target, const char *name, const char *prefix, size_t plen, const char *path,
		      size_t max)
{
	struct kbuf f = { 0 }, b = { 0 };

	if (kt_read_file(path, &f)) {
		fprintf(stderr, "mkseeds: %s: not here, seed %s/%s skipped\n", path, target, name);
		return;
	}
	if (prefix)
		put(&b, prefix, plen);
	put(&b, f.data, f.len < max ? f.len : max);
	seed_buf(target, name, &b);
	kt_kbuf_free(&f);
}

static void sample_result(struct kt_result *r)
{
	kt_result_init(r, "steady");
	r->elapsed_ms = 2000;
	r->workers = 4;
	kt_result_add(r, KTSTR_K_STARVED, "cgroup cg_0: worker 3 off-CPU 94% (limit 80%)");
	kt_result_add(r, KTSTR_K_UNFAIR, "spread 41% between cg_0 and cg_1 \xe2\x80\x94 limit 35%");
	r->ncg = 2;
	for (unsigned i = 0; i < 2; i++) {
		struct kt_cgstats *g = &r->cg[i];

		snprintf(g->name, sizeof(g->name), "cg_%u", i);
		snprintf(g->work, sizeof(g->work), "%s", i ? "spin" : "yield");
		g->workers = 2;
		g->cpus = 2;
		g->avg_off_cpu_pct = 12.5 + i;
		g->max_gap_ms = 17;
		g->max_gap_cpu = 1;
		g->iterations = 123456;
		g->p99_wake_latency_us = 850.25;
		g->gap_hist_ms[3] = 2;
		g->wake_hist_us[10] = 77;
	}
	r->have_topo = true;
	r->topo = (struct kt_seen_topo){ .cpus = 4, .nodes = 1, .llcs = 2, .llc_size_min = 2, .llc_size_max = 2,
					 .smt_min = 1, .smt_max = 1, .llcs_within_nodes = true };
	snprintf(r->topo.llc_lists[0], sizeof(r->topo.llc_lists[0]), "0-1");
	snprintf(r->topo.llc_lists[1], sizeof(r->topo.llc_lists[1]), "2-3");
	snprintf(r->topo.node_lists[0], sizeof(r->topo.node_lists[0]), "0-3");
}

static void ignore(void *arg, uint32_t type, const void *p, uint32_t len, bool crc_ok)
{
	(void)arg, (void)type, (void)p, (void)len, (void)crc_ok;
}

/* A ring seed: the flags byte, then the region. */
static void ring_seed(const char *name, uint8_t flags, const void *mem, size_t n)
{
	struct kbuf b = { 0 };

	put8(&b, flags);
	put(&b, mem, n);
	seed_buf("ring", name, &b);
}

static void ring_seeds(const struct kbuf *json)
{
	static const char crash[] = "BUG: kernel NULL pointer dereference, address: 0000000000000008\n";
	struct kt_stimulus st = { .step = 1, .kind = 2, .at_ns = 1000000, .iterations = 42 };
	uint64_t mem[(KT_RING_HDR + 1024) / 8], small[(KT_RING_HDR + 96) / 8]; /* aligned as the region is */
	unsigned bad = 0;

	/* A ring with the messages of a run, as the guest writes them. */
	memset(mem, 0, sizeof(mem));
	kt_ring_init(mem, sizeof(mem));
	kt_ring_write(mem, sizeof(mem), KT_MSG_SCENARIO_START, "steady", 6);
	kt_ring_write(mem, sizeof(mem), KT_MSG_STIMULUS, &st, sizeof(st));
	kt_ring_write(mem, sizeof(mem), KT_MSG_TEST_RESULT, json->data, (uint32_t)json->len);
	kt_ring_write(mem, sizeof(mem), KT_MSG_EXIT, "\0\0\0\0", 4);
	ring_seed("messages", 0, mem, sizeof(mem));
	ring_seed("messages-fixup", 1, mem, sizeof(mem));
	/* Wrapped: the writer went round a small ring; a message straddles
	 * the end. */
	memset(small, 0, sizeof(small));
	kt_ring_init(small, sizeof(small));
	for (int i = 0; i < 5; i++) {
		kt_ring_write(small, sizeof(small), KT_MSG_CRASH, crash, 40);
		kt_ring_drain(small, sizeof(small), ignore, NULL, &bad);
	}
	kt_ring_write(small, sizeof(small), KT_MSG_CRASH, crash, 40);
	ring_seed("wrapped", 1, small, sizeof(small));
	/* Empty, and a header whose message length runs past the write pointer. */
	memset(mem, 0, sizeof(mem));
	kt_ring_init(mem, sizeof(mem));
	ring_seed("empty", 0, mem, sizeof(mem));
	kt_ring_write(mem, sizeof(mem), KT_MSG_SCHED_EXIT, "scx_ktstr: stall", 16);
	((uint8_t *)mem)[KT_RING_HDR + 4] = 0xff;
	ring_seed("bad-length", 0, mem, sizeof(mem));
}

static void frame_seeds(const struct kbuf *json)
{
	struct kbuf f = { 0 }, b = { 0 };

	kt_frame_encode(json->data, json->len, &f);
	/* A COM2 stream: the guest's chatter, the frame, the end. */
	put8(&b, 0);
	PUTS(&b, "ktstr-init: scheduler scx_ktstr attached\nktstr-init: running steady\n");
	put(&b, f.data, f.len);
	seed_buf("frame", "stream", &b);
	/* Through a tty that turned \n into \r\n. */
	put8(&b, 0);
	for (size_t i = 0; i < f.len; i++) {
		if (f.data[i] == '\n')
			put8(&b, '\r');
		put8(&b, (uint8_t)f.data[i]);
	}
	seed_buf("frame", "crlf", &b);
	/* A frame with a wrong CRC, then a good one; then a truncated one. */
	put8(&b, 0);
	PUTS(&b, KT_FRAME_BEGIN " len=2 crc=00000000===\n{}\n" KT_FRAME_END "\n");
	put(&b, f.data, f.len);
	put(&b, f.data, f.len / 2);
	seed_buf("frame", "bad-good-truncated", &b);
	/* A guest flooding COM2 (mode bit 1: repeated, to 256 KiB), with a
	 * frame at the end of every repetition. */
	put8(&b, 2 | 1 << 2);
	PUTS(&b, "[   12.345678] sched_ext: BPF scheduler \"ktstr\" enabled\n");
	put(&b, f.data, f.len);
	seed_buf("frame", "flood", &b);
	/* The JSON alone (the target frames it). */
	put8(&b, 1);
	put(&b, json->data, json->len);
	seed_buf("frame", "json", &b);
	put8(&b, 1);
	PUTS(&b, "{\"test\":\"t\",\"passed\":true,\"details\":[{\"kind\":\"skip\",\"message\":\"no sched_ext\"}]}");
	seed_buf("frame", "json-skip", &b);
	kt_kbuf_free(&f);
}

static void sample_args(struct kt_guest_args *a)
{
	memset(a, 0, sizeof(*a));
	snprintf(a->test, sizeof(a->test), "steady");
	snprintf(a->topo, sizeof(a->topo), "1n2l2c1t");
	a->duration_ms = 2000;
	snprintf(a->sched, sizeof(a->sched), "/sched/scx_ktstr");
	snprintf(a->sched_args, sizeof(a->sched_args), "--slice-us 5000 --verbose 'a b'");
	a->sched_attach_ms = 10000;
	snprintf(a->sched_helper_cpus, sizeof(a->sched_helper_cpus), "0-1");
	a->shm_addr = 0x7f000000;
	a->shm_size = 0x200000;
	snprintf(a->accel, sizeof(a->accel), "kvm");
}

static void args_seeds(void)
{
	struct kt_guest_args a;
	struct kbuf b = { 0 };
	char line[8192] = "console=ttyS0 earlyprintk=serial panic=-1 quiet";

	sample_args(&a);
	kt_guest_args_encode(&a, line, sizeof(line));
	put8(&b, 0);
	puts0(&b, line);
	seed_buf("args", "cmdline-test", &b);
	memset(&a, 0, sizeof(a));
	a.mode = KT_GUEST_SHELL;
	snprintf(a.topo, sizeof(a.topo), "1n1l2c2t");
	snprintf(a.term, sizeof(a.term), "xterm-256color");
	a.cols = 200;
	a.rows = 50;
	a.have_exec = true;
	snprintf(a.exec, sizeof(a.exec), "cat /proc/cpuinfo | grep -c processor; echo \"done\" > /tmp/x");
	a.tty_hvc0 = true;
	snprintf(line, sizeof(line), "console=hvc0");
	kt_guest_args_encode(&a, line, sizeof(line));
	put8(&b, 0);
	puts0(&b, line);
	seed_buf("args", "cmdline-shell", &b);
	/* Structured: the fields of struct kt_guest_args (fuzz_args.c). */
	put8(&b, 1);
	put16(&b, 4096);
	put8(&b, 0);
	put32(&b, 2000);
	put32(&b, 10000);
	put32(&b, 0);
	put32(&b, 0);
	put64(&b, 0x7f000000);
	put64(&b, 0x200000);
	put8(&b, 1);
	put8(&b, 1);
	put8(&b, 0);
	puts0(&b, "steady");
	puts0(&b, "2n4l2c2t");
	puts0(&b, "/sched/scx_ktstr");
	puts0(&b, "--flag=1 x%y \"q\"\t\xc3\xa9");
	puts0(&b, "0,2-3");
	puts0(&b, "tcg");
	puts0(&b, "vt100");
	puts0(&b, "echo hi");
	seed_buf("args", "structured", &b);
	put8(&b, 2);
	put8(&b, 64);
	puts0(&b, "a%20b%41%2Fc%25%e2%80%94%");
	seed_buf("args", "decode", &b);
	/* A shell spec (fuzz_args.c shell()). */
	put8(&b, 3);
	PUTS(&b, "\x00\x01\x00\x00"); /* 1 node, 2 cores, 1 thread, 1 LLC per node */
	put16(&b, 120);
	put16(&b, 40);
	put8(&b, 2 | 4 | 8 | 16);
	puts0(&b, "screen.xterm-256color");
	puts0(&b, "ls -la /; exit 3");
	puts0(&b, "/sched/scx_ktstr");
	puts0(&b, "--slice-us=100");
	seed_buf("args", "shell", &b);
	put8(&b, 4);
	put8(&b, 64);
	puts0(&b, "/usr/./lib//x86_64-linux-gnu/../lib64/libc.so.6/");
	seed_buf("args", "normalize", &b);
}

static void uart_seeds(void)
{
	/* What Linux's 8250 probe and a console session do. */
#define W(off, v) 0, off, v
#define R(off) 1, off
	static const uint8_t probe[] = {
		W(3, 0x80), W(0, 0x01), W(1, 0x00), W(3, 0x03), /* DLAB, 115200, 8N1 */
		W(2, 0xc7), R(2),                               /* FIFO on, IIR */
		W(4, 0x10), W(0, 'A'), R(5), R(0), R(6),        /* loopback: A comes back */
		W(4, 0x0b), W(1, 0x03), R(2),                   /* out of loop; RDI and THRI */
		W(0, 'o'), W(0, 'k'), R(2),                     /* transmit; THRE */
		2, 0, 5, 'l', 's', '\r', 'x', 'y',              /* the host types */
		R(5), R(2), R(0), R(0), R(0), R(0), R(0), R(5),
		2, 0, 3, 'a', 'b', 'c', W(2, 0x02), R(5),       /* FIFO cleared */
	};
#undef W
#undef R

	seed("uart", "probe-and-session", probe, sizeof(probe));
}

/* fuzz_virtio.c's operations. */
enum { OP_WRITE, OP_READ, OP_POKE, OP_START, OP_NOTIFY, OP_DESC, OP_OFFER, OP_BLK, OP_INPUT };

static void v_start(struct kbuf *b, unsigned q, unsigned num_log2, uint16_t desc, uint16_t avail, uint16_t used)
{
	put8(b, OP_START);
	put8(b, 0); /* the offered features */
	put8(b, (uint8_t)q);
	put8(b, (uint8_t)num_log2);
	put16(b, desc);
	put16(b, avail);
	put16(b, used);
}

static void v_blk(struct kbuf *b, uint8_t type_sel, uint8_t sector, uint16_t at, unsigned nseg)
{
	put8(b, OP_BLK);
	put8(b, type_sel);
	put8(b, 0);
	put8(b, sector);
	put16(b, at);
	put8(b, (uint8_t)nseg);
	for (unsigned i = 0; i < nseg; i++) {
		put16(b, (uint16_t)(0x4000 + 0x1000 * i));
		put16(b, 512);
	}
}

/* A descriptor through OP_DESC: flags in the low bits of fl, an address
 * in RAM (offset) and a 16-bit length. */
static void v_desc(struct kbuf *b, uint8_t i, uint8_t fl, uint16_t off, uint16_t len, uint8_t next)
{
	put8(b, OP_DESC);
	put8(b, i);
	put8(b, fl);
	put16(b, off);
	put16(b, len);
	put8(b, next);
}

static void v_poke_desc(struct kbuf *b, uint16_t at, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	put8(b, OP_POKE);
	put16(b, at);
	put8(b, 16);
	put64(b, addr);
	put32(b, len);
	put16(b, flags);
	put16(b, next);
}

static void virtio_seeds(void)
{
	struct kbuf b = { 0 };

	/* virtio-blk: every request type, then a register read. */
	put8(&b, 0);
	v_start(&b, 0, 4, 0x0000, 0x0800, 0x1000);
	v_blk(&b, 0, 3, 0x3000, 2);  /* IN */
	v_blk(&b, 1, 5, 0x3100, 1);  /* OUT */
	v_blk(&b, 2, 0, 0x3200, 0);  /* FLUSH */
	v_blk(&b, 3, 0, 0x3300, 1);  /* GET_ID */
	v_blk(&b, 0, 40, 0x3400, 1); /* past the capacity */
	put8(&b, OP_READ);
	put16(&b, 0x100);
	put8(&b, 3);
	seed_buf("virtio", "blk-requests", &b);
	/* Read-only: a write gets IOERR.  Then a request whose header
	 * straddles the two RAM chunks and whose data is 513 bytes. */
	put8(&b, 1);
	v_start(&b, 0, 3, 0x0000, 0x0800, 0x1000);
	v_blk(&b, 1, 1, 0x3000, 1);
	put8(&b, OP_POKE);
	put16(&b, 0x7ff8);
	put8(&b, 16);
	PUTS(&b, "\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x00\x00\x00\x00\x00\x00"); /* IN, sector 2 */
	v_desc(&b, 0, 1, 0x7ff8, 16, 1);      /* NEXT */
	v_desc(&b, 1, 3, 0x6000, 513, 2);     /* WRITE | NEXT */
	v_desc(&b, 2, 2, 0x6800, 1, 0);       /* WRITE: the status */
	put8(&b, OP_OFFER);
	put16(&b, 0);
	put8(&b, OP_NOTIFY);
	put8(&b, 0);
	seed_buf("virtio", "blk-ro-straddle", &b);
	/* virtio-console: the guest writes on hvc0, posts a receive buffer,
	 * the host types. */
	put8(&b, 2);
	v_start(&b, 1, 3, 0x0000, 0x0800, 0x1000);
	put8(&b, OP_POKE);
	put16(&b, 0x5000);
	put8(&b, 12);
	PUTS(&b, "login: root\n");
	v_desc(&b, 0, 0, 0x5000, 12, 0);
	put8(&b, OP_OFFER);
	put16(&b, 0);
	put8(&b, OP_NOTIFY);
	put8(&b, 1);
	/* the receive queue sits 8 KiB after the transmit queue's rings */
	v_poke_desc(&b, 0x2000, 0x106000, 64, 2, 0);
	put8(&b, OP_POKE);
	put16(&b, 0x2800 + 2);
	put8(&b, 4);
	PUTS(&b, "\x01\x00\x00\x00"); /* avail idx 1, ring[0] = 0 */
	put8(&b, OP_INPUT);
	put8(&b, 9);
	PUTS(&b, "uname -a\r");
	seed_buf("virtio", "console-io", &b);
}

static void cpio_seeds(void)
{
	struct kbuf b = { 0 };

	put8(&b, 4);
	put16(&b, 0755);
	puts0(&b, "usr/lib/x86_64-linux-gnu/libc.so.6");
	put8(&b, 0);
	put16(&b, 0755);
	puts0(&b, "bin");
	put8(&b, 1);
	put16(&b, 0755);
	puts0(&b, "bin/ktstr");
	put8(&b, 16);
	PUTS(&b, "\x7f" "ELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00");
	put8(&b, 2);
	put16(&b, 0);
	puts0(&b, "init");
	puts0(&b, "/bin/ktstr");
	put8(&b, 3);
	put16(&b, 0600);
	puts0(&b, "dev/console");
	put8(&b, 1);
	put16(&b, 0644);
	puts0(&b, "include-files/a b/c\xc3\xa9.txt");
	put8(&b, 3);
	PUTS(&b, "hi\n");
	seed_buf("cpio", "initramfs", &b);
	put8(&b, 1);
	put16(&b, 0644);
	puts0(&b, "../etc/passwd");
	seed_buf("cpio", "dotdot", &b);
}

/* The unit test's translation state over the captured page tables. */
static void xlate_seeds(void)
{
	static const uint64_t vas[] = { 0xffffffff8ea00000ull, 0xffffffff8f4a3800ull, 0xffffffff8fa3e000ull,
					0xff6052e880005000ull, 0xff6052e88000c000ull, 0xff6052e890000000ull,
					0xff131a99c0001000ull, 0x00007ffffffff000ull };
	struct kbuf b = { 0 }, fx = { 0 };
	char path[1024];
	uint8_t page[4096];

	snprintf(path, sizeof(path), "%s", "unit/fixtures/pgtable-6.12.117.bin");
	if (kt_read_file(path, &fx)) {
		fprintf(stderr, "mkseeds: %s missing\n", path);
		failures++;
		return;
	}
	/* struct hdr of fuzz_xlate.c */
	put8(&b, 0);
	put8(&b, 1); /* 5 levels */
	put8(&b, (uint8_t)ARRAY_SIZE(vas));
	put8(&b, 0);
	put32(&b, 0);
	put64(&b, 0x80000000ull);          /* mem_top */
	put64(&b, 0x3383e000ull);          /* pgd */
	put64(&b, 0xff131a99c0000000ull);  /* page_offset */
	put64(&b, 0x32800000ull);          /* phys_load */
	put64(&b, 0xda00000ull);           /* voff */
	put64(&b, 0xffffffff81000000ull);  /* _text */
	put64(&b, 0xffffffff82430000ull);  /* _end */
	put64(&b, 0xffffffff81aa3800ull);  /* linux_banner */
	put64(&b, 0xffffffff82045010ull);  /* phys_base */
	put64(&b, 0xffffffff81c1d3d0ull);  /* page_offset_base */
	put64(&b, 0xffffffff81c1d3e0ull);  /* __pgtable_l5_enabled */
	put64(&b, 0xffffffff8203e000ull);  /* init_top_pgt */
	PUTS(&b, "Linux version 6.12.117 (fuzz)\0\0\0"); /* 32 bytes */
	for (size_t i = 0; i < ARRAY_SIZE(vas); i++)
		put64(&b, vas[i]);
	put(&b, fx.data, fx.len);
	seed_buf("xlate", "pgtable-6.12.117", &b);
	kt_kbuf_free(&fx);

	/* A kernel to find: image at 16 MiB, 4-level tables mapping _text
	 * (2 MiB page) and the direct map (1 GiB page). */
	{
		const uint64_t text = 0xffffffff81000000ull, phys = 0x1000000, pob = 0xff11000000000000ull;
		const char banner[] = "Linux version 6.12.118 (fuzz)";
		uint64_t e;

		put8(&b, 1);
		put8(&b, 0);
		put8(&b, 4);
		put8(&b, (uint8_t)strlen(banner));
		put32(&b, 0);
		put64(&b, 0x4000000);                 /* mem_top: 64 MiB */
		put64(&b, 0);
		put64(&b, 0);
		put64(&b, 0);
		put64(&b, 0);
		put64(&b, text);
		put64(&b, text + 0x2000000);          /* _end */
		put64(&b, text + 0x1000);             /* linux_banner */
		put64(&b, text + 0x2000);             /* phys_base (holds 0) */
		put64(&b, text + 0x3000);             /* page_offset_base */
		put64(&b, text + 0x4000);             /* __pgtable_l5_enabled (holds 0) */
		put64(&b, text + 0x10000);            /* init_top_pgt */
		put(&b, banner, sizeof(banner));
		for (size_t i = sizeof(banner); i < 32; i++)
			put8(&b, 0);
		put64(&b, text);
		put64(&b, text + 0x1000);
		put64(&b, pob + phys + 0x123);
		put64(&b, 0xffffc90000000000ull);
		/* pages {pa, 4096 bytes} */
		memset(page, 0, sizeof(page));
		memcpy(page, banner, sizeof(banner));
		put64(&b, phys + 0x1000);
		put(&b, page, sizeof(page));
		memset(page, 0, sizeof(page));
		memcpy(page, &pob, 8);
		put64(&b, phys + 0x3000);
		put(&b, page, sizeof(page));
		memset(page, 0, sizeof(page)); /* PML4: _text and the direct map */
		e = (phys + 0x11000) | 3;
		memcpy(page + 8 * ((text >> 39) & 511), &e, 8);
		e = (phys + 0x13000) | 3;
		memcpy(page + 8 * ((pob >> 39) & 511), &e, 8);
		put64(&b, phys + 0x10000);
		put(&b, page, sizeof(page));
		memset(page, 0, sizeof(page)); /* PDPT of _text */
		e = (phys + 0x12000) | 3;
		memcpy(page + 8 * ((text >> 30) & 511), &e, 8);
		put64(&b, phys + 0x11000);
		put(&b, page, sizeof(page));
		memset(page, 0, sizeof(page)); /* PD of _text: 2 MiB pages */
		for (unsigned i = 0; i < 16; i++) {
			e = (phys + (uint64_t)i * 0x200000) | 0x83;
			memcpy(page + 8 * (((text >> 21) & 511) + i), &e, 8);
		}
		put64(&b, phys + 0x12000);
		put(&b, page, sizeof(page));
		memset(page, 0, sizeof(page)); /* PDPT of the direct map: a 1 GiB page */
		e = 0x83;
		memcpy(page + 8 * ((pob >> 30) & 511), &e, 8);
		put64(&b, phys + 0x13000);
		put(&b, page, sizeof(page));
		seed_buf("xlate", "locate-4level", &b);
	}
}

static void bzimage_seeds(const char *kdir)
{
	char path[1024];
	struct kbuf f = { 0 };
	size_t n, setup;
	uint32_t sys;

	snprintf(path, sizeof(path), "%s/bzImage", kdir);
	if (kt_read_file(path, &f) || f.len < 16384) {
		fprintf(stderr, "mkseeds: %s: not here, bzimage seeds skipped\n", path);
		kt_kbuf_free(&f);
		return;
	}
	n = 16384;
	seed("bzimage", "head-16k", f.data, n);
	/* The setup and 4 KiB of code, claiming only the code it has: accepted. */
	setup = ((size_t)((uint8_t)f.data[0x1f1] ? (uint8_t)f.data[0x1f1] : 4) + 1) * 512;
	if (setup + 4096 <= f.len && setup + 4096 <= SEED_MAX) {
		sys = 4096 / 16;
		memcpy(f.data + 0x1f4, &sys, 4);
		seed("bzimage", "setup-and-4k", f.data, setup + 4096);
	}
	kt_kbuf_free(&f);
}

/* The cached kernel's .config cut to the lines that name an option the
 * fragment checks, plus its header, then a NUL and the fragment. */
static void kconfig_seeds(const char *kdir)
{
	struct kbuf f = { 0 }, b = { 0 };
	char path[1024];
	const char *p;

	snprintf(path, sizeof(path), "%s/.config", kdir);
	if (kt_read_file(path, &f)) {
		fprintf(stderr, "mkseeds: %s: not here, kconfig seed skipped\n", path);
	} else {
		for (p = f.data; p && *p;) {
			const char *e = strchr(p, '\n'), *opt = !strncmp(p, "# CONFIG_", 9) ? p + 2 : p;
			size_t l = e ? (size_t)(e - p) : strlen(p), ol = strcspn(opt, "= \n");
			char name[128];

			if (!strncmp(opt, "CONFIG_", 7) && ol < sizeof(name) - 2) {
				snprintf(name, sizeof(name), "%.*s=", (int)ol, opt);
				if (strstr(ktstr_kconfig_fragment, name) ||
				    (snprintf(name, sizeof(name), "%.*s ", (int)ol, opt) > 0 &&
				     strstr(ktstr_kconfig_fragment, name)))
					put(&b, p, l + 1);
			} else if (b.len < 512) {
				put(&b, p, l + 1); /* the header comments */
			}
			p = e ? e + 1 : NULL;
		}
		put8(&b, 0);
		put(&b, ktstr_kconfig_fragment, strlen(ktstr_kconfig_fragment));
		seed_buf("kconfig", "config-and-fragment", &b);
		kt_kbuf_free(&f);
	}
	PUTS(&b, "# SPDX-License-Identifier: GPL-2.0\nVERSION = 6\nPATCHLEVEL = 12\nSUBLEVEL = 118\n"
		 "EXTRAVERSION =\nNAME = Baby Opossum Posse\n");
	put8(&b, 0);
	PUTS(&b, "CONFIG_SCHED_CLASS_EXT=y\n# CONFIG_DEBUG_INFO_NONE is not set\nCONFIG_HZ=1000\n");
	seed_buf("kconfig", "makefile", &b);
}

static void sanitise_seeds(void)
{
	static const char forged[] = "\0detail\nok 2 forged_case\n\x1b[2J\x1b]0;owned\x07\x1b[31mred\x1b[0m\r\n"
				     "caf\xc3\xa9 \xe4\xb8\xad \xf0\x9f\x98\x80 \xc2\x9b" "31m\x7f\x01\x08\t<&>\"'";
	static const char invalid[] = "\x08\xff\xfe\xc0\xaf\xc3\n\xe2\x82\xf8\x88\x80\x80\x80";

	seed("sanitise", "forged-ktap", forged, sizeof(forged) - 1);
	seed("sanitise", "invalid-utf8", invalid, sizeof(invalid) - 1);
}

static void elfdeps_seeds(void)
{
	seed_file("elfdeps", "bin-true", "\0", 1, "/bin/true", SEED_MAX - 1);
	seed_file("elfdeps", "ld.so.cache", "\1", 1, "/etc/ld.so.cache", SEED_MAX - 1);
}

static void sidecar_seeds(void)
{
	static const char *const names[] = { "cpuset_resize", "fan_out_wake", "mixed_workloads" };
	struct kr_set rows = { 0 };
	struct kr_row overall;
	struct kbuf js = { 0 };
	char path[1024];

	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		snprintf(path, sizeof(path), "tests/cli/fixtures/sidecars/%s.ktstr.json", names[i]);
		seed_file("sidecar", names[i], NULL, 0, path, SEED_MAX);
	}
	/* `ktstr stats --json` of those. */
	if (!kt_rep_load_rows("tests/cli/fixtures/sidecars", &rows)) {
		kt_rep_overall(&rows, &overall);
		if (!kt_rep_stats_json(&rows, &overall, &js))
			seed_buf("sidecar", "stats-json", &js);
		kt_rep_set_free(&rows);
	}
}

int main(int argc, char **argv)
{
	struct kt_result *r = malloc(sizeof(*r));
	struct kbuf json = { 0 };
	char kdir[512] = "";
	glob_t g;

	if (argc != 2 || !r) {
		fprintf(stderr, "usage: %s OUTDIR\n", argv[0]);
		return 2;
	}
	outdir = argv[1];
	sample_result(r);
	kt_result_to_json(r, &json);
	ring_seeds(&json);
	frame_seeds(&json);
	args_seeds();
	uart_seeds();
	virtio_seeds();
	cpio_seeds();
	xlate_seeds();
	seed_file("btf", "btf-6.12.117", NULL, 0, "unit/fixtures/btf-6.12.117.btf", SEED_MAX);
	if (!kt_cache_root(kdir, sizeof(kdir))) {
		char pat[600];

		snprintf(pat, sizeof(pat), "%s/kernels/*", kdir);
		kdir[0] = '\0';
		if (!glob(pat, 0, NULL, &g) && g.gl_pathc)
			snprintf(kdir, sizeof(kdir), "%s", g.gl_pathv[g.gl_pathc - 1]);
		globfree(&g);
	}
	bzimage_seeds(kdir);
	kconfig_seeds(kdir);
	sanitise_seeds();
	elfdeps_seeds();
	sidecar_seeds();
	kt_kbuf_free(&json);
	free(r);
	return failures ? 1 : 0;
}
