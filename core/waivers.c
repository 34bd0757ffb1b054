/* Waivers: exceptions for one waivable requirement of one release, approved by
 * someone other than its author, until they expire.  Every waiver given is judged and
 * reported; only a valid one turns a failure into "waived". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "context.h"
#include "decision.h"
#include "error.h"
#include "identity.h"
#include "json.h"
#include "rfc3339.h"
#include "semver.h"
#include "waivers.h"

static const char *const FIELDS[] = {"requirement", "reason", "approver", "ticket", "expires"};
/* What narrows a waiver: each, when given, must match or the waiver does not apply. */
static const char *const SCOPE_FIELDS[] = {"release", "version", "environment", "stage", "findings"};

const char *rg_waiver_unknown_field(const cJSON *w)
{
    const cJSON *item;
    cJSON_ArrayForEach(item, w) {
        int known = 0;
        for (size_t i = 0; i < sizeof FIELDS / sizeof FIELDS[0] && !known; i++)
            known = strcmp(item->string, FIELDS[i]) == 0;
        for (size_t i = 0; i < sizeof SCOPE_FIELDS / sizeof SCOPE_FIELDS[0] && !known; i++)
            known = strcmp(item->string, SCOPE_FIELDS[i]) == 0;
        if (!known)
            return item->string;
    }
    return NULL;
}

/* The approval of USER with ROLE in the context, state approved; NULL when none. */
static const cJSON *approval_with_role(const rg_context *ctx, const char *user, const char *role)
{
    const cJSON *a;
    cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(ctx->root, "approvals")) {
        const char *u = rg_json_string(a, "user"), *r = rg_json_string(a, "role"),
                   *st = rg_json_string(a, "state");
        if (u && r && st && strcmp(u, user) == 0 && strcmp(r, role) == 0 && strcmp(st, "approved") == 0)
            return a;
    }
    return NULL;
}

/* Separation of duties: non-zero when APPROVER is someone other than AUTHOR, compared
 * as normalised identities (identity.h: "Bob", "bob " and "@bob" are all bob).  When it
 * cannot be told (no author, an author or approver that is no identity), the waiver
 * does not apply: MSG says why. */
static int approver_is_not_author(const char *author, const char *approver, char *msg, size_t size)
{
    int same;
    if (!author) {
        snprintf(msg, size, "the release has no author (release.author is missing or not a string): "
                            "nobody can tell that %s is someone else", approver);
        return 0;
    }
    same = rg_identity_same(author, approver);
    if (same == 0)
        return 1;
    if (same > 0 && strcmp(author, approver) == 0)
        snprintf(msg, size, "approved by %s, the release's own author: a waiver needs someone else", approver);
    else if (same > 0)
        snprintf(msg, size, "approved by %s, the release's own author (release.author is %s): a waiver needs "
                            "someone else", approver, author);
    else
        snprintf(msg, size, "release.author '%s' or approver '%s' names nobody (blank or not text): "
                            "nobody can tell that the approver is someone else", author, approver);
    return 0;
}

/* Why waiver W is malformed, or NULL when every field is there and well-typed. */
static const char *malformed(const cJSON *w, int64_t *expires, char *why, size_t size)
{
    const char *text, *reason = NULL;
    if (!cJSON_IsObject(w))
        return "a waiver must be an object";
    for (size_t i = 0; i < sizeof FIELDS / sizeof FIELDS[0]; i++) {
        text = rg_json_string(w, FIELDS[i]);
        if (!text || !*text) {
            snprintf(why, size, "%s is missing or not a non-empty string", FIELDS[i]);
            return why;
        }
    }
    if ((text = rg_waiver_unknown_field(w)) != NULL) {
        /* The context refuses these already; a caller that did not is still safe. */
        snprintf(why, size, "unknown field '%s' (a waiver narrows only by release, version, environment, stage and findings)", text);
        return why;
    }
    if (cJSON_GetObjectItemCaseSensitive(w, "release") && !(text = rg_json_string(w, "release"), text && *text))
        return "release must be a non-empty string: the release name the waiver is for";
    if (cJSON_GetObjectItemCaseSensitive(w, "environment") && !(text = rg_json_string(w, "environment"), text && *text))
        return "environment must be a non-empty string: the environment the waiver is for (release.environment)";
    if (cJSON_GetObjectItemCaseSensitive(w, "version")) {
        rg_semver zero = {0};
        text = rg_json_string(w, "version");
        if (!text || rg_semver_satisfies(&zero, text, &reason) < 0) {
            snprintf(why, size, "version '%s' is not a SemVer range (like \">=2.4.0 <2.5.0\" or \"2.4.1\"): %s",
                     text ? text : "(not a string)", text ? reason : "expected a string");
            return why;
        }
    }
    if (cJSON_GetObjectItemCaseSensitive(w, "stage") && !rg_stage_parse(rg_json_string(w, "stage")))
        return "stage must be pre-release, deploy or post-deploy";
    if (cJSON_GetObjectItemCaseSensitive(w, "findings")) {
        const cJSON *f, *list = cJSON_GetObjectItemCaseSensitive(w, "findings");
        int n = 0;
        cJSON_ArrayForEach(f, list) {
            if (!cJSON_IsString(f) || !f->valuestring[0])
                return "findings must be a non-empty list of finding ids (strings)";
            n++;
        }
        if (!cJSON_IsArray(list) || n == 0)
            return "findings must be a non-empty list of finding ids (strings)";
    }
    text = rg_json_string(w, "expires");
    if (rg_rfc3339_parse(text, expires, &reason) != 0) {
        snprintf(why, size, "expires '%s' is not an RFC 3339 time: %s", text, reason);
        return why;
    }
    {
        size_t n = strlen(text);
        if (!(text[n - 1] == 'Z' || text[n - 1] == 'z' || (n > 6 && strcmp(text + n - 6, "+00:00") == 0))) {
            snprintf(why, size, "expires '%s' is not in UTC (end it with Z)", text);
            return why;
        }
    }
    return NULL;
}

/* One reported waiver: what it says, and what became of it. */
static cJSON *report(const cJSON *w, const char *source, const char *status, const char *message)
{
    cJSON *o = cJSON_CreateObject();
    const char *req = cJSON_IsObject(w) ? rg_json_string(w, "requirement") : NULL;
    if (req) cJSON_AddStringToObject(o, "requirement", req);
    else cJSON_AddNullToObject(o, "requirement");
    cJSON_AddStringToObject(o, "status", status);
    cJSON_AddStringToObject(o, "message", message);
    cJSON_AddStringToObject(o, "source", source);
    if (cJSON_IsObject(w))
        cJSON_AddItemToObject(o, "waiver", cJSON_Duplicate(w, 1));
    return o;
}

/* Is the waiver for this release, version, environment and stage?  0 with MSG saying
 * which differs.  A waiver for an environment needs the release to name one: an
 * exception granted for staging is none for a release that does not say where it goes. */
static int in_scope(const cJSON *w, const rg_decision *d, char *msg, size_t size)
{
    const char *release = rg_json_string(w, "release"), *range = rg_json_string(w, "version"),
               *stage = rg_json_string(w, "stage"), *environment = rg_json_string(w, "environment"), *why = NULL;
    rg_semver v;
    if (release && (!d->release_name || strcmp(release, d->release_name) != 0)) {
        snprintf(msg, size, "the waiver is for release %s, not %s", release, d->release_name ? d->release_name : "(unnamed)");
        return 0;
    }
    if (range && (!d->release_version || rg_semver_parse(d->release_version, &v, NULL) != 0 ||
                  rg_semver_satisfies(&v, range, &why) != 1)) {
        snprintf(msg, size, "the waiver is for versions %s, not %s", range, d->release_version ? d->release_version : "(none)");
        return 0;
    }
    if (environment && (!d->release_environment || strcmp(environment, d->release_environment) != 0)) {
        snprintf(msg, size, "the waiver is for environment %s, not %s", environment,
                 d->release_environment ? d->release_environment : "a release that names none (release.environment)");
        return 0;
    }
    if (stage && rg_stage_parse(stage) != d->stage) {
        snprintf(msg, size, "the waiver is for the %s stage, not %s", stage, rg_stage_name(d->stage));
        return 0;
    }
    return 1;
}

/* A waiver with findings covers only those: the check must list every finding it failed
 * on (details.failed_findings, a complete list of ids), and each must be among the
 * waiver's.  0 with MSG when it does not (an unlisted one still fails the gate). */
static int covers_findings(const cJSON *w, const rg_result *res, char *msg, size_t size)
{
    const cJSON *waived = cJSON_GetObjectItemCaseSensitive(w, "findings"), *failed, *f, *g;
    if (!waived)
        return 1;
    failed = cJSON_GetObjectItemCaseSensitive(res->details, "failed_findings");
    if (!cJSON_IsArray(failed) || cJSON_GetArraySize(failed) == 0) {
        snprintf(msg, size, "the waiver covers findings, but the check does not list the findings it failed on "
                            "(details.failed_findings): it cannot tell that they are all covered");
        return 0;
    }
    cJSON_ArrayForEach(f, failed) {
        int covered = 0;
        cJSON_ArrayForEach(g, waived)
            covered |= cJSON_IsString(f) && strcmp(f->valuestring, g->valuestring) == 0;
        if (!covered) {
            snprintf(msg, size, "the check also failed on %s, which the waiver does not cover",
                     cJSON_IsString(f) ? f->valuestring : "a finding without an id");
            return 0;
        }
    }
    return 1;
}

void rg_waivers_apply(rg_decision *d, const rg_policy *pol, const rg_context *ctx)
{
    const cJSON *w;
    const char *author = rg_json_string(cJSON_GetObjectItemCaseSensitive(ctx->root, "release"), "author");
    /* release.author present but not a string is no author either: rg_json_string says NULL. */
    int index = 0;

    cJSON_ArrayForEach(w, ctx->waivers) {
        char why[512], msg[768];
        const char *problem, *req_id;
        const rg_requirement *req;
        rg_result *res;
        int64_t expires = 0;
        const char *source = cJSON_GetStringValue(cJSON_GetArrayItem(ctx->waiver_sources, index++));
        if (!source)
            source = "waivers";
        if ((problem = malformed(w, &expires, why, sizeof why)) != NULL) {
            cJSON_AddItemToArray(d->waivers, report(w, source, "malformed", problem));
            continue;
        }
        req_id = rg_json_string(w, "requirement");
        req = rg_policy_find(pol, req_id);
        res = rg_decision_find(d, req_id);
        if (!req) {
            snprintf(msg, sizeof msg, "the policy has no requirement '%s'", req_id);
            cJSON_AddItemToArray(d->waivers, report(w, source, "misapplied", msg));
        } else if (req->level != RG_LEVEL_WAIVABLE) {
            snprintf(msg, sizeof msg, "requirement '%s' is %s: only waivable requirements can be waived", req_id,
                     rg_level_name(req->level));
            cJSON_AddItemToArray(d->waivers, report(w, source, "misapplied", msg));
        } else if (expires <= d->evaluated_at) {
            snprintf(msg, sizeof msg, "expired at %s", rg_json_string(w, "expires"));
            cJSON_AddItemToArray(d->waivers, report(w, source, "expired", msg));
        } else if (pol->max_waiver_days > 0 && (double)(expires - d->evaluated_at) > pol->max_waiver_days * 86400.0) {
            snprintf(msg, sizeof msg, "expires %s, more than the %g days the policy allows a waiver to run from now",
                     rg_json_string(w, "expires"), pol->max_waiver_days);
            cJSON_AddItemToArray(d->waivers, report(w, source, "too-long", msg));
        } else if (!in_scope(w, d, msg, sizeof msg)) {
            cJSON_AddItemToArray(d->waivers, report(w, source, "out-of-scope", msg));
        } else if (!approver_is_not_author(author, rg_json_string(w, "approver"), msg, sizeof msg)) {
            cJSON_AddItemToArray(d->waivers, report(w, source, "self-approved", msg));
        } else if (req->waiver_role && !approval_with_role(ctx, rg_json_string(w, "approver"), req->waiver_role)) {
            snprintf(msg, sizeof msg, "requirement '%s' needs a waiver approved by someone with the role %s, and %s "
                     "has no approval with that role", req_id, req->waiver_role, rg_json_string(w, "approver"));
            cJSON_AddItemToArray(d->waivers, report(w, source, "unauthorized", msg));
        } else if (!res) {
            snprintf(msg, sizeof msg, "requirement '%s' does not apply to this release and stage", req_id);
            cJSON_AddItemToArray(d->waivers, report(w, source, "unused", msg));
        } else if (res->status == RG_STATUS_WAIVED) {
            snprintf(msg, sizeof msg, "requirement '%s' is already waived by an earlier waiver", req_id);
            cJSON_AddItemToArray(d->waivers, report(w, source, "unused", msg));
        } else if (res->status != RG_STATUS_FAIL) {
            snprintf(msg, sizeof msg, "requirement '%s' did not fail (%s): nothing to waive%s", req_id,
                     rg_status_name(res->status),
                     res->status == RG_STATUS_ERROR ? " — an error is never waived" : "");
            cJSON_AddItemToArray(d->waivers, report(w, source, "unused", msg));
        } else if (!covers_findings(w, res, msg, sizeof msg)) {
            cJSON_AddItemToArray(d->waivers, report(w, source, "out-of-scope", msg));
        } else {
            char *message;
            const char *said = res->message ? res->message : "";
            size_t n = strlen(said) + strlen(rg_json_string(w, "approver")) + strlen(rg_json_string(w, "ticket")) + 96;
            snprintf(msg, sizeof msg, "waives requirement '%s' until %s", req_id, rg_json_string(w, "expires"));
            cJSON_AddItemToArray(d->waivers, report(w, source, "applied", msg));
            res->status = RG_STATUS_WAIVED;
            rg_result_own_details(res);
            cJSON_DeleteItemFromObjectCaseSensitive(res->details, "waiver");
            cJSON_AddItemToObject(res->details, "waiver", cJSON_Duplicate(w, 1));
            if ((message = malloc(n)) != NULL) {
                snprintf(message, n, "waived by %s (%s) until %s; the check said: %s", rg_json_string(w, "approver"),
                         rg_json_string(w, "ticket"), rg_json_string(w, "expires"), said);
                free(res->message);
                res->message = message;
            }
        }
    }
}
