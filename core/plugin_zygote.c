/* Plugin zygotes: see plugin_zygote.h.
 *
 * A zygote is the plugin host program ("zygote", rg_host_spawn): a fresh image, never a
 * copy of the engine's memory, started with its socket (3) alone when its plugin's first
 * check comes, and given its plugin by the engine's first message:
 *
 *   engine -> zygote   SETUP ("RGZS", 0) with two descriptors: the plugin file and a
 *                      memory file describing it (its path, identity, validated
 *                      description, digest, and the environment its code gets)
 *
 *   zygote -> engine   READY ("RGZR", 0) once the plugin is loaded and checked
 *   engine -> zygote   JOB ("RGZJ", seq) with three descriptors (SCM_RIGHTS): the job,
 *                      the result pipe's and the output pipe's write ends
 *   zygote -> engine   PID ("RGZP", seq, pid) of the check child it started, or
 *                      -errno when it could not
 *   engine -> zygote   LAST ("RGZL", seq), a JOB the zygote runs itself, as the check's
 *                      process, when the engine will send it no other (its thread's last
 *                      evaluation, rg_plugin_processes_last_evaluation): it answers PID
 *                      with its own pid, closes its socket and is a zygote no more
 *
 * over a SOCK_SEQPACKET pair (one message a record, nothing half-read).  The engine
 * waits for each answer at most RG_PLUGIN_LOAD_TIMEOUT, never blocks on the socket, and
 * takes a pid only when it is a child of its own that it does not know as anything else;
 * anything else fails the zygote for good.  The zygote's own standard output and error
 * are /dev/null: a check child's output goes to the pipe its job came with. */
#define _GNU_SOURCE /* MSG_CMSG_CLOEXEC, CLONE_PARENT */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fileio.h"
#include "plugin_child.h"
#include "plugin_zygote.h"
#include "relgate/relgate.h"
#include "strbuf.h"

#define MAGIC_READY "RGZR"
#define MAGIC_JOB "RGZJ"
#define MAGIC_PID "RGZP"
#define MAGIC_LAST "RGZL"
#define ZYGOTE_SETUP_FAILED 93   /* the zygote could not be set up, or the engine broke the protocol */
#define SOCK_FD 3                /* in the zygote; the plugin file is 4 */
#define PLUGIN_FD 4              /* in the zygote, once set up */
#define MAGIC_SETUP "RGZS"
#define FILE_MAGIC "RGZF"
#define SLICE_MS 10

typedef struct zygote {
    const rg_plugin_file *file;
    pid_t owner;                 /* the process that started it (a fork of it has a copy of this table) */
    dev_t dev;                   /* FILE's identity and digest when it started */
    ino_t ino;
    char digest[RG_SHA256_LABEL_SIZE];
    pid_t pid;                   /* 0 once it ended and was waited for */
    int sock;                    /* -1 once closed */
    uint32_t seq;
    int started;                 /* 0: no process yet */
    int ready;                   /* its READY taken */
    uint32_t answered;           /* the last job whose pid was taken */
    int last_sent;               /* its LAST job sent: it takes no other */
    int spent;                   /* its LAST job's pid taken: it is that check's process now */
    int failed;
    rg_zygote_failure failure;
} zygote;

/* Per thread: a zygote is the child of the thread that forked it (its check children,
 * CLONE_PARENT, too), and only that thread waits for them; other threads leave them be
 * (rg_children_spare).  They are ended when the thread ends (thread_ended), at exit
 * (end_at_exit: the thread that calls exit() its own, rg_plugin_processes_kill every
 * other thread's) and by rg_plugin_processes_end. */
static _Thread_local zygote *zygotes;
static _Thread_local size_t zygote_count;
static _Thread_local pid_t *children_before;   /* this thread's children before its first zygote */
static _Thread_local size_t children_before_count;
static _Thread_local int last_evaluation;       /* rg_plugin_processes_last_evaluation */

static double monotonic_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* ---- The zygote ------------------------------------------------------------------------ */

static void zygote_send(const char magic[4], uint32_t seq, int32_t value, size_t len)
{
    char msg[12];
    memcpy(msg, magic, 4);
    memcpy(msg + 4, &seq, 4);
    memcpy(msg + 8, &value, 4);
    while (send(SOCK_FD, msg, len, MSG_NOSIGNAL) < 0)
        if (errno != EINTR)
            _exit(ZYGOTE_SETUP_FAILED);
}

/* The file this zygote loads, as the engine described it in the memory file INFO (a copy
 * of the engine's rg_plugin_file, its descriptor decoded again; the plugin itself is
 * PLUGIN_FD), and the environment its code gets, made this process's.  0, or -1 when
 * the description is not one. */
static int read_file_info(int info, rg_plugin_file *file)
{
    extern char **environ;
    struct stat st;
    char *data = NULL, **vars = NULL;
    const char *at, *end, *why;
    uint32_t len, count;
    memset(file, 0, sizeof *file);
    file->fd = PLUGIN_FD;
    if (fstat(info, &st) != 0 || st.st_size < 12 || st.st_size > (64 << 20) ||
        !(data = malloc((size_t)st.st_size)) || pread(info, data, (size_t)st.st_size, 0) != st.st_size ||
        memcmp(data, FILE_MAGIC, 4) != 0)
        goto bad;
    at = data + 4;
    end = data + st.st_size;
    memcpy(&len, at, 4);
    at += 4;
    if ((size_t)(end - at) < len || !(file->path = strndup(at, len)))
        goto bad;
    at += len;
    if ((size_t)(end - at) < sizeof file->identity + sizeof file->digest + 4)
        goto bad;
    memcpy(&file->identity, at, sizeof file->identity);
    at += sizeof file->identity;
    memcpy(file->digest, at, sizeof file->digest);
    file->digest[sizeof file->digest - 1] = '\0';
    at += sizeof file->digest;
    memcpy(&len, at, 4);
    at += 4;
    if ((size_t)(end - at) < (size_t)len + 4 || !(file->record = malloc(len ? len : 1)))
        goto bad;
    memcpy(file->record, at, len);
    file->record_len = len;
    at += len;
    memcpy(&count, at, 4);
    at += 4;
    if (count > 128 || !(vars = calloc((size_t)count + 1, sizeof *vars)))
        goto bad;
    for (uint32_t i = 0; i < count; i++) {
        if ((size_t)(end - at) < 4)
            goto bad;
        memcpy(&len, at, 4);
        at += 4;
        if ((size_t)(end - at) < len || !(vars[i] = strndup(at, len)))
            goto bad;
        at += len;
    }
    if (at != end || rg_plugin_decode(file->record, file->record_len, &file->data, &why) != 0)
        goto bad;
    environ = vars;
    free(data);
    return 0;
bad:
    free(data);
    return -1;
}

void rg_zygote_host(pid_t engine, rg_zygote_load_fn load, rg_zygote_run_fn run)
{
    rg_plugin_file file;
    const rg_plugin *desc;
    char first[16];
    int setup[2];
    ssize_t got;
    do
        got = rg_fds_receive(SOCK_FD, first, sizeof first, setup, 2);
    while (got < 0 && errno == EINTR);
    if (got == 0)
        _exit(0);   /* started ahead of time, and not needed */
    /* The description first: the plugin's descriptor may then take its number. */
    if (got != 8 || memcmp(first, MAGIC_SETUP, 4) != 0 || read_file_info(setup[1], &file) != 0 || close(setup[1]) != 0 ||
        dup2(setup[0], PLUGIN_FD) != PLUGIN_FD)
        _exit(ZYGOTE_SETUP_FAILED);
    if (setup[0] != PLUGIN_FD)
        close(setup[0]);
    desc = load(&file);
    zygote_send(MAGIC_READY, 0, 0, 8);
    for (;;) {
        char msg[16];
        int fds[3];
        uint32_t seq;
        pid_t child;
        ssize_t n = rg_fds_receive(SOCK_FD, msg, sizeof msg, fds, 3);
        if (n == 0)
            _exit(0);                     /* the engine is done with this plugin */
        if (n < 0 && errno == EINTR)
            continue;
        if (n != 8 || (memcmp(msg, MAGIC_JOB, 4) != 0 && memcmp(msg, MAGIC_LAST, 4) != 0))
            _exit(ZYGOTE_SETUP_FAILED);
        memcpy(&seq, msg + 4, 4);
        if (memcmp(msg, MAGIC_LAST, 4) == 0) {
            /* No job comes after it: this process runs it, as a child would (set up the
             * same way, from the same image), and spares the fork and the child's page
             * faults, on the path of a single decision. */
            zygote_send(MAGIC_PID, seq, (int32_t)getpid(), 12);
            close(SOCK_FD);
            run(&file, desc, engine, fds[0], fds[1], fds[2]);
            _exit(ZYGOTE_SETUP_FAILED);
        }
        /* The child's parent is the engine (CLONE_PARENT): the engine waits for it and
         * gets its status, not this process.  Its exit signal is this process's own,
         * SIGCHLD.  No glibc fork: none of its child-side work is needed in a
         * single-threaded process that holds no lock here, and raise() and abort() ask
         * the kernel for the thread id. */
        child = (pid_t)syscall(SYS_clone, (unsigned long)CLONE_PARENT, NULL, NULL, NULL, NULL);
        if (child == 0) {
            close(SOCK_FD);
            run(&file, desc, engine, fds[0], fds[1], fds[2]);
            _exit(ZYGOTE_SETUP_FAILED);
        }
        for (int i = 0; i < 3; i++)
            close(fds[i]);
        zygote_send(MAGIC_PID, seq, child > 0 ? (int32_t)child : -errno, 12);
    }
}

/* ---- The engine's side ----------------------------------------------------------------- */

static int known_zygote(pid_t pid)
{
    for (size_t i = 0; i < zygote_count; i++)
        if (zygotes[i].pid == pid)
            return 1;
    return 0;
}

/* Z ended, or must: its process group and it are killed and waited for (STATUS kept when
 * it had ended by itself), and its socket closed. */
static void zygote_stop(zygote *z)
{
    if (z->sock >= 0)
        close(z->sock);
    z->sock = -1;
    if (z->pid > 0) {
        int status;
        rg_child_end_group(z->pid);
        kill(z->pid, SIGKILL);
        if (waitpid(z->pid, &status, 0) == z->pid && !z->failure.exited) {
            z->failure.exited = 1;
            z->failure.status = status;
        }
        rg_children_spare(z->pid, 0);
        z->pid = 0;
    }
}

/* Z is failed for good, for the reason WHAT and DETAIL say. */
static void zygote_fail(zygote *z, const char *what, const char *detail)
{
    if (!z->failed) {
        z->failed = 1;
        snprintf(z->failure.why, sizeof z->failure.why, "its plugin's zygote %s%.120s", what, detail ? detail : "");
    }
    zygote_stop(z);
}

/* Has Z ended?  Its status is kept (not waited for again).  A zygote sent its LAST job
 * becomes that check's process as it answers, and may end right after: its end is only
 * looked at, never waited for here, so that whoever runs the check gets its status. */
static int zygote_ended(zygote *z)
{
    int status;
    if (z->pid > 0 && z->last_sent) {
        siginfo_t info;
        memset(&info, 0, sizeof info);
        return waitid(P_PID, (id_t)z->pid, &info, WEXITED | WNOHANG | WNOWAIT) != 0 || info.si_pid == z->pid;
    }
    if (z->pid > 0 && waitpid(z->pid, &status, WNOHANG) == z->pid) {
        z->failure.exited = 1;
        z->failure.status = status;
        rg_children_spare(z->pid, 0);
        z->pid = 0;
        return 1;
    }
    return z->pid <= 0;
}

/* The next message from Z, LEN bytes long, before DEADLINE: 0, or -1 with Z failed. */
static int zygote_receive(zygote *z, char *msg, size_t len, double deadline, const char *waiting_for)
{
    for (;;) {
        struct pollfd p = {.fd = z->sock, .events = POLLIN};
        double left = deadline - monotonic_ms();
        char got[16];   /* more than any message: a longer one shows as one */
        ssize_t n = recv(z->sock, got, sizeof got, MSG_DONTWAIT);
        int nothing_yet = n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR);
        if (n == (ssize_t)len) {
            memcpy(msg, got, len);
            return 0;
        }
        if (n > 0) {
            zygote_fail(z, "wrote a message that is not its protocol's", NULL);
            return -1;
        }
        /* It may have answered between the two looks, then ended (a LAST job done at
         * once): the answer stands. */
        if (!nothing_yet || zygote_ended(z)) {
            if (nothing_yet && recv(z->sock, got, sizeof got, MSG_DONTWAIT | MSG_PEEK) == (ssize_t)len)
                continue;
            /* Its end, or a socket gone: what it ended with is what the checks say. */
            for (double until = monotonic_ms() + 200; z->pid > 0 && !zygote_ended(z) && monotonic_ms() < until;)
                poll(NULL, 0, 1);
            zygote_fail(z, "ended ", waiting_for);
            return -1;
        }
        if (left <= 0) {
            char why[64];
            snprintf(why, sizeof why, "%s within %d s", waiting_for, RG_PLUGIN_LOAD_TIMEOUT);
            zygote_fail(z, "did not answer ", why);
            z->failure.exited = 0;   /* killed for its time, not an end of its own */
            return -1;
        }
        poll(&p, 1, left < SLICE_MS ? (int)left + 1 : SLICE_MS);
    }
}

/* At exit: this thread's zygotes in order, then every other plugin process of this
 * process (other threads' zygotes, whatever escaped). */
static void end_at_exit(void)
{
    rg_zygotes_end();
    rg_plugin_processes_kill();
}

static pthread_key_t thread_key;
static pthread_once_t ends_once = PTHREAD_ONCE_INIT;

/* A thread that kept zygotes ends: so do they, and what they left (the kernel would
 * kill its zygotes, PR_SET_PDEATHSIG, but not what escaped them). */
static void thread_ended(void *unused)
{
    (void)unused;
    rg_zygotes_end();
}

static void register_ends(void)
{
    atexit(end_at_exit);
    (void)pthread_key_create(&thread_key, thread_ended);
}

/* FILE's entry in this thread's table that can still answer a job, and take one when
 * SENDING (not after its LAST, unless it failed: a failed zygote fails every later job);
 * NULL when it has none.  One that runs its LAST job is a zygote no more. */
static zygote *zygote_find(const rg_plugin_file *file, int sending)
{
    if (zygote_count > 0 && zygotes[0].owner != getpid())
        rg_zygotes_end();   /* a fork's copy of its parent's table: forget it */
    /* The same file, not only the same address: a plugin set freed and loaded again may
     * put another file where this one was. */
    for (size_t i = 0; i < zygote_count; i++)
        if (zygotes[i].file == file && zygotes[i].ino == file->identity.st_ino &&
            zygotes[i].dev == file->identity.st_dev && strcmp(zygotes[i].digest, file->digest) == 0 &&
            !zygotes[i].spent && !(sending && zygotes[i].last_sent && !zygotes[i].failed))
            return &zygotes[i];
    return NULL;
}

/* A new entry for FILE, no process yet; NULL when out of memory. */
static zygote *zygote_add(const rg_plugin_file *file)
{
    zygote *grown = realloc(zygotes, (zygote_count + 1) * sizeof *zygotes), *z;
    if (!grown)
        return NULL;
    zygotes = grown;
    z = &zygotes[zygote_count++];
    memset(z, 0, sizeof *z);
    z->file = file;
    z->owner = getpid();
    z->dev = file->identity.st_dev;
    z->ino = file->identity.st_ino;
    snprintf(z->digest, sizeof z->digest, "%s", file->digest);
    z->sock = -1;
    return z;
}

/* FILE described for its zygote (read_file_info), in a memory file: its descriptor, or -1. */
static int file_info_fd(const rg_plugin_file *file)
{
    rg_strbuf b = {0};
    uint32_t len = (uint32_t)strlen(file->path), record_len = (uint32_t)file->record_len, count;
    char **vars;
    int fd;
    rg_strbuf_add(&b, FILE_MAGIC, 4);
    rg_strbuf_add(&b, (const char *)&len, 4);
    rg_strbuf_add(&b, file->path, len);
    rg_strbuf_add(&b, (const char *)&file->identity, sizeof file->identity);
    rg_strbuf_add(&b, file->digest, sizeof file->digest);
    rg_strbuf_add(&b, (const char *)&record_len, 4);
    rg_strbuf_add(&b, file->record, file->record_len);
    if (!(vars = rg_plugin_environment(file->data.desc.env)))
        b.failed = 1;
    for (count = 0; vars && vars[count]; count++)
        ;
    rg_strbuf_add(&b, (const char *)&count, 4);
    for (uint32_t i = 0; i < count; i++) {
        len = (uint32_t)strlen(vars[i]);
        rg_strbuf_add(&b, (const char *)&len, 4);
        rg_strbuf_add(&b, vars[i], len);
    }
    rg_plugin_environment_free(vars);
    fd = b.failed ? -1 : memfd_create("relgate-zygote-file", MFD_CLOEXEC);
    if (fd >= 0 && rg_write_all(fd, b.data, b.len) != 0) {
        close(fd);
        fd = -1;
    }
    free(b.data);
    return fd;
}

/* The plugin host as a zygote-to-be: its pid, its socket in *SOCK; or -1 with WHY. */
static pid_t host_start(int *sock, char *why, size_t why_size)
{
    int sv[2], null;
    pid_t pid;
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
        snprintf(why, why_size, "%s", strerror(errno));
        return -1;
    }
    if ((null = open("/dev/null", O_WRONLY | O_CLOEXEC)) < 0) {
        snprintf(why, why_size, "%s", strerror(errno));
        close(sv[0]);
        close(sv[1]);
        return -1;
    }
    rg_child_before_fork();
    pid = rg_host_spawn("zygote", NULL, null, &sv[1], 1, why, why_size);   /* the socket as SOCK_FD */
    close(null);
    close(sv[1]);
    if (pid < 0) {
        close(sv[0]);
        return -1;
    }
    rg_child_started(pid);
    *sock = sv[0];
    return pid;
}

static void registered_at_exit(void)
{
    pthread_once(&ends_once, register_ends);
    if (!pthread_getspecific(thread_key))
        (void)pthread_setspecific(thread_key, &thread_key);   /* thread_ended runs */
}

/* Z's process: the plugin host started now and sent its plugin (SETUP); its READY is
 * taken with the first job's answer (zygote_ready), so that the engine does other work
 * while the host starts and loads the plugin.  Or Z failed. */
static void zygote_start(zygote *z)
{
    char why[400], msg[8];
    int setup[2];
    z->started = 1;
    if (!children_before) {
        children_before = rg_children_list(&children_before_count);
        if (!children_before)
            children_before = calloc(1, sizeof *children_before);   /* none: still taken */
    }
    registered_at_exit();
    if ((z->pid = host_start(&z->sock, why, sizeof why)) < 0) {
        z->pid = 0;
        z->sock = -1;
        zygote_fail(z, "could not start: ", why);
        return;
    }
    if (rg_children_spare(z->pid, 1) != 0) {
        zygote_fail(z, "could not start: ", "too many plugin zygotes in this process");
        return;
    }
    setup[0] = z->file->fd;
    setup[1] = file_info_fd(z->file);
    memcpy(msg, MAGIC_SETUP, 4);
    memset(msg + 4, 0, 4);
    if (setup[1] < 0 || rg_fds_send(z->sock, msg, sizeof msg, setup, 2) != (ssize_t)sizeof msg) {
        snprintf(why, sizeof why, "%s", strerror(errno));
        if (setup[1] >= 0)
            close(setup[1]);
        zygote_fail(z, "could not be given its plugin: ", why);
        return;
    }
    close(setup[1]);
}

/* Z's READY, once: 0, or -1 with Z failed. */
static int zygote_ready(zygote *z)
{
    char ready[8];
    if (z->ready)
        return 0;
    if (zygote_receive(z, ready, sizeof ready, monotonic_ms() + RG_PLUGIN_LOAD_TIMEOUT * 1000.0,
                       "while loading the plugin") != 0)
        return -1;
    if (memcmp(ready, MAGIC_READY, 4) != 0) {
        zygote_fail(z, "wrote a message that is not its protocol's", NULL);
        return -1;
    }
    z->ready = 1;
    return 0;
}

static int zygote_send_job(zygote *z, const char *magic, int job_fd, int result_fd, int output_fd, double deadline)
{
    char msg[8];
    int fds[3] = {job_fd, result_fd, output_fd};
    memcpy(msg, magic, 4);
    memcpy(msg + 4, &z->seq, 4);
    for (;;) {
        struct pollfd p = {.fd = z->sock, .events = POLLOUT};
        double left = deadline - monotonic_ms();
        if (rg_fds_send(z->sock, msg, sizeof msg, fds, 3) == (ssize_t)sizeof msg)
            return 0;
        if ((errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) || left <= 0 || zygote_ended(z)) {
            if (z->ready || zygote_ready(z) == 0)   /* else it ended while loading: said so */
                zygote_fail(z, "did not take a job", NULL);
            return -1;
        }
        poll(&p, 1, left < SLICE_MS ? (int)left + 1 : SLICE_MS);
    }
}

int rg_zygote_send(const rg_plugin_file *file, int job_fd, int result_fd, int output_fd, int last, uint32_t *seq,
                   rg_zygote_failure *fail)
{
    zygote *z = zygote_find(file, 1), *running_last = zygote_find(file, 0);
    /* Answers are taken by FILE: a zygote whose LAST is unanswered must answer before a
     * new one is asked anything (the caller takes each pid before the next job). */
    if (running_last && running_last->last_sent && !running_last->failed) {
        memset(fail, 0, sizeof *fail);
        snprintf(fail->why, sizeof fail->why, "its plugin's zygote was sent a job before it answered its last");
        return -1;
    }
    if (!z && !(z = zygote_add(file))) {
        memset(fail, 0, sizeof *fail);
        snprintf(fail->why, sizeof fail->why, "its plugin's zygote could not start: out of memory");
        return -1;
    }
    if (!z->started)
        zygote_start(z);
    /* One that ended before its READY was taken ended while loading the plugin: said so
     * with its status (zygote_ready reads its end), however soon the engine noticed. */
    if (!z->failed && z->pid > 0 && zygote_ended(z) && (z->ready || zygote_ready(z) == 0))
        zygote_fail(z, "ended between checks", NULL);
    if (z->failed) {
        *fail = z->failure;
        return -1;
    }
    z->seq++;
    if (zygote_send_job(z, last ? MAGIC_LAST : MAGIC_JOB, job_fd, result_fd, output_fd,
                        monotonic_ms() + RG_PLUGIN_LOAD_TIMEOUT * 1000.0) != 0) {
        *fail = z->failure;
        return -1;
    }
    z->last_sent = last;
    *seq = z->seq;
    return 0;
}

pid_t rg_zygote_child(const rg_plugin_file *file, uint32_t seq, rg_zygote_failure *fail)
{
    zygote *z = zygote_find(file, 0);
    char reply[12];
    uint32_t got;
    int32_t pid;
    siginfo_t info;
    if (!z) {
        memset(fail, 0, sizeof *fail);
        snprintf(fail->why, sizeof fail->why, "its plugin's zygote is gone");
        return -1;
    }
    /* Answers come in the order of the jobs: each is taken once, in that order. */
    if (!z->failed && seq != z->answered + 1)
        zygote_fail(z, "was asked for an answer out of order", NULL);
    if (z->failed || zygote_ready(z) != 0 ||
        zygote_receive(z, reply, sizeof reply, monotonic_ms() + RG_PLUGIN_LOAD_TIMEOUT * 1000.0,
                       "with a check child") != 0) {
        *fail = z->failure;
        return -1;
    }
    z->answered = seq;
    memcpy(&got, reply + 4, 4);
    memcpy(&pid, reply + 8, 4);
    /* Only a child of ours that is not a zygote: a lie about any other process would
     * have the engine wait for, or kill, what is not this check's. */
    memset(&info, 0, sizeof info);
    if (memcmp(reply, MAGIC_PID, 4) != 0 || got != seq)
        zygote_fail(z, "wrote a message that is not its protocol's", NULL);
    else if (pid <= 0)
        zygote_fail(z, "could not start a check child: ", strerror(pid < 0 ? -pid : EINVAL));
    else if (z->last_sent && seq == z->seq ? pid != z->pid
                                           : known_zygote(pid) ||
                                                 waitid(P_PID, (id_t)pid, &info, WEXITED | WNOHANG | WNOWAIT) != 0)
        zygote_fail(z, "named a process that is not its check child", NULL);
    if (z->failed) {
        *fail = z->failure;
        return -1;
    }
    if (z->last_sent && seq == z->seq) {
        /* Its own process runs the job now: the caller waits for it and ends its group as
         * for any check; this table forgets it, so that nothing here kills or waits for a
         * pid that may be another's once it is waited for. */
        z->spent = 1;
        close(z->sock);
        z->sock = -1;
        rg_children_spare(z->pid, 0);
        z->pid = 0;
    }
    return pid;
}

void rg_zygote_refuse(const rg_plugin_file *file, const char *why)
{
    zygote *z = zygote_find(file, 0);
    if (z)
        zygote_fail(z, why, NULL);
}

size_t rg_zygote_pids(pid_t *out, size_t max)
{
    size_t n = 0;
    if (zygote_count > 0 && zygotes[0].owner != getpid())
        return 0;
    for (size_t i = 0; i < zygote_count && n < max; i++)
        if (zygotes[i].pid > 0)
            out[n++] = zygotes[i].pid;
    return n;
}

void rg_zygotes_end(void)
{
    /* A process forked from the one that started them has a copy of this table: the
     * zygotes are not its own to end. */
    int own = zygote_count > 0 && zygotes[0].owner == getpid();
    for (size_t i = 0; own && i < zygote_count; i++)
        zygote_stop(&zygotes[i]);
    /* What they started and left (setsid, orphans reparented to this subreaper). */
    if (own && children_before)
        rg_children_kill_strays(NULL, 0, children_before, children_before_count);
    for (size_t i = 0; !own && i < zygote_count; i++) {
        if (zygotes[i].sock >= 0)
            close(zygotes[i].sock);
        if (zygotes[i].pid > 0)
            rg_children_spare(zygotes[i].pid, 0);   /* the parent's, not this process's */
    }
    free(zygotes);
    zygotes = NULL;
    zygote_count = 0;
    free(children_before);
    children_before = NULL;
    children_before_count = 0;
}

void rg_plugin_processes_end(void)
{
    rg_zygotes_end();
}

void rg_plugin_processes_last_evaluation(void)
{
    last_evaluation = 1;
}

int rg_zygotes_last_evaluation(void)
{
    return last_evaluation;
}
