/* Processes plugin code leaves behind (setsid, reparented to the engine, the subreaper)
 * when an embedding program evaluates in a thread that is not the main one: the kernel
 * hands such an orphan to the process — to its main thread —, not to the thread whose
 * check started it.  Each must still be killed: a check's when its check ends, a
 * zygote's (its constructor's) when the thread that kept the zygote ends, and at exit()
 * whichever thread still keeps one.  Hostile plugins of tests/hostile/plugins, each
 * copied into a folder of its own; they note their escaped processes in
 * hostile-mark.txt in the working directory.  TAP output.
 *
 * usage: thread_strays HOSTILE_PLUGIN_DIR CONTEXT */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <relgate/relgate.h>

static const char *plugin_build_dir, *context_path;
static char top[64];
static int failed, number;

static const char POLICY[] =
    "requirement \"hostile\" { title = \"hostile\", check = \"hostile.check\", level = \"mandatory\" }\n";

static int copy_file(const char *from, const char *to)
{
    char buf[65536];
    ssize_t n;
    int in = open(from, O_RDONLY | O_CLOEXEC), out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755), rc = 0;
    if (in < 0 || out < 0)
        rc = -1;
    while (rc == 0 && (n = read(in, buf, sizeof buf)) > 0)
        if (write(out, buf, (size_t)n) != n)
            rc = -1;
    if (in >= 0)
        close(in);
    if (out >= 0 && close(out) != 0)
        rc = -1;
    return rc;
}

/* A folder of its own for a case (the working directory from now on): plugins/ holding
 * hostile-KIND.so alone, and the policy. */
static int enter_case(const char *name, const char *kind)
{
    char dir[160], from[1200];
    FILE *f;
    snprintf(dir, sizeof dir, "%s/%s", top, name);
    snprintf(from, sizeof from, "%s/hostile-%s.so", plugin_build_dir, kind);
    if (mkdir(dir, 0755) != 0 || chdir(dir) != 0 || mkdir("plugins", 0755) != 0 || chmod("plugins", 0755) != 0)
        return -1;
    snprintf(dir, sizeof dir, "plugins/hostile-%s.so", kind);
    if (copy_file(from, dir) != 0 || chmod(dir, 0755) != 0 || !(f = fopen("policy.lua", "w")))
        return -1;
    fputs(POLICY, f);
    return fclose(f);
}

/* The pids hostile-mark.txt notes as escaped ("lingerer pid=N ppid=M"), at most MAX. */
static size_t lingerers(pid_t *out, size_t max)
{
    char line[256];
    size_t n = 0;
    FILE *f = fopen("hostile-mark.txt", "r");
    while (f && n < max && fgets(line, sizeof line, f)) {
        int pid;
        if (sscanf(line, "lingerer pid=%d", &pid) == 1)
            out[n++] = pid;
    }
    if (f)
        fclose(f);
    return n;
}

static int alive(pid_t pid)
{
    char path[64], buf[512], *paren;
    ssize_t n;
    int fd;
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
        return 0;
    n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    paren = strrchr(buf, ')');
    return paren && paren[1] == ' ' && paren[2] != 'Z';
}

/* How many of the escaped processes noted are running, after a grace of up to WAIT_MS
 * for them to end; *NOTED says how many were noted. */
static size_t running_after(int wait_ms, size_t *noted)
{
    pid_t pids[64];
    size_t n = lingerers(pids, 64), left = 0;
    struct timespec slice = {0, 20 * 1000 * 1000};
    *noted = n;
    for (int ms = 0;; ms += 20) {
        left = 0;
        for (size_t i = 0; i < n; i++)
            left += alive(pids[i]) != 0;
        if (!left || ms >= wait_ms)
            return left;
        nanosleep(&slice, NULL);
    }
}

/* Kill what a failed case left (its noted pids only). */
static void clean_up(void)
{
    pid_t pids[64];
    size_t n = lingerers(pids, 64);
    for (size_t i = 0; i < n; i++)
        if (alive(pids[i]))
            kill(pids[i], SIGKILL);
}

static void result(int ok, const char *what, const char *detail)
{
    printf("%s %d - %s\n", ok ? "ok" : "not ok", ++number, what);
    if (!ok)
        printf("#   %s\n", detail);
    fflush(stdout);
    failed |= !ok;
}

typedef struct evaluation {
    const char *verdict;    /* what came out ("error": no decision) */
    char why[600];
    size_t noted, running;  /* escaped processes noted and running after the evaluation */
    int hold;               /* a pipe end: wait for its end before the thread ends (-1: don't) */
    int ready;              /* a pipe end: written once evaluated (-1: none) */
} evaluation;

static void *evaluate(void *arg)
{
    evaluation *e = arg;
    rg_error err = {0};
    rg_limits limits = rg_limits_default();
    const char *dirs[] = {"plugins"};
    int64_t now = 1749564000;
    rg_plugins *plugins = rg_plugins_load(dirs, 1, 0, &err);
    rg_context *ctx = plugins ? rg_context_load(context_path, NULL, &err) : NULL;
    rg_policy *pol = ctx ? rg_policy_load_with_plugins("policy.lua", &limits, now, plugins, &err) : NULL;
    rg_decision *d = pol ? rg_evaluate(pol, ctx, &err) : NULL;
    char c;
    e->verdict = d ? rg_verdict_name(rg_decision_verdict(d)) : "error";
    snprintf(e->why, sizeof e->why, "%.590s", d ? "" : err.message);
    e->running = running_after(500, &e->noted);
    if (e->ready >= 0)
        (void)!write(e->ready, "", 1);
    if (e->hold >= 0)
        (void)!read(e->hold, &c, 1);
    rg_decision_free(d);
    rg_policy_free(pol);
    rg_context_free(ctx);
    rg_plugins_free(plugins);
    rg_error_clear(&err);
    return NULL;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

int main(int argc, char **argv)
{
    char detail[800];
    pthread_t t;
    size_t noted, running;

    if (argc < 3) {
        fprintf(stderr, "usage: thread_strays HOSTILE_PLUGIN_DIR CONTEXT\n");
        return 2;
    }
    plugin_build_dir = realpath(argv[1], NULL);   /* the cases change folders */
    context_path = realpath(argv[2], NULL);
    snprintf(top, sizeof top, "/tmp/relgate-thread-strays-XXXXXX");
    if (!plugin_build_dir || !context_path || !mkdtemp(top) || chmod(top, 0755) != 0) {
        printf("Bail out! cannot make a folder for the cases\n");
        return 2;
    }
    setenv("HOSTILE_SHIFT", "1", 1);   /* the zygote_fork plugin's constructor: in its zygote */
    printf("TAP version 13\n1..3\n");

    /* 1. A check's escaped grandchild, when the check ends. */
    {
        evaluation e = {.hold = -1, .ready = -1};
        if (enter_case("check", "setsid") != 0 || pthread_create(&t, NULL, evaluate, &e) != 0) {
            printf("Bail out! cannot set up the first case\n");
            return 2;
        }
        pthread_join(t, NULL);
        snprintf(detail, sizeof detail, "verdict %s %s; %zu escaped noted, %zu still running after the evaluation",
                 e.verdict, e.why, e.noted, e.running);
        result(strcmp(e.verdict, "deny") == 0 && e.noted >= 1 && e.running == 0,
               "evaluating in a thread: a check's escaped (setsid) process is killed when the check ends", detail);
        clean_up();
    }

    /* 2. A zygote's escaped process (its constructor's), when the thread that kept the
     * zygote ends. */
    {
        evaluation e = {.hold = -1, .ready = -1};
        if (enter_case("thread-end", "zygote_fork") != 0 || pthread_create(&t, NULL, evaluate, &e) != 0) {
            printf("Bail out! cannot set up the second case\n");
            return 2;
        }
        pthread_join(t, NULL);
        running = running_after(1000, &noted);
        snprintf(detail, sizeof detail,
                 "verdict %s %s; %zu escaped noted, %zu running after the evaluation (its zygote kept), "
                 "%zu after the thread ended",
                 e.verdict, e.why, noted, e.running, running);
        result(strcmp(e.verdict, "deny") == 0 && noted >= 1 && e.running >= 1 && running == 0,
               "evaluating in a thread: its zygote's escaped process ends with the thread", detail);
        clean_up();
    }

    /* 3. exit() while another thread keeps a zygote: in a process of its own. */
    {
        int hold[2], ready[2], status = 0;
        pid_t child;
        char c;
        if (enter_case("exit", "zygote_fork") != 0 || pipe(hold) != 0 || pipe(ready) != 0) {
            printf("Bail out! cannot set up the third case\n");
            return 2;
        }
        fflush(stdout);
        if ((child = fork()) == 0) {
            /* The thread evaluates, says so, then waits on HOLD (never ending) while this
             * thread calls exit(). */
            evaluation e = {.hold = hold[0], .ready = ready[1]};
            if (pthread_create(&t, NULL, evaluate, &e) != 0)
                _exit(3);
            while (read(ready[0], &c, 1) < 0 && errno == EINTR)
                ;
            exit(strcmp(e.verdict, "deny") == 0 && e.running >= 1 ? 0 : 4);
        }
        close(hold[0]);
        close(ready[0]);
        close(ready[1]);
        waitpid(child, &status, 0);
        close(hold[1]);
        running = running_after(1000, &noted);
        snprintf(detail, sizeof detail, "the process exited %d; %zu escaped noted, %zu still running after it exited",
                 WIFEXITED(status) ? WEXITSTATUS(status) : -1, noted, running);
        result(child > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0 && noted >= 1 && running == 0,
               "exit() while another thread keeps a zygote: the zygote's escaped process ends too", detail);
        clean_up();
    }
    if (chdir("/") == 0)
        nftw(top, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
    return failed;
}
