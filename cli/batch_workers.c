/* Evaluating a batch in worker processes (see batch_workers.h).
 *
 * Each worker has at most two chunks of lines at a time, and the parent always waits for
 * the oldest chunk, so output comes back in input order.  The parent never blocks on a
 * worker that is itself waiting for the parent: a worker reads a whole chunk before it
 * writes its output, so a chunk written to an idle worker is always taken; a second one
 * is written at once only when the pipe holds it beside the first whole, else once the
 * first has been collected.  (A chunk may pass CHUNK_BYTES by one line, and a line may be
 * longer than the pipe: such a second chunk, written to a worker blocked writing its first
 * chunk's output, hung the batch; hostile round 24, F02.)
 *
 *   parent -> worker   a chunk: u32 CHUNK_MAGIC, u32 count, then per line: i64 lineno,
 *                      u32 len, bytes
 *   worker -> parent   per line, a record (worker_record.h: the service's workers send
 *                      the same), tagged with the line number, its code the exit code
 *
 * A record that is not what the parent expects of that worker at that point ends the
 * worker, and its lines become error decisions (never a decision it did not make).  Reads are bounded on both sides:
 * the parent polls, and a worker that has ended (even with its pipe held open by a
 * process it left behind) loses its lines instead of hanging the batch; a worker gives
 * up on a chunk whose bytes do not follow its header. */
#define _GNU_SOURCE /* F_SETPIPE_SZ */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "batch_workers.h"
#include "cli.h"
#include "relgate/relgate.h"
#include "fileio.h"
#include "worker_record.h"

#define CHUNK_LINES 64
#define CHUNK_BYTES (256u << 10)
#define PIPE_BYTES (1 << 20)
#define MAX_WORKERS 256
#define CHUNK_MAGIC 0x4b435752u   /* "RWCK" */
#define CHUNK_REST_MS 10000       /* a chunk is written whole: its bytes follow its header at once */

typedef struct worker {
    rg_worker_end end;   /* its pid; its exit status, once waited for */
    rg_record_peer peer; /* its id, token and the records taken so far */
    int to, from;        /* pipe ends: lines to it, output from it (non-blocking) */
    rg_reader *in;       /* buffered reads of FROM */
    int busy, dead;      /* BUSY: chunks given to it and not yet collected (0 to 2) */
    size_t pipe_bytes;   /* what its input pipe holds */
    size_t in_pipe;      /* bytes written to it of chunks not yet collected */
    char why[160];       /* once dead: how it ended */
} worker;

typedef struct chunk {
    rg_strbuf data;      /* the encoded lines */
    long *linenos;
    size_t count;
    int worker;
    int unsent;          /* waits for its worker to be idle (see the top of this file) */
} chunk;

/* ---- The worker ---------------------------------------------------------------- */

/* Append line LINENO's output as the next record of worker SELF to OUT. */
static void evaluate_into_record(const rg_batch_work *work, rg_record_peer *self, int64_t lineno, char *line,
                                 uint32_t len, rg_strbuf *out)
{
    size_t at = rg_record_begin(out);
    int code = work->eval_line(work->arg, (long)lineno, line, len, out);
    if (rg_record_end(out, at, self, lineno, code) != 0)
        rg_worker_exit(3);  /* the parent reports the chunk's lines as lost */
}

static void worker_main(int from, int to, const worker *self, const rg_batch_work *work)
{
    static rg_reader in;
    rg_strbuf out = {0};
    char *line = NULL;
    size_t cap = 0;
    uint32_t header[2];   /* CHUNK_MAGIC, count */
    rg_record_peer peer = self->peer;
    in.fd = from;
    (void)fcntl(from, F_SETFL, O_NONBLOCK);
    if (work->worker_start)
        work->worker_start(work->arg);
    while (rg_read_within(&in, header, sizeof header, -1) == 0) {
        if (header[0] != CHUNK_MAGIC || header[1] > CHUNK_LINES)
            rg_worker_exit(3);
        out.len = 0;
        for (uint32_t i = 0; i < header[1]; i++) {
            int64_t lineno;
            uint32_t len;
            if (rg_read_within(&in, &lineno, sizeof lineno, CHUNK_REST_MS) != 0 ||
                rg_read_within(&in, &len, sizeof len, CHUNK_REST_MS) != 0 || len == UINT32_MAX)
                rg_worker_exit(3);
            if (len + 1 > cap) {
                char *grown = realloc(line, len + 1);
                if (!grown)
                    rg_worker_exit(3);
                line = grown;
                cap = len + 1;
            }
            if (rg_read_within(&in, line, len, CHUNK_REST_MS) != 0)
                rg_worker_exit(3);
            line[len] = '\0';
            evaluate_into_record(work, &peer, lineno, line, len, &out);
        }
        if (rg_write_all(to, out.data, out.len) != 0)
            rg_worker_exit(3);
    }
    rg_worker_exit(0);
}

/* ---- The parent -------------------------------------------------------------------- */

static int start_worker(worker *w, worker *all, int started, const rg_batch_work *work)
{
    int down[2], up[2], size;
    memset(w, 0, sizeof *w);
    w->peer.worker = (uint32_t)started;
    w->peer.token = rg_record_token();
    if (!(w->in = malloc(sizeof *w->in)))
        return -1;
    if (pipe2(down, O_CLOEXEC) != 0) {
        free(w->in);
        return -1;
    }
    if (pipe2(up, O_CLOEXEC) != 0) {
        close(down[0]);
        close(down[1]);
        free(w->in);
        return -1;
    }
    fflush(NULL);
    w->end.pid = fork();
    if (w->end.pid < 0) {
        close(down[0]); close(down[1]); close(up[0]); close(up[1]);
        free(w->in);
        return -1;
    }
    if (w->end.pid == 0) {
        rg_cli_signals_forget();   /* its siblings are not its to signal */
        /* The other workers' pipes are not this one's: their ends would keep them alive. */
        for (int i = 0; i < started; i++) {
            close(all[i].to);
            close(all[i].from);
        }
        close(down[1]);
        close(up[0]);
        worker_main(down[0], up[1], w, work);
    }
    rg_cli_signals_child(w->end.pid);   /* an ending signal is passed on to it */
    rg_worker_pipes_parent(down, up, &w->to, &w->from, w->in);
    (void)fcntl(w->to, F_SETPIPE_SZ, PIPE_BYTES);   /* fewer round trips; best effort */
    (void)fcntl(w->from, F_SETPIPE_SZ, PIPE_BYTES);
    size = fcntl(w->to, F_GETPIPE_SZ);
    w->pipe_bytes = size > 0 ? (size_t)size : 0;   /* unknown: every second chunk waits */
    return 0;
}

/* Read the next chunk of lines from IN into C.  Returns its line count (0 at the end),
 * or -1 when IN failed. */
static long read_chunk(FILE *in, chunk *c, long *lineno, char **line, size_t *cap)
{
    ssize_t n;
    uint32_t count = 0;
    uint32_t magic = CHUNK_MAGIC;
    c->data.len = 0;
    c->count = 0;
    rg_strbuf_add(&c->data, (const char *)&magic, sizeof magic);
    rg_strbuf_add(&c->data, "\0\0\0\0", 4);   /* the count, below */
    while (c->count < CHUNK_LINES && c->data.len < CHUNK_BYTES && (n = getline(line, cap, in)) >= 0) {
        int64_t no = ++*lineno;
        uint32_t len;
        while (n > 0 && ((*line)[n - 1] == '\n' || (*line)[n - 1] == '\r'))
            (*line)[--n] = '\0';
        if (n == 0)
            continue;
        len = (uint32_t)n;
        rg_strbuf_add(&c->data, (const char *)&no, sizeof no);
        rg_strbuf_add(&c->data, (const char *)&len, sizeof len);
        rg_strbuf_add(&c->data, *line, (size_t)n);
        c->linenos[c->count++] = (long)no;
    }
    if (ferror(in) || c->data.failed)
        return -1;
    count = (uint32_t)c->count;
    memcpy(c->data.data + sizeof magic, &count, sizeof count);
    return (long)c->count;
}

/* Write chunk C to W, whose pipe holds it beside what W has not yet taken, or which is
 * idle; a worker that cannot take it is ended, and collect() reports its lines as lost. */
static void kill_worker(worker *w);
static void end_worker(worker *w, const char *why);
static void send_chunk(worker *w, chunk *c)
{
    c->unsent = 0;
    if (w->dead)
        return;
    w->in_pipe += c->data.len;
    if (rg_write_all(w->to, c->data.data, c->data.len) != 0) {
        kill_worker(w);
        end_worker(w, NULL);
    }
}

/* Kill W, unless it was already waited for (its pid may be another process's by now). */
static void kill_worker(worker *w)
{
    if (!w->dead && !w->end.reaped)
        kill(w->end.pid, SIGKILL);
}

/* End W (already killed, or told to end by its closed input); WHY says why its lines are
 * lost, or NULL: how it ended says. */
static void end_worker(worker *w, const char *why)
{
    int status;
    if (w->dead)
        return;
    close(w->to);
    close(w->from);
    free(w->in);
    w->in = NULL;
    w->dead = 1;
    while (!w->end.reaped && waitpid(w->end.pid, &w->end.status, 0) < 0 && errno == EINTR)
        ;
    w->end.reaped = 1;
    status = w->end.status;
    if (why)
        snprintf(w->why, sizeof w->why, "its batch worker sent %s", why);
    else if (WIFEXITED(status) && WEXITSTATUS(status) == RG_BATCH_EXIT_TIMEOUT)
        snprintf(w->why, sizeof w->why, "the policy ran past its time limit (--timeout) inside a library call, "
                                        "in its batch worker");
    else if (WIFSIGNALED(status))
        snprintf(w->why, sizeof w->why, "its batch worker was killed by signal %d (%s)", WTERMSIG(status),
                 strsignal(WTERMSIG(status)));
    else
        snprintf(w->why, sizeof w->why, "its batch worker stopped (exit status %d)",
                 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

static int read_worker_output(void *arg, void *data, size_t len)
{
    worker *w = arg;
    return rg_worker_read(w->in, w->from, &w->end, 0, data, len);
}

/* Read W's next record, which must answer line LINENO, into BUF; 0 with *CODE set, 1 when
 * W ended first, or -1 with WHY saying what was wrong with it. */
static int read_record(worker *w, long lineno, int32_t *code, rg_strbuf *buf, char *why, size_t why_size)
{
    return rg_record_read(read_worker_output, w, &w->peer, lineno, RG_BATCH_LINE_REFUSED, code, buf, why, why_size);
}

/* Pass on the output of chunk C, in order; lines its worker did not finish, or answered
 * with a record that is not right, are lost. */
static int collect(worker *w, const chunk *c, const rg_batch_work *work, rg_strbuf *buf)
{
    for (size_t i = 0; i < c->count; i++) {
        int32_t code;
        uint32_t len;
        int stop, got = 1;
        char why[128];
        if (!w->dead)
            got = read_record(w, c->linenos[i], &code, buf, why, sizeof why);
        len = (uint32_t)buf->len;
        if (got != 0) {
            kill_worker(w);
            end_worker(w, got < 0 ? why : NULL);
            buf->len = 0;
            code = work->lost(work->arg, c->linenos[i], w->why, buf);
            len = (uint32_t)buf->len;
        }
        stop = work->take(work->arg, c->linenos[i], code, buf->data ? buf->data : "", len);
        if (stop)
            return -1;
    }
    return 0;
}

long rg_batch_run_workers(FILE *in, int workers, const rg_batch_work *work)
{
    worker pool[MAX_WORKERS];
    chunk *queue;               /* a ring of chunks in flight, oldest first: two per worker */
    size_t head = 0, queued = 0, ring;
    int started = 0, eof = 0, failed = 0, stopped = 0;
    long lineno = 0, contexts = 0;
    char *line = NULL;
    size_t cap = 0;
    rg_strbuf buf = {0};

    if (workers > MAX_WORKERS)
        workers = MAX_WORKERS;
    queue = calloc((size_t)workers * 2, sizeof *queue);
    for (int i = 0; queue && i < workers * 2; i++)
        if (!(queue[i].linenos = calloc(CHUNK_LINES, sizeof *queue[i].linenos))) {
            for (int j = 0; j < i; j++)
                free(queue[j].linenos);
            free(queue);
            queue = NULL;   /* out of memory: no workers, the batch runs in this process */
        }
    while (queue && started < workers && start_worker(&pool[started], pool, started, work) == 0)
        started++;
    ring = (size_t)started * 2;
    if (started < 2) {
        for (int i = 0; i < started; i++)
            end_worker(&pool[i], NULL);
        for (int i = 0; queue && i < workers * 2; i++)
            free(queue[i].linenos);
        free(queue);
        return RG_BATCH_NO_WORKERS;
    }
    for (;;) {
        /* Keep every worker busy: a chunk to each, then a second to each that takes one. */
        for (int round = 1, w = 0; round <= 2 && !eof && !failed; w = (w + 1) % started, round += w == 0) {
            chunk *c;
            long n;
            if (pool[w].busy >= round || pool[w].dead)
                continue;
            c = &queue[(head + queued) % ring];
            n = read_chunk(in, c, &lineno, &line, &cap);
            if (n < 0) {
                failed = 1;
                break;
            }
            if (n == 0) {
                eof = 1;
                break;
            }
            contexts += n;
            c->worker = w;
            pool[w].busy++;
            queued++;
            if (pool[w].busy == 1 || pool[w].in_pipe + c->data.len <= pool[w].pipe_bytes)
                send_chunk(&pool[w], c);
            else
                c->unsent = 1;
        }
        if (queued == 0) {
            long n;
            if (eof || failed)
                break;
            /* No worker took a chunk: all have died.  The rest is reported, not dropped. */
            while ((n = read_chunk(in, &queue[0], &lineno, &line, &cap)) > 0) {
                contexts += n;
                queue[0].worker = 0;
                if (collect(&pool[0], &queue[0], work, &buf) != 0) {
                    stopped = 1;
                    break;
                }
            }
            failed = n < 0;
            break;
        }
        {
            chunk *c = &queue[head];
            worker *w = &pool[c->worker];
            if (collect(w, c, work, &buf) != 0) {
                stopped = 1;
                break;
            }
            w->busy--;
            w->in_pipe -= c->unsent ? 0 : c->data.len;
            head = (head + 1) % ring;
            queued--;
            /* Its second chunk, if it waited, goes now that the worker is idle. */
            for (size_t i = 0; i < queued; i++) {
                chunk *next = &queue[(head + i) % ring];
                if (next->worker == c->worker) {
                    if (next->unsent)
                        send_chunk(w, next);
                    break;
                }
            }
        }
    }
    for (int w = 0; w < started; w++) {
        if (stopped)
            kill_worker(&pool[w]);
        end_worker(&pool[w], NULL);
    }
    rg_cli_signals_forget();   /* all waited for */
    for (int i = 0; i < workers * 2; i++) {
        free(rg_strbuf_finish(&queue[i].data));
        free(queue[i].linenos);
    }
    free(queue);
    free(line);
    free(rg_strbuf_finish(&buf));
    if (stopped)
        return RG_BATCH_STOPPED;
    return failed ? RG_BATCH_READ_FAILED : contexts;
}
