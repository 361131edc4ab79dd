/* Guest-side entry points (PID 1). */
#ifndef KTSTR_GUEST_H
#define KTSTR_GUEST_H
#include <stddef.h>
#include <stdint.h>
#include "proto/shm_ring.h"
#include "proto/argenc.h"

void __attribute__((noreturn)) kt_guest_main(void);
/* Serve host -> guest control requests; on_stop runs (and must not
 * return) when the host asks for a graceful stop. */
int kt_control_start(void (*on_stop)(void));

/* Forward the kernel's sched_ext_dump trace event to the host
 * (guest/scxdump.c): enable it and start the forwarder (0 or -errno);
 * flush waits up to max_ms for what is in the pipe to be sent. */
int kt_scx_dump_start(void);
void kt_scx_dump_flush(unsigned max_ms);

/* Guest PID 1 when the command line has ktstr_mode=shell (guest/shell.c). */
void __attribute__((noreturn)) kt_shell_guest(const char *cmdline);
/* ktstr_park=ADDR (src/guest/park.c): wait at the hand-over page at
 * ADDR until the host says GO, set CLOCK_REALTIME and reseed the CRNG
 * from it, and copy the test's command line into cmdline (len bytes).
 * 0, or -errno (-E2BIG: it does not fit). */
int kt_guest_park(uint64_t addr, char *cmdline, size_t len);

#endif
