/* BPF verifier logs, pure text functions (docs/verifier.md):
 *
 *  - cycle collapse (cycle.c): a log where the verifier walked an
 *    unrolled loop or revisited a loop body shows the same block of
 *    lines again and again; the block is kept twice (its first and last
 *    iteration, exact) around a "--- N identical iterations omitted ---"
 *    line, so a 40,000-line log becomes readable;
 *  - the verifier's statistics lines (vstats.c): "processed N insns
 *    (limit L) max_states_per_insn M total_states T peak_states P
 *    mark_read R", "verification time X usec", "stack depth A+B";
 *  - libbpf's load-log blocks in a scheduler's output (vstats.c):
 *    "libbpf: prog 'NAME': -- BEGIN PROG LOAD LOG --" ... "-- END PROG
 *    LOAD LOG --".
 *
 * Input is untrusted (a guest's output): every length is bounded, the
 * work is linear in the input and counted (kt_vlog_collapse's stats),
 * nothing is assumed about bytes. */
#ifndef KTSTR_MODEL_VLOG_H
#define KTSTR_MODEL_VLOG_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "util/util.h"

#define KT_VLOG_MIN_PERIOD 5   /* lines in a repeated block, at least */
#define KT_VLOG_MIN_REPS 3     /* repetitions of it, at least */
#define KT_VLOG_PASSES 5       /* cycles folded, at most */
#define KT_VLOG_ANCHOR_MIN 10  /* bytes of a normalised anchor line, at least */
#define KT_VLOG_MAX_LINES (1u << 18) /* longer logs are copied unchanged */

/* The verifier's budget of processed instructions (BPF_COMPLEXITY_LIMIT_INSNS). */
#define KT_VERIFIER_INSN_LIMIT 1000000u

/* ---- cycle.c ---- */

struct kt_collapse_stats {
	unsigned folds;          /* cycles replaced (passes that found one) */
	uint64_t work;           /* elementary steps taken (bytes hashed, lines and positions visited) */
	size_t lines_in, lines_out;
	bool too_big;            /* more than KT_VLOG_MAX_LINES lines: copied unchanged */
};

/* The comparison forms of one verifier line (offsets into line): `a` keeps
 * the instruction address, `b` drops it.  Register and frame state after
 * "; frame" / "; R<digit>" and the target state after "goto pc+N" are cut;
 * a register dump alone ("N: R1=...", "N: frame1: ...") becomes "N:";
 * lines not starting with a digit (source comments) are only trimmed. */
void kt_vlog_normalize(const char *line, size_t len, size_t *a_off, size_t *a_len, size_t *b_off, size_t *b_len);

/* Replace up to KT_VLOG_PASSES repeated blocks (period >= 5 lines, >= 3
 * repetitions, found from the gaps between the most frequent line) with
 *
 *   --- Nx of the following P lines ---
 *   <first iteration>
 *   --- N-2 identical iterations omitted ---
 *   <last iteration>
 *   --- end repeat ---
 *
 * Every other line is copied; each output line ends with '\n'.  Appends
 * to out; 0 or -ENOMEM.  st may be NULL. */
int kt_vlog_collapse(const char *log, size_t len, struct kbuf *out, struct kt_collapse_stats *st);

/* A log in at most max bytes (max >= 1024), appended to out: as it is
 * if it fits; else collapsed (*folded); else its first lines (up to
 * max/4, at most 32 KiB) and its last lines around a "--- N bytes cut
 * ---" line (*cut).  0, -ENOSPC (max too small), -ENOMEM. */
int kt_vlog_fit(const char *log, size_t len, size_t max, struct kbuf *out, bool *folded, bool *cut);

/* ---- vstats.c ---- */

#define KT_VSTATS_MAX_FRAMES 8

struct kt_vstats {
	bool have_processed;     /* the "processed N insns" line was found */
	uint64_t processed, limit, max_states_per_insn, total_states, peak_states, mark_read;
	bool have_time;
	uint64_t time_usec;
	unsigned nstack;         /* stack depth per frame ("8+0+16": 3 frames) */
	uint32_t stack[KT_VSTATS_MAX_FRAMES];
};

/* Scan a verifier log from its end for the statistics lines (the last
 * of each wins).  Returns 0 if any was found, -ENOENT otherwise. */
int kt_vstats_parse(const char *log, size_t len, struct kt_vstats *out);
/* "8+0+16" (or "" when no stack line was seen). */
void kt_vstats_stack_str(const struct kt_vstats *s, char *buf, size_t len);

/* One libbpf load-log block: the program's name and the log between
 * the markers (offsets into the scanned text).  complete is false when
 * the END marker is missing (the text was cut): the log then runs to the
 * end of the text without its partial last line. */
#define KT_VLOG_NAME 64
struct kt_vlog_block {
	char prog[KT_VLOG_NAME];
	size_t off, len;
	bool complete;
	bool failed;             /* libbpf said "BPF program load failed" for it */
};

/* Find up to max blocks in text; returns how many (0..max). */
size_t kt_vlog_blocks(const char *text, size_t len, struct kt_vlog_block *out, size_t max);

/* The line of a rejected program's log that says why: the last line
 * before the statistics that is not register state (NUL-terminated,
 * at most len-1 bytes; "" if none). */
void kt_vlog_reason(const char *log, size_t loglen, char *buf, size_t len);

#endif
