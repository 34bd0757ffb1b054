/* relgate serve: the evaluation workers (serve_internal.h).
 *
 * A worker is this binary started anew (posix_spawn: never a bare fork of the threaded
 * server) as `relgate-serve __worker <the server's own arguments>`: it loads the plugins
 * and the policy once, then answers requests one after another.  It holds up to SLOTS
 * requests at once, each in a slot with two pipes of its own (serve_worker.h): while it
 * evaluates one, the next is already waiting in its slot, so the worker never waits for
 * the server between two requests, and each request's thread writes to its slot without
 * waiting for another's and sleeps once, on its slot's answer pipe, until its answer is
 * there.  A one-byte message per request on a pipe of the worker's own (the bell) says
 * which slot to read next, in the order they arrived (one byte is written whole, never
 * mixed with another).  Its answers are records (worker_record.h, the batch workers'
 * framing): keyed with a token the server gives it first, numbered per slot, tagged with
 * the request, so that nothing but that worker can answer for it -- a plugin check it
 * forks inherits none of its pipes (core/plugin_child.c closes them), and a record that
 * is not right ends the worker and answers the request with an error decision, never a
 * decision.
 *
 *   server -> worker   bell: hello (u32 HELLO_MAGIC, u32 worker id, u32 slots, u32 0,
 *                      u64 token), once; then a byte, the slot, per request
 *                      slot S's input: u32 REQUEST_MAGIC, u32 length, u32 S, u32 0,
 *                      i64 tag, the body
 *   worker -> server   slot 0's output: record tag 0, code 0 with the policy's digest
 *                      (loaded), or code 2 with an error decision (it did not load)
 *                      slot S's output: record tag N, the answer to request N (code
 *                      RG_EVAL_*)
 *
 * Workers are grouped in generations, one per policy load: SIGHUP starts a new one and
 * makes it current once its first worker loaded the policy; requests in flight finish on
 * the old one, whose workers end as they come free.  A worker that dies (a crashing
 * plugin took it, the watchdog ended a runaway policy) costs the request it was
 * evaluating an error decision; the others it held, which it never began, are sent
 * again, to a worker started anew.  It reads a slot's request exactly, never ahead, and
 * only when it begins it, so what is left in a slot's pipe when it ends says whether it
 * began that request.  The server itself never evaluates. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <semaphore.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
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

#define SENT_AGAIN_MAX 3        /* times a request a worker never began is sent again */
#define KINDLY_SECONDS 10       /* an idle worker told to end (its bell closed) ends at once;
                                 * one that does not (stopped, frozen) is killed */
#define WAIT_STEP_MS 10

typedef struct generation generation;

typedef struct pworker {
    pid_t pid;                 /* 0: not running (started by the request that next takes it) */
    int bell;                  /* which slot to read next */
    int to[RG_SERVE_SLOTS_MAX];     /* each slot's request */
    int from[RG_SERVE_SLOTS_MAX];   /* and its answer (non-blocking) */
    size_t room[RG_SERVE_SLOTS_MAX];   /* bytes a slot's request pipe holds */
    rg_reader *in;             /* a reader per slot */
    rg_record_peer peer[RG_SERVE_SLOTS_MAX];   /* what each slot's next record must be */
    generation *gen;
    /* With the pool's lock: */
    unsigned used;             /* its slots holding a request (bits; one of them starting it, when STARTING) */
    int starting;              /* a request is starting it: no other is put in yet */
    int down;                  /* it ended or misbehaved: nothing more is put in; ended by the last request to leave */
    int reaped, status;        /* its end, once seen */
    int64_t tag;               /* requests put in */
} pworker;

struct generation {
    char digest[RG_SERVE_DIGEST_SIZE];
    pworker *workers;
    unsigned count;
    unsigned busy;             /* workers holding a request now */
    int retired;               /* a newer generation is current: end workers as they come free */
};

/* A request's place in a worker. */
typedef struct place {
    pworker *w;
    unsigned slot;
    int64_t tag;
    unsigned ahead;            /* requests the worker held before it */
    int start;                 /* the request starts the worker */
    int written;               /* the request is in its slot whole */
} place;

/* A request waiting for a place.  Waiters are served first come, first served, and a
 * slot that comes free is handed to the first of them directly: one thread is woken
 * for one slot (a broadcast woke every waiter, and all but one went back to sleep after
 * fighting for the lock: at 16 clients on 2 workers that was a third of the server's
 * CPU), and a request cannot be overtaken by later ones (its wait, the p99, is bounded
 * by the queue ahead of it).
 *
 * It sleeps on a semaphore of its own, posted after the lock is let go: a thread woken
 * from a condition variable must take the lock again first, and it was woken while the
 * lock was held, so each hand-off cost the waker's unlock a futex wake and the woken a
 * futex wait besides its own wake-up (at 16 clients, half the server's futex calls). */
typedef struct waiter {
    struct waiter *next;       /* in the queue, then among those handed a place to wake */
    place *handed;             /* filled in when it is handed one */
    int got;
    sem_t wake;
} waiter;

struct rg_serve_pool {
    rg_serve *srv;
    pthread_mutex_t lock;
    waiter *first, *last;      /* requests waiting for a place, in order of arrival */
    generation *current;
    unsigned waiting;          /* requests waiting for a place */
    unsigned placed, busy;     /* requests in workers; workers holding one (every generation) */
    unsigned slots;            /* a worker's slots */
    uint32_t next_id;
    int abandoned;             /* the drain's time is up (rg_serve_pool_abandon) */
};

/* ---- One worker ------------------------------------------------------------------- */

/* The requests W holds: one a slot.  With the lock held. */
static unsigned held(const pworker *w)
{
    return (unsigned)__builtin_popcount(w->used);
}

/* Seconds on the monotonic clock. */
static double clock_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Whether W has ended, reaping it when it has (the one waitpid of a running worker: only
 * with the pool's lock, as several threads look).  With the lock held. */
static int reap_locked(pworker *w)
{
    int st;
    if (!w->reaped && w->pid > 0 && waitpid(w->pid, &st, WNOHANG) == w->pid) {
        w->reaped = 1;
        w->status = st;
    }
    return w->reaped;
}

typedef struct reading {
    rg_serve_pool *p;
    pworker *w;
    unsigned slot;
    double deadline;           /* kill it past this (monotonic seconds) */
    rg_worker_end end;
} reading;

/* rg_worker_end's question for a worker several threads wait for. */
static int worker_ended(rg_worker_end *end)
{
    reading *r = end->arg;
    int ended;
    pthread_mutex_lock(&r->p->lock);
    ended = reap_locked(r->w);
    /* Past the drain's time a worker that has not answered (stopped, stuck) is ended:
     * killed with the lock held, not yet reaped, so its pid is still its own. */
    if (!ended && r->p->abandoned && r->w->pid > 0)
        kill(r->w->pid, SIGKILL);
    end->status = r->w->status;
    pthread_mutex_unlock(&r->p->lock);
    return ended;
}

/* Read LEN bytes of the worker's answer on the slot: as long as it lives and the deadline holds. */
static int read_from_worker(void *src, void *data, size_t len)
{
    reading *r = src;
    return rg_worker_read(&r->w->in[r->slot], r->w->from[r->slot], &r->end, r->deadline, data, len);
}

/* W without a process or pipes. */
static void no_worker(pworker *w)
{
    w->pid = 0;
    w->bell = -1;
    for (unsigned i = 0; i < RG_SERVE_SLOTS_MAX; i++)
        w->to[i] = w->from[i] = -1;
    w->in = NULL;
    w->down = w->reaped = w->status = 0;
    w->tag = 0;
}

/* Close W's pipes and forget it: the next request to take it starts it again.  W has
 * ended and was reaped, or was never started; no request holds it. */
static void forget_worker(pworker *w)
{
    if (w->bell >= 0)
        close(w->bell);
    for (unsigned i = 0; i < RG_SERVE_SLOTS_MAX; i++) {
        if (w->to[i] >= 0)
            close(w->to[i]);
        if (w->from[i] >= 0)
            close(w->from[i]);
    }
    free(w->in);
    no_worker(w);
}

/* End W, which no request holds (kill it unless KINDLY: then its closed input tells it),
 * wait for it and forget it; *STATUS (may be NULL) says how it ended. */
static void end_worker(pworker *w, int kindly, int *status)
{
    int st = w->status;
    if (w->pid > 0 && !w->reaped) {
        double until = clock_now() + KINDLY_SECONDS;
        pid_t got = 0;
        if (!kindly)
            kill(w->pid, SIGKILL);
        close(w->bell);
        w->bell = -1;
        /* Never waited for without a bound: a stopped worker would hold up a drain. */
        while (kindly && (got = waitpid(w->pid, &st, WNOHANG)) == 0 && clock_now() < until)
            poll(NULL, 0, WAIT_STEP_MS);
        if (got == 0) {
            kill(w->pid, SIGKILL);
            while (waitpid(w->pid, &st, 0) < 0 && errno == EINTR)
                ;
        }
    }
    if (status)
        *status = st;
    forget_worker(w);
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

/* Close the pipes in FDS (COUNT pairs; -1 where not made). */
static void close_pipes(int (*fds)[2], unsigned count)
{
    for (unsigned i = 0; i < count; i++)
        for (int e = 0; e < 2; e++)
            if (fds[i][e] >= 0)
                close(fds[i][e]);
}

/* Start W as a worker of the server: 0; -1 with ERR (W forgotten); or -2 with ERR when it
 * ended (or sent what no worker sends) before it said whether the policy loaded: a
 * request that started it can be sent again. */
static int start_worker(rg_serve_pool *p, pworker *w, rg_error *err)
{
    rg_serve *srv = p->srv;
    /* The bell, then each slot's request and answer pipes. */
    int fds[1 + 2 * RG_SERVE_SLOTS_MAX][2], count = 1 + 2 * (int)p->slots, rc;
    posix_spawn_file_actions_t fa;
    char **argv;
    uint32_t hello[4];
    uint64_t token;
    for (int i = 0; i < count; i++)
        fds[i][0] = fds[i][1] = -1;
    for (int i = 0; i < count; i++)
        if (pipe2(fds[i], O_CLOEXEC) != 0) {
            rg_fail(err, RG_ERROR_IO, NULL, 0, 0, "cannot start an evaluation worker: %s", strerror(errno));
            goto fail;
        }
    if (!(argv = calloc((size_t)srv->argc + 3, sizeof *argv)) || !(w->in = calloc(p->slots, sizeof *w->in))) {
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
    posix_spawn_file_actions_adddup2(&fa, fds[0][0], RG_SERVE_WORKER_BELL);
    for (unsigned i = 0; i < p->slots; i++) {
        posix_spawn_file_actions_adddup2(&fa, fds[1 + 2 * i][0], RG_SERVE_WORKER_IN(i));
        posix_spawn_file_actions_adddup2(&fa, fds[2 + 2 * i][1], RG_SERVE_WORKER_OUT(i));
    }
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
    close(fds[0][0]);
    w->bell = fds[0][1];
    for (unsigned i = 0; i < p->slots; i++) {
        close(fds[1 + 2 * i][0]);
        w->to[i] = fds[1 + 2 * i][1];
        (void)fcntl(w->to[i], F_SETFL, O_NONBLOCK);   /* written with a deadline (write_request) */
        rc = fcntl(w->to[i], F_GETPIPE_SZ);
        w->room[i] = rc > 0 ? (size_t)rc : 4096;
        rg_worker_pipe_from(fds[2 + 2 * i], &w->from[i], &w->in[i]);
    }
    pthread_mutex_lock(&p->lock);
    hello[1] = p->next_id++;
    pthread_mutex_unlock(&p->lock);
    token = rg_record_token();
    for (unsigned i = 0; i < p->slots; i++)
        w->peer[i] = (rg_record_peer){hello[1], token, 0};
    hello[0] = RG_SERVE_HELLO_MAGIC;
    hello[2] = p->slots;
    hello[3] = 0;
    {
        char buf[sizeof hello + sizeof token];
        memcpy(buf, hello, sizeof hello);
        memcpy(buf + sizeof hello, &token, sizeof token);
        if (rg_write_all(w->bell, buf, sizeof buf) != 0) {
            rg_fail(err, RG_ERROR_IO, NULL, 0, 0, "cannot start an evaluation worker: it ended at once");
            end_worker(w, 0, NULL);
            return -2;
        }
    }
    /* Its first record, on slot 0: the policy loaded (its digest), or why not.  Asked
     * through worker_ended, like a request's answer, so that the drain's end ends a worker
     * stopped while it starts too (else the drain waited --timeout + 30 s for it). */
    {
        reading r = {p, w, 0, clock_now() + srv->config.limits.timeout + 30, {w->pid, 0, 0, worker_ended, NULL}};
        rg_strbuf buf = {0};
        char why[200];
        int32_t code;
        int got;
        rg_serve_answer a = {0};
        r.end.arg = &r;
        got = rg_record_read(read_from_worker, &r, &w->peer[0], 0, 2, &code, &buf, why, sizeof why);
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
                int status;
                end_worker(w, 0, &status);
                describe_end(status, why, sizeof why);
                rg_fail(err, RG_ERROR_INTERNAL, NULL, 0, 0, "an evaluation worker did not start: %s", why);
                free(rg_strbuf_finish(&buf));
                return -2;
            }
            free(rg_strbuf_finish(&buf));
            end_worker(w, 0, NULL);
            return got < 0 ? -2 : -1;
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
    close_pipes(fds, (unsigned)count);
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
    for (unsigned i = 0; i < g->count; i++) {
        g->workers[i].gen = g;
        no_worker(&g->workers[i]);
    }
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
    p->slots = srv->config.worker_slots;
    pthread_mutex_init(&p->lock, NULL);
    if (!(p->current = new_generation(p, err))) {
        pthread_mutex_destroy(&p->lock);
        free(p);
        return NULL;
    }
    return p;
}

/* Whether a request can be put in W now.  With the lock held. */
static int has_room(const rg_serve_pool *p, const pworker *w)
{
    return !w->down && !w->starting && held(w) < p->slots;
}

/* The current generation's worker to put a request in: the one holding fewest, a running
 * one before one to start; or NULL.  With the lock held. */
static pworker *find_room(rg_serve_pool *p)
{
    generation *g = p->current;
    pworker *best = NULL;
    for (unsigned i = 0; i < g->count; i++) {
        pworker *w = &g->workers[i];
        if (has_room(p, w) &&
            (!best || held(w) < held(best) || (held(w) == held(best) && best->pid <= 0 && w->pid > 0)))
            best = w;
    }
    return best;
}

/* Put a request in W (has_room), at PL.  With the lock held. */
static void put(rg_serve_pool *p, pworker *w, place *pl)
{
    unsigned slot = 0;
    if (w->used == 0 && w->pid > 0 && reap_locked(w)) {
        /* One that ended while idle (the OOM killer, a signal) is started again before a
         * request is lost with it. */
        char why[200];
        describe_end(w->status, why, sizeof why);
        fprintf(stderr, "relgate: serve: an idle worker ended: %s\n", why);
        forget_worker(w);
    }
    while (w->used & (1u << slot))
        slot++;
    if (w->used == 0) {
        w->gen->busy++;
        p->busy++;
    }
    w->used |= 1u << slot;
    p->placed++;
    memset(pl, 0, sizeof *pl);
    pl->w = w;
    pl->slot = slot;
    pl->tag = ++w->tag;
    pl->ahead = held(w) - 1;
    if ((pl->start = w->pid <= 0))
        w->starting = 1;
}

/* Hand the current generation's room to the requests waiting, first come first served.
 * With the lock held; returns those handed a place, for wake() once it is let go. */
static waiter *hand_out(rg_serve_pool *p)
{
    waiter *handed = NULL, **tail = &handed;
    pworker *w;
    while (!p->abandoned && p->first && (w = find_room(p)) != NULL) {
        waiter *first = p->first;
        if (!(p->first = first->next))
            p->last = NULL;
        put(p, w, first->handed);
        first->got = 1;
        p->waiting--;   /* now, not when it wakes: counted in a slot, never twice (--queue) */
        first->next = NULL;
        *tail = first;
        tail = &first->next;
    }
    return handed;
}

/* Wake the waiters hand_out() returned, each alone, without the lock.  A waiter lives
 * until its post (take_place), so the list is read before each is posted. */
static void wake(waiter *handed)
{
    while (handed) {
        waiter *next = handed->next;
        sem_post(&handed->wake);
        handed = next;
    }
}

/* Take G's idle workers out of it, to be ended by the caller without the lock: copied to
 * ENDED (*COUNT of them).  With the lock held. */
static void retire(generation *g, pworker *ended, unsigned *count)
{
    for (unsigned i = 0; i < g->count; i++)
        if (g->workers[i].used == 0 && g->workers[i].pid > 0) {
            ended[(*count)++] = g->workers[i];
            no_worker(&g->workers[i]);
        }
}

int rg_serve_pool_reload(rg_serve_pool *p, rg_error *err)
{
    generation *g = new_generation(p, err), *old;
    waiter *handed;
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
    retire(old, ended, &count);
    if (old->busy == 0) {
        free_generation(old);
        old = NULL;
    }
    handed = hand_out(p);   /* the new generation's workers to the requests waiting */
    pthread_mutex_unlock(&p->lock);
    wake(handed);
    for (unsigned i = 0; i < count; i++)
        end_worker(&ended[i], 1, NULL);
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

char *rg_serve_pool_gauges(rg_serve_pool *p)
{
    rg_strbuf b = {0};
    unsigned evaluating = 0, in_slots = 0, in_queue = 0;
    if (p) {
        pthread_mutex_lock(&p->lock);
        evaluating = p->busy;
        in_slots = p->placed - p->busy;
        in_queue = p->waiting;
        pthread_mutex_unlock(&p->lock);
    }
    rg_strbuf_printf(&b, "# HELP relgate_requests_evaluating Decision requests a worker is evaluating now\n"
                         "# TYPE relgate_requests_evaluating gauge\n"
                         "relgate_requests_evaluating %u\n"
                         "# HELP relgate_requests_waiting Decision requests waiting: in a worker's slot behind "
                         "the one it evaluates, or in the queue for a slot\n"
                         "# TYPE relgate_requests_waiting gauge\n"
                         "relgate_requests_waiting{in=\"slot\"} %u\n"
                         "relgate_requests_waiting{in=\"queue\"} %u\n", evaluating, in_slots, in_queue);
    return rg_strbuf_finish(&b);
}

void rg_serve_pool_abandon(rg_serve_pool *p)
{
    pthread_mutex_lock(&p->lock);
    p->abandoned = 1;
    /* The requests waiting for a place get none (busy: 503).  Posted with the lock held,
     * so that one timing out at the same moment, which takes the lock before it looks,
     * finds itself out of the queue and its post already made. */
    while (p->first) {
        waiter *first = p->first;
        p->first = first->next;
        p->waiting--;
        sem_post(&first->wake);
    }
    p->last = NULL;
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
    /* Called once every request is answered: no worker holds one. */
    for (unsigned i = 0; i < g->count; i++)
        end_worker(&g->workers[i], 1, NULL);
    free_generation(g);
    pthread_mutex_destroy(&p->lock);
    free(p);
}

/* ---- Requests --------------------------------------------------------------------- */

/* Requests waiting: for a place, and in a worker behind the one it evaluates.  With the
 * lock held. */
static unsigned waiting(const rg_serve_pool *p)
{
    return p->waiting + (p->placed - p->busy);
}

/* A place for a request in a worker of the current generation, at PL:
 * waiting at most --queue-wait (for a place; in a worker, behind at most SLOTS - 1
 * others), with at most --queue requests waiting, in order of arrival.  0: busy. */
static int take_place(rg_serve_pool *p, place *pl)
{
    const rg_serve_config *c = &p->srv->config;
    struct timespec until;
    waiter me;
    pworker *w;
    int rc;
    pthread_mutex_lock(&p->lock);
    if (p->abandoned) {
        pthread_mutex_unlock(&p->lock);
        return 0;
    }
    if (!p->first && (w = find_room(p)) != NULL && (w->used == 0 || waiting(p) < c->queue)) {
        put(p, w, pl);
        pthread_mutex_unlock(&p->lock);
        return 1;
    }
    if (waiting(p) >= c->queue) {
        pthread_mutex_unlock(&p->lock);
        return 0;
    }
    /* sem_timedwait, on the real-time clock, rather than sem_clockwait: ThreadSanitizer
     * knows the one (the post then orders the waiter's reads), not the other. */
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += (time_t)c->queue_wait;
    until.tv_nsec += (long)((c->queue_wait - (double)(time_t)c->queue_wait) * 1e9);
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    me.next = NULL;
    me.handed = pl;
    me.got = 0;
    sem_init(&me.wake, 0, 0);
    if (p->last)
        p->last->next = &me;
    else
        p->first = &me;
    p->last = &me;
    p->waiting++;
    pthread_mutex_unlock(&p->lock);
    while ((rc = sem_timedwait(&me.wake, &until)) != 0 && errno == EINTR)
        ;
    if (rc != 0) {
        pthread_mutex_lock(&p->lock);
        if (!me.got) {
            /* Timed out, not handed one: out of the queue (unless the drain's end
             * already took it out, rg_serve_pool_abandon). */
            waiter **at = &p->first, *prev = NULL;
            while (*at && *at != &me) {
                prev = *at;
                at = &(*at)->next;
            }
            if (*at) {
                *at = me.next;
                if (p->last == &me)
                    p->last = prev;
                p->waiting--;
            }
        }
        pthread_mutex_unlock(&p->lock);
        /* Handed one as it timed out: its post is on the way, and ME (on this stack) must
         * outlive it. */
        while (me.got && sem_wait(&me.wake) != 0)
            ;
    }
    sem_destroy(&me.wake);
    return me.got;
}

/* Take the request at PL out of its worker; a retired generation's worker is ended once
 * it holds none, and one that is down is forgotten (started again when next taken). */
static void leave(rg_serve_pool *p, place *pl)
{
    pworker *w = pl->w, end;
    generation *g = w->gen;
    waiter *handed;
    int free_it = 0;
    end.pid = 0;
    pthread_mutex_lock(&p->lock);
    w->used &= ~(1u << pl->slot);
    if (pl->start)
        w->starting = 0;
    p->placed--;
    if (w->used == 0) {
        g->busy--;
        p->busy--;
        if (w->down) {
            forget_worker(w);   /* reaped in began() */
        } else if (g->retired && w->pid > 0) {
            end = *w;
            no_worker(w);
        }
        free_it = g->retired && g->busy == 0;
    }
    handed = hand_out(p);
    pthread_mutex_unlock(&p->lock);
    wake(handed);
    if (end.pid > 0)
        end_worker(&end, 1, NULL);
    if (free_it) {
        /* Its other workers were ended when it was retired, or as they came free. */
        free_generation(g);
    }
}

/* PL's worker ended or misbehaved while it held PL's request: see that it has ended
 * (killed if need be) and was reaped, and say whether it began the request (1: it read
 * it whole from its slot, so that request was what it was evaluating) or not (0: it can
 * be sent again).  A worker reads one request at a time, exactly, and answers it before
 * it reads the next, so at most one of a worker's requests was begun and not answered. */
static int began(rg_serve_pool *p, const place *pl)
{
    pworker *w = pl->w;
    int ended, left = 0;
    pthread_mutex_lock(&p->lock);
    w->down = 1;
    /* Killed with the lock held: not yet reaped (by any thread), its pid is still its own. */
    if (!(ended = reap_locked(w)))
        kill(w->pid, SIGKILL);
    pthread_mutex_unlock(&p->lock);
    while (!ended) {
        poll(NULL, 0, 1);
        pthread_mutex_lock(&p->lock);
        ended = reap_locked(w);
        pthread_mutex_unlock(&p->lock);
    }
    /* What it left in the slot, not read.  When that cannot be known, the request counts
     * as begun: an error, never a request evaluated twice. */
    if (!pl->written)
        return 0;
    return ioctl(w->to[pl->slot], FIONREAD, &left) != 0 || left == 0;
}

/* Write HEAD and BODY to FD (non-blocking), in one system call where the pipe takes them,
 * waiting for room as long as R's worker lives and R's deadline holds: a request larger
 * than the pipe waits for the worker to read it, and a stopped worker must not hold it
 * for ever.  0, or -1. */
static int write_request(reading *r, int fd, const void *head, size_t head_len, const void *body, size_t len)
{
    struct iovec iov[2] = {{(void *)head, head_len}, {(void *)body, len}};
    int i = 0;
    while (i < 2) {
        ssize_t n = writev(fd, iov + i, 2 - i);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            struct pollfd pfd = {fd, POLLOUT, 0};
            if (clock_now() > r->deadline || worker_ended(&r->end))
                return -1;
            poll(&pfd, 1, 100);
            continue;
        }
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

static char *lost(const char *why);

/* Ask PL's worker to evaluate BODY (starting it first when PL says so).  One of RG_EVAL_*
 * with *OUT, or -1: the worker ended before it began the request, to be sent again. */
static int ask(rg_serve_pool *p, place *pl, const char *body, size_t len, uint32_t flags, char **out)
{
    const rg_limits *l = &p->srv->config.limits;
    pworker *w = pl->w;
    uint32_t head[4] = {RG_SERVE_REQUEST_MAGIC, (uint32_t)len, pl->slot, flags};
    char frame[sizeof head + sizeof pl->tag], why[200];
    rg_strbuf buf = {0};
    int32_t code = RG_EVAL_FAILED;
    unsigned char bell = (unsigned char)pl->slot;
    reading r;
    int got, rc, fits;
    if (pl->start) {
        waiter *handed;
        rg_error err;
        rg_error_init(&err);
        if ((rc = start_worker(p, w, &err)) != 0) {
            fprintf(stderr, "relgate: serve: %s\n", err.message);
            if (rc == -2) {
                rg_error_clear(&err);
                return -1;   /* never begun: sent again */
            }
            *out = lost(err.message);
            rg_error_clear(&err);
            return RG_EVAL_FAILED;
        }
        rg_serve_metric_add(p->srv, "relgate_worker_starts_total", "Evaluation workers started again after one ended",
                            NULL, 1);
        pthread_mutex_lock(&p->lock);
        w->starting = 0;
        pl->start = 0;
        handed = hand_out(p);   /* it has room for more */
        pthread_mutex_unlock(&p->lock);
        wake(handed);
    }
    memcpy(frame, head, sizeof head);
    memcpy(frame + sizeof head, &pl->tag, sizeof pl->tag);
    /* The slot's pipe is empty (its last request was read whole, as it was answered):
     * a request that fits is written whole before the bell rings, so the worker finds it
     * there; a larger one after, so the worker reads it as it is written. */
    /* Past the policy's and its checks' own limits, for it and those ahead of it, the
     * worker is stuck: ended. */
    r.p = p;
    r.w = w;
    r.slot = pl->slot;
    r.deadline = clock_now() + (pl->ahead + 1) * (2 * (l->timeout + l->check_timeout) + 30);
    r.end = (rg_worker_end){w->pid, 0, 0, worker_ended, &r};
    fits = sizeof frame + len <= w->room[pl->slot];
    rc = (fits || rg_write_all(w->bell, &bell, 1) == 0) &&
         write_request(&r, w->to[pl->slot], frame, sizeof frame, body, len) == 0 &&
         (!fits || rg_write_all(w->bell, &bell, 1) == 0) ? 0 : -1;
    pl->written = rc == 0;
    if (rc != 0) {
        got = 1;
    } else {
        got = rg_record_read(read_from_worker, &r, &w->peer[pl->slot], pl->tag, RG_EVAL_FAILED, &code, &buf, why,
                             sizeof why);
        if (got > 0 && !r.end.reaped && clock_now() > r.deadline)
            snprintf(why, sizeof why, "its evaluation worker answered nothing in time and was ended");
        else if (got > 0)
            why[0] = '\0';
    }
    if (got == 0) {
        *out = rg_strbuf_finish(&buf);
        return code;
    }
    free(rg_strbuf_finish(&buf));
    if (!began(p, pl))
        return -1;
    if (got < 0)
        snprintf(why + strlen(why), sizeof why - strlen(why), " (its evaluation worker was ended)");
    else if (!why[0])
        describe_end(w->status, why, sizeof why);
    *out = lost(why);
    fprintf(stderr, "relgate: serve: a request was lost: %s\n", why);
    return RG_EVAL_FAILED;
}

int rg_serve_pool_eval(rg_serve_pool *p, const char *body, size_t len, int from_operator, char **out)
{
    uint32_t flags = from_operator ? RG_SERVE_REQUEST_FROM_OPERATOR : 0;
    *out = NULL;
    if (len > UINT32_MAX) {
        *out = lost("the request is larger than a worker takes");
        return RG_EVAL_FAILED;
    }
    for (unsigned again = 0;; again++) {
        place pl;
        int code;
        if (!take_place(p, &pl))
            return RG_EVAL_BUSY;
        code = ask(p, &pl, body, len, flags, out);
        leave(p, &pl);
        if (code >= 0)
            return code;
        if (again == SENT_AGAIN_MAX) {
            *out = lost("its evaluation workers ended before they began it, each time it was sent");
            fprintf(stderr, "relgate: serve: a request was lost: sent %u times, never begun\n", again + 1);
            return RG_EVAL_FAILED;
        }
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

