/* What the monitor takes from the guest kernel's vmlinux, read once per
 * run with libelf: the addresses of a list of symbols (ELF .symtab), the
 * raw .BTF section, and bytes of initialised data at a link-time address
 * (e.g. linux_banner, to find the kernel image in guest memory). */
#ifndef KTSTR_MONITOR_VMLINUX_H
#define KTSTR_MONITOR_VMLINUX_H
#include <stddef.h>
#include <stdint.h>
#include "util/util.h"

struct kt_vmlinux;

/* Open path; NULL with errno set (message printed) on failure. */
struct kt_vmlinux *kt_vmlinux_open(const char *path);
void kt_vmlinux_close(struct kt_vmlinux *v);
/* addrs[i] = st_value of names[i], 0 when absent.  Returns how many were
 * found. */
size_t kt_vmlinux_syms(struct kt_vmlinux *v, const char *const *names, uint64_t *addrs, size_t n);
/* The .BTF section into out.  0, -ENOENT without one, -errno. */
int kt_vmlinux_btf(struct kt_vmlinux *v, struct kbuf *out);
/* len bytes of the PROGBITS section content at link address addr.
 * 0, or -ENOENT if no section holds [addr, addr+len). */
int kt_vmlinux_read(struct kt_vmlinux *v, uint64_t addr, void *buf, size_t len);

#endif
