/* The replay driver: runs a fuzz target once per file, without libFuzzer,
 * so that `make check` (gcc, ASan, UBSan) replays the committed corpus and
 * every past crash (docs/fuzzing.md).
 *
 *   replay [-v] [-t SECONDS] NAME PATH...
 *
 * PATH is a file or a directory (its regular files, in name order; a
 * missing directory holds nothing).  Each file runs in a child process
 * with an alarm, so a crash, a sanitizer report, a failed oracle, a leak
 * or a hang (-t, default 25 s) fails that file and the others still run.
 * Prints a line per failed file (per file with -v), then
 * "NAME: N passed, N failed"; exits 1 if any failed. */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned timeout_s = 25;
static int verbose;
static unsigned passed, failed;

/* The whole file in a buffer of exactly its size (ASan sees an overread). */
static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *p = NULL;
	size_t cap = 0, n = 0;

	if (!f)
		return NULL;
	for (;;) {
		uint8_t chunk[65536];
		size_t k = fread(chunk, 1, sizeof(chunk), f);
		uint8_t *q;

		if (!k)
			break;
		if (n + k > cap) {
			cap = n + k;
			q = realloc(p, cap);
			if (!q) {
				free(p);
				fclose(f);
				return NULL;
			}
			p = q;
		}
		memcpy(p + n, chunk, k);
		n += k;
	}
	if (ferror(f)) {
		free(p);
		p = NULL;
	}
	fclose(f);
	if (p || !n) {
		*len = n;
		return p ? p : malloc(1);
	}
	return NULL;
}

static void run_one(const char *name, const char *path)
{
	pid_t pid;
	int st;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "replay: fork: %s\n", strerror(errno));
		exit(2);
	}
	if (pid == 0) {
		size_t len = 0;
		uint8_t *data = slurp(path, &len);

		if (!data) {
			fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
			_exit(3);
		}
		alarm(timeout_s);
		LLVMFuzzerTestOneInput(data, len);
		free(data);
		exit(0); /* atexit: LeakSanitizer */
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR) {
			fprintf(stderr, "replay: waitpid: %s\n", strerror(errno));
			exit(2);
		}
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
		passed++;
		if (verbose)
			printf("ok %u %s %s\n", passed + failed, name, path);
		return;
	}
	failed++;
	if (WIFSIGNALED(st) && WTERMSIG(st) == SIGALRM)
		printf("not ok %u %s %s # timed out after %u s\n", passed + failed, name, path, timeout_s);
	else if (WIFSIGNALED(st))
		printf("not ok %u %s %s # killed by signal %d\n", passed + failed, name, path, WTERMSIG(st));
	else
		printf("not ok %u %s %s # exit status %d\n", passed + failed, name, path, WEXITSTATUS(st));
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void run_path(const char *name, const char *path)
{
	struct stat st;
	struct dirent *e;
	char **v = NULL;
	size_t n = 0;
	DIR *d;

	if (stat(path, &st)) {
		if (errno == ENOENT)
			return; /* e.g. no crashes recorded for this target */
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		exit(2);
	}
	if (!S_ISDIR(st.st_mode)) {
		run_one(name, path);
		return;
	}
	d = opendir(path);
	if (!d) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		exit(2);
	}
	while ((e = readdir(d))) {
		char *p;
		char **nv;

		if (e->d_name[0] == '.')
			continue; /* ., .., .gitignore and the like */
		if (asprintf(&p, "%s/%s", path, e->d_name) < 0 || !(nv = realloc(v, (n + 1) * sizeof(*v)))) {
			fprintf(stderr, "replay: out of memory\n");
			exit(2);
		}
		v = nv;
		v[n++] = p;
	}
	closedir(d);
	qsort(v, n, sizeof(*v), cmp_str);
	for (size_t i = 0; i < n; i++) {
		if (!stat(v[i], &st) && S_ISREG(st.st_mode))
			run_one(name, v[i]);
		free(v[i]);
	}
	free(v);
}

int main(int argc, char **argv)
{
	int opt;
	const char *name;

	while ((opt = getopt(argc, argv, "vt:")) != -1) {
		switch (opt) {
		case 'v':
			verbose = 1;
			break;
		case 't':
			timeout_s = (unsigned)strtoul(optarg, NULL, 10);
			break;
		default:
			fprintf(stderr, "usage: %s [-v] [-t SECONDS] NAME PATH...\n", argv[0]);
			return 2;
		}
	}
	if (argc - optind < 2) {
		fprintf(stderr, "usage: %s [-v] [-t SECONDS] NAME PATH...\n", argv[0]);
		return 2;
	}
	name = argv[optind++];
	for (int i = optind; i < argc; i++)
		run_path(name, argv[i]);
	printf("%s: %u passed, %u failed\n", name, passed, failed);
	return failed ? 1 : 0;
}
