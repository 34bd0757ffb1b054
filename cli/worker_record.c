/* Worker records (worker_record.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <sys/wait.h>

#include "relgate/relgate.h"
#include "worker_record.h"

#define RECORD_MAGIC 0x52435752u  /* "RWCR" */
#define RECORD_END 0x444e4552u    /* "REND" */

typedef struct record_head {
    uint32_t magic;
    uint32_t worker;
    uint64_t token;
    uint64_t seq;        /* 1, 2, ... for each record of that worker */
    int64_t tag;         /* what it answers: a batch line's number, a request's */
    int32_t code;
    uint32_t len;        /* bytes of output that follow */
} record_head;

typedef struct record_tail {
    uint32_t magic;      /* RECORD_END */
    uint32_t zero;
    uint64_t check;      /* record_check over the head and the output */
} record_tail;

/* One step of the checksum: WORD into the running value H. */
static uint64_t record_mix(uint64_t h, uint64_t word)
{
    h = (h ^ word) * 0x100000001b3u;
    return h ^ (h >> 29);
}

/* A checksum of DATA keyed with TOKEN (through H): it tells a record cut, spliced or
 * written by someone without the token from the worker's own.  (Not a MAC against a
 * process that can read the worker's memory: such a process is kept away by not
 * inheriting the pipe.)  Four lanes of eight bytes, folded at the end: one chain of
 * multiplications waited ~6 cycles per word (1.55 us for a 6.5 KB decision line, on
 * each side of the pipe; 0.48 us in four lanes). */
static uint64_t record_check(uint64_t h, const void *data, size_t len)
{
    const unsigned char *p = data;
    /* Four variables, not an array: an array's lanes went through memory and were no faster. */
    uint64_t a = h, b = h ^ 0x9e3779b97f4a7c15u, c = h ^ 0xc2b2ae3d27d4eb4fu, d = h ^ 0x165667b19e3779f9u;
    uint64_t word, words[4];
    for (; len >= 32; p += 32, len -= 32) {
        memcpy(words, p, sizeof words);
        a = record_mix(a, words[0]);
        b = record_mix(b, words[1]);
        c = record_mix(c, words[2]);
        d = record_mix(d, words[3]);
    }
    h = record_mix(record_mix(record_mix(a, b), c), d);
    for (; len >= 8; p += 8, len -= 8) {
        memcpy(&word, p, 8);
        h = record_mix(h, word);
    }
    for (; len > 0; p++, len--)
        h = (h ^ *p) * 0x100000001b3u;
    return h ^ (h >> 32);
}

static uint64_t record_seed(uint64_t token)
{
    return token ^ 0xcbf29ce484222325u;
}

void rg_record_random(void *out, size_t len)
{
    unsigned char *p = out;
    if (getrandom(out, len, GRND_NONBLOCK) == (ssize_t)len)
        return;
    for (size_t i = 0; i < len; i += 8) {
        struct timespec ts;
        uint64_t word;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        word = ((uint64_t)ts.tv_nsec << 32) ^ (uint64_t)ts.tv_sec ^ (uint64_t)(uintptr_t)&word ^
               ((uint64_t)getpid() << 16) ^ (i * 0x9e3779b97f4a7c15u);
        memcpy(p + i, &word, len - i < 8 ? len - i : 8);
    }
}

uint64_t rg_record_token(void)
{
    uint64_t token;
    rg_record_random(&token, sizeof token);
    return token;
}

size_t rg_record_begin(rg_strbuf *out)
{
    record_head head;
    size_t at = out->len;
    memset(&head, 0, sizeof head);
    rg_strbuf_add(out, (const char *)&head, sizeof head);  /* filled in by rg_record_end */
    return at;
}

int rg_record_end(rg_strbuf *out, size_t at, rg_record_peer *peer, int64_t tag, int32_t code)
{
    record_head head = {RECORD_MAGIC, peer->worker, peer->token, peer->seq + 1, tag, code, 0};
    record_tail tail = {RECORD_END, 0, 0};
    if (out->failed || out->len - at - sizeof head > RG_RECORD_MAX)
        return -1;
    head.len = (uint32_t)(out->len - at - sizeof head);
    memcpy(out->data + at, &head, sizeof head);
    tail.check = record_check(record_check(record_seed(peer->token), &head, sizeof head),
                              out->data + at + sizeof head, head.len);
    rg_strbuf_add(out, (const char *)&tail, sizeof tail);
    if (out->failed)
        return -1;
    peer->seq++;
    return 0;
}

int rg_record_read(rg_record_read_fn read, void *src, rg_record_peer *peer, int64_t tag, int32_t max_code,
                   int32_t *code, rg_strbuf *buf, char *why, size_t why_size)
{
    record_head head;
    record_tail tail;
    if (read(src, &head, sizeof head) != 0)
        return 1;
    if (head.magic != RECORD_MAGIC || head.worker != peer->worker || head.token != peer->token)
        return snprintf(why, why_size, "a record that is not its own"), -1;
    if (head.seq != peer->seq + 1 || head.tag != tag)
        return snprintf(why, why_size, "a record out of order (record %llu for %lld, expected %llu for %lld)",
                        (unsigned long long)head.seq, (long long)head.tag, (unsigned long long)(peer->seq + 1),
                        (long long)tag), -1;
    if (head.code < 0 || head.code > max_code || head.len > RG_RECORD_MAX)
        return snprintf(why, why_size, "a malformed record"), -1;
    buf->len = 0;
    if (rg_strbuf_reserve(buf, (size_t)head.len + 1) != 0)
        return snprintf(why, why_size, "a record too large to take (out of memory)"), -1;
    if (read(src, buf->data, head.len) != 0 || read(src, &tail, sizeof tail) != 0)
        return 1;
    if (tail.magic != RECORD_END || tail.zero != 0 ||
        tail.check != record_check(record_check(record_seed(peer->token), &head, sizeof head), buf->data, head.len))
        return snprintf(why, why_size, "a record that does not check (cut short or altered)"), -1;
    buf->len = head.len;
    buf->data[buf->len] = '\0';
    peer->seq++;
    *code = head.code;
    return 0;
}

int rg_read_within(rg_reader *r, void *data, size_t len, int ms)
{
    char *p = data;
    while (len > 0) {
        int got = rg_reader_take(r, &p, &len);
        struct pollfd pfd = {r->fd, POLLIN, 0};
        int ready;
        if (got < 0)
            return -1;
        if (got == 0)
            continue;
        ready = poll(&pfd, 1, ms);
        if (ready <= 0 && !(ready < 0 && errno == EINTR))
            return -1;
    }
    return 0;
}

int rg_read_exact(int fd, void *data, size_t len, int ms)
{
    char *p = data;
    while (len > 0) {
        ssize_t got = read(fd, p, len);
        struct pollfd pfd = {fd, POLLIN, 0};
        int ready;
        if (got > 0) {
            p += got;
            len -= (size_t)got;
            continue;
        }
        if (got == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
            return -1;
        if (errno == EINTR)
            continue;
        ready = poll(&pfd, 1, ms);
        if (ready <= 0 && !(ready < 0 && errno == EINTR))
            return -1;
    }
    return 0;
}

/* How often a reader looks whether the worker it waits for still lives. */
#define WORKER_POLL_MS 100

static double monotonic_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void rg_worker_pipe_from(const int up[2], int *from, rg_reader *in)
{
    close(up[1]);
    *from = up[0];
    (void)fcntl(*from, F_SETFL, O_NONBLOCK);
    in->fd = *from;
    in->pos = in->end = 0;
}

void rg_worker_pipes_parent(const int down[2], const int up[2], int *to, int *from, rg_reader *in)
{
    close(down[0]);
    *to = down[1];
    rg_worker_pipe_from(up, from, in);
}

int rg_worker_read(rg_reader *in, int from, rg_worker_end *end, double deadline, void *data, size_t len)
{
    char *p = data;
    /* With nothing read ahead, the answer waited for is rarely written yet: waited for
     * first, rather than after a read that comes back empty (in relgate serve that read
     * was 0.8 of the server's 1.8 reads a request). */
    int wait_first = in->pos == in->end;
    while (len > 0) {
        int got = wait_first ? 1 : rg_reader_take(in, &p, &len);
        wait_first = 0;
        struct pollfd pfd = {from, POLLIN, 0};
        int ready;
        if (got < 0)
            return -1;
        if (got == 0)
            continue;
        ready = poll(&pfd, 1, end->reaped ? 0 : WORKER_POLL_MS);
        if (ready < 0 && errno == EINTR)
            continue;
        if (ready < 0)
            return -1;
        if (ready == 0) {
            if (end->reaped)
                return -1;    /* it has ended and nothing more is in the pipe */
            if (end->ended ? end->ended(end) : waitpid(end->pid, &end->status, WNOHANG) == end->pid)
                end->reaped = 1;   /* look once more: what it wrote before it ended counts */
            else if (deadline > 0 && monotonic_seconds() > deadline)
                return -1;
        }
    }
    return 0;
}

void rg_worker_exit(int code)
{
    rg_plugin_processes_end();
    _exit(code);
}
