/* SIGTERM, SIGHUP, SIGINT, SIGQUIT, SIGPIPE and the other ending signals (below) in every
 * command but serve (which takes them with sigwait, serve_main.c): a cancelled CI job
 * sends SIGTERM while plugin checks run, and
 * nothing relgate started may outlive it (docs/plugins.md, "Threat model").  The handler
 * passes the signal on to the batch workers (each runs this same handler: it inherited
 * it) and waits for them, then ends this process's plugin processes and what escaped them
 * (rg_plugin_processes_kill: the library's one list of what to kill), then dies of the
 * signal itself — default disposition, raised again — so that the exit status stays
 * 128 + the signal and no decision is written.  System calls only: async-signal-safe. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "outputs.h"
#include "fileio.h"

#define CHILDREN_MAX 256
#define CHILD_GRACE_MS 3000   /* a worker ends its plugin processes within it, or is killed */

/* Every signal whose default action ends the process and that relgate does not use:
 * SIGPIPE too (the reader of stderr gone, a progress line then kills relgate), and the
 * user signals and resource limits.  Not the crashes (SIGSEGV, SIGABRT, ...: a sanitizer's
 * or the C library's own), nor SIGALRM (the watchdog's). */
static const int ending_signals[] = {SIGTERM, SIGHUP, SIGINT, SIGQUIT, SIGPIPE, SIGUSR1, SIGUSR2,
                                     SIGXCPU, SIGXFSZ, SIGVTALRM, SIGPROF};
static _Atomic pid_t children[CHILDREN_MAX];
static _Atomic pid_t children_of;   /* the process CHILDREN are the children of */

/* Is PID a child of this process, not yet waited for?  (A pid waited for may be
 * another process's by now: it is never signalled.) */
static int own_child(pid_t pid)
{
    siginfo_t info;
    memset(&info, 0, sizeof info);
    return pid > 0 && waitid(P_PID, (id_t)pid, &info, WEXITED | WNOHANG | WNOWAIT) == 0;
}

/* Pass SIG on to the children noted, then wait for them, each at most CHILD_GRACE_MS
 * in all, then SIGKILL.  They are waited for so that what they leave is reparented to
 * this process (a subreaper) before it looks for it. */
static void end_children(int sig)
{
    struct timespec slice = {0, 10 * 1000 * 1000};
    int left = 0;
    if (atomic_load(&children_of) != getpid())
        return;
    for (int i = 0; i < CHILDREN_MAX; i++) {
        pid_t pid = atomic_load(&children[i]);
        if (own_child(pid)) {
            kill(pid, sig);
            kill(pid, SIGCONT);   /* a stopped worker (a plugin may stop it) takes it too */
            left++;
        }
    }
    for (int ms = 0; left > 0 && ms < CHILD_GRACE_MS; ms += 10) {
        left = 0;
        for (int i = 0; i < CHILDREN_MAX; i++) {
            pid_t pid = atomic_load(&children[i]);
            if (pid > 0 && own_child(pid) && waitpid(pid, NULL, WNOHANG) == 0)
                left++;
        }
        if (left)
            nanosleep(&slice, NULL);
    }
    for (int i = 0; i < CHILDREN_MAX; i++) {
        pid_t pid = atomic_load(&children[i]);
        if (own_child(pid)) {
            kill(pid, SIGKILL);
            while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
                ;
        }
    }
}

/* The answers the command writes (--output, the --format reports): a run ended by a
 * signal answered nothing, so no earlier run's answer may stay at those paths. */
#define RETRACT_MAX (RG_CLI_MAX_OUTPUTS + 1)   /* --output and every --format report */
static const char *_Atomic retract_paths[RETRACT_MAX];

void rg_cli_signals_retract_on_end(const char *path)
{
    for (int i = 0; path && i < RETRACT_MAX; i++) {
        const char *none = NULL;
        if (atomic_compare_exchange_strong(&retract_paths[i], &none, path))
            return;
    }
}

static void on_ending_signal(int sig)
{
    struct sigaction dfl;
    sigset_t set;
    end_children(sig);
    rg_plugin_processes_kill();
    for (int i = 0; i < RETRACT_MAX; i++) {
        const char *path = atomic_load(&retract_paths[i]);
        if (path)
            (void)rg_file_retract(path);   /* lstat, unlink, open: async-signal-safe */
    }
    rg_atomic_abort_pending();
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigaction(sig, &dfl, NULL);
    sigemptyset(&set);
    sigaddset(&set, sig);
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);
    raise(sig);
    _exit(128 + sig);   /* not reached: SIGQUIT's core, say, still ends it */
}

void rg_cli_signals_install(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_ending_signal;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < sizeof ending_signals / sizeof *ending_signals; i++)
        sigaddset(&sa.sa_mask, ending_signals[i]);   /* one ending at a time */
    for (size_t i = 0; i < sizeof ending_signals / sizeof *ending_signals; i++) {
        struct sigaction was;
        /* Only where the default would end the process: one ignored when relgate started
         * (nohup's SIGHUP) stays ignored, one something else handles (a profiler's
         * SIGPROF) stays its. */
        if (sigaction(ending_signals[i], NULL, &was) != 0 || (was.sa_flags & SA_SIGINFO) ||
            was.sa_handler != SIG_DFL)
            continue;
        sigaction(ending_signals[i], &sa, NULL);
    }
}

void rg_cli_signals_child(pid_t pid)
{
    if (atomic_load(&children_of) != getpid())
        rg_cli_signals_forget();
    for (int i = 0; i < CHILDREN_MAX; i++) {
        pid_t none = 0;
        if (atomic_compare_exchange_strong(&children[i], &none, pid))
            return;
    }
}

void rg_cli_signals_forget(void)
{
    atomic_store(&children_of, 0);
    for (int i = 0; i < CHILDREN_MAX; i++)
        atomic_store(&children[i], 0);
    atomic_store(&children_of, getpid());
}
