/* Unit tests for cli/hooks_jobs.c: the deployment queue is bounded, a credential goes
 * only beneath the API base, and what cannot be posted is not posted. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "hooks_config.h"
#include "hooks_jobs.h"
#include "rgtest.h"

/* Port 1 on loopback: nothing listens, a connection is refused at once. */
#define API "http://127.0.0.1:1"

static char *dir;
static pthread_mutex_t gate_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cond = PTHREAD_COND_INITIALIZER;
static int gate_open, decided, blocked;

static int setup(void **state)
{
    (void)state;
    dir = rgt_tmpdir("hooks-jobs");
    rgt_write(dir, "secret", "s", 1);
    rgt_write(dir, "token", "t0ken", 5);
    {   /* secrets are read only when their owner alone may read them */
        char path[4096];
        snprintf(path, sizeof path, "%s/secret", dir);
        chmod(path, 0600);
        snprintf(path, sizeof path, "%s/token", dir);
        chmod(path, 0600);
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    rgt_rmtree(dir);
    free(dir);
    return 0;
}

/* A decision that waits until the test opens the gate. */
static int slow_decide(void *arg, const char *body, size_t len, const char *key, char **decision, size_t *dlen)
{
    (void)arg, (void)body, (void)len, (void)key;
    pthread_mutex_lock(&gate_lock);
    blocked++;
    pthread_cond_broadcast(&gate_cond);
    while (!gate_open)
        pthread_cond_wait(&gate_cond, &gate_lock);
    decided++;
    pthread_mutex_unlock(&gate_lock);
    *decision = strdup("{\"decision\": \"allow\", \"requirements\": []}");
    *dlen = strlen(*decision);
    return 200;
}

static hooks_config *config(const char *extra)
{
    char text[1024], why[512] = "";
    hooks_config *c;
    snprintf(text, sizeof text,
             "{\"github\": {\"webhook_secret_file\": \"secret\", \"token_file\": \"token\", \"api_url\": \"" API "\", "
             "\"rules\": [{\"repository\": \"*\", \"request\": {}}]}, \"callbacks\": {%s}}", extra);
    c = hooks_config_parse(text, dir, why, sizeof why);
    if (!c)
        fail_msg("%s", why);
    return c;
}

static hooks_job *job(const char *url)
{
    hooks_job *j = calloc(1, sizeof *j);
    j->tool = HOOKS_GITHUB;
    j->request = strdup("{}");
    j->callback_url = strdup(url);
    j->environment = strdup("production");
    return j;
}

/* One job being decided, QUEUE more waiting: the next is refused (the webhook gets 503). */
static void queue_is_bounded(void **state)
{
    hooks_config *c = config("\"queue\": 2, \"workers\": 1, \"attempts\": 1, \"timeout\": 1");
    hooks_env env = {slow_decide, NULL, NULL};
    char why[256];
    hooks_jobs *jobs = hooks_jobs_start(c, &env, why, sizeof why);
    (void)state;
    assert_non_null(jobs);
    assert_int_equal(hooks_jobs_push(jobs, job(API "/repos/o/r/actions/runs/1/deployment_protection_rule")), 0);
    pthread_mutex_lock(&gate_lock);
    while (!blocked)   /* the worker holds the first job */
        pthread_cond_wait(&gate_cond, &gate_lock);
    pthread_mutex_unlock(&gate_lock);
    assert_int_equal(hooks_jobs_push(jobs, job(API "/repos/o/r/actions/runs/2/deployment_protection_rule")), 0);
    assert_int_equal(hooks_jobs_push(jobs, job(API "/repos/o/r/actions/runs/3/deployment_protection_rule")), 0);
    assert_int_equal(hooks_jobs_push(jobs, job(API "/repos/o/r/actions/runs/4/deployment_protection_rule")), -1);
    pthread_mutex_lock(&gate_lock);
    gate_open = 1;
    pthread_cond_broadcast(&gate_cond);
    pthread_mutex_unlock(&gate_lock);
    hooks_jobs_stop(jobs);   /* joins the worker; what is still queued is dropped, logged */
    assert_true(decided >= 1 && decided <= 3);
    hooks_config_free(c);
}

static int count_decide(void *arg, const char *body, size_t len, const char *key, char **decision, size_t *dlen)
{
    (void)body, (void)len, (void)key;
    ++*(int *)arg;
    *decision = strdup("{\"decision\": \"deny\", \"requirements\": []}");
    *dlen = strlen(*decision);
    return 200;
}

/* A URL outside the API base, or no token: nothing is sent (and nothing arrives). */
static void nothing_posted_outside_the_base(void **state)
{
    hooks_config *c = config("\"attempts\": 1, \"timeout\": 1");
    int calls = 0, listener = socket(AF_INET, SOCK_STREAM, 0);
    hooks_env env = {count_decide, NULL, &calls};
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof addr;
    char url[128];
    hooks_job *j;
    (void)state;
    /* A server that is listening, on another port than the API base's: never connected to. */
    assert_true(listener >= 0);
    assert_int_equal(bind(listener, (struct sockaddr *)&addr, sizeof addr), 0);
    assert_int_equal(listen(listener, 4), 0);
    assert_int_equal(getsockname(listener, (struct sockaddr *)&addr, &len), 0);
    snprintf(url, sizeof url, "http://127.0.0.1:%d/repos/o/r/actions/runs/1/deployment_protection_rule",
             ntohs(addr.sin_port));
    j = job(url);
    assert_int_equal(hooks_job_run(c, &env, j), 0);
    hooks_job_free(j);
    fcntl(listener, F_SETFL, O_NONBLOCK);
    assert_int_equal(accept(listener, NULL, NULL), -1);
    assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
    close(listener);
    /* Beneath the base but the connection refused: one attempt, no status. */
    j = job(API "/repos/o/r/actions/runs/1/deployment_protection_rule");
    assert_int_equal(hooks_job_run(c, &env, j), 0);
    /* No token file: not posted. */
    free(c->github.token_file);
    c->github.token_file = strdup(rgt_path(dir, "missing-token"));
    assert_int_equal(hooks_job_run(c, &env, j), 0);
    hooks_job_free(j);
    assert_int_equal(calls, 3);   /* each was decided; none could be delivered */
    hooks_config_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(queue_is_bounded),
        cmocka_unit_test(nothing_posted_outside_the_base),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
