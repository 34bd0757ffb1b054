/* Plugin children: set-up, framed records, captured output, and the end of everything
 * they started.  See plugin_child.h. */
#define _GNU_SOURCE /* pipe2, close_range */
#include <dlfcn.h>
#include <limits.h>
#include <sched.h>
#include <spawn.h>
#include <stdatomic.h>
#include <sys/syscall.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "plugin_child.h"
#include "plugin_confine.h"
#include "relgate/relgate.h"
#include "rg_config.h"
#include "untrusted.h"

#define FRAME_VERSION 1u
#define MAX_ENV 64

/* The CPUs the engine's thread may run on, read before it forks a plugin child (each
 * thread its own: a child is a copy of the thread that forked it, this included). */
static _Thread_local cpu_set_t engine_cpus;
static _Thread_local pid_t engine_cpus_of;   /* the process they were read in; 0: not read */
static const char FRAME_END[4] = {'E', 'N', 'D', '\n'};

/* ---- Frames ---------------------------------------------------------------------------- */

static uint32_t fnv1a(const char *data, size_t len, uint32_t h)
{
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)data[i];
        h *= 16777619u;
    }
    return h;
}

static void put32(char *at, uint32_t v)
{
    memcpy(at, &v, 4);
}

static uint32_t get32(const char *at)
{
    uint32_t v;
    memcpy(&v, at, 4);
    return v;
}

void rg_frame_build(char *frame, const char magic[4], uint32_t kind, uint32_t seq,
                    const void *payload, uint32_t len)
{
    memcpy(frame, magic, 4);
    put32(frame + 4, FRAME_VERSION);
    put32(frame + 8, kind);
    put32(frame + 12, seq);
    put32(frame + 16, len);
    if (len)
        memcpy(frame + 20, payload, len);
    put32(frame + 20 + len, fnv1a(frame, 20 + (size_t)len, 2166136261u));
    memcpy(frame + 24 + len, FRAME_END, 4);
}

int rg_frame_parse(const char *data, size_t len, const char magic[4], uint32_t max_len,
                   rg_frame *f, const char **why)
{
    uint32_t plen;
    /* A foreign record is told from its first byte on, not after waiting for more. */
    if (memcmp(data, magic, len < 4 ? len : 4) != 0) {
        *why = "a foreign record (not relgate's)";
        return -1;
    }
    if (len < 20)
        return 0;
    if (get32(data + 4) != FRAME_VERSION) {
        *why = "a record of another protocol version";
        return -1;
    }
    plen = get32(data + 16);
    if (plen > max_len) {
        *why = "an oversized record";
        return -1;
    }
    if (len < RG_FRAME_OVERHEAD + (size_t)plen)
        return 0;
    if (get32(data + 20 + plen) != fnv1a(data, 20 + (size_t)plen, 2166136261u) ||
        memcmp(data + 24 + plen, FRAME_END, 4) != 0) {
        *why = "a damaged record (checksum or end marker)";
        return -1;
    }
    f->kind = get32(data + 8);
    f->seq = get32(data + 12);
    f->len = plen;
    f->payload = data + 20;
    f->used = RG_FRAME_OVERHEAD + (size_t)plen;
    return 1;
}

/* ---- The child's set-up --------------------------------------------------------------- */

static void default_signals(void)
{
    sigset_t none;
    for (int sig = 1; sig < NSIG; sig++)
        if (sig != SIGKILL && sig != SIGSTOP)
            signal(sig, SIG_DFL);
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
}

static void close_from(int first)
{
    struct rlimit rl;
    if (close_range((unsigned)first, ~0U, 0) == 0)
        return;
    /* Kernels before 5.9: every descriptor up to the limit. */
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > (1u << 20))
        rl.rlim_cur = 1u << 16;
    for (int fd = first; fd < (int)rl.rlim_cur; fd++)
        close(fd);
}

/* Descriptors KEEP[i] as 3 + i, every other one above 2 closed. */
static int arrange_fds(const int *keep, size_t count)
{
    int moved[300];
    if (count > sizeof moved / sizeof moved[0])
        return -1;
    /* Out of the way first (above every target), so no dup2 overwrites a later source. */
    for (size_t i = 0; i < count; i++)
        if ((moved[i] = fcntl(keep[i], F_DUPFD, 3 + (int)count)) < 0)
            return -1;
    for (size_t i = 0; i < count; i++)
        if (dup2(moved[i], 3 + (int)i) < 0)
            return -1;
    close_from(3 + (int)count);
    return 0;
}

static int valid_env_name(const char *s)
{
    if (!s || !*s || (*s >= '0' && *s <= '9'))
        return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '_'))
            return 0;
    return 1;
}

/* PATH=/usr/bin:/bin, for a plugin that runs a tool, and what NAMES names as this process
 * has them: nothing else of relgate's environment (CI tokens) reaches plugin code.  A
 * NULL-terminated array in VARS (MAX_ENV + 2 entries); the strings are the heap's. */
static char default_path[] = "PATH=/usr/bin:/bin";

static void plugin_environment(const char *const *names, char **vars)
{
    size_t n = 0;
    vars[n++] = default_path;
    for (size_t i = 0; names && names[i] && i < MAX_ENV; i++) {
        const char *value = valid_env_name(names[i]) ? getenv(names[i]) : NULL;
        size_t len;
        char *var;
        if (!value)
            continue;
        len = strlen(names[i]) + strlen(value) + 2;
        if (!(var = malloc(len)))
            continue;
        snprintf(var, len, "%s=%s", names[i], value);
        if (strcmp(names[i], "PATH") == 0)
            vars[0] = var;    /* the plugin asked for the caller's PATH */
        else
            vars[n++] = var;
    }
    vars[n] = NULL;
}

/* The environment of a process of relgate's own that plugin code reaches (a check child
 * of the engine's own checks, the plugin host at its start): PATH alone. */
static char *path_only[] = {default_path, NULL};

static void plugin_environment_free(char **vars)
{
    for (size_t i = 1; vars[i]; i++)
        free(vars[i]);
    if (vars[0] != default_path)
        free(vars[0]);
}

char **rg_plugin_environment(const char *const *names)
{
    char **vars = calloc(MAX_ENV + 2, sizeof *vars);
    if (vars)
        plugin_environment(names, vars);
    return vars;
}

void rg_plugin_environment_free(char **vars)
{
    if (vars)
        plugin_environment_free(vars);
    free(vars);
}

/* What every plugin child does first, whatever it inherited: a process group of its own,
 * killed with the engine, its output to OUTPUT_FD, only the descriptors it keeps. */
static int enter_process(pid_t engine, int output_fd, const int *keep, size_t keep_count)
{
    setpgid(0, 0);
    /* Every CPU the engine may use again (rg_child_started kept it off the engine's). */
    if (engine_cpus_of)
        sched_setaffinity(0, sizeof engine_cpus, &engine_cpus);
    prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive the engine */
    /* exec made this process dumpable again: another plugin's check, running as the same
     * user, could then open this one's /proc/PID/mem and write into its memory (a result
     * not yet sent, the plugin loaded).  Undumpable, as the engine is (and its check
     * children after it, which inherit it). */
    prctl(PR_SET_DUMPABLE, 0);
    if (getppid() != engine)
        return -1;                    /* it is already gone */
    if (dup2(output_fd, STDOUT_FILENO) < 0 || dup2(output_fd, STDERR_FILENO) < 0)
        return -1;
    return arrange_fds(keep, keep_count);
}

int rg_child_enter(pid_t engine, int output_fd, const int *keep, size_t keep_count)
{
    extern char **environ;
    int devnull;
    struct rlimit rl = {0, 0};
    default_signals();
    devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (devnull < 0 || dup2(devnull, STDIN_FILENO) < 0)
        return -1;
    if (enter_process(engine, output_fd, keep, keep_count) != 0)
        return -1;
    setrlimit(RLIMIT_CORE, &rl);
    environ = path_only;
    return 0;
}

int rg_child_enter_from_zygote(pid_t engine, int output_fd, const int *keep, size_t keep_count)
{
    return enter_process(engine, output_fd, keep, keep_count);
}

/* ---- The plugin host program ---------------------------------------------------------- */

#define HOST_NAME "relgate-plugin-host"

/* Whether PATH is a program only its owner (root or this user) can change. */
static int trusted_program(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & S_IXUSR) &&
           (st.st_uid == 0 || st.st_uid == geteuid()) && !(st.st_mode & (S_IWGRP | S_IWOTH));
}

/* The host in the build tree the running program is in: its folder, or one up to three
 * levels above it (the tests' programs), holds build.ninja. */
static int host_in_build_tree(char *out, size_t size)
{
    char dir[PATH_MAX], probe[PATH_MAX + 32];
    ssize_t n = readlink("/proc/self/exe", dir, sizeof dir - 1);
    if (n <= 0)
        return 0;
    dir[n] = '\0';
    for (int up = 0; up < 4; up++) {
        char *slash = strrchr(dir, '/');
        if (!slash || slash == dir)
            return 0;
        *slash = '\0';
        snprintf(probe, sizeof probe, "%s/build.ninja", dir);
        /* Only a host there that only its owner can change: a build.ninja in a folder
         * others can write (/tmp) does not make its core/ the host's. */
        if (access(probe, F_OK) == 0)
            return (size_t)snprintf(out, size, "%s/core/" HOST_NAME, dir) < size && trusted_program(out);
    }
    return 0;
}

/* The host of this library: beside it (the build tree's core/), else libexecdir/relgate
 * found from the library's own folder (so a DESTDIR or a moved prefix finds its own),
 * else where it was configured. */
static int host_installed(char *out, size_t size)
{
    static const char *const from_library[] = {".", RG_LIBEXEC_FROM_LIBDIR};
    Dl_info info;
    const char *slash;
    if (dladdr((void *)rg_host_spawn, &info) && info.dli_fname && (slash = strrchr(info.dli_fname, '/')))
        for (size_t i = 0; i < sizeof from_library / sizeof *from_library; i++)
            if ((size_t)snprintf(out, size, "%.*s/%s/" HOST_NAME, (int)(slash - info.dli_fname), info.dli_fname,
                                 from_library[i]) < size &&
                trusted_program(out))
                return 1;
    return (size_t)snprintf(out, size, "%s/" HOST_NAME, RG_PLUGIN_HOST_DIR) < size;
}

/* The engine's CPUs (engine_cpus) as hex, lowest CPU last: the host's argument. */
static void cpus_to_hex(const cpu_set_t *set, char *out, size_t size)
{
    static const char digits[] = "0123456789abcdef";
    int top = 0;
    size_t n = 0;
    for (int cpu = 0; cpu < CPU_SETSIZE; cpu++)
        if (CPU_ISSET(cpu, set))
            top = cpu;
    for (int nibble = top / 4; nibble >= 0 && n + 1 < size; nibble--) {
        int v = 0;
        for (int b = 0; b < 4; b++)
            if (CPU_ISSET(nibble * 4 + b, set))
                v |= 1 << b;
        out[n++] = digits[v];
    }
    out[n] = '\0';
}

static int hex_to_cpus(const char *hex, cpu_set_t *set)
{
    size_t len = strlen(hex);
    CPU_ZERO(set);
    if (len == 0 || len > CPU_SETSIZE / 4)
        return -1;
    for (size_t i = 0; i < len; i++) {
        char c = hex[len - 1 - i];
        int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (v < 0)
            return -1;
        for (int b = 0; b < 4; b++)
            if (v & (1 << b))
                CPU_SET((int)(i * 4) + b, set);
    }
    return CPU_COUNT(set) > 0 ? 0 : -1;
}

pid_t rg_host_spawn(const char *mode, const char *arg, int output_fd, const int *keep, size_t keep_count,
                    char *why, size_t why_size)
{
    char path[PATH_MAX + 64], engine[24], cpus[CPU_SETSIZE / 4 + 2] = "";
    char *argv[] = {path, (char *)mode, engine, cpus, (char *)arg, NULL};
    int moved[300], out = -1, rc = 0;
    size_t made = 0;
    pid_t pid = -1;
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    sigset_t none;
    if (keep_count > sizeof moved / sizeof moved[0]) {
        snprintf(why, why_size, "too many descriptors for the plugin host");
        errno = EINVAL;
        return -1;
    }
    if (!host_in_build_tree(path, sizeof path) && !host_installed(path, sizeof path)) {
        snprintf(why, why_size, "no plugin host program (" HOST_NAME ")");
        errno = ENOENT;
        return -1;
    }
    if (!trusted_program(path)) {
        snprintf(why, why_size, "the plugin host %.300s is missing, or may be changed by others than its owner", path);
        errno = EPERM;
        return -1;
    }
    snprintf(engine, sizeof engine, "%ld", (long)getpid());
    if (engine_cpus_of == getpid())
        cpus_to_hex(&engine_cpus, cpus, sizeof cpus);
    else
        snprintf(cpus, sizeof cpus, "-");
    /* Out of the way first (above every target), so that no dup2 overwrites a later source. */
    out = fcntl(output_fd, F_DUPFD_CLOEXEC, 3 + (int)keep_count);
    for (; made < keep_count && out >= 0; made++)
        if ((moved[made] = fcntl(keep[made], F_DUPFD_CLOEXEC, 3 + (int)keep_count)) < 0)
            break;
    posix_spawn_file_actions_init(&fa);
    posix_spawnattr_init(&at);
    sigemptyset(&none);
    if (out < 0 || made < keep_count) {
        rc = errno;
    } else {
        posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_adddup2(&fa, out, STDOUT_FILENO);
        posix_spawn_file_actions_adddup2(&fa, out, STDERR_FILENO);
        for (size_t i = 0; i < keep_count; i++)
            posix_spawn_file_actions_adddup2(&fa, moved[i], 3 + (int)i);
        posix_spawn_file_actions_addclosefrom_np(&fa, 3 + (int)keep_count);
        /* Handled signals are default after exec; the ignored ones the host makes default
         * itself (rg_host_enter), so that this process is not held while it does. */
        posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK);
        posix_spawnattr_setpgroup(&at, 0);
        posix_spawnattr_setsigmask(&at, &none);
        rc = posix_spawn(&pid, path, &fa, &at, argv, path_only);   /* a plugin's own: with SETUP */
    }
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    for (size_t i = 0; i < made; i++)
        close(moved[i]);
    if (out >= 0)
        close(out);
    if (rc != 0) {
        snprintf(why, why_size, "cannot start the plugin host %.300s: %s", path, strerror(rc));
        errno = rc;
        return -1;
    }
    return pid;
}

int rg_host_enter(int argc, char **argv, pid_t *engine)
{
    struct rlimit rl = {0, 0};
    char *end;
    long pid = argc >= 4 ? strtol(argv[2], &end, 10) : 0;
    if (pid <= 1 || *end)
        return -1;
    *engine = (pid_t)pid;
    /* Default handling of every signal, as exec left it: a handler a runtime installed
     * since (a sanitizer's) would make a check's crash something else than a crash. */
    default_signals();
    prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive the engine */
    if (getppid() != *engine)
        return -1;                    /* it is already gone */
    setrlimit(RLIMIT_CORE, &rl);
    /* Before any plugin code: no plugin process reaches one it did not start. */
    if (rg_plugin_confine() < 0)
        return -1;
    /* The engine's CPUs, for this process and the check children it starts (they take
     * them back in rg_child_enter_from_zygote: the engine steers each off its own). */
    if (strcmp(argv[3], "-") != 0 && hex_to_cpus(argv[3], &engine_cpus) == 0) {
        engine_cpus_of = getpid();
        sched_setaffinity(0, sizeof engine_cpus, &engine_cpus);
    }
    return 0;
}

/* ---- Descriptors over a socket ------------------------------------------------------- */

#define FDS_MAX 4

typedef union fds_control {
    struct cmsghdr align;
    char buf[CMSG_SPACE(FDS_MAX * sizeof(int))];
} fds_control;

ssize_t rg_fds_send(int sock, const void *msg, size_t len, const int *fds, size_t count)
{
    fds_control control;
    struct iovec iov = {(void *)msg, len};
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf,
                        .msg_controllen = CMSG_SPACE(count * sizeof(int))};
    struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
    if (count == 0 || count > FDS_MAX) {
        errno = EINVAL;
        return -1;
    }
    memset(control.buf, 0, sizeof control.buf);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(count * sizeof(int));
    memcpy(CMSG_DATA(c), fds, count * sizeof(int));
    return sendmsg(sock, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
}

ssize_t rg_fds_receive(int sock, void *msg, size_t cap, int *fds, size_t count)
{
    fds_control control;
    struct iovec iov = {msg, cap};
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf,
                        .msg_controllen = sizeof control.buf};
    struct cmsghdr *c;
    ssize_t n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
    int ok;
    if (n <= 0)
        return n;
    c = CMSG_FIRSTHDR(&mh);
    ok = count > 0 && count <= FDS_MAX && !(mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) && c && c->cmsg_level == SOL_SOCKET &&
         c->cmsg_type == SCM_RIGHTS && c->cmsg_len == CMSG_LEN(count * sizeof(int));
    /* Whatever came is closed when the message is refused: nothing leaks into the child. */
    for (; c; c = CMSG_NXTHDR(&mh, c))
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
            size_t got = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
            int received[FDS_MAX * 2];
            memcpy(received, CMSG_DATA(c), (got < FDS_MAX * 2 ? got : FDS_MAX * 2) * sizeof(int));
            for (size_t i = 0; !ok && i < got && i < FDS_MAX * 2; i++)
                close(received[i]);
            if (ok)
                memcpy(fds, received, count * sizeof(int));
        }
    if (!ok) {
        errno = EPROTO;
        return -1;
    }
    return n;
}

/* ---- The engine's side ---------------------------------------------------------------- */

void rg_child_before_fork(void)
{
    /* By process, as the subreaper below: a batch worker forks too.  Atomic: threads
     * evaluating separate policies fork checks at once (setting it twice is harmless). */
    static _Atomic pid_t hardened;
    if (atomic_load(&hardened) != getpid()) {
        prctl(PR_SET_DUMPABLE, 0);
        atomic_store(&hardened, getpid());
    }
    if (engine_cpus_of != getpid())
        engine_cpus_of = sched_getaffinity(0, sizeof engine_cpus, &engine_cpus) == 0 ? getpid() : 0;
    rg_children_note_before();
}

void rg_child_started(pid_t child)
{
    /* By process: fork does not pass the subreaper setting on (a batch worker sets its
     * own), though it copies this variable. */
    static _Atomic pid_t subreaper;
    setpgid(child, child);
    /* Off this CPU, when there is another: the scheduler keeps a child its parent just
     * forked or woke on the parent's CPU (a sync wake-up), where it waits for the engine,
     * busy with the inline requirements, while another CPU idles (perf sched timehist:
     * 2-3 ms of a cold decision's 18).  The child takes every CPU back as it starts. */
    if (engine_cpus_of == getpid() && CPU_COUNT(&engine_cpus) > 1) {
        cpu_set_t others = engine_cpus;
        int here = sched_getcpu();
        if (here >= 0 && here < CPU_SETSIZE && CPU_ISSET(here, &others)) {
            CPU_CLR(here, &others);
            sched_setaffinity(child, sizeof others, &others);
        }
    }
    if (atomic_load(&subreaper) != getpid()) {
        prctl(PR_SET_CHILD_SUBREAPER, 1);
        atomic_store(&subreaper, getpid());
    }
}

int rg_child_output_open(rg_child_output *o, int *write_end)
{
    int fds[2];
    memset(o, 0, sizeof *o);
    o->fd = -1;
    if (pipe2(fds, O_CLOEXEC) != 0)
        return -1;
    fcntl(fds[0], F_SETFL, O_NONBLOCK);
    o->fd = fds[0];
    *write_end = fds[1];
    return 0;
}

void rg_child_output_drain(rg_child_output *o)
{
    char chunk[8192];
    while (o->fd >= 0) {
        ssize_t n = read(o->fd, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        if (n <= 0) {
            close(o->fd);
            o->fd = -1;
            return;
        }
        if (!o->buf && !(o->buf = malloc(RG_CHILD_OUTPUT_MAX))) {
            o->dropped += (uint64_t)n;
            continue;
        }
        {
            size_t room = RG_CHILD_OUTPUT_MAX - o->len, take = (size_t)n < room ? (size_t)n : room;
            memcpy(o->buf + o->len, chunk, take);
            o->len += take;
            o->dropped += (uint64_t)n - take;
        }
    }
}

void rg_child_output_flush(rg_child_output *o, const char *prefix)
{
    if (o->len)
        rg_write_untrusted_lines(stderr, prefix, o->buf, o->len);
    if (o->dropped)
        fprintf(stderr, "%s[%llu more bytes of output not shown: at most %u are]\n", prefix,
                (unsigned long long)o->dropped, RG_CHILD_OUTPUT_MAX);
    o->len = 0;
    o->dropped = 0;
}

void rg_child_output_close(rg_child_output *o)
{
    if (o->fd >= 0)
        close(o->fd);
    free(o->buf);
    memset(o, 0, sizeof *o);
    o->fd = -1;
}

void rg_child_end_group(pid_t child)
{
    if (child > 0)
        killpg(child, SIGKILL);
}

/* ---- The children of this process, in every thread --------------------------------------
 *
 * The kernel reparents a process orphaned below a subreaper to the subreaper's thread
 * group — to one of its threads, the main one while it lives —, not to the thread whose
 * check started it: what a check left is looked for among the children of every thread.
 * Not among those of another thread busy starting plugin processes (a zygote, a check
 * child not yet named to it, its loader: rg_children_busy), nor a zygote another thread
 * keeps (rg_children_spare): those are not strays.  Everything here is system calls on
 * the stack, no heap and no lock, so that a signal handler may use it
 * (rg_plugin_processes_kill). */

#define BUSY_MAX 1024
#define SPARE_MAX 1024
#define BEFORE_MAX 1024
#define KILL_BATCH 512

static _Atomic pid_t busy_tids[BUSY_MAX];     /* threads busy starting plugin processes */
static _Thread_local int busy_depth, busy_slot = -1;
static _Atomic pid_t spared[SPARE_MAX];       /* zygotes the threads keep between evaluations */
/* This process's children (every thread's) when it first started a plugin process: what
 * rg_plugin_processes_kill leaves alone (the embedding program's own). */
static pid_t before_all[BEFORE_MAX];
static _Atomic size_t before_all_count;
static _Atomic pid_t before_all_of;           /* the process they were read in */
static _Atomic pid_t before_all_taking;

struct task_dirent {                          /* getdents64's record */
    uint64_t ino;
    int64_t off;
    unsigned short reclen;
    unsigned char type;
    char name[];
};

static pid_t current_tid(void)
{
    return (pid_t)syscall(SYS_gettid);
}

void rg_children_busy(int on)
{
    if (on) {
        if (busy_depth++ == 0) {
            pid_t tid = current_tid();
            for (int i = 0; i < BUSY_MAX; i++) {
                pid_t none = 0;
                if (atomic_compare_exchange_strong(&busy_tids[i], &none, tid)) {
                    busy_slot = i;
                    break;
                }
            }
        }
    } else if (busy_depth > 0 && --busy_depth == 0 && busy_slot >= 0) {
        atomic_store(&busy_tids[busy_slot], 0);
        busy_slot = -1;
    }
}

static int busy_elsewhere(pid_t tid, pid_t self)
{
    if (tid == self)
        return 0;
    for (int i = 0; i < BUSY_MAX; i++)
        if (atomic_load(&busy_tids[i]) == tid)
            return 1;
    return 0;
}

int rg_children_spare(pid_t pid, int on)
{
    for (int i = 0; i < SPARE_MAX; i++) {
        pid_t want = on ? 0 : pid;
        if (atomic_compare_exchange_strong(&spared[i], &want, on ? pid : 0))
            return 0;
    }
    return on ? -1 : 0;
}

static int is_spared(pid_t pid)
{
    for (int i = 0; i < SPARE_MAX; i++)
        if (atomic_load(&spared[i]) == pid)
            return 1;
    return 0;
}

/* "/proc/self/task/TID/children" into PATH (64 bytes), without stdio. */
static void children_path(char *path, const char *tid)
{
    static const char head[] = "/proc/self/task/", tail[] = "/children";
    size_t n = 0, len = strlen(tid);
    memcpy(path, head, sizeof head - 1);
    n = sizeof head - 1;
    if (len > 20)
        len = 20;
    memcpy(path + n, tid, len);
    n += len;
    memcpy(path + n, tail, sizeof tail);
}

/* Append the pids in the children file of task TID to OUT (at most MAX, *N counts them
 * all). */
static void task_children(const char *tid, pid_t *out, size_t max, size_t *n)
{
    char path[64], buf[512];
    long v = 0;
    int digits = 0, fd;
    ssize_t got;
    children_path(path, tid);
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
        return;
    while ((got = read(fd, buf, sizeof buf)) > 0 || (got < 0 && errno == EINTR))
        for (ssize_t i = 0; i < got; i++) {
            if (buf[i] >= '0' && buf[i] <= '9') {
                v = v * 10 + (buf[i] - '0');
                digits = 1;
                continue;
            }
            if (digits && v > 0) {
                if (*n < max)
                    out[*n] = (pid_t)v;
                ++*n;
            }
            v = 0;
            digits = 0;
        }
    if (digits && v > 0) {
        if (*n < max)
            out[*n] = (pid_t)v;
        ++*n;
    }
    close(fd);
}

/* The children of this process's threads into OUT (at most MAX): every thread's, or
 * (ALL 0) the calling thread's and those of the threads not busy starting plugin
 * processes.  Returns how many there are (more than MAX when OUT is short). */
static size_t children_of_tasks(int all, pid_t *out, size_t max)
{
    _Alignas(8) char entries[1024];   /* getdents64's records are 8-aligned */
    size_t n = 0;
    pid_t self = current_tid();
    long got;
    int dir = open("/proc/self/task", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0)
        return 0;
    while ((got = syscall(SYS_getdents64, dir, entries, sizeof entries)) > 0)
        for (long at = 0; at < got;) {
            const struct task_dirent *d = (const struct task_dirent *)(void *)(entries + at);
            long tid = 0;
            at += d->reclen;
            if (d->name[0] < '0' || d->name[0] > '9')
                continue;
            for (const char *c = d->name; *c >= '0' && *c <= '9'; c++)
                tid = tid * 10 + (*c - '0');
            if (!all && busy_elsewhere((pid_t)tid, self))
                continue;
            task_children(d->name, out, max, &n);
        }
    close(dir);
    return n;
}

pid_t *rg_children_list(size_t *count)
{
    pid_t *pids = NULL;
    size_t cap = 256, n;
    *count = 0;
    for (;;) {
        pid_t *grown = realloc(pids, cap * sizeof *pids);
        if (!grown) {
            free(pids);
            return NULL;
        }
        pids = grown;
        if ((n = children_of_tasks(0, pids, cap)) <= cap)
            break;
        cap = n + 64;   /* more came meanwhile: read again */
    }
    if (n == 0) {
        free(pids);
        return NULL;
    }
    *count = n;
    return pids;
}

static int listed(pid_t pid, const pid_t *list, size_t count)
{
    for (size_t i = 0; i < count; i++)
        if (list[i] == pid)
            return 1;
    return 0;
}

/* Kill and wait for PID and its process group: what it started is then reparented to us
 * (the next round finds it). */
static void kill_child(pid_t pid)
{
    kill(pid, SIGKILL);
    killpg(pid, SIGKILL);
    while (waitpid(pid, NULL, __WALL) < 0 && errno == EINTR)
        ;
}

/* Kill every child of this process's threads (ALL; else those rg_children_list reads)
 * but those in KEEP and BEFORE (and, unless ALL, the zygotes threads keep), round after
 * round: killing one reparents its own children to us, so look again until none is left
 * (bounded: a fork bomb by RLIMIT_NPROC, this loop by its rounds).  System calls only. */
static void kill_children_but(int all, const pid_t *keep, size_t keep_count, const pid_t *before,
                              size_t before_count)
{
    for (int round = 0; round < 1000; round++) {
        pid_t now[KILL_BATCH];
        size_t n = children_of_tasks(all, now, KILL_BATCH), killed = 0;
        for (size_t i = 0; i < n && i < KILL_BATCH; i++) {
            if (listed(now[i], keep, keep_count) || listed(now[i], before, before_count) ||
                (!all && is_spared(now[i])))
                continue;
            kill_child(now[i]);
            killed++;
        }
        if (!killed)
            return;
    }
}

void rg_children_kill_strays(const pid_t *keep, size_t keep_count, const pid_t *before,
                             size_t before_count)
{
    kill_children_but(0, keep, keep_count, before, before_count);
}

void rg_children_note_before(void)
{
    pid_t me = getpid(), was = atomic_load(&before_all_taking);
    if (atomic_load(&before_all_of) == me || was == me ||
        !atomic_compare_exchange_strong(&before_all_taking, &was, me))
        return;
    atomic_store(&before_all_of, 0);
    atomic_store(&before_all_count, children_of_tasks(1, before_all, BEFORE_MAX));
    atomic_store(&before_all_of, me);
}

void rg_plugin_processes_kill(void)
{
    int saved = errno;
    size_t keep;
    if (atomic_load(&before_all_of) != getpid()) {
        errno = saved;
        return;   /* this process has started no plugin process */
    }
    keep = atomic_load(&before_all_count);
    if (keep > BEFORE_MAX)
        keep = BEFORE_MAX;
    kill_children_but(1, NULL, 0, before_all, keep);
    errno = saved;
}
