/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Loader of ktstr's faulty fixture schedulers (scx_kt_fault.bpf.c), built
 * once per fixture with KT_SKEL naming its skeleton (scx_kt_unfair,
 * scx_kt_idle, scx_kt_park, scx_kt_noaff).  Loads and attaches it, waits
 * for SIGINT/SIGTERM or the kernel disabling it, prints the exit record.
 * Exit statuses as scx_ktstr's.
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <scx/common.h>

#ifndef KT_SKEL
#error "build with -DKT_SKEL=<skeleton name> (scx-ktstr/Makefile)"
#endif
#define KT_STR_(x) #x
#define KT_STR(x) KT_STR_(x)
#define KT_CAT_(a, b) a##b
#define KT_CAT(a, b) KT_CAT_(a, b)
#define SKEL_FN(op) KT_CAT(KT_SKEL, __##op)
#define PROG KT_STR(KT_SKEL)

#include KT_STR(KT_SKEL.bpf.skel.h)
#include "kt_loader.h"

#define POLL_MS 100

struct opts {
	unsigned int timeout_ms;  /* 0: the fixture's own (20 s) */
	unsigned int release_ms;  /* scx_kt_park, when have_release */
	bool have_release;
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: " PROG " [--timeout-ms N] [--release-ms N] [-v]\n"
		"\n"
		"One of ktstr's faulty fixture schedulers (scx-ktstr/scx_kt_fault.bpf.c):\n"
		"  scx_kt_unfair  user tasks with an odd pid wait in a queue served one turn in eight\n"
		"  scx_kt_idle    user tasks all go to the first CPU they may run on\n"
		"  scx_kt_park    user tasks with an odd pid are parked, run 100 ms every\n"
		"                 --release-ms (default 5000; 0: never)\n"
		"  scx_kt_noaff   user tasks go round-robin to every CPU, allowed or not\n"
		"\n"
		"  --timeout-ms N   watchdog timeout, 1..30000 (default 20000)\n"
		"  -v, --verbose    libbpf debug messages\n"
		"Exit status: 0 stopped on request, 1 disabled by the kernel, 2 bad usage,\n"
		"3 open/load/attach failed.\n");
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	enum { O_TIMEOUT_MS = 256, O_RELEASE_MS };
	static const struct option longopts[] = {
		{ "timeout-ms", required_argument, NULL, O_TIMEOUT_MS },
		{ "release-ms", required_argument, NULL, O_RELEASE_MS },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":vh", longopts, NULL)) != -1) {
		switch (c) {
		case O_TIMEOUT_MS:
			if (parse_uint(optarg, 1, MAX_TIMEOUT_MS, &o->timeout_ms)) {
				fprintf(stderr, PROG ": --timeout-ms: want 1..%d, got '%s'\n", MAX_TIMEOUT_MS, optarg);
				return -1;
			}
			break;
		case O_RELEASE_MS:
			if (parse_uint(optarg, 0, 600000, &o->release_ms)) {
				fprintf(stderr, PROG ": --release-ms: want 0..600000, got '%s'\n", optarg);
				return -1;
			}
			o->have_release = true;
			break;
		case 'v': verbose = true; break;
		case 'h': usage(stdout); exit(0);
		case ':':
			fprintf(stderr, PROG ": %s needs a value\n", argv[optind - 1]);
			return -1;
		default:
			fprintf(stderr, PROG ": unknown option '%s' (see --help)\n", argv[optind - 1]);
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, PROG ": unexpected argument '%s' (see --help)\n", argv[optind]);
		return -1;
	}
	return 0;
}

static struct KT_SKEL *open_load_attach(const struct opts *o, struct bpf_link **link)
{
	struct KT_SKEL *skel = SKEL_FN(open)();
	int err;

	if (!skel) {
		fprintf(stderr, PROG ": open BPF skeleton: %s\n", strerror(errno));
		return NULL;
	}
	skel->struct_ops.ktf_ops->hotplug_seq = scx_hotplug_seq();
	if (o->timeout_ms)
		skel->struct_ops.ktf_ops->timeout_ms = o->timeout_ms;
	if (o->have_release)
		skel->rodata->release_ns = (unsigned long long)o->release_ms * 1000000ull;
	UEI_SET_SIZE(skel, ktf_ops, uei);
	err = SKEL_FN(load)(skel);
	if (err) {
		fprintf(stderr, PROG ": load failed: %s\n", strerror(-err));
		goto fail;
	}
	__SCX_OPS_DISABLE_AUTOATTACH(skel, ktf_ops);
	err = SKEL_FN(attach)(skel);
	if (err) {
		fprintf(stderr, PROG ": attach programs: %s\n", strerror(-err));
		goto fail;
	}
	*link = bpf_map__attach_struct_ops(skel->maps.ktf_ops);
	if (!*link) {
		err = errno;
		fprintf(stderr, PROG ": attach struct_ops: %s%s\n", strerror(err),
			err == EBUSY || err == EEXIST ? " (another sched_ext scheduler is loaded)" : "");
		goto fail;
	}
	return skel;
fail:
	SKEL_FN(destroy)(skel);
	return NULL;
}

int main(int argc, char **argv)
{
	struct opts o = { 0 };
	struct sigaction sa = { .sa_handler = on_signal };
	const struct timespec tick = { 0, POLL_MS * 1000000L };
	int kind;
	__u64 ecode;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (parse_args(argc, argv, &o))
		return EXIT_USAGE;
	libbpf_set_print(libbpf_print);
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	for (;;) {
		struct bpf_link *link = NULL;
		struct KT_SKEL *skel = open_load_attach(&o, &link);

		if (!skel)
			return EXIT_LOAD;
		printf(PROG ": attached (timeout %u ms)\n", skel->struct_ops.ktf_ops->timeout_ms);
		while (!exit_req && !UEI_EXITED(skel, uei))
			nanosleep(&tick, NULL);
		if (exit_req)
			printf(PROG ": %s received, detaching\n", strsignal(exit_req));
		bpf_link__destroy(link);
		kind = kt_report_exit(PROG, &skel->data->uei, skel->data_uei_dump->uei_dump);
		ecode = skel->data->uei.exit_code;
		SKEL_FN(destroy)(skel);
		if (!exit_req && UEI_ECODE_RESTART(ecode)) {
			printf(PROG ": the kernel asked for a restart (CPU hotplug): reloading\n");
			continue;
		}
		break;
	}
	return exit_req && kind < SCX_EXIT_ERROR ? EXIT_REQUESTED : EXIT_EJECTED;
}
