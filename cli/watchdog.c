/* The policy's limits in every command that runs policy code (eval, its batch and
 * workers, test, lint): the options that set them, and the watchdog.
 *
 * The count hook stops runaway Lua, but a C library call (a pathological string
 * pattern) can run long between hooks.  The engine arms this timer around policy code
 * (rg_set_watchdog) for the time left plus a second's grace; when it fires, the error
 * prepared in advance goes out with system calls only and the process exits 2: no
 * command ever hangs on a policy.  What a signal handler may not do — append to a
 * decision log, write report files atomically — is done by a fresh relgate the process
 * execs into (`relgate __watchdog-log`), from arguments prepared in advance. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "error.h"
#include "fileio.h"
#include "outputs.h"
#include "strbuf.h"

static char *watchdog_stdout;          /* the error in the command's output format, or NULL */
static char *watchdog_log_line;        /* the error as a decision-log line, or NULL */
static const char *watchdog_log_url;
static const char *watchdog_signing_key; /* signs the line's position in the log, or NULL */
/* The --format FMT=PATH reports and the --output file: each PATH and the error rendered
 * in its format, so a CI step never publishes a report, or reads a decision, that is
 * missing or left over from an earlier run. */
static struct { const char *path; char *text; } watchdog_reports[RG_CLI_MAX_OUTPUTS + 1];
static size_t watchdog_report_count;
/* `relgate __watchdog-log URL CODE KEY LINE [PATH TEXT]...`, built whenever one of its
 * parts changes (the handler may not allocate); NULL in [0] when there is nothing to hand
 * on. */
static char *watchdog_argv[6 + 2 * (RG_CLI_MAX_OUTPUTS + 1) + 1];
static char watchdog_code[12];
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
    /* Plugin checks may be running meanwhile (rg_isolated_start): _exit would leave what
     * escaped them. */
    rg_plugin_processes_kill();
    if (watchdog_argv[0]) {
        /* The audit record of this error, chained like every other, and the reports: a
         * store needs locks, a digest and perhaps a database connection, an atomic file a
         * temporary name, none of which a signal handler may touch, so this process
         * becomes a fresh relgate that does both (execve is async-signal-safe; the stuck
         * policy code goes with the old image). */
        execve("/proc/self/exe", watchdog_argv, environ);
    }
    _exit(watchdog_exit);
}

/* While the list changes the handler hands nothing on (it has no list to trust). */
static void watchdog_hold(void)
{
    watchdog_argv[0] = NULL;
    atomic_signal_fence(memory_order_seq_cst);
}

/* Rebuild watchdog_argv from the log line and the reports (outside the handler). */
static void watchdog_build_argv(void)
{
    static char relgate[] = "relgate", command[] = "__watchdog-log", none[] = "";
    unsigned v = (unsigned)watchdog_exit;
    char digits[12], *p = digits + sizeof digits;
    size_t n = 0;
    watchdog_hold();
    *--p = '\0';
    do {
        *--p = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    memcpy(watchdog_code, p, (size_t)(digits + sizeof digits - p));
    if (!(watchdog_log_line && watchdog_log_url) && !watchdog_report_count)
        return;
    watchdog_argv[1] = command;
    watchdog_argv[2] = watchdog_log_line && watchdog_log_url ? (char *)watchdog_log_url : none;
    watchdog_argv[3] = watchdog_code;
    watchdog_argv[4] = watchdog_log_line && watchdog_log_url && watchdog_signing_key ? (char *)watchdog_signing_key
                                                                                       : none;
    watchdog_argv[5] = watchdog_log_line && watchdog_log_url ? watchdog_log_line : none;
    n = 6;
    for (size_t i = 0; i < watchdog_report_count; i++) {
        watchdog_argv[n++] = (char *)watchdog_reports[i].path;
        watchdog_argv[n++] = watchdog_reports[i].text;
    }
    watchdog_argv[n] = NULL;
    atomic_signal_fence(memory_order_seq_cst);   /* the handler sees a whole list or none */
    watchdog_argv[0] = relgate;
}

/* The timer is armed lazily.  The engine calls watchdog_set around every evaluation
 * (and a batch makes one evaluation a line): a setitimer to arm and one to disarm were
 * two system calls a decision.  Now a disarm only marks the policy as not running, and
 * an arm only records the new deadline while the timer already pending expires no
 * later than it; when the timer fires early (the policy not running, or running with a
 * later deadline) the handler arms it again for what is left, or leaves it idle.  So a
 * runaway policy is still stopped at its deadline, and a batch makes about one
 * setitimer per timeout period instead of two per line.  A signal that finds no policy
 * running returns at once (SA_RESTART: the system call it interrupted goes on; the
 * polls on the way handle EINTR).  All of it is in nanoseconds of CLOCK_MONOTONIC, in
 * lock-free atomics the handler may read and write. */
static atomic_int watchdog_active;           /* policy code may be running, with watchdog_deadline */
static atomic_llong watchdog_deadline;       /* when it must be stopped */
static atomic_int watchdog_timer_armed;          /* a timer is armed ... */
static atomic_llong watchdog_expiry;         /* ... to expire then */

static long long watchdog_clock(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void watchdog_timer(long long ns)
{
    struct itimerval it;
    memset(&it, 0, sizeof it);
    if (ns > 0 && ns < 1000)
        ns = 1000;   /* 0 would disarm it */
    it.it_value.tv_sec = (time_t)(ns / 1000000000LL);
    it.it_value.tv_usec = (suseconds_t)(ns % 1000000000LL / 1000);
    setitimer(ITIMER_REAL, &it, NULL);
}

/* Arm the timer for DEADLINE (handler and outside it). */
static void watchdog_arm(long long deadline, long long now)
{
    atomic_store(&watchdog_expiry, deadline);
    atomic_store(&watchdog_timer_armed, 1);
    watchdog_timer(deadline - now);
}

static void watchdog_alarm(int sig)
{
    int saved = errno;
    long long now;
    if (!atomic_load(&watchdog_active)) {
        atomic_store(&watchdog_timer_armed, 0);   /* early: armed again when policy code runs */
        errno = saved;
        return;
    }
    now = watchdog_clock();
    if (now < atomic_load(&watchdog_deadline)) {
        watchdog_arm(atomic_load(&watchdog_deadline), now);
        errno = saved;
        return;
    }
    watchdog_fire(sig);
}

/* Called by the engine around policy code: SECONDS left, or 0 when it stops.  Clamped,
 * so that no limit converts out of range (the options allow at most a day). */
static void watchdog_set(double seconds)
{
    long long now, deadline;
    if (!(seconds > 0)) {
        atomic_store(&watchdog_active, 0);
        return;
    }
    if (seconds > 7 * 86400.0)
        seconds = 7 * 86400.0;
    now = watchdog_clock();
    deadline = now + (long long)(seconds * 1e9);
    /* Not active while the deadline changes: a signal meanwhile leaves the timer idle,
     * which the test below then sees. */
    atomic_store(&watchdog_active, 0);
    atomic_store(&watchdog_deadline, deadline);
    atomic_store(&watchdog_active, 1);
    if (!atomic_load(&watchdog_timer_armed) || atomic_load(&watchdog_expiry) > deadline)
        watchdog_arm(deadline, now);
}

/* A forked process has no timer of its parent's (fork clears them): what it remembers
 * of one is forgotten. */
static void watchdog_forked(void)
{
    atomic_store(&watchdog_active, 0);
    atomic_store(&watchdog_timer_armed, 0);
}

/* Disarm for good (the command is done with policy code). */
static void watchdog_disarm(void)
{
    atomic_store(&watchdog_active, 0);
    watchdog_timer(0);
    atomic_store(&watchdog_timer_armed, 0);
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
    static int atfork;
    if (!atfork)
        atfork = pthread_atfork(NULL, NULL, watchdog_forked) == 0;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = watchdog_alarm;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGALRM, &sa, NULL);
    rg_set_watchdog(watchdog_set);
}

void rg_cli_watchdog_stdout(char *text)
{
    free(watchdog_stdout);
    watchdog_stdout = text;
}

void rg_cli_watchdog_log(const char *url, const char *signing_key, char *line)
{
    size_t n = line ? strlen(line) : 0;
    if (n && line[n - 1] == '\n')
        line[n - 1] = '\0';
    watchdog_hold();
    free(watchdog_log_line);
    watchdog_log_line = line;
    watchdog_log_url = line ? url : NULL;
    watchdog_signing_key = line ? signing_key : NULL;
    watchdog_build_argv();
}

void rg_cli_watchdog_reports(const rg_cli_outputs *outs, const char *output, const char *output_text,
                             const rg_error *err, int64_t now)
{
    watchdog_hold();
    for (size_t i = 0; i < watchdog_report_count; i++)
        free(watchdog_reports[i].text);
    watchdog_report_count = 0;
    for (size_t i = 0; outs && i < outs->count; i++) {
        char *text = rg_error_render(err, outs->files[i].format, now);
        if (!text)
            continue;   /* out of memory: that report is left as it is, the exit code still says 2 */
        watchdog_reports[watchdog_report_count].path = outs->files[i].path;
        watchdog_reports[watchdog_report_count++].text = text;
    }
    if (output && output_text && (watchdog_reports[watchdog_report_count].text = strdup(output_text)))
        watchdog_reports[watchdog_report_count++].path = output;
    watchdog_build_argv();
}

int rg_cli_watchdog_append(int argc, char **argv)
{
    rg_error err = {0};
    rg_log *log = NULL;
    rg_signer *signer = NULL;
    int code;
    if (argc < 6 || (argc - 6) % 2 != 0)
        return RG_EXIT_ERROR;
    code = atoi(argv[3]);
    /* The audit record first, as for every decision: the reports never say what the log
     * does not hold.  Its position signed as the gate's own records are (a record without
     * one after them is a forgery to history verify --public-key); a key that cannot be
     * read now leaves it unsigned rather than unwritten, and says so. */
    if (argv[2][0]) {
        if (argv[4][0] && !(signer = rg_signer_load(argv[4], &err))) {
            rg_cli_report(&err);
            rg_error_clear(&err);
        }
        log = rg_log_open(argv[2], 1, &err);
        if (log)
            rg_log_sign_positions(log, signer);
        if (!log || rg_log_append(log, argv[5], strlen(argv[5]), &err) != 0) {
            rg_cli_report(&err);
            rg_error_clear(&err);
            code = RG_EXIT_ERROR;
        }
        rg_log_close(log);
        rg_signer_free(signer);
    }
    for (int i = 6; i + 1 < argc; i += 2)
        if (rg_write_file_atomic(argv[i], argv[i + 1], strlen(argv[i + 1]), &err) != 0) {
            rg_cli_report(&err);
            rg_error_clear(&err);
            rg_cli_retract(argv[i]);
            code = RG_EXIT_ERROR;
        }
    return code;
}

void rg_cli_watchdog_pending(const rg_strbuf *pending)
{
    watchdog_pending = pending;
}

void rg_cli_watchdog_exit_code(int code)
{
    watchdog_exit = code;
    watchdog_build_argv();
}

void rg_cli_watchdog_remove(void)
{
    rg_set_watchdog(NULL);
    watchdog_disarm();
    rg_cli_watchdog_stdout(NULL);
    rg_cli_watchdog_log(NULL, NULL, NULL);
    rg_cli_watchdog_reports(NULL, NULL, NULL, NULL, 0);
    watchdog_pending = NULL;
}
