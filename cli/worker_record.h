/* The records a worker process sends its parent: the one framing of the batch workers
 * (batch_workers.c) and the service's evaluation workers (serve_pool.c).
 *
 *   record   head (magic, worker id, the worker's token, sequence number, tag, code,
 *            length), the output, tail (end marker, checksum over head and output, keyed
 *            with the token)
 *
 * The parent takes a record only when every field is what it expects of that worker at
 * that point: anything else -- garbage, a record of another worker or of no worker, a
 * repeated or out-of-order one, one cut short -- is refused, and the parent ends the
 * worker and answers its work with an error (never a decision it did not make).  The
 * token is known to the parent and that worker only; what keeps other processes (a
 * plugin check the worker forks) from writing records is that they do not inherit the
 * pipe (core/plugin_child.c closes every descriptor above stderr). */
#ifndef RG_WORKER_RECORD_H
#define RG_WORKER_RECORD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "fileio.h"
#include "strbuf.h"

#define RG_RECORD_MAX (1u << 30)   /* bytes of one record's output */

/* Where a record goes, and what the parent expects next of one worker. */
typedef struct rg_record_peer {
    uint32_t worker;     /* its index */
    uint64_t token;      /* a random number only the parent and that worker know */
    uint64_t seq;        /* records written (worker) or taken (parent) so far */
} rg_record_peer;

/* LEN random bytes into OUT (getrandom; the clock and the address space as a fallback). */
void rg_record_random(void *out, size_t len);
/* A random token for a worker (rg_record_random). */
uint64_t rg_record_token(void);

/* In the worker: start a record at the end of OUT; append its output to OUT, then
 * rg_record_end.  Returns where it starts. */
size_t rg_record_begin(rg_strbuf *out);

/* Finish the record begun at AT (its output: what OUT holds after the head) as PEER's
 * next one, answering TAG with CODE.  0, or -1 when OUT failed or the output is larger
 * than RG_RECORD_MAX. */
int rg_record_end(rg_strbuf *out, size_t at, rg_record_peer *peer, int64_t tag, int32_t code);

/* In the parent: how to read LEN bytes of the worker's output into DATA: 0, or -1 when
 * the worker ended (or its pipe failed) first. */
typedef int (*rg_record_read_fn)(void *src, void *data, size_t len);

/* Read PEER's next record, which must answer TAG with a code from 0 to MAX_CODE, into
 * BUF (its output, NUL-terminated).  0 with *CODE set (PEER->seq counts it), 1 when the
 * worker ended first, or -1 with WHY saying what was wrong with it. */
int rg_record_read(rg_record_read_fn read, void *src, rg_record_peer *peer, int64_t tag, int32_t max_code,
                   int32_t *code, rg_strbuf *buf, char *why, size_t why_size);

/* A worker process as the parent reads it: IN buffers its output pipe FROM; *REAPED and
 * *STATUS record its end once seen (both 0 at first). */
typedef struct rg_worker_end {
    pid_t pid;
    int reaped, status;
    /* When set, asked instead of waitpid whether the worker ended: 1 with STATUS set, or
     * 0.  For a worker several threads wait for at once (relgate serve's slots), whose
     * end only one of them may reap. */
    int (*ended)(struct rg_worker_end *end);
    void *arg;
} rg_worker_end;

/* The parent's side of a worker just started on the pipes DOWN (its input) and UP (its
 * output): the worker's ends closed, *TO and *FROM the parent's, FROM non-blocking and
 * read through IN (emptied).  The one set-up of eval --batch's and relgate serve's. */
void rg_worker_pipes_parent(const int down[2], const int up[2], int *to, int *from, rg_reader *in);
/* Its output half alone: UP's worker end closed, *FROM non-blocking, read through IN. */
void rg_worker_pipe_from(const int up[2], int *from, rg_reader *in);

/* Read LEN bytes of a worker's output into DATA, waiting as long as it lives (and, when
 * DEADLINE is not 0, until that CLOCK_MONOTONIC second), but not for a pipe a process it
 * left behind holds open once it has ended: after its end has been seen, what is already
 * in the pipe is read and no more.  0, or -1 (it ended, the deadline passed or the pipe
 * failed).  The one reader of eval --batch's and relgate serve's workers. */
int rg_worker_read(rg_reader *in, int from, rg_worker_end *end, double deadline, void *data, size_t len);

/* Read exactly LEN bytes from FD (non-blocking) into DATA, never more, waiting at most MS
 * milliseconds (-1: for ever) each time it has nothing; 0, or -1. */
int rg_read_exact(int fd, void *data, size_t len, int ms);

/* A worker's end, batch or service, where it cannot return from main: _exit runs no
 * atexit handler, so the plugins' zygotes and what they left are ended first. */
_Noreturn void rg_worker_exit(int code);

/* Read LEN bytes from R, waiting at most MS milliseconds (-1: for ever) each time its
 * descriptor has nothing; 0, or -1. */
int rg_read_within(rg_reader *r, void *data, size_t len, int ms);

#endif
