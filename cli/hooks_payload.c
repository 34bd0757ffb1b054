/* Reading GitHub's and GitLab's deployment webhooks.  Everything taken from a payload is
 * checked for the shape the gate relies on (a full SHA, a numeric ID, a callback URL
 * beneath the API) before it goes into a request template — as a JSON string, so no
 * value can change the template's structure. */
#include "hooks_payload.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const cJSON *member(const cJSON *obj, const char *key)
{
    return cJSON_GetObjectItemCaseSensitive(obj, key);
}

static const char *string_at(const cJSON *obj, const char *key)
{
    const cJSON *v = member(obj, key);
    return cJSON_IsString(v) && v->valuestring[0] ? v->valuestring : NULL;
}

/* A non-negative integer ID as text (IDs are numbers in both tools' payloads). */
static int id_at(const cJSON *obj, const char *key, char *out, size_t size)
{
    const cJSON *v = member(obj, key);
    if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > 9007199254740992.0 ||
        v->valuedouble != (double)(long long)v->valuedouble)
        return -1;
    snprintf(out, size, "%lld", (long long)v->valuedouble);
    return 0;
}

int hooks_is_sha(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    return (n == 40 || n == 64) && strspn(s, "0123456789abcdef") == n;
}

const char *hooks_version_of(const char *ref)
{
    if (!ref)
        return NULL;
    if (!strncmp(ref, "refs/tags/", 10))
        ref += 10;
    if ((ref[0] == 'v' || ref[0] == 'V') && ref[1] >= '0' && ref[1] <= '9')
        ref++;
    return ref;
}

void hooks_delivery_free(hooks_delivery *d)
{
    for (size_t i = 0; i < sizeof d->owned / sizeof d->owned[0]; i++)
        free(d->owned[i]);
    free(d->match);
    free(d->match_alt);
    free(d->environment);
    free(d->callback_url);
    for (size_t i = 0; i < d->n_expect; i++) {
        free(d->expect[i].url);
        free(d->expect[i].value);
    }
    memset(d, 0, sizeof *d);
}

/* Expect FIELD of the answer to GET URL_FORMAT (built from BASE and the IDs) to be VALUE. */
static int expect(hooks_delivery *d, const char *url, const char *field, const char *value)
{
    hooks_expect *e = &d->expect[d->n_expect];
    if (d->n_expect >= HOOKS_EXPECT_MAX || !(e->url = strdup(url)) || !(e->value = strdup(value))) {
        if (d->n_expect < HOOKS_EXPECT_MAX)
            free(e->url);
        return -1;
    }
    e->field = field;
    d->n_expect++;
    return 0;
}

/* Keep a copy of VALUE as placeholder NAME. */
static int keep(hooks_delivery *d, const char *name, const char *value)
{
    char *copy;
    if (!value)
        return 0;
    if (d->vars.n >= sizeof d->owned / sizeof d->owned[0] || !(copy = strdup(value)))
        return -1;
    d->owned[d->vars.n] = copy;
    hooks_vars_set(&d->vars, name, copy);
    return 0;
}

static int bad(char *why, size_t size, const char *what)
{
    snprintf(why, size, "%s", what);
    return HOOKS_PAYLOAD_BAD;
}

/* Whether URL is the protection-rule callback of REPOSITORY's run under API_URL:
 * API_URL/repos/OWNER/NAME/actions/runs/DIGITS/deployment_protection_rule.  A payload
 * (even one signed with a leaked secret) cannot have the decision for one repository
 * posted as the review of another's deployment.  GitHub spells OWNER/NAME as the
 * repository's full_name, compared without case as GitHub's paths are. */
static int callback_of(const char *url, const char *api_url, const char *repository)
{
    static const char runs[] = "/actions/runs/", tail[] = "/deployment_protection_rule";
    size_t n = strlen(api_url), r = strlen(repository), digits;
    const char *p = url + n;
    if (strncmp(url, api_url, n) != 0 || strncmp(p, "/repos/", 7) != 0)
        return 0;
    p += 7;
    if (strncasecmp(p, repository, r) != 0 || strncmp(p + r, runs, sizeof runs - 1) != 0)
        return 0;
    p += r + sizeof runs - 1;
    digits = strspn(p, "0123456789");
    return digits > 0 && digits <= 20 && strcmp(p + digits, tail) == 0;
}

int hooks_github_parse(const char *body, size_t len, const char *api_url, hooks_delivery *out, char *why,
                       size_t why_size)
{
    cJSON *doc = cJSON_ParseWithLength(body, len);
    const cJSON *dep = member(doc, "deployment"), *repo = member(doc, "repository");
    const char *action = string_at(doc, "action"), *env = string_at(doc, "environment");
    const char *url = string_at(doc, "deployment_callback_url"), *full = string_at(repo, "full_name");
    const char *sha = string_at(dep, "sha");
    char id[32];
    int rc = HOOKS_PAYLOAD_OK;

    memset(out, 0, sizeof *out);
    if (!cJSON_IsObject(doc))
        rc = bad(why, why_size, "the payload is not a JSON object");
    else if (!action)
        rc = bad(why, why_size, "the payload has no \"action\"");
    else if (strcmp(action, "requested") != 0) {
        snprintf(why, why_size, "action \"%s\": nothing to decide", action);
        rc = HOOKS_PAYLOAD_IGNORED;
    } else if (!env)
        rc = bad(why, why_size, "the payload has no \"environment\"");
    else if (!url)
        rc = bad(why, why_size, "the payload has no \"deployment_callback_url\"");
    else if (!full || !strchr(full, '/'))
        rc = bad(why, why_size, "the payload has no \"repository.full_name\"");
    else if (!cJSON_IsObject(dep) || !hooks_is_sha(sha))
        rc = bad(why, why_size, "the payload's \"deployment.sha\" is not a full commit SHA");
    else if (id_at(dep, "id", id, sizeof id) != 0)
        rc = bad(why, why_size, "the payload's \"deployment.id\" is not a number");
    else if (!hooks_url_beneath(url, api_url) || !callback_of(url, api_url, full)) {
        /* The credential goes only to the API it was issued for: a payload naming another
         * place (a misconfigured API base, or a forged payload under a leaked secret) is
         * not answered at all. */
        snprintf(why, why_size, "the deployment_callback_url is not %s/repos/%s/actions/runs/ID/"
                 "deployment_protection_rule", api_url, full);
        rc = HOOKS_PAYLOAD_ELSEWHERE;
    }
    if (rc == HOOKS_PAYLOAD_OK) {
        const cJSON *owner = member(repo, "owner");
        if (!(out->match = strdup(full)) || !(out->environment = strdup(env)) ||
            !(out->callback_url = strdup(url)) || keep(out, "repository", full) || keep(out, "environment", env) ||
            keep(out, "sha", sha) || keep(out, "ref", string_at(dep, "ref")) ||
            keep(out, "version", hooks_version_of(string_at(dep, "ref"))) || keep(out, "deployment_id", id) ||
            keep(out, "event", string_at(doc, "event")) ||
            keep(out, "owner", string_at(owner, "login")) ||
            keep(out, "sender", string_at(member(doc, "sender"), "login")))
            rc = bad(why, why_size, "out of memory");
    }
    cJSON_Delete(doc);
    if (rc != HOOKS_PAYLOAD_OK)
        hooks_delivery_free(out);
    return rc;
}

/* The full SHA at the end of a commit URL (".../-/commit/SHA"), or NULL. */
static const char *sha_of_commit_url(const char *url)
{
    const char *slash = url ? strrchr(url, '/') : NULL;
    return slash && hooks_is_sha(slash + 1) ? slash + 1 : NULL;
}

int hooks_gitlab_parse(const char *body, size_t len, const char *api_url, hooks_delivery *out, char *why,
                       size_t why_size)
{
    cJSON *doc = cJSON_ParseWithLength(body, len);
    const cJSON *project = member(doc, "project");
    const char *kind = string_at(doc, "object_kind"), *status = string_at(doc, "status");
    const char *env = string_at(doc, "environment"), *path = string_at(project, "path_with_namespace");
    const char *sha = sha_of_commit_url(string_at(doc, "commit_url"));
    char project_id[32], deployment_id[32];
    int rc = HOOKS_PAYLOAD_OK;

    memset(out, 0, sizeof *out);
    if (!cJSON_IsObject(doc))
        rc = bad(why, why_size, "the payload is not a JSON object");
    else if (!kind || strcmp(kind, "deployment") != 0)
        rc = bad(why, why_size, "the payload is not a deployment event (object_kind)");
    else if (!status)
        rc = bad(why, why_size, "the payload has no \"status\"");
    else if (strcmp(status, "blocked") != 0) {
        snprintf(why, why_size, "status \"%s\": not a deployment waiting for approval", status);
        rc = HOOKS_PAYLOAD_IGNORED;
    } else if (!env)
        rc = bad(why, why_size, "the payload has no \"environment\"");
    else if (id_at(doc, "deployment_id", deployment_id, sizeof deployment_id) != 0)
        rc = bad(why, why_size, "the payload's \"deployment_id\" is not a number");
    else if (!cJSON_IsObject(project) || id_at(project, "id", project_id, sizeof project_id) != 0)
        rc = bad(why, why_size, "the payload's \"project.id\" is not a number");
    else if (!path)
        /* GitLab always sends it; without it the project check had nothing to confirm and
         * a path rule was passed over for a catch-all (hostile round 27, F01) */
        rc = bad(why, why_size, "the payload's \"project.path_with_namespace\" is missing");
    else if (!sha)
        rc = bad(why, why_size, "the payload's \"commit_url\" does not end in a full commit SHA");
    if (rc == HOOKS_PAYLOAD_OK) {
        size_t n = strlen(api_url) + strlen(project_id) + strlen(deployment_id) + 48;
        if (!(out->callback_url = malloc(n)) || !(out->match = strdup(path)) ||
            !(out->match_alt = strdup(project_id)) || !(out->environment = strdup(env)) ||
            keep(out, "project", path) || keep(out, "project_id", project_id) ||
            keep(out, "environment", env) || keep(out, "sha", sha) || keep(out, "ref", string_at(doc, "ref")) ||
            keep(out, "version", hooks_version_of(string_at(doc, "ref"))) ||
            keep(out, "deployment_id", deployment_id) ||
            keep(out, "user", string_at(member(doc, "user"), "username")))
            rc = bad(why, why_size, "out of memory");
        else {
            char deployment[1024], project_url[1024];
            snprintf(out->callback_url, n, "%s/projects/%s/deployments/%s/approval", api_url, project_id,
                     deployment_id);
            snprintf(deployment, sizeof deployment, "%s/projects/%s/deployments/%s", api_url, project_id,
                     deployment_id);
            snprintf(project_url, sizeof project_url, "%s/projects/%s", api_url, project_id);
            /* Every value a rule's request may take from the event is GitLab's word: the
             * ref (${ref}, ${version}) and the user (${user}) too (round 27, F02). */
            const char *ref = string_at(doc, "ref"), *user = string_at(member(doc, "user"), "username");
            if (expect(out, deployment, "status", "blocked") || expect(out, deployment, "sha", sha) ||
                expect(out, deployment, "environment.name", env) || (ref && expect(out, deployment, "ref", ref)) ||
                (user && expect(out, deployment, "user.username", user)) ||
                expect(out, project_url, "path_with_namespace", path))
                rc = bad(why, why_size, "out of memory");
        }
    }
    cJSON_Delete(doc);
    if (rc != HOOKS_PAYLOAD_OK)
        hooks_delivery_free(out);
    return rc;
}

char *hooks_github_review(const char *environment, int approved, const char *comment)
{
    cJSON *o = cJSON_CreateObject();
    char *text = NULL;
    if (o && cJSON_AddStringToObject(o, "environment_name", environment) &&
        cJSON_AddStringToObject(o, "state", approved ? "approved" : "rejected") &&
        cJSON_AddStringToObject(o, "comment", comment ? comment : ""))
        text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return text;
}

char *hooks_gitlab_approval(int approved, const char *comment)
{
    cJSON *o = cJSON_CreateObject();
    char *text = NULL;
    if (o && cJSON_AddStringToObject(o, "status", approved ? "approved" : "rejected") &&
        cJSON_AddStringToObject(o, "comment", comment ? comment : ""))
        text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return text;
}
