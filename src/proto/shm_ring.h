/* The guest->host message ring in the shared-memory region (layout of the
 * reference, docs/protocol.md): a 40-byte header, then a byte ring of
 * TLV messages {u32 type, u32 len, u32 crc32(payload), u32 0} + payload.
 * Pure logic over a memory block; the host treats every byte as
 * untrusted. */
#ifndef KTSTR_SHM_RING_H
#define KTSTR_SHM_RING_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KT_RING_MAGIC 0x53544D52u /* "STMR" */
#define KT_RING_VERSION 1u
#define KT_RING_HDR 40u
#define KT_MSG_HDR 16u

enum kt_msg_type {
	KT_MSG_SCENARIO_START = 0x53435354, /* "SCST" */
	KT_MSG_SCENARIO_END = 0x5343454E,   /* "SCEN" */
	KT_MSG_STIMULUS = 0x5354494D,       /* "STIM": struct kt_stimulus */
	KT_MSG_TEST_RESULT = 0x54455354,    /* "TEST" */
	KT_MSG_EXIT = 0x45584954,           /* "EXIT" */
	KT_MSG_SCHED_EXIT = 0x53434458,     /* "SCDX" */
	KT_MSG_CRASH = 0x43525348,          /* "CRSH" */
	KT_MSG_PAYLOAD_METRICS = 0x504D4554, /* "PMET": proto/pmet.h */
	KT_MSG_MAP_WRITE_ACK = 0x4D57414B,  /* "MWAK": the guest saw KT_CTL_MAP_WRITTEN */
	KT_MSG_SCX_DUMP = 0x53444D50,       /* "SDMP": sched_ext dump text, whole lines */
};

/* The most sched_ext dump text the guest sends and the host keeps. */
#define KT_SCX_DUMP_MAX (64u * 1024u)

/* A scenario event (step start, op) as it happened in the guest. */
struct kt_stimulus {
	uint32_t step, kind;  /* step index; what happened (enum ktstr_stim) */
	uint64_t at_ns;       /* since the scenario started */
	uint64_t iterations;  /* all workers' iterations so far (0: unknown) */
};

struct kt_ring_hdr {
	uint32_t magic, version, capacity;
	uint8_t dump_req, stall_req, slot0, slot1;
	uint64_t write_ptr, read_ptr, drops;
};

/* Control bytes in the header (docs/protocol.md).  Host -> guest
 * requests are set by the host and cleared by the guest when taken;
 * guest -> host state is set by the guest.  Use the operations below,
 * never the bytes. */
#define KT_CTL_DUMP 'D'  /* dump_req: SysRq-D, the sched_ext state dump */
#define KT_CTL_STALL 'S' /* stall_req: create /tmp/ktstr_stall (scx_ktstr stalls) */
#define KT_CTL_STOP 0xDD /* slot0: report what you have and power off */
#define KT_CTL_READY 1   /* slot1: scheduler up, test body starting */
#define KT_CTL_READY_WALKED 2 /* slot1: ready, and the host has read the BPF objects since */
#define KT_CTL_MAP_WRITTEN 'W' /* slot0: the host wrote into a BPF map (.bpf_map_write) */

/* Host side. */
static inline void kt_ctl_request_dump(struct kt_ring_hdr *h)
{
	__atomic_store_n(&h->dump_req, KT_CTL_DUMP, __ATOMIC_RELEASE);
}
static inline void kt_ctl_request_stall(struct kt_ring_hdr *h)
{
	__atomic_store_n(&h->stall_req, KT_CTL_STALL, __ATOMIC_RELEASE);
}
static inline void kt_ctl_request_stop(struct kt_ring_hdr *h)
{
	__atomic_store_n(&h->slot0, KT_CTL_STOP, __ATOMIC_RELEASE);
}
/* Only into a free slot0: a pending stop request is never replaced. */
static inline bool kt_ctl_signal_map_written(struct kt_ring_hdr *h)
{
	uint8_t v = 0;

	return __atomic_compare_exchange_n(&h->slot0, &v, KT_CTL_MAP_WRITTEN, false, __ATOMIC_ACQ_REL,
					   __ATOMIC_ACQUIRE);
}
static inline bool kt_ctl_ready(const struct kt_ring_hdr *h)
{
	uint8_t v = __atomic_load_n(&h->slot1, __ATOMIC_ACQUIRE);

	return v == KT_CTL_READY || v == KT_CTL_READY_WALKED;
}
/* Host: the BPF walk after "ready" is done (only over a ready slot1). */
static inline bool kt_ctl_signal_walked(struct kt_ring_hdr *h)
{
	uint8_t v = KT_CTL_READY;

	return __atomic_compare_exchange_n(&h->slot1, &v, KT_CTL_READY_WALKED, false, __ATOMIC_ACQ_REL,
					   __ATOMIC_ACQUIRE);
}
static inline bool kt_ctl_walked(const struct kt_ring_hdr *h)
{
	return __atomic_load_n(&h->slot1, __ATOMIC_ACQUIRE) == KT_CTL_READY_WALKED;
}

/* Guest side: take a pending request (true once per request). */
static inline bool kt_ctl_take(uint8_t *slot, uint8_t want)
{
	uint8_t v = want;

	return __atomic_compare_exchange_n(slot, &v, 0, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
}
static inline bool kt_ctl_take_dump(struct kt_ring_hdr *h)
{
	return kt_ctl_take(&h->dump_req, KT_CTL_DUMP);
}
static inline bool kt_ctl_take_stall(struct kt_ring_hdr *h)
{
	return kt_ctl_take(&h->stall_req, KT_CTL_STALL);
}
static inline bool kt_ctl_take_map_written(struct kt_ring_hdr *h)
{
	return kt_ctl_take(&h->slot0, KT_CTL_MAP_WRITTEN);
}
static inline bool kt_ctl_take_stop(struct kt_ring_hdr *h)
{
	return kt_ctl_take(&h->slot0, KT_CTL_STOP);
}
static inline void kt_ctl_signal_ready(struct kt_ring_hdr *h)
{
	__atomic_store_n(&h->slot1, KT_CTL_READY, __ATOMIC_RELEASE);
}

/* Host: format an empty ring over mem (size bytes).  -EINVAL if too small. */
int kt_ring_init(void *mem, size_t size);
/* Writer: append one message.  -ENOSPC (and drops++) if it does not fit,
 * -EINVAL if the ring header is not valid. */
int kt_ring_write(void *mem, size_t size, uint32_t type, const void *payload, uint32_t len);

/* Reader: for each complete message, call fn (crc_ok tells whether the
 * CRC matched).  Stops at the first malformed header (counted in
 * *malformed).  Returns messages consumed or -EINVAL if the header is
 * not a valid ring. */
typedef void (*kt_ring_fn)(void *arg, uint32_t type, const void *payload, uint32_t len, bool crc_ok);
int kt_ring_drain(void *mem, size_t size, kt_ring_fn fn, void *arg, unsigned *malformed);

/* ---- the guest's end (proto/guest_ring.c; no-ops without a ring) ---- */
/* Map the shared region named by ktstr_shm=ADDR,SIZE (a->shm_addr,
 * a->shm_size from kt_guest_args_parse) through /dev/mem; -ENOENT
 * without one. */
struct kt_guest_args;
int kt_shm_attach(const struct kt_guest_args *a);
/* Send a message on the ring (no-op without a ring). */
int kt_shm_send(uint32_t type, const void *payload, size_t len);

/* The ring header (NULL without a valid ring). */
struct kt_ring_hdr *kt_shm_hdr(void);
/* Tell the host: scheduler up, test body starting. */
void kt_shm_signal_ready(void);
/* After kt_shm_signal_ready(): wait at most timeout_ms for the host's
 * BPF walk (kt_ctl_signal_walked).  0 when it came; -ETIMEDOUT; -ENOENT
 * without a ring. */
int kt_shm_wait_walked(unsigned timeout_ms);

#endif
