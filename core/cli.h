/* The relgate command line: shared helpers and the commands. */
#ifndef RG_CLI_H
#define RG_CLI_H

#include <stddef.h>
#include <stdint.h>

#include "relgate/relgate.h"

/* Exit codes of the contract. */
enum { RG_EXIT_ALLOW = 0, RG_EXIT_DENY = 1, RG_EXIT_ERROR = 2 };

int rg_cmd_eval(int argc, char **argv);
int rg_cmd_plugins(int argc, char **argv);
int rg_cmd_history(int argc, char **argv);
int rg_cmd_lint(int argc, char **argv);
int rg_cmd_test(int argc, char **argv);

/* Print ERR to stderr: "relgate: error: ..." then every further problem and, when
 * VERBOSE_TRACE, the Lua traceback. */
void rg_cli_report(const rg_error *err);

/* Parse a size such as "64M", "512K", "1G" or "1048576" into *OUT.  Returns 0 or -1. */
int rg_cli_parse_size(const char *text, size_t *out);

/* Parse a positive integer (decimal) into *OUT.  Returns 0 or -1. */
int rg_cli_parse_count(const char *text, uint64_t *out);

/* Parse a positive number of seconds ("30", "2.5", "500ms") into *OUT.  Returns 0 or -1. */
int rg_cli_parse_seconds(const char *text, double *out);

/* Write all of DATA to standard output; returns 0, or -1 (errno set). */
int rg_cli_write_stdout(const char *data, size_t len);

#endif
