/* relgate serve: the evaluation workers (serve_internal.h).
 *
 * A worker is this binary started anew (posix_spawn: never a bare fork of the threaded
 * server) as `relgate-serve __worker <the server's own arguments>`: it loads the plugins
 * and the policy once, then answers one request at a time over two pipes, its fds 3 (in)
 * and 4 (out).  Its answers are records (worker_record.h, the batch workers' framing):
 * keyed with a token the server gives it first, numbered, tagged with the request, so
 * that nothing but that worker can answer for it -- a plugin check it forks inherits
 * neither pipe (core/plugin_child.c closes them), and a record that is not right ends
 * the worker and answers the request with an error decision, never a decision.
 *
 *   server -> worker   hello: u32 HELLO_MAGIC, u32 worker id, u64 token   (once)
 *                      request: u32 REQUEST_MAGIC, u32 length, i64 tag, the body
 *   worker -> server   record tag 0: code 0 with the policy's digest (loaded), or code 2
 *                      with an error decision (it did not load)
 *                      record tag N: the answer to request N, code RG_EVAL_*
 *
 * Workers are grouped in generations, one per policy load: SIGHUP starts a new one and
 * makes it current once its first worker loaded the policy; requests in flight finish on
 * the old one, whose workers end as they come free.  A worker that dies (a crashing
 * plugin took it, the watchdog ended a runaway policy) costs its request an error
 * decision and is started again when next needed: the server itself never evaluates. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "error.h"
#include "fileio.h"
#include "serve_internal.h"
#include "serve_worker.h"
#include "strbuf.h"
#include "worker_record.h"

extern char **environ;

typedef struct generation generation;

typedef struct pworker {
    pid_t pid;                 /* 0: not running (start it when taken) */
    rg_record_peer peer;
    int to, from;
    rg_reader *in;
    int busy;
    int64_t tag;               /* requests sent */
    generation *gen;
} pworker;

struct generation {
    unsigned number;
    char digest[RG_SERVE_DIGEST_SIZE];
    pworker *workers;
    unsigned count;
    unsigned busy;             /* workers taken now */
    int retired;               /* a newer generation is current: end workers as they come free */
};

/* A request waiting for a worker.  Waiters are served first come, first served, and a
 * worker that comes free is handed to the first of them directly: one thread is woken
 * for one worker (a broadcast woke every waiter, and all but one went back to sleep
 * after fighting for the lock: at 16 clients on 2 workers that was a third of the
 * server's CPU), and a request cannot be overtaken by later ones (its wait, the p99,
 * is bounded by the queue ahead of it). */
typedef struct waiter {
    struct waiter *next;
    pworker *w;                /* the worker handed to it, or NULL */
    pthread_cond_t handed;
} waiter;

struct rg_serve_pool {
    rg_serve *srv;
    pthread_mutex_t lock;
    waiter *first, *last;      /* requests waiting for a worker, in order of arrival */
    generation *current;
    unsigned waiting;          /* requests waiting for a worker */
    unsigned generations;
    uint32_t next_id;
};

/* ---- One worker ------------------------------------------------------------------- */

/* Seconds on the monotonic clock. */
static double clock_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

typedef struct reading {
    pworker *w;
    double deadline;           /* kill it past this (monotonic seconds) */
    rg_worker_end end;
} reading;

/* Read LEN bytes of the worker's output: as long as it lives and the deadline holds. */
static int read_from_worker(void *src, void *data, size_t len)
{
    reading *r = src;
    return rg_worker_read(r->w->in, r->w->from, &r->end, r->deadline, data, len);
}

/* End W (kill it unless KINDLY: then its closed input tells it) and wait for it; *STATUS
 * (may be NULL) says how it ended unless ALREADY (reaped by the reader). */
static void end_worker(pworker *w, int kindly, int reaped, int *status)
{
    int st = 0;
    if (w->pid <= 0)
        return;
    if (!kindly && !reaped)
        kill(w->pid, SIGKILL);
    close(w->to);
    close(w->from);
    free(w->in);
    w->in = NULL;
    while (!reaped && waitpid(w->pid, &st, 0) < 0 && errno == EINTR)
        ;
    if (status && !reaped)
        *status = st;
    w->pid = 0;
}

/* Why a worker that ended with STATUS lost its request. */
static void describe_end(int status, char *why, size_t size)
{
    if (WIFEXITED(status) && WEXITSTATUS(status) == RG_SERVE_EXIT_TIMEOUT)
        snprintf(why, size, "the policy ran past its time limit (--timeout) inside a library call, in its "
                            "evaluation worker");
    else if (WIFSIGNALED(status))
        snprintf(why, size, "its evaluation worker was killed by signal %d (%s)", WTERMSIG(status),
                 strsignal(WTERMSIG(status)));
    else
        snprintf(why, size, "its evaluation worker stopped (exit status %d)", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

/* Start W as a worker of the server; 0, or -1 with ERR. */
static int start_worker(rg_serve_pool *p, pworker *w, rg_error *err)
{
    rg_serve *srv = p->srv;
    int down[2] = {-1, -1}, up[2] = {-1, -1}, rc;
    posix_spawn_file_actions_t fa;
    char **argv;
    uint32_t hello[2];
    uint64_t token;
    if (pipe2(down, O_CLOEXEC) != 0 || pipe2(up, O_CLOEXEC) != 0) {
        rg_fail(err, RG_ERROR_IO, NULL, 0, 0, "cannot start an evaluation worker: %s", strerror(errno));
        goto fail;
    }
    if (!(argv = calloc((size_t)srv->argc + 3, sizeof *argv)) || !(w->in = calloc(1, sizeof *w->in))) {
        free(argv);
        rg_fail(err, RG_ERROR_INTERNAL, NULL, 0, 0, "out of memory");
        goto fail;
    }
    argv[0] = srv->self;
    argv[1] = (char *)RG_SERVE_WORKER_COMMAND;
    for (int i = 1; i < srv->argc; i++)
        argv[i + 1] = srv->argv[i];
    /* The worker inherits the server's signal mask on purpose: SIGTERM, SIGINT and SIGHUP
     * stay blocked in it, so a signal to the whole group (systemd's stop, a terminal's
     * ^C) leaves the server to drain and end its workers by closing their input. */
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, down[0], RG_SERVE_WORKER_IN);
    posix_spawn_file_actions_adddup2(&fa, up[1], RG_SERVE_WORKER_OUT);
    /* A plugin that prints has no business on the server's output. */
    posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    rc = posix_spawn(&w->pid, srv->self, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    free(argv);
    if (rc != 0) {
        w->pid = 0;
        rg_fail(err, RG_ERROR_IO, NULL, 0, 0, "cannot start an evaluation worker (%s): %s", srv->self, strerror(rc));
        goto fail;
    }
    rg_worker_pipes_parent(down, up, &w->to, &w->from, w->in);
    w->tag = 0;
    pthread_mutex_lock(&p->lock);
    w->peer.worker = p->next_id++;
    pthread_mutex_unlock(&p->lock);
    w->peer.token = token = rg_record_token();
    w->peer.seq = 0;
    hello[0] = RG_SERVE_HELLO_MAGIC;
    hello[1] = w->peer.worker;
    {
        char buf[sizeof hello + sizeof token];
        memcpy(buf, hello, sizeof hello);
        memcpy(buf + sizeof hello, &token, sizeof token);
        if (rg_write_all(w->to, buf, sizeof buf) != 0) {
            rg_fail(err, RG_ERROR_IO, NULL, 0, 0, "cannot start an evaluation worker: it ended at once");
            end_worker(w, 0, 0, NULL);
            return -1;
        }
    }
    /* Its first record: the policy loaded (its digest), or why not. */
    {
        reading r = {w, clock_now() + srv->config.limits.timeout + 30, {w->pid, 0, 0}};
        rg_strbuf buf = {0};
        char why[200];
        int32_t code;
        int got = rg_record_read(read_from_worker, &r, &w->peer, 0, 2, &code, &buf, why, sizeof why);
        rg_serve_answer a = {0};
        if (got == 0 && rg_serve_answer_split(buf.data, &a) != 0) {
            got = -1;
            snprintf(why, sizeof why, "a malformed first record");
        }
        if (got != 0 || code != 0) {
            if (got == 0) {
                /* The worker's error decision: its message is the policy's error. */
                rg_error parsed;
                int64_t at;
                rg_decision *none;
                rg_error_init(&parsed);
                none = rg_decision_parse(a.line, strlen(a.line), "worker", &at, &parsed);
                rg_decision_free(none);
                *err = parsed;
                if (err->kind == RG_ERROR_NONE)
                    rg_fail(err, RG_ERROR_POLICY, NULL, 0, 0, "the policy did not load");
            } else if (got < 0) {
                rg_fail(err, RG_ERROR_INTERNAL, NULL, 0, 0, "an evaluation worker sent %s", why);
            } else {
                int status = r.end.status;
                end_worker(w, 0, r.end.reaped, &status);
                describe_end(status, why, sizeof why);
                rg_fail(err, RG_ERROR_INTERNAL, NULL, 0, 0, "an evaluation worker did not start: %s", why);
                free(rg_strbuf_finish(&buf));
                return -1;
            }
            free(rg_strbuf_finish(&buf));
            end_worker(w, 0, r.end.reaped, NULL);
            return -1;
        }
        if (w->gen && !w->gen->digest[0])
            rg_strlcpy(w->gen->digest, a.line, sizeof w->gen->digest);
        else if (w->gen && strcmp(w->gen->digest, a.line) != 0)
            fprintf(stderr, "relgate: serve: warning: a restarted worker loaded policy %s, not %s: the policy "
                            "changed on disk without SIGHUP\n", a.line, w->gen->digest);
        free(rg_strbuf_finish(&buf));
    }
    return 0;
fail:
    if (down[0] >= 0) { close(down[0]); close(down[1]); }
    if (up[0] >= 0) { close(up[0]); close(up[1]); }
    free(w->in);
    w->in = NULL;
    return -1;
}

/* ---- Generations ----------------------------------------------------------------- */

static void free_generation(generation *g)
{
    free(g->workers);
    free(g);
}

/* A generation of COUNT workers, its first started (the policy loaded), the others
 * started when first needed.  NULL with ERR. */
static generation *new_generation(rg_serve_pool *p, rg_error *err)
{
    generation *g = calloc(1, sizeof *g);
    if (!g || !(g->workers = calloc(p->srv->config.workers, sizeof *g->workers))) {
        free(g);
        rg_fail(err, RG_ERROR_INTERNAL, NULL, 0, 0, "out of memory");
        return NULL;
    }
    g->count = p->srv->config.workers;
    g->number = ++p->generations;
    for (unsigned i = 0; i < g->count; i++)
        g->workers[i].gen = g;
    if (start_worker(p, &g->workers[0], err) != 0) {
        free_generation(g);
        return NULL;
    }
    /* The rest now too: a first burst of requests should not wait for policy loads. */
    for (unsigned i = 1; i < g->count; i++) {
        rg_error ignored;
        rg_error_init(&ignored);
        if (start_worker(p, &g->workers[i], &ignored) != 0)
            fprintf(stderr, "relgate: serve: warning: %s (started again when needed)\n", ignored.message);
        rg_error_clear(&ignored);
    }
    return g;
}

rg_serve_pool *rg_serve_pool_start(rg_serve *srv, rg_error *err)
{
    rg_serve_pool *p = calloc(1, sizeof *p);
    if (!p) {
        rg_fail(err, RG_ERROR_INTERNAL, NULL, 0, 0, "out of memory");
        return NULL;
    }
    p->srv = srv;
    pthread_mutex_init(&p->lock, NULL);
    if (!(p->current = new_generation(p, err))) {
        pthread_mutex_destroy(&p->lock);
        free(p);
        return NULL;
    }
    return p;
}

/* Mark W taken.  With the lock held. */
static void take(pworker *w)
{
    w->busy = 1;
    w->gen->busy++;
}

/* A free worker of the current generation, or NULL.  With the lock held. */
static pworker *free_worker(rg_serve_pool *p)
{
    generation *g = p->current;
    for (unsigned i = 0; i < g->count; i++)
        if (!g->workers[i].busy)
            return &g->workers[i];
    return NULL;
}

/* Hand the current generation's free workers to the requests waiting, first come first
 * served, each woken alone.  With the lock held. */
static void hand_out(rg_serve_pool *p)
{
    pworker *w;
    while (p->first && (w = free_worker(p)) != NULL) {
        waiter *first = p->first;
        if (!(p->first = first->next))
            p->last = NULL;
        take(w);
        first->w = w;
        pthread_cond_signal(&first->handed);
    }
}

/* End G's idle workers; free G when none is busy.  Called with the lock held; returns
 * the workers to end (their pids), ended by the caller without the lock. */
static void retire(rg_serve_pool *p, generation *g, pworker *ended, unsigned *count)
{
    (void)p;
    for (unsigned i = 0; i < g->count; i++)
        if (!g->workers[i].busy && g->workers[i].pid > 0) {
            ended[(*count)++] = g->workers[i];
            g->workers[i].pid = 0;
            g->workers[i].in = NULL;
        }
}

int rg_serve_pool_reload(rg_serve_pool *p, rg_error *err)
{
    generation *g = new_generation(p, err), *old;
    pworker *ended;
    unsigned count = 0;
    if (!g)
        return -1;
    if (!(ended = calloc(g->count + 256, sizeof *ended))) {
        rg_fail(err, RG_ERROR_INTERNAL, NULL, 0, 0, "out of memory");
        return -1;   /* G's workers are left running: harmless, and rare */
    }
    pthread_mutex_lock(&p->lock);
    old = p->current;
    p->current = g;
    old->retired = 1;
    retire(p, old, ended, &count);
    if (old->busy == 0) {
        free_generation(old);
        old = NULL;
    }
    hand_out(p);   /* the new generation's workers to the requests waiting */
    pthread_mutex_unlock(&p->lock);
    for (unsigned i = 0; i < count; i++)
        end_worker(&ended[i], 1, 0, NULL);
    free(ended);
    return 0;
}

void rg_serve_pool_digest(rg_serve_pool *p, char *out, size_t size)
{
    if (!p) {
        rg_strlcpy(out, "", size);
        return;
    }
    pthread_mutex_lock(&p->lock);
    rg_strlcpy(out, p->current->digest, size);
    pthread_mutex_unlock(&p->lock);
}

void rg_serve_pool_stop(rg_serve_pool *p)
{
    generation *g;
    if (!p)
        return;
    pthread_mutex_lock(&p->lock);
    g = p->current;
    pthread_mutex_unlock(&p->lock);
    /* Called once every request is answered: no worker is busy. */
    for (unsigned i = 0; i < g->count; i++)
        end_worker(&g->workers[i], 1, 0, NULL);
    free_generation(g);
    pthread_mutex_destroy(&p->lock);
    free(p);
}

/* ---- Requests --------------------------------------------------------------------- */

/* Take a free worker of the current generation: waiting at most --queue-wait, with at
 * most --queue requests waiting, in order of arrival.  NULL: busy. */
static pworker *take_worker(rg_serve_pool *p)
{
    const rg_serve_config *c = &p->srv->config;
    struct timespec until;
    waiter me;
    pworker *w;
    pthread_mutex_lock(&p->lock);
    if ((w = free_worker(p)) != NULL || p->waiting >= c->queue) {
        if (w)
            take(w);
        pthread_mutex_unlock(&p->lock);
        return w;
    }
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += (time_t)c->queue_wait;
    until.tv_nsec += (long)((c->queue_wait - (double)(time_t)c->queue_wait) * 1e9);
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    me.next = NULL;
    me.w = NULL;
    pthread_cond_init(&me.handed, NULL);
    if (p->last)
        p->last->next = &me;
    else
        p->first = &me;
    p->last = &me;
    p->waiting++;
    while (!me.w && pthread_cond_timedwait(&me.handed, &p->lock, &until) == 0)
        ;
    if (!me.w) {
        /* Timed out, not handed one: out of the queue. */
        waiter **at = &p->first, *prev = NULL;
        while (*at && *at != &me) {
            prev = *at;
            at = &(*at)->next;
        }
        if (*at)
            *at = me.next;
        if (p->last == &me)
            p->last = prev;
    }
    p->waiting--;
    pthread_mutex_unlock(&p->lock);
    pthread_cond_destroy(&me.handed);
    return me.w;
}

/* Give W back; ended workers of a retired generation are not kept. */
static void give_back(rg_serve_pool *p, pworker *w)
{
    generation *g = w->gen;
    pworker end = {0};
    int free_it = 0;
    pthread_mutex_lock(&p->lock);
    w->busy = 0;
    g->busy--;
    if (g->retired) {
        end = *w;
        w->pid = 0;
        w->in = NULL;
        free_it = g->busy == 0;
    }
    hand_out(p);
    pthread_mutex_unlock(&p->lock);
    if (end.pid > 0)
        end_worker(&end, 1, 0, NULL);
    if (free_it) {
        /* Its other workers were ended when it was retired, or as they came free. */
        free_generation(g);
    }
}

int rg_serve_answer_split(char *text, rg_serve_answer *a)
{
    char *nl = strchr(text, '\n'), *space;
    memset(a, 0, sizeof *a);
    if (!nl || !(space = memchr(text, ' ', (size_t)(nl - text))))
        return -1;
    *space = '\0';
    *nl = '\0';
    a->verdict = text;
    a->stage = space + 1;
    a->line = nl + 1;
    if ((nl = strchr(a->line, '\n')) != NULL) {
        *nl = '\0';
        a->envelope = nl + 1;
    }
    return 0;
}

/* An answer (heap) for a request lost with its worker: an error decision. */
static char *lost(const char *why)
{
    rg_error err;
    rg_strbuf b = {0};
    char *line;
    rg_error_init(&err);
    rg_fail(&err, RG_ERROR_INTERNAL, NULL, 0, 0, "not evaluated: %s", why);
    line = rg_error_render(&err, RG_FORMAT_LINE, (int64_t)time(NULL));
    if (!line)
        return NULL;
    rg_strbuf_printf(&b, "error none\n%s", line);
    free(line);
    return rg_strbuf_finish(&b);
}

/* Write HEAD and BODY to FD in one system call where the pipe takes them: written apart,
 * the worker woke for the head alone and waited again for the body.  0, or -1. */
static int write_request(int fd, const void *head, size_t head_len, const void *body, size_t len)
{
    struct iovec iov[2] = {{(void *)head, head_len}, {(void *)body, len}};
    int i = 0;
    while (i < 2) {
        ssize_t n = writev(fd, iov + i, 2 - i);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        for (; i < 2 && (size_t)n >= iov[i].iov_len; i++)
            n -= (ssize_t)iov[i].iov_len;
        if (i < 2) {
            iov[i].iov_base = (char *)iov[i].iov_base + n;
            iov[i].iov_len -= (size_t)n;
        }
    }
    return 0;
}

int rg_serve_pool_eval(rg_serve_pool *p, const char *body, size_t len, char **out)
{
    const rg_limits *l = &p->srv->config.limits;
    pworker *w = take_worker(p);
    rg_strbuf buf = {0};
    char why[200];
    int32_t code = RG_EVAL_FAILED;
    int got;
    *out = NULL;
    if (!w)
        return RG_EVAL_BUSY;
    if (w->pid > 0) {
        /* One that ended while idle (the OOM killer, a signal) is started again before
         * a request is lost with it. */
        int status;
        if (waitpid(w->pid, &status, WNOHANG) == w->pid) {
            describe_end(status, why, sizeof why);
            fprintf(stderr, "relgate: serve: an idle worker ended: %s\n", why);
            end_worker(w, 1, 1, NULL);
        }
    }
    if (w->pid <= 0) {
        rg_error err;
        rg_error_init(&err);
        if (start_worker(p, w, &err) != 0) {
            *out = lost(err.message);
            rg_error_clear(&err);
            give_back(p, w);
            return RG_EVAL_FAILED;
        }
        rg_serve_metric_add(p->srv, "relgate_worker_starts_total", "Evaluation workers started again after one ended",
                            NULL, 1);
    }
    {
        uint32_t head[2] = {RG_SERVE_REQUEST_MAGIC, (uint32_t)len};
        int64_t tag = ++w->tag;
        char frame[sizeof head + sizeof tag];
        /* Past the policy's and its checks' own limits, the worker is stuck: ended. */
        reading r = {w, clock_now() + 2 * (l->timeout + l->check_timeout) + 30, {w->pid, 0, 0}};
        memcpy(frame, head, sizeof head);
        memcpy(frame + sizeof head, &tag, sizeof tag);
        if (len > UINT32_MAX || write_request(w->to, frame, sizeof frame, body, len) != 0)
            got = 1;
        else
            got = rg_record_read(read_from_worker, &r, &w->peer, tag, RG_EVAL_FAILED, &code, &buf, why, sizeof why);
        if (got == 0) {
            *out = rg_strbuf_finish(&buf);
        } else {
            int status = r.end.status;
            end_worker(w, 0, r.end.reaped, &status);
            if (got > 0)
                describe_end(status, why, sizeof why);
            else
                snprintf(why + strlen(why), sizeof why - strlen(why), " (its evaluation worker was ended)");
            if (got > 0 && !r.end.reaped && clock_now() > r.deadline)
                snprintf(why, sizeof why, "its evaluation worker answered nothing in time and was ended");
            free(rg_strbuf_finish(&buf));
            *out = lost(why);
            code = RG_EVAL_FAILED;
            fprintf(stderr, "relgate: serve: a request was lost: %s\n", why);
        }
    }
    give_back(p, w);
    return code;
}
