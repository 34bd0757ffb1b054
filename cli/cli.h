/* The relgate command line: shared helpers and the commands. */
#ifndef RG_CLI_H
#define RG_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "relgate/relgate.h"
#include "options.h"

/* Exit codes of the contract. */
enum { RG_EXIT_ALLOW = 0, RG_EXIT_DENY = 1, RG_EXIT_ERROR = 2 };

int rg_cmd_eval(int argc, char **argv);
int rg_cmd_plugins(int argc, char **argv);
int rg_cmd_history(int argc, char **argv);
int rg_cmd_lint(int argc, char **argv);
int rg_cmd_test(int argc, char **argv);
int rg_cmd_verify(int argc, char **argv);
int rg_cmd_render(int argc, char **argv);
int rg_cmd_check(int argc, char **argv);
int rg_cmd_init(int argc, char **argv);
int rg_cmd_bundle(int argc, char **argv);
int rg_cmd_serve(int argc, char **argv);

/* Print ERR to stderr: "relgate: error: ..." then every further problem and, when the
 * error has one, the Lua traceback. */
void rg_cli_report(const rg_error *err);
/* An answer (a decision, a report) could not be written at PATH: take back what an
 * earlier run left there (rg_file_retract), saying on stderr when it cannot be. */
void rg_cli_retract(const char *path);

/* Parse a size such as "64M", "512K", "1G" or "1048576" into *OUT.  Returns 0 or -1. */
int rg_cli_parse_size(const char *text, size_t *out);

/* Parse a positive integer (decimal) into *OUT.  Returns 0 or -1. */
int rg_cli_parse_count(const char *text, uint64_t *out);

/* Parse a positive number of seconds ("30", "2.5", "500ms") into *OUT.  Returns 0 or -1. */
int rg_cli_parse_seconds(const char *text, double *out);

/* ---- Options every command that runs policy code takes (util.c) -------------------- */

/* The policy limits' rows of an option table (options.h), all with ID: --timeout,
 * --max-memory, --max-instructions. */
#define RG_CLI_LIMIT_OPTIONS(id) \
    {"--timeout", NULL, "a number of seconds", (id)}, \
    {"--max-memory", NULL, "a size such as 64M", (id)}, \
    {"--max-instructions", NULL, "a number", (id)}

/* The rows of the limits of an evaluation beside the policy's (eval and serve): the
 * isolation of plugin checks and the sizes and counts the engine allows, all with ID. */
#define RG_CLI_EVALUATION_LIMIT_OPTIONS(id) \
    {"--jobs", "-j", "a number from 1 to 256", (id)}, \
    {"--check-timeout", NULL, "a number of seconds", (id)}, \
    {"--check-memory", NULL, "a size such as 1G", (id)}, \
    {"--max-context-size", NULL, "a size such as 16M", (id)}, \
    {"--max-evidence-size", NULL, "a size such as 1M", (id)}, \
    {"--max-check-evidence-size", NULL, "a size such as 256M", (id)}, \
    {"--max-json-depth", NULL, "a number from 1 to 1000", (id)}, \
    {"--max-requirements", NULL, "a number from 1 to 1000000", (id)}

/* Parse VALUE of limit option NAME (one of the rows of either macro) into LIMITS.
 * Returns 0, or -1 with WHY saying what the value should be ("a positive whole
 * number"). */
int rg_cli_limit_option(const char *name, const char *value, rg_limits *limits, char *why, size_t why_size);

/* Open /dev/null on each of the descriptors 0, 1 and 2 the caller left closed, so that
 * no file relgate opens is taken for standard input or output.  0, or -1 (it cannot be
 * opened): the program stops with exit code 2.  The first thing each program does. */
int rg_cli_standard_streams(void);

/* Whether descriptor FD (0, 1 or 2) was closed when relgate started
 * (rg_cli_standard_streams): a command reading "-" then has nothing to read, which is an
 * error, not an empty input; an answer for a closed standard output is not delivered. */
int rg_cli_stream_closed(int fd);

/* Whether PATH is the regular file standard input reads (by identity: `--context - <
 * FILE`): a file a run that reads standard input must not write (hostile round 41a, F07). */
int rg_cli_is_stdin_file(const char *path);

/* Whether PATH (made or not yet) is DIR or lies beneath it, by the places links lead to. */
int rg_cli_beneath(const char *dir, const char *path);

/* Make this process undumpable (no other process of the user may open its memory,
 * environment or files through /proc): the first thing each of relgate's programs does. */
void rg_cli_undumpable(void);

/* Report a usage error of COMMAND on stderr ("relgate: error: MESSAGE (see relgate
 * COMMAND --help)") and return the exit code 2. */
int rg_cli_usage(const char *command, const char *message);

/* How many --plugin-path directories a command takes. */
#define RG_CLI_MAX_PLUGIN_DIRS 32

/* --plugin-path DIR: appended to DIRS (RG_CLI_MAX_PLUGIN_DIRS entries, *COUNT used).
 * NULL when taken, else the message of the usage error that says there are too many (a
 * directory is never dropped silently): the one rule of every command that takes it. */
const char *rg_cli_plugin_dir_add(const char **dirs, size_t *count, const char *dir);

/* rg_cli_plugin_dir_add for COMMAND: -1 when taken, or the exit code of its usage error. */
int rg_cli_plugin_dir(const char *command, const char **dirs, size_t *count, const char *dir);

/* --policy-path DIR: one more directory where extends and require look after the
 * policy's own (in the order given, before RELGATE_POLICY_PATH).  0, or -1 with WHY. */
int rg_cli_policy_path(const char *dir, char *why, size_t why_size);

/* ---- The watchdog ---------------------------------------------------
 * Every command that runs policy code installs it before loading a policy: past the
 * policy's time limit plus a second's grace inside one C library call, it writes the
 * pending output, the prepared stdout text and the error on stderr, appends the log
 * line, and exits with its exit code (2). */
struct rg_strbuf;
struct rg_cli_outputs;

/* Arm the engine's watchdog for POLICY (as messages name it) with TIMEOUT seconds. */
void rg_cli_watchdog_install(const char *policy, double timeout);
/* The time-limit error the watchdog reports, as an rg_error (to render it in advance). */
void rg_cli_watchdog_limit_error(const char *policy, double timeout, rg_error *err);
/* Name another policy in its message (relgate test: one per test file). */
void rg_cli_watchdog_name(const char *policy);
/* TEXT (heap, taken; NULL: none) goes to stdout when it fires. */
void rg_cli_watchdog_stdout(char *text);
/* LINE (heap, taken; NULL: none) is appended to the decision log URL when the watchdog
 * fires, its position signed with SIGNING_KEY (a PEM path; NULL: none): by `relgate
 * __watchdog-log URL CODE KEY LINE`, which the process execs into. */
void rg_cli_watchdog_log(const char *url, const char *signing_key, char *line);
/* The --format FMT=PATH reports of OUTS (NULL: none): when the watchdog fires, each is
 * replaced by ERR (evaluated at NOW) rendered in its format, after the log line; and
 * the --output file OUTPUT (NULL: none) by OUTPUT_TEXT (copied), what stdout would carry. */
void rg_cli_watchdog_reports(const struct rg_cli_outputs *outs, const char *output, const char *output_text,
                             const rg_error *err, int64_t now);
/* That hidden command, `relgate __watchdog-log URL CODE LINE [PATH TEXT]...`: append LINE
 * to URL (none when URL is ""), then write each TEXT to its PATH atomically; exit CODE
 * (2 when something could not be written). */
int rg_cli_watchdog_append(int argc, char **argv);
/* Output not yet written that goes out first (NULL: none). */
void rg_cli_watchdog_pending(const struct rg_strbuf *pending);
/* The exit code when it fires (default 2). */
void rg_cli_watchdog_exit_code(int code);
/* Disarm it and free what it held. */
void rg_cli_watchdog_remove(void);

/* ---- Ending signals (signals.c) -------------------------------------------------
 * SIGTERM, SIGHUP, SIGINT, SIGQUIT, SIGPIPE... (where their default ends relgate): pass the
 * signal on to the children noted (batch workers) and wait for them, end every plugin
 * process and what escaped them (rg_plugin_processes_kill), then die of the signal.
 * Every command but serve installs it first. */
void rg_cli_signals_install(void);
/* PID (a batch worker, just forked) is passed the signal and waited for. */
void rg_cli_signals_child(pid_t pid);
/* Forget the children noted (in a forked child: its parent's are not its own; and once
 * they have all been waited for). */
void rg_cli_signals_forget(void);
/* PATH (kept as given: an argument) is an answer this command writes: an ending signal
 * takes back what is there (rg_file_retract), so no earlier answer stays in its place. */
void rg_cli_signals_retract_on_end(const char *path);

/* Write all of DATA to standard output; returns 0, or -1 (errno set). */
int rg_cli_write_stdout(const char *data, size_t len);

#endif
