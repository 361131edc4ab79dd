/* Restore instead of boot (docs/performance.md), the pure parts: the
 * snapshot key, the hand-over page, ktstr_park=, the parked guest's
 * command line and QEMU vectors, and the RAM files' round trip. */
#include "unit.h"
#include "proto/guest_args.h"
#include "proto/handover.h"
#include "vm/qemu.h"
#include "vm/snap.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

static const char *const argv1[] = { "qemu", "-smp", "2", "-initrd", "/a/x.cpio", "-append", "ktstr_park=0x1" };

UNIT_TEST(snap_key_covers_what_shapes_the_guest)
{
	const char *argv2[ARRAY_SIZE(argv1)];
	char k1[65], k2[65];

	memcpy(argv2, argv1, sizeof(argv1));
	CHECK_EQ_INT(kt_snap_key(argv1, ARRAY_SIZE(argv1), "sha1", "stamp", k1), 0);
	CHECK_EQ_INT((int)strlen(k1), 64);
	/* The initramfs counts by content, not by path. */
	argv2[4] = "/b/y.cpio";
	CHECK_EQ_INT(kt_snap_key(argv2, ARRAY_SIZE(argv2), "sha1", "stamp", k2), 0);
	CHECK_EQ_STR(k1, k2);
	CHECK_EQ_INT(kt_snap_key(argv2, ARRAY_SIZE(argv2), "sha2", "stamp", k2), 0);
	CHECK(strcmp(k1, k2));
	/* Topology, the binaries' stamps, argument boundaries. */
	argv2[4] = argv1[4];
	argv2[2] = "4";
	CHECK_EQ_INT(kt_snap_key(argv2, ARRAY_SIZE(argv2), "sha1", "stamp", k2), 0);
	CHECK(strcmp(k1, k2));
	CHECK_EQ_INT(kt_snap_key(argv1, ARRAY_SIZE(argv1), "sha1", "stamp2", k2), 0);
	CHECK(strcmp(k1, k2));
	argv2[1] = "-smp2";
	argv2[2] = "";
	CHECK_EQ_INT(kt_snap_key(argv2, ARRAY_SIZE(argv2), "sha1", "stamp", k2), 0);
	CHECK(strcmp(k1, k2));
}

UNIT_TEST(handover_page_round_trip_and_hostile_bytes)
{
	struct kt_handover *page = calloc(1, sizeof(*page)), *got = calloc(1, sizeof(*got));
	uint8_t ent[KT_HO_ENTROPY] = { 1, 2, 3 };
	char *big = malloc(KT_HO_CMDLINE_MAX + 1);

	CHECK_EQ_INT(kt_handover_take(page, got), -EAGAIN); /* before GO */
	CHECK_EQ_INT(kt_handover_fill(page, "ktstr_test=a", 123456789012ull, ent), 0);
	CHECK(!kt_handover_taken(page));
	CHECK_EQ_INT(kt_handover_take(page, got), 0);
	CHECK(kt_handover_taken(page));
	CHECK_EQ_STR(got->cmdline, "ktstr_test=a");
	CHECK(got->realtime_ns == 123456789012ull && got->entropy[2] == 3);
	/* Too long for the page: refused, the page not GO. */
	memset(big, 'x', KT_HO_CMDLINE_MAX);
	big[KT_HO_CMDLINE_MAX] = '\0';
	memset(page, 0, sizeof(*page));
	CHECK_EQ_INT(kt_handover_fill(page, big, 1, ent), -E2BIG);
	CHECK_EQ_INT(kt_handover_take(page, got), -EAGAIN);
	/* A length past the page, another version: refused. */
	CHECK_EQ_INT(kt_handover_fill(page, "a", 1, ent), 0);
	page->len = KT_HO_CMDLINE_MAX;
	CHECK_EQ_INT(kt_handover_take(page, got), -EINVAL);
	page->len = 1;
	page->version = 7;
	CHECK_EQ_INT(kt_handover_take(page, got), -EINVAL);
	/* No NUL where the length says: cut at the length; a NUL inside ends it. */
	CHECK_EQ_INT(kt_handover_fill(page, "abc", 1, ent), 0);
	page->len = 2;
	CHECK_EQ_INT(kt_handover_take(page, got), 0);
	CHECK_EQ_STR(got->cmdline, "ab");
	CHECK_EQ_INT(kt_handover_fill(page, "abc", 1, ent), 0);
	page->cmdline[1] = '\0';
	CHECK_EQ_INT(kt_handover_take(page, got), 0);
	CHECK_EQ_STR(got->cmdline, "a");
	CHECK_EQ_INT((int)got->len, 1);
	free(big);
	free(page);
	free(got);
}

UNIT_TEST(guest_args_park)
{
	struct kt_guest_args a = { .park_addr = 0x10400000 }, b;
	char buf[256] = "";

	CHECK_EQ_INT(kt_guest_args_encode(&a, buf, sizeof(buf)), 0);
	CHECK_EQ_STR(buf, " ktstr_park=0x10400000");
	CHECK_EQ_INT(kt_guest_args_parse(buf, &b), 0);
	CHECK(b.park_addr == 0x10400000);
	CHECK_EQ_INT(kt_guest_args_parse("ktstr_park=0x0", &b), -EINVAL);
	CHECK_EQ_INT(kt_guest_args_parse("ktstr_park=10400000", &b), -EINVAL);
	CHECK_EQ_INT(kt_guest_args_parse("ktstr_park=0x1,0x2", &b), -EINVAL);
}

UNIT_TEST(parked_cmdline_and_argv)
{
	struct vm_config cfg = { .topo = { 1, 1, 2, 1 }, .memory_mb = 2048, .kernel = "/k/bzImage",
				 .initrd = "/k/initrd.cpio", .cmdline = "ktstr_test=t ktstr_topo=1n1l2c1t" };
	struct vm vm = { .cfg = &cfg, .nregions = 1 };
	struct kt_qemu_argv *p = calloc(1, sizeof(*p)), *r = calloc(1, sizeof(*r));
	char park[512];

	vm.regions[0].size = 2048ull << 20;
	snprintf(vm.cmdline, sizeof(vm.cmdline), "console=ttyS0 rdinit=/init ktstr_test=t ktstr_topo=1n1l2c1t");
	CHECK_EQ_INT(kt_vm_park_cmdline(&vm, park, sizeof(park)), 0);
	CHECK_EQ_STR(park, "console=ttyS0 rdinit=/init memmap=4K$0x10400000 ktstr_park=0x10400000");
	CHECK_EQ_INT(kt_vm_park_cmdline(&vm, park, 20), -ENAMETOOLONG);
	cfg.cmdline = "ktstr_test=other";
	CHECK_EQ_INT(kt_vm_park_cmdline(&vm, park, sizeof(park)), -EINVAL);
	/* The restoring QEMU: the snapshot's vector and "-incoming defer". */
	CHECK_EQ_INT(kt_qemu_build_argv_park(&vm, "qemu", false, "c", false, p), 0);
	CHECK_EQ_INT(kt_qemu_build_argv_park(&vm, "qemu", false, "c", true, r), 0);
	CHECK_EQ_INT(r->n, p->n + 2);
	for (int i = 0; i < p->n; i++)
		CHECK_EQ_STR(r->v[i], p->v[i]);
	CHECK_EQ_STR(r->v[p->n], "-incoming");
	CHECK_EQ_STR(r->v[p->n + 1], "defer");
	free(p);
	free(r);
}

UNIT_TEST(snap_ram_round_trip_skips_the_shared_region)
{
	size_t size = 1 << 22, skip = 1 << 20, skip_len = 1 << 16;
	struct vm_region a = { .size = size, .fd = memfd_create("a", MFD_CLOEXEC) };
	struct vm_region b = { .size = size, .fd = memfd_create("b", MFD_CLOEXEC) };
	char path[] = "/tmp/ktstr-unit-snap-XXXXXX";
	uint64_t n = 0;
	int tmp = mkstemp(path);

	CHECK(a.fd >= 0 && b.fd >= 0 && tmp >= 0);
	close(tmp);
	unlink(path);
	CHECK(!ftruncate(a.fd, (off_t)size) && !ftruncate(b.fd, (off_t)size));
	a.host = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, a.fd, 0);
	b.host = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, b.fd, 0);
	CHECK(a.host != MAP_FAILED && b.host != MAP_FAILED);
	memset((char *)a.host + 4096, 'x', 8192);
	memset((char *)a.host + skip, 's', skip_len); /* the shared region: not saved */
	memset((char *)a.host + size - 4096, 'y', 4096);
	CHECK_EQ_INT(kt_snap_ram_save(&a, path, skip, skip_len, &n), 0);
	CHECK(n >= 8192 + 4096 && n < size - skip_len);
	CHECK_EQ_INT(kt_snap_ram_load(&b, path, skip, skip_len, &n), 0);
	CHECK(((char *)b.host)[4096] == 'x' && ((char *)b.host)[4096 + 8191] == 'x');
	CHECK(((char *)b.host)[size - 1] == 'y' && ((char *)b.host)[skip] == 0);
	/* A file of another size is not this VM's RAM. */
	b.size = size / 2;
	CHECK_EQ_INT(kt_snap_ram_load(&b, path, skip, skip_len, &n), -EINVAL);
	b.size = size;
	/* Wiped again, the skipped range kept. */
	((char *)b.host)[skip] = 's';
	CHECK_EQ_INT(kt_snap_ram_wipe(&b, skip, skip_len), 0);
	CHECK(((char *)b.host)[4096] == 0 && ((char *)b.host)[size - 1] == 0 && ((char *)b.host)[skip] == 's');
	unlink(path);
	munmap(a.host, size);
	munmap(b.host, size);
	close(a.fd);
	close(b.fd);
}

UNIT_TEST(snap_prune_keeps_recent_and_bounded)
{
	enum { N = KT_SNAP_MAX_KEEP + 4 };
	struct kt_snap_entry e[N + 3];
	long long now = 10000000;
	unsigned doomed = 0;

	for (unsigned i = 0; i < N; i++) /* used 0..N-1 minutes ago */
		e[i] = (struct kt_snap_entry){ .mtime = now - 60 * (long long)i };
	e[N] = (struct kt_snap_entry){ .mtime = now - KT_SNAP_MAX_AGE - 1 };   /* too old */
	e[N + 1] = (struct kt_snap_entry){ .mtime = now - 10, .tmp = true };    /* a live run's */
	e[N + 2] = (struct kt_snap_entry){ .mtime = now - KT_SNAP_TMP_AGE - 1, .tmp = true }; /* a dead run's */
	kt_snap_prune_pick(e, N + 3, now);
	for (unsigned i = 0; i < N; i++) {
		CHECK_EQ_INT(e[i].doomed, i >= KT_SNAP_MAX_KEEP); /* the oldest four go */
		doomed += e[i].doomed;
	}
	CHECK_EQ_INT(doomed, 4);
	CHECK_EQ_INT(e[N].doomed, 1);
	CHECK_EQ_INT(e[N + 1].doomed, 0);
	CHECK_EQ_INT(e[N + 2].doomed, 1);
	kt_snap_prune_pick(e, 0, now); /* nothing there */
}
