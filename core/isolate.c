/* Plugin checks run isolated: a child process each (or one shared by the checks of a
 * plugin that asks, over the same evidence), no stdin, stdout folded into
 * stderr, a memory limit, a deadline, and the result as JSON over a pipe.  Whatever
 * the child does — crash, hang, exhaust memory, print garbage — costs that one check
 * an error result, never the engine. */
#define _GNU_SOURCE /* pipe2 */
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

#include "fileio.h"
#include "isolate.h"
#include "plugins.h"

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

/* What one child runs: one job, or (RG_PLUGIN_FLAG_SHARE_CHILD) several jobs of one
 * plugin over the same evidence, one after the other. */
typedef struct unit {
    rg_job **jobs;
    size_t count;
} unit;

typedef struct running {
    unit u;
    size_t cur;       /* the job being run (results of earlier ones are in) */
    pid_t pid;
    int fd;           /* read end, -1 once closed */
    char *buf;        /* what the child sent and was not yet taken as a result */
    size_t len, cap, scanned;
    double deadline;  /* monotonic ms, of the current job */
    double started;   /* of the current job */
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

/* In the child: become a sandboxed worker, run the unit's checks, send each result
 * (JSON, then a NUL byte) as it finishes, exit. */
static void child_main(const unit *u, const rg_context *ctx, int64_t now,
                       const rg_limits *limits, int out_fd)
{
    struct rlimit rl;
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
    rg_host_set_shared(u->count > 1);
    for (size_t i = 0; i < u->count; i++) {
        rg_check_result result;
        char *json;
        rg_check_run_inline(u->jobs[i]->check, u->jobs[i]->params, ctx, now, limits->max_check_evidence_bytes,
                            &result);
        json = rg_check_result_to_json(&result);
        rg_check_result_clear(&result);
        if (!json)
            _exit(EXIT_OUT_OF_MEMORY);
        if (rg_write_all(out_fd, json, strlen(json) + 1) != 0)
            _exit(EXIT_FAILURE);
        free(json);
    }
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

static int start(running *r, const unit *u, const rg_context *ctx, int64_t now, const rg_limits *limits)
{
    int fds[2];
    memset(r, 0, sizeof *r);
    r->u = *u;
    r->fd = -1;
    if (pipe2(fds, O_CLOEXEC) != 0) {   /* a program a plugin runs must not hold it */
        for (size_t i = 0; i < u->count; i++)
            fail_job(u->jobs[i], "check %s could not start: %s", u->jobs[i]->check->name, strerror(errno));
        return -1;
    }
    fflush(NULL);
    r->started = monotonic_ms();
    r->pid = fork();
    if (r->pid < 0) {
        close(fds[0]);
        close(fds[1]);
        for (size_t i = 0; i < u->count; i++)
            fail_job(u->jobs[i], "check %s could not start: %s", u->jobs[i]->check->name, strerror(errno));
        return -1;
    }
    if (r->pid == 0) {
        close(fds[0]);
        child_main(u, ctx, now, limits, fds[1]);
    }
    close(fds[1]);
    fcntl(fds[0], F_SETFL, O_NONBLOCK);
    fcntl(fds[0], F_SETFD, FD_CLOEXEC);
    r->fd = fds[0];
    r->deadline = r->started + u->jobs[0]->timeout * 1000.0;
    return 0;
}

static void drain(running *r)
{
    for (;;) {
        ssize_t n;
        if (r->len == r->cap) {
            size_t cap = r->cap ? r->cap * 2 : 8192;
            char *grown;
            if (cap > RESULT_MAX + 2) {
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
    rg_job *job = r->u.jobs[r->cur];
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
}

/* Take the complete results (each ends with a NUL) the child sent: each is the current
 * job's; the next job's clock starts. */
static void take_results(running *r)
{
    while (r->cur < r->u.count && r->buf) {
        char *nul = memchr(r->buf + r->scanned, '\0', r->len - r->scanned);
        rg_job *job = r->u.jobs[r->cur];
        size_t n;
        char why[256];
        double now_ms;
        if (!nul) {
            r->scanned = r->len;
            return;
        }
        n = (size_t)(nul - r->buf);
        now_ms = monotonic_ms();
        job->duration_ms = now_ms - r->started;
        if (rg_check_result_from_json(r->buf, n, &job->result, why, sizeof why) != 0)
            fail_job(job, "check %s returned a malformed result: %s", job->check->name, why);
        memmove(r->buf, nul + 1, r->len - n - 1);
        r->len -= n + 1;
        r->scanned = 0;
        r->cur++;
        r->started = now_ms;
        if (r->cur < r->u.count)
            r->deadline = now_ms + r->u.jobs[r->cur]->timeout * 1000.0;
    }
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
        if (slots[s].u.count && slots[s].cur < slots[s].u.count && (!slowest || slots[s].started < slowest->started))
            slowest = &slots[s];
    if (slowest) {
        const rg_job *job = slowest->u.jobs[slowest->cur];
        progress(done, count, job->label ? job->label : job->check->name, (now_ms - slowest->started) / 1000.0);
    } else {
        progress(done, count, NULL, 0);
    }
}

/* The evidence names JOB's parameters give, sorted and joined (heap), or NULL when
 * none. */
static char *evidence_key(const rg_job *job)
{
    const char *names[64];
    size_t n = 0, len = 0;
    char *key;
    for (size_t i = 0; i < job->check->param_count; i++) {
        const rg_param *p = &job->check->params[i];
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(job->params, p->name), *e;
        if (p->type == RG_PARAM_EVIDENCE && cJSON_IsString(v) && n < 64)
            names[n++] = v->valuestring;
        else if (p->type == RG_PARAM_EVIDENCE_LIST && cJSON_IsArray(v))
            cJSON_ArrayForEach(e, v) {
                if (!cJSON_IsString(e) || n == 64)
                    return NULL;
                names[n++] = e->valuestring;
            }
    }
    if (n == 0)
        return NULL;
    for (size_t i = 1; i < n; i++) /* insertion sort: a handful of names */
        for (size_t j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
            const char *t = names[j];
            names[j] = names[j - 1];
            names[j - 1] = t;
        }
    for (size_t i = 0; i < n; i++)
        len += strlen(names[i]) + 1;
    if (!(key = malloc(len)))
        return NULL;
    key[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        strcat(key, names[i]);
        if (i + 1 < n)
            strcat(key, "\n");
    }
    return key;
}

/* Cut JOBS into units: a job alone, or the jobs of one plugin that shares its child
 * over the same evidence, in policy order (the unit's place: its first job's).  PTRS
 * (COUNT entries) holds the jobs the units point into. */
static size_t make_units(rg_job *jobs, size_t count, rg_job **ptrs, unit *units)
{
    const void **plugin = calloc(count, sizeof *plugin);
    char **keys = calloc(count, sizeof *keys);
    size_t *unit_of = calloc(count, sizeof *unit_of);
    size_t n = 0, used = 0;
    if (!plugin || !keys || !unit_of) {
        for (size_t i = 0; i < count; i++) {
            ptrs[i] = &jobs[i];
            units[i].jobs = &ptrs[i];
            units[i].count = 1;
        }
        free(plugin);
        free(keys);
        free(unit_of);
        return count;
    }
    for (size_t i = 0; i < count; i++)
        if (rg_check_plugin_flags(jobs[i].check, &plugin[i]) & RG_PLUGIN_FLAG_SHARE_CHILD)
            keys[i] = evidence_key(&jobs[i]);
    /* Two passes: count each unit's jobs, then lay them out contiguously in PTRS. */
    for (size_t i = 0; i < count; i++) {
        size_t j;
        for (j = 0; keys[i] && j < i; j++)
            if (keys[j] && plugin[j] == plugin[i] && strcmp(keys[j], keys[i]) == 0)
                break;
        if (keys[i] && j < i) {
            unit_of[i] = unit_of[j];
        } else {
            unit_of[i] = n;
            units[n].count = 0;
            n++;
        }
        units[unit_of[i]].count++;
    }
    for (size_t u = 0; u < n; u++) {
        units[u].jobs = &ptrs[used];
        used += units[u].count;
        units[u].count = 0;
    }
    for (size_t i = 0; i < count; i++) {
        unit *u = &units[unit_of[i]];
        u->jobs[u->count++] = &jobs[i];
    }
    for (size_t i = 0; i < count; i++)
        free(keys[i]);
    free(plugin);
    free(keys);
    free(unit_of);
    return n;
}

void rg_run_isolated(rg_job *jobs, size_t count, const rg_context *ctx, int64_t now,
                     const rg_limits *limits)
{
    static long cpus;   /* read once: sysconf opens a /sys file each time */
    size_t done = 0;
    double last_progress = 0;
    size_t parallel;
    if (cpus == 0)
        cpus = sysconf(_SC_NPROCESSORS_ONLN);
    parallel = limits->jobs > 0 ? (size_t)limits->jobs : (cpus > 0 ? (size_t)cpus : 1);
    running *slots = calloc(parallel, sizeof *slots);
    size_t next = 0, active = 0, unit_count;
    struct pollfd *pfds = calloc(parallel, sizeof *pfds);
    /* Units: those made from JOBS, then, after them, jobs of a shared child that failed
     * before answering them, again each alone (at most COUNT of those). */
    rg_job **ptrs = calloc(count ? 2 * count : 1, sizeof *ptrs);
    unit *units = calloc(count ? 2 * count : 1, sizeof *units);

    if (!slots || !pfds || !ptrs || !units) {
        for (size_t i = 0; i < count; i++)
            fail_job(&jobs[i], "check %s could not start: out of memory", jobs[i].check->name);
        free(slots);
        free(pfds);
        free(ptrs);
        free(units);
        return;
    }
    unit_count = make_units(jobs, count, ptrs, units);
    while (next < unit_count || active > 0) {
        double now_ms, wait_ms = POLL_SLICE_MS;
        size_t n = 0;
        /* Fill free slots. */
        for (size_t s = 0; s < parallel && next < unit_count; s++) {
            if (slots[s].u.count)
                continue;
            if (start(&slots[s], &units[next], ctx, now, limits) == 0) {
                active++;
            } else {
                done += units[next].count;
                memset(&slots[s], 0, sizeof slots[s]);
            }
            next++;
        }
        now_ms = monotonic_ms();
        for (size_t s = 0; s < parallel; s++) {
            if (!slots[s].u.count || slots[s].fd < 0)
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
            size_t before;
            if (!r->u.count)
                continue;
            before = r->cur;
            if (r->fd >= 0) {
                drain(r);
                take_results(r);
            }
            if (!r->exited) {
                pid_t w = waitpid(r->pid, &r->status, WNOHANG);
                if (w == r->pid)
                    r->exited = 1;
            }
            if (!r->exited && r->cur < r->u.count && (now_ms >= r->deadline || r->overflow)) {
                kill(r->pid, SIGKILL);
                waitpid(r->pid, &r->status, 0);
                r->exited = 1;
                r->timed_out = !r->overflow;
            }
            if (r->exited && r->fd >= 0 && !r->timed_out) {
                drain(r); /* whatever is left in the pipe */
                take_results(r);
            }
            done += r->cur - before;
            if (r->exited) {
                /* A pipe still open here is held by a grandchild: do not wait for it. */
                if (r->fd >= 0)
                    close(r->fd);
                if (r->cur < r->u.count && r->u.count > 1) {
                    /* The shared child failed: what it did not answer runs again, each
                     * job alone, so the failure is the failing check's own. */
                    for (size_t k = r->cur; k < r->u.count; k++) {
                        units[unit_count].jobs = &ptrs[count + (r->u.jobs[k] - jobs)];
                        *units[unit_count].jobs = r->u.jobs[k];
                        units[unit_count].count = 1;
                        unit_count++;
                    }
                } else if (r->cur < r->u.count) {
                    conclude(r, limits);
                    done++;
                }
                free(r->buf);
                memset(r, 0, sizeof *r);
                active--;
            }
        }
        report_progress(slots, parallel, done, count, &last_progress, 0);
    }
    report_progress(slots, parallel, count, count, &last_progress, 1);
    free(slots);
    free(pfds);
    free(ptrs);
    free(units);
}
