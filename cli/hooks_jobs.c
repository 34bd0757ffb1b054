/* The deployment queue and its workers: evaluate, render, post back, retry within
 * bounds, log every outcome (never the credential). */
#include "hooks_jobs.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hooks_comment.h"
#include "hooks_http.h"
#include "http_status.h"
#include "json_member.h"
#include "hooks_payload.h"

struct hooks_jobs {
    const hooks_config *config;
    const hooks_env *env;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    hooks_job *head, *tail;
    int queued, stopping;
    int started;
    pthread_t threads[32];
};

static const char *tool_name(int tool)
{
    return tool == HOOKS_GITHUB ? "github" : "gitlab";
}

void hooks_job_free(hooks_job *job)
{
    if (!job)
        return;
    free(job->request);
    free(job->problem);
    free(job->key);
    free(job->callback_url);
    free(job->environment);
    for (size_t i = 0; i < job->n_expect; i++) {
        free(job->expect[i].url);
        free(job->expect[i].value);
    }
    free(job);
}

int hooks_approves(int status, const char *decision, size_t len)
{
    cJSON *d;
    const cJSON *v;
    int ok;
    if (status != 200 || !decision)
        return 0;
    d = cJSON_ParseWithLength(decision, len);
    v = cJSON_GetObjectItemCaseSensitive(d, "decision");
    ok = cJSON_IsString(v) && (!strcmp(v->valuestring, "allow") || !strcmp(v->valuestring, "warn"));
    cJSON_Delete(d);
    return ok;
}

static void count(const hooks_env *env, const char *name, const char *help, const char *labels)
{
    if (env->count)
        env->count(env->arg, name, help, labels);
}

/* Wait SECONDS before the next attempt; 0, or -1 when the jobs are stopping (JOBS NULL:
 * a plain sleep). */
static int pause_for(hooks_jobs *jobs, double seconds)
{
    struct timespec until;
    int stopping;
    if (!jobs) {
        struct timespec d = {(time_t)seconds, (long)((seconds - (double)(time_t)seconds) * 1e9)};
        while (nanosleep(&d, &d) != 0 && errno == EINTR)
            ;
        return 0;
    }
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += (time_t)seconds;
    until.tv_nsec += (long)((seconds - (double)(time_t)seconds) * 1e9);
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&jobs->lock);
    while (!jobs->stopping && pthread_cond_timedwait(&jobs->wake, &jobs->lock, &until) != ETIMEDOUT)
        ;
    stopping = jobs->stopping;
    pthread_mutex_unlock(&jobs->lock);
    return stopping ? -1 : 0;
}

static int stopping(hooks_jobs *jobs)
{
    int stop;
    if (!jobs)
        return 0;
    pthread_mutex_lock(&jobs->lock);
    stop = jobs->stopping;
    pthread_mutex_unlock(&jobs->lock);
    return stop;
}

/* The tool's credential header for a request to URL into AUTH (SIZE bytes): 0, or -1
 * with WHY when URL is not beneath the API base or the token cannot be read.  The one
 * place a credential leaves the server: URL is checked right here, whatever built it. */
static int credential(const hooks_config *config, const hooks_job *job, const char *url, char *auth, size_t size,
                      char *why, size_t why_size)
{
    const hooks_service *svc = job->tool == HOOKS_GITHUB ? &config->github : &config->gitlab;
    char *token;
    if (!hooks_url_beneath(url, svc->api_url)) {
        snprintf(why, why_size, "not beneath the API base %s", svc->api_url);
        return -1;
    }
    if (!(token = hooks_token_read(svc, why, why_size)))
        return -1;
    if (strlen(token) > size - 32) {
        snprintf(why, why_size, "the token is too long");
        free(token);
        return -1;
    }
    snprintf(auth, size, job->tool == HOOKS_GITHUB ? "Authorization: Bearer %s" : "PRIVATE-TOKEN: %s", token);
    memset(token, 0, strlen(token));
    free(token);
    return 0;
}

/* A string (or a whole number) at dotted PATH of DOC, into BUF. */
static const char *field_at(const cJSON *doc, const char *path, char *buf, size_t size)
{
    doc = rg_json_at(doc, path);
    if (cJSON_IsString(doc))
        return doc->valuestring;
    if (cJSON_IsNumber(doc) && doc->valuedouble == (double)(long long)doc->valuedouble) {
        snprintf(buf, size, "%lld", (long long)doc->valuedouble);
        return buf;
    }
    return NULL;
}

/* Whether the tool's API says of the deployment what the webhook did (JOB's
 * expectations; none: 1).  Each answer is asked once, with the callbacks' attempts
 * against no answer, a 5xx or a 429.  0 (logged): nothing is decided or posted, and the
 * deployment stays waiting. */
static int confirmed(const hooks_config *config, const hooks_env *env, const hooks_job *job, hooks_jobs *jobs)
{
    const char *tool = tool_name(job->tool);
    char auth[4096], why[256] = "", num[32];
    const char *headers[] = {auth, NULL};
    cJSON *doc = NULL;
    const char *fetched = NULL;
    int ok = 1;

    for (size_t i = 0; ok && i < job->n_expect; i++) {
        const hooks_expect *e = &job->expect[i];
        const char *got;
        if (!fetched || strcmp(fetched, e->url) != 0) {
            hooks_post get = {e->url, headers, NULL, config->timeout};
            double wait = config->backoff;
            char *body = NULL;
            cJSON_Delete(doc);
            doc = NULL;
            fetched = e->url;
            if (credential(config, job, e->url, auth, sizeof auth, why, sizeof why) != 0) {
                ok = 0;
                break;
            }
            for (int attempt = 1;; attempt++) {
                hooks_reply reply;
                int answered = hooks_http_get(&get, &reply, &body) == 0;
                if (answered && reply.status == 200)
                    break;
                if (answered)
                    snprintf(why, sizeof why, "GET %.180s: HTTP %ld: %s", e->url, reply.status,
                             rg_http_status_words(reply.status) ? rg_http_status_words(reply.status) : "not 200");
                else
                    snprintf(why, sizeof why, "GET %.100s: %.140s", e->url, reply.why);
                free(body);
                body = NULL;
                if ((answered && reply.status != 429 && reply.status < 500) || attempt >= config->attempts ||
                    pause_for(jobs, wait) != 0)
                    break;
                wait = wait * 2 > 60 ? 60 : wait * 2;
            }
            memset(auth, 0, sizeof auth);
            if (!body || !(doc = cJSON_Parse(body))) {
                if (body)
                    snprintf(why, sizeof why, "GET %.200s: not JSON", e->url);
                free(body);
                ok = 0;
                break;
            }
            free(body);
        }
        got = field_at(doc, e->field, num, sizeof num);
        if (!got || strcmp(got, e->value) != 0) {
            snprintf(why, sizeof why, "%s says %s is %s%.100s%s, the webhook %.100s", e->url, e->field,
                     got ? "\"" : "", got ? got : "absent", got ? "\"" : "", e->value);
            ok = 0;
        }
    }
    cJSON_Delete(doc);
    if (!ok) {
        fprintf(stderr, "relgate serve: %s: not deciding for %s: the deployment is not as the webhook says (%s); "
                "nothing posted, the deployment stays waiting\n", tool, job->callback_url, why);
        count(env, "relgate_hooks_deliveries_total", "Deployment webhooks, by tool and outcome",
              job->tool == HOOKS_GITHUB ? "tool=\"github\",outcome=\"unconfirmed\""
                                        : "tool=\"gitlab\",outcome=\"unconfirmed\"");
    }
    return ok;
}

/* Post BODY to the job's callback with the tool's credential, up to the configured
 * number of attempts: again after no response, a 5xx or a 429; not after another
 * status (a 4xx will not change by asking again). */
static long post_back(const hooks_config *config, const hooks_env *env, const hooks_job *job, const char *body,
                      hooks_jobs *jobs)
{
    const char *tool = tool_name(job->tool);
    char why[256], auth[4096];
    const char *github_headers[] = {auth, "Accept: application/vnd.github+json", "X-GitHub-Api-Version: 2022-11-28",
                                    "Content-Type: application/json", NULL};
    const char *gitlab_headers[] = {auth, "Content-Type: application/json", NULL};
    hooks_post post = {job->callback_url, job->tool == HOOKS_GITHUB ? github_headers : gitlab_headers, body,
                       config->timeout};
    double wait = config->backoff;
    long status = 0;

    if (credential(config, job, job->callback_url, auth, sizeof auth, why, sizeof why) != 0) {
        fprintf(stderr, "relgate serve: %s: not calling back %s: %s\n", tool, job->callback_url, why);
        if (strncmp(why, "not beneath", 11) == 0)
            count(env, "relgate_hooks_callbacks_total", "Deployment decisions posted back, by tool and outcome",
                  job->tool == HOOKS_GITHUB ? "tool=\"github\",outcome=\"refused\""
                                            : "tool=\"gitlab\",outcome=\"refused\"");
        return 0;
    }

    for (int attempt = 1; attempt <= config->attempts; attempt++) {
        hooks_reply reply;
        const char *words;
        int retry;
        if (hooks_http_post(&post, &reply) == 0) {
            status = reply.status;
            retry = status == 429 || status >= 500;
            words = rg_http_status_words(status);
            fprintf(stderr, "relgate serve: %s: POST %s: HTTP %ld%s%s (attempt %d of %d)\n", tool,
                    job->callback_url, status, status >= 300 && words ? ": " : "", status >= 300 && words ? words : "",
                    attempt, config->attempts);
            if (status >= 200 && status < 300)
                break;
        } else {
            status = 0;
            retry = 1;
            fprintf(stderr, "relgate serve: %s: POST %s: %s (attempt %d of %d)\n", tool, job->callback_url, reply.why,
                    attempt, config->attempts);
        }
        if (!retry || attempt == config->attempts)
            break;
        if (pause_for(jobs, wait) != 0) {
            fprintf(stderr, "relgate serve: %s: POST %s: no more attempts: the server is stopping\n", tool,
                    job->callback_url);
            break;
        }
        wait = wait * 2 > 60 ? 60 : wait * 2;
    }
    if (!(status >= 200 && status < 300))
        fprintf(stderr, "relgate serve: %s: the decision for %s was not delivered; the deployment stays waiting\n",
                tool, job->callback_url);
    count(env, "relgate_hooks_callbacks_total", "Deployment decisions posted back, by tool and outcome",
          status >= 200 && status < 300
              ? (job->tool == HOOKS_GITHUB ? "tool=\"github\",outcome=\"delivered\"" : "tool=\"gitlab\",outcome=\"delivered\"")
              : (job->tool == HOOKS_GITHUB ? "tool=\"github\",outcome=\"failed\"" : "tool=\"gitlab\",outcome=\"failed\""));
    return status;
}

static long run(const hooks_config *config, const hooks_env *env, const hooks_job *job, hooks_jobs *jobs)
{
    char *decision = NULL, *comment, *body;
    size_t decision_len = 0;
    int status = 0, approved = 0;
    long delivered;

    if (!confirmed(config, env, job, jobs))
        return 0;
    if (job->request) {
        double wait = config->backoff;
        /* A 503 (every worker busy, the store failing) is asked again within the callbacks'
         * budget before it becomes a rejection; a server that is stopping posts nothing:
         * the deployment stays waiting rather than being rejected by a restart. */
        for (int attempt = 1;; attempt++) {
            status = env->decide(env->arg, job->request, strlen(job->request), job->key, &decision, &decision_len);
            if (status != 503 || attempt >= config->attempts)
                break;
            free(decision);
            decision = NULL;
            if (pause_for(jobs, wait) != 0) {
                fprintf(stderr, "relgate serve: %s: not decided (the server is stopping): %s; the deployment stays "
                        "waiting\n", tool_name(job->tool), job->callback_url);
                return 0;
            }
            wait = wait * 2 > 60 ? 60 : wait * 2;
        }
        if (status == 503 && stopping(jobs)) {
            free(decision);
            fprintf(stderr, "relgate serve: %s: not decided (the server is stopping): %s; the deployment stays "
                    "waiting\n", tool_name(job->tool), job->callback_url);
            return 0;
        }
        approved = hooks_approves(status, decision, decision_len);
        comment = hooks_comment(decision, decision_len, status, HOOKS_COMMENT_MAX);
    } else {
        comment = hooks_comment_refused(job->problem ? job->problem : "no request", HOOKS_COMMENT_MAX);
    }
    fprintf(stderr, "relgate serve: %s: %s for %s (%s)\n", tool_name(job->tool), approved ? "approved" : "rejected",
            job->environment, job->request ? "decided" : job->problem ? job->problem : "refused");
    body = job->tool == HOOKS_GITHUB ? hooks_github_review(job->environment, approved, comment ? comment : "relgate")
                                     : hooks_gitlab_approval(approved, comment ? comment : "relgate");
    free(comment);
    free(decision);
    if (!body) {
        fprintf(stderr, "relgate serve: %s: out of memory: no answer for %s\n", tool_name(job->tool), job->callback_url);
        return 0;
    }
    delivered = post_back(config, env, job, body, jobs);
    free(body);
    return delivered;
}

long hooks_job_run(const hooks_config *config, const hooks_env *env, const hooks_job *job)
{
    return run(config, env, job, NULL);
}

static void *worker(void *arg)
{
    hooks_jobs *jobs = arg;
    for (;;) {
        hooks_job *job;
        pthread_mutex_lock(&jobs->lock);
        while (!jobs->head && !jobs->stopping)
            pthread_cond_wait(&jobs->wake, &jobs->lock);
        if (jobs->stopping) {
            pthread_mutex_unlock(&jobs->lock);
            return NULL;
        }
        job = jobs->head;
        jobs->head = job->next;
        if (!jobs->head)
            jobs->tail = NULL;
        jobs->queued--;
        pthread_mutex_unlock(&jobs->lock);
        run(jobs->config, jobs->env, job, jobs);
        hooks_job_free(job);
    }
}

hooks_jobs *hooks_jobs_start(const hooks_config *config, const hooks_env *env, char *why, size_t why_size)
{
    hooks_jobs *jobs = calloc(1, sizeof *jobs);
    int n = config->workers < 1 ? 1 : config->workers > 32 ? 32 : config->workers;
    if (!jobs) {
        snprintf(why, why_size, "out of memory");
        return NULL;
    }
    /* libcurl is opened here, before any worker thread exists. */
    if (hooks_http_init(why, why_size) != 0) {
        free(jobs);
        return NULL;
    }
    jobs->config = config;
    jobs->env = env;
    pthread_mutex_init(&jobs->lock, NULL);
    pthread_cond_init(&jobs->wake, NULL);
    for (int i = 0; i < n; i++) {
        if (pthread_create(&jobs->threads[i], NULL, worker, jobs) != 0) {
            snprintf(why, why_size, "cannot start a hooks worker thread");
            hooks_jobs_stop(jobs);
            return NULL;
        }
        jobs->started++;
    }
    return jobs;
}

int hooks_jobs_push(hooks_jobs *jobs, hooks_job *job)
{
    int taken = 0;
    pthread_mutex_lock(&jobs->lock);
    if (!jobs->stopping && jobs->queued < jobs->config->queue) {
        job->next = NULL;
        if (jobs->tail)
            jobs->tail->next = job;
        else
            jobs->head = job;
        jobs->tail = job;
        jobs->queued++;
        taken = 1;
        pthread_cond_signal(&jobs->wake);
    }
    pthread_mutex_unlock(&jobs->lock);
    if (!taken)
        hooks_job_free(job);
    return taken ? 0 : -1;
}

void hooks_jobs_stop(hooks_jobs *jobs)
{
    hooks_job *job;
    if (!jobs)
        return;
    pthread_mutex_lock(&jobs->lock);
    jobs->stopping = 1;
    pthread_cond_broadcast(&jobs->wake);
    pthread_mutex_unlock(&jobs->lock);
    for (int i = 0; i < jobs->started; i++)
        pthread_join(jobs->threads[i], NULL);
    while ((job = jobs->head)) {
        jobs->head = job->next;
        fprintf(stderr, "relgate serve: %s: not decided (the server stopped): %s; the deployment stays waiting\n",
                tool_name(job->tool), job->callback_url);
        hooks_job_free(job);
    }
    pthread_cond_destroy(&jobs->wake);
    pthread_mutex_destroy(&jobs->lock);
    free(jobs);
}
