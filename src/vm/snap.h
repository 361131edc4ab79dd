/* Restore instead of boot (docs/performance.md, "Restore instead of
 * boot"): the snapshot cache and its key, for the QEMU backend.
 *
 * A snapshot is a directory <cache>/snapshots/<key>/ holding ram0..ramN
 * (each node's guest RAM as a sparse file, the shared region left out)
 * and state (QEMU's migration stream of the devices and vCPUs, RAM
 * excluded: x-ignore-shared).  It is written under <key>.tmp.<pid>.<n>
 * and renamed into place, creation is serialised by an flock on
 * <key>.lock, and a directory once in place never changes: readers need
 * no lock.  The key covers everything that shapes the parked guest: the
 * QEMU argument vector (machine, topology, memory, accelerator, kernel
 * path and command line), the initramfs by content, the kernel, QEMU and
 * ktstr binaries by size, mtime and inode, and KT_SNAP_FORMAT. */
#ifndef KTSTR_VM_SNAP_H
#define KTSTR_VM_SNAP_H
#include <stdbool.h>
#include "vm/backend.h"

#define KT_SNAP_FORMAT "ktstr-snapshot-1"

/* The key (64 hex digits and a NUL) of argv (n arguments), the argument
 * after "-initrd" replaced by initrd_sha, and stamp (what
 * kt_snap_stamp() gave).  Pure apart from libcrypto; -errno. */
int kt_snap_key(const char *const *argv, int n, const char *initrd_sha, const char *stamp, char key[65]);
/* "PATH size mtime_ns ino" for each path, space-joined, into buf;
 * -errno from stat or -ENAMETOOLONG. */
int kt_snap_stamp(const char *const *paths, int n, char *buf, size_t len);
/* sha256 of the file's content, remembered per (device, inode, size,
 * mtime) for the life of the process (thread-safe). */
int kt_snap_file_sha(const char *path, char hex[65]);

/* <cache>/snapshots into dir, created if missing. */
int kt_snap_dir(char *dir, size_t len);

/* Cache bounds: a snapshot unused for KT_SNAP_MAX_AGE is removed, and of
 * the rest at most KT_SNAP_MAX_KEEP (newest use first) are kept; a
 * temporary directory left by a dead run goes after KT_SNAP_TMP_AGE. */
#define KT_SNAP_MAX_AGE (2 * 24 * 3600)
#define KT_SNAP_MAX_KEEP 32
#define KT_SNAP_TMP_AGE 3600
struct kt_snap_entry {
	long long mtime;    /* last use */
	bool tmp;           /* a "<key>.tmp.*" directory */
	bool doomed;        /* out: remove it */
};
/* Pure: marks which entries to remove at time now.  The caller's own
 * key (just used) is never among them: leave it out of e. */
void kt_snap_prune_pick(struct kt_snap_entry *e, unsigned n, long long now);
/* Marks dir's snapshot as used now and removes what kt_snap_prune_pick()
 * picks in the cache directory, except keep (a key).  Best effort. */
void kt_snap_prune(const char *keep);
/* The bytes of one node's RAM, [skip_off, skip_off + skip_len) left out
 * (the shared region, rewritten for every guest anyway): only the data
 * extents of the memfd go to path (a sparse file), only those of path
 * come back.  Bytes moved into *bytes.  -errno. */
int kt_snap_ram_save(const struct vm_region *r, const char *path, size_t skip_off, size_t skip_len,
		     uint64_t *bytes);
int kt_snap_ram_load(const struct vm_region *r, const char *path, size_t skip_off, size_t skip_len,
		     uint64_t *bytes);
/* Zero one node's RAM again (punch it out of the memfd), the skipped
 * range kept: a failed restore leaves the snapshot's RAM behind. */
int kt_snap_ram_wipe(const struct vm_region *r, size_t skip_off, size_t skip_len);

#endif
