/* `ktstr stats DIR...` and `ktstr compare BASE NEW`: metrics from the
 * JSON sidecars of --out DIR runs, and the A/B regression gate.  The
 * logic is in src/report/; this is argument handling and exit codes. */
#include "report/report.h"
#include "report/bpfstats.h"
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void stats_usage(FILE *f)
{
	fprintf(f,
		"usage: ktstr stats [--json] DIR...\n"
		"       ktstr stats --metrics [--json]\n\n"
		"Aggregates the JSON sidecars (*.ktstr.json, written by --out DIR) found in each\n"
		"DIR and its direct subdirectories into the metrics `ktstr compare` gates: a row\n"
		"per test (runs of the same test, topology, scheduler and flags are averaged over\n"
		"their passing runs), then the overall values (sums of totals, worst of worst_*).\n"
		"A DIR may also be a sidecar file or `ktstr stats --json` output.\n\n"
		"options:\n"
		"  --json       machine-readable output (what `ktstr compare` reads back)\n"
		"  --metrics    list the metrics: polarity, default gates, unit, meaning\n"
		"  -h, --help   this help\n\n"
		"exit status: 0 ok, 2 bad input (missing directory, no sidecars, malformed JSON).\n"
		"See docs/report.md and ktstr(1).\n");
}

static int emit(int ret, struct kbuf *b)
{
	if (ret) {
		kt_kbuf_free(b);
		kt_err(-ret, "formatting the output");
		return 1;
	}
	fwrite(b->data, 1, b->len, stdout);
	kt_kbuf_free(b);
	return fflush(stdout) ? 1 : 0;
}

static int load_all(char **paths, int n, struct kr_set *rows)
{
	memset(rows, 0, sizeof(*rows));
	for (int i = 0; i < n; i++) {
		struct kr_set one;
		int ret = kt_rep_load_rows(paths[i], &one);

		if (ret) {
			kt_rep_set_free(rows);
			return ret == -ENOMEM ? 1 : 2;
		}
		for (size_t k = 0; k < one.n; k++)
			if (kt_rep_set_add(rows, &one.rows[k])) {
				kt_rep_set_free(&one);
				kt_rep_set_free(rows);
				kt_err(ENOMEM, "%s", paths[i]);
				return 1;
			}
		kt_rep_set_free(&one);
	}
	return 0;
}

int cli_stats(int argc, char **argv)
{
	bool json = false, metrics = false;
	char **paths = calloc((size_t)argc, sizeof(*paths)), **bpaths;
	struct kr_set rows, tests;
	struct kr_row overall;
	struct kbuf b = { 0 };
	int n = 0, ret;

	if (!paths)
		return 1;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			stats_usage(stdout);
			free(paths);
			return 0;
		} else if (!strcmp(argv[i], "--json")) {
			json = true;
		} else if (!strcmp(argv[i], "--metrics")) {
			metrics = true;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr, "ktstr: stats: unknown option '%s'; see `ktstr stats --help`\n", argv[i]);
			free(paths);
			return 2;
		} else {
			paths[n++] = argv[i];
		}
	}
	if (metrics) {
		free(paths);
		if (n) {
			fprintf(stderr, "ktstr: stats --metrics takes no directory\n");
			return 2;
		}
		return emit(kt_rep_metrics_list(json, &b), &b);
	}
	if (!n) {
		fprintf(stderr, "ktstr: stats: give at least one sidecar directory (written by --out DIR); "
				"see `ktstr stats --help`\n");
		free(paths);
		return 2;
	}
	ret = load_all(paths, n, &rows);
	bpaths = paths;
	if (ret) {
		free(paths);
		return ret;
	}
	ret = kt_rep_group(&rows, KR_DIM_ALL, &tests);
	kt_rep_set_free(&rows);
	if (ret) {
		free(bpaths);
		kt_err(ENOMEM, "stats");
		return 1;
	}
	kt_rep_overall(&tests, &overall);
	ret = json ? kt_rep_stats_json(&tests, &overall, &b) : kt_rep_stats_text(&tests, &overall, &b);
	kt_rep_set_free(&tests);
	if (!ret && !json) { /* each test's BPF programs, from the same sidecars */
		struct kr_bpf_set *bs = calloc(1, sizeof(*bs));

		for (int i = 0; bs && i < n; i++)
			kt_rep_bpf_load(bpaths[i], bs);
		ret = bs ? kt_rep_bpf_text(bs, &b) : -ENOMEM;
		free(bs);
	}
	free(bpaths);
	return emit(ret, &b);
}

static void compare_usage(FILE *f)
{
	fprintf(f,
		"usage: ktstr compare [--threshold METRIC=ABS,REL]... [--all] BASE NEW\n\n"
		"Compares two runs test by test.  BASE and NEW are sidecar directories (--out DIR),\n"
		"sidecar files, or `ktstr stats --json` outputs (use those to average several runs).\n"
		"Tests pair on their name plus the topology, scheduler and flags, except those\n"
		"dimensions whose values differ between the sides (a scheduler A/B pairs on name\n"
		"and topology).  For every metric both sides have, a change is significant only\n"
		"when it passes BOTH gates: |new - base| >= ABS and |new - base| / |base| >= REL\n"
		"(a base of 0 passes any relative gate).  Its direction decides regression or\n"
		"improvement (`ktstr stats --metrics` shows each metric's polarity and gates).\n"
		"Payload metrics declared with a polarity (PAYLOAD.METRIC, docs/payloads.md) are\n"
		"compared the same way, by name, with the gate 'payload' (ABS 0, REL 10%%).\n"
		"A test that passed in BASE and fails in NEW is a regression; tests that failed\n"
		"or were skipped on either side are not compared metric by metric.\n\n"
		"options:\n"
		"  --threshold METRIC=ABS,REL\n"
		"               override a metric's gates (repeatable; METRIC 'all' sets every\n"
		"               metric, 'payload' every payload metric; either part may be\n"
		"               empty to keep its default; REL is a fraction, or a percentage\n"
		"               with '%%': worst_gap_ms=200,30%%)\n"
		"  --all        also list the metrics that are equal on both sides\n"
		"  -h, --help   this help\n\n"
		"exit status: 0 no regression, 1 at least one regression, 2 bad input (missing\n"
		"or malformed input, no sidecars, no test in common, bad --threshold).\n");
}

int cli_compare(int argc, char **argv)
{
	struct kr_gate gates[KR_NGATES];
	struct kr_set base, new;
	struct kr_cmp c;
	struct kbuf b = { 0 };
	const char *pos[2];
	bool all = false;
	int n = 0, ret;
	char err[256];

	kt_rep_gates_default(gates);
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			compare_usage(stdout);
			return 0;
		} else if (!strcmp(argv[i], "--all")) {
			all = true;
		} else if (!strcmp(argv[i], "--threshold") || !strncmp(argv[i], "--threshold=", 12)) {
			const char *spec = argv[i][11] == '=' ? argv[i] + 12 : i + 1 < argc ? argv[++i] : NULL;

			if (!spec) {
				fprintf(stderr, "ktstr: compare: --threshold needs METRIC=ABS,REL\n");
				return 2;
			}
			if (kt_rep_gate_parse(spec, gates, err, sizeof(err))) {
				fprintf(stderr, "ktstr: compare: %s\n", err);
				return 2;
			}
		} else if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr, "ktstr: compare: unknown option '%s'; see `ktstr compare --help`\n", argv[i]);
			return 2;
		} else if (n < 2) {
			pos[n++] = argv[i];
		} else {
			fprintf(stderr, "ktstr: compare: unexpected argument '%s': give BASE and NEW only\n", argv[i]);
			return 2;
		}
	}
	if (n != 2) {
		fprintf(stderr, "ktstr: compare: give BASE and NEW (sidecar directories or `ktstr stats --json` "
				"files); see `ktstr compare --help`\n");
		return 2;
	}
	if ((ret = kt_rep_load_rows(pos[0], &base)))
		return ret == -ENOMEM ? 1 : 2;
	if ((ret = kt_rep_load_rows(pos[1], &new))) {
		kt_rep_set_free(&base);
		return ret == -ENOMEM ? 1 : 2;
	}
	ret = kt_rep_compare(&base, &new, gates, &c);
	kt_rep_set_free(&base);
	kt_rep_set_free(&new);
	if (ret) {
		kt_err(ENOMEM, "compare");
		return 1;
	}
	if (!c.paired) {
		fprintf(stderr, "ktstr: compare: no test of %s matches one of %s (by name and the shared "
				"topology/scheduler/flags)\n", pos[1], pos[0]);
		kt_rep_cmp_free(&c);
		return 2;
	}
	ret = kt_rep_compare_text(&c, all, &b);
	n = c.regressions;
	kt_rep_cmp_free(&c);
	if (emit(ret, &b))
		return 1;
	return n ? 1 : 0;
}
