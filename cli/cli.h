/* The command-line layer: argv parsing, and the only place errors become
 * exit statuses (0 ok, 1 failed, 2 bad input). */
#ifndef KTSTR_CLI_H
#define KTSTR_CLI_H
#include <stdbool.h>
#include <stddef.h>
#include <ktstr/ktstr.h>

struct kt_run_summary;

/* Shared by the test binaries and `ktstr scenario`: parse the runner
 * options, select (filters), list or run.  `what` is "test" or
 * "scenario"; registry is the list to choose from. */
int kt_runner_cli(int argc, char **argv, const char *what, const struct ktstr_test *const *registry, size_t nreg);
/* The same with the gauntlet on from the start (`ktstr gauntlet`). */
int kt_runner_cli_mode(int argc, char **argv, const char *what, const struct ktstr_test *const *registry, size_t nreg,
		       bool gauntlet);
/* The exit status of a kt_run_tests() call: 128 + the signal for an
 * interrupted run (130 SIGINT, 143 SIGTERM), 2 for bad input (-EINVAL),
 * 1 for a failed set-up or a failed run, 0 otherwise. */
int kt_run_exit_status(int ret, const struct kt_run_summary *sum);

/* --probe-stack F1,F2|FILE into the guest's probe list (buf; "*" for
 * NULL: the scheduler's callbacks only); said why and -EINVAL if bad. */
int kt_cli_probe_list(const char *arg, char *buf, size_t len);

/* `ktstr run --repro` (run_repro.c): the auto-repro probes on this host
 * while the scenarios run.  begin: phase A, and phase B when a sched_ext
 * scheduler is active; says what is probed.  0, or the exit status (1:
 * this host cannot probe, 2: bad input) after one line saying why.
 * named: --probe-stack was given.  end: prints the section, frees. */
struct kt_pg;
struct kt_host_probes {
	struct kt_pg *g;
	bool scx;        /* a sched_ext scheduler was active at the start */
	char sched[64];  /* its name, else "eevdf" */
};
int kt_cli_run_probes_begin(struct kt_host_probes *hp, const char *list, bool named);
void kt_cli_run_probes_end(struct kt_host_probes *hp, double wall_s);

int cli_kernel(int argc, char **argv);
int cli_scenario(int argc, char **argv);
/* `ktstr scenario` (gauntlet false) and `ktstr gauntlet` (true). */
int cli_scenarios(int argc, char **argv, bool gauntlet);
int cli_run(int argc, char **argv);
int cli_host(int argc, char **argv); /* "show-host" and "topo" */
int cli_stats(int argc, char **argv);
int cli_compare(int argc, char **argv);
int cli_report(int argc, char **argv);
int cli_gauntlet(int argc, char **argv);
int cli_shell(int argc, char **argv);
/* `verifier` (verifier.c, in libktstr.a): a test binary passes its
 * tests, whose KTSTR_SCHEDULER declarations give flags; ktstr none. */
int kt_verifier_cli(int argc, char **argv, const struct ktstr_test *const *reg, size_t nreg);

#endif
