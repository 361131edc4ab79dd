/* ktstr-payload-helper: a tiny program of the project's own used as a
 * payload by tests/payloads.c, standing in for a user's build of a tool
 * Debian does not package (schbench):
 *
 *   json RPS       a line of text, then a JSON document with "rps" = RPS
 *                  and nested latencies, exit 0
 *   ignore-term    ignore SIGTERM (with a child that does too), print
 *                  "ready", sleep until killed
 *   cat FILE       copy FILE to stdout (a data file packed with .include)
 *   exit N         exit with status N */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "json")) {
		printf("helper: warming up\n");
		printf("{\n  \"rps\": %s,\n  \"latency_us\": { \"p50\": 12, \"p99\": 250.5 },\n"
		       "  \"threads\": [ { \"id\": 0, \"loops\": 100 }, { \"id\": 1, \"loops\": 98 } ],\n"
		       "  \"note\": \"strings are not metrics\"\n}\n",
		       argv[2]);
		return 0;
	}
	if (argc == 2 && !strcmp(argv[1], "ignore-term")) {
		signal(SIGTERM, SIG_IGN);
		if (fork() == 0)
			for (;;)
				pause();
		printf("ready\n");
		fflush(stdout);
		for (;;)
			pause();
	}
	if (argc == 3 && !strcmp(argv[1], "cat")) {
		FILE *f = fopen(argv[2], "r");
		char buf[4096];
		size_t n;

		if (!f) {
			perror(argv[2]);
			return 1;
		}
		while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
			fwrite(buf, 1, n, stdout);
		fclose(f);
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "exit"))
		return atoi(argv[2]);
	fprintf(stderr, "usage: %s json RPS | ignore-term | cat FILE | exit N\n", argv[0]);
	return 2;
}
