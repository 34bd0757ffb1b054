/* From a deployment tool's webhook to what the gate needs: which rule, the placeholders'
 * values, and where the answer goes.  Pure functions over the payload's JSON. */
#ifndef HOOKS_PAYLOAD_H
#define HOOKS_PAYLOAD_H

#include <stddef.h>

#include "hooks_config.h"

typedef struct hooks_delivery {
    char *match;          /* the rule key: repository OWNER/NAME, GitLab project path */
    char *match_alt;      /* GitLab: the project's numeric ID (a rule may name either) */
    char *environment;
    char *callback_url;   /* where the decision is posted: beneath the API base */
    char *owned[16];      /* the placeholders' values */
    hooks_vars vars;
    hooks_expect expect[HOOKS_EXPECT_MAX];   /* GitLab: what its API must confirm */
    size_t n_expect;
} hooks_delivery;

void hooks_delivery_free(hooks_delivery *d);

/* What a payload turned out to be. */
enum {
    HOOKS_PAYLOAD_OK = 0,        /* a deployment to decide */
    HOOKS_PAYLOAD_IGNORED = 1,   /* another action or status: nothing to do (WHY says which) */
    HOOKS_PAYLOAD_BAD = -1,      /* not a payload of the kind, or a field missing or malformed */
    HOOKS_PAYLOAD_ELSEWHERE = -2 /* GitHub: a callback URL outside the API base */
};

/* A GitHub deployment_protection_rule payload (action "requested"): repository,
 * environment, the deployment's SHA (40 or 64 hex digits), ref and id, the event, the
 * sender, and deployment_callback_url, which must lie beneath API_URL. */
int hooks_github_parse(const char *body, size_t len, const char *api_url, hooks_delivery *out, char *why,
                       size_t why_size);

/* A GitLab deployment event (object_kind "deployment"); only status "blocked" is a
 * deployment waiting for approval.  The SHA comes from commit_url (the event has only a
 * short one); the approval URL is API_URL/projects/ID/deployments/ID/approval.  OUT's
 * expectations: GitLab's deployment ID of project ID is blocked, of that SHA and
 * environment, and project ID has the event's path. */
int hooks_gitlab_parse(const char *body, size_t len, const char *api_url, hooks_delivery *out, char *why,
                       size_t why_size);

/* The release version a deployment's REF names: REF without "refs/tags/" and a leading 'v'
 * ("refs/tags/v1.4.0" -> "1.4.0"); a pointer into REF, NULL for NULL. */
const char *hooks_version_of(const char *ref);

/* A full commit SHA: 40 (SHA-1) or 64 (SHA-256) hex digits. */
int hooks_is_sha(const char *s);

/* The JSON body of a callback: GitHub's review ({"environment_name", "state", "comment"})
 * or GitLab's approval ({"status", "comment"}).  APPROVED: approved, else rejected. */
char *hooks_github_review(const char *environment, int approved, const char *comment);
char *hooks_gitlab_approval(int approved, const char *comment);

#endif
