/* Read the CPU topology back from a sysfs tree (the guest's /sys, or a
 * fake tree in unit tests). */
#ifndef KTSTR_SYSFS_TOPO_H
#define KTSTR_SYSFS_TOPO_H
#include "proto/result.h"

int kt_read_topo(const char *sysroot, struct kt_seen_topo *out);

#endif
