/* Guest-side entry points (PID 1). */
#ifndef KTSTR_GUEST_H
#define KTSTR_GUEST_H
#include <stddef.h>
#include <stdint.h>
#include "core/shm_ring.h"

void __attribute__((noreturn)) kt_guest_main(void);
/* Value of key=value on a kernel command line. */
int kt_cmdline_get(const char *cmdline, const char *key, char *buf, size_t len);
/* Map the shared region named by ktstr_shm=ADDR,SIZE through /dev/mem. */
int kt_shm_attach(const char *cmdline);
/* Send a message on the ring (no-op without a ring). */
int kt_shm_send(uint32_t type, const void *payload, size_t len);

/* The ring header (NULL without a valid ring). */
struct kt_ring_hdr *kt_shm_hdr(void);
/* Guest -> host signal slot: 1 = ready (scheduler up, test starting). */
void kt_shm_signal(uint8_t v);
/* Serve host -> guest control requests; on_stop runs (and must not
 * return) when the host asks for a graceful stop. */
int kt_control_start(void (*on_stop)(void));

#endif
