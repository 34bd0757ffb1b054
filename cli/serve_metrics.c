/* relgate serve: metrics in the Prometheus text exposition format (serve_internal.h):
 * decisions by outcome and stage, a histogram of the time a decision took, the policy's
 * digest, and counters any piece adds by name (store errors, queue rejections, worker
 * restarts, reloads, the integrations' own). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "serve_internal.h"
#include "strbuf.h"

#define MAX_COUNTERS 96
#define VERDICTS 4
#define STAGES 4

static const char *const VERDICT_NAMES[VERDICTS] = {"allow", "warn", "deny", "error"};
static const char *const STAGE_NAMES[STAGES] = {"pre-release", "deploy", "post-deploy", "none"};
static const double BUCKETS[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
#define BUCKET_COUNT (sizeof BUCKETS / sizeof BUCKETS[0])

typedef struct counter {
    char name[96];
    char labels[160];
    const char *help;
    double value;
} counter;

struct rg_serve_metrics {
    pthread_mutex_t lock;
    double decisions[VERDICTS][STAGES];
    double buckets[BUCKET_COUNT];   /* cumulative when rendered; counted per bucket here */
    double count, sum;
    counter counters[MAX_COUNTERS];
    int counter_count;
};

rg_serve_metrics *rg_serve_metrics_new(void)
{
    rg_serve_metrics *m = calloc(1, sizeof *m);
    if (m)
        pthread_mutex_init(&m->lock, NULL);
    return m;
}

void rg_serve_metrics_free(rg_serve_metrics *m)
{
    if (!m)
        return;
    pthread_mutex_destroy(&m->lock);
    free(m);
}

static int index_of(const char *const *names, int count, const char *name)
{
    for (int i = 0; i < count; i++)
        if (strcmp(names[i], name) == 0)
            return i;
    return count - 1;
}

void rg_serve_metrics_decision(rg_serve_metrics *m, const char *verdict, const char *stage, double seconds)
{
    int v = index_of(VERDICT_NAMES, VERDICTS, verdict), s = index_of(STAGE_NAMES, STAGES, stage);
    size_t b = 0;
    while (b < BUCKET_COUNT && seconds > BUCKETS[b])
        b++;
    pthread_mutex_lock(&m->lock);
    m->decisions[v][s]++;
    if (b < BUCKET_COUNT)
        m->buckets[b]++;
    m->count++;
    m->sum += seconds;
    pthread_mutex_unlock(&m->lock);
}

void rg_serve_metric_add(rg_serve *srv, const char *name, const char *help, const char *labels, double delta)
{
    rg_serve_metrics *m = srv->metrics;
    int i;
    if (!m)
        return;
    pthread_mutex_lock(&m->lock);
    for (i = 0; i < m->counter_count; i++)
        if (strcmp(m->counters[i].name, name) == 0 && strcmp(m->counters[i].labels, labels ? labels : "") == 0)
            break;
    if (i == m->counter_count && i < MAX_COUNTERS) {
        rg_strlcpy(m->counters[i].name, name, sizeof m->counters[i].name);
        rg_strlcpy(m->counters[i].labels, labels ? labels : "", sizeof m->counters[i].labels);
        m->counters[i].help = help;
        m->counter_count++;
    }
    if (i < m->counter_count)
        m->counters[i].value += delta;
    pthread_mutex_unlock(&m->lock);
}

char *rg_serve_metrics_render(rg_serve_metrics *m, const char *policy_digest)
{
    rg_strbuf b = {0};
    double cumulative = 0;
    pthread_mutex_lock(&m->lock);
    rg_strbuf_puts(&b, "# HELP relgate_decisions_total Decisions answered, by outcome and stage\n"
                       "# TYPE relgate_decisions_total counter\n");
    for (int v = 0; v < VERDICTS; v++)
        for (int s = 0; s < STAGES; s++)
            rg_strbuf_printf(&b, "relgate_decisions_total{decision=\"%s\",stage=\"%s\"} %.0f\n", VERDICT_NAMES[v],
                             STAGE_NAMES[s], m->decisions[v][s]);
    rg_strbuf_puts(&b, "# HELP relgate_decision_duration_seconds Time from request to answer of a decision\n"
                       "# TYPE relgate_decision_duration_seconds histogram\n");
    for (size_t i = 0; i < BUCKET_COUNT; i++) {
        cumulative += m->buckets[i];
        rg_strbuf_printf(&b, "relgate_decision_duration_seconds_bucket{le=\"%g\"} %.0f\n", BUCKETS[i], cumulative);
    }
    rg_strbuf_printf(&b, "relgate_decision_duration_seconds_bucket{le=\"+Inf\"} %.0f\n", m->count);
    rg_strbuf_printf(&b, "relgate_decision_duration_seconds_sum %.6f\n", m->sum);
    rg_strbuf_printf(&b, "relgate_decision_duration_seconds_count %.0f\n", m->count);
    rg_strbuf_printf(&b, "# HELP relgate_policy_info The policy the workers evaluate with (its digest)\n"
                         "# TYPE relgate_policy_info gauge\n"
                         "relgate_policy_info{digest=\"%s\"} 1\n", policy_digest ? policy_digest : "");
    /* The store's errors are always shown, 0 too: an alert on them needs the series. */
    {
        int seen = 0;
        for (int i = 0; i < m->counter_count; i++)
            seen |= strcmp(m->counters[i].name, "relgate_store_errors_total") == 0;
        if (!seen)
            rg_strbuf_puts(&b, "# HELP relgate_store_errors_total Decisions the store could not record or read\n"
                               "# TYPE relgate_store_errors_total counter\nrelgate_store_errors_total 0\n");
    }
    /* A family's samples together, under one HELP and TYPE, as the format wants. */
    for (int i = 0; i < m->counter_count; i++) {
        const counter *c = &m->counters[i];
        int first = 1;
        for (int j = 0; j < i; j++)
            first &= strcmp(m->counters[j].name, c->name) != 0;
        if (!first)
            continue;
        rg_strbuf_printf(&b, "# HELP %s %s\n# TYPE %s counter\n", c->name, c->help ? c->help : c->name, c->name);
        for (int j = i; j < m->counter_count; j++) {
            const counter *s = &m->counters[j];
            if (strcmp(s->name, c->name) == 0)
                rg_strbuf_printf(&b, "%s%s%s%s %.0f\n", s->name, s->labels[0] ? "{" : "", s->labels,
                                 s->labels[0] ? "}" : "", s->value);
        }
    }
    pthread_mutex_unlock(&m->lock);
    return rg_strbuf_finish(&b);
}
