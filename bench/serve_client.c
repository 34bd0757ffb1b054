/* bench/serve.py's load generator: keep-alive HTTP/1.1 clients of relgate serve, driven
 * by one thread over non-blocking sockets (epoll).
 *
 *   serve-client PORT CLIENTS MAX_SECONDS REQUESTS OUT
 *
 * REQUESTS holds the bodies to POST to /v1/decisions, each as its length in decimal, a
 * newline and its bytes.  CLIENTS connections to 127.0.0.1:PORT send them in order, each
 * the next one not yet sent as soon as its answer is in, until all are sent or
 * MAX_SECONDS pass (what was sent is still waited for, up to 60 s more).  OUT receives a
 * line per answer, "INDEX STATUS MICROSECONDS VERDICT" (the decision's "decision" member,
 * "?" when it has none), a line "error INDEX WHY" per request without one, and last
 * "done WALL_SECONDS CPU_SECONDS" (this process's own CPU from the first request on).  Latency runs from the
 * request's first byte sent to its answer's last byte read.
 *
 * A Python client (one thread, selectors) used 10-13 % of a core's time per 1,000
 * decisions a second, which on the 2-core box came off the server it measured; this one
 * sends the same bytes. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

typedef struct request {
    const char *body;
    size_t len;
} request;

typedef struct conn {
    int fd;
    long index;            /* the request it is answering; -1: none */
    char head[256];
    size_t head_len;
    const char *out[2];    /* what is left to send: the head, then the body */
    size_t out_len[2];
    char *in;              /* the answer so far */
    size_t in_len, in_cap;
    double t0;
    int full;              /* the socket took only part of the request: watched for room */
} conn;

static int port;
static int epfd;
static FILE *out;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
    fprintf(stderr, "serve-client: %s: %s\n", what, strerror(errno));
    exit(2);
}

/* The requests of FILE (mapped, not read: fresh memory costs a page fault a page, which
 * on these machines is most of what reading 250 MB costs), and their count in *N. */
static request *read_requests(const char *file, long *n)
{
    int fd = open(file, O_RDONLY | O_CLOEXEC);
    struct stat st;
    const char *data, *p, *end;
    request *reqs = NULL;
    long count = 0, room = 0;
    if (fd < 0 || fstat(fd, &st) != 0)
        die(file);
    if (st.st_size == 0) {
        fprintf(stderr, "serve-client: %s is empty\n", file);
        exit(2);
    }
    if ((data = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0)) == MAP_FAILED)
        die(file);
    close(fd);
    for (p = data, end = data + st.st_size; p < end;) {
        unsigned long len = 0;
        while (p < end && *p >= '0' && *p <= '9')
            len = len * 10 + (unsigned long)(*p++ - '0');
        if (p >= end || *p != '\n' || (size_t)(end - p - 1) < len) {
            fprintf(stderr, "serve-client: %s: a record is cut short\n", file);
            exit(2);
        }
        if (count == room && !(reqs = realloc(reqs, (size_t)(room = room ? 2 * room : 1024) * sizeof *reqs)))
            die("out of memory");
        reqs[count].body = p + 1;
        reqs[count++].len = len;
        p += 1 + len;
    }
    *n = count;
    return reqs;
}

/* This process's CPU seconds so far. */
static double cpu_seconds(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           ru.ru_stime.tv_usec / 1e6;
}

static void open_conn(conn *c)
{
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                               .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
    int one = 1;
    if ((c->fd = socket(AF_INET, SOCK_STREAM, 0)) < 0 || connect(c->fd, (struct sockaddr *)&addr, sizeof addr) != 0)
        die("connect");
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (fcntl(c->fd, F_SETFL, O_NONBLOCK) != 0 || epoll_ctl(epfd, EPOLL_CTL_ADD, c->fd, &ev) != 0)
        die("epoll_ctl");
    c->index = -1;
    c->full = 0;
}

static void close_conn(conn *c)
{
    epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    c->fd = -1;
}

static void want(conn *c, unsigned events)
{
    struct epoll_event ev = {.events = events, .data.ptr = c};
    if (epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev) != 0)
        die("epoll_ctl");
}

static request *reqs;
static long count, next_req, pending;

static void send_rest(conn *c);
static double stop_at;

/* Send C the next request, or close it when there is none (or time is up). */
static void send_next(conn *c)
{
    if (next_req >= count || now() >= stop_at) {
        c->index = -1;
        close_conn(c);
        return;
    }
    c->index = next_req++;
    pending++;
    c->head_len = (size_t)snprintf(c->head, sizeof c->head,
                                   "POST /v1/decisions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                   "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n",
                                   reqs[c->index].len);
    c->out[0] = c->head;
    c->out_len[0] = c->head_len;
    c->out[1] = reqs[c->index].body;
    c->out_len[1] = reqs[c->index].len;
    c->in_len = 0;
    c->t0 = now();
    send_rest(c);
}

/* C's request failed (WHY): noted, and a fresh connection sends the next one once the
 * event loop finds it writable (not from here: a server that keeps failing requests would
 * otherwise have this recurse once a request). */
static void fail(conn *c, const char *why)
{
    fprintf(out, "error %ld %s\n", c->index, why);
    pending--;
    close_conn(c);
    open_conn(c);
    want(c, EPOLLOUT);
}

/* The value of header NAME in the head HEAD (HEAD_LEN bytes), or NULL. */
static const char *header(const char *head, size_t head_len, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = head; p && p < head + head_len; p = memchr(p, '\n', (size_t)(head + head_len - p))) {
        if (*p == '\n')
            p++;
        if ((size_t)(head + head_len - p) > n + 1 && strncasecmp(p, name, n) == 0 && p[n] == ':')
            return p + n + 1;
    }
    return NULL;
}

/* The verdict in the decision BODY (LEN bytes) into V (SIZE bytes): "?" when none. */
static void verdict(const char *body, size_t len, char *v, size_t size)
{
    const char *p = memmem(body, len, "\"decision\"", 10), *end = body + len;
    size_t n = 0;
    snprintf(v, size, "?");
    if (!p)
        return;
    for (p += 10; p < end && (*p == ' ' || *p == ':'); p++)
        ;
    if (p >= end || *p++ != '"')
        return;
    while (p + n < end && n + 1 < size && (p[n] == '_' || (p[n] >= 'a' && p[n] <= 'z') || (p[n] >= 'A' && p[n] <= 'Z')))
        n++;
    if (n) {
        memcpy(v, p, n);
        v[n] = '\0';
    }
}

/* What C has read: when it holds a whole answer, record it and send the next. */
static void answered(conn *c)
{
    const char *end = memmem(c->in, c->in_len, "\r\n\r\n", 4), *length;
    size_t head_len, body_len;
    int status;
    char v[32];
    if (!end)
        return;
    head_len = (size_t)(end - c->in) + 4;
    if (!(length = header(c->in, head_len, "Content-Length"))) {
        fail(c, "an answer without Content-Length");
        return;
    }
    body_len = strtoul(length, NULL, 10);
    if (c->in_len < head_len + body_len)
        return;
    status = c->in_len > 12 ? atoi(c->in + 9) : 0;
    verdict(c->in + head_len, body_len, v, sizeof v);
    fprintf(out, "%ld %d %.1f %s\n", c->index, status, (now() - c->t0) * 1e6, v);
    pending--;
    send_next(c);
}

/* Send what is left of C's request: the head and the body in one system call, as one
 * buffer would go.  Watched for room only while the socket is full (the answer, else). */
static void send_rest(conn *c)
{
    struct iovec iov[2];
    struct msghdr msg = {.msg_iov = iov};
    int was_full = c->full;
    ssize_t n;
    for (int i = 0; i < 2; i++)
        if (c->out_len[i])
            iov[msg.msg_iovlen++] = (struct iovec){(void *)c->out[i], c->out_len[i]};
    n = sendmsg(c->fd, &msg, MSG_NOSIGNAL);
    if (n < 0 && errno != EAGAIN && errno != EINTR) {
        fail(c, "send failed");
        return;
    }
    for (int i = 0; i < 2 && n > 0; i++) {
        size_t part = (size_t)n < c->out_len[i] ? (size_t)n : c->out_len[i];
        c->out[i] += part;
        c->out_len[i] -= part;
        n -= (ssize_t)part;
    }
    c->full = c->out_len[0] || c->out_len[1];
    if (c->full != was_full)
        want(c, c->full ? EPOLLOUT : EPOLLIN);
}

static void on_event(conn *c, unsigned events)
{
    if (c->index < 0) {   /* a fresh connection after a failure: the next request */
        if (events & EPOLLOUT) {
            want(c, EPOLLIN);
            send_next(c);
        }
        return;
    }
    if (c->full) {
        if (events & EPOLLOUT)
            send_rest(c);
        return;
    }
    for (;;) {
        size_t room;
        ssize_t n;
        if (c->in_cap - c->in_len < 65536 && !(c->in = realloc(c->in, c->in_cap = c->in_cap + 131072)))
            die("out of memory");
        room = c->in_cap - c->in_len;
        n = recv(c->fd, c->in + c->in_len, room, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            break;
        if (n <= 0) {
            fail(c, n == 0 ? "the server closed the connection" : "recv failed");
            return;
        }
        c->in_len += (size_t)n;
        if ((size_t)n < room)
            break;   /* nothing more for now */
    }
    answered(c);
}

int main(int argc, char **argv)
{
    int clients;
    double seconds, t0, cpu0, hard_stop;
    conn *conns;
    if (argc != 6) {
        fprintf(stderr, "usage: serve-client PORT CLIENTS MAX_SECONDS REQUESTS OUT\n");
        return 2;
    }
    port = atoi(argv[1]);
    clients = atoi(argv[2]);
    seconds = atof(argv[3]);
    reqs = read_requests(argv[4], &count);
    if (!(out = fopen(argv[5], "w")) || clients < 1 || !(conns = calloc((size_t)clients, sizeof *conns)))
        die(argv[5]);
    if ((epfd = epoll_create1(0)) < 0)
        die("epoll_create1");
    t0 = now();
    cpu0 = cpu_seconds();
    stop_at = t0 + seconds;
    hard_stop = stop_at + 60;
    for (int i = 0; i < clients; i++) {
        open_conn(&conns[i]);
        send_next(&conns[i]);
    }
    while ((pending > 0 || next_req < count) && now() < hard_stop) {
        struct epoll_event ev[64];
        int n = epoll_wait(epfd, ev, 64, 1000);
        if (n < 0 && errno != EINTR)
            die("epoll_wait");
        for (int i = 0; i < n; i++)
            on_event(ev[i].data.ptr, ev[i].events);
        if (pending == 0 && now() >= stop_at)
            break;
    }
    for (int i = 0; i < clients; i++)
        if (conns[i].fd >= 0 && conns[i].index >= 0)
            fprintf(out, "error %ld no answer in time\n", conns[i].index);
    fprintf(out, "done %.6f %.6f\n", now() - t0, cpu_seconds() - cpu0);
    for (int i = 0; i < clients; i++)
        free(conns[i].in);
    free(conns);
    free(reqs);
    return fclose(out) == 0 ? 0 : 2;
}
