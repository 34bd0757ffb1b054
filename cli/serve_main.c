/* relgate-serve: the server's program, which `relgate serve` execs (cmd_serve.c), and
 * its evaluation workers (`relgate-serve __worker ...`, serve_worker.c).
 *
 * A program of its own, not a part of the relgate command: it links libmicrohttpd (and
 * through it GnuTLS) and runs threads, and relgate eval's cold path maps neither; its
 * workers are this same program exec'd anew, never forked from the threaded server.
 *
 * The main thread owns the signals: every other thread starts with them blocked, and it
 * waits for them with sigwait -- SIGHUP reloads the token file and the policy (a new
 * worker generation), SIGTERM and SIGINT drain in-flight requests and end the server
 * with exit code 0. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <sys/resource.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "error.h"
#include "fileio.h"
#include "serve_internal.h"
#include "serve_notify.h"
#include "serve_worker.h"

static int write_port_file(const char *path, unsigned port, rg_error *err)
{
    char text[16];
    snprintf(text, sizeof text, "%u\n", port);
    return rg_write_file_atomic(path, text, strlen(text), err);
}

/* SIGHUP, the tokens: read --token-file again.  First, so that a token revoked stops
 * letting its holder in without waiting for the policy's workers to load. */
static void reload_tokens(rg_serve *srv)
{
    rg_error err;
    size_t count;
    rg_error_init(&err);
    if (rg_serve_tokens_reload(srv->tokens, &count, &err) != 0) {
        fprintf(stderr, "relgate: serve: the token file did not reload: %s; still accepting the %zu token%s read before\n",
                err.message, count, count == 1 ? "" : "s");
        rg_serve_metric_add(srv, "relgate_token_reloads_total", "Token file reloads (SIGHUP), by result",
                            "result=\"failed\"", 1);
    } else {
        fprintf(stderr, "relgate: serve: token file reloaded: %zu token%s\n", count, count == 1 ? "" : "s");
        rg_serve_metric_add(srv, "relgate_token_reloads_total", "Token file reloads (SIGHUP), by result",
                            "result=\"ok\"", 1);
    }
    rg_error_clear(&err);
}

/* SIGHUP, the policy: a new generation of workers, or the old one kept. */
static void reload_policy(rg_serve *srv)
{
    rg_error err;
    char digest[RG_SERVE_DIGEST_SIZE];
    rg_error_init(&err);
    if (rg_serve_pool_reload(srv->pool, &err) != 0) {
        rg_serve_pool_digest(srv->pool, digest, sizeof digest);
        fprintf(stderr, "relgate: serve: the policy did not reload: %s; still serving policy %s\n", err.message,
                digest);
        rg_serve_metric_add(srv, "relgate_policy_reloads_total", "Policy reloads (SIGHUP), by result",
                            "result=\"failed\"", 1);
    } else {
        rg_serve_pool_digest(srv->pool, digest, sizeof digest);
        fprintf(stderr, "relgate: serve: policy reloaded: %s\n", digest);
        rg_serve_metric_add(srv, "relgate_policy_reloads_total", "Policy reloads (SIGHUP), by result",
                            "result=\"ok\"", 1);
    }
    rg_error_clear(&err);
}

/* Wait for signals and act on them until SIGTERM or SIGINT. */
static void signal_loop(rg_serve *srv, const sigset_t *set)
{
    for (;;) {
        int sig;
        if (sigwait(set, &sig) != 0)
            continue;
        if (sig == SIGHUP) {
            if (srv->tokens)
                reload_tokens(srv);
            reload_policy(srv);
            continue;
        }
        fprintf(stderr, "relgate: serve: %s: draining in-flight requests\n", sig == SIGTERM ? "SIGTERM" : "SIGINT");
        return;
    }
}

static int serve(int argc, char **argv)
{
    static rg_serve srv;   /* big (paths, routes): not on the stack */
    rg_serve_http *http = NULL;
    rg_error err;
    sigset_t set;
    ssize_t n;
    int rc = RG_EXIT_ERROR;

    rg_error_init(&err);
    rc = rg_serve_parse_args(argc, argv, &srv.config);
    if (rc >= 0)
        return rc;
    rc = RG_EXIT_ERROR;
    srv.argc = argc;
    srv.argv = argv;
    srv.workdir_lock = -1;
    pthread_mutex_init(&srv.lock, NULL);
    pthread_cond_init(&srv.idle, NULL);
    if ((n = readlink("/proc/self/exe", srv.self, sizeof srv.self - 1)) <= 0) {
        rg_fail(&err, RG_ERROR_IO, NULL, 0, 0, "cannot find this program (/proc/self/exe): %s", strerror(errno));
        rg_cli_report(&err);
        return RG_EXIT_ERROR;
    }
    srv.self[n] = '\0';
    /* Signals: blocked in every thread (they inherit it), taken by sigwait below; a
     * closed pipe or socket is an error to handle, not a signal. */
    sigemptyset(&set);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    /* Descriptors: a worker holds 1 + 2 * --worker-slots pipes in the server and a
     * connection a socket; a soft limit of 1024 (a common default) is met at about sixty
     * workers of the default 8 slots, so it is raised to the hard limit (best effort). */
    {
        struct rlimit nofile;
        if (getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur < nofile.rlim_max) {
            nofile.rlim_cur = nofile.rlim_max;
            (void)setrlimit(RLIMIT_NOFILE, &nofile);
        }
    }
    if (!(srv.metrics = rg_serve_metrics_new())) {
        rg_fail(&err, RG_ERROR_INTERNAL, NULL, 0, 0, "out of memory");
        goto out;
    }
    if (srv.config.token_file && !(srv.tokens = rg_serve_tokens_load(srv.config.token_file, &err)))
        goto out;
    /* The store first: nothing is decided that could not be recorded. */
    if (srv.config.store && !(srv.store = rg_serve_store_open(srv.config.store, srv.config.signing_key, &err)))
        goto out;
    if (srv.config.signing_key && !srv.store) {
        /* Checked here, so that a bad key stops the server, not each worker (the store,
         * when there is one, loaded it already to sign its records' positions). */
        rg_signer *s = rg_signer_load(srv.config.signing_key, &err);
        if (!s)
            goto out;
        rg_signer_free(s);
    }
    if (rg_serve_workdir_make(&srv, &err) != 0)
        goto out;
    if (rg_serve_core_routes(&srv) != 0) {
        rg_fail(&err, RG_ERROR_INTERNAL, NULL, 0, 0, "the route table is full");
        goto out;
    }
    if (rg_serve_hooks_register(&srv) != 0) {
        rg_fail(&err, RG_ERROR_USAGE, NULL, 0, 0, "the integrations' settings are not usable (see above)");
        goto out;
    }
    if (!(srv.pool = rg_serve_pool_start(&srv, &err)))
        goto out;
    if (!(http = rg_serve_http_start(&srv)))
        goto stop_pool;
    if (srv.config.port_file && write_port_file(srv.config.port_file, rg_serve_http_port(http), &err) != 0) {
        rg_serve_http_stop(http, 0);
        goto stop_pool;
    }
    {
        char digest[RG_SERVE_DIGEST_SIZE];
        rg_serve_pool_digest(srv.pool, digest, sizeof digest);
        fprintf(stderr, "relgate: serve: listening on %s (port %u), policy %s, %u workers\n", srv.config.listen,
                rg_serve_http_port(http), digest, srv.config.workers);
    }
    rg_serve_notify("READY=1");     /* systemd, Type=notify (examples/systemd/relgate.service) */
    signal_loop(&srv, &set);
    rg_serve_notify("STOPPING=1");
    rg_serve_http_stop(http, srv.config.drain);
    rc = 0;
stop_pool:
    rg_serve_hooks_stop(&srv);   /* the integrations' threads, before what they use closes */
    rg_serve_pool_stop(srv.pool);
out:
    if (err.kind != RG_ERROR_NONE)
        rg_cli_report(&err);
    rg_error_clear(&err);
    rg_serve_workdir_remove(&srv);
    rg_serve_store_close(srv.store);
    rg_serve_tokens_free(srv.tokens);
    rg_serve_metrics_free(srv.metrics);
    for (size_t i = 0; i < sizeof srv.keys / sizeof srv.keys[0]; i++)
        free(srv.keys[i]);
    return rc;
}

int main(int argc, char **argv)
{
    if (rg_cli_standard_streams() != 0)
        return RG_EXIT_ERROR;
    rg_cli_undumpable();
    if (argc > 1 && strcmp(argv[1], RG_SERVE_WORKER_COMMAND) == 0)
        return rg_serve_worker_main(argc - 1, argv + 1);
    /* The hidden command the watchdog execs into (watchdog.c): a worker's never logs, but
     * the one implementation expects it. */
    if (argc > 1 && strcmp(argv[1], "__watchdog-log") == 0)
        return rg_cli_watchdog_append(argc, argv);
    /* `relgate serve ARGS` execs `relgate-serve serve ARGS`; run alone it takes ARGS too. */
    if (argc > 1 && strcmp(argv[1], "serve") == 0)
        return serve(argc - 1, argv + 1);
    return serve(argc, argv);
}
