/* rg_plugins_prefork through relgate.h: the plugin host started before the policy is
 * loaded becomes the first plugin's zygote, and whatever becomes of it, the decision is
 * the one made without it — never an allow it would not have been.  TAP output.
 *
 * usage: prefork PLUGIN_DIR POLICY NOW ALLOW_CONTEXT DENY_CONTEXT LUA_POLICY LUA_CONTEXT LUA_VERDICT */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <relgate/relgate.h>

static int failures, tests;
static const char *plugin_dir;
static int64_t now;

static void ok(int cond, const char *what)
{
    tests++;
    if (!cond)
        failures++;
    printf("%sok %d - %s\n", cond ? "" : "not ", tests, what);
    fflush(stdout);
}

/* This thread's children now: their count, the first into *FIRST. */
static int children(pid_t *first)
{
    char path[64], buf[4096];
    FILE *f;
    int n = 0;
    long pid;
    snprintf(path, sizeof path, "/proc/self/task/%d/children", (int)gettid());
    if (!(f = fopen(path, "r")))
        return -1;
    size_t len = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[len] = '\0';
    for (char *p = buf, *end; (pid = strtol(p, &end, 10)) > 0; p = end, n++)
        if (n == 0 && first)
            *first = (pid_t)pid;
    return n;
}

/* The verdict of POLICY on CONTEXT with PLUGINS ("error" when none). */
static const char *decide(rg_plugins *plugins, const char *policy, const char *context)
{
    rg_error err = {0};
    rg_limits limits = rg_limits_default();
    rg_context *ctx = rg_context_load(context, NULL, &err);
    rg_policy *pol = ctx ? rg_policy_load_with_plugins(policy, &limits, now, plugins, &err) : NULL;
    rg_decision *d = pol ? rg_evaluate(pol, ctx, &err) : NULL;
    const char *verdict = d ? rg_verdict_name(rg_decision_verdict(d)) : "error";
    char *line = d ? rg_decision_render(d, RG_FORMAT_LINE, 0) : NULL;
    const char *odd = line ? strstr(line, "\"status\":\"error\"") : NULL;
    if (!d)
        printf("# %s\n", err.message);
    if (odd)   /* a check that could not run: what it said, for the test's diagnosis */
        printf("# %.400s\n", odd);
    free(line);
    rg_decision_free(d);
    rg_policy_free(pol);
    rg_context_free(ctx);
    rg_error_clear(&err);
    return verdict;
}

static rg_plugins *load(void)
{
    rg_error err = {0};
    rg_plugins *plugins = rg_plugins_load(&plugin_dir, 1, 0, &err);
    if (!plugins)
        printf("# %s\n", err.message);
    return plugins;
}

int main(int argc, char **argv)
{
    rg_plugins *plugins;
    pid_t early = 0;
    int status;
    if (argc != 9 || rg_time_parse(argv[3], &now) != 0) {
        fprintf(stderr, "usage: prefork PLUGIN_DIR POLICY NOW ALLOW_CONTEXT DENY_CONTEXT LUA_POLICY LUA_CONTEXT "
                        "LUA_VERDICT\n");
        return 2;
    }
    plugin_dir = argv[1];
    if (!(plugins = load()))
        return 1;

    /* Used: it becomes the first plugin's zygote; nothing left once the plugin processes end. */
    ok(rg_plugins_prefork(plugins) == 0 && children(&early) == 1, "a plugin host is started and waits");
    ok(rg_plugins_prefork(plugins) == 0 && children(NULL) == 1, "once per thread: a second call starts none");
    ok(strcmp(decide(plugins, argv[2], argv[4]), "allow") == 0, "the allowed release is allowed");
    ok(waitpid(early, &status, WNOHANG) == 0 && kill(early, 0) == 0, "the host is alive: a zygote now");
    ok(strcmp(decide(plugins, argv[2], argv[5]), "deny") == 0, "the denied release is denied");
    rg_plugin_processes_end();
    ok(children(NULL) == 0 && waitpid(early, &status, WNOHANG) == -1, "no process left after rg_plugin_processes_end");

    /* Killed before its first check: the check starts a host of its own, the verdicts stand. */
    const char *const contexts[2] = {argv[4], argv[5]}, *const verdicts[2] = {"allow", "deny"};
    for (int i = 0; i < 2; i++) {
        char what[160];
        ok(rg_plugins_prefork(plugins) == 0 && children(&early) == 1 && kill(early, SIGKILL) == 0,
           "a waiting host is killed");
        snprintf(what, sizeof what, "killed before its first check: the %s release is still %s", verdicts[i],
                 i ? "denied" : "allowed");
        ok(strcmp(decide(plugins, argv[2], contexts[i]), verdicts[i]) == 0, what);
        rg_plugin_processes_end();
        ok(children(NULL) == 0 && waitpid(early, &status, WNOHANG) == -1, "it was waited for, nothing is left");
    }

    /* Not used (a policy of Lua checks only): ended and waited for, never a zygote. */
    ok(rg_plugins_prefork(plugins) == 0 && children(&early) == 1, "a host waits again");
    ok(strcmp(decide(plugins, argv[6], argv[7]), argv[8]) == 0, "a Lua-only policy decides without it");
    ok(children(NULL) == 1, "it is still waiting: nothing ran in it");
    rg_plugin_processes_end();
    ok(children(NULL) == 0 && waitpid(early, &status, WNOHANG) == -1 && errno == ECHILD,
       "rg_plugin_processes_end ends and waits for it");
    ok(rg_plugins_prefork(NULL) == 0 && children(NULL) == 0, "no plugin set: nothing started");

    rg_plugins_free(plugins);
    printf("1..%d\n", tests);
    return failures ? 1 : 0;
}
