/* relgate serve: a request must arrive whole within --request-timeout (serve_internal.h).
 *
 * libmicrohttpd's connection timeout is an idle timeout: a client that sends one byte of
 * its headers or body now and then (slowloris) keeps its connection, and the thread
 * libmicrohttpd gives it, for ever.  So every connection is registered here with its
 * socket when it opens, and the time its request began: when the connection opened, or
 * when the previous answer on it was sent (the time a keep-alive connection idles counts
 * against the next request).  A watcher thread shuts down the socket of a connection
 * whose request has not arrived whole in time; libmicrohttpd then sees the connection
 * end and closes it itself.  A request that arrived whole is not timed while it is
 * evaluated and answered: --queue-wait and the policy's limits bound that.
 *
 * The socket is only ever shut down here, never closed, and only while it is registered:
 * libmicrohttpd unregisters it (MHD_CONNECTION_NOTIFY_CLOSED, under the lock below)
 * before it closes it, so a descriptor number reused by another connection is never
 * touched. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

#include "serve_internal.h"

struct rg_serve_deadline {
    rg_serve_deadline *prev, *next;
    int fd;
    int receiving;        /* a request is (or may be) arriving: timed */
    double began;         /* when it began (monotonic seconds) */
};

struct rg_serve_deadlines {
    pthread_mutex_t lock;
    pthread_cond_t wake;
    pthread_t watcher;
    int stopping;
    double seconds;
    rg_serve_deadline *head;
};

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *watch(void *arg)
{
    rg_serve_deadlines *d = arg;
    /* A tenth of the limit, at most a quarter of a second: a connection is cut at most
     * that late. */
    double step = d->seconds / 10 < 0.25 ? d->seconds / 10 : 0.25;
    pthread_mutex_lock(&d->lock);
    while (!d->stopping) {
        struct timespec until;
        double now = now_seconds();
        for (rg_serve_deadline *c = d->head; c; c = c->next)
            if (c->receiving && now - c->began > d->seconds) {
                shutdown(c->fd, SHUT_RDWR);
                c->receiving = 0;
            }
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_nsec += (long)(step * 1e9);
        until.tv_sec += until.tv_nsec / 1000000000L;
        until.tv_nsec %= 1000000000L;
        pthread_cond_timedwait(&d->wake, &d->lock, &until);
    }
    pthread_mutex_unlock(&d->lock);
    return NULL;
}

rg_serve_deadlines *rg_serve_deadlines_start(double seconds)
{
    rg_serve_deadlines *d = calloc(1, sizeof *d);
    pthread_condattr_t attr;
    if (!d)
        return NULL;
    d->seconds = seconds;
    pthread_mutex_init(&d->lock, NULL);
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&d->wake, &attr);
    pthread_condattr_destroy(&attr);
    if (pthread_create(&d->watcher, NULL, watch, d) != 0) {
        pthread_cond_destroy(&d->wake);
        pthread_mutex_destroy(&d->lock);
        free(d);
        return NULL;
    }
    return d;
}

void rg_serve_deadlines_stop(rg_serve_deadlines *d)
{
    if (!d)
        return;
    pthread_mutex_lock(&d->lock);
    d->stopping = 1;
    pthread_cond_signal(&d->wake);
    pthread_mutex_unlock(&d->lock);
    pthread_join(d->watcher, NULL);
    while (d->head) {   /* libmicrohttpd has closed every connection by now */
        rg_serve_deadline *c = d->head;
        d->head = c->next;
        free(c);
    }
    pthread_cond_destroy(&d->wake);
    pthread_mutex_destroy(&d->lock);
    free(d);
}

rg_serve_deadline *rg_serve_deadline_open(rg_serve_deadlines *d, int fd)
{
    rg_serve_deadline *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->fd = fd;
    c->receiving = 1;
    c->began = now_seconds();
    pthread_mutex_lock(&d->lock);
    c->next = d->head;
    if (d->head)
        d->head->prev = c;
    d->head = c;
    pthread_mutex_unlock(&d->lock);
    return c;
}

static void set_receiving(rg_serve_deadlines *d, rg_serve_deadline *c, int receiving)
{
    if (!c)
        return;
    pthread_mutex_lock(&d->lock);
    c->receiving = receiving;
    c->began = now_seconds();
    pthread_mutex_unlock(&d->lock);
}

void rg_serve_deadline_arrived(rg_serve_deadlines *d, rg_serve_deadline *c)
{
    set_receiving(d, c, 0);
}

void rg_serve_deadline_answered(rg_serve_deadlines *d, rg_serve_deadline *c)
{
    set_receiving(d, c, 1);
}

void rg_serve_deadline_close(rg_serve_deadlines *d, rg_serve_deadline *c)
{
    if (!c)
        return;
    pthread_mutex_lock(&d->lock);
    if (c->prev)
        c->prev->next = c->next;
    else
        d->head = c->next;
    if (c->next)
        c->next->prev = c->prev;
    pthread_mutex_unlock(&d->lock);
    free(c);
}
