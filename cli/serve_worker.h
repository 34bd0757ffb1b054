/* relgate serve: what the server and its evaluation workers agree on (serve_pool.c,
 * serve_worker.c). */
#ifndef RG_CLI_SERVE_WORKER_H
#define RG_CLI_SERVE_WORKER_H

#define RG_SERVE_WORKER_COMMAND "__worker"   /* relgate-serve __worker <server arguments> */
/* A worker holds up to RG_SERVE_SLOTS_MAX requests at once, each in a slot with pipes of
 * its own: its descriptor 3 says which slot to read next, one byte per request in the
 * order they arrive, and slot S's request comes on descriptor 4 + 2S and its answer goes
 * back on 5 + 2S (serve_pool.c). */
#define RG_SERVE_SLOTS_MAX 8
#define RG_SERVE_WORKER_BELL 3
#define RG_SERVE_WORKER_IN(slot) (4 + 2 * (int)(slot))
#define RG_SERVE_WORKER_OUT(slot) (5 + 2 * (int)(slot))
#define RG_SERVE_HELLO_MAGIC 0x4f4c4548u     /* "HELO" */
#define RG_SERVE_REQUEST_MAGIC 0x51455352u   /* "RSEQ" */
/* A request's flags (the fourth word of its head): built from the server's own
 * configuration (a deployment hook's rule), not sent by a client. */
#define RG_SERVE_REQUEST_FROM_OPERATOR 1u
/* Where a worker keeps each request's inline evidence: a private directory the server
 * made (0700), named in the worker's environment. */
#define RG_SERVE_WORKDIR_ENV "RELGATE_SERVE_WORKDIR"
/* The exit status of a worker the watchdog ended (a policy stuck in a library call). */
#define RG_SERVE_EXIT_TIMEOUT 124

#endif
