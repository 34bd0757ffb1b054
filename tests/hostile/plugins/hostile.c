/* Hostile plugins, one per build (-DHOSTILE_<KIND>): each tries one way of taking the gate
 * down, talking it into "allow", leaving something behind or reading what is not its
 * own.  tests/hostile/test_hostile_plugins.py runs relgate over each and holds it to:
 * exit 2 (refused at load) or a deny whose requirement is an error (or a fail, for the
 * checks that only misbehave around an honest answer) — never allow —, a message naming
 * the plugin, bounded time, nothing left running, stdout only the decision.
 *
 * The one check, hostile.check, answers "fail" when it gets to answer at all, so a gate
 * that lets one through denies anyway: what a case asserts is how relgate ends. */
#define _GNU_SOURCE /* prlimit */
#include <relgate/plugin.h>
#include <fcntl.h>
#include <signal.h>
#include <dirent.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define UNUSED __attribute__((unused))

/* A result record as the engine frames them (core/plugin_child.c): what a forger would
 * write.  MAGIC, version, kind, seq, length, payload, FNV-1a, "END\n". */
static UNUSED size_t forged_frame(char *out, const char *magic, const char *payload)
{
    uint32_t v[4] = {1, 1, 0, (uint32_t)strlen(payload)}, h = 2166136261u;
    size_t n = 0;
    memcpy(out, magic, 4);
    memcpy(out + 4, v, 16);
    memcpy(out + 20, payload, v[3]);
    n = 20 + v[3];
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)out[i];
        h *= 16777619u;
    }
    memcpy(out + n, &h, 4);
    memcpy(out + n + 4, "END\n", 4);
    return n + 8;
}

static UNUSED void write_everywhere(const void *data, size_t len)
{
    for (int fd = 0; fd < 1024; fd++)
        (void)!write(fd, data, len);
}

/* A line in hostile-mark.txt (in the working directory): which process ran this. */
static UNUSED void mark(const char *what)
{
    char line[256];
    int fd = open("hostile-mark.txt", O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd < 0)
        return;
    snprintf(line, sizeof line, "%s pid=%d ppid=%d\n", what, (int)getpid(), (int)getppid());
    (void)!write(fd, line, strlen(line));
    close(fd);
}

/* /proc/PID/WHAT's start into BUF (SIZE bytes, NUL-terminated): its length, or 0. */
static UNUSED size_t proc_text(pid_t pid, const char *what, char *buf, size_t size)
{
    char path[64];
    int fd;
    ssize_t n;
    snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, what);
    if ((fd = open(path, O_RDONLY)) < 0)
        return 0;
    n = read(fd, buf, size - 1);
    close(fd);
    buf[n > 0 ? n : 0] = '\0';
    return n > 0 ? (size_t)n : 0;
}

/* The parent of PID (from /proc/PID/stat), or 0. */
static UNUSED pid_t parent_of(pid_t pid)
{
    char buf[512], *close_paren;
    int ppid = 0;
    if (!proc_text(pid, "stat", buf, sizeof buf) || !(close_paren = strrchr(buf, ')')) ||
        sscanf(close_paren + 1, " %*c %d", &ppid) != 1)
        return 0;
    return (pid_t)ppid;
}

/* Whether PID is a plugin host (its name, which /proc shows anyone). */
static UNUSED int is_plugin_host(pid_t pid)
{
    char comm[32];
    return proc_text(pid, "comm", comm, sizeof comm) && strncmp(comm, "relgate-plugin", 14) == 0;
}

/* 1 when /proc/PID/WHAT opens with FLAGS (another process's memory, environment). */
static UNUSED int opens(pid_t pid, const char *what, int flags)
{
    char path[64];
    int fd;
    snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, what);
    if ((fd = open(path, flags)) < 0)
        return 0;
    close(fd);
    return 1;
}

/* For SECONDS, every process of this user but this one, as it appears: how many
 * processes' memory opened for writing.  Round 33, F02: a plugin host is dumpable from
 * its exec until it hardens itself, and a descriptor opened then stays good. */
static UNUSED int watch_processes(double seconds)
{
    struct timespec start, now;
    int reached = 0;
    clock_gettime(CLOCK_MONOTONIC, &start);
    do {
        DIR *d = opendir("/proc");
        struct dirent *e;
        while (d && (e = readdir(d)) != NULL) {
            char path[64];
            struct stat st;
            int pid = atoi(e->d_name);
            if (pid <= 1 || pid == getpid())
                continue;
            snprintf(path, sizeof path, "/proc/%d", pid);
            if (stat(path, &st) == 0 && st.st_uid == getuid())
                reached += opens(pid, "mem", O_RDWR);
        }
        if (d)
            closedir(d);
        clock_gettime(CLOCK_MONOTONIC, &now);
    } while ((double)(now.tv_sec - start.tv_sec) + (double)(now.tv_nsec - start.tv_nsec) / 1e9 < seconds);
    return reached;
}

/* A process that outlives its parent unless relgate kills it, and says who it is. */
static UNUSED void linger(int escape, int garbage)
{
    int ready[2];
    char c;
    pid_t pid;
    if (pipe(ready) != 0)
        return;
    if ((pid = fork()) != 0) {
        /* Back to the plugin only once the lingerer is in place (escaped, recorded). */
        close(ready[1]);
        if (pid > 0)
            (void)!read(ready[0], &c, 1);
        close(ready[0]);
        return;
    }
    close(ready[0]);
    signal(SIGTERM, SIG_IGN);
    signal(SIGHUP, SIG_IGN);
    if (escape)
        setsid();
    mark("lingerer");
    if (garbage)
        write_everywhere("garbage!garbag", 14);
    (void)!write(ready[1], "", 1);
    close(ready[1]);
    sleep(60);
    _exit(0);
}

#if defined(HOSTILE_CTOR_EXIT0) || defined(HOSTILE_CTOR_EXIT1) || defined(HOSTILE_CTOR_ABORT) || \
    defined(HOSTILE_CTOR_LOOP) || defined(HOSTILE_CTOR_FORK) || defined(HOSTILE_WRONG_ABI) || \
    defined(HOSTILE_CTOR_MARK)
__attribute__((constructor)) static void hostile_constructor(void)
{
#if defined(HOSTILE_CTOR_EXIT0)
    _exit(0);
#elif defined(HOSTILE_CTOR_EXIT1)
    exit(1);
#elif defined(HOSTILE_CTOR_ABORT)
    abort();
#elif defined(HOSTILE_CTOR_LOOP)
    for (volatile unsigned long i = 0;; i++) ;
#elif defined(HOSTILE_CTOR_FORK)
    linger(0, 1);
#elif defined(HOSTILE_WRONG_ABI) || defined(HOSTILE_CTOR_MARK)
    mark("constructor");
#endif
}
#endif

#if defined(HOSTILE_ZYGOTE_LIE)
#include <pthread.h>
#include <sys/socket.h>
/* In the zygote, a thread between relgate's zygote loop and the engine: it puts itself on
 * the loop's socket (descriptor 3), passes everything on, and answers the engine's second
 * job with the pid of the first job's check child, which is still running (each check
 * sleeps 300 ms): a zygote naming a process that is another check's.  A job the zygote is
 * to run itself (LAST, "RGZL") it answers at once, never passing it on, with that pid. */
static int relay_engine = -1, relay_loop = -1;
static int32_t first;

static ssize_t relay(int from, int to)
{
    char msg[16];
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(4 * sizeof(int))];
    } control;
    struct iovec iov = {msg, sizeof msg};
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf,
                        .msg_controllen = sizeof control.buf};
    ssize_t n = recvmsg(from, &mh, 0);
    if (n <= 0)
        _exit(0);
    iov.iov_len = (size_t)n;
    if (n == 8 && memcmp(msg, "RGZL", 4) == 0 && first) {
        memcpy(msg, "RGZP", 4);
        memcpy(msg + 8, &first, 4);
        send(relay_engine, msg, 12, 0);
        return n;
    }
    if (n == 12) {   /* a pid for the engine */
        int32_t pid;
        memcpy(&pid, msg + 8, 4);
        if (!first)
            first = pid;
        else
            memcpy(msg + 8, &first, 4);
    }
    if (mh.msg_controllen == 0)
        mh.msg_control = NULL;
    sendmsg(to, &mh, 0);
    return n;
}

static void *relay_thread(void *unused)
{
    (void)unused;
    relay(relay_loop, relay_engine);        /* READY */
    for (;;) {
        relay(relay_engine, relay_loop);    /* a job, with its descriptors */
        relay(relay_loop, relay_engine);    /* the pid, the second one a lie */
    }
    return NULL;
}

__attribute__((constructor)) static void zygote_lie_constructor(void)
{
    int sv[2], type = 0;
    socklen_t len = sizeof type;
    pthread_t thread;
    /* The zygote only: its descriptor 3 is the socket to the engine. */
    if (!getenv("HOSTILE_SHIFT") || getsockopt(3, SOL_SOCKET, SO_TYPE, &type, &len) != 0 ||
        type != SOCK_SEQPACKET || socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) != 0)
        return;
    relay_engine = dup(3);
    relay_loop = sv[1];
    dup2(sv[0], 3);
    pthread_create(&thread, NULL, relay_thread, NULL);
}
#endif

#if defined(HOSTILE_ZYGOTE_EXIT0) || defined(HOSTILE_KILL_ZYGOTE) || defined(HOSTILE_ZYGOTE_FORK) || \
    defined(HOSTILE_ZYGOTE_SELF) || defined(HOSTILE_ZYGOTE_SLOW) || defined(HOSTILE_SLOW_SETSID)
/* The loader child runs with PATH alone; the plugin's zygote (and its check children) with
 * the variable the plugin declares: so these misbehave in the zygote only, after the
 * loader found them valid. */
static UNUSED pid_t zygote_pid;
__attribute__((constructor)) static void zygote_constructor(void)
{
    if (!getenv("HOSTILE_SHIFT"))
        return;
#if defined(HOSTILE_ZYGOTE_EXIT0)
    _exit(0);
#elif defined(HOSTILE_ZYGOTE_FORK) || defined(HOSTILE_SLOW_SETSID)
    linger(1, 0);   /* escaped (setsid), ignoring SIGTERM, for the zygote's whole life */
#elif defined(HOSTILE_ZYGOTE_SLOW)
    usleep(1500000);   /* slow to load (within the 2 s a zygote has): a busy box's zygote */
#else
    zygote_pid = getpid();
#endif
}
#endif

static rg_check_status run(const rg_host *host, rg_check_call *call)
{
#if defined(HOSTILE_FORGE)
    char frame[512], worker[256];
    const char *allow = "{\"status\":\"pass\",\"message\":\"forged\",\"details\":{}}";
    const char *decision = "{\"decision\":\"allow\",\"requirements\":[]}\n";
    size_t n = forged_frame(frame, "RGCR", allow);
    int32_t code = 0;
    uint32_t len = (uint32_t)strlen(decision);
    memcpy(worker, &code, 4);
    memcpy(worker + 4, &len, 4);
    memcpy(worker + 8, decision, len);
    write_everywhere(frame, n);
    write_everywhere(worker, 8 + len);
    write_everywhere(allow, strlen(allow) + 1);   /* the old protocol: JSON and a NUL */
    return host->fail(call, "forged records everywhere");
#elif defined(HOSTILE_PROC_PARENT)
    /* Reopen what the engine holds through /proc (its stdout carries the decision) and
     * write a decision there; read its memory. */
    const char *decision = "{\"decision\":\"allow\",\"forged\":\"proc\"}\n";
    char path[64];
    int reached = 0;
    for (int fd = 0; fd < 64; fd++) {
        int w;
        snprintf(path, sizeof path, "/proc/%d/fd/%d", (int)getppid(), fd);
        if ((w = open(path, O_WRONLY)) >= 0) {
            reached += write(w, decision, strlen(decision)) > 0;
            close(w);
        }
    }
    /* Every ancestor's memory and environment: the zygote, the engine, a batch's parent
     * or relgate serve's main process (round 33, F03: those that start no plugin process
     * themselves stayed open). */
    int above = 0;   /* of those, in processes above this plugin's host (root may open its own) */
    for (pid_t up = getppid(); up > 1; up = parent_of(up)) {
        int got = opens(up, "mem", O_RDWR) + opens(up, "environ", O_RDONLY);
        reached += got;
        above += is_plugin_host(up) ? 0 : got;
    }
    /* A plugin host's memory, as another plugin's check would open it: this process's
     * child is one (it is a plugin host process too, set up as this one was). */
    {
        pid_t other = fork();
        if (other == 0) {
            pause();
            _exit(0);
        }
        if (other > 0) {
            int m;
            snprintf(path, sizeof path, "/proc/%d/mem", (int)other);
            if ((m = open(path, O_RDWR)) >= 0) {
                reached++;
                close(m);
            }
            kill(other, SIGKILL);
            waitpid(other, NULL, 0);
        }
    }
    return host->fail(call, "reached %d of the engine's files (and a plugin host's memory) through /proc; "
                      "%d in processes above its plugin host", reached, above);
#elif defined(HOSTILE_PRLIMIT_ENGINE)
    /* Lower the engine's limits (its parent's: a check child's parent is the engine, as
     * the zygote's is): few open files, no file size. */
    struct rlimit few = {8, 8}, none = {0, 0};
    int files = prlimit(getppid(), RLIMIT_NOFILE, &few, NULL), size = prlimit(getppid(), RLIMIT_FSIZE, &none, NULL);
    return host->fail(call, "the engine's limits: %s", files == 0 || size == 0 ? "lowered" : "refused");
#elif defined(HOSTILE_SCHED_ENGINE)
    /* Starve the engine (its parent, as above): the lowest CPU priority, the idle
     * scheduling class, one CPU, the idle disk class. */
    struct sched_param param = {0};
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(0, &one);
    int changed = (setpriority(PRIO_PROCESS, (id_t)getppid(), 19) == 0) +
                  (sched_setscheduler(getppid(), SCHED_IDLE, &param) == 0) +
                  (sched_setaffinity(getppid(), sizeof one, &one) == 0) +
                  (syscall(SYS_ioprio_set, 1 /* IOPRIO_WHO_PROCESS */, getppid(), 3 << 13 /* idle */) == 0);
    return host->fail(call, "the engine's scheduling: %s", changed ? "changed" : "refused");
#elif defined(HOSTILE_TTY_TAKE)
    /* Take relgate's terminal's foreground, with TOSTOP: its next write would stop it. */
    struct termios tio;
    int tty = open("/dev/tty", O_RDWR | O_NOCTTY);
    if (tty < 0)
        return host->fail(call, "no controlling terminal to take");
    signal(SIGTTOU, SIG_IGN);
    if (tcgetattr(tty, &tio) == 0) {
        tio.c_lflag |= TOSTOP;
        tcsetattr(tty, TCSANOW, &tio);
    }
    return host->fail(call, tcsetpgrp(tty, getpgrp()) == 0 ? "took the terminal's foreground"
                                                          : "could not take the terminal's foreground");
#elif defined(HOSTILE_PROC_WATCH)
    int reached = watch_processes(1.5);
    return host->fail(call, "opened the memory of %d other processes of its user", reached);
#elif defined(HOSTILE_GARBAGE)
    write_everywhere("\x01garbage\xffjunk!", 14);
    return host->fail(call, "wrote garbage everywhere");
#elif defined(HOSTILE_CHECK_EXIT0)
    exit(0);
#elif defined(HOSTILE_PARTIAL_EXIT0)
    char frame[512];
    forged_frame(frame, "RGCR", "{\"status\":\"pass\",\"message\":\"x\",\"details\":{}}");
    (void)!write(3, frame, 25);
    _exit(0);
#elif defined(HOSTILE_GRANDCHILD)
    linger(0, 0);
    return host->fail(call, "left a grandchild holding stdout and stderr");
#elif defined(HOSTILE_SETSID)
    linger(1, 0);
    return host->fail(call, "left an escaped grandchild");
#elif defined(HOSTILE_SLOW_SETSID)
    /* Still running (and its escaped grandchild, and the zygote's) when relgate is sent
     * an ending signal: a pass, were relgate to wait for it. */
    linger(1, 0);
    mark("check");
    sleep(20);
    return host->pass(call, "passed after 20 s");
#elif defined(HOSTILE_IGNORE_TERM)
    signal(SIGTERM, SIG_IGN);
    for (volatile unsigned long i = 0;; i++) ;
    return host->pass(call, "never reached");
#elif defined(HOSTILE_FLOOD)
    static char block[65536];
    memset(block, 'A', sizeof block);
    block[sizeof block - 1] = '\n';
    for (int i = 0; i < 160; i++)   /* 10 MiB */
        (void)!write(2, block, sizeof block);
    return host->fail(call, "flooded stderr");
#elif defined(HOSTILE_ENV)
    extern char **environ;
    size_t count = 0;
    for (char **e = environ; *e; e++)
        count++;
    if (getenv("GITHUB_TOKEN"))
        return host->pass(call, "saw GITHUB_TOKEN=%s", getenv("GITHUB_TOKEN"));
    host->add_number(call, host->details(call), "variables", (double)count);
    host->add_string(call, host->details(call), "path", getenv("PATH") ? getenv("PATH") : "");
    return host->fail(call, "no token in sight (%zu variables)", count);
#elif defined(HOSTILE_ENV_MEMORY)
    /* Not through getenv: the environment block the process started with
     * (/proc/self/environ), then the rest of its memory it can read as its own
     * (/proc/self/mem) — a copy of relgate's would hold the engine's.  The secret is
     * looked for stored XOR 0x5a, so that this code's own memory never holds it. */
    static const unsigned char secret[] = {0x3d, 0x32, 0x2a, 0x05, 0x29, 0x3f, 0x39, 0x28, 0x3f, 0x2e};  /* "ghp_secret" */
    static char buf[1 << 16];
    const char *where = NULL;
    int fd = open("/proc/self/environ", O_RDONLY);
    FILE *maps;
    char line[512];
    ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf) : -1;
    if (fd >= 0)
        close(fd);
    for (ssize_t i = 0; !where && i + (ssize_t)sizeof secret <= n; i++)
        for (size_t k = 0; k < sizeof secret && (unsigned char)(buf[i + k] ^ 0x5a) == secret[k]; k++)
            if (k + 1 == sizeof secret)
                where = "its environment block";
    maps = fopen("/proc/self/maps", "r");
    fd = open("/proc/self/mem", O_RDONLY);
    while (!where && maps && fd >= 0 && fgets(line, sizeof line, maps)) {
        unsigned long lo, hi;
        char perms[5];
        /* Not a sanitizer's shadow or reserve (huge, zero): a copy of relgate's heap, stack
         * or data would be in the regions of a normal size. */
        if (sscanf(line, "%lx-%lx %4s", &lo, &hi, perms) != 3 || perms[0] != 'r' || strstr(line, "[vvar") ||
            hi - lo > (32ul << 20))
            continue;
        for (unsigned long at = lo; !where && at < hi; at += sizeof buf - sizeof secret) {
            size_t want = hi - at < sizeof buf ? hi - at : sizeof buf;
            ssize_t got = pread(fd, buf, want, (off_t)at);
            for (ssize_t i = 0; !where && i + (ssize_t)sizeof secret <= got; i++)
                for (size_t k = 0; k < sizeof secret && (unsigned char)(buf[i + k] ^ 0x5a) == secret[k]; k++)
                    if (k + 1 == sizeof secret)
                        where = "its memory";
            if (got < (ssize_t)want)
                break;
        }
    }
    if (maps)
        fclose(maps);
    if (fd >= 0)
        close(fd);
    if (where)
        return host->pass(call, "found relgate's token in %s", where);
    return host->fail(call, "no secret of relgate's in its memory");
#elif defined(HOSTILE_STATUS)
    (void)host;
    (void)call;
    return (rg_check_status)42;
#elif defined(HOSTILE_STATUS_LIE)
    host->fail(call, "said fail");
    return (rg_check_status)42;
#elif defined(HOSTILE_KILL_ZYGOTE)
    /* A check child of the zygote kills it, then answers honestly: the checks after it
     * must be errors, never answered by a zygote that is gone. */
    const char *version = host->context_string(call, "release.version");
    if (zygote_pid > 0 && zygote_pid != getpid())
        kill(zygote_pid, SIGKILL);
    return host->pass(call, "passed %s, and killed its zygote", version ? version : "?");
#elif defined(HOSTILE_ZYGOTE_LIE)
    usleep(300000);
    return host->pass(call, "passed after 300 ms");
#elif defined(HOSTILE_ZYGOTE_SLOW)
    usleep(300000);
    return host->fail(call, "loaded, ran and failed");
#elif defined(HOSTILE_LIVE_BLIND)
    /* Judges only whether a live source is named, and reads nothing else: its result for
     * a context naming none must not answer for one that names one (round 24, F01). */
    const char *source = host->abi_minor >= 4 ? host->evidence_source(call, "ci") : NULL;
    if (source)
        return host->fail(call, "a live source is named: %s", source);
    return host->pass(call, "no live source named");
#elif defined(HOSTILE_ZYGOTE_SELF)
    /* Not hostile: which process runs the check, the zygote itself or a child of it. */
    return host->pass(call, zygote_pid == getpid() ? "ran in its zygote" : "ran in a child of its zygote");
#else
    return host->fail(call, "loaded, ran and failed");
#endif
}

#if (defined(HOSTILE_SHIFTY) || defined(HOSTILE_ZYGOTE_EXIT0) || defined(HOSTILE_KILL_ZYGOTE) || \
     defined(HOSTILE_ZYGOTE_FORK) || defined(HOSTILE_ZYGOTE_LIE) || defined(HOSTILE_ZYGOTE_SELF) || \
     defined(HOSTILE_ZYGOTE_SLOW) || defined(HOSTILE_SLOW_SETSID)) && \
    RG_PLUGIN_ABI_MINOR >= 3
static const char *const shifty_env[] = {"HOSTILE_SHIFT", NULL};
#endif

#if defined(HOSTILE_HUGE_ALLOWED) || defined(HOSTILE_ALLOWED_CTRL) || defined(HOSTILE_LONG_ALLOWED)
/* Allowed values (ABI 1.3) past every bound: more than 64 of them (filled in by the
 * entry point), a value with a terminal escape, a value of 1 MiB. */
static const char *allowed[100000 + 1] = {"red", "green\x1b]0;title\x07", NULL};
static const rg_param params[] = {
    {"colour", RG_PARAM_STRING, 0, NULL, "a colour", allowed},
};
#define PARAMS params, 1
#else
#define PARAMS NULL, 0
#endif

#if defined(HOSTILE_PROC_WATCH)
/* A moment's wait, so that another plugin's host starts while hostile.check watches. */
static rg_check_status nap(const rg_host *host, rg_check_call *call)
{
    usleep(300000);
    return host->pass(call, "napped");
}
#endif

static const rg_check checks[] = {
    {"hostile.check", "A check that misbehaves", PARAMS, run},
#if defined(HOSTILE_PROC_WATCH)
    {"hostile.nap", "Waits a moment", NULL, 0, nap},
#endif
#if defined(HOSTILE_DUPLICATE)
    {"hostile.check", "The same name again", NULL, 0, run},
#endif
};

static const rg_plugin plugin = {
#if defined(HOSTILE_WRONG_ABI)
    RG_PLUGIN_ABI_MAJOR + 1, 0, sizeof(rg_plugin),
#else
    RG_PLUGIN_ABI_MAJOR, RG_PLUGIN_ABI_MINOR, sizeof(rg_plugin),
#endif
    "hostile", "1.0.0", "Test fixture: a hostile plugin", "MIT",
    checks, sizeof checks / sizeof checks[0], 0,
#if RG_PLUGIN_ABI_MINOR >= 3   /* (builds against an older header too: to compare) */
#if defined(HOSTILE_SHIFTY) || defined(HOSTILE_ZYGOTE_EXIT0) || defined(HOSTILE_KILL_ZYGOTE) || \
    defined(HOSTILE_ZYGOTE_FORK) || defined(HOSTILE_ZYGOTE_LIE) || defined(HOSTILE_ZYGOTE_SELF) || \
    defined(HOSTILE_ZYGOTE_SLOW) || defined(HOSTILE_SLOW_SETSID)
    shifty_env,
#else
    NULL,
#endif
#if defined(HOSTILE_CHECK_SIZE)
    sizeof(rg_check) - sizeof(void *), sizeof(rg_param),   /* shorter than ABI 1.3's rg_check */
#elif defined(HOSTILE_HUGE_SIZE)
    1u << 30, sizeof(rg_param),                            /* a stride of 1 GiB */
#else
    sizeof(rg_check), sizeof(rg_param),
#endif
#endif
};

#if defined(HOSTILE_HUGE_STRING) || defined(HOSTILE_LONG_ALLOWED)
static char huge[1 << 20];
#endif
#if defined(HOSTILE_SHIFTY)
static rg_plugin other;
#endif

RG_PLUGIN_EXPORT const rg_plugin *relgate_plugin_entry(void)
{
#if defined(HOSTILE_ENTRY_HANG)
    for (;;) pause();
#elif defined(HOSTILE_ENTRY_NULL)
    return NULL;
#elif defined(HOSTILE_ENTRY_BOGUS)
    return (const rg_plugin *)(uintptr_t)1;
#elif defined(HOSTILE_HUGE_COUNT)
    static rg_plugin big;
    big = plugin;
    big.check_count = (size_t)1 << 40;
    return &big;
#elif defined(HOSTILE_HUGE_STRING)
    static rg_plugin big;
    memset(huge, 'x', sizeof huge - 1);
    big = plugin;
    big.description = huge;
    return &big;
#elif defined(HOSTILE_GARBAGE_DESC)
    /* Strings that are code bytes, and a check table that points nowhere. */
    static rg_plugin junk;
    junk = plugin;
    junk.description = (const char *)(uintptr_t)&relgate_plugin_entry;
    junk.checks = (const rg_check *)(uintptr_t)0x1000;
    return &junk;
#elif defined(HOSTILE_BAD_TEXT)
    static rg_plugin junk;
    junk = plugin;
    junk.description = "a description with \x1b]0;a terminal title\x07 and \xff";
    return &junk;
#elif defined(HOSTILE_HUGE_ALLOWED)
    for (size_t i = 0; i < 100000; i++)
        allowed[i] = "red";
    return &plugin;
#elif defined(HOSTILE_LONG_ALLOWED)
    memset(huge, 'x', sizeof huge - 1);
    allowed[1] = huge;
    return &plugin;
#elif defined(HOSTILE_SHIFTY)
    /* The loader sees one descriptor, the check's child (which has the variable it
     * declared) another: the check must not run. */
    other = plugin;
    if (getenv("HOSTILE_SHIFT"))
        other.version = "6.6.6";
    return &other;
#else
    return &plugin;
#endif
}
