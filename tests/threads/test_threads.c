/* relgate.h promises that separate objects may be used from separate threads.  Several
 * threads here each load their own plugin set, context and policy and evaluate them
 * many times, half of them a release that passes and half one that is denied: every
 * decision must be its own release's (built under ThreadSanitizer by
 * scripts/test-tsan.sh, races are failures too).  TAP output.
 *
 * usage: threads PLUGIN_DIR POLICY NOW CONTEXT VERDICT CONTEXT VERDICT [THREADS [ROUNDS]] */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <relgate/relgate.h>

typedef struct worker {
    const char *plugin_dir, *policy, *context, *verdict;
    int64_t now;
    int rounds;
    int wrong;            /* decisions that were not the expected verdict */
    char why[1200];       /* the first problem */
} worker;

static void *run(void *arg)
{
    worker *w = arg;
    rg_error err = {0};
    rg_limits limits = rg_limits_default();
    rg_plugins *plugins;
    rg_context *ctx = NULL;
    rg_policy *pol = NULL;

    limits.jobs = 2;
    plugins = rg_plugins_load(&w->plugin_dir, 1, 0, &err);
    if (plugins)
        ctx = rg_context_load(w->context, NULL, &err);
    if (ctx)
        pol = rg_policy_load_with_plugins(w->policy, &limits, w->now, plugins, &err);
    if (!pol) {
        snprintf(w->why, sizeof w->why, "could not load: %.1100s", err.message);
        w->wrong = w->rounds;
    }
    for (int i = 0; pol && i < w->rounds; i++) {
        rg_decision *d = rg_evaluate(pol, ctx, &err);
        const char *got = d ? rg_verdict_name(rg_decision_verdict(d)) : "error";
        char *json = d ? rg_decision_render(d, RG_FORMAT_LINE, 0) : NULL;
        if (!d || strcmp(got, w->verdict) != 0 || !json || !strstr(json, w->context)) {
            /* Say which requirement answered otherwise: the first result not passing. */
            const char *odd = json ? strstr(json, "\"status\":\"error\"") : NULL;
            if (!odd && json)
                odd = strstr(json, "\"status\":\"fail\"");
            if (!w->wrong++)
                snprintf(w->why, sizeof w->why, "round %d: %s (want %s): %.1000s", i, got, w->verdict,
                         d ? (odd ? odd : "") : err.message);
        }
        free(json);
        rg_decision_free(d);
        rg_error_clear(&err);
    }
    rg_policy_free(pol);
    rg_context_free(ctx);
    rg_plugins_free(plugins);
    rg_error_clear(&err);
    return NULL;
}

int main(int argc, char **argv)
{
    int threads = argc > 8 ? atoi(argv[8]) : 4, rounds = argc > 9 ? atoi(argv[9]) : 10, failed = 0;
    int64_t now;
    worker *w;
    pthread_t *tid;

    if (argc < 8 || threads < 2 || rounds < 1 || rg_time_parse(argv[3], &now) != 0) {
        fprintf(stderr, "usage: threads PLUGIN_DIR POLICY NOW CONTEXT VERDICT CONTEXT VERDICT [THREADS [ROUNDS]]\n");
        return 2;
    }
    w = calloc((size_t)threads, sizeof *w);
    tid = calloc((size_t)threads, sizeof *tid);
    if (!w || !tid)
        return 2;
    printf("TAP version 13\n1..%d\n", threads + 1);
    for (int i = 0; i < threads; i++) {
        w[i].plugin_dir = argv[1];
        w[i].policy = argv[2];
        w[i].now = now;
        w[i].context = argv[4 + 2 * (i % 2)];
        w[i].verdict = argv[5 + 2 * (i % 2)];
        w[i].rounds = rounds;
        if (pthread_create(&tid[i], NULL, run, &w[i]) != 0) {
            printf("Bail out! cannot start thread %d\n", i);
            return 2;
        }
    }
    for (int i = 0; i < threads; i++) {
        pthread_join(tid[i], NULL);
        printf("%s %d - thread %d: %d decisions, each %s\n", w[i].wrong ? "not ok" : "ok", i + 1, i, rounds,
               w[i].verdict);
        if (w[i].wrong)
            printf("#   %d wrong; first: %s\n", w[i].wrong, w[i].why);
        failed |= w[i].wrong != 0;
    }
    /* The test must be able to fail: a thread told to expect the other verdict does. */
    {
        worker probe = w[0];
        probe.verdict = strcmp(w[0].verdict, w[1].verdict) == 0 ? "error" : w[1].verdict;
        probe.rounds = 1;
        probe.wrong = 0;
        run(&probe);
        printf("%s %d - a thread expecting the other release's verdict sees it wrong\n",
               probe.wrong ? "ok" : "not ok", threads + 1);
        failed |= !probe.wrong;
    }
    free(w);
    free(tid);
    return failed;
}
