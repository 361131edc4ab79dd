/* Fuzz target: loading a sidecar or a `ktstr stats --json` file
 * (src/report/load.c) and everything `ktstr stats`, `compare` and
 * `report` do with it (statsfmt.c, compare.c, html.c, svg.c).  Sidecars
 * hold guest text and are files a user passes around.
 *
 * Input: the file's bytes (written to a memfd and loaded by path, as the
 * CLI does).
 * Oracles: the loaded rows have terminated names and verdicts; the
 * grouped and overall rows as well; the stats text and JSON are valid
 * UTF-8; the stats JSON loads back as the same number of rows; a set
 * compared with itself has no regression and no improvement; the HTML
 * report is valid UTF-8 and holds no <script (guest text is escaped). */
#include "fuzz.h"
#include "report/report.h"

#include <sys/mman.h>
#include <unistd.h>

static void check_row(const struct kr_row *r)
{
	FZ_CHECK(memchr(r->name, '\0', sizeof(r->name)) && memchr(r->topology, '\0', sizeof(r->topology)) &&
			 memchr(r->scheduler, '\0', sizeof(r->scheduler)) && memchr(r->flags, '\0', sizeof(r->flags)) &&
			 memchr(r->verdict, '\0', sizeof(r->verdict)),
		 "row strings unterminated");
	FZ_CHECK(fz_utf8_valid((const uint8_t *)r->name, strlen(r->name)), "row name not UTF-8");
}

static void html(const uint8_t *data, size_t size)
{
	struct kr_docs d = { 0 };
	struct kr_doc doc = { .path = (char *)"fuzz.ktstr.json" };
	struct kbuf out = { 0 };
	json_error_t je;

	doc.j = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &je);
	if (!doc.j)
		return;
	d.v = &doc;
	d.n = 1;
	if (!kt_rep_html_report(&d, "fuzz", &out) && out.data) {
		FZ_CHECK(fz_utf8_valid((const uint8_t *)out.data, out.len), "HTML not UTF-8");
		FZ_CHECK(!strstr(out.data, "<script"), "a script in the report");
	}
	kt_kbuf_free(&out);
	json_decref(doc.j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kr_set rows = { 0 }, grouped = { 0 }, back = { 0 };
	struct kr_row overall;
	struct kr_gate g[KR_NGATES];
	struct kr_cmp cmp;
	struct kbuf text = { 0 }, js = { 0 };
	char path[64], err[256];
	int fd = memfd_create("sidecar", MFD_CLOEXEC);

	if (fd < 0 || (size && write(fd, data, size) != (ssize_t)size))
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (kt_rep_load_rows(path, &rows)) {
		close(fd);
		html(data, size);
		return 0;
	}
	close(fd);
	FZ_CHECK(rows.n > 0, "loaded no rows without an error");
	for (size_t i = 0; i < rows.n; i++)
		check_row(&rows.rows[i]);
	if (!kt_rep_group(&rows, KR_DIM_ALL, &grouped)) {
		for (size_t i = 0; i < grouped.n; i++)
			check_row(&grouped.rows[i]);
		kt_rep_overall(&grouped, &overall);
		check_row(&overall);
		if (!kt_rep_stats_text(&grouped, &overall, &text) && text.data)
			FZ_CHECK(fz_utf8_valid((const uint8_t *)text.data, text.len), "stats text not UTF-8");
		if (!kt_rep_stats_json(&grouped, &overall, &js) && js.data) {
			json_error_t je;
			json_t *j = json_loadb(js.data, js.len, 0, &je);

			FZ_CHECK(j, "stats JSON does not load: %s", je.text);
			FZ_CHECK(!kt_rep_rows_from_stats_json(j, &back, err, sizeof(err)), "stats JSON rows: %s", err);
			FZ_CHECK(back.n == grouped.n, "%zu rows back, %zu out", back.n, grouped.n);
			json_decref(j);
		}
	}
	kt_rep_gates_default(g);
	if (!kt_rep_compare(&rows, &rows, g, &cmp)) {
		FZ_CHECK(!cmp.regressions && !cmp.improvements, "a set differs from itself: %u regressions, %u improvements",
			 cmp.regressions, cmp.improvements);
		kt_kbuf_free(&text);
		if (!kt_rep_compare_text(&cmp, true, &text) && text.data)
			FZ_CHECK(fz_utf8_valid((const uint8_t *)text.data, text.len), "compare text not UTF-8");
		kt_rep_cmp_free(&cmp);
	}
	html(data, size);
	kt_kbuf_free(&text);
	kt_kbuf_free(&js);
	kt_rep_set_free(&back);
	kt_rep_set_free(&grouped);
	kt_rep_set_free(&rows);
	return 0;
}
