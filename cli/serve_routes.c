/* relgate serve: the route table and the core's routes (serve.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "error.h"
#include "serve_internal.h"
#include "strbuf.h"

/* ---- Responses ---------------------------------------------------------------------- */

void rg_serve_respond(rg_serve_response *resp, int status, const char *content_type, char *body)
{
    free(resp->body);
    resp->status = status;
    resp->content_type = content_type;
    resp->body = body;
    resp->body_len = body ? strlen(body) : 0;
}

void rg_serve_respond_text(rg_serve_response *resp, int status, const char *content_type, const char *text)
{
    char *copy = text ? strdup(text) : NULL;
    rg_serve_respond(resp, status, content_type, copy);
    if (text && !copy)
        resp->status = 500;
}

void rg_serve_respond_error(rg_serve_response *resp, int status, rg_error_kind kind, const char *fmt, ...)
{
    rg_error err;
    va_list ap;
    rg_error_init(&err);
    err.kind = kind;
    va_start(ap, fmt);
    vsnprintf(err.message, sizeof err.message, fmt, ap);
    va_end(ap);
    rg_serve_respond(resp, status, NULL, rg_error_to_json(&err, (int64_t)time(NULL)));
}

void rg_serve_respond_header(rg_serve_response *resp, const char *name, const char *value)
{
    if (resp->header_count >= RG_SERVE_MAX_HEADERS)
        return;
    rg_strlcpy(resp->headers[resp->header_count][0], name, sizeof resp->headers[0][0]);
    rg_strlcpy(resp->headers[resp->header_count][1], value, sizeof resp->headers[0][1]);
    resp->header_count++;
}

/* ---- The table ---------------------------------------------------------------------- */

int rg_serve_route_add(rg_serve *srv, const char *method, const char *prefix, unsigned flags,
                       rg_serve_handler fn, void *arg)
{
    rg_serve_route *r;
    if (srv->route_count >= RG_SERVE_MAX_ROUTES || strlen(method) >= sizeof r->method ||
        strlen(prefix) >= sizeof r->prefix)
        return -1;
    r = &srv->routes[srv->route_count++];
    rg_strlcpy(r->method, method, sizeof r->method);
    rg_strlcpy(r->prefix, prefix, sizeof r->prefix);
    r->flags = flags;
    r->fn = fn;
    r->arg = arg;
    return 0;
}

const rg_serve_config *rg_serve_config_get(const rg_serve *srv)
{
    return &srv->config;
}

static int matches(const rg_serve_route *r, const char *path)
{
    size_t n = strlen(r->prefix);
    if (strncmp(path, r->prefix, n) != 0)
        return 0;
    return (r->flags & RG_ROUTE_EXACT) ? path[n] == '\0' : 1;
}

void rg_serve_dispatch(rg_serve *srv, rg_serve_request *req, rg_serve_response *resp)
{
    const rg_serve_route *best = NULL;
    int path_known = 0;
    for (int i = 0; i < srv->route_count; i++) {
        const rg_serve_route *r = &srv->routes[i];
        if (!matches(r, req->path))
            continue;
        path_known = 1;
        if (strcmp(r->method, "*") != 0 && strcmp(r->method, req->method) != 0)
            continue;
        if (!best || strlen(r->prefix) > strlen(best->prefix))
            best = r;
    }
    if (!best) {
        if (path_known)
            rg_serve_respond_error(resp, 405, RG_ERROR_USAGE, "%s is not allowed on %.200s", req->method, req->path);
        else
            rg_serve_respond_error(resp, 404, RG_ERROR_USAGE, "no such resource: %.200s", req->path);
        return;
    }
    if (!(best->flags & RG_ROUTE_PUBLIC) && srv->tokens &&
        !rg_serve_tokens_accept(srv->tokens, req->header(req, "Authorization"))) {
        rg_serve_respond_error(resp, 401, RG_ERROR_USAGE, "a valid bearer token is required (Authorization: Bearer TOKEN)");
        rg_serve_respond_header(resp, "WWW-Authenticate", "Bearer realm=\"relgate\"");
        return;
    }
    /* A body that is not one JSON document as relgate reads every document (UTF-8, no NUL
     * escaped or not, no duplicate key, depth within --max-json-depth) is answered 400
     * before the route reads it: the routes and the workers read bodies with cJSON, which
     * would cut a string at an escaped NUL (an evidence path "a.md\u0000../../x" read as
     * "a.md") and take the first of two equal keys.  A route that gives the body unread
     * to a worker leaves it to the worker, which checks it the same way first. */
    if (req->body_len && !(best->flags & RG_ROUTE_BODY_TO_WORKER)) {
        rg_error err;
        rg_error_init(&err);
        if (rg_json_check(req->body, req->body_len, "the request body", &srv->config.limits, &err) != 0) {
            rg_serve_respond_error(resp, 400, RG_ERROR_USAGE, "%s", err.message);
            rg_error_clear(&err);
            return;
        }
    }
    req->rest = req->path + strlen(best->prefix);
    best->fn(srv, req, resp, best->arg);
    if (resp->status == 0)
        resp->status = 500;
}

/* ---- The core's routes ---------------------------------------------------------------- */

/* Whether the media type TYPE (a Content-Type value, may be NULL) is JSON. */
static int is_json(const char *type)
{
    size_t n = strlen("application/json");
    if (!type)
        return 0;
    while (*type == ' ')
        type++;
    return strncasecmp(type, "application/json", n) == 0 && (type[n] == '\0' || type[n] == ';' || type[n] == ' ');
}

static void post_decision(rg_serve *srv, const rg_serve_request *req, rg_serve_response *resp, void *arg)
{
    (void)arg;
    if (!is_json(req->header(req, "Content-Type"))) {
        rg_serve_respond_error(resp, 415, RG_ERROR_USAGE, "the body must be JSON (Content-Type: application/json)");
        return;
    }
    rg_serve_decide(srv, req->body, req->body_len, req->header(req, "Idempotency-Key"), 0, resp);
}

/* An id as the server makes them: 32 lower-case hex digits. */
static int valid_id(const char *id, size_t n)
{
    if (n != 32)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f')))
            return 0;
    return 1;
}

static void get_decision(rg_serve *srv, const rg_serve_request *req, rg_serve_response *resp, void *arg)
{
    const char *rest = req->rest;
    const char *slash = strchr(rest, '/');
    size_t n = slash ? (size_t)(slash - rest) : strlen(rest);
    int attestation = 0, failed = 0, status;
    char id[40], *record, *body;
    (void)arg;
    if (slash) {
        if (strcmp(slash, "/attestation") != 0) {
            rg_serve_respond_error(resp, 404, RG_ERROR_USAGE, "no such resource: %.200s", req->path);
            return;
        }
        attestation = 1;
    }
    if (!valid_id(rest, n)) {
        rg_serve_respond_error(resp, 404, RG_ERROR_USAGE, "no decision %.*s: an id is 32 hex digits", (int)(n > 64 ? 64 : n), rest);
        return;
    }
    memcpy(id, rest, n);
    id[n] = '\0';
    if (!rg_serve_store_enabled(srv)) {
        rg_serve_respond_error(resp, 404, RG_ERROR_USAGE, "no decision %s: the server keeps none (no --store)", id);
        return;
    }
    record = rg_serve_store_find(srv, id, &failed);
    if (!record) {
        if (failed) {
            rg_serve_respond_error(resp, 503, RG_ERROR_IO, "the store cannot be read now");
            rg_serve_respond_header(resp, "Retry-After", "1");
        } else {
            rg_serve_respond_error(resp, 404, RG_ERROR_USAGE, "no decision %s", id);
        }
        return;
    }
    {
        char verdict[16], stage[32];
        status = attestation ? 200 : rg_serve_record_status(record, verdict, sizeof verdict, stage, sizeof stage);
    }
    body = attestation ? rg_serve_record_attestation(record) : rg_serve_record_decision(record);
    free(record);
    if (!body && attestation) {
        rg_serve_respond_error(resp, 404, RG_ERROR_USAGE, "decision %s was not signed (no --signing-key then)", id);
        return;
    }
    if (!body) {
        rg_serve_respond_error(resp, 500, RG_ERROR_INTERNAL, "out of memory");
        return;
    }
    /* A decision is read back with the status it was answered with (500 for an error of
     * the gate). */
    rg_serve_respond(resp, status, attestation ? "application/vnd.dsse.envelope.v1+json" : NULL, body);
}

static void get_last_good(rg_serve *srv, const rg_serve_request *req, rg_serve_response *resp, void *arg)
{
    const char *rest = req->rest, *slash = strchr(rest, '/'), *environment = NULL;
    char name[256], *record;
    int failed = 0;
    size_t n = slash ? (size_t)(slash - rest) : 0;
    (void)arg;
    if (!slash || strcmp(slash, "/last-good") != 0 || n == 0 || n >= sizeof name) {
        rg_serve_respond_error(resp, 404, RG_ERROR_USAGE, "no such resource: %.200s", req->path);
        return;
    }
    memcpy(name, rest, n);
    name[n] = '\0';
    if (!rg_serve_store_enabled(srv)) {
        rg_serve_respond_error(resp, 404, RG_ERROR_USAGE, "no last good release of %s: the server keeps no decisions (no --store)", name);
        return;
    }
    if (req->query_once && req->query_once(req, "environment", &environment) < 0) {
        rg_serve_respond_error(resp, 400, RG_ERROR_USAGE, "environment must be given once, as environment=NAME "
                               "(not empty, no NUL)");
        return;
    }
    record = rg_serve_store_last_good(srv->store, name, environment, &failed);
    if (!record) {
        if (failed) {
            rg_serve_respond_error(resp, 503, RG_ERROR_IO, "the store cannot be read now");
            rg_serve_respond_header(resp, "Retry-After", "1");
        } else {
            rg_serve_respond_error(resp, 404, RG_ERROR_USAGE, "no decision passed %s's post-deploy gate%s%.200s", name,
                                   environment ? " in environment " : "", environment ? environment : "");
        }
        return;
    }
    {
        char *body = rg_serve_record_decision(record);
        free(record);
        if (!body)
            rg_serve_respond_error(resp, 500, RG_ERROR_INTERNAL, "out of memory");
        else
            rg_serve_respond(resp, 200, NULL, body);
    }
}

static void get_health(rg_serve *srv, const rg_serve_request *req, rg_serve_response *resp, void *arg)
{
    (void)srv, (void)req, (void)arg;
    rg_serve_respond_text(resp, 200, NULL, "{\"status\":\"ok\"}\n");
}

/* Ready: the workers have a policy and the store answered its last use. */
static void get_ready(rg_serve *srv, const rg_serve_request *req, rg_serve_response *resp, void *arg)
{
    char digest[RG_SERVE_DIGEST_SIZE], body[512];
    int store_ok = !srv->store || rg_serve_store_ok(srv->store);
    int draining;
    (void)req, (void)arg;
    pthread_mutex_lock(&srv->lock);
    draining = srv->draining;
    pthread_mutex_unlock(&srv->lock);
    rg_serve_pool_digest(srv->pool, digest, sizeof digest);
    snprintf(body, sizeof body, "{\"ready\":%s,\"policy\":{\"digest\":\"%s\"},\"store\":\"%s\",\"draining\":%s}\n",
             store_ok && !draining && digest[0] ? "true" : "false", digest,
             !srv->store ? "none" : store_ok ? "ok" : "failing", draining ? "true" : "false");
    rg_serve_respond_text(resp, store_ok && !draining && digest[0] ? 200 : 503, NULL, body);
}

static void get_metrics(rg_serve *srv, const rg_serve_request *req, rg_serve_response *resp, void *arg)
{
    char digest[RG_SERVE_DIGEST_SIZE];
    (void)req, (void)arg;
    rg_strbuf text = {0};
    char *part;
    rg_serve_pool_digest(srv->pool, digest, sizeof digest);
    if ((part = rg_serve_metrics_render(srv->metrics, digest)) != NULL)
        rg_strbuf_puts(&text, part);
    free(part);
    if ((part = rg_serve_pool_gauges(srv->pool)) != NULL)
        rg_strbuf_puts(&text, part);
    free(part);
    rg_serve_respond(resp, 200, "text/plain; version=0.0.4; charset=utf-8", rg_strbuf_finish(&text));
}

int rg_serve_core_routes(rg_serve *srv)
{
    return rg_serve_route_add(srv, "POST", "/v1/decisions", RG_ROUTE_EXACT | RG_ROUTE_BODY_TO_WORKER, post_decision,
                              NULL) |
           rg_serve_route_add(srv, "GET", "/v1/decisions/", 0, get_decision, NULL) |
           rg_serve_route_add(srv, "GET", "/v1/releases/", 0, get_last_good, NULL) |
           rg_serve_route_add(srv, "GET", "/health", RG_ROUTE_EXACT | RG_ROUTE_PUBLIC, get_health, NULL) |
           rg_serve_route_add(srv, "GET", "/ready", RG_ROUTE_EXACT | RG_ROUTE_PUBLIC, get_ready, NULL) |
           rg_serve_route_add(srv, "GET", "/metrics", RG_ROUTE_EXACT, get_metrics, NULL);
}
