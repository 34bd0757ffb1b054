/* The loader child.  The engine starts it (the plugin host, "load": a fresh program, not
 * a copy of the engine's memory) once per start with every plugin file of the
 * search path (not one child per file: one start instead of several, and files are
 * loaded in search order anyway, the first refusal ending the load).  It loads each
 * file through /proc/self/fd (the file the engine opened and checked), calls the entry
 * point and sends the descriptor as data; the engine decodes and validates it.  The
 * child ends with LOADER_DONE after the last record: any other end — a signal, another
 * status, 0 included, a time limit — refuses the file it was loading. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "error.h"
#include "fileio.h"
#include "plugin_child.h"
#include "plugin_loader.h"

#define LOADER_DONE 91                /* the loader's own end, after its last record */
#define LOADER_SETUP_FAILED 92
#define RECORD_MAGIC "RGLD"
#define RECORD_MAX (RG_DESC_MAX_BYTES + 1024)
#define FIRST_FILE_FD 4               /* 3: the record pipe */

const rg_plugin *rg_plugin_open_fd(int fd, int bind_now, int *kind, const char **why)
{
    char path[64];
    void *handle;
    rg_plugin_entry_fn entry;
    const rg_plugin *desc;
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    if (!(handle = dlopen(path, (bind_now ? RTLD_NOW : RTLD_LAZY) | RTLD_LOCAL))) {
        *kind = RG_LOAD_CANNOT_OPEN;
        *why = dlerror();
        return NULL;
    }
    *(void **)&entry = dlsym(handle, RG_PLUGIN_ENTRY_SYMBOL);
    if (!entry) {
        *kind = RG_LOAD_NO_SYMBOL;
        *why = "";
        return NULL;
    }
    if (!(desc = entry())) {
        *kind = RG_LOAD_NO_DESCRIPTOR;
        *why = "";
        return NULL;
    }
    *kind = RG_LOAD_OK;
    return desc;
}

/* ---- The child ------------------------------------------------------------------------ */

static void send_record(uint32_t kind, uint32_t seq, const char *payload, size_t len)
{
    char *frame = malloc(RG_FRAME_OVERHEAD + len);
    if (!frame)
        _exit(LOADER_SETUP_FAILED);
    rg_frame_build(frame, RECORD_MAGIC, kind, seq, payload, (uint32_t)len);
    if (rg_write_all(3, frame, RG_FRAME_OVERHEAD + len) != 0)
        _exit(LOADER_SETUP_FAILED);
    free(frame);
}

void rg_plugin_loader_host(size_t count)
{
    for (size_t i = 0; i < count; i++) {
        int kind;
        const char *why;
        size_t len;
        char *payload;
        const rg_plugin *desc = rg_plugin_open_fd(FIRST_FILE_FD + (int)i, 0, &kind, &why);
        if (!desc) {
            send_record((uint32_t)kind, (uint32_t)i, why, strlen(why));
            _exit(LOADER_DONE);
        }
        if (!(payload = rg_plugin_encode(desc, &len, &why))) {
            send_record(RG_LOAD_OUT_OF_BOUNDS, (uint32_t)i, why, strlen(why));
            _exit(LOADER_DONE);
        }
        send_record(RG_LOAD_OK, (uint32_t)i, payload, len);
        free(payload);
    }
    _exit(LOADER_DONE);
}

/* ---- The engine's side ---------------------------------------------------------------- */

typedef struct loader {
    pid_t pid;
    int fd;                 /* the record pipe's read end, -1 at its end */
    rg_child_output out;
    char *buf;
    size_t len, off;
    int exited, status;
    pid_t *before;          /* this process's children before the loader */
    size_t before_count;
    int busy;               /* rg_children_busy(1) said */
} loader;

static double monotonic_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* The child ended: nothing it started may stay (its group, and what escaped it). */
static void ended(loader *l)
{
    l->exited = 1;
    rg_child_end_group(l->pid);
    rg_children_kill_strays(NULL, 0, l->before, l->before_count);
}

static void read_records(loader *l)
{
    for (;;) {
        ssize_t n;
        if (l->len == RECORD_MAX + RG_FRAME_OVERHEAD) {   /* more than any record: garbage */
            close(l->fd);
            l->fd = -1;
            return;
        }
        n = read(l->fd, l->buf + l->len, RECORD_MAX + RG_FRAME_OVERHEAD - l->len);
        if (n > 0) {
            l->len += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
            close(l->fd);
            l->fd = -1;
        }
        return;
    }
}

/* Wait (at most until DEADLINE, in slices) for something to happen, and take it in. */
static void pump(loader *l, double deadline)
{
    struct pollfd p[2];
    nfds_t n = 0;
    double wait_ms = deadline - monotonic_ms();
    if (l->fd >= 0)
        p[n++] = (struct pollfd){.fd = l->fd, .events = POLLIN};
    if (l->out.fd >= 0)
        p[n++] = (struct pollfd){.fd = l->out.fd, .events = POLLIN};
    if (wait_ms > 50)
        wait_ms = 50;
    if (n)
        poll(p, n, wait_ms > 0 ? (int)wait_ms + 1 : 0);
    else if (wait_ms > 0)
        usleep(1000);
    if (l->fd >= 0)
        read_records(l);
    rg_child_output_drain(&l->out);
    if (!l->exited && waitpid(l->pid, &l->status, WNOHANG) == l->pid)
        ended(l);
}

static int how_it_ended(const loader *l, char *out, size_t size)
{
    if (WIFSIGNALED(l->status))
        return snprintf(out, size, "crashed while loading (killed by signal %d, %s)", WTERMSIG(l->status),
                        strsignal(WTERMSIG(l->status)));
    return snprintf(out, size, "exited with status %d while loading", WEXITSTATUS(l->status));
}

/* The next record, for file INDEX: 0 with F set, or -1 with ERR naming the file. */
static int next_record(loader *l, const rg_plugin_file *file, size_t index, rg_frame *f, rg_error *err)
{
    double deadline = monotonic_ms() + RG_PLUGIN_LOAD_TIMEOUT * 1000.0;
    for (;;) {
        const char *why;
        int got = l->len > l->off ? rg_frame_parse(l->buf + l->off, l->len - l->off, RECORD_MAGIC, RECORD_MAX, f, &why) : 0;
        char how[160];
        if (got < 0)
            return rg_fail(err, RG_ERROR_PLUGIN, file->path, 0, 0,
                           "refusing plugin %s: while loading it wrote %s", file->path, why);
        if (got > 0) {
            if (f->seq != index)
                return rg_fail(err, RG_ERROR_PLUGIN, file->path, 0, 0,
                               "refusing plugin %s: while loading it wrote a record out of order", file->path);
            l->off += f->used;
            return 0;
        }
        if (l->exited && l->fd < 0) {
            how_it_ended(l, how, sizeof how);
            return rg_fail(err, RG_ERROR_PLUGIN, file->path, 0, 0, "refusing plugin %s: it %s%s", file->path,
                           l->len > l->off ? "left a record cut short and " : "",
                           WIFEXITED(l->status) && WEXITSTATUS(l->status) == LOADER_DONE ? "ended without describing itself" : how);
        }
        if (monotonic_ms() >= deadline)
            return rg_fail(err, RG_ERROR_PLUGIN, file->path, 0, 0,
                           "refusing plugin %s: it did not finish loading within %d s (a constructor or "
                           "its entry point hangs)", file->path, RG_PLUGIN_LOAD_TIMEOUT);
        pump(l, deadline);
    }
}

/* After the last record: the child must end as the loader does, and write nothing more. */
static int finish(loader *l, const rg_plugin_file *last, rg_error *err)
{
    double deadline = monotonic_ms() + RG_PLUGIN_LOAD_TIMEOUT * 1000.0;
    char how[160];
    while ((!l->exited || l->fd >= 0) && monotonic_ms() < deadline)
        pump(l, deadline);
    if (!l->exited)
        return rg_fail(err, RG_ERROR_PLUGIN, last->path, 0, 0,
                       "refusing plugin %s: its loading did not end after it described itself", last->path);
    if (l->len > l->off)
        return rg_fail(err, RG_ERROR_PLUGIN, last->path, 0, 0,
                       "refusing plugin %s: while loading, something wrote after its description", last->path);
    if (!WIFEXITED(l->status) || WEXITSTATUS(l->status) != LOADER_DONE) {
        how_it_ended(l, how, sizeof how);
        return rg_fail(err, RG_ERROR_PLUGIN, last->path, 0, 0, "refusing plugin %s: it %s", last->path, how);
    }
    return 0;
}

static int load_error(const rg_plugin_file *file, const rg_frame *f, rg_error *err)
{
    char why[300];
    size_t n = f->len < sizeof why - 1 ? f->len : sizeof why - 1;
    /* dlerror's text (or the encoder's), from the child: printable ASCII only. */
    for (size_t i = 0; i < n; i++)
        why[i] = f->payload[i] >= 0x20 && f->payload[i] < 0x7f ? f->payload[i] : '?';
    why[n] = '\0';
    switch (f->kind) {
    case RG_LOAD_CANNOT_OPEN:
        return rg_fail(err, RG_ERROR_PLUGIN, file->path, 0, 0, "cannot load plugin %s: %s", file->path, why);
    case RG_LOAD_NO_SYMBOL:
        return rg_fail(err, RG_ERROR_PLUGIN, file->path, 0, 0, "%s is not a relgate plugin: it has no %s symbol",
                       file->path, RG_PLUGIN_ENTRY_SYMBOL);
    case RG_LOAD_NO_DESCRIPTOR:
        return rg_fail(err, RG_ERROR_PLUGIN, file->path, 0, 0, "plugin %s returned no descriptor", file->path);
    case RG_LOAD_OUT_OF_BOUNDS:
        return rg_fail(err, RG_ERROR_PLUGIN, file->path, 0, 0, "refusing plugin %s: %s", file->path, why);
    default:
        return rg_fail(err, RG_ERROR_PLUGIN, file->path, 0, 0,
                       "refusing plugin %s: while loading it wrote a record of an unknown kind", file->path);
    }
}

static int start(loader *l, rg_plugin_file *const *files, size_t count, rg_error *err)
{
    int fds[2], out_write, keep[300];
    char arg[24], why[400];
    memset(l, 0, sizeof *l);
    l->fd = -1;
    l->out.fd = -1;
    if (count + 1 > sizeof keep / sizeof keep[0])
        return rg_fail(err, RG_ERROR_PLUGIN, NULL, 0, 0, "more than %zu plugin files", sizeof keep / sizeof keep[0] - 1);
    if (!(l->buf = malloc(RECORD_MAX + RG_FRAME_OVERHEAD)) || rg_child_output_open(&l->out, &out_write) != 0)
        return rg_fail(err, RG_ERROR_INTERNAL, NULL, 0, 0, "cannot start the plugin loader: %s", strerror(errno));
    if (pipe2(fds, O_CLOEXEC) != 0) {
        close(out_write);
        return rg_fail(err, RG_ERROR_INTERNAL, NULL, 0, 0, "cannot start the plugin loader: %s", strerror(errno));
    }
    keep[0] = fds[1];   /* the records, as descriptor 3; the files from 4 (FIRST_FILE_FD) */
    for (size_t i = 0; i < count; i++)
        keep[i + 1] = files[i]->fd;
    snprintf(arg, sizeof arg, "%zu", count);
    rg_children_busy(1);
    l->busy = 1;
    l->before = rg_children_list(&l->before_count);
    rg_child_before_fork();
    l->pid = rg_host_spawn("load", arg, out_write, keep, count + 1, why, sizeof why);
    if (l->pid < 0) {
        close(fds[0]);
        close(fds[1]);
        close(out_write);
        return rg_fail(err, RG_ERROR_INTERNAL, NULL, 0, 0, "cannot start the plugin loader: %s", why);
    }
    rg_child_started(l->pid);
    close(fds[1]);
    close(out_write);
    fcntl(fds[0], F_SETFL, O_NONBLOCK);
    l->fd = fds[0];
    return 0;
}

static void stop(loader *l)
{
    if (l->pid > 0 && !l->exited) {
        kill(l->pid, SIGKILL);
        waitpid(l->pid, &l->status, 0);
        ended(l);
    }
    if (l->fd >= 0)
        close(l->fd);
    rg_child_output_drain(&l->out);
    rg_child_output_flush(&l->out, "relgate: plugin loading: ");
    rg_child_output_close(&l->out);
    free(l->buf);
    free(l->before);
    if (l->busy)
        rg_children_busy(0);
    l->busy = 0;
}

int rg_plugin_loader_run(rg_plugin_file *const *files, size_t count, rg_loader_take_fn take,
                         void *arg, size_t *failed_at, rg_error *err)
{
    loader l;
    int rc = 0;
    if (count == 0)
        return 0;
    if (start(&l, files, count, err) != 0) {
        stop(&l);
        return -1;
    }
    for (size_t i = 0; i < count && rc == 0; i++) {
        rg_frame f;
        rc = next_record(&l, files[i], i, &f, err);
        if (rc == 0)
            rc = f.kind == RG_LOAD_OK ? take(arg, i, f.payload, f.len, err) : load_error(files[i], &f, err);
        if (rc == 0 && i + 1 == count)
            rc = finish(&l, files[i], err);
        *failed_at = i;
    }
    stop(&l);
    return rc;
}
