/* Guest side of the monitor cross-check (ktstr_monitor_probe): parsers of
 * what the guest kernel says about itself.  Pure (unit-tested). */
#ifndef KTSTR_GUEST_MONPROBE_H
#define KTSTR_GUEST_MONPROBE_H
#include <stddef.h>
#include <stdint.h>
#include "monitor/monitor.h"

/* /sys/kernel/debug/sched/debug: per "cpu#N" section its ".nr_running"
 * and ".clock" (ms with 6 decimals) as KT_PROBE_NR_RUNNING readings.
 * Returns how many were stored (at most max). */
size_t kt_parse_sched_debug(const char *text, struct kt_mon_probe *out, size_t max);
/* Drop the KT_PROBE_NR_RUNNING readings of `cpu` from p[0..n): the
 * reader's own CPU, whose nr_running counts the reader (and what it
 * woke) at an rq clock set when it woke, between two monitor samples
 * that see it asleep.  Returns how many readings are left. */
size_t kt_probe_drop_cpu(struct kt_mon_probe *p, size_t n, uint32_t cpu);
/* /proc/kallsyms: the address of symbol `name`, 0 if absent. */
uint64_t kt_parse_kallsyms(const char *text, const char *name);
/* /proc/iomem: start of the first "Kernel code" range, 0 if absent. */
uint64_t kt_parse_iomem_kernel(const char *text);
/* /proc/vmallocinfo: ioremap areas with a physical address, as
 * KT_PROBE_VMAP readings (start address, phys). */
size_t kt_parse_vmallocinfo(const char *text, struct kt_mon_probe *out, size_t max);

#endif
