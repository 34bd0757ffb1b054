/* Plugin checks run isolated: one child process each, no stdin, stdout folded into
 * stderr, a memory limit, a deadline, and the result as JSON over a pipe.  Whatever
 * the child does — crash, hang, exhaust memory, print garbage — costs that one check
 * an error result, never the engine. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "isolate.h"

#define RESULT_MAX (16u << 20)   /* bytes a check's result may take */
#define EXIT_OUT_OF_MEMORY 86    /* the child could not even write its result */
#define POLL_SLICE_MS 50

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

typedef struct running {
    rg_job *job;
    pid_t pid;
    int fd;           /* read end, -1 once closed */
    char *buf;
    size_t len, cap;
    double deadline;  /* monotonic ms */
    double started;
    int exited, status, timed_out, overflow;
} running;

static double monotonic_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static const char *signal_name(int sig)
{
    switch (sig) {
    case SIGSEGV: return "SIGSEGV";
    case SIGBUS: return "SIGBUS";
    case SIGABRT: return "SIGABRT";
    case SIGFPE: return "SIGFPE";
    case SIGILL: return "SIGILL";
    case SIGKILL: return "SIGKILL";
    case SIGTERM: return "SIGTERM";
    case SIGPIPE: return "SIGPIPE";
    case SIGTRAP: return "SIGTRAP";
    case SIGSYS: return "SIGSYS";
    case SIGXCPU: return "SIGXCPU";
    case SIGXFSZ: return "SIGXFSZ";
    default: return NULL;
    }
}

static int write_all(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, data, len);
        if (n < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

/* In the child: become a sandboxed worker, run the check, report, exit. */
static void child_main(const rg_job *job, const rg_context *ctx, int64_t now,
                       const rg_limits *limits, int out_fd)
{
    rg_check_result result;
    struct rlimit rl;
    char *json;
    int devnull;

    prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive the engine */
    /* A crash must kill the child by its signal, so the engine can name it; handlers
     * inherited from the engine (a sanitizer's among them) would report it instead. */
    static const int fatal[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGALRM, SIGPIPE, SIGTRAP};
    for (size_t i = 0; i < sizeof fatal / sizeof fatal[0]; i++)
        signal(fatal[i], SIG_DFL);
    devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (devnull >= 0)
        dup2(devnull, STDIN_FILENO);
    dup2(STDERR_FILENO, STDOUT_FILENO); /* stdout carries the decision: not the check's */
    rl.rlim_cur = rl.rlim_max = 0;
    setrlimit(RLIMIT_CORE, &rl);
#ifndef UNDER_ASAN
    /* AddressSanitizer reserves terabytes of address space: no limit under it. */
    rl.rlim_cur = rl.rlim_max = limits->check_memory;
    setrlimit(RLIMIT_AS, &rl);
#endif
    rg_check_run_inline(job->check, job->params, ctx, now, limits->max_check_evidence_bytes, &result);
    json = rg_check_result_to_json(&result);
    if (!json)
        _exit(EXIT_OUT_OF_MEMORY);
    if (write_all(out_fd, json, strlen(json)) != 0)
        _exit(EXIT_FAILURE);
    _exit(0);
}

static void fail_job(rg_job *job, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void fail_job(rg_job *job, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    rg_check_result_clear(&job->result);
    job->result.status = RG_CHECK_ERROR;
    job->result.message = strdup(msg);
    job->result.details = cJSON_CreateObject();
}

static int start(running *r, rg_job *job, const rg_context *ctx, int64_t now, const rg_limits *limits)
{
    int fds[2];
    memset(r, 0, sizeof *r);
    r->job = job;
    r->fd = -1;
    if (pipe(fds) != 0) {
        fail_job(job, "check %s could not start: %s", job->check->name, strerror(errno));
        return -1;
    }
    fflush(NULL);
    r->started = monotonic_ms();
    r->pid = fork();
    if (r->pid < 0) {
        close(fds[0]);
        close(fds[1]);
        fail_job(job, "check %s could not start: %s", job->check->name, strerror(errno));
        return -1;
    }
    if (r->pid == 0) {
        close(fds[0]);
        child_main(job, ctx, now, limits, fds[1]);
    }
    close(fds[1]);
    fcntl(fds[0], F_SETFL, O_NONBLOCK);
    fcntl(fds[0], F_SETFD, FD_CLOEXEC);
    r->fd = fds[0];
    r->deadline = r->started + job->timeout * 1000.0;
    return 0;
}

static void drain(running *r)
{
    for (;;) {
        ssize_t n;
        if (r->len == r->cap) {
            size_t cap = r->cap ? r->cap * 2 : 8192;
            char *grown;
            if (cap > RESULT_MAX + 1) {
                r->overflow = 1;
                close(r->fd);
                r->fd = -1;
                return;
            }
            grown = realloc(r->buf, cap + 1); /* + 1: the parser wants a NUL after the text */
            if (!grown) {
                r->overflow = 1;
                close(r->fd);
                r->fd = -1;
                return;
            }
            r->buf = grown;
            r->cap = cap;
        }
        n = read(r->fd, r->buf + r->len, r->cap - r->len);
        if (n > 0) {
            r->len += (size_t)n;
            continue;
        }
        if (n < 0 && (errno == EINTR))
            continue;
        if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
            close(r->fd);
            r->fd = -1;
        }
        return;
    }
}

/* Turn what the child did into the job's result. */
static void conclude(running *r, const rg_limits *limits)
{
    rg_job *job = r->job;
    const char *name = job->check->name;
    char why[256];
    job->duration_ms = monotonic_ms() - r->started;
    if (r->buf)
        r->buf[r->len] = '\0';
    if (r->timed_out) {
        fail_job(job, "check %s timed out after %g s", name, job->timeout);
    } else if (r->overflow) {
        fail_job(job, "check %s returned more than %u bytes of result", name, RESULT_MAX);
    } else if (WIFSIGNALED(r->status)) {
        const char *sig = signal_name(WTERMSIG(r->status));
        if (sig && WTERMSIG(r->status) == SIGABRT)
            fail_job(job, "check %s killed by %s (out of its %zu MiB memory limit, or an assertion)", name, sig,
                     limits->check_memory >> 20);
        else if (sig)
            fail_job(job, "check %s killed by %s", name, sig);
        else
            fail_job(job, "check %s killed by signal %d", name, WTERMSIG(r->status));
    } else if (WIFEXITED(r->status) && WEXITSTATUS(r->status) == EXIT_OUT_OF_MEMORY) {
        fail_job(job, "check %s ran out of memory (limit %zu MiB)", name, limits->check_memory >> 20);
    } else if (!WIFEXITED(r->status) || WEXITSTATUS(r->status) != 0) {
        fail_job(job, "check %s exited unexpectedly with status %d", name, WEXITSTATUS(r->status));
    } else if (rg_check_result_from_json(r->buf ? r->buf : "", r->len, &job->result, why, sizeof why) != 0) {
        fail_job(job, "check %s returned a malformed result: %s", name, why);
    }
    free(r->buf);
    r->buf = NULL;
}

static rg_progress_fn progress;

void rg_set_progress(rg_progress_fn fn)
{
    progress = fn;
}

/* Tell the progress callback how far along we are (at most every PROGRESS_MS). */
static void report_progress(const running *slots, size_t parallel, size_t done, size_t count,
                            double *last, int final)
{
    const running *slowest = NULL;
    double now_ms = monotonic_ms();
    if (!progress || (!final && now_ms - *last < 250))
        return;
    *last = now_ms;
    for (size_t s = 0; s < parallel; s++)
        if (slots[s].job && (!slowest || slots[s].started < slowest->started))
            slowest = &slots[s];
    progress(done, count, slowest ? (slowest->job->label ? slowest->job->label : slowest->job->check->name) : NULL,
             slowest ? (now_ms - slowest->started) / 1000.0 : 0);
}

void rg_run_isolated(rg_job *jobs, size_t count, const rg_context *ctx, int64_t now,
                     const rg_limits *limits)
{
    size_t done = 0;
    double last_progress = 0;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    size_t parallel = limits->jobs > 0 ? (size_t)limits->jobs : (cpus > 0 ? (size_t)cpus : 1);
    running *slots = calloc(parallel, sizeof *slots);
    size_t next = 0, active = 0;
    struct pollfd *pfds = calloc(parallel, sizeof *pfds);

    if (!slots || !pfds) {
        for (size_t i = 0; i < count; i++)
            fail_job(&jobs[i], "check %s could not start: out of memory", jobs[i].check->name);
        free(slots);
        free(pfds);
        return;
    }
    while (next < count || active > 0) {
        double now_ms, wait_ms = POLL_SLICE_MS;
        size_t n = 0;
        /* Fill free slots. */
        for (size_t s = 0; s < parallel && next < count; s++) {
            if (slots[s].job)
                continue;
            if (start(&slots[s], &jobs[next], ctx, now, limits) == 0)
                active++;
            else
                memset(&slots[s], 0, sizeof slots[s]);
            next++;
        }
        now_ms = monotonic_ms();
        for (size_t s = 0; s < parallel; s++) {
            if (!slots[s].job || slots[s].fd < 0)
                continue;
            pfds[n].fd = slots[s].fd;
            pfds[n].events = POLLIN;
            pfds[n].revents = 0;
            n++;
            if (slots[s].deadline - now_ms < wait_ms)
                wait_ms = slots[s].deadline - now_ms;
        }
        if (n > 0)
            poll(pfds, n, wait_ms > 0 ? (int)wait_ms + 1 : 0);
        else if (active > 0)
            usleep(100); /* every pipe at its end: children are exiting, reap them soon */
        now_ms = monotonic_ms();
        for (size_t s = 0; s < parallel; s++) {
            running *r = &slots[s];
            if (!r->job)
                continue;
            if (r->fd >= 0)
                drain(r);
            if (!r->exited) {
                pid_t w = waitpid(r->pid, &r->status, WNOHANG);
                if (w == r->pid)
                    r->exited = 1;
            }
            if (!r->exited && now_ms >= r->deadline) {
                kill(r->pid, SIGKILL);
                waitpid(r->pid, &r->status, 0);
                r->exited = r->timed_out = 1;
            }
            if (r->exited && r->fd >= 0 && !r->timed_out)
                drain(r); /* whatever is left in the pipe */
            if (r->exited) {
                /* A pipe still open here is held by a grandchild: do not wait for it. */
                if (r->fd >= 0)
                    close(r->fd);
                conclude(r, limits);
                memset(r, 0, sizeof *r);
                active--;
                done++;
            }
        }
        report_progress(slots, parallel, done, count, &last_progress, 0);
    }
    report_progress(slots, parallel, count, count, &last_progress, 1);
    free(slots);
    free(pfds);
}
