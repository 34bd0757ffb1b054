/* Plugin code confined: what a plugin host does before it loads plugin code, so that no
 * plugin reaches a process it did not start.  Four measures, each for what the others
 * leave: a Landlock domain (Linux 5.13 and later), fewer capabilities as root, a seccomp
 * filter against the calls that change another process's limits or scheduling or stop
 * it, and no controlling terminal.
 *
 * Another process of the same user may read and write a process's memory, its
 * environment and its open files through /proc (ptrace's rules) unless the target is
 * undumpable.  relgate's processes make themselves undumpable, but a fresh program is
 * dumpable from its exec until it says otherwise: a plugin's check that opened
 * /proc/PID/mem of another plugin's host in that moment kept the descriptor and wrote
 * a pass into that host (hostile round 33, F02), and a process that never started a
 * plugin child stayed open all along (F03).  Those are races and places to find one by
 * one; the class is closed from the other side: the plugin's own processes may not reach
 * any process outside their Landlock domain, whatever state the target is in.  Landlock
 * holds ptrace access (and so /proc/PID/mem, environ, fd) to the domain and the domains
 * nested in it, for root as for anyone, and from Landlock ABI 6 signals too (the stop
 * signals, which would hold the gate, are refused on every kernel: below).
 *
 * The domain restricts no file access a plugin needs: a ruleset must handle some right,
 * and the one it handles is making block devices, which no check does.  Entering a
 * domain needs no_new_privs, which plugin code then keeps: a setuid program it runs
 * gains no privilege.
 *
 * Run as root, a host first gives up the capabilities that open another process's
 * memory past every such rule: CAP_SYS_PTRACE, and CAP_PERFMON and CAP_SYS_ADMIN,
 * with which the kernel lets /proc/PID/environ and the like be read whatever an LSM
 * says (mm_access, perfmon_capable). */
#define _GNU_SOURCE
#include "plugin_confine.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The kernel's ABI (linux/landlock.h), spelt out here: Debian 12's headers predate the
 * "scoped" member, and the kernel a host runs on may be newer than the one built on. */
struct landlock_attr {
    uint64_t handled_access_fs;
    uint64_t handled_access_net;   /* ABI 4 */
    uint64_t scoped;               /* ABI 6 */
};
#define LANDLOCK_VERSION_QUERY (1u << 0)           /* LANDLOCK_CREATE_RULESET_VERSION */
#define LANDLOCK_FS_MAKE_BLOCK (1ull << 11)        /* LANDLOCK_ACCESS_FS_MAKE_BLOCK, ABI 1 */
#define LANDLOCK_SCOPE_SIGNALS (1ull << 1)         /* LANDLOCK_SCOPE_SIGNAL, ABI 6 */

/* The capabilities above, out of this process's sets (and its bounding set, when it may
 * change that: a process without CAP_SETPCAP holds none of them anyway, and
 * no_new_privs keeps an exec from granting them).  0, or -1. */
static int drop_capabilities(void)
{
    static const int caps[] = {CAP_SYS_PTRACE, CAP_SYS_ADMIN, 38 /* CAP_PERFMON, Linux 5.8 */};
    struct __user_cap_header_struct head = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct data[2];
    int may_bound;
    if (syscall(SYS_capget, &head, data) != 0)
        return -1;
    may_bound = (data[0].effective >> CAP_SETPCAP) & 1;
    for (size_t i = 0; i < sizeof caps / sizeof *caps; i++) {
        uint32_t bit = 1u << (caps[i] % 32);
        data[caps[i] / 32].effective &= ~bit;
        data[caps[i] / 32].permitted &= ~bit;
        data[caps[i] / 32].inheritable &= ~bit;
        /* EINVAL: a capability this kernel does not know (CAP_PERFMON before 5.8). */
        if (may_bound && prctl(PR_CAPBSET_DROP, caps[i], 0, 0, 0) != 0 && errno != EINVAL)
            return -1;
    }
    return syscall(SYS_capset, &head, data) == 0 ? 0 : -1;
}

/* A Landlock domain of this process's own: its ABI version, 0 without Landlock, or -1. */
static int enter_domain(void)
{
#if defined(SYS_landlock_create_ruleset) && defined(SYS_landlock_restrict_self)
    struct landlock_attr attr = {LANDLOCK_FS_MAKE_BLOCK, 0, 0};
    size_t size = sizeof attr.handled_access_fs;
    long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_VERSION_QUERY);
    int ruleset, rc;
    /* No Landlock (not built in, not enabled, or the call filtered by a container's
     * seccomp profile): the undumpable guard alone, as before. */
    if (abi < 1)
        return 0;
    if (abi >= 6) {
        attr.scoped = LANDLOCK_SCOPE_SIGNALS;
        size = sizeof attr;
    }
    if ((ruleset = (int)syscall(SYS_landlock_create_ruleset, &attr, size, 0)) < 0)
        return -1;
    rc = (int)syscall(SYS_landlock_restrict_self, ruleset, 0);   /* no_new_privs is set */
    close(ruleset);
    return rc == 0 ? (int)abi : -1;
#else
    return 0;
#endif
}

/* What Landlock does not mediate: the system calls that act on another process, given
 * by its pid, asking only whether it runs as the same user (no security module is
 * asked).  A check lowered relgate serve's open-file limit with prlimit (the server then
 * spun, answering nothing) or eval's file-size limit (SIGXFSZ ended the engine): hostile
 * round 34, F01.  The same holds for a process's scheduling and its share of the disk:
 * setpriority, the sched_set* calls, ioprio_set — a gate made to starve.  A seccomp
 * filter lets plugin code make these calls for its own process only (pid 0; setpriority
 * and ioprio_set for PRIO_PROCESS / IOPRIO_WHO_PROCESS 0, so not for its process group
 * or every process of its user), and refuses them, EPERM, for any other.  Reading a
 * limit, a priority or an affinity stays allowed, as do setrlimit and getrlimit.
 * Written out rather than through libseccomp: every plugin host's start (a cold
 * decision's path: docs/performance.md) would link and run a filter compiler for it.
 * The calls of another ABI the kernel takes on this machine (x86-64's x32 and i386
 * entries) are refused, so that none of them is reached by another number.
 *
 * And the stop signals (SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU), by any call that sends one
 * (kill, tkill, tgkill, rt_sigqueueinfo, rt_tgsigqueueinfo, pidfd_send_signal) or has
 * one sent (fcntl's F_SETSIG): Landlock scopes signals only from its ABI 6 (Linux 6.12),
 * and before it a check could stop the engine and hold the gate until the CI job's own
 * timeout.  Every other signal relgate's processes die of or handle by dying (no
 * decision: a deny to the pipeline); a stop is the one that holds a gate without an
 * answer.  A plugin may not stop even its own processes: none of the stock ones does.
 *
 * Jumps are written to labels (one enumerator per instruction) and turned into the
 * forward offsets BPF takes by FORWARD, so that an added instruction moves no offset and
 * a jump backward (which BPF refuses, and which would refuse every call) does not
 * compile. */
#define PRIO_PROCESS_WHICH 0   /* setpriority's PRIO_PROCESS (sys/resource.h) */
#define IOPRIO_WHO_PROCESS_WHICH 1   /* ioprio_set's IOPRIO_WHO_PROCESS (linux/ioprio.h) */
#define FORWARD(at, to) ((to) - (at) - 1 + 0 * sizeof(char[(to) > (at) ? 1 : -1]))   /* BPF jumps only forward */
#define JUMP_IF(op, at, k, yes, no) BPF_JUMP(BPF_JMP | (op) | BPF_K, (k), FORWARD(at, yes), FORWARD(at, no))
#define JUMP_AT(at, k, yes, no) JUMP_IF(BPF_JEQ, at, k, yes, no)
#define SETSIG_COMMAND 10   /* fcntl's F_SETSIG (Linux's own, not in every libc's headers) */
_Static_assert(SIGTSTP == SIGSTOP + 1 && SIGTTIN == SIGSTOP + 2 && SIGTTOU == SIGSTOP + 3,
               "the stop signals are refused as one range");
#define LOAD(offset) BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (offset))
static int forbid_acting_on_others(void)
{
#if defined(__x86_64__) || defined(__aarch64__)
#if defined(__x86_64__)
#define HOST_AUDIT_ARCH AUDIT_ARCH_X86_64
#else
#define HOST_AUDIT_ARCH AUDIT_ARCH_AARCH64
#endif
    /* Each argument's low half: pid_t and int are 32 bits, the kernel reads no more. */
    enum { NR = offsetof(struct seccomp_data, nr), ARCH = offsetof(struct seccomp_data, arch),
           ARG0 = offsetof(struct seccomp_data, args[0]), ARG1 = offsetof(struct seccomp_data, args[1]),
           ARG2_LOW = offsetof(struct seccomp_data, args[2]), ARG2_HIGH = offsetof(struct seccomp_data, args[2]) + 4 };
    enum {
        ARCH_LOAD, ARCH_TEST, NR_LOAD,
#if defined(__x86_64__)
        X32_TEST,
#endif
        /* Which call: any other is allowed. */
        IS_PRLIMIT, IS_SETAFFINITY, IS_SETSCHEDULER, IS_SETPARAM, IS_SETATTR, IS_SETPRIORITY, IS_IOPRIO_SET,
        IS_KILL, IS_TKILL, IS_SIGQUEUE, IS_PIDFD_SIGNAL, IS_TGKILL, IS_TGSIGQUEUE, IS_FCNTL,
        /* prlimit64(pid, resource, new, old): pid 0, or no new limit (only a read). */
        PRLIMIT_PID, PRLIMIT_SELF, PRLIMIT_NEW_LOW, PRLIMIT_NO_NEW_LOW, PRLIMIT_NEW_HIGH, PRLIMIT_NO_NEW,
        /* sched_set*(pid, ...): pid 0. */
        PID_LOAD, PID_SELF,
        /* setpriority(which, who, ...): who 0 and which PRIO_PROCESS. */
        PRIO_WHO, PRIO_WHO_SELF, PRIO_WHICH, PRIO_WHICH_PROCESS,
        /* ioprio_set(which, who, ...): who 0 and which IOPRIO_WHO_PROCESS. */
        IOPRIO_WHO, IOPRIO_WHO_SELF, IOPRIO_WHICH, IOPRIO_WHICH_PROCESS,
        /* fcntl(fd, F_SETSIG, signal): the signal, as below. */
        FCNTL_COMMAND, FCNTL_SETSIG,
        /* A signal, the call's second argument or its third: not a stop signal. */
        SIGNAL_IN_ARG1, SIGNAL_LOADED, SIGNAL_IN_ARG2, STOP_FROM, STOP_TO,
        ALLOW, REFUSE, COUNT
    };
    struct sock_filter rules[COUNT] = {
        [ARCH_LOAD] = LOAD(ARCH),
        [ARCH_TEST] = JUMP_AT(ARCH_TEST, HOST_AUDIT_ARCH, NR_LOAD, REFUSE),
        [NR_LOAD] = LOAD(NR),
#if defined(__x86_64__)
        [X32_TEST] = JUMP_IF(BPF_JGE, X32_TEST, 0x40000000u /* __X32_SYSCALL_BIT */, REFUSE, IS_PRLIMIT),
#endif
        [IS_PRLIMIT] = JUMP_AT(IS_PRLIMIT, __NR_prlimit64, PRLIMIT_PID, IS_SETAFFINITY),
        [IS_SETAFFINITY] = JUMP_AT(IS_SETAFFINITY, __NR_sched_setaffinity, PID_LOAD, IS_SETSCHEDULER),
        [IS_SETSCHEDULER] = JUMP_AT(IS_SETSCHEDULER, __NR_sched_setscheduler, PID_LOAD, IS_SETPARAM),
        [IS_SETPARAM] = JUMP_AT(IS_SETPARAM, __NR_sched_setparam, PID_LOAD, IS_SETATTR),
        [IS_SETATTR] = JUMP_AT(IS_SETATTR, __NR_sched_setattr, PID_LOAD, IS_SETPRIORITY),
        [IS_SETPRIORITY] = JUMP_AT(IS_SETPRIORITY, __NR_setpriority, PRIO_WHO, IS_IOPRIO_SET),
        [IS_IOPRIO_SET] = JUMP_AT(IS_IOPRIO_SET, __NR_ioprio_set, IOPRIO_WHO, IS_KILL),
        [IS_KILL] = JUMP_AT(IS_KILL, __NR_kill, SIGNAL_IN_ARG1, IS_TKILL),
        [IS_TKILL] = JUMP_AT(IS_TKILL, __NR_tkill, SIGNAL_IN_ARG1, IS_SIGQUEUE),
        [IS_SIGQUEUE] = JUMP_AT(IS_SIGQUEUE, __NR_rt_sigqueueinfo, SIGNAL_IN_ARG1, IS_PIDFD_SIGNAL),
        [IS_PIDFD_SIGNAL] = JUMP_AT(IS_PIDFD_SIGNAL, __NR_pidfd_send_signal, SIGNAL_IN_ARG1, IS_TGKILL),
        [IS_TGKILL] = JUMP_AT(IS_TGKILL, __NR_tgkill, SIGNAL_IN_ARG2, IS_TGSIGQUEUE),
        [IS_TGSIGQUEUE] = JUMP_AT(IS_TGSIGQUEUE, __NR_rt_tgsigqueueinfo, SIGNAL_IN_ARG2, IS_FCNTL),
        [IS_FCNTL] = JUMP_AT(IS_FCNTL, __NR_fcntl, FCNTL_COMMAND, ALLOW),
        [PRLIMIT_PID] = LOAD(ARG0),
        [PRLIMIT_SELF] = JUMP_AT(PRLIMIT_SELF, 0, ALLOW, PRLIMIT_NEW_LOW),
        [PRLIMIT_NEW_LOW] = LOAD(ARG2_LOW),
        [PRLIMIT_NO_NEW_LOW] = JUMP_AT(PRLIMIT_NO_NEW_LOW, 0, PRLIMIT_NEW_HIGH, REFUSE),
        [PRLIMIT_NEW_HIGH] = LOAD(ARG2_HIGH),
        [PRLIMIT_NO_NEW] = JUMP_AT(PRLIMIT_NO_NEW, 0, ALLOW, REFUSE),
        [PID_LOAD] = LOAD(ARG0),
        [PID_SELF] = JUMP_AT(PID_SELF, 0, ALLOW, REFUSE),
        [PRIO_WHO] = LOAD(ARG1),
        [PRIO_WHO_SELF] = JUMP_AT(PRIO_WHO_SELF, 0, PRIO_WHICH, REFUSE),
        [PRIO_WHICH] = LOAD(ARG0),
        [PRIO_WHICH_PROCESS] = JUMP_AT(PRIO_WHICH_PROCESS, PRIO_PROCESS_WHICH, ALLOW, REFUSE),
        [IOPRIO_WHO] = LOAD(ARG1),
        [IOPRIO_WHO_SELF] = JUMP_AT(IOPRIO_WHO_SELF, 0, IOPRIO_WHICH, REFUSE),
        [IOPRIO_WHICH] = LOAD(ARG0),
        [IOPRIO_WHICH_PROCESS] = JUMP_AT(IOPRIO_WHICH_PROCESS, IOPRIO_WHO_PROCESS_WHICH, ALLOW, REFUSE),
        [FCNTL_COMMAND] = LOAD(ARG1),
        [FCNTL_SETSIG] = JUMP_AT(FCNTL_SETSIG, SETSIG_COMMAND, SIGNAL_IN_ARG2, ALLOW),
        [SIGNAL_IN_ARG1] = LOAD(ARG1),
        [SIGNAL_LOADED] = BPF_STMT(BPF_JMP | BPF_JA, FORWARD(SIGNAL_LOADED, STOP_FROM)),
        [SIGNAL_IN_ARG2] = LOAD(ARG2_LOW),
        [STOP_FROM] = JUMP_IF(BPF_JGE, STOP_FROM, SIGSTOP, STOP_TO, ALLOW),
        [STOP_TO] = JUMP_IF(BPF_JGT, STOP_TO, SIGTTOU, ALLOW, REFUSE),
        [ALLOW] = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        [REFUSE] = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
    };
    struct sock_fprog prog = {(unsigned short)COUNT, rules};
    return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) == 0 ? 0 : -1;
#else
    return 0;   /* another machine: Landlock alone */
#endif
}

/* Give up relgate's controlling terminal, for this process and what it starts: plugin
 * code could otherwise make its own process group the terminal's foreground (with
 * TOSTOP set), and the kernel would stop relgate at its next write, SIGTTOU, a stop no
 * signal rule sees (hostile round 34, F02).  Without it, /dev/tty does not open and
 * tcsetpgrp fails; a terminal taken anew needs it free or CAP_SYS_ADMIN, dropped above.
 * Not a session of its own: relgate keeps its hosts in its session and process groups. */
static void leave_terminal(void)
{
    int tty = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (tty >= 0) {
        ioctl(tty, TIOCNOTTY);
        close(tty);
    }
}

int rg_plugin_confine(void)
{
    /* no_new_privs first: what a plugin execs gains neither privilege nor capability. */
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || drop_capabilities() != 0)
        return -1;
    /* exec made this process dumpable again: undumpable before any plugin code, so that
     * what it forks (a zygote's check children) is so from its first instruction too. */
    prctl(PR_SET_DUMPABLE, 0);
    leave_terminal();
    if (forbid_acting_on_others() != 0)
        return -1;
    return enter_domain();
}
