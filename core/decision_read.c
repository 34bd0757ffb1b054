/* Reading a decision back from its JSON (relgate.h rg_decision_parse): what `relgate
 * render` renders, so a pipeline evaluates once and renders as often as it likes.  The
 * file is untrusted: every field the renderers use is checked, and the verdict it states
 * must be the one its requirements give (rg_decision_conclude), so a hand-edited
 * "allow" over a failed mandatory requirement is refused rather than rendered. */
#include <stdlib.h>
#include <string.h>

#include "decision.h"
#include "json.h"
#include "rfc3339.h"

#define MAX_DECISION_DEPTH 64

static const char *str(const cJSON *obj, const char *key)
{
    return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(obj, key));
}

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

static int enum_index(const char *s, const char *const *names, int count)
{
    for (int i = 0; s && i < count; i++)
        if (strcmp(s, names[i]) == 0)
            return i;
    return -1;
}

/* The error an error decision records, into ERR. */
static void recorded_error(const cJSON *root, const char *display, rg_error *err)
{
    static const char *const kinds[] = {"none", "usage", "io", "context", "policy", "limit",
                                        "evidence", "internal", "plugin"};
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(root, "error");
    const cJSON *line = cJSON_GetObjectItemCaseSensitive(e, "line");
    const cJSON *problems = cJSON_GetObjectItemCaseSensitive(e, "problems"), *p;
    int kind = enum_index(str(e, "kind"), kinds, (int)(sizeof kinds / sizeof kinds[0]));
    const char *message = str(e, "message");
    rg_fail(err, kind > 0 ? (rg_error_kind)kind : RG_ERROR_INTERNAL, str(e, "file"),
            cJSON_IsNumber(line) && line->valuedouble > 0 && line->valuedouble < 1e9 ? (int)line->valuedouble : 0, 0,
            "%s", message ? message : "");
    if (!message)
        rg_fail(err, RG_ERROR_INTERNAL, display, 0, 0, "%s: an error decision without an error message", display);
    /* The first problem is the message; the others follow it. */
    if (cJSON_IsArray(problems) && err->problem_count == 0) {
        rg_strlcpy(err->problems[0], err->message, sizeof err->problems[0]);
        err->problem_count = 1;
    }
    cJSON_ArrayForEach(p, problems) {
        if (p != problems->child && cJSON_IsString(p) && err->problem_count < RG_ERROR_PROBLEMS_MAX)
            rg_strlcpy(err->problems[err->problem_count++], p->valuestring, sizeof err->problems[0]);
    }
}

/* Size of the text block the results' fixed strings need. */
static size_t text_size(const cJSON *reqs)
{
    const cJSON *r;
    size_t n = 1;
    cJSON_ArrayForEach(r, reqs) {
        static const char *const keys[] = {"id", "title", "hint", "check", "source", "defined_at"};
        const cJSON *plugin = cJSON_GetObjectItemCaseSensitive(r, "plugin");
        for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++)
            n += (str(r, keys[k]) ? strlen(str(r, keys[k])) : 0) + 1;
        n += (str(plugin, "name") ? strlen(str(plugin, "name")) : 0) + 1;
        n += (str(plugin, "version") ? strlen(str(plugin, "version")) : 0) + 1;
        n += (str(plugin, "digest") ? strlen(str(plugin, "digest")) : 0) + 1;
    }
    return n;
}

static const char *text_copy(char **at, const char *s)
{
    size_t n;
    char *copy;
    if (!s)
        return NULL;
    n = strlen(s) + 1;
    copy = memcpy(*at, s, n);
    *at += n;
    return copy;
}

static int take_results(rg_decision *d, const cJSON *reqs, const char *display, rg_error *err)
{
    static const char *const levels[] = {"mandatory", "waivable", "advisory"};
    static const char *const statuses[] = {"pass", "fail", "warn", "waived", "error", "skip"};
    const cJSON *r;
    char *text;
    size_t n = (size_t)cJSON_GetArraySize(reqs), i = 0;
    d->results = calloc(n ? n : 1, sizeof *d->results);
    text = d->text = malloc(text_size(reqs));
    if (!d->results || !text)
        return rg_fail(err, RG_ERROR_INTERNAL, display, 0, 0, "out of memory reading %s", display);
    cJSON_ArrayForEach(r, reqs) {
        rg_result *res = &d->results[i];
        const cJSON *plugin = cJSON_GetObjectItemCaseSensitive(r, "plugin");
        const cJSON *details = cJSON_GetObjectItemCaseSensitive(r, "details");
        const cJSON *ms = cJSON_GetObjectItemCaseSensitive(r, "duration_ms");
        int level = enum_index(str(r, "level"), levels, 3), status = enum_index(str(r, "status"), statuses, 6);
        if (!str(r, "id") || !str(r, "title") || !str(r, "check") || !str(r, "source") || !str(r, "message") ||
            level < 0 || status < 0)
            return rg_fail(err, RG_ERROR_IO, display, 0, 0,
                           "%s: requirement %zu has no id, title, check, source or message, or no known level or status",
                           display, i + 1);
        res->id = text_copy(&text, str(r, "id"));
        res->title = text_copy(&text, str(r, "title"));
        res->hint = text_copy(&text, str(r, "hint"));
        res->check = text_copy(&text, str(r, "check"));
        res->source = text_copy(&text, str(r, "source"));
        res->defined_at = text_copy(&text, str(r, "defined_at"));
        res->plugin = text_copy(&text, str(plugin, "name"));
        res->plugin_version = text_copy(&text, str(plugin, "version"));
        res->plugin_digest = text_copy(&text, str(plugin, "digest"));
        res->level = (rg_level)level;
        res->status = (rg_status)status;
        res->message = strdup(str(r, "message"));
        res->details = cJSON_IsObject(details) ? cJSON_Duplicate(details, 1) : cJSON_CreateObject();
        res->duration_ms = cJSON_IsNumber(ms) && ms->valuedouble >= 0 ? ms->valuedouble : 0;
        d->count = ++i;
        if (!res->message || !res->details)
            return rg_fail(err, RG_ERROR_INTERNAL, display, 0, 0, "out of memory reading %s", display);
    }
    return 0;
}

/* Whether an applied waiver in D's waivers names requirement ID. */
static int waiver_applied(const rg_decision *d, const char *id)
{
    const cJSON *w;
    cJSON_ArrayForEach(w, d->waivers) {
        const char *req = rg_json_string(w, "requirement"), *status = rg_json_string(w, "status");
        if (req && status && strcmp(req, id) == 0 && strcmp(status, "applied") == 0)
            return 1;
    }
    return 0;
}

/* What relgate never writes, refused as the verdict is when it disagrees (round 32, F06):
 * a decision over no requirement (eval has nothing to decide then, an error), and a
 * result waived that is not waivable, or that no applied waiver of the decision names
 * (its waivers are written whatever --details says) -- a mandatory fail edited to
 * "waived" rendered as allow. */
static int as_written(const rg_decision *d, const char *display, rg_error *err)
{
    if (d->count == 0)
        return rg_fail(err, RG_ERROR_IO, display, 0, 0, "%s holds no requirement: relgate writes no decision "
                       "over nothing, so it was changed after relgate wrote it", display);
    for (size_t i = 0; i < d->count; i++) {
        const rg_result *r = &d->results[i];
        if (r->status == RG_STATUS_WAIVED && (r->level != RG_LEVEL_WAIVABLE || !waiver_applied(d, r->id)))
            return rg_fail(err, RG_ERROR_IO, display, 0, 0, "%s: requirement '%s' is waived, but %s: it was changed "
                           "after relgate wrote it", display, r->id,
                           r->level != RG_LEVEL_WAIVABLE ? "only a waivable requirement can be"
                                                         : "no waiver applied to it is in the decision");
    }
    return 0;
}

static cJSON *array_copy(const cJSON *root, const char *key)
{
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(root, key);
    return cJSON_IsArray(a) ? cJSON_Duplicate(a, 1) : cJSON_CreateArray();
}

rg_decision *rg_decision_parse(const char *text, size_t len, const char *display, int64_t *evaluated_at,
                               rg_error *err)
{
    static const char *const verdicts[] = {"allow", "warn", "deny"};
    const cJSON *release, *policy, *context, *reqs;
    cJSON *root;
    rg_decision *d;
    int verdict;
    int64_t when = 0;

    if (!display)
        display = "<decision>";
    if (evaluated_at)
        *evaluated_at = 0;
    if (!(root = rg_json_parse(text, len, display, MAX_DECISION_DEPTH, RG_ERROR_IO, err)))
        return NULL;
    if (str(root, "evaluated_at") && rg_rfc3339_parse(str(root, "evaluated_at"), &when, &(const char *){NULL}) == 0 &&
        evaluated_at)
        *evaluated_at = when;
    if (str(root, "decision") && strcmp(str(root, "decision"), "error") == 0) {
        recorded_error(root, display, err);
        cJSON_Delete(root);
        return NULL;
    }
    release = cJSON_GetObjectItemCaseSensitive(root, "release");
    policy = cJSON_GetObjectItemCaseSensitive(root, "policy");
    context = cJSON_GetObjectItemCaseSensitive(root, "context");
    reqs = cJSON_GetObjectItemCaseSensitive(root, "requirements");
    verdict = enum_index(str(root, "decision"), verdicts, 3);
    if (verdict < 0 || !str(release, "name") || !str(release, "version") || !str(policy, "name") ||
        !str(policy, "digest") || !cJSON_IsArray(reqs) ||
        rg_release_type_parse(str(release, "type")) == RG_TYPE_UNSET || rg_stage_parse(str(root, "stage")) == RG_STAGE_UNSET) {
        rg_fail(err, RG_ERROR_IO, display, 0, 0,
                "%s is not a relgate decision (decision, release, stage, policy and requirements are required)", display);
        cJSON_Delete(root);
        return NULL;
    }
    if (!(d = calloc(1, sizeof *d))) {
        cJSON_Delete(root);
        rg_fail(err, RG_ERROR_INTERNAL, display, 0, 0, "out of memory reading %s", display);
        return NULL;
    }
    d->release_name = strdup(str(release, "name"));
    d->release_version = strdup(str(release, "version"));
    d->release_environment = dup_or_null(str(release, "environment"));
    d->type = rg_release_type_parse(str(release, "type"));
    d->stage = rg_stage_parse(str(root, "stage"));
    d->policy_name = strdup(str(policy, "name"));
    d->policy_version = dup_or_null(str(policy, "version"));
    rg_strlcpy(d->policy_digest, str(policy, "digest"), sizeof d->policy_digest);
    d->context_file = strdup(str(context, "file") ? str(context, "file") : display);
    rg_strlcpy(d->context_digest, str(context, "digest") ? str(context, "digest") : "", sizeof d->context_digest);
    d->policy_bases = array_copy(policy, "extends");
    d->evidence = array_copy(root, "evidence");
    d->waivers = array_copy(root, "waivers");
    d->actions = array_copy(root, "actions");
    d->evaluated_at = when;
    d->details_mode = RG_DETAILS_ALL;
    if (!d->release_name || !d->release_version || !d->policy_name || !d->context_file || !d->policy_bases ||
        !d->evidence || !d->waivers || !d->actions || (str(policy, "version") && !d->policy_version) ||
        (str(release, "environment") && !d->release_environment)) {
        rg_fail(err, RG_ERROR_INTERNAL, display, 0, 0, "out of memory reading %s", display);
        goto fail;
    }
    if (take_results(d, reqs, display, err) != 0 || as_written(d, display, err) != 0)
        goto fail;
    rg_decision_conclude(d);
    /* Fail closed: the verdict shown is the one the requirements give, never only the
     * one the file states. */
    if ((int)d->verdict != verdict) {
        rg_fail(err, RG_ERROR_IO, display, 0, 0, "%s says %s, but its requirements give %s: it was changed after relgate wrote it",
                display, verdicts[verdict], rg_verdict_name(d->verdict));
        goto fail;
    }
    cJSON_Delete(root);
    return d;
fail:
    cJSON_Delete(root);
    rg_decision_free(d);
    return NULL;
}
