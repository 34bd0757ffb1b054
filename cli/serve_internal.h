/* relgate serve: what the server's own pieces share beyond the contract (serve.h). */
#ifndef RG_CLI_SERVE_INTERNAL_H
#define RG_CLI_SERVE_INTERNAL_H

#include <pthread.h>
#include <stdint.h>

#include "serve.h"

#define RG_SERVE_MAX_ROUTES 64
#define RG_SERVE_DIGEST_SIZE 80     /* "sha256:" and 64 hex digits, with room */

typedef struct rg_serve_route {
    char method[8];
    char prefix[128];
    unsigned flags;
    rg_serve_handler fn;
    void *arg;
} rg_serve_route;

typedef struct rg_serve_pool rg_serve_pool;
typedef struct rg_serve_store rg_serve_store;
typedef struct rg_serve_metrics rg_serve_metrics;
typedef struct rg_serve_tokens rg_serve_tokens;

struct rg_serve {
    rg_serve_config config;
    int argc;                 /* the server's own arguments: what its workers are started with */
    char **argv;
    char self[4096];          /* this binary (/proc/self/exe at start): what workers exec */
    char workdir[4096];       /* a private directory (0700) for the requests' evidence */
    int workdir_lock;         /* it, open and locked shared (serve_workdir.c), or -1 */
    rg_serve_route routes[RG_SERVE_MAX_ROUTES];
    int route_count;
    rg_serve_pool *pool;
    rg_serve_store *store;
    rg_serve_metrics *metrics;
    rg_serve_tokens *tokens;
    pthread_mutex_t lock;     /* IN_FLIGHT and KEYS below */
    pthread_cond_t idle;      /* signalled when IN_FLIGHT drops */
    int in_flight;            /* requests being answered (SIGTERM waits for them) */
    int draining;             /* SIGTERM: new requests are refused with 503 */
    char *keys[256];          /* Idempotency-Keys of decisions being made now */
};

/* ---- Options (serve_options.c) ---- */

/* Parse ARGV into C (defaults first).  -1 to go on, or an exit code (--help: 0). */
int rg_serve_parse_args(int argc, char **argv, rg_serve_config *c);

/* ---- The HTTP side (serve_http.c) ---- */

/* Listen on C->listen and answer requests through SRV's routes until rg_serve_http_stop.
 * 0, or -1 with a message on stderr. */
typedef struct rg_serve_http rg_serve_http;
rg_serve_http *rg_serve_http_start(rg_serve *srv);
/* Stop taking connections (SIGTERM's drain), then, once in-flight requests are answered
 * or WAIT seconds passed, close everything. */
void rg_serve_http_stop(rg_serve_http *h, double wait);
/* The port bound (port 0 asks the kernel for one). */
unsigned rg_serve_http_port(const rg_serve_http *h);

/* A request arriving whole within --request-timeout (serve_deadline.c): a watcher thread
 * that shuts down the socket of a connection whose request is late (slowloris). */
typedef struct rg_serve_deadlines rg_serve_deadlines;
typedef struct rg_serve_deadline rg_serve_deadline;
rg_serve_deadlines *rg_serve_deadlines_start(double seconds);
void rg_serve_deadlines_stop(rg_serve_deadlines *d);
/* A connection opened on socket FD: its first request is timed from now.  NULL when
 * out of memory (that connection is then not timed, only libmicrohttpd's idle limit). */
rg_serve_deadline *rg_serve_deadline_open(rg_serve_deadlines *d, int fd);
/* Its request arrived whole: not timed while it is decided and answered. */
void rg_serve_deadline_arrived(rg_serve_deadlines *d, rg_serve_deadline *c);
/* Its answer was sent: the next request on it is timed from now. */
void rg_serve_deadline_answered(rg_serve_deadlines *d, rg_serve_deadline *c);
/* It closed (before libmicrohttpd closes its socket). */
void rg_serve_deadline_close(rg_serve_deadlines *d, rg_serve_deadline *c);

/* Dispatch one whole request through the route table (serve_routes.c). */
void rg_serve_dispatch(rg_serve *srv, rg_serve_request *req, rg_serve_response *resp);
/* Register the core's own routes. */
int rg_serve_core_routes(rg_serve *srv);

/* ---- Bearer tokens (serve_tokens.c) ---- */

/* Read the token file (one sha256 hex per line; '#' comments).  NULL with ERR. */
rg_serve_tokens *rg_serve_tokens_load(const char *path, rg_error *err);
/* SIGHUP: read the file again; a good one replaces the accepted set at once for every
 * check after.  0, or -1 with ERR and the old set kept.  *COUNT: the hashes now accepted. */
int rg_serve_tokens_reload(rg_serve_tokens *t, size_t *count, rg_error *err);
/* How many hashes the current set holds. */
size_t rg_serve_tokens_count(rg_serve_tokens *t);
/* Free T, once no thread checks tokens any more. */
void rg_serve_tokens_free(rg_serve_tokens *t);
/* Whether AUTHORIZATION ("Bearer TOKEN", may be NULL) names one of T's current tokens,
 * compared in constant time against every hash.  Safe from any thread. */
int rg_serve_tokens_accept(rg_serve_tokens *t, const char *authorization);

/* ---- The inline evidence's directory (serve_workdir.c) ---- */

/* Sweep the leftovers of servers no longer running (see rg_serve_workdir_sweep), then
 * make SRV->workdir in $TMPDIR (else /tmp), locked shared, named to the workers
 * (RG_SERVE_WORKDIR_ENV).  0, or -1 with ERR. */
int rg_serve_workdir_make(rg_serve *srv, rg_error *err);
/* Remove SRV->workdir and all beneath it (a clean exit), through its held descriptor. */
void rg_serve_workdir_remove(rg_serve *srv);
/* Remove, in the directory PARENT, every relgate-serve-XXXXXX directory of this user that
 * no process holds a lock on, following no symbolic link.  How many were removed. */
unsigned rg_serve_workdir_sweep(const char *parent);

/* ---- The evaluation workers (serve_pool.c, serve_worker.c) ---- */

/* Start the pool: C->workers processes of the current policy.  NULL with ERR (the policy
 * did not load). */
rg_serve_pool *rg_serve_pool_start(rg_serve *srv, rg_error *err);
/* SIGHUP: a new generation of workers with the policy as it is now on disk; the old one
 * ends once its requests are answered.  0, or -1 with ERR: the old one stays. */
int rg_serve_pool_reload(rg_serve_pool *p, rg_error *err);
/* The drain's time is up: no request is placed any more (those waiting, and any sent
 * again, are busy), and a worker that has not answered one it holds is killed, so that
 * its request's thread answers now, not at the request's own deadline. */
void rg_serve_pool_abandon(rg_serve_pool *p);
/* End every worker (waits for those busy). */
void rg_serve_pool_stop(rg_serve_pool *p);
/* The requests now in workers, by where they are, as Prometheus gauges (heap), or NULL. */
char *rg_serve_pool_gauges(rg_serve_pool *p);
/* The current generation's policy digest ("sha256:..."), into OUT. */
void rg_serve_pool_digest(rg_serve_pool *p, char *out, size_t size);

/* What a worker answered: CLASS 0 a decision, 1 an error decision for bad input, 2 an
 * error decision of the gate; OUT its record (one compact JSON object; with
 * --signing-key the envelope as member "attestation"). */
enum { RG_EVAL_DECIDED = 0, RG_EVAL_BAD_INPUT = 1, RG_EVAL_FAILED = 2, RG_EVAL_BUSY = 3 };
/* Evaluate BODY in a worker.  Returns one of RG_EVAL_* with *OUT (heap) the worker's
 * answer; RG_EVAL_BUSY (no answer): every worker busy and the queue full, or no worker
 * free within --queue-wait. */
int rg_serve_pool_eval(rg_serve_pool *p, const char *body, size_t len, int from_operator, char **out);

/* A worker's answer (rg_serve_pool_eval's *OUT) in its parts, split in place: the
 * verdict ("allow", "warn", "deny", "error"), the stage, the decision (or error decision)
 * as one compact JSON line, and the signed envelope (one line) or NULL.  0, or -1 when
 * TEXT is not such an answer. */
typedef struct rg_serve_answer {
    char *verdict, *stage, *line, *envelope;
} rg_serve_answer;
int rg_serve_answer_split(char *text, rg_serve_answer *a);

/* relgate-serve __worker ...: a worker's main (the server's own arguments after it). */
int rg_serve_worker_main(int argc, char **argv);

/* ---- Stored records (serve_decide.c) ---- */

/* RECORD as the decision the API answers: without "attestation" and the store's members
 * ("chain", "idempotency_key", "request_digest"), pretty-printed with a trailing newline (heap), or NULL. */
char *rg_serve_record_decision(const char *record);
/* The HTTP status a stored RECORD answers with: 200 for a decision; for an error
 * decision 400 when the input was at fault, else 500.  Its verdict and stage into
 * VERDICT and STAGE. */
int rg_serve_record_status(const char *record, char *verdict, size_t vsize, char *stage, size_t ssize);
/* The member "attestation" of RECORD as its own document (heap), or NULL. */
char *rg_serve_record_attestation(const char *record);

/* ---- The store (serve_store.c) ---- */

rg_serve_store *rg_serve_store_open(const char *url, const char *signing_key, rg_error *err);
void rg_serve_store_close(rg_serve_store *s);
/* Append RECORD (compact JSON); 0, or -1 with ERR. */
int rg_serve_store_append(rg_serve_store *s, const char *record, rg_error *err);
/* The newest record whose member NAME is the string VALUE (heap), or NULL: none, or *FAILED. */
char *rg_serve_store_lookup(rg_serve_store *s, const char *name, const char *value, int *failed);
/* rg_log_last_good_in (ENVIRONMENT may be NULL: any) under the store's lock. */
char *rg_serve_store_last_good(rg_serve_store *s, const char *release, const char *environment, int *failed);
/* Whether the store answered its last use. */
int rg_serve_store_ok(rg_serve_store *s);

/* ---- Metrics (serve_metrics.c) ---- */

rg_serve_metrics *rg_serve_metrics_new(void);
void rg_serve_metrics_free(rg_serve_metrics *m);
/* One decision answered: its verdict ("allow"...), stage and seconds taken. */
void rg_serve_metrics_decision(rg_serve_metrics *m, const char *verdict, const char *stage, double seconds);
/* The Prometheus text exposition (heap); POLICY_DIGEST labels relgate_policy_info. */
char *rg_serve_metrics_render(rg_serve_metrics *m, const char *policy_digest);

#endif
