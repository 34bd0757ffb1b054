/* relgate serve (relgate-serve): the gate as an HTTP service, a second face on the
 * public API beside the command line (docs/service.md).
 *
 * This header is the contract between the server's core and what is built on it (the
 * deployment integrations: GitHub, GitLab, Argo).  It gives them three things:
 *
 *  - the ROUTE TABLE: rg_serve_route_add registers METHOD + path prefix -> handler; a
 *    handler gets the request (method, path, a header getter, the whole body) and fills
 *    a response (status, content type, extra headers, body);
 *  - ONE FUNCTION TO DECIDE: rg_serve_decide evaluates a POST /v1/decisions body exactly
 *    as that route does (worker pool, store, signing, metrics) and gives the status and
 *    the decision JSON with its id.  Nothing evaluates by another path;
 *  - the SERVER'S STATE a handler may need: the configuration (rg_serve_config), the
 *    decision store (rg_serve_store_*) and the metrics (rg_serve_metric_*).
 *
 * Threads: the server runs one thread per connection (libmicrohttpd), so handlers run
 * concurrently; every function here may be called from any handler thread.
 * Evaluations do not run in the server's process at all: in pre-forked worker processes
 * (serve_pool.c), so that a crashing plugin or a runaway policy costs one request an
 * error decision, never the server.
 *
 * The integrations' hook into the core is cli/serve_hooks.c (theirs): it registers their
 * routes and declares their options. */
#ifndef RG_CLI_SERVE_H
#define RG_CLI_SERVE_H

#include <stddef.h>
#include <stdint.h>

#include "cli.h"
#include "relgate/relgate.h"

typedef struct rg_serve rg_serve;

/* ---- Configuration (the options of relgate serve) ------------------------------------ */

#define RG_SERVE_MAX_EXTRA_OPTIONS 32
#define RG_SERVE_MAX_LIVE_SOURCES 64

typedef struct rg_serve_config {
    const char *policy;             /* --policy (required) */
    const char *listen;             /* --listen HOST:PORT as given */
    const char *store;              /* --store URL, or NULL: decisions are not kept */
    const char *token_file;         /* --token-file: sha256 hex of each accepted token */
    const char *tls_cert, *tls_key; /* --tls-cert/--tls-key: HTTPS (GnuTLS) */
    const char *signing_key;        /* --signing-key: decisions signed (attestation) */
    const char *verifier_id, *resource_uri;   /* as eval --verifier-id/--resource-uri */
    const char *evidence_root;      /* --evidence-root: path evidence only beneath it; NULL: none */
    const char *live_sources[RG_SERVE_MAX_LIVE_SOURCES];   /* --live-source: what a client's
                                     * live sources may name ("github:OWNER/REPO", glob) */
    size_t live_source_count;
    int allow_client_now;           /* --allow-client-now: a request's "now" sets the clock */
    const char *port_file;          /* --port-file: the bound port written there (tests, port 0) */
    const char *plugin_dirs[RG_CLI_MAX_PLUGIN_DIRS];
    size_t plugin_dir_count;
    rg_limits limits;               /* policy limits, as eval's options set them */
    size_t max_body;                /* --max-body-size (413 beyond) */
    size_t max_header;              /* --max-header-size (431 beyond: libmicrohttpd's memory per connection) */
    unsigned max_connections;       /* --max-connections */
    unsigned workers;               /* --workers: evaluation processes */
    unsigned worker_slots;          /* --worker-slots: requests a worker holds at once */
    unsigned queue;                 /* --queue: requests that may wait for a worker (503 beyond) */
    double request_timeout;         /* --request-timeout: seconds a connection may idle (slowloris) */
    double queue_wait;              /* --queue-wait: seconds a request waits for a worker before 503 */
    double drain;                   /* --drain: seconds SIGTERM waits for requests in flight */
    int retry_after;                /* seconds a 503 asks the client to wait */
    /* Values of the options the integrations declare (rg_serve_hook_options), by index;
     * NULL when not given. */
    const char *extra[RG_SERVE_MAX_EXTRA_OPTIONS];
} rg_serve_config;

/* The configuration the server runs with (never NULL). */
const rg_serve_config *rg_serve_config_get(const rg_serve *srv);

/* The file the server writes (--port-file, or one of --store's) that POL was loaded from
 * or is one of PLUGINS' files; NULL when none.  The files its options name are held to
 * them by rg_serve_parse_args. */
const char *rg_serve_writes_read_file(const rg_serve_config *c, const rg_policy *pol, const rg_plugins *plugins);

/* An option the integrations add to relgate serve (cli/serve_hooks.c): "--github-secret-file"
 * etc.  Its value lands in rg_serve_config.extra[index in the table]. */
typedef struct rg_serve_extra_option {
    const char *name;     /* "--github-secret-file" */
    const char *needs;    /* "a path": what the value is, for messages */
    const char *help;     /* one line for --help (after the name and its metavar) */
} rg_serve_extra_option;

/* The integrations' options: a table ending with a row whose NAME is NULL (serve_hooks.c). */
extern const rg_serve_extra_option rg_serve_hook_options[];

/* ---- Requests and responses ------------------------------------------------------------ */

#define RG_SERVE_MAX_HEADERS 8

typedef struct rg_serve_request rg_serve_request;
struct rg_serve_request {
    const char *method;        /* "GET", "POST", ... */
    const char *path;          /* "/v1/decisions/abc" (no query string) */
    const char *rest;          /* the part of PATH after the route's prefix */
    const char *body;          /* the whole body, NUL-terminated ("" when none) */
    size_t body_len;
    /* The value of header NAME (case-insensitive), or NULL; and of query argument NAME. */
    const char *(*header)(const rg_serve_request *req, const char *name);
    const char *(*query)(const rg_serve_request *req, const char *name);
    /* Query argument NAME given once, with a value: 1 and *VALUE; 0 when absent; -1 when
     * it is repeated, has no value ("?name", "?name="), or holds a NUL ("%00"): a route
     * that narrows its answer by it must not read such a request as asking for all. */
    int (*query_once)(const rg_serve_request *req, const char *name, const char **value);
    void *conn;                /* the server's: what HEADER and QUERY read */
};

typedef struct rg_serve_response {
    int status;                /* 0 until set: then 500 */
    const char *content_type;  /* a static string; NULL: application/json */
    char *body;                /* heap (the server frees it), or NULL for none */
    size_t body_len;
    int header_count;
    char headers[RG_SERVE_MAX_HEADERS][2][256];   /* extra headers: name, value */
} rg_serve_response;

/* STATUS with BODY (heap, taken; NULL: none) as CONTENT_TYPE (static; NULL: JSON). */
void rg_serve_respond(rg_serve_response *resp, int status, const char *content_type, char *body);
/* STATUS with a copy of TEXT. */
void rg_serve_respond_text(rg_serve_response *resp, int status, const char *content_type, const char *text);
/* STATUS with an error decision ({"decision": "error", "error": {KIND, MESSAGE}}), as
 * relgate eval prints one. */
void rg_serve_respond_error(rg_serve_response *resp, int status, rg_error_kind kind, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* One more header (NAME: VALUE, each cut at 255 bytes); dropped past RG_SERVE_MAX_HEADERS. */
void rg_serve_respond_header(rg_serve_response *resp, const char *name, const char *value);

/* ---- Routes ------------------------------------------------------------------------ */

typedef void (*rg_serve_handler)(rg_serve *srv, const rg_serve_request *req, rg_serve_response *resp,
                                 void *arg);

enum {
    RG_ROUTE_EXACT = 1,      /* the path must be PREFIX itself, not merely begin with it */
    RG_ROUTE_PUBLIC = 2,     /* no bearer token needed (health checks; webhooks that check
                              * their own signature) */
    RG_ROUTE_BODY_TO_WORKER = 4, /* the handler reads nothing of the body and gives it to
                              * rg_serve_decide, whose worker checks it as every other body
                              * is checked here (rg_json_check) before it reads it: checked
                              * once, not in the server and again in the worker */
};

/* Register METHOD ("GET", "POST"; "*" any) and the path PREFIX -> FN(ARG).  The longest
 * matching prefix wins; a path matched with another method is answered 405.  Call
 * before the server starts (rg_serve_hooks_register).  0, or -1 when the table is full. */
int rg_serve_route_add(rg_serve *srv, const char *method, const char *prefix, unsigned flags,
                       rg_serve_handler fn, void *arg);

/* The integrations register their routes here (cli/serve_hooks.c), once, before the
 * server listens.  0, or -1 with a message on stderr: the server does not start. */
int rg_serve_hooks_register(rg_serve *srv);

/* The integrations stop (cli/serve_hooks.c): called once the HTTP server has drained and
 * before the workers and the store close, so that nothing of theirs outlives what they
 * use (their threads decide and post callbacks). */
void rg_serve_hooks_stop(rg_serve *srv);

/* ---- Deciding ----------------------------------------------------------------------- */

/* Evaluate BODY (LEN bytes, a POST /v1/decisions document: {"context": {...}, "stage",
 * "type", "now", "evidence": {NAME: {"text"|"json"|"base64"}}}) exactly as POST
 * /v1/decisions does: in a worker process, the decision stored before it is answered,
 * signed with --signing-key.  IDEMPOTENCY_KEY (may be NULL): the decision stored under
 * it is answered instead, when there is one and it was made for this BODY, byte for
 * byte; under a key whose decision was made for another body (or for a body whose digest
 * was not kept) the answer is 422 and nothing is evaluated.  Fills RESP: 200 with the
 * decision (+ "id") for allow, warn and deny; 400 with an error decision for bad input;
 * 422 for a key already used for another request; 500 for an error decision of the gate
 * (a policy error, a worker lost); 503 + Retry-After when the store cannot record it or
 * every worker is busy and the queue full.  Returns RESP->status.
 * FROM_OPERATOR: the body was built from the server's own configuration (a deployment
 * hook's rule), not sent by a client: its live sources are the operator's and need no
 * --live-source; a client's must match one (the server fetches with its credential). */
int rg_serve_decide(rg_serve *srv, const char *body, size_t len, const char *idempotency_key, int from_operator,
                    rg_serve_response *resp);

/* ---- The store ------------------------------------------------------------------------ */

/* Whether decisions are kept (--store given). */
int rg_serve_store_enabled(const rg_serve *srv);

/* The stored record of decision ID (compact JSON, heap), or NULL: none, or *FAILED set
 * when the store could not be read. */
char *rg_serve_store_find(rg_serve *srv, const char *id, int *failed);

/* ---- Metrics ------------------------------------------------------------------------ */

/* Add DELTA to counter NAME (a Prometheus metric name, "relgate_hooks_github_total") with
 * LABELS ('kind="approved"' or NULL).  Counters are created on first use (at most 64 name
 * and label pairs beyond the core's); their HELP is HELP (a static string). */
void rg_serve_metric_add(rg_serve *srv, const char *name, const char *help, const char *labels, double delta);

#endif
