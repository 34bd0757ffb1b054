/* relgate serve: HTTP through libmicrohttpd (serve_internal.h).
 *
 * One thread per connection (MHD_USE_THREAD_PER_CONNECTION): a request waits for an
 * evaluation worker without holding up the others, and the number of threads is the
 * connection limit.  Each waits on its socket with poll (MHD_USE_POLL), not select, which
 * cannot watch a descriptor past FD_SETSIZE (1024).  Limits hold before any route runs:
 * the body's size (413, as soon as Content-Length says so, else once it grows past it),
 * the memory for headers (libmicrohttpd answers 431 or 413 itself), the connections at
 * once (beyond, new ones wait in the kernel's backlog), the time a request may take to
 * arrive whole, however it trickles (serve_deadline.c: slowloris).  JSON as relgate reads
 * it is checked once the route is known (serve_routes.c). */
#define _GNU_SOURCE
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "cli.h"
#include "error.h"
#include "fileio.h"
#include "serve_internal.h"
#include "strbuf.h"

/* After the drain's end ended what still held requests: the time for their answers (an
 * error decision, a 503) to go out before the connections close. */
#define ANSWER_GRACE_SECONDS 5.0

struct rg_serve_http {
    rg_serve *srv;
    struct MHD_Daemon *daemon;
    char *tls_cert, *tls_key;
    unsigned port;
    rg_serve_deadlines *deadlines;
};

/* One request as its body arrives. */
typedef struct http_request {
    rg_strbuf body;
    int too_large;
    int counted;             /* in SRV->in_flight, from its headers to its completion */
} http_request;

static const char *conn_header(const rg_serve_request *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

static const char *conn_query(const rg_serve_request *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
}

typedef struct query_look {
    const char *name;
    const char *value;
    int count;
    int malformed;
} query_look;

static enum MHD_Result look_at_argument(void *cls, enum MHD_ValueKind kind, const char *key, size_t key_size,
                                        const char *value, size_t value_size)
{
    query_look *q = cls;
    (void)kind;
    if (key_size != strlen(q->name) || memcmp(key, q->name, key_size) != 0)
        return MHD_YES;
    q->count++;
    q->value = value;
    if (!value || value_size == 0 || strlen(value) != value_size)
        q->malformed = 1;
    return MHD_YES;
}

static int conn_query_once(const rg_serve_request *req, const char *name, const char **value)
{
    query_look q = {name, NULL, 0, 0};
    MHD_get_connection_values_n(req->conn, MHD_GET_ARGUMENT_KIND, look_at_argument, &q);
    *value = NULL;
    if (q.count == 0)
        return 0;
    if (q.count > 1 || q.malformed)
        return -1;
    *value = q.value;
    return 1;
}

/* Send RESP (its body taken) on CONN. */
static enum MHD_Result send_response(struct MHD_Connection *conn, rg_serve_response *resp)
{
    struct MHD_Response *r;
    enum MHD_Result rc;
    r = MHD_create_response_from_buffer(resp->body_len, resp->body ? resp->body : (char *)"",
                                        resp->body ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
    if (!r) {
        free(resp->body);
        return MHD_NO;
    }
    resp->body = NULL;
    MHD_add_response_header(r, "Content-Type", resp->content_type ? resp->content_type : "application/json");
    MHD_add_response_header(r, "Cache-Control", "no-store");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    for (int i = 0; i < resp->header_count; i++)
        MHD_add_response_header(r, resp->headers[i][0], resp->headers[i][1]);
    rc = MHD_queue_response(conn, (unsigned)(resp->status ? resp->status : 500), r);
    MHD_destroy_response(r);
    return rc;
}

static enum MHD_Result too_large(struct MHD_Connection *conn, const rg_serve *srv)
{
    rg_serve_response resp;
    memset(&resp, 0, sizeof resp);
    rg_serve_respond_error(&resp, 413, RG_ERROR_USAGE, "the request body is larger than %zu bytes (--max-body-size)",
                           srv->config.max_body);
    rg_serve_respond_header(&resp, "Connection", "close");
    return send_response(conn, &resp);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    rg_serve_http *h = cls;
    rg_serve *srv = h->srv;
    http_request *hr = *con_cls;
    (void)version;
    if (!hr) {
        const char *length = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
        if (!(hr = calloc(1, sizeof *hr)))
            return MHD_NO;
        *con_cls = hr;
        /* In flight from its headers on, its body still coming too: SIGTERM's drain
         * waits for it (on_completed ends it). */
        pthread_mutex_lock(&srv->lock);
        srv->in_flight++;
        hr->counted = 1;
        pthread_mutex_unlock(&srv->lock);
        /* Refused before a byte of it is read. */
        if (length && strtoull(length, NULL, 10) > srv->config.max_body) {
            hr->too_large = 1;
            return too_large(conn, srv);
        }
        return MHD_YES;
    }
    if (*upload_data_size) {
        if (!hr->too_large && hr->body.len + *upload_data_size <= srv->config.max_body)
            rg_strbuf_add(&hr->body, upload_data, *upload_data_size);
        else
            hr->too_large = 1;   /* the rest is read and dropped; 413 at the end */
        *upload_data_size = 0;
        return MHD_YES;
    }
    {
        const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
        rg_serve_deadline_arrived(h->deadlines, ci ? ci->socket_context : NULL);
    }
    if (hr->too_large)
        return too_large(conn, srv);
    if (hr->body.failed)
        return MHD_NO;
    {
        rg_serve_request req;
        rg_serve_response resp;
        enum MHD_Result rc;
        memset(&req, 0, sizeof req);
        memset(&resp, 0, sizeof resp);
        req.method = method;
        req.path = url;
        req.rest = url;
        req.body = hr->body.data ? hr->body.data : "";
        req.body_len = hr->body.len;
        req.header = conn_header;
        req.query = conn_query;
        req.query_once = conn_query_once;
        req.conn = conn;
        rg_serve_dispatch(srv, &req, &resp);
        {
            char labels[32];
            snprintf(labels, sizeof labels, "code=\"%d\"", resp.status);
            rg_serve_metric_add(srv, "relgate_http_requests_total", "HTTP requests answered, by status", labels, 1);
        }
        rc = send_response(conn, &resp);
        return rc;
    }
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode toe)
{
    rg_serve_http *h = cls;
    http_request *hr = *con_cls;
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    (void)toe;
    rg_serve_deadline_answered(h->deadlines, ci ? ci->socket_context : NULL);
    if (hr && hr->counted) {
        pthread_mutex_lock(&h->srv->lock);
        h->srv->in_flight--;
        pthread_cond_broadcast(&h->srv->idle);
        pthread_mutex_unlock(&h->srv->lock);
    }
    if (hr) {
        free(rg_strbuf_finish(&hr->body));
        free(hr);
        *con_cls = NULL;
    }
}

/* Every connection is timed from its opening to its close (serve_deadline.c). */
static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    rg_serve_http *h = cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        *socket_context = ci ? rg_serve_deadline_open(h->deadlines, ci->connect_fd) : NULL;
    } else if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
        rg_serve_deadline_close(h->deadlines, *socket_context);
        *socket_context = NULL;
    }
}

/* libmicrohttpd's own messages (a TLS handshake that failed...), on stderr.  FMT is
 * libmicrohttpd's format: the attribute lets clang check the call as a printf wrapper. */
static void on_log(void *cls, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

static void on_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    fputs("relgate: serve: ", stderr);
    vfprintf(stderr, fmt, ap);
}

/* HOST:PORT ([V6]:PORT) into an address.  0, or -1 with ERR. */
static int listen_address(const char *listen, struct addrinfo **ai, rg_error *err)
{
    char host[256];
    const char *colon = strrchr(listen, ':');
    struct addrinfo hints;
    size_t n;
    int rc;
    if (!colon || !colon[1])
        return rg_fail(err, RG_ERROR_USAGE, NULL, 0, 0, "--listen '%s' is not HOST:PORT", listen);
    n = (size_t)(colon - listen);
    if (n >= 2 && listen[0] == '[' && listen[n - 1] == ']') {
        listen++;
        n -= 2;
    }
    if (n == 0 || n >= sizeof host)
        return rg_fail(err, RG_ERROR_USAGE, NULL, 0, 0, "--listen '%s' is not HOST:PORT", listen);
    memcpy(host, listen, n);
    host[n] = '\0';
    memset(&hints, 0, sizeof hints);
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV | AI_PASSIVE;
    if ((rc = getaddrinfo(host, colon + 1, &hints, ai)) != 0)
        return rg_fail(err, RG_ERROR_USAGE, NULL, 0, 0, "--listen '%s': %s", listen, gai_strerror(rc));
    return 0;
}

rg_serve_http *rg_serve_http_start(rg_serve *srv)
{
    const rg_serve_config *c = &srv->config;
    rg_serve_http *h = calloc(1, sizeof *h);
    struct addrinfo *ai = NULL;
    rg_error err;
    unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ITC | MHD_USE_POLL |
                     MHD_USE_ERROR_LOG;
    rg_error_init(&err);
    if (!h)
        return NULL;
    h->srv = srv;
    if (listen_address(c->listen, &ai, &err) != 0)
        goto fail;
    if (ai->ai_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    if (c->tls_cert) {
        size_t len;
        if (rg_read_file(c->tls_cert, "TLS certificate", 1u << 20, &h->tls_cert, &len, &err) != 0 ||
            rg_read_trusted_file(c->tls_key, "TLS key", RG_TRUSTED_SECRET, 1u << 20, &h->tls_key, &len, &err) != 0)
            goto fail;
        flags |= MHD_USE_TLS;
    }
    if (!(h->deadlines = rg_serve_deadlines_start(c->request_timeout))) {
        rg_fail(&err, RG_ERROR_INTERNAL, NULL, 0, 0, "cannot start the request timer: %s", strerror(errno));
        goto fail;
    }
    {
        struct MHD_OptionItem tls[] = {
            {MHD_OPTION_HTTPS_MEM_CERT, 0, h->tls_cert},
            {MHD_OPTION_HTTPS_MEM_KEY, 0, h->tls_key},
            {MHD_OPTION_END, 0, NULL},
        };
        struct MHD_OptionItem none[] = {{MHD_OPTION_END, 0, NULL}};
        h->daemon = MHD_start_daemon(flags, 0, NULL, NULL, on_request, h,
                                     MHD_OPTION_EXTERNAL_LOGGER, on_log, h,
                                     MHD_OPTION_SOCK_ADDR, ai->ai_addr,
                                     MHD_OPTION_CONNECTION_LIMIT, (unsigned)c->max_connections,
                                     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)(c->request_timeout + 0.5),
                                     MHD_OPTION_CONNECTION_MEMORY_LIMIT, c->max_header,
                                     MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
                                     MHD_OPTION_NOTIFY_CONNECTION, on_connection, h,
                                     MHD_OPTION_ARRAY, c->tls_cert ? tls : none,
                                     MHD_OPTION_END);
    }
    if (!h->daemon) {
        rg_fail(&err, RG_ERROR_IO, NULL, 0, 0, "cannot listen on %s: %s", c->listen,
                errno ? strerror(errno) : "libmicrohttpd refused the settings");
        goto fail;
    }
    {
        const union MHD_DaemonInfo *info = MHD_get_daemon_info(h->daemon, MHD_DAEMON_INFO_BIND_PORT);
        h->port = info ? info->port : 0;
    }
    freeaddrinfo(ai);
    return h;
fail:
    rg_cli_report(&err);
    rg_serve_deadlines_stop(h->deadlines);
    if (ai)
        freeaddrinfo(ai);
    free(h->tls_cert);
    free(h->tls_key);
    free(h);
    return NULL;
}

unsigned rg_serve_http_port(const rg_serve_http *h)
{
    return h->port;
}

/* Wait up to SECONDS for no request to be in flight; how many still are. */
static int wait_idle(rg_serve *srv, double seconds)
{
    struct timespec until;
    int left;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += (time_t)seconds;
    until.tv_nsec += (long)((seconds - (double)(time_t)seconds) * 1e9);
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&srv->lock);
    srv->draining = 1;
    while (srv->in_flight > 0 && pthread_cond_timedwait(&srv->idle, &srv->lock, &until) == 0)
        ;
    left = srv->in_flight;
    pthread_mutex_unlock(&srv->lock);
    return left;
}

void rg_serve_http_stop(rg_serve_http *h, double wait)
{
    rg_serve *srv = h->srv;
    MHD_socket fd = MHD_quiesce_daemon(h->daemon);   /* no new connections */
    if (fd != MHD_INVALID_SOCKET)
        close(fd);
    /* What is still in flight at the drain's end waits on a worker that does not answer
     * (stopped, stuck): ended now, rather than holding the exit until its requests' own
     * deadline.  Its requests then end at once (an error, or 503 for those waiting for a
     * place); a moment more lets those answers out before the connections close. */
    if (wait_idle(srv, wait) > 0 && srv->pool) {
        rg_serve_pool_abandon(srv->pool);
        (void)wait_idle(srv, ANSWER_GRACE_SECONDS);
    }
    MHD_stop_daemon(h->daemon);
    rg_serve_deadlines_stop(h->deadlines);
    free(h->tls_cert);
    free(h->tls_key);
    free(h);
}
