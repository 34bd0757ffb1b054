/* Loading the hooks' configuration and filling its request templates.  Strict: a member
 * it does not know, a placeholder no webhook fills, a secret that is empty are refused at
 * start, not discovered when a deployment waits. */
#include "hooks_config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "error.h"
#include "fileio.h"
#include "strbuf.h"

#define MAX_FILE (1u << 20)

/* The placeholders each tool's webhook fills (Argo: "args.NAME", any NAME). */
static const char *const github_vars[] = {"repository", "owner", "environment", "sha", "ref", "version",
                                           "deployment_id", "event", "sender", NULL};
static const char *const gitlab_vars[] = {"project", "project_id", "environment", "sha", "ref", "version",
                                           "deployment_id", "user", NULL};

static int fail(char *why, size_t size, const char *fmt, ...) RG_PRINTF(3, 4);
static int fail(char *why, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, size, fmt, ap);
    va_end(ap);
    return -1;
}

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

/* A path from the configuration: absolute, or relative to the configuration's DIR. */
static char *resolve(const char *dir, const char *path)
{
    rg_strbuf b = {0};
    if (path[0] == '/' || !dir || !*dir)
        return strdup(path);
    rg_strbuf_printf(&b, "%s/%s", dir, path);
    return rg_strbuf_finish(&b);
}

/* The content of a secret or token file without its trailing line break. */
static char *read_secret(const char *path, size_t *len, char *why, size_t size)
{
    rg_error err;
    char *data;
    size_t n;
    rg_error_init(&err);
    if (rg_read_trusted_file(path, "secret", RG_TRUSTED_SECRET, 64 * 1024, &data, &n, &err) != 0) {
        fail(why, size, "%s", err.message);
        rg_error_clear(&err);
        return NULL;
    }
    while (n && (data[n - 1] == '\n' || data[n - 1] == '\r' || data[n - 1] == ' '))
        data[--n] = '\0';
    if (n == 0 || strlen(data) != n) {
        fail(why, size, "%s: %s", path, n ? "holds a NUL byte" : "is empty");
        free(data);
        return NULL;
    }
    if (len)
        *len = n;
    return data;
}

char *hooks_token_read(const hooks_service *service, char *why, size_t why_size)
{
    if (!service->token_file) {
        fail(why, why_size, "no token_file is configured");
        return NULL;
    }
    return read_secret(service->token_file, NULL, why, why_size);
}

/* Every ${NAME} in S is one the tool fills (NAMES; ARGS: "args.X" too). */
static int check_placeholders(const char *s, const char *const *names, int args, char *why, size_t size)
{
    const char *p = s;
    while ((p = strstr(p, "${"))) {
        const char *end = strchr(p, '}');
        size_t len;
        int known = 0;
        if (!end)
            return fail(why, size, "\"%s\": a \"${\" without its \"}\"", s);
        len = (size_t)(end - p - 2);
        for (size_t i = 0; names && names[i]; i++)
            known |= strlen(names[i]) == len && !strncmp(p + 2, names[i], len);
        if (args && len > 5 && !strncmp(p + 2, "args.", 5) &&
            strspn(p + 7, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") == len - 5)
            known = 1;
        if (!known)
            return fail(why, size, "unknown placeholder \"%.*s\" in \"%s\"", (int)(len + 3), p, s);
        p = end + 1;
    }
    return 0;
}

static int check_template(const cJSON *node, const char *const *names, int args, char *why, size_t size)
{
    const cJSON *child;
    if (cJSON_IsString(node))
        return check_placeholders(node->valuestring, names, args, why, size);
    cJSON_ArrayForEach(child, node)
        if (check_template(child, names, args, why, size) != 0)
            return -1;
    return 0;
}

/* Whether OBJ has only members among KEYS; else WHY names the first other one. */
static int only_members(const cJSON *obj, const char *where, const char *const *keys, char *why, size_t size)
{
    const cJSON *m;
    cJSON_ArrayForEach(m, obj) {
        int known = 0;
        for (size_t i = 0; keys[i]; i++)
            known |= !strcmp(m->string, keys[i]);
        if (!known)
            return fail(why, size, "%s: unknown member \"%s\"", where, m->string);
    }
    return 0;
}

static const char *get_string(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* https://, or http:// to a loopback address only (a test server): a credential never
 * crosses a network in clear. */
static int api_url_ok(const char *url)
{
    static const char *const loopback[] = {"http://127.0.0.1:", "http://127.0.0.1/", "http://localhost:",
                                           "http://localhost/", "http://[::1]:", "http://[::1]/", NULL};
    if (!strncmp(url, "https://", 8))
        return url[8] != '\0' && !strchr(url + 8, '@');
    for (size_t i = 0; loopback[i]; i++)
        if (!strncmp(url, loopback[i], strlen(loopback[i])) || !strcmp(url, loopback[i]))
            return !strchr(url, '@');
    /* "http://127.0.0.1" without a port or path */
    return !strcmp(url, "http://127.0.0.1") || !strcmp(url, "http://localhost") || !strcmp(url, "http://[::1]");
}

static int load_service(hooks_service *svc, const cJSON *obj, const char *name, const char *dir,
                        const char *const *names, char *why, size_t size)
{
    static const char *const github_keys[] = {"webhook_secret_file", "token_file", "api_url", "rules", NULL};
    static const char *const gitlab_keys[] = {"webhook_token_file", "token_file", "api_url", "rules", NULL};
    static const char *const argo_keys[] = {"rules", NULL};
    int is_github = !strcmp(name, "github"), is_argo = !strcmp(name, "argo");
    const char *secret_key = is_github ? "webhook_secret_file" : "webhook_token_file";
    const char *match_key = is_github ? "repository" : is_argo ? "name" : "project";
    const char *env_var = is_github ? "GITHUB_API_URL" : "CI_API_V4_URL";
    const char *const rule_keys[] = {match_key, "request", is_argo ? NULL : "environment", NULL};
    const char *default_api = is_github ? "https://api.github.com" : "https://gitlab.com/api/v4";
    const cJSON *rules, *rule;
    const char *s;

    if (!cJSON_IsObject(obj))
        return fail(why, size, "\"%s\" must be an object", name);
    if (only_members(obj, name, is_github ? github_keys : is_argo ? argo_keys : gitlab_keys, why, size) != 0)
        return -1;
    svc->enabled = 1;
    if (!is_argo) {
        /* The API base: the configuration's, else the CI's own variable (as the ci
         * plugin's live evidence reads it), else the public service. */
        s = get_string(obj, "api_url");
        if (!s)
            s = getenv(env_var);
        if (!s || !*s)
            s = default_api;
        if (!api_url_ok(s))
            return fail(why, size, "%s.api_url \"%s\": https:// only (http:// to a loopback address)", name, s);
        svc->api_url = strdup(s);
        if (svc->api_url)
            while (*svc->api_url && svc->api_url[strlen(svc->api_url) - 1] == '/')
                svc->api_url[strlen(svc->api_url) - 1] = '\0';
        if (!(s = get_string(obj, secret_key)))
            return fail(why, size, "%s.%s is required: the hook refuses unauthenticated deliveries", name, secret_key);
        if (!(svc->secret_file = resolve(dir, s)))
            return fail(why, size, "out of memory");
        if (!(svc->secret = read_secret(svc->secret_file, &svc->secret_len, why, size)))
            return -1;
        if (!(s = get_string(obj, "token_file")))
            return fail(why, size, "%s.token_file is required: the credential the decision is posted with", name);
        svc->token_file = resolve(dir, s);
    }
    rules = cJSON_GetObjectItemCaseSensitive(obj, "rules");
    if (!cJSON_IsArray(rules) || !cJSON_GetArraySize(rules))
        return fail(why, size, "%s.rules must be a non-empty array", name);
    svc->rules = calloc((size_t)cJSON_GetArraySize(rules), sizeof *svc->rules);
    if (!svc->rules || (!is_argo && !svc->api_url) || (!is_argo && !svc->token_file))
        return fail(why, size, "out of memory");
    cJSON_ArrayForEach(rule, rules) {
        hooks_rule *r = &svc->rules[svc->n_rules];
        const cJSON *request = cJSON_GetObjectItemCaseSensitive(rule, "request");
        const char *match = get_string(rule, match_key), *env = get_string(rule, "environment");
        const cJSON *project = cJSON_GetObjectItemCaseSensitive(rule, "project");
        char where[64], num[32];
        snprintf(where, sizeof where, "%s.rules[%zu]", name, svc->n_rules);
        if (!cJSON_IsObject(rule))
            return fail(why, size, "%s must be an object", where);
        if (only_members(rule, where, rule_keys, why, size) != 0)
            return -1;
        if (!match && !is_argo && !is_github && cJSON_IsNumber(project)) {
            snprintf(num, sizeof num, "%.0f", project->valuedouble);   /* a project ID */
            match = num;
        }
        if (!match || !*match)
            return fail(why, size, "%s.%s is required (\"*\": any)", where, match_key);
        if (!cJSON_IsObject(request))
            return fail(why, size, "%s.request must be an object: a POST /v1/decisions body", where);
        if (check_template(request, is_argo ? NULL : names, is_argo, why, size) != 0) {
            char inner[512];
            snprintf(inner, sizeof inner, "%s", why);
            return fail(why, size, "%s.request: %s", where, inner);
        }
        r->match = strdup(match);
        r->environment = dup_or_null(env);
        r->request = cJSON_Duplicate(request, 1);
        svc->n_rules++;
        if (!r->match || (env && !r->environment) || !r->request)
            return fail(why, size, "out of memory");
    }
    return 0;
}

static int number_member(const cJSON *obj, const char *key, double lo, double hi, double *out, char *why,
                         size_t size)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!v)
        return 0;
    if (!cJSON_IsNumber(v) || v->valuedouble < lo || v->valuedouble > hi)
        return fail(why, size, "callbacks.%s must be a number from %g to %g", key, lo, hi);
    *out = v->valuedouble;
    return 0;
}

hooks_config *hooks_config_parse(const char *text, const char *dir, char *why, size_t why_size)
{
    static const char *const top_keys[] = {"github", "gitlab", "argo", "callbacks", NULL};
    static const char *const callback_keys[] = {"attempts", "timeout", "backoff", "queue", "workers", NULL};
    cJSON *doc = cJSON_Parse(text);
    hooks_config *c = calloc(1, sizeof *c);
    const cJSON *obj;
    double attempts = 5, timeout = 10, backoff = 1, queue = 64, workers = 2;
    int ok = 0;

    if (!c) {
        fail(why, why_size, "out of memory");
    } else if (!cJSON_IsObject(doc)) {
        fail(why, why_size, "not a JSON object");
    } else if (only_members(doc, "the configuration", top_keys, why, why_size) == 0) {
        ok = 1;
        c->github.fold_case = 1;
        if (ok && (obj = cJSON_GetObjectItemCaseSensitive(doc, "github")))
            ok = load_service(&c->github, obj, "github", dir, github_vars, why, why_size) == 0;
        if (ok && (obj = cJSON_GetObjectItemCaseSensitive(doc, "gitlab")))
            ok = load_service(&c->gitlab, obj, "gitlab", dir, gitlab_vars, why, why_size) == 0;
        if (ok && (obj = cJSON_GetObjectItemCaseSensitive(doc, "argo")))
            ok = load_service(&c->argo, obj, "argo", dir, NULL, why, why_size) == 0;
        if (ok && (obj = cJSON_GetObjectItemCaseSensitive(doc, "callbacks"))) {
            ok = cJSON_IsObject(obj) ? only_members(obj, "callbacks", callback_keys, why, why_size) == 0
                                     : fail(why, why_size, "\"callbacks\" must be an object") == 0;
            ok = ok && number_member(obj, "attempts", 1, 10, &attempts, why, why_size) == 0 &&
                 number_member(obj, "timeout", 0.1, 120, &timeout, why, why_size) == 0 &&
                 number_member(obj, "backoff", 0, 60, &backoff, why, why_size) == 0 &&
                 number_member(obj, "queue", 1, 10000, &queue, why, why_size) == 0 &&
                 number_member(obj, "workers", 1, 32, &workers, why, why_size) == 0;
        }
        if (ok && !c->github.enabled && !c->gitlab.enabled && !c->argo.enabled)
            ok = fail(why, why_size, "configures none of github, gitlab, argo") == 0;
    }
    cJSON_Delete(doc);
    if (!ok) {
        hooks_config_free(c);
        return NULL;
    }
    c->attempts = (int)attempts;
    c->timeout = timeout;
    c->backoff = backoff;
    c->queue = (int)queue;
    c->workers = (int)workers;
    return c;
}

hooks_config *hooks_config_load(const char *path, char *why, size_t why_size)
{
    rg_error err;
    char *text, dir[4096], inner[512];
    size_t len;
    hooks_config *c;
    rg_error_init(&err);
    if (rg_read_trusted_file(path, "hooks configuration", 0, MAX_FILE, &text, &len, &err) != 0) {
        fail(why, why_size, "%s", err.message);
        rg_error_clear(&err);
        return NULL;
    }
    rg_path_dir(path, dir, sizeof dir);
    c = hooks_config_parse(text, dir, inner, sizeof inner);
    if (!c)
        fail(why, why_size, "%s: %s", path, inner);
    free(text);
    return c;
}

static void free_service(hooks_service *s)
{
    for (size_t i = 0; i < s->n_rules; i++) {
        free(s->rules[i].match);
        free(s->rules[i].environment);
        cJSON_Delete(s->rules[i].request);
    }
    free(s->rules);
    free(s->api_url);
    if (s->secret) {
        memset(s->secret, 0, s->secret_len);
        free(s->secret);
    }
    free(s->secret_file);
    free(s->token_file);
}

void hooks_config_free(hooks_config *config)
{
    if (!config)
        return;
    free_service(&config->github);
    free_service(&config->gitlab);
    free_service(&config->argo);
    free(config);
}

/* Whether NAME (may be NULL) is the rule's WANT ("*": any name). */
static int names(const hooks_service *service, const char *want, const char *name)
{
    if (strcmp(want, "*") == 0)
        return 1;
    if (!name)
        return 0;
    return service->fold_case ? strcasecmp(want, name) == 0 : strcmp(want, name) == 0;
}

/* The first rule naming MATCH and ENVIRONMENT.  On GitHub "Production" is the
 * environment "production": compared exactly, a rule written for one would miss the
 * other, and a catch-all rule after it (a laxer request) would judge the deployment. */
const hooks_rule *hooks_rule_find(const hooks_service *service, const char *match, const char *match_alt,
                                  const char *environment)
{
    for (size_t i = 0; i < service->n_rules; i++) {
        const hooks_rule *r = &service->rules[i];
        if (!names(service, r->match, match) && !(match_alt && names(service, r->match, match_alt)))
            continue;
        if (r->environment && !names(service, r->environment, environment))
            continue;
        return r;
    }
    return NULL;
}

void hooks_vars_set(hooks_vars *vars, const char *name, const char *value)
{
    if (vars->n < sizeof vars->names / sizeof vars->names[0] && value) {
        vars->names[vars->n] = name;
        vars->values[vars->n++] = value;
    }
}

static const char *var_value(const hooks_vars *vars, const char *name, size_t len)
{
    char arg[128];
    for (size_t i = 0; i < vars->n; i++)
        if (strlen(vars->names[i]) == len && !strncmp(vars->names[i], name, len))
            return vars->values[i];
    if (vars->arg && len > 5 && len - 5 < sizeof arg && !strncmp(name, "args.", 5)) {
        memcpy(arg, name + 5, len - 5);
        arg[len - 5] = '\0';
        return vars->arg(vars->arg_data, arg);
    }
    return NULL;
}

/* Fill the placeholders of every string under NODE; -1 with WHY for a missing value. */
static int fill(cJSON *node, const hooks_vars *vars, char *why, size_t size)
{
    cJSON *child;
    if (cJSON_IsString(node) && strstr(node->valuestring, "${")) {
        rg_strbuf b = {0};
        const char *p = node->valuestring, *open;
        while ((open = strstr(p, "${"))) {
            const char *end = strchr(open, '}'), *value;
            if (!end || !(value = var_value(vars, open + 2, (size_t)(end - open - 2)))) {
                free(b.data);
                return fail(why, size, "no value for the placeholder \"%.*s\"", end ? (int)(end - open + 1) : 2,
                            open);
            }
            rg_strbuf_add(&b, p, (size_t)(open - p));
            rg_strbuf_puts(&b, value);
            p = end + 1;
        }
        rg_strbuf_puts(&b, p);
        if (b.failed || !cJSON_SetValuestring(node, b.data)) {
            free(b.data);
            return fail(why, size, "out of memory");
        }
        free(b.data);
        return 0;
    }
    cJSON_ArrayForEach(child, node)
        if (fill(child, vars, why, size) != 0)
            return -1;
    return 0;
}

char *hooks_request_build(const hooks_rule *rule, const hooks_vars *vars, char *why, size_t why_size)
{
    cJSON *request = cJSON_Duplicate(rule->request, 1);
    char *text = NULL;
    if (!request)
        fail(why, why_size, "out of memory");
    else if (fill(request, vars, why, why_size) == 0 && !(text = cJSON_PrintUnformatted(request)))
        fail(why, why_size, "out of memory");
    cJSON_Delete(request);
    return text;
}

int hooks_url_beneath(const char *url, const char *base)
{
    size_t n = strlen(base);
    const char *path, *p;
    if (!url || !n || strncmp(url, base, n) != 0 || url[n] != '/')
        return 0;
    path = url + n;
    if (strspn(path, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~/") != strlen(path))
        return 0;
    /* Segment by segment: none empty ("//"), "." or "..". */
    for (p = path; *p == '/'; ) {
        const char *seg = p + 1, *next = strchr(seg, '/');
        size_t len = next ? (size_t)(next - seg) : strlen(seg);
        if (len == 0 || (len == 1 && seg[0] == '.') || (len == 2 && seg[0] == '.' && seg[1] == '.'))
            return 0;
        if (!next)
            break;
        p = next;
    }
    return 1;
}
