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
/* /proc/kallsyms: the address of symbol `name`, 0 if absent. */
uint64_t kt_parse_kallsyms(const char *text, const char *name);
/* /proc/iomem: start of the first "Kernel code" range, 0 if absent. */
uint64_t kt_parse_iomem_kernel(const char *text);
/* /proc/vmallocinfo: ioremap areas with a physical address, as
 * KT_PROBE_VMAP readings (start address, phys). */
size_t kt_parse_vmallocinfo(const char *text, struct kt_mon_probe *out, size_t max);

#endif
