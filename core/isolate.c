/* Plugin checks run isolated: a child process each (or one shared by the checks of a
 * plugin that asks, over the same evidence), started by the plugin's zygote — the plugin
 * host program (never a copy of the engine's memory) with the file the engine opened and
 * validated loaded through /proc/self/fd — in a process group of its own,
 * with no stdin, its stdout and stderr in a pipe the engine reads (bounded) and passes
 * on neutralised, only the descriptors it needs, the environment its plugin declares,
 * a memory limit, a deadline, and each result as a framed record over a pipe.  Whatever
 * the child does — crash, hang, exhaust memory, print garbage, write forged or broken
 * records, start processes — costs that one check an error result, never the engine;
 * when the check ends, its process group and anything that escaped it are killed. */
#define _GNU_SOURCE /* pipe2 */
#include <stdatomic.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fileio.h"
#include "isolate.h"
#include "live_host.h"
#include "plugin_child.h"
#include "plugin_loader.h"
#include "plugin_zygote.h"
#include "plugins.h"
#include "context.h"
#include "strbuf.h"

#define RESULT_MAX (16u << 20)   /* bytes a check's result may take */
#define RESULT_MAGIC "RGCR"
#define RESULT_FD 3              /* in the child */
#define PLUGIN_FD 4
#define JOB_FD 4                 /* in a check child a zygote started: its job */
#define JOB_MAGIC "RGJB"
#define EXIT_OUT_OF_MEMORY 86    /* the child could not even write its result */
#define EXIT_PLUGIN_CHANGED 87   /* the plugin file or its descriptor is not what was validated */
#define EXIT_SETUP_FAILED 88     /* the child could not be set up (descriptors, engine gone) */
#define EXIT_PLUGIN_UNBOUND 89   /* a zygote could not bind every symbol of the plugin */
#define POLL_SLICE_MS 50
#define MAX_ZYGOTES 64           /* spared when a check's strays are killed: more than any run has plugins */

/* AddressSanitizer and ThreadSanitizer (scripts/test-tsan.sh) both reserve terabytes of
 * address space: UNDER_ASAN stands for either. */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
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
    pid_t pid;        /* 0 while PENDING */
    int pending;      /* sent to its plugin's zygote, the child's pid not taken yet */
    uint32_t seq;     /* the job's number with that zygote */
    int fd;           /* read end, -1 once closed */
    char *buf;        /* what the child sent and was not yet taken as a result */
    size_t len, cap;
    double deadline;  /* monotonic ms, of the current job */
    double started;   /* of the current job */
    int exited, status, timed_out, overflow;
    const char *corrupt;  /* what was wrong with the records, when they were */
    rg_child_output out;  /* its stdout and stderr */
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

/* In a plugin's zygote: the plugin open as PLUGIN_FD, every symbol bound, if it is still
 * the file that was validated and still describes itself as it did; else the process
 * ends. */
static const rg_plugin *load_pinned(const rg_plugin_file *file)
{
    struct stat st;
    const struct stat *was = &file->identity;
    const rg_plugin *desc;
    const char *why;
    char *record;
    size_t len;
    int kind;
    if (fstat(PLUGIN_FD, &st) != 0 || st.st_dev != was->st_dev || st.st_ino != was->st_ino ||
        st.st_size != was->st_size || st.st_mtim.tv_sec != was->st_mtim.tv_sec ||
        st.st_mtim.tv_nsec != was->st_mtim.tv_nsec || st.st_ctim.tv_sec != was->st_ctim.tv_sec ||
        st.st_ctim.tv_nsec != was->st_ctim.tv_nsec)
        _exit(EXIT_PLUGIN_CHANGED);
    if (!(desc = rg_plugin_open_fd(PLUGIN_FD, 1, &kind, &why)))
        _exit(kind == RG_LOAD_CANNOT_OPEN ? EXIT_PLUGIN_UNBOUND : EXIT_PLUGIN_CHANGED);
    record = rg_plugin_encode(desc, &len, &why);
    if (!record || len != file->record_len || memcmp(record, file->record, len) != 0)
        _exit(EXIT_PLUGIN_CHANGED);
    free(record);
    return desc;
}

/* The plugin's own check of VALIDATED's name (its descriptor matched the validated one):
 * its run function, with the engine's copy of the declaration (the plugin's tables are
 * stepped by the plugin's element sizes, rg_plugin_check_at; the copy is the engine's). */
static rg_check plugin_check(const rg_plugin *desc, const rg_check *validated)
{
    for (size_t i = 0; i < desc->check_count; i++) {
        const rg_check *c = rg_plugin_check_at(desc, i);
        if (strcmp(c->name, validated->name) == 0) {
            rg_check own = *validated;
            own.run = c->run;
            return own;
        }
    }
    _exit(EXIT_PLUGIN_CHANGED);
}

static void send_result(size_t seq, const char *json)
{
    size_t len = strlen(json);
    char *frame = malloc(RG_FRAME_OVERHEAD + len);
    if (!frame)
        _exit(EXIT_OUT_OF_MEMORY);
    rg_frame_build(frame, RESULT_MAGIC, 1, (uint32_t)seq, json, (uint32_t)len);
    if (rg_write_all(RESULT_FD, frame, RG_FRAME_OVERHEAD + len) != 0)
        _exit(EXIT_FAILURE);
    free(frame);
}

/* In a check child, set up and with its plugin loaded (DESC; NULL for the engine's own
 * checks): run the unit's checks, send each result (a framed record) as it finishes,
 * exit. */
static void run_unit(const unit *u, const rg_plugin *desc, const rg_context *ctx, int64_t now, size_t check_memory,
                     size_t max_evidence)
{
    struct rlimit rl;
#ifndef UNDER_ASAN
    /* AddressSanitizer reserves terabytes of address space: no limit under it. */
    rl.rlim_cur = rl.rlim_max = check_memory;
    setrlimit(RLIMIT_AS, &rl);
#else
    (void)rl;
    (void)check_memory;
#endif
    rg_host_set_shared(u->count > 1);
    for (size_t i = 0; i < u->count; i++) {
        rg_check own;
        const rg_check *check = u->jobs[i]->check;
        rg_check_result result;
        if (desc) {
            own = plugin_check(desc, check);
            check = &own;
        }
        char *json;
        rg_host_set_deadline(u->jobs[i]->timeout);   /* time_left (ABI 1.4): waits end before it */
        rg_check_run_inline(check, u->jobs[i]->params, ctx, now, max_evidence, &result);
        json = rg_check_result_to_json(&result);
        rg_check_result_clear(&result);
        if (!json)
            _exit(EXIT_OUT_OF_MEMORY);
        send_result(i, json);
        free(json);
    }
    _exit(0);
}

/* In a child the engine forked itself for its own checks (linked in, no plugin code):
 * become a sandboxed worker, run the unit. */
static void child_main(const unit *u, const rg_context *ctx, int64_t now, const rg_limits *limits,
                       pid_t engine, int output_fd, int result_fd)
{
    int keep[1] = {result_fd};   /* RESULT_FD */
    if (rg_child_enter(engine, output_fd, keep, 1) != 0)
        _exit(EXIT_SETUP_FAILED);
    run_unit(u, NULL, ctx, now, limits->check_memory, limits->max_check_evidence_bytes);
}

/* ---- A unit as data, for a check child a zygote starts ------------------------------------
 *
 * "RGJB", u32 job count, i64 now, u64 memory limit, u64 evidence cap, the context (its
 * document as JSON, display name, directory, evidence root, save directory), then per
 * job: u32 index of its check in the plugin's table, f64 timeout, its parameters as
 * JSON.  Strings are u32 length and bytes (UINT32_MAX: none). */

static void put_bytes(rg_strbuf *b, const void *v, size_t n)
{
    rg_strbuf_add(b, (const char *)v, n);
}

static void put_string(rg_strbuf *b, const char *s)
{
    uint32_t len = s ? (uint32_t)strlen(s) : UINT32_MAX;
    put_bytes(b, &len, 4);
    if (s)
        put_bytes(b, s, len);
}

/* The job of U as bytes into B (ROOT: the context's document as JSON).  Returns 0, or -1
 * when a check is not one of FILE's own. */
static int unit_encode(const unit *u, const rg_plugin_file *file, const char *root, const rg_context *ctx,
                       int64_t now, const rg_limits *limits, rg_strbuf *b)
{
    uint32_t count = (uint32_t)u->count;
    uint64_t memory = limits->check_memory, cap = limits->max_check_evidence_bytes;
    put_bytes(b, JOB_MAGIC, 4);
    put_bytes(b, &count, 4);
    put_bytes(b, &now, 8);
    put_bytes(b, &memory, 8);
    put_bytes(b, &cap, 8);
    put_string(b, root);
    put_string(b, ctx->display);
    put_string(b, ctx->dir);
    put_string(b, ctx->evidence_root);
    put_string(b, ctx->save_dir);
    for (size_t i = 0; i < u->count; i++) {
        const rg_job *job = u->jobs[i];
        char *params;
        uint32_t index;
        if (job->check < file->data.desc.checks || job->check >= file->data.desc.checks + file->data.desc.check_count)
            return -1;
        index = (uint32_t)(job->check - file->data.desc.checks);
        put_bytes(b, &index, 4);
        put_bytes(b, &job->timeout, 8);
        if (!(params = cJSON_PrintUnformatted(job->params)))
            return -1;
        put_string(b, params);
        free(params);
    }
    return b->failed ? -1 : 0;
}

typedef struct job_reader {
    const char *at, *end;
    int bad;
} job_reader;

static void take_bytes(job_reader *r, void *v, size_t n)
{
    if (r->bad || (size_t)(r->end - r->at) < n) {
        r->bad = 1;
        memset(v, 0, n);
        return;
    }
    memcpy(v, r->at, n);
    r->at += n;
}

/* A string of the job (heap), or NULL for none (or when the job is cut short). */
static char *take_string(job_reader *r)
{
    uint32_t len;
    char *s;
    take_bytes(r, &len, 4);
    if (r->bad || len == UINT32_MAX)
        return NULL;
    if ((size_t)(r->end - r->at) < len || !(s = malloc((size_t)len + 1))) {
        r->bad = 1;
        return NULL;
    }
    memcpy(s, r->at, len);
    s[len] = '\0';
    r->at += len;
    return s;
}

/* In a check child a zygote started: the job from JOB_FD into U (its jobs in JOBS),
 * CTX, NOW and the limits.  Ends the child when it is not a job of FILE's. */
static void unit_decode(const rg_plugin_file *file, unit *u, rg_context *ctx, int64_t *now, uint64_t *memory,
                        uint64_t *cap)
{
    struct stat st;
    char *data, *root;
    job_reader r;
    uint32_t count;
    rg_job *jobs;
    if (fstat(JOB_FD, &st) != 0 || st.st_size < 4 || !(data = malloc((size_t)st.st_size)) ||
        pread(JOB_FD, data, (size_t)st.st_size, 0) != st.st_size)
        _exit(EXIT_SETUP_FAILED);
    close(JOB_FD);
    r = (job_reader){data, data + st.st_size, memcmp(data, JOB_MAGIC, 4) != 0};
    r.at += 4;
    take_bytes(&r, &count, 4);
    take_bytes(&r, now, 8);
    take_bytes(&r, memory, 8);
    take_bytes(&r, cap, 8);
    memset(ctx, 0, sizeof *ctx);
    root = take_string(&r);
    ctx->display = take_string(&r);
    ctx->dir = take_string(&r);
    ctx->evidence_root = take_string(&r);
    ctx->save_dir = take_string(&r);
    if (r.bad || !root || !(ctx->root = cJSON_Parse(root)) || count == 0 || count > RG_DESC_MAX_CHECKS ||
        !(jobs = calloc(count, sizeof *jobs)) || !(u->jobs = calloc(count, sizeof *u->jobs)))
        _exit(EXIT_SETUP_FAILED);
    free(root);
    for (uint32_t i = 0; i < count; i++) {
        uint32_t index;
        char *params;
        take_bytes(&r, &index, 4);
        take_bytes(&r, &jobs[i].timeout, 8);
        params = take_string(&r);
        if (r.bad || !params || index >= file->data.desc.check_count || !(jobs[i].params = cJSON_Parse(params)))
            _exit(EXIT_SETUP_FAILED);
        free(params);
        jobs[i].check = &file->data.desc.checks[index];
        u->jobs[i] = &jobs[i];
    }
    u->count = count;
    free(data);
}

void rg_isolated_zygote_child(const rg_plugin_file *file, const rg_plugin *desc, pid_t engine, int job, int result,
                              int output)
{
    int keep[2] = {result, job};   /* RESULT_FD, JOB_FD */
    unit u;
    rg_context ctx;
    int64_t now;
    uint64_t memory, cap;
    if (rg_child_enter_from_zygote(engine, output, keep, 2) != 0)
        _exit(EXIT_SETUP_FAILED);
    unit_decode(file, &u, &ctx, &now, &memory, &cap);
    run_unit(&u, desc, &ctx, now, (size_t)memory, (size_t)cap);
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

static void fail_unit(const unit *u, const char *why)
{
    for (size_t i = 0; i < u->count; i++)
        fail_job(u->jobs[i], "check %s could not start: %s", u->jobs[i]->check->name, why);
}

static void fail_plugin_changed(rg_job *job)
{
    const rg_plugin_file *file = job->plugin ? job->plugin->file : NULL;
    fail_job(job, "check %s not run: its plugin %s is no longer the file relgate validated", job->check->name,
             file ? file->path : "(in process)");
}

/* Every job of U, when its plugin's zygote failed (F): an error saying how. */
static void fail_unit_zygote(const unit *u, const rg_zygote_failure *f)
{
    for (size_t i = 0; i < u->count; i++) {
        rg_job *job = u->jobs[i];
        const char *sig = f->exited && WIFSIGNALED(f->status) ? signal_name(WTERMSIG(f->status)) : NULL;
        if (f->exited && WIFEXITED(f->status) && WEXITSTATUS(f->status) == EXIT_PLUGIN_CHANGED)
            fail_plugin_changed(job);
        else if (f->exited && WIFEXITED(f->status) && WEXITSTATUS(f->status) == EXIT_PLUGIN_UNBOUND)
            fail_job(job, "check %s could not run: its plugin's zygote could not resolve every symbol the plugin "
                     "and its libraries need", job->check->name);
        else if (f->exited && WIFSIGNALED(f->status))
            fail_job(job, "check %s could not run: %s (killed by %s%s)", job->check->name, f->why, sig ? sig : "signal ",
                     sig ? "" : "?");
        else if (f->exited)
            fail_job(job, "check %s could not run: %s (exit status %d)", job->check->name, f->why,
                     WEXITSTATUS(f->status));
        else
            fail_job(job, "check %s could not run: %s", job->check->name, f->why);
    }
}

const rg_plugin *rg_isolated_zygote_load(const rg_plugin_file *file)
{
    return load_pinned(file);
}

/* U's job for a check child of FILE's zygote, in a memory file (the child reads it);
 * *ROOT is the context's document as JSON, made once per rg_run_isolated.  Returns the
 * descriptor, or -1 with every job of U failed. */
static int unit_job_fd(const unit *u, const rg_plugin_file *file, char **root, const rg_context *ctx, int64_t now,
                       const rg_limits *limits)
{
    rg_strbuf b = {0};
    int fd = -1;
    if (!*root)
        *root = cJSON_PrintUnformatted(ctx->root);
    if (*root && unit_encode(u, file, *root, ctx, now, limits, &b) == 0 &&
        (fd = memfd_create("relgate-check-job", MFD_CLOEXEC)) >= 0 && rg_write_all(fd, b.data, b.len) != 0) {
        close(fd);
        fd = -1;
    }
    free(b.data);
    if (fd < 0)
        fail_unit(u, "its job could not be written (out of memory)");
    return fd;
}

/* R's child is known (its pid): it is steered to its CPU, and its check's time starts now.
 * A zygote's wait (starting, loading the plugin, answering) has bounds of its own
 * (RG_PLUGIN_LOAD_TIMEOUT): counted in the check's, it could time out a check that never
 * got to run, when the box is busy. */
static void child_running(running *r)
{
    rg_child_started(r->pid);
    r->started = monotonic_ms();
    r->deadline = r->started + r->u.jobs[0]->timeout * 1000.0;
}

/* Start U's child: from its plugin's zygote (its pid taken now, or, when DEFER, left
 * PENDING for take_pid: the zygote may still be starting; LAST: no later unit of this
 * run is its plugin's, see rg_zygote_send), or forked here (the engine's own checks).
 * Returns 0, or -1 with every job of U failed. */
static int start(running *r, const unit *u, char **root, const rg_context *ctx, int64_t now, const rg_limits *limits,
                 int defer, int last)
{
    const rg_plugin_file *file = u->jobs[0]->plugin ? u->jobs[0]->plugin->file : NULL;
    int fds[2], out_write = -1, job_fd = -1;
    pid_t engine = getpid();
    rg_zygote_failure f;
    memset(r, 0, sizeof *r);
    r->u = *u;
    r->fd = -1;
    r->out.fd = -1;
    if (rg_child_output_open(&r->out, &out_write) != 0 || pipe2(fds, O_CLOEXEC) != 0) {
        int e = errno;
        if (out_write >= 0)
            close(out_write);
        rg_child_output_close(&r->out);
        fail_unit(u, strerror(e));
        return -1;
    }
    /* Plugin code: in its zygote's children, never in a fork of the engine. */
    if (file && (job_fd = unit_job_fd(u, file, root, ctx, now, limits)) < 0) {
        close(fds[0]);
        close(fds[1]);
        close(out_write);
        rg_child_output_close(&r->out);
        return -1;
    }
    r->started = monotonic_ms();
    if (file) {
        int sent = rg_zygote_send(file, job_fd, fds[1], out_write, last, &r->seq, &f);
        close(job_fd);
        if (sent == 0 && !defer && (r->pid = rg_zygote_child(file, r->seq, &f)) < 0)
            sent = -1;
        if (sent != 0) {
            close(fds[0]);
            close(fds[1]);
            close(out_write);
            rg_child_output_close(&r->out);
            fail_unit_zygote(u, &f);
            return -1;
        }
        r->pending = defer;
    } else {
        rg_child_before_fork();
        fflush(NULL);
        r->pid = fork();
        if (r->pid < 0) {
            int e = errno;
            close(fds[0]);
            close(fds[1]);
            close(out_write);
            rg_child_output_close(&r->out);
            fail_unit(u, strerror(e));
            return -1;
        }
        if (r->pid == 0)
            child_main(u, ctx, now, limits, engine, out_write, fds[1]);
    }
    if (!r->pending)
        child_running(r);
    close(fds[1]);
    close(out_write);
    fcntl(fds[0], F_SETFL, O_NONBLOCK);
    fcntl(fds[0], F_SETFD, FD_CLOEXEC);
    r->fd = fds[0];
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

/* Pass on what the child wrote on its stdout and stderr, as JOB's output. */
static void flush_output(running *r, const rg_job *job)
{
    char prefix[300];
    rg_child_output_drain(&r->out);
    snprintf(prefix, sizeof prefix, "relgate: check %s: ", job->check->name);
    rg_child_output_flush(&r->out, prefix);
}

/* How the child ended, for a job it did not answer (or answered and then misbehaved). */
static void describe_end(running *r, rg_job *job, const rg_limits *limits, const char *after)
{
    const char *name = job->check->name;
    if (r->timed_out) {
        fail_job(job, "check %s timed out after %g s%s", name, job->timeout, after);
    } else if (r->overflow) {
        fail_job(job, "check %s returned more than %u bytes of result", name, RESULT_MAX);
    } else if (r->corrupt) {
        fail_job(job, "check %s wrote a bad result record (%s)%s", name, r->corrupt, after);
    } else if (WIFSIGNALED(r->status)) {
        const char *sig = signal_name(WTERMSIG(r->status));
        if (sig && WTERMSIG(r->status) == SIGABRT)
            fail_job(job, "check %s killed by %s (out of its %zu MiB memory limit, or an assertion)%s", name, sig,
                     limits->check_memory >> 20, after);
        else if (sig)
            fail_job(job, "check %s killed by %s%s", name, sig, after);
        else
            fail_job(job, "check %s killed by signal %d%s", name, WTERMSIG(r->status), after);
    } else if (WIFEXITED(r->status) && WEXITSTATUS(r->status) == EXIT_OUT_OF_MEMORY) {
        fail_job(job, "check %s ran out of memory (limit %zu MiB)", name, limits->check_memory >> 20);
    } else if (WIFEXITED(r->status) && WEXITSTATUS(r->status) == EXIT_PLUGIN_CHANGED) {
        fail_plugin_changed(job);
    } else if (WIFEXITED(r->status) && WEXITSTATUS(r->status) == EXIT_SETUP_FAILED) {
        fail_job(job, "check %s could not start: its child process could not be set up", name);
    } else if (!WIFEXITED(r->status) || WEXITSTATUS(r->status) != 0) {
        fail_job(job, "check %s exited unexpectedly with status %d%s", name, WEXITSTATUS(r->status), after);
    } else if (r->len > 0) {
        fail_job(job, "check %s left a result record cut short%s", name, after);
    } else {
        fail_job(job, "check %s ended without a result", name);
    }
}

/* Turn what the child did into the result of the job it did not answer. */
static void conclude(running *r, const rg_limits *limits)
{
    rg_job *job = r->u.jobs[r->cur];
    job->duration_ms = monotonic_ms() - r->started;
    describe_end(r, job, limits, "");
}

/* Every job was answered: the answers stand only if the child then ended as it should
 * (status 0, nothing more written); else the last one becomes an error. */
static void confirm_last(running *r, const rg_limits *limits)
{
    rg_job *job = r->u.jobs[r->u.count - 1];
    if (!r->timed_out && !r->overflow && !r->corrupt && r->len == 0 && WIFEXITED(r->status) &&
        WEXITSTATUS(r->status) == 0)
        return;
    if (!r->corrupt && r->len > 0)
        r->corrupt = "more written after its last result";
    describe_end(r, job, limits, " after its result");
}

/* Take the complete results (framed records) the child sent: each is the current job's;
 * the next job's clock starts.  A record that is foreign, damaged, out of order or past
 * the last job marks the child corrupt. */
static void take_results(running *r)
{
    while (!r->corrupt && r->len > 0 && r->buf) {
        rg_frame f;
        const char *why;
        rg_job *job;
        char *text, reason[256];
        double now_ms;
        int got = rg_frame_parse(r->buf, r->len, RESULT_MAGIC, RESULT_MAX, &f, &why);
        if (got == 0)
            return;
        if (got < 0 || r->cur >= r->u.count || f.seq != r->cur || f.kind != 1) {
            r->corrupt = got < 0 ? why : r->cur >= r->u.count ? "a record after its last result" : "a record out of order";
            return;
        }
        job = r->u.jobs[r->cur];
        now_ms = monotonic_ms();
        job->duration_ms = now_ms - r->started;
        if (!(text = malloc((size_t)f.len + 1))) {
            fail_job(job, "check %s: out of memory reading its result", job->check->name);
        } else {
            memcpy(text, f.payload, f.len);
            text[f.len] = '\0';
            if (rg_check_result_from_json(text, f.len, &job->result, reason, sizeof reason) != 0)
                fail_job(job, "check %s returned a malformed result: %s", job->check->name, reason);
            free(text);
        }
        flush_output(r, job);
        memmove(r->buf, r->buf + f.used, r->len - f.used);
        r->len -= f.used;
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

#define PROGRESS_MS 250.0   /* often enough for a person watching, rarely enough to cost nothing */

/* Tell the progress callback how far along we are (at most every PROGRESS_MS). */
static void report_progress(const running *slots, size_t parallel, size_t done, size_t count,
                            double *last, int final)
{
    const running *slowest = NULL;
    double now_ms = monotonic_ms();
    if (!progress || (!final && now_ms - *last < PROGRESS_MS))
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
    char **keys = calloc(count, sizeof *keys);
    size_t *unit_of = calloc(count, sizeof *unit_of);
    size_t n = 0, used = 0;
    if (!keys || !unit_of) {
        for (size_t i = 0; i < count; i++) {
            ptrs[i] = &jobs[i];
            units[i].jobs = &ptrs[i];
            units[i].count = 1;
        }
        free(keys);
        free(unit_of);
        return count;
    }
    for (size_t i = 0; i < count; i++)
        if (jobs[i].plugin && (rg_plugin_flags(jobs[i].plugin->desc) & RG_PLUGIN_FLAG_SHARE_CHILD))
            keys[i] = evidence_key(&jobs[i]);
    /* Two passes: count each unit's jobs, then lay them out contiguously in PTRS. */
    for (size_t i = 0; i < count; i++) {
        size_t j;
        for (j = 0; keys[i] && j < i; j++)
            if (keys[j] && jobs[j].plugin == jobs[i].plugin && strcmp(keys[j], keys[i]) == 0)
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
    free(keys);
    free(unit_of);
    return n;
}

/* One rg_run_isolated: the slots children run in, the units waiting for one, and how
 * far along the jobs are. */
typedef struct pool {
    rg_job *jobs;
    size_t count;             /* jobs */
    running *slots;
    size_t parallel;          /* slots */
    struct pollfd *pfds;      /* two a slot: its result pipe and its output */
    pid_t *keep;              /* the other slots' children and the zygotes, spared while one ends */
    char *root;               /* the context's document as JSON, for zygotes' children (made once) */
    /* Units: those made from JOBS, then, after them, jobs of a shared child that failed
     * before answering them, again each alone (at most COUNT of those). */
    rg_job **ptrs;
    unit *units;
    size_t unit_count, next, active, done;
    /* This thread's children before the checks started: never taken for strays. */
    pid_t *children_before;
    size_t children_before_count;
    double last_progress;
} pool;

/* How many children run at once: LIMITS->jobs, else one per CPU. */
static size_t parallel_children(const rg_limits *limits)
{
    static _Atomic long cpus;   /* read once: sysconf opens a /sys file each time */
    long online;
    if (atomic_load(&cpus) == 0)
        atomic_store(&cpus, sysconf(_SC_NPROCESSORS_ONLN));
    online = atomic_load(&cpus);
    return limits->jobs > 0 ? (size_t)limits->jobs : (online > 0 ? (size_t)online : 1);
}

static void pool_free(pool *p)
{
    free(p->children_before);
    free(p->slots);
    free(p->pfds);
    free(p->keep);
    free(p->root);
    free(p->ptrs);
    free(p->units);
}

/* Is the process slot S runs one that another running slot already waits for?  A
 * zygote may name any child of the engine's that has not been waited for, and the one
 * it would most likely name is another check's, still running. */
static int pid_taken(const pool *p, size_t s)
{
    for (size_t o = 0; o < p->parallel; o++)
        if (o != s && p->slots[o].u.count && p->slots[o].pid == p->slots[s].pid)
            return 1;
    return 0;
}

/* Slot S's unit, started: the pid its zygote named must be no other running slot's.
 * Returns 0, or -1 with the unit failed and the slot freed (and the zygote failed for
 * good: the other slot's process stays that slot's alone). */
static int check_pid(pool *p, size_t s)
{
    running *r = &p->slots[s];
    if (!pid_taken(p, s))
        return 0;
    if (r->u.jobs[0]->plugin)
        rg_zygote_refuse(r->u.jobs[0]->plugin->file, "named a process that is not its check child");
    close(r->fd);
    rg_child_output_close(&r->out);
    free(r->buf);
    fail_unit(&r->u, "its plugin's zygote named a process that is not its check child");
    p->done += r->u.count;
    memset(r, 0, sizeof *r);
    return -1;
}

/* The pid of the slot left PENDING, if any: a slot whose zygote failed has its unit failed
 * and is freed. */
static void take_pids(pool *p)
{
    for (size_t s = 0; s < p->parallel; s++) {
        running *r = &p->slots[s];
        rg_zygote_failure f;
        if (!r->u.count || !r->pending)
            continue;
        r->pending = 0;
        if ((r->pid = rg_zygote_child(r->u.jobs[0]->plugin->file, r->seq, &f)) < 0) {
            close(r->fd);
            rg_child_output_close(&r->out);
            free(r->buf);
            fail_unit_zygote(&r->u, &f);
            p->done += r->u.count;
            p->active--;
            memset(r, 0, sizeof *r);
            continue;
        }
        child_running(r);
        if (check_pid(p, s) != 0)
            p->active--;
    }
}

/* Is unit I the last of P's units (so far) to run its plugin's code?  Asked only in a
 * thread's last evaluation: a batch's or the service's never send LAST. */
static int last_of_its_plugin(const pool *p, size_t i)
{
    const struct rg_loaded_plugin *plugin = p->units[i].jobs[0]->plugin;
    for (size_t k = i + 1; plugin && k < p->unit_count; k++)
        if (p->units[k].jobs[0]->plugin && p->units[k].jobs[0]->plugin->file == plugin->file)
            return 0;
    return plugin != NULL;
}

/* Start the next units in the free slots (DEFER: see start).  A unit that could not
 * start has had its jobs failed by start(): they are done. */
static void fill_slots(pool *p, const rg_context *ctx, int64_t now, const rg_limits *limits, int defer)
{
    for (size_t s = 0; s < p->parallel && p->next < p->unit_count; s++) {
        running *r = &p->slots[s];
        if (r->u.count)
            continue;
        /* At most one pid pending, the last unit's: every other child's pid is known when
         * one is taken, so that a zygote cannot name, unseen, a process another slot has
         * not yet taken (check_pid). */
        take_pids(p);
        if (start(r, &p->units[p->next], &p->root, ctx, now, limits, defer,
                  rg_zygotes_last_evaluation() && last_of_its_plugin(p, p->next)) != 0) {
            p->done += p->units[p->next].count;
            memset(r, 0, sizeof *r);
        } else if (r->pending || check_pid(p, s) == 0) {
            p->active++;
        }
        p->next++;
    }
}

/* Wait until a child has something to say, or until the nearest deadline (at most one
 * slice, so that exits are noticed too). */
static void wait_for_children(pool *p)
{
    double now_ms = monotonic_ms(), wait_ms = POLL_SLICE_MS;
    size_t n = 0;
    for (size_t s = 0; s < p->parallel; s++) {
        const running *r = &p->slots[s];
        if (!r->u.count)
            continue;
        if (r->deadline - now_ms < wait_ms)
            wait_ms = r->deadline - now_ms;
        if (r->fd >= 0)
            p->pfds[n++] = (struct pollfd){.fd = r->fd, .events = POLLIN};
        if (r->out.fd >= 0)
            p->pfds[n++] = (struct pollfd){.fd = r->out.fd, .events = POLLIN};
    }
    if (n > 0)
        poll(p->pfds, n, wait_ms > 0 ? (int)wait_ms + 1 : 0);
    else if (p->active > 0)
        usleep(100); /* every pipe at its end: children are exiting, reap them soon */
}

/* Slot S's check is over: so is everything it started, in its process group or escaped
 * from it (reparented to us, the subreaper), but not the other slots' children.  Then
 * what is left in its pipe is taken, unless it was killed for its time. */
static void end_leftovers(pool *p, size_t s)
{
    running *r = &p->slots[s];
    size_t k = 0;
    rg_child_end_group(r->pid);
    for (size_t o = 0; o < p->parallel; o++)
        if (o != s && p->slots[o].u.count && !p->slots[o].exited)
            p->keep[k++] = p->slots[o].pid;
    k += rg_zygote_pids(p->keep + k, MAX_ZYGOTES);
    rg_children_kill_strays(p->keep, k, p->children_before, p->children_before_count);
    if (r->fd >= 0 && !r->timed_out) {
        drain(r);
        take_results(r);
    }
}

/* Free slot R, whose child exited, after giving its unanswered job its result: when a
 * shared child failed, what it did not answer runs again, each job alone, so that the
 * failure is the failing check's own. */
static void free_slot(pool *p, running *r, const rg_limits *limits)
{
    /* A pipe still open here would be held by a process already killed. */
    if (r->fd >= 0)
        close(r->fd);
    flush_output(r, r->u.jobs[r->cur < r->u.count ? r->cur : r->u.count - 1]);
    if (r->cur < r->u.count && r->u.count > 1) {
        for (size_t k = r->cur; k < r->u.count; k++) {
            unit *again = &p->units[p->unit_count++];
            again->jobs = &p->ptrs[p->count + (size_t)(r->u.jobs[k] - p->jobs)];
            *again->jobs = r->u.jobs[k];
            again->count = 1;
        }
    } else if (r->cur < r->u.count) {
        conclude(r, limits);
        p->done++;
    } else {
        confirm_last(r, limits);
    }
    rg_child_output_close(&r->out);
    free(r->buf);
    memset(r, 0, sizeof *r);
    p->active--;
}

/* Take what slot S's child sent and passed on; end it when it exited, or stop it when
 * it must (past its deadline, too much output, broken records). */
static void service_slot(pool *p, size_t s, double now_ms, const rg_limits *limits)
{
    running *r = &p->slots[s];
    size_t before = r->cur;
    if (r->fd >= 0) {
        drain(r);
        take_results(r);
    }
    rg_child_output_drain(&r->out);
    if (!r->exited && waitpid(r->pid, &r->status, WNOHANG) == r->pid)
        r->exited = 1;
    if (!r->exited && (now_ms >= r->deadline || r->overflow || r->corrupt)) {
        kill(r->pid, SIGKILL);
        waitpid(r->pid, &r->status, 0);
        r->exited = 1;
        r->timed_out = !r->overflow && !r->corrupt;
    }
    if (r->exited)
        end_leftovers(p, s);
    p->done += r->cur - before;
    if (r->exited)
        free_slot(p, r, limits);
}

/* Plugin checks under way: their pool, and what their children were started with. */
struct rg_isolated {
    pool p;
    const rg_context *ctx;
    int64_t now;
    const rg_limits *limits;
};

rg_isolated *rg_isolated_start(rg_job *jobs, size_t count, const rg_context *ctx, int64_t now,
                               const rg_limits *limits)
{
    rg_isolated *run = calloc(1, sizeof *run);
    pool *p = run ? &run->p : NULL;
    if (p) {
        *p = (pool){.jobs = jobs, .count = count, .parallel = parallel_children(limits)};
        p->slots = calloc(p->parallel, sizeof *p->slots);
        p->pfds = calloc(2 * p->parallel, sizeof *p->pfds);
        p->keep = calloc(p->parallel + MAX_ZYGOTES, sizeof *p->keep);
        p->ptrs = calloc(count ? 2 * count : 1, sizeof *p->ptrs);
        p->units = calloc(count ? 2 * count : 1, sizeof *p->units);
    }
    if (!p || !p->slots || !p->pfds || !p->ptrs || !p->units || !p->keep) {
        for (size_t i = 0; i < count; i++)
            fail_job(&jobs[i], "check %s could not start: out of memory", jobs[i].check->name);
        if (p)
            pool_free(p);
        free(run);
        return NULL;
    }
    run->ctx = ctx;
    run->now = now;
    run->limits = limits;
    p->unit_count = make_units(jobs, count, p->ptrs, p->units);
    /* Until finish: other threads leave this one's children be (a zygote's check child
     * is this thread's before the zygote names it). */
    rg_children_busy(1);
    p->children_before = rg_children_list(&p->children_before_count);
    /* The first units' pids are taken in finish: the zygotes start meanwhile. */
    fill_slots(p, ctx, now, limits, 1);
    return run;
}

void rg_isolated_finish(rg_isolated *run)
{
    pool *p;
    double now_ms = monotonic_ms();
    if (!run)
        return;
    p = &run->p;
    take_pids(p);
    now_ms = monotonic_ms();
    /* A deadline that passed while the engine was busy elsewhere is judged now: a child
     * that answered in time is not taken for late because nobody read it, and one that
     * is still running ends within a slice. */
    for (size_t s = 0; s < p->parallel; s++)
        if (p->slots[s].u.count && p->slots[s].deadline < now_ms + POLL_SLICE_MS)
            p->slots[s].deadline = now_ms + POLL_SLICE_MS;
    while (p->next < p->unit_count || p->active > 0) {
        fill_slots(p, run->ctx, run->now, run->limits, 0);
        wait_for_children(p);
        now_ms = monotonic_ms();
        for (size_t s = 0; s < p->parallel; s++)
            if (p->slots[s].u.count)
                service_slot(p, s, now_ms, run->limits);
        report_progress(p->slots, p->parallel, p->done, p->count, &p->last_progress, 0);
    }
    report_progress(p->slots, p->parallel, p->count, p->count, &p->last_progress, 1);
    pool_free(p);
    free(run);
    rg_children_busy(0);
}

void rg_run_isolated(rg_job *jobs, size_t count, const rg_context *ctx, int64_t now,
                     const rg_limits *limits)
{
    rg_isolated_finish(rg_isolated_start(jobs, count, ctx, now, limits));
}
