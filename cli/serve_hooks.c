/* The deployment integrations' hook into relgate serve (serve.h): the --hooks option and
 * the routes of GitHub's deployment protection rule, GitLab's deployment approval and
 * Argo Rollouts' web metric (docs/integrations.md).  Every decision is made by
 * rg_serve_decide, the server's one function to decide. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "hooks_config.h"
#include "hooks_jobs.h"
#include "hooks_payload.h"
#include "hooks_verify.h"
#include "serve.h"

const rg_serve_extra_option rg_serve_hook_options[] = {
    {"--hooks", "a path", "FILE  deployment hooks: GitHub, GitLab, Argo Rollouts (docs/integrations.md)"},
    {NULL, NULL, NULL},
};
enum { OPTION_HOOKS = 0 };

/* One server per process: its hooks' configuration, queue and the server they ask. */
static struct {
    hooks_config *config;
    hooks_jobs *jobs;
    hooks_env env;
    rg_serve *srv;
} hooks;

static void metric(void *arg, const char *name, const char *help, const char *labels)
{
    rg_serve_metric_add(arg, name, help, labels, 1);
}

/* The one function to decide, as the jobs call it. */
static int decide(void *arg, const char *body, size_t len, const char *key, char **decision, size_t *decision_len)
{
    rg_serve_response resp = {0};
    int status = rg_serve_decide(arg, body, len, key, 1, &resp);   /* the hook rule's body */
    *decision = resp.body;
    *decision_len = resp.body ? resp.body_len : 0;
    return status;
}

/* A small JSON answer: {"KEY": VALUE-string, ...} from pairs ending in NULL. */
static void respond_json(rg_serve_response *resp, int status, const char *key, const char *value,
                         const char *key2, const char *value2)
{
    cJSON *o = cJSON_CreateObject();
    char *text = NULL;
    if (o && cJSON_AddStringToObject(o, key, value) && (!key2 || cJSON_AddStringToObject(o, key2, value2)))
        text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (!text)
        rg_serve_respond_error(resp, 500, RG_ERROR_INTERNAL, "out of memory");
    else
        rg_serve_respond(resp, status, NULL, text);
}

/* The tool's delivery id as an idempotency key (a redelivery gets the stored decision):
 * PREFIX + the header's value when it is a plain token, else NULL. */
static char *delivery_key(const char *prefix, const char *id)
{
    char *key;
    if (!id || !*id || strlen(id) > 128 ||
        strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.") != strlen(id))
        return NULL;
    if ((key = malloc(strlen(prefix) + strlen(id) + 1)))
        sprintf(key, "%s%s", prefix, id);
    return key;
}

/* Queue the decision for D (whose rule may be missing: then it is rejected, saying so). */
static void enqueue(rg_serve_response *resp, int tool, const hooks_service *svc, hooks_delivery *d, char *key)
{
    const hooks_rule *rule = hooks_rule_find(svc, d->match, d->match_alt, d->environment);
    hooks_job *job = calloc(1, sizeof *job);
    const char *name = tool == HOOKS_GITHUB ? "github" : "gitlab";
    char why[512];

    if (!job) {
        free(key);
        rg_serve_respond_error(resp, 500, RG_ERROR_INTERNAL, "out of memory");
        return;
    }
    job->tool = tool;
    job->key = key;
    job->callback_url = d->callback_url;
    job->environment = d->environment;
    d->callback_url = d->environment = NULL;
    memcpy(job->expect, d->expect, sizeof job->expect);
    job->n_expect = d->n_expect;
    d->n_expect = 0;   /* the job's now */
    if (!rule) {
        snprintf(why, sizeof why, "no rule of the hooks configuration names %s and the environment %s", d->match,
                 job->environment);
        job->problem = strdup(why);
    } else if (!(job->request = hooks_request_build(rule, &d->vars, why, sizeof why))) {
        job->problem = strdup(why);
    }
    if (hooks_jobs_push(hooks.jobs, job) != 0) {
        rg_serve_metric_add(hooks.srv, "relgate_hooks_deliveries_total", "Deployment webhooks, by tool and outcome",
                            tool == HOOKS_GITHUB ? "tool=\"github\",outcome=\"busy\"" : "tool=\"gitlab\",outcome=\"busy\"",
                            1);
        rg_serve_respond_error(resp, 503, RG_ERROR_IO, "%s: too many deployments are waiting for a decision", name);
        rg_serve_respond_header(resp, "Retry-After", "5");
        return;
    }
    rg_serve_metric_add(hooks.srv, "relgate_hooks_deliveries_total", "Deployment webhooks, by tool and outcome",
                        tool == HOOKS_GITHUB ? "tool=\"github\",outcome=\"accepted\"" : "tool=\"gitlab\",outcome=\"accepted\"",
                        1);
    respond_json(resp, 202, "accepted", "the decision will be posted to the deployment", NULL, NULL);
}

static void refused(rg_serve_response *resp, int tool, int status, const char *outcome, const char *message)
{
    char labels[96];
    snprintf(labels, sizeof labels, "tool=\"%s\",outcome=\"%s\"", tool == HOOKS_GITHUB ? "github" : "gitlab", outcome);
    rg_serve_metric_add(hooks.srv, "relgate_hooks_deliveries_total", "Deployment webhooks, by tool and outcome",
                        labels, 1);
    rg_serve_respond_error(resp, status, RG_ERROR_USAGE, "%s", message);
}

static void github(rg_serve *srv, const rg_serve_request *req, rg_serve_response *resp, void *arg)
{
    const hooks_service *svc = &hooks.config->github;
    const char *event = req->header(req, "X-GitHub-Event");
    hooks_delivery d;
    char why[512];
    int rc;
    (void)srv;
    (void)arg;
    /* Nothing of the body is read before its signature holds. */
    if (!hooks_github_signature_ok(svc->secret, svc->secret_len, req->header(req, "X-Hub-Signature-256"), req->body,
                                   req->body_len)) {
        refused(resp, HOOKS_GITHUB, 401, "unauthorized",
                "github: X-Hub-Signature-256 is missing or is not the HMAC-SHA256 of the body under the webhook secret");
        return;
    }
    if (!event) {
        refused(resp, HOOKS_GITHUB, 400, "bad", "github: no X-GitHub-Event header");
        return;
    }
    if (!strcmp(event, "ping")) {
        respond_json(resp, 200, "pong", "relgate", NULL, NULL);
        return;
    }
    if (strcmp(event, "deployment_protection_rule") != 0) {
        respond_json(resp, 202, "ignored", "not a deployment_protection_rule event", "event", event);
        return;
    }
    rc = hooks_github_parse(req->body, req->body_len, svc->api_url, &d, why, sizeof why);
    if (rc == HOOKS_PAYLOAD_IGNORED) {
        respond_json(resp, 202, "ignored", why, NULL, NULL);
    } else if (rc != HOOKS_PAYLOAD_OK) {
        char message[600];
        snprintf(message, sizeof message, "github: %s", why);
        fprintf(stderr, "relgate serve: %s\n", message);
        refused(resp, HOOKS_GITHUB, rc == HOOKS_PAYLOAD_ELSEWHERE ? 422 : 400, "bad", message);
    } else {
        enqueue(resp, HOOKS_GITHUB, svc, &d, delivery_key("github-", req->header(req, "X-GitHub-Delivery")));
        hooks_delivery_free(&d);
    }
}

static void gitlab(rg_serve *srv, const rg_serve_request *req, rg_serve_response *resp, void *arg)
{
    const hooks_service *svc = &hooks.config->gitlab;
    hooks_delivery d;
    char why[512];
    int rc;
    (void)srv;
    (void)arg;
    if (!hooks_token_ok(svc->secret, svc->secret_len, req->header(req, "X-Gitlab-Token"))) {
        refused(resp, HOOKS_GITLAB, 401, "unauthorized",
                "gitlab: X-Gitlab-Token is missing or is not the configured webhook token");
        return;
    }
    rc = hooks_gitlab_parse(req->body, req->body_len, svc->api_url, &d, why, sizeof why);
    if (rc == HOOKS_PAYLOAD_IGNORED) {
        respond_json(resp, 202, "ignored", why, NULL, NULL);
    } else if (rc != HOOKS_PAYLOAD_OK) {
        char message[600];
        snprintf(message, sizeof message, "gitlab: %s", why);
        fprintf(stderr, "relgate serve: %s\n", message);
        refused(resp, HOOKS_GITLAB, 400, "bad", message);
    } else {
        enqueue(resp, HOOKS_GITLAB, svc, &d, delivery_key("gitlab-", req->header(req, "X-Gitlab-Event-UUID")));
        hooks_delivery_free(&d);
    }
}

/* Decide REQUEST for Argo; FROM_OPERATOR when a rule of the configuration built it (its
 * live sources are the operator's), not when Argo sent it whole.  Argo Rollouts reads one
 * JSON field: {"ok": bool, "decision": {...}}; ok only for a 200 whose verdict is allow or
 * warn.  The status is the decision's own (a 503 is an Argo measurement error, retried; a
 * deny is a 200 with ok false, a failed measurement). */
static void argo_answer(rg_serve_response *resp, const char *request, size_t len, int from_operator)
{
    rg_serve_response decided = {0};
    int status = rg_serve_decide(hooks.srv, request, len, NULL, from_operator, &decided);
    int ok = hooks_approves(status, decided.body, decided.body ? decided.body_len : 0);
    cJSON *o = cJSON_CreateObject(), *d = decided.body ? cJSON_ParseWithLength(decided.body, decided.body_len) : NULL;
    char *text = NULL;
    if (o && cJSON_AddBoolToObject(o, "ok", ok)) {
        cJSON_AddItemToObject(o, "decision", d ? d : cJSON_CreateNull());
        d = NULL;
        text = cJSON_PrintUnformatted(o);
    }
    cJSON_Delete(d);
    cJSON_Delete(o);
    for (int i = 0; i < decided.header_count; i++)   /* Retry-After of a 503 */
        rg_serve_respond_header(resp, decided.headers[i][0], decided.headers[i][1]);
    free(decided.body);
    rg_serve_metric_add(hooks.srv, "relgate_hooks_argo_total", "Argo Rollouts measurements, by result", ok ? "ok=\"true\"" : "ok=\"false\"", 1);
    if (!text)
        rg_serve_respond_error(resp, 500, RG_ERROR_INTERNAL, "out of memory");
    else
        rg_serve_respond(resp, status, NULL, text);
}

/* An Argo rule's args: from the query (GET) or a JSON object of strings (POST). */
typedef struct argo_args {
    const rg_serve_request *req;
    cJSON *body;
} argo_args;

static const char *argo_arg(void *data, const char *name)
{
    argo_args *a = data;
    const cJSON *v;
    if (!a->body)
        return a->req->query(a->req, name);
    v = cJSON_GetObjectItemCaseSensitive(a->body, name);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* POST /v1/argo: the body is a POST /v1/decisions request. */
static void argo_direct(rg_serve *srv, const rg_serve_request *req, rg_serve_response *resp, void *arg)
{
    (void)srv;
    (void)arg;
    argo_answer(resp, req->body, req->body_len, 0);
}

/* GET or POST /v1/argo/RULE: the rule's request, its ${args.NAME} filled in. */
static void argo_rule(rg_serve *srv, const rg_serve_request *req, rg_serve_response *resp, void *arg)
{
    const hooks_rule *rule = NULL;
    argo_args a = {req, NULL};
    hooks_vars vars = {.arg = argo_arg, .arg_data = &a};
    char why[512], *request;
    (void)srv;
    (void)arg;
    if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "POST") != 0) {
        rg_serve_respond_error(resp, 405, RG_ERROR_USAGE, "argo: GET or POST");
        rg_serve_respond_header(resp, "Allow", "GET, POST");
        return;
    }
    for (size_t i = 0; !rule && req->rest && i < hooks.config->argo.n_rules; i++)   /* the first, as documented */
        if (!strcmp(hooks.config->argo.rules[i].match, req->rest))
            rule = &hooks.config->argo.rules[i];
    if (!rule) {
        rg_serve_respond_error(resp, 404, RG_ERROR_USAGE, "argo: no rule named \"%.200s\" in the hooks configuration",
                               req->rest ? req->rest : "");
        return;
    }
    if (!strcmp(req->method, "POST") && req->body_len) {
        a.body = cJSON_ParseWithLength(req->body, req->body_len);
        if (!cJSON_IsObject(a.body)) {
            cJSON_Delete(a.body);
            rg_serve_respond_error(resp, 400, RG_ERROR_USAGE, "argo: the body must be a JSON object of the rule's args");
            return;
        }
    }
    request = hooks_request_build(rule, &vars, why, sizeof why);
    cJSON_Delete(a.body);
    if (!request) {
        rg_serve_respond_error(resp, 400, RG_ERROR_USAGE, "argo: %s", why);
        return;
    }
    argo_answer(resp, request, strlen(request), 1);
    free(request);
}

void rg_serve_hooks_stop(rg_serve *srv)
{
    (void)srv;
    hooks_jobs_stop(hooks.jobs);   /* the deployment being decided or posted finishes */
    hooks.jobs = NULL;
    hooks_config_free(hooks.config);
    hooks.config = NULL;
}

int rg_serve_hooks_register(rg_serve *srv)
{
    const char *path = rg_serve_config_get(srv)->extra[OPTION_HOOKS];
    char why[1024];
    int failed = 0;

    if (!path)
        return 0;   /* no hooks: their routes answer 404 like any unknown path */
    if (!(hooks.config = hooks_config_load(path, why, sizeof why))) {
        fprintf(stderr, "relgate serve: --hooks %s\n", why);
        return -1;
    }
    {
        /* The port is written after this: never over the API credential a hook posts
         * with, nor over the secret a delivery is authenticated by (the next start would
         * take the port number for the secret: anyone could sign a delivery). */
        const char *port_file = rg_serve_config_get(srv)->port_file;
        const hooks_service *services[] = {&hooks.config->github, &hooks.config->gitlab, &hooks.config->argo};
        for (size_t i = 0; i < sizeof services / sizeof *services; i++)
            if (port_file && (rg_same_place(port_file, services[i]->token_file) ||
                              rg_same_place(port_file, services[i]->secret_file))) {
                fprintf(stderr, "relgate serve: --port-file '%.200s' would be written over a token or webhook "
                        "secret file of --hooks %s: give it a file of its own\n", port_file, path);
                hooks_config_free(hooks.config);
                hooks.config = NULL;
                return -1;
            }
    }
    hooks.srv = srv;
    hooks.env = (hooks_env){decide, metric, srv};
    if ((hooks.config->github.enabled || hooks.config->gitlab.enabled) &&
        !(hooks.jobs = hooks_jobs_start(hooks.config, &hooks.env, why, sizeof why))) {
        fprintf(stderr, "relgate serve: --hooks: %s\n", why);
        return -1;
    }
    /* The webhooks authenticate themselves (signature, token): no bearer token; Argo
     * sends one like any client. */
    if (hooks.config->github.enabled)
        failed |= rg_serve_route_add(srv, "POST", "/v1/hooks/github", RG_ROUTE_EXACT | RG_ROUTE_PUBLIC, github, NULL);
    if (hooks.config->gitlab.enabled)
        failed |= rg_serve_route_add(srv, "POST", "/v1/hooks/gitlab", RG_ROUTE_EXACT | RG_ROUTE_PUBLIC, gitlab, NULL);
    if (hooks.config->argo.enabled) {
        failed |= rg_serve_route_add(srv, "POST", "/v1/argo", RG_ROUTE_EXACT, argo_direct, NULL);
        failed |= rg_serve_route_add(srv, "*", "/v1/argo/", 0, argo_rule, NULL);
    }
    if (failed) {
        fprintf(stderr, "relgate serve: --hooks: the route table is full\n");
        return -1;
    }
    return 0;
}
