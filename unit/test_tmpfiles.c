/* Temporary files in shared directories (issue 16, finding 8): every
 * output goes through kt_write_atomic() (mkstemp + rename), so a symlink
 * planted at the old predictable "<path>.tmp.<pid>" names, or at the
 * output itself, is never written through, and the --junit probe never
 * opens the path it is given. */
#include "unit.h"
#include "gauntlet/gauntlet.h"
#include "runner/report_out.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

struct tdir {
	char d[64], victim[128];
};

static bool tdir_make(struct tdir *t)
{
	snprintf(t->d, sizeof(t->d), "/tmp/ktstr-unit-tmpfiles.XXXXXX");
	if (!mkdtemp(t->d)) {
		unit_fail(__FILE__, __LINE__, "mkdtemp: %s", strerror(errno));
		return false;
	}
	snprintf(t->victim, sizeof(t->victim), "%s/victim", t->d);
	return !kt_write_file(t->victim, "precious", 8);
}

static void plant(const struct tdir *t, const char *name)
{
	char link[256];

	snprintf(link, sizeof(link), "%s/%s", t->d, name);
	CHECK_EQ_INT(symlink(t->victim, link), 0);
}

static void victim_intact(const struct tdir *t)
{
	char buf[32];

	CHECK_EQ_INT(kt_read_file_str(t->victim, buf, sizeof(buf)), 0);
	CHECK_EQ_STR(buf, "precious");
}

/* Nothing but the expected names, and no temporary file. */
static unsigned entries(const struct tdir *t)
{
	DIR *d = opendir(t->d);
	struct dirent *de;
	unsigned n = 0;

	while (d && (de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
			n++;
			CHECK(!strstr(de->d_name, KT_TMP_SUFFIX));
		}
	if (d)
		closedir(d);
	return n;
}

UNIT_TEST(tmpfiles_write_atomic_replaces_symlink)
{
	struct tdir t;
	char path[160];
	struct stat st;

	if (!tdir_make(&t))
		return;
	snprintf(path, sizeof(path), "%s/out", t.d);
	CHECK_EQ_INT(symlink(t.victim, path), 0);
	CHECK_EQ_INT(kt_write_atomic(path, "new", 3, 0640), 0);
	victim_intact(&t);
	CHECK(!lstat(path, &st) && S_ISREG(st.st_mode) && (st.st_mode & 0777) == 0640);
	CHECK_EQ_INT(entries(&t), 2);
	snprintf(path, sizeof(path), "%s/no-such-dir/out", t.d);
	CHECK_EQ_INT(kt_write_atomic(path, "x", 1, 0), -ENOENT);
	kt_rm_rf(t.d);
}

UNIT_TEST(tmpfiles_junit_and_costs_never_follow_planted_links)
{
	struct kt_run_opts o = { 0 };
	struct kt_report *r;
	struct tdir t;
	char junit[160], costs[160], probe[160], name[64];
	struct stat st;

	if (!tdir_make(&t))
		return;
	/* The old temporary names of the JUnit file and the costs file. */
	snprintf(junit, sizeof(junit), "%s/j.xml", t.d);
	snprintf(name, sizeof(name), "j.xml.tmp.%d", (int)getpid());
	plant(&t, name);
	snprintf(costs, sizeof(costs), "%s/costs.json", t.d);
	snprintf(name, sizeof(name), "costs.json.%d.tmp", (int)getpid());
	plant(&t, name);
	o.junit = junit;
	CHECK_EQ_INT(kt_report_check(&o), 0);
	r = kt_report_begin(&o, 0, "k");
	CHECK(r != NULL);
	CHECK_EQ_INT(kt_report_end(r), 0);
	CHECK_EQ_INT(kt_costs_update(costs, "t/1n1l2c1t", 1.5), 0);
	victim_intact(&t);
	CHECK(!lstat(junit, &st) && S_ISREG(st.st_mode) && st.st_size > 0);
	CHECK(!lstat(costs, &st) && S_ISREG(st.st_mode) && st.st_size > 0);
	/* The --junit probe: a symlink given as the file is not opened (the
	 * old probe created its target, then removed the link). */
	snprintf(probe, sizeof(probe), "%s/p.xml", t.d);
	CHECK_EQ_INT(symlink("created-by-probe", probe), 0);
	o.junit = probe;
	CHECK_EQ_INT(kt_report_check(&o), 0);
	CHECK(lstat(probe, &st) == 0 && S_ISLNK(st.st_mode));
	snprintf(probe, sizeof(probe), "%s/created-by-probe", t.d);
	CHECK(lstat(probe, &st) != 0);
	/* victim, j.xml, costs.json (+ its lock), 2 planted links, p.xml */
	CHECK_EQ_INT(entries(&t), 7);
	kt_rm_rf(t.d);
}
