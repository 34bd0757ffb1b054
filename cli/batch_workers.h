/* Evaluating a batch in worker processes forked after the policy is loaded: the parent
 * reads the lines and hands them out in chunks, the workers evaluate them, and the
 * parent passes each line's output on in input order. */
#ifndef RG_BATCH_WORKERS_H
#define RG_BATCH_WORKERS_H

#include <stddef.h>
#include <stdio.h>

#include "strbuf.h"

typedef struct rg_batch_work {
    /* In a worker: evaluate the context on line LINENO (LEN bytes, NUL-terminated),
     * append its output to OUT and return its exit code. */
    int (*eval_line)(void *arg, long lineno, char *line, size_t len, rg_strbuf *out);
    /* In the parent, in input order: one line's output and exit code.  Non-zero stops
     * the batch (the output could not be written). */
    int (*take)(void *arg, long lineno, int code, const char *out, size_t len);
    /* In the parent: line LINENO was lost with its worker (WHY: how the worker ended);
     * append an error decision for it to OUT and return its exit code (2). */
    int (*lost)(void *arg, long lineno, const char *why, rg_strbuf *out);
    /* In a worker, once, right after it is forked (may be NULL). */
    void (*worker_start)(void *arg);
    void *arg;
} rg_batch_work;

/* The exit status of a worker whose policy ran past --timeout inside a library call (the
 * watchdog ended it): its lines say so. */
#define RG_BATCH_EXIT_TIMEOUT 124

/* A line's code from a worker: an exit code (0, 1, 2), or this one, for a line whose
 * context names the batch's --output as its evidence: the parent stops the batch there
 * (cli/batch.c, refuse_output). */
#define RG_BATCH_LINE_REFUSED 3

#define RG_BATCH_READ_FAILED (-1)  /* reading IN failed (errno says why) */
#define RG_BATCH_STOPPED (-2)      /* TAKE asked to stop */
#define RG_BATCH_NO_WORKERS (-3)   /* no worker started: nothing was read from IN */

/* Evaluate the lines of IN (blank lines skipped, line numbers counted from 1) in
 * WORKERS (>= 2) processes.  Returns the number of contexts read, or one of the
 * negative RG_BATCH_ codes above. */
long rg_batch_run_workers(FILE *in, int workers, const rg_batch_work *work);

#endif
