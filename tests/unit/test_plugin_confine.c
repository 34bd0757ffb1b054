/* Unit tests for core/plugin_confine.c: what a confined process (a plugin host, and what
 * it forks) may still do to another process of its user, judged by the effect on a real
 * target process, not by return codes alone.  Each test forks the process to confine: the
 * test program itself is never confined. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "plugin_confine.h"

/* linux/ioprio.h's values, spelt out (the header is not on every build machine). */
#define WHO_PROCESS 1
#define WHO_PGRP 2
#define WHO_USER 3
#define IDLE_CLASS_VALUE (3 << 13)   /* IOPRIO_PRIO_VALUE(IOPRIO_CLASS_IDLE, 0) */
#define BEST_EFFORT_4 ((2 << 13) | 4)

/* sched_setattr's argument (linux/sched/types.h), its first version. */
struct attr_v0 {
    uint32_t size, policy;
    uint64_t flags;
    int32_t nice;
    uint32_t priority;
    uint64_t runtime, deadline, period;
};

/* What a target process's scheduling and limits are: compared before and after. */
typedef struct {
    int nice, policy, ioprio;
    cpu_set_t cpus;
    struct rlimit files, size;
} sched_state;

static void read_state(pid_t pid, sched_state *s)
{
    memset(s, 0, sizeof *s);
    errno = 0;
    s->nice = getpriority(PRIO_PROCESS, (id_t)pid);
    assert_int_equal(errno, 0);
    s->policy = sched_getscheduler(pid);
    assert_true(s->policy >= 0);
    s->ioprio = (int)syscall(SYS_ioprio_get, WHO_PROCESS, pid);
    assert_true(s->ioprio >= 0);
    assert_int_equal(sched_getaffinity(pid, sizeof s->cpus, &s->cpus), 0);
    assert_int_equal(prlimit(pid, RLIMIT_NOFILE, NULL, &s->files), 0);
    assert_int_equal(prlimit(pid, RLIMIT_FSIZE, NULL, &s->size), 0);
}

/* A process that waits to be killed, in a process group of its own (so that a refused
 * PRIO_PGRP call, were it let through, would reach it and not this test). */
static pid_t start_target(void)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        setpgid(0, 0);
        for (;;)
            pause();
    }
    setpgid(pid, pid);   /* whichever of the two runs first */
    return pid;
}

static void stop(pid_t pid)
{
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
}

/* In a confined child: each call that would change TARGET must fail with EPERM, and
 * reading its state must still work.  Returns 0, or the line of the first call let
 * through (the child's exit status says which). */
#define REFUSED(call) \
    do { \
        errno = 0; \
        if ((call) != -1 || errno != EPERM) { \
            fprintf(stderr, "let through (errno %d): %s\n", errno, #call); \
            return __LINE__ % 250 + 1; \
        } \
    } while (0)

static int try_others(pid_t target)
{
    struct rlimit few = {8, 8}, none = {0, 0}, read_back;
    struct sched_param param = {0};
    struct attr_v0 idle = {sizeof idle, 5 /* SCHED_IDLE */, 0, 0, 0, 0, 0, 0};
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(0, &one);
    errno = 0;
    int own_nice = getpriority(PRIO_PROCESS, 0);
    REFUSED(prlimit(target, RLIMIT_NOFILE, &few, NULL));
    REFUSED(prlimit(target, RLIMIT_FSIZE, &none, &read_back));
    REFUSED(setpriority(PRIO_PROCESS, (id_t)target, 19));
    REFUSED(setpriority(PRIO_PGRP, (id_t)target, 19));
    /* Every process of the user, this one's own nice value: harmless if let through. */
    REFUSED(setpriority(PRIO_USER, getuid(), own_nice));
    REFUSED(setpriority(PRIO_PGRP, 0, own_nice));
    REFUSED(sched_setaffinity(target, sizeof one, &one));
    REFUSED(sched_setscheduler(target, SCHED_IDLE, &param));
    REFUSED(sched_setparam(target, &param));
    REFUSED((int)syscall(SYS_sched_setattr, target, &idle, 0));
    REFUSED((int)syscall(SYS_ioprio_set, WHO_PROCESS, target, IDLE_CLASS_VALUE));
    REFUSED((int)syscall(SYS_ioprio_set, WHO_PGRP, target, IDLE_CLASS_VALUE));
    REFUSED((int)syscall(SYS_ioprio_set, WHO_USER, getuid(), (int)syscall(SYS_ioprio_get, WHO_PROCESS, 0)));
    /* Reading another's state stays allowed. */
    errno = 0;
    getpriority(PRIO_PROCESS, (id_t)target);
    if (errno != 0 || prlimit(target, RLIMIT_NOFILE, NULL, &read_back) != 0 ||
        sched_getaffinity(target, sizeof one, &one) != 0 || sched_getscheduler(target) < 0)
        return 251;
    return 0;
}

/* Fork, confine the child and run FN(TARGET) in it; with NESTED, in a child of the
 * confined child too (what a zygote forks).  The child's exit status. */
static int confined(int (*fn)(pid_t), pid_t target, int nested)
{
    int status;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (rg_plugin_confine() < 0)
            _exit(252);
        if (nested) {
            pid_t inner = fork();
            if (inner < 0)
                _exit(253);
            if (inner == 0)
                _exit(fn(target));
            if (waitpid(inner, &status, 0) != inner || !WIFEXITED(status))
                _exit(254);
            _exit(WEXITSTATUS(status));
        }
        _exit(fn(target));
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    return WEXITSTATUS(status);
}

static void others_untouched(int nested)
{
    sched_state before, after;
    pid_t target = start_target();
    read_state(target, &before);
    int rc = confined(try_others, target, nested);
    read_state(target, &after);
    stop(target);
    assert_int_equal(rc, 0);
    assert_int_equal(after.nice, before.nice);
    assert_int_equal(after.policy, before.policy);
    assert_int_equal(after.ioprio, before.ioprio);
    assert_true(CPU_EQUAL(&after.cpus, &before.cpus));
    assert_int_equal(after.files.rlim_cur, before.files.rlim_cur);
    assert_int_equal(after.size.rlim_cur, before.size.rlim_cur);
}

/* A check cannot change another process's limits, scheduling or disk priority. */
static void test_others_untouched(void **state)
{
    (void)state;
    others_untouched(0);
}

/* Nor can what a confined process forks (a zygote's check children). */
static void test_others_untouched_from_a_fork(void **state)
{
    (void)state;
    others_untouched(1);
}

/* Its own: every call above for pid 0 works, and ordinary calls do. */
static int try_own(pid_t unused)
{
    struct rlimit core = {0, 0};
    struct sched_param param = {0};
    cpu_set_t mine;
    (void)unused;
    if (prlimit(0, RLIMIT_CORE, &core, NULL) != 0 || setrlimit(RLIMIT_CORE, &core) != 0)
        return 1;
    if (setpriority(PRIO_PROCESS, 0, 1) != 0)
        return 2;
    if (sched_getaffinity(0, sizeof mine, &mine) != 0 || sched_setaffinity(0, sizeof mine, &mine) != 0)
        return 3;
    if (sched_setscheduler(0, SCHED_BATCH, &param) != 0 || sched_setparam(0, &param) != 0)
        return 4;
    if (syscall(SYS_ioprio_set, WHO_PROCESS, 0, BEST_EFFORT_4) != 0)
        return 5;
    pid_t child = fork();
    if (child == 0)
        _exit(7);
    int status;
    if (child < 0 || waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status) != 7)
        return 6;
    return 0;
}

static void test_own_process_allowed(void **state)
{
    (void)state;
    assert_int_equal(confined(try_own, 0, 0), 0);
}

/* A stop signal, by every call that sends one or has one sent, even to a process of its
 * own (inside its Landlock domain, where Landlock lets signals through): a stopped
 * engine holds the gate, and Landlock scopes signals only from its ABI 6.  Other signals
 * still go. */
static int stop_attempts(pid_t own)
{
    int fds[2], status, rc = 0;
    siginfo_t info;
    memset(&info, 0, sizeof info);
    info.si_code = SI_QUEUE;
    info.si_pid = getpid();
    info.si_uid = getuid();
    int pidfd = (int)syscall(SYS_pidfd_open, own, 0);
    if (pidfd < 0 || pipe(fds) != 0)
        return 249;
    REFUSED(kill(own, SIGSTOP));
    REFUSED(kill(own, SIGTSTP));
    REFUSED(kill(own, SIGTTIN));
    REFUSED(kill(own, SIGTTOU));
    REFUSED(kill(0, SIGSTOP));
    REFUSED((int)syscall(SYS_tkill, own, SIGSTOP));
    REFUSED((int)syscall(SYS_tgkill, own, own, SIGSTOP));
    REFUSED((int)syscall(SYS_rt_sigqueueinfo, own, SIGSTOP, &info));
    REFUSED((int)syscall(SYS_rt_tgsigqueueinfo, own, own, SIGSTOP, &info));
    REFUSED((int)syscall(SYS_pidfd_send_signal, pidfd, SIGSTOP, NULL, 0));
    REFUSED(fcntl(fds[0], 10 /* F_SETSIG */, SIGSTOP));
    /* Not stopped; the other signals and commands go. */
    if (waitpid(own, &status, WUNTRACED | WNOHANG) != 0)
        rc = 248;
    else if (fcntl(fds[0], 10 /* F_SETSIG */, SIGUSR1) != 0 || fcntl(fds[0], F_GETFL) < 0)
        rc = 247;
    else if (kill(own, 0) != 0 || kill(own, SIGCONT) != 0 || kill(own, SIGTERM) != 0)
        rc = 246;
    close(fds[0]);
    close(fds[1]);
    close(pidfd);
    return rc;
}

static int try_stopping(pid_t unused)
{
    int status, rc;
    (void)unused;
    pid_t own = fork();
    if (own < 0)
        return 250;
    if (own == 0) {
        for (;;)
            pause();
    }
    /* When every refusal held, the SIGTERM sent last is what it dies of; else it is
     * ended (stopped too: SIGKILL ends a stopped process), never left behind. */
    if ((rc = stop_attempts(own)) != 0)
        kill(own, SIGKILL);
    if (waitpid(own, &status, 0) != own)
        return 245;
    if (rc == 0 && (!WIFSIGNALED(status) || WTERMSIG(status) != SIGTERM))
        return 244;
    return rc;
}

static void test_stop_signals_refused(void **state)
{
    (void)state;
    assert_int_equal(confined(try_stopping, 0, 0), 0);
}

#if defined(__x86_64__)
/* A call by another ABI's number (x32) is refused before the kernel looks it up. */
static int try_x32(pid_t unused)
{
    (void)unused;
    errno = 0;
    return syscall(0x40000000 | SYS_getpid) == -1 && errno == EPERM ? 0 : 1;
}

static void test_another_abi_refused(void **state)
{
    (void)state;
    assert_int_equal(confined(try_x32, 0, 0), 0);
}
#endif

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_others_untouched),
        cmocka_unit_test(test_others_untouched_from_a_fork),
        cmocka_unit_test(test_own_process_allowed),
        cmocka_unit_test(test_stop_signals_refused),
#if defined(__x86_64__)
        cmocka_unit_test(test_another_abi_refused),
#endif
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
