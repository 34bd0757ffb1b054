/* Deployments waiting for their decision: a webhook is answered at once (GitHub waits
 * only 10 seconds for it) and queued; worker threads evaluate each through the server's
 * one function to decide and post the verdict back, retrying a bounded number of times. */
#ifndef HOOKS_JOBS_H
#define HOOKS_JOBS_H

#include <stddef.h>

#include "hooks_config.h"

enum { HOOKS_GITHUB, HOOKS_GITLAB };

/* What the jobs need of the server: the one function to decide (a POST /v1/decisions
 * BODY; KEY: an idempotency key or NULL) returning the HTTP status with the decision JSON
 * in *DECISION (heap), and a counter for the metrics (may be NULL). */
typedef struct hooks_env {
    int (*decide)(void *arg, const char *body, size_t len, const char *key, char **decision, size_t *decision_len);
    void (*count)(void *arg, const char *name, const char *help, const char *labels);
    void *arg;
} hooks_env;

typedef struct hooks_job {
    int tool;               /* HOOKS_GITHUB, HOOKS_GITLAB */
    char *request;          /* the POST /v1/decisions body; NULL: refused before evaluation */
    char *problem;          /* why there is no request (no rule matched, a placeholder unfilled) */
    char *key;              /* the idempotency key: the tool's delivery id (a redelivery gets the
                             * stored decision), or NULL */
    char *callback_url;
    char *environment;
    hooks_expect expect[HOOKS_EXPECT_MAX];   /* confirmed through the tool's API before anything
                                             * is decided or posted; else nothing is */
    size_t n_expect;
    struct hooks_job *next;
} hooks_job;

typedef struct hooks_jobs hooks_jobs;

/* Start CONFIG->workers threads (CONFIG and ENV outlive them).  NULL with WHY. */
hooks_jobs *hooks_jobs_start(const hooks_config *config, const hooks_env *env, char *why, size_t why_size);

/* Queue JOB (taken).  0, or -1 when the queue is full (the job is freed): answer 503. */
int hooks_jobs_push(hooks_jobs *jobs, hooks_job *job);

void hooks_job_free(hooks_job *job);

/* Run one job now, in this thread (the workers' body; the tests call it directly).
 * Returns the callback's final HTTP status, or 0 when none arrived. */
long hooks_job_run(const hooks_config *config, const hooks_env *env, const hooks_job *job);

/* Whether DECISION (the service's answer with STATUS) lets the deployment proceed: a 200
 * whose verdict is allow or warn.  Anything else — deny, error, a refusal, a body that is
 * not a decision — rejects it: the gate fails closed. */
int hooks_approves(int status, const char *decision, size_t len);

/* Stop taking jobs, let the workers finish the one they hold (no more retries), wait
 * for them, and free everything.  Jobs still queued are logged as not decided. */
void hooks_jobs_stop(hooks_jobs *jobs);

#endif
