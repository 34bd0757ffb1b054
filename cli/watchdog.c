/* The policy's limits in every command that runs policy code (eval, its batch and
 * workers, test, lint): the options that set them, and the watchdog.
 *
 * The count hook stops runaway Lua, but a C library call (a pathological string
 * pattern) can run long between hooks.  The engine arms this timer around policy code
 * (rg_set_watchdog) for the time left plus a second's grace; when it fires, the error
 * prepared in advance goes out with system calls only and the process exits 2: no
 * command ever hangs on a policy. */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/time.h>
#include <unistd.h>

#include "cli.h"
#include "error.h"
#include "strbuf.h"

static char *watchdog_stdout;          /* the error in the command's output format, or NULL */
static char *watchdog_log_line;        /* the error as a decision-log line, or NULL */
static const char *watchdog_log_url;
extern char **environ;
static char watchdog_stderr[RG_ERROR_MESSAGE_MAX + 64];
static int watchdog_exit = RG_EXIT_ERROR;
static double watchdog_timeout;
/* Output of earlier work not yet written (a batch's decisions, a test run's report),
 * written before the error.  The watchdog fires inside policy code, never while this
 * buffer is being appended to. */
static const rg_strbuf *watchdog_pending;

static void watchdog_fire(int sig)
{
    (void)sig;
    if (watchdog_pending && watchdog_pending->len && !watchdog_pending->failed)
        (void)!write(STDOUT_FILENO, watchdog_pending->data, watchdog_pending->len);
    if (watchdog_stdout)
        (void)!write(STDOUT_FILENO, watchdog_stdout, strlen(watchdog_stdout));
    (void)!write(STDERR_FILENO, watchdog_stderr, strlen(watchdog_stderr));
    if (watchdog_log_line && watchdog_log_url) {
        /* The audit record of this error too, chained like every other: a store needs
         * locks, a digest and perhaps a database connection, none of which a signal
         * handler may touch, so this process becomes a fresh relgate that appends it
         * (execve is async-signal-safe; the stuck policy code goes with the old image). */
        char code[12], *p = code + sizeof code;
        char *argv[] = {"relgate", "__watchdog-log", (char *)watchdog_log_url, NULL, watchdog_log_line, NULL};
        unsigned v = (unsigned)watchdog_exit;
        *--p = '\0';
        do {
            *--p = (char)('0' + v % 10);
            v /= 10;
        } while (v);
        argv[3] = p;
        execve("/proc/self/exe", argv, environ);
    }
    _exit(watchdog_exit);
}

/* Called by the engine around policy code: SECONDS left, or 0 to disarm.  Clamped, so
 * that no limit converts out of time_t's range (the options allow at most a day). */
static void watchdog_set(double seconds)
{
    struct itimerval it;
    memset(&it, 0, sizeof it);
    if (!(seconds > 0))
        seconds = 0;
    else if (seconds > 7 * 86400.0)
        seconds = 7 * 86400.0;
    else if (seconds < 1e-6)
        seconds = 1e-6;   /* 0 would disarm it */
    it.it_value.tv_sec = (time_t)seconds;
    it.it_value.tv_usec = (suseconds_t)((seconds - (double)(time_t)seconds) * 1e6);
    setitimer(ITIMER_REAL, &it, NULL);
}

void rg_cli_watchdog_limit_error(const char *policy, double timeout, rg_error *err)
{
    rg_fail(err, RG_ERROR_LIMIT, policy, 0, 0,
            "%s: policy exceeded its time limit of %g s (--timeout) inside a library call", policy, timeout);
}

void rg_cli_watchdog_name(const char *policy)
{
    rg_error err;
    rg_error_init(&err);
    rg_cli_watchdog_limit_error(policy, watchdog_timeout, &err);
    snprintf(watchdog_stderr, sizeof watchdog_stderr, "relgate: error: %s\n", err.message);
    rg_error_clear(&err);
}

void rg_cli_watchdog_install(const char *policy, double timeout)
{
    struct sigaction sa;
    watchdog_timeout = timeout;
    rg_cli_watchdog_name(policy);
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = watchdog_fire;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGALRM, &sa, NULL);
    rg_set_watchdog(watchdog_set);
}

void rg_cli_watchdog_stdout(char *text)
{
    free(watchdog_stdout);
    watchdog_stdout = text;
}

void rg_cli_watchdog_log(const char *url, char *line)
{
    size_t n = line ? strlen(line) : 0;
    if (n && line[n - 1] == '\n')
        line[n - 1] = '\0';
    free(watchdog_log_line);
    watchdog_log_line = line;
    watchdog_log_url = line ? url : NULL;
}

int rg_cli_watchdog_append(int argc, char **argv)
{
    rg_error err = {0};
    rg_log *log;
    int code;
    if (argc != 5)
        return RG_EXIT_ERROR;
    code = atoi(argv[3]);
    log = rg_log_open(argv[2], 1, &err);
    if (!log || rg_log_append(log, argv[4], strlen(argv[4]), &err) != 0) {
        rg_cli_report(&err);
        rg_error_clear(&err);
        code = RG_EXIT_ERROR;
    }
    rg_log_close(log);
    return code;
}

void rg_cli_watchdog_pending(const rg_strbuf *pending)
{
    watchdog_pending = pending;
}

void rg_cli_watchdog_exit_code(int code)
{
    watchdog_exit = code;
}

void rg_cli_watchdog_remove(void)
{
    rg_set_watchdog(NULL);
    watchdog_set(0);
    rg_cli_watchdog_stdout(NULL);
    rg_cli_watchdog_log(NULL, NULL);
    watchdog_pending = NULL;
}
