/* The ktstr subcommands (cli/<name>.c), dispatched by cli/ktstr.c.  Each
 * takes the arguments after "ktstr" (argv[0] is the subcommand) and
 * returns the exit status: 0 ok, 1 failure, 2 bad input. */
#ifndef KTSTR_CLI_H
#define KTSTR_CLI_H

int cli_scenario(int argc, char **argv);
int cli_run(int argc, char **argv);
int cli_host(int argc, char **argv); /* "show-host" and "topo" */
int cli_stats(int argc, char **argv);
int cli_compare(int argc, char **argv);
int cli_report(int argc, char **argv);
int cli_gauntlet(int argc, char **argv);
int cli_shell(int argc, char **argv);

#endif
