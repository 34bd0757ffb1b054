/* Evaluating a batch in worker processes (see batch_workers.h).
 *
 * Each worker has at most two chunks of lines at a time (one when its pipe cannot hold a
 * second whole), and the parent always waits for the oldest chunk: so a chunk the parent
 * writes always fits in the pipe, the parent never blocks on a worker that is itself
 * waiting for the parent, and output comes back in input order.
 *
 *   parent -> worker   u32 count, then per line: i64 lineno, u32 len, bytes
 *   worker -> parent   per line: i32 exit code, u32 len, bytes (its output)
 */
#define _GNU_SOURCE /* F_SETPIPE_SZ */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "batch_workers.h"
#include "fileio.h"

#define CHUNK_LINES 64
#define CHUNK_BYTES (256u << 10)
#define PIPE_BYTES (1 << 20)
#define MAX_WORKERS 256

typedef struct worker {
    pid_t pid;
    int to, from;        /* pipe ends: lines to it, output from it */
    int busy, dead;      /* BUSY: chunks in flight */
    int max_busy;        /* 2 when its pipe holds a second chunk whole, else 1 */
    char why[128];       /* once dead: how it ended */
} worker;

typedef struct chunk {
    rg_strbuf data;      /* the encoded lines */
    long *linenos;
    size_t count;
    int worker;
} chunk;

/* ---- The worker ---------------------------------------------------------------- */

static void worker_main(int from, int to, const rg_batch_work *work)
{
    rg_strbuf out = {0};
    char *line = NULL;
    size_t cap = 0;
    uint32_t count;
    if (work->worker_start)
        work->worker_start(work->arg);
    while (rg_read_all(from, &count, sizeof count) == 0) {
        out.len = 0;
        for (uint32_t i = 0; i < count; i++) {
            int64_t lineno;
            uint32_t len;
            size_t at;
            int32_t code;
            if (rg_read_all(from, &lineno, sizeof lineno) != 0 || rg_read_all(from, &len, sizeof len) != 0)
                _exit(3);
            if (len + 1 > cap) {
                char *grown = realloc(line, len + 1);
                if (!grown)
                    _exit(3);
                line = grown;
                cap = len + 1;
            }
            if (rg_read_all(from, line, len) != 0)
                _exit(3);
            line[len] = '\0';
            /* Room for the record's header, then the output after it. */
            at = out.len;
            rg_strbuf_add(&out, "\0\0\0\0\0\0\0\0", 8);
            code = work->eval_line(work->arg, (long)lineno, line, len, &out);
            if (out.failed)
                _exit(3);  /* the parent reports the chunk's lines as lost */
            len = (uint32_t)(out.len - at - 8);
            memcpy(out.data + at, &code, 4);
            memcpy(out.data + at + 4, &len, 4);
        }
        if (rg_write_all(to, out.data, out.len) != 0)
            _exit(3);
    }
    _exit(0);
}

/* ---- The parent -------------------------------------------------------------------- */

static int start_worker(worker *w, worker *all, int started, const rg_batch_work *work)
{
    int down[2], up[2];
    if (pipe2(down, O_CLOEXEC) != 0)
        return -1;
    if (pipe2(up, O_CLOEXEC) != 0) {
        close(down[0]);
        close(down[1]);
        return -1;
    }
    fflush(NULL);
    w->pid = fork();
    if (w->pid < 0) {
        close(down[0]); close(down[1]); close(up[0]); close(up[1]);
        return -1;
    }
    if (w->pid == 0) {
        /* The other workers' pipes are not this one's: their ends would keep them alive. */
        for (int i = 0; i < started; i++) {
            close(all[i].to);
            close(all[i].from);
        }
        close(down[1]);
        close(up[0]);
        worker_main(down[0], up[1], work);
    }
    close(down[0]);
    close(up[1]);
    w->to = down[1];
    w->from = up[0];
    w->busy = w->dead = 0;
    (void)fcntl(w->to, F_SETPIPE_SZ, PIPE_BYTES);   /* fewer round trips; best effort */
    (void)fcntl(w->from, F_SETPIPE_SZ, PIPE_BYTES);
    /* A chunk may pass CHUNK_BYTES by one line: allow for a line as long as a chunk. */
    w->max_busy = fcntl(w->to, F_GETPIPE_SZ) >= (int)(2 * CHUNK_BYTES + CHUNK_BYTES) ? 2 : 1;
    return 0;
}

/* Read the next chunk of lines from IN into C.  Returns its line count (0 at the end),
 * or -1 when IN failed. */
static long read_chunk(FILE *in, chunk *c, long *lineno, char **line, size_t *cap)
{
    ssize_t n;
    uint32_t count = 0;
    c->data.len = 0;
    c->count = 0;
    rg_strbuf_add(&c->data, "\0\0\0\0", 4);
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
    memcpy(c->data.data, &count, sizeof count);
    return (long)c->count;
}

static void end_worker(worker *w)
{
    int status = 0;
    if (w->dead)
        return;
    close(w->to);
    close(w->from);
    w->dead = 1;
    while (waitpid(w->pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (WIFEXITED(status) && WEXITSTATUS(status) == RG_BATCH_EXIT_TIMEOUT)
        snprintf(w->why, sizeof w->why, "the policy ran past its time limit (--timeout) inside a library call, "
                                        "in its batch worker");
    else if (WIFSIGNALED(status))
        snprintf(w->why, sizeof w->why, "its batch worker was killed by signal %d (%s)", WTERMSIG(status),
                 strsignal(WTERMSIG(status)));
    else
        snprintf(w->why, sizeof w->why, "its batch worker stopped (exit status %d)",
                 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

/* Pass on the output of chunk C, in order; lines its worker did not finish are lost. */
static int collect(worker *w, const chunk *c, const rg_batch_work *work, rg_strbuf *buf)
{
    for (size_t i = 0; i < c->count; i++) {
        int32_t code;
        uint32_t len;
        int stop;
        buf->len = 0;
        if (w->dead || rg_read_all(w->from, &code, 4) != 0 || rg_read_all(w->from, &len, 4) != 0 ||
            rg_strbuf_reserve(buf, len) != 0 || rg_read_all(w->from, buf->data, len) != 0) {
            if (!w->dead) {
                kill(w->pid, SIGKILL);
                end_worker(w);
            }
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
            end_worker(&pool[i]);
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
            if (pool[w].busy >= round || pool[w].busy >= pool[w].max_busy || pool[w].dead)
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
            if (rg_write_all(pool[w].to, c->data.data, c->data.len) != 0) {
                kill(pool[w].pid, SIGKILL);  /* collect() reports its lines as lost */
                end_worker(&pool[w]);
            }
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
            head = (head + 1) % ring;
            queued--;
        }
    }
    for (int w = 0; w < started; w++) {
        if (stopped && !pool[w].dead)
            kill(pool[w].pid, SIGKILL);
        end_worker(&pool[w]);
    }
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
