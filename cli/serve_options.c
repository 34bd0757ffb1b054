/* relgate serve's options (serve_internal.h): the same table-driven parser as every
 * command (options.h), and the policy limits as eval takes them.  The server's workers
 * are started with the same arguments and parse them here too: one reading of them. */
#include <stdarg.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "error.h"
#include "fileio.h"
#include "options.h"
#include "serve_internal.h"
#include "serve_worker.h"

static const char SERVE_USAGE[] =
    "usage: relgate serve --policy PATH --listen HOST:PORT [options]\n"
    "\n"
    "Answer release-gate decisions over HTTP: POST /v1/decisions evaluates a context\n"
    "(evidence inline) with the policy loaded once, in worker processes; SIGHUP reloads\n"
    "the policy, SIGTERM drains in-flight requests and exits 0.\n"
    "\n"
    "  --policy PATH          policy file (.lua), or a directory of them\n"
    "  --listen HOST:PORT     address to listen on (port 0: any free port, see --port-file)\n"
    "  --store URL            keep every decision in the decision log URL: a path (JSON\n"
    "                         lines), sqlite:PATH or postgresql://...; a decision is only\n"
    "                         answered once stored (503 otherwise); GET /v1/decisions/ID,\n"
    "                         Idempotency-Key and last-good read it\n"
    "  --token-file PATH      require 'Authorization: Bearer TOKEN', TOKEN's SHA-256 (hex)\n"
    "                         one of the file's lines (401 otherwise); SIGHUP rereads it\n"
    "  --tls-cert PATH        HTTPS with this certificate (PEM) ...\n"
    "  --tls-key PATH         ... and its private key (PEM)\n"
    "  --signing-key KEY      sign every decision (GET /v1/decisions/ID/attestation): a\n"
    "                         PKCS#8 PEM key, ECDSA P-256 or Ed25519, readable by its owner only\n"
    "  --verifier-id URI      the verifier the attestations name\n"
    "  --resource-uri URI     the resource they are about (default: release.resource_uri,\n"
    "                         else pkg:generic/NAME@VERSION)\n"
    "  --evidence-root DIR    evidence paths in a context must stay inside DIR (without it\n"
    "                         only inline evidence and live sources are accepted)\n"
    "  --live-source PATTERN  a live source a request's context may name, fetched with this\n"
    "                         server's credential: github:OWNER/REPO or gitlab:PROJECT, a\n"
    "                         glob (github:octo-org/*), or * for any (repeatable; without it\n"
    "                         a client's live source is refused; a deployment hook's rule\n"
    "                         is the configuration's own)\n"
    "  --allow-client-now     take a request's \"now\" as the evaluation time (replays,\n"
    "                         tests); without it such a request is refused: deploy windows,\n"
    "                         evidence ages and waiver expiry are judged at the server's clock\n"
    "  --port-file PATH       write the port listened on to PATH once listening\n"
    "  --plugin-path DIR      look for check plugins in DIR first (repeatable)\n"
    "  --policy-path DIR      where extends and require look after the policy's own\n"
    "                         directory (repeatable, before RELGATE_POLICY_PATH)\n"
    "\n"
    "limits:\n"
    "  --workers N            evaluation worker processes (default: one per CPU, at least 2)\n"
    "  --worker-slots N       requests a worker holds at once: the one it evaluates, the\n"
    "                         next ones already in its pipes (1 to 8, default 8)\n"
    "  --queue N              requests that may wait, for a worker or in a worker's slot\n"
    "                         (default 64); beyond, 503 with Retry-After\n"
    "  --queue-wait SECONDS   longest wait for a worker's slot before 503 (default 30)\n"
    "  --max-body-size SIZE   largest request body (default 16M; 413 beyond)\n"
    "  --max-header-size SIZE memory for a request's headers (default 32K)\n"
    "  --max-connections N    connections at once (default 128)\n"
    "  --request-timeout SECONDS  a request must arrive whole within this, however\n"
    "                         slowly it trickles (default 30)\n"
    "  --retry-after SECONDS  what a 503 asks a client to wait (default 1)\n"
    "  --drain SECONDS        how long SIGTERM waits for requests in flight; then a\n"
    "                         worker that has not answered is ended (default 60)\n"
    "  -j, --jobs N           plugin checks run at once in one evaluation\n"
    "  --check-timeout SECONDS  time a plugin check may take (default 30)\n"
    "  --check-memory SIZE    memory a plugin check may use (default 1G)\n"
    "  --max-context-size SIZE  largest context document (default 16M)\n"
    "  --max-evidence-size SIZE largest evidence file a policy reads (default 1M)\n"
    "  --max-check-evidence-size SIZE  largest evidence file a plugin check reads (256M)\n"
    "  --max-json-depth N     deepest JSON nesting accepted (default 64)\n"
    "  --max-requirements N   most requirements a policy may declare (default 1000)\n"
    "  --max-memory SIZE      policy memory limit (default 64M)\n"
    "  --max-instructions N   policy instruction limit (default 200000000)\n"
    "  --timeout SECONDS      policy wall-time limit (default 10)\n"
    "  -h, --help             show this help\n";

static const char SERVE_USAGE_END[] =
    "\n"
    "routes: POST /v1/decisions, GET /v1/decisions/ID, GET /v1/decisions/ID/attestation,\n"
    "GET /v1/releases/NAME/last-good, GET /health, GET /ready, GET /metrics.\n"
    "exit codes: 0 after SIGTERM (drained), 2 when it cannot start.\n"
    "More: man relgate; " RG_DOC_DIR "/service.md.\n";

enum {
    OPT_POLICY, OPT_LISTEN, OPT_STORE, OPT_TOKEN_FILE, OPT_TLS_CERT, OPT_TLS_KEY, OPT_SIGNING_KEY, OPT_VERIFIER_ID,
    OPT_RESOURCE_URI, OPT_EVIDENCE_ROOT, OPT_LIVE_SOURCE, OPT_ALLOW_CLIENT_NOW, OPT_PORT_FILE, OPT_PLUGIN_PATH, OPT_POLICY_PATH, OPT_WORKERS, OPT_WORKER_SLOTS, OPT_QUEUE,
    OPT_QUEUE_WAIT, OPT_DRAIN, OPT_MAX_BODY, OPT_MAX_HEADER, OPT_MAX_CONNECTIONS, OPT_REQUEST_TIMEOUT, OPT_RETRY_AFTER,
    OPT_LIMIT,
    OPT_EXTRA   /* OPT_EXTRA + i: rg_serve_hook_options[i] */
};

static const rg_option SERVE_OPTIONS[] = {
    {"--policy", NULL, "a path", OPT_POLICY},
    {"--listen", NULL, "HOST:PORT such as 127.0.0.1:8080", OPT_LISTEN},
    {"--store", NULL, "a path or URL", OPT_STORE},
    {"--token-file", NULL, "a path", OPT_TOKEN_FILE},
    {"--tls-cert", NULL, "a PEM certificate file", OPT_TLS_CERT},
    {"--tls-key", NULL, "a PEM private key file", OPT_TLS_KEY},
    {"--signing-key", NULL, "a PEM private key file", OPT_SIGNING_KEY},
    {"--verifier-id", NULL, "a URI", OPT_VERIFIER_ID},
    {"--resource-uri", NULL, "a URI", OPT_RESOURCE_URI},
    {"--evidence-root", NULL, "a directory", OPT_EVIDENCE_ROOT},
    {"--live-source", NULL, "github:OWNER/REPO or gitlab:PROJECT (a glob)", OPT_LIVE_SOURCE | RG_OPT_REPEATS},
    {"--allow-client-now", NULL, NULL, OPT_ALLOW_CLIENT_NOW},
    {"--port-file", NULL, "a path", OPT_PORT_FILE},
    {"--plugin-path", NULL, "a directory", OPT_PLUGIN_PATH | RG_OPT_REPEATS},
    {"--policy-path", NULL, "a directory", OPT_POLICY_PATH | RG_OPT_REPEATS},
    {"--workers", NULL, "a number from 1 to 256", OPT_WORKERS},
    {"--worker-slots", NULL, "a number from 1 to 8", OPT_WORKER_SLOTS},
    {"--queue", NULL, "a number from 0 to 100000", OPT_QUEUE},
    {"--queue-wait", NULL, "a number of seconds", OPT_QUEUE_WAIT},
    {"--drain", NULL, "a number of seconds", OPT_DRAIN},
    {"--max-body-size", NULL, "a size such as 16M", OPT_MAX_BODY},
    {"--max-header-size", NULL, "a size such as 32K", OPT_MAX_HEADER},
    {"--max-connections", NULL, "a number from 1 to 10000", OPT_MAX_CONNECTIONS},
    {"--request-timeout", NULL, "a number of seconds", OPT_REQUEST_TIMEOUT},
    {"--retry-after", NULL, "a number of seconds", OPT_RETRY_AFTER},
    RG_CLI_EVALUATION_LIMIT_OPTIONS(OPT_LIMIT),
    RG_CLI_LIMIT_OPTIONS(OPT_LIMIT),
};

#define CORE_OPTION_COUNT (sizeof SERVE_OPTIONS / sizeof SERVE_OPTIONS[0])

static int usage(const char *fmt, ...) RG_PRINTF(1, 2);

static int usage(const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return rg_cli_usage("serve", msg);
}

static void print_help(void)
{
    fputs(SERVE_USAGE, stdout);
    if (rg_serve_hook_options[0].name) {
        fputs("\nintegrations:\n", stdout);
        for (const rg_serve_extra_option *x = rg_serve_hook_options; x->name; x++)
            printf("  %-22s %s\n", x->name, x->help ? x->help : "");
    }
    fputs(SERVE_USAGE_END, stdout);
}

/* A whole number from LO to HI into *OUT; 0 or -1. */
static int parse_range(const char *v, uint64_t lo, uint64_t hi, unsigned *out)
{
    uint64_t n;
    if (strcmp(v, "0") == 0 && lo == 0) {
        *out = 0;
        return 0;
    }
    if (rg_cli_parse_count(v, &n) != 0 || n < lo || n > hi)
        return -1;
    *out = (unsigned)n;
    return 0;
}

static int take_option(rg_serve_config *c, int id, const char *name, const char *v)
{
    unsigned u;
    double secs;
    switch (id) {
    case OPT_POLICY: c->policy = v; break;
    case OPT_LISTEN: c->listen = v; break;
    case OPT_STORE: c->store = v; break;
    case OPT_TOKEN_FILE: c->token_file = v; break;
    case OPT_TLS_CERT: c->tls_cert = v; break;
    case OPT_TLS_KEY: c->tls_key = v; break;
    case OPT_SIGNING_KEY: c->signing_key = v; break;
    case OPT_VERIFIER_ID: c->verifier_id = v; break;
    case OPT_RESOURCE_URI: c->resource_uri = v; break;
    case OPT_EVIDENCE_ROOT: c->evidence_root = v; break;
    case OPT_LIVE_SOURCE:
        if (strncmp(v, "github:", 7) != 0 && strncmp(v, "gitlab:", 7) != 0 && strcmp(v, "*") != 0)
            return usage("--live-source '%.100s' is not github:OWNER/REPO, gitlab:PROJECT (globs allowed) or *", v);
        if (c->live_source_count == RG_SERVE_MAX_LIVE_SOURCES)
            return usage("at most %d --live-source options", RG_SERVE_MAX_LIVE_SOURCES);
        c->live_sources[c->live_source_count++] = v;
        break;
    case OPT_ALLOW_CLIENT_NOW: c->allow_client_now = 1; break;
    case OPT_PORT_FILE: c->port_file = v; break;
    case OPT_PLUGIN_PATH: {
        const char *full = rg_cli_plugin_dir_add(c->plugin_dirs, &c->plugin_dir_count, v);
        if (full)
            return usage("%s", full);
        break;
    }
    case OPT_POLICY_PATH: {
        char why[300];
        if (rg_cli_policy_path(v, why, sizeof why) != 0)
            return usage("%s", why);
        break;
    }
    case OPT_WORKERS:
        if (parse_range(v, 1, 256, &c->workers) != 0)
            return usage("--workers '%s' is not a number from 1 to 256", v);
        break;
    case OPT_WORKER_SLOTS:
        if (parse_range(v, 1, RG_SERVE_SLOTS_MAX, &c->worker_slots) != 0)
            return usage("--worker-slots '%s' is not a number from 1 to %d", v, RG_SERVE_SLOTS_MAX);
        break;
    case OPT_QUEUE:
        if (parse_range(v, 0, 100000, &c->queue) != 0)
            return usage("--queue '%s' is not a number from 0 to 100000", v);
        break;
    case OPT_MAX_CONNECTIONS:
        if (parse_range(v, 1, 10000, &c->max_connections) != 0)
            return usage("--max-connections '%s' is not a number from 1 to 10000", v);
        break;
    case OPT_QUEUE_WAIT:
        if (rg_cli_parse_seconds(v, &c->queue_wait) != 0)
            return usage("--queue-wait '%s' is not a number of seconds", v);
        break;
    case OPT_DRAIN:
        if (rg_cli_parse_seconds(v, &c->drain) != 0)
            return usage("--drain '%s' is not a number of seconds", v);
        break;
    case OPT_REQUEST_TIMEOUT:
        if (rg_cli_parse_seconds(v, &secs) != 0 || secs < 1)
            return usage("--request-timeout '%s' is not a number of seconds, at least 1", v);
        c->request_timeout = secs;
        break;
    case OPT_RETRY_AFTER:
        if (parse_range(v, 1, 3600, &u) != 0)
            return usage("--retry-after '%s' is not a number of seconds from 1 to 3600", v);
        c->retry_after = (int)u;
        break;
    case OPT_MAX_BODY:
        if (rg_cli_parse_size(v, &c->max_body) != 0)
            return usage("--max-body-size '%s' is not a size such as 16M", v);
        break;
    case OPT_MAX_HEADER:
        if (rg_cli_parse_size(v, &c->max_header) != 0 || c->max_header < 4096 || c->max_header > (64u << 20))
            return usage("--max-header-size '%s' is not a size from 4K to 64M", v);
        break;
    case OPT_LIMIT: {
        char why[160], msg[400];
        if (rg_cli_limit_option(name, v, &c->limits, why, sizeof why) != 0) {
            snprintf(msg, sizeof msg, "%s '%.100s' is not %s", name, v, why);
            return rg_cli_usage("serve", msg);
        }
        break;
    }
    default:
        if (id >= OPT_EXTRA && id - OPT_EXTRA < RG_SERVE_MAX_EXTRA_OPTIONS)
            c->extra[id - OPT_EXTRA] = v;
    }
    return -1;
}

static void defaults(rg_serve_config *c)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    memset(c, 0, sizeof *c);
    c->limits = rg_limits_default();
    c->workers = cpus > 2 ? (unsigned)cpus : 2;
    c->worker_slots = 8;   /* measured against 4: docs/performance.md */
    c->queue = 64;
    c->queue_wait = 30;
    c->drain = 60;
    c->max_body = 16u << 20;
    c->max_header = 32u << 10;
    c->max_connections = 128;
    c->request_timeout = 30;
    c->retry_after = 1;
}

static int serve_reads(const rg_serve_config *c, const char *path);

int rg_serve_parse_args(int argc, char **argv, rg_serve_config *c)
{
    rg_option table[CORE_OPTION_COUNT + RG_SERVE_MAX_EXTRA_OPTIONS + 1];
    size_t n = CORE_OPTION_COUNT;
    rg_opt_state st;
    const char *v;
    char msg[256];
    int id, rc;

    defaults(c);
    memcpy(table, SERVE_OPTIONS, sizeof SERVE_OPTIONS);
    for (size_t i = 0; rg_serve_hook_options[i].name && i < RG_SERVE_MAX_EXTRA_OPTIONS; i++) {
        rg_option row = {rg_serve_hook_options[i].name, NULL, rg_serve_hook_options[i].needs, OPT_EXTRA + (int)i};
        table[n++] = row;
    }
    memset(&table[n], 0, sizeof table[n]);
    rg_opt_start(&st, argc, argv);
    while ((id = rg_opt_next(&st, table, &v, msg, sizeof msg)) != RG_OPT_END) {
        if (id == RG_OPT_HELP) {
            print_help();
            return 0;
        }
        if (id == RG_OPT_ERROR)
            return rg_cli_usage("serve", msg);
        if (id == RG_OPT_POSITIONAL)
            return usage("unknown option '%.200s'", v);
        if ((rc = take_option(c, id, st.name, v)) >= 0)
            return rc;
    }
    if (!c->policy)
        return rg_cli_usage("serve", "--policy is required");
    if (!c->listen)
        return rg_cli_usage("serve", "--listen is required");
    if (!c->tls_cert != !c->tls_key)
        return usage("%s '%s' needs its pair (--tls-cert and --tls-key go together)",
                     c->tls_cert ? "--tls-cert" : "--tls-key", c->tls_cert ? c->tls_cert : c->tls_key);
    if (!c->signing_key && (c->verifier_id || c->resource_uri))
        return usage("%s '%s' needs --signing-key", c->verifier_id ? "--verifier-id" : "--resource-uri",
                     c->verifier_id ? c->verifier_id : c->resource_uri);
    /* The files the server writes: the port file and its store's (the log, its head,
     * SQLite's journal): never over a file it reads, nor over each other.  The files the
     * policy and the plugins were loaded from: rg_serve_writes_read_file, once loaded. */
    if (c->port_file && c->store && rg_log_keeps_file(c->store, c->port_file))
        return usage("--port-file '%.200s' would be written over the store: give it a file of its own", c->port_file);
    if (c->port_file && serve_reads(c, c->port_file))
        return usage("--port-file '%.200s' would be written over the policy, the hooks, a token file, a key or "
                     "the evidence: give it a file of its own", c->port_file);
    {
        char kept[PATH_MAX];
        /* (hostile round 41a, F06: --store p.lua appended records to the policy) */
        for (size_t i = 0; c->store && rg_log_kept_file(c->store, i, kept, sizeof kept) == 0; i++)
            if (serve_reads(c, kept))
                return usage("--store '%.200s' would write %.200s over the policy, the hooks, a token file, a key "
                             "or the evidence: give the store a file of its own",
                             c->store, kept);
    }
    return -1;
}

/* Whether PATH is a file the server reads by its options: the policy, a token file, a
 * TLS file, the signing key, the integrations' files (--hooks; those a hooks file names:
 * serve_hooks.c), or anything under --evidence-root. */
static int serve_reads(const rg_serve_config *c, const char *path)
{
    const char *read[] = {c->policy, c->token_file, c->tls_cert, c->tls_key, c->signing_key};
    for (size_t i = 0; i < sizeof read / sizeof *read; i++)
        if (rg_same_place(path, read[i]))
            return 1;
    for (size_t i = 0; rg_serve_hook_options[i].name; i++)
        if (strcmp(rg_serve_hook_options[i].needs, "a path") == 0 && rg_same_place(path, c->extra[i]))
            return 1;
    return c->evidence_root && rg_cli_beneath(c->evidence_root, path);
}

/* Whether PATH is a file POL was loaded from (a module, a directory policy's member, the
 * lock) or one of PLUGINS' (hostile round 41a, F01: the port written over a plugin). */
static int loaded_from(const rg_policy *pol, const rg_plugins *plugins, const char *path)
{
    if (pol && rg_policy_reads_file(pol, path))
        return 1;
    for (size_t i = 0; plugins && i < rg_plugins_count(plugins); i++)
        if (rg_same_place(path, rg_plugin_attr_get(plugins, i, RG_PLUGIN_PATH)))
            return 1;
    return 0;
}

const char *rg_serve_writes_read_file(const rg_serve_config *c, const rg_policy *pol, const rg_plugins *plugins)
{
    static char kept[PATH_MAX];   /* the name returned for a store's file (one thread) */
    for (size_t i = 0; c->store && rg_log_kept_file(c->store, i, kept, sizeof kept) == 0; i++)
        if (loaded_from(pol, plugins, kept))
            return kept;
    return c->port_file && loaded_from(pol, plugins, c->port_file) ? c->port_file : NULL;
}
