/* The deployment hooks' configuration (relgate serve --hooks FILE, docs/integrations.md):
 * for each tool, its credentials and rules that turn a deployment into a POST
 * /v1/decisions request — a template with ${placeholders} the webhook fills in. */
#ifndef HOOKS_CONFIG_H
#define HOOKS_CONFIG_H

#include <cjson/cJSON.h>
#include <stddef.h>

typedef struct hooks_rule {
    char *match;          /* repository OWNER/NAME, project path or ID, Argo rule name; "*": any */
    char *environment;    /* NULL: any */
    cJSON *request;       /* the POST /v1/decisions body, placeholders unfilled */
} hooks_rule;

typedef struct hooks_service {
    int enabled;
    char *api_url;        /* no trailing '/': callbacks go only beneath it */
    char *secret;         /* GitHub: the webhook secret; GitLab: the webhook token */
    size_t secret_len;
    char *secret_file;    /* where the secret was read from (serve --port-file is held to it) */
    char *token_file;     /* the API credential, read at each callback (rotated tokens) */
    hooks_rule *rules;
    size_t n_rules;
    int fold_case;        /* names match whatever their case (GitHub: repositories and
                           * environments are one whatever the case they are written in) */
} hooks_service;

/* What the tool's own API must say of a deployment before it is decided: a GitLab
 * event is authenticated by one token every project's maintainers hold, so its project,
 * commit and environment are the tool's word only once the API says so (hostile round
 * 26, F01). */
typedef struct hooks_expect {
    char *url;            /* GET, beneath the API base, with the approver's credential */
    const char *field;    /* static: a dotted path to a string in the answer */
    char *value;
} hooks_expect;

#define HOOKS_EXPECT_MAX 6

typedef struct hooks_config {
    hooks_service github, gitlab, argo;
    int attempts;         /* callback attempts, 1..10 (default 5) */
    double timeout;       /* seconds per attempt (default 10) */
    double backoff;       /* seconds before the second attempt, doubling (default 1) */
    int queue;            /* deployments waiting for evaluation at most (default 64) */
    int workers;          /* threads evaluating and calling back (default 2) */
} hooks_config;

/* Read the configuration at PATH (files it names resolve beside it).  Unknown members,
 * unknown placeholders, an empty secret, an API URL that is not https (but for a
 * loopback address) are errors.  Returns the configuration or NULL with WHY. */
hooks_config *hooks_config_load(const char *path, char *why, size_t why_size);
void hooks_config_free(hooks_config *config);

/* The same from TEXT (DIR: where relative file names resolve); for the tests. */
hooks_config *hooks_config_parse(const char *text, const char *dir, char *why, size_t why_size);

/* The first rule of SERVICE, in the configuration's order, naming MATCH or MATCH_ALT
 * (GitLab's project path and numeric ID: a rule may name either; NULL: none) and
 * ENVIRONMENT (NULL: any), or NULL.  Rule by rule: an ID rule before a catch-all judges
 * its project (hostile round 26, F02). */
const hooks_rule *hooks_rule_find(const hooks_service *service, const char *match, const char *match_alt,
                                  const char *environment);

/* Values for a template's placeholders: NAMES[i] is "${NAMES[i]}". */
typedef struct hooks_vars {
    const char *names[16];
    const char *values[16];
    size_t n;
    /* Argo: the value of "args.NAME" (NAME without "args."), or NULL; may be NULL. */
    const char *(*arg)(void *data, const char *name);
    void *arg_data;
} hooks_vars;

void hooks_vars_set(hooks_vars *vars, const char *name, const char *value);

/* RULE's request with every placeholder filled from VARS (as JSON text; free it), or
 * NULL with WHY naming a placeholder VARS lacks. */
char *hooks_request_build(const hooks_rule *rule, const hooks_vars *vars, char *why, size_t why_size);

/* The credential in SERVICE's token file, trimmed (free it), or NULL with WHY. */
char *hooks_token_read(const hooks_service *service, char *why, size_t why_size);

/* Non-zero when URL lies beneath BASE: BASE itself followed by '/' and a path of
 * unreserved characters only — no "..", "//", '%', '?', '#', '@' or '\' that another
 * parser might read as another place.  The one rule for where a credential may go. */
int hooks_url_beneath(const char *url, const char *base);

#endif
