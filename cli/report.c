/* `ktstr report DIR [-o FILE]`: one self-contained HTML page from the
 * JSON sidecars of a --out DIR run (src/report/html.c). */
#include "report/report.h"
#include "cli.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

static void usage(FILE *f)
{
	fprintf(f,
		"usage: ktstr report [-o FILE] [--title TEXT] DIR\n\n"
		"Renders the JSON sidecars (*.ktstr.json, written by --out DIR) of DIR and its\n"
		"direct subdirectories as one self-contained HTML page (inline CSS and SVG, no\n"
		"scripts, no external resources): a table of the tests (verdict, topology,\n"
		"scheduler, duration, reason), then per test its metrics, cgroups, the monitor's\n"
		"per-CPU nr_running and local DSQ depth over time with the step boundaries, and\n"
		"histograms of the workers' longest gaps and of the wake latencies.\n\n"
		"options:\n"
		"  -o, --output FILE   write the page to FILE ('-': stdout; default DIR/report.html)\n"
		"  --title TEXT        page title (default: \"ktstr report: DIR\")\n"
		"  -h, --help          this help\n\n"
		"exit status: 0 written, 1 could not write, 2 bad input (missing directory,\n"
		"no sidecars, malformed JSON).\n");
}

int cli_report(int argc, char **argv)
{
	const char *dir = NULL, *outp = NULL, *title = NULL;
	char defout[PATH_MAX], deftitle[PATH_MAX + 32];
	struct kr_docs d;
	struct kbuf b = { 0 };
	int ret;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(argv[i], "-o") || !strcmp(argv[i], "--output") || !strcmp(argv[i], "--title")) {
			if (i + 1 >= argc || !*argv[i + 1]) {
				fprintf(stderr, "ktstr: report: %s needs a value\n", argv[i]);
				return 2;
			}
			if (!strcmp(argv[i], "--title"))
				title = argv[++i];
			else
				outp = argv[++i];
		} else if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr, "ktstr: report: unknown option '%s'; see `ktstr report --help`\n", argv[i]);
			return 2;
		} else if (!dir) {
			dir = argv[i];
		} else {
			fprintf(stderr, "ktstr: report: unexpected argument '%s': give one directory\n", argv[i]);
			return 2;
		}
	}
	if (!dir) {
		fprintf(stderr, "ktstr: report: give the sidecar directory (written by --out DIR); "
				"see `ktstr report --help`\n");
		return 2;
	}
	if ((ret = kt_rep_docs_load(dir, &d)))
		return ret == -ENOMEM ? 1 : 2;
	if (!d.n) {
		fprintf(stderr, "ktstr: %s: no sidecars (*.ktstr.json) here or one level down; write them with "
				"--out DIR\n", dir);
		kt_rep_docs_free(&d);
		return 2;
	}
	if (!outp) {
		if ((size_t)snprintf(defout, sizeof(defout), "%s/report.html", dir) >= sizeof(defout)) {
			kt_err(ENAMETOOLONG, "%s/report.html", dir);
			kt_rep_docs_free(&d);
			return 2;
		}
		outp = defout;
	}
	if (!title) {
		snprintf(deftitle, sizeof(deftitle), "ktstr report: %s", dir);
		title = deftitle;
	}
	ret = kt_rep_html_report(&d, title, &b);
	if (!ret) {
		if (!strcmp(outp, "-"))
			ret = fwrite(b.data, 1, b.len, stdout) == b.len && !fflush(stdout) ? 0 : -EIO;
		else
			ret = kt_write_atomic(outp, b.data, b.len, 0644);
		if (ret)
			kt_err(-ret, "report: writing %s", outp);
		else if (strcmp(outp, "-"))
			printf("wrote %s (%zu tests, %zu bytes)\n", outp, d.n, b.len);
	} else {
		kt_err(-ret, "report: rendering %s", dir);
	}
	kt_kbuf_free(&b);
	kt_rep_docs_free(&d);
	return ret ? 1 : 0;
}
