/* relgate serve: what the server and its evaluation workers agree on (serve_pool.c,
 * serve_worker.c). */
#ifndef RG_CLI_SERVE_WORKER_H
#define RG_CLI_SERVE_WORKER_H

#define RG_SERVE_WORKER_COMMAND "__worker"   /* relgate-serve __worker <server arguments> */
#define RG_SERVE_WORKER_IN 3                 /* the worker's descriptor for requests */
#define RG_SERVE_WORKER_OUT 4                /* and for its records */
#define RG_SERVE_HELLO_MAGIC 0x4f4c4548u     /* "HELO" */
#define RG_SERVE_REQUEST_MAGIC 0x51455352u   /* "RSEQ" */
/* Where a worker keeps each request's inline evidence: a private directory the server
 * made (0700), named in the worker's environment. */
#define RG_SERVE_WORKDIR_ENV "RELGATE_SERVE_WORKDIR"
/* The exit status of a worker the watchdog ended (a policy stuck in a library call). */
#define RG_SERVE_EXIT_TIMEOUT 124

#endif
