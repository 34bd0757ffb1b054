/* Concluding a decision and writing it as JSON, fields in the contract's order. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decision.h"
#include "error.h"
#include "json.h"
#include "rfc3339.h"
#include "rg_config.h"

const char *rg_version(void)
{
    return RG_VERSION;
}

const char *rg_status_name(rg_status status)
{
    static const char *const names[RG_STATUS_COUNT] = {"pass", "fail", "warn", "waived", "error", "skip"};
    return (unsigned)status < RG_STATUS_COUNT ? names[status] : "error";
}

const char *rg_verdict_name(rg_verdict verdict)
{
    switch (verdict) {
    case RG_VERDICT_ALLOW: return "allow";
    case RG_VERDICT_WARN: return "warn";
    case RG_VERDICT_DENY: return "deny";
    case RG_VERDICT_ERROR: return "error";
    }
    return "error";
}

int rg_verdict_exit_code(rg_verdict verdict, int fail_on_warn)
{
    switch (verdict) {
    case RG_VERDICT_ALLOW: return 0;
    case RG_VERDICT_WARN: return fail_on_warn ? 1 : 0;
    case RG_VERDICT_DENY: return 1;
    case RG_VERDICT_ERROR: return 2;
    }
    return 2;
}

rg_verdict rg_decision_verdict(const rg_decision *d)
{
    return d->verdict;
}

void rg_decision_conclude(rg_decision *d)
{
    int deny = 0, warn = 0;
    memset(d->summary, 0, sizeof d->summary);
    for (size_t i = 0; i < d->count; i++) {
        const rg_result *r = &d->results[i];
        d->summary[r->status]++;
        if (r->status == RG_STATUS_ERROR ||
            (r->status == RG_STATUS_FAIL && r->level != RG_LEVEL_ADVISORY))
            deny = 1;
        else if (r->status == RG_STATUS_WARN || r->status == RG_STATUS_FAIL)
            warn = 1;
    }
    d->verdict = deny ? RG_VERDICT_DENY : warn ? RG_VERDICT_WARN : RG_VERDICT_ALLOW;
}

void rg_decision_set_rollback(rg_decision *d, const char *target, const char *source)
{
    cJSON *a;
    cJSON_ArrayForEach(a, d->actions) {
        const char *type = rg_json_string(a, "type");
        if (!type || strcmp(type, "rollback") != 0)
            continue;
        cJSON_ReplaceItemInObjectCaseSensitive(a, "target", target ? cJSON_CreateString(target) : cJSON_CreateNull());
        cJSON_ReplaceItemInObjectCaseSensitive(a, "source", cJSON_CreateString(source));
    }
}

static cJSON *add_string_or_null(cJSON *obj, const char *key, const char *value)
{
    return value ? cJSON_AddStringToObject(obj, key, value) : cJSON_AddNullToObject(obj, key);
}

static void add_time(cJSON *obj, const char *key, int64_t t)
{
    char buf[RG_RFC3339_BUFSIZE];
    if (rg_rfc3339_format(t, buf, sizeof buf) == 0)
        cJSON_AddStringToObject(obj, key, buf);
    else
        cJSON_AddNullToObject(obj, key);
}

static void add_engine(cJSON *root)
{
    cJSON *engine = cJSON_AddObjectToObject(root, "engine");
    cJSON_AddStringToObject(engine, "name", "relgate");
    cJSON_AddStringToObject(engine, "version", RG_VERSION);
}

void rg_decision_set_details(rg_decision *d, rg_details_mode mode)
{
    d->details_mode = mode;
}

static cJSON *result_to_cjson(const rg_result *r, rg_details_mode mode)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "id", r->id);
    cJSON_AddStringToObject(o, "title", r->title);
    cJSON_AddStringToObject(o, "level", rg_level_name(r->level));
    cJSON_AddStringToObject(o, "status", rg_status_name(r->status));
    cJSON_AddStringToObject(o, "message", r->message ? r->message : "");
    /* The hint matters where something needs doing. */
    if (r->hint && r->status != RG_STATUS_PASS && r->status != RG_STATUS_SKIP)
        cJSON_AddStringToObject(o, "hint", r->hint);
    cJSON_AddStringToObject(o, "check", r->check);
    /* A reference, not a copy: the decision owns the details and outlives this tree. */
    if (!r->details || mode == RG_DETAILS_NONE ||
        (mode == RG_DETAILS_FAILED && (r->status == RG_STATUS_PASS || r->status == RG_STATUS_SKIP)))
        cJSON_AddItemToObject(o, "details", cJSON_CreateObject());
    else
        cJSON_AddItemToObject(o, "details", cJSON_CreateObjectReference(r->details->child));
    cJSON_AddNumberToObject(o, "duration_ms", r->duration_ms);
    cJSON_AddStringToObject(o, "source", r->source);
    return o;
}

cJSON *rg_decision_to_cjson(const rg_decision *d)
{
    cJSON *root = cJSON_CreateObject(), *o, *list;
    static const rg_status order[] = {RG_STATUS_PASS, RG_STATUS_FAIL, RG_STATUS_WARN,
                                      RG_STATUS_WAIVED, RG_STATUS_ERROR, RG_STATUS_SKIP};
    if (!root)
        return NULL;
    cJSON_AddStringToObject(root, "decision", rg_verdict_name(d->verdict));
    o = cJSON_AddObjectToObject(root, "release");
    cJSON_AddStringToObject(o, "name", d->release_name);
    cJSON_AddStringToObject(o, "version", d->release_version);
    cJSON_AddStringToObject(o, "type", rg_release_type_name(d->type));
    cJSON_AddStringToObject(root, "stage", rg_stage_name(d->stage));
    o = cJSON_AddObjectToObject(root, "policy");
    cJSON_AddStringToObject(o, "name", d->policy_name);
    add_string_or_null(o, "version", d->policy_version);
    cJSON_AddStringToObject(o, "digest", d->policy_digest);
    cJSON_AddItemToObject(o, "extends", d->policy_bases ? cJSON_Duplicate(d->policy_bases, 1) : cJSON_CreateArray());
    o = cJSON_AddObjectToObject(root, "context");
    cJSON_AddStringToObject(o, "file", d->context_file);
    cJSON_AddStringToObject(o, "digest", d->context_digest);
    cJSON_AddItemToObject(root, "evidence", d->evidence ? cJSON_Duplicate(d->evidence, 1) : cJSON_CreateArray());
    o = cJSON_AddObjectToObject(root, "summary");
    cJSON_AddNumberToObject(o, "total", (double)d->count);
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++)
        cJSON_AddNumberToObject(o, rg_status_name(order[i]), (double)d->summary[order[i]]);
    list = cJSON_AddArrayToObject(root, "requirements");
    for (size_t i = 0; i < d->count; i++)
        cJSON_AddItemToArray(list, result_to_cjson(&d->results[i], d->details_mode));
    cJSON_AddItemToObject(root, "waivers", d->waivers ? cJSON_Duplicate(d->waivers, 1) : cJSON_CreateArray());
    cJSON_AddItemToObject(root, "actions", cJSON_Duplicate(d->actions, 1));
    add_time(root, "evaluated_at", d->evaluated_at);
    add_engine(root);
    rg_json_sanitize_strings(root);
    return root;
}

static char *print_with_newline(cJSON *root)
{
    return root ? rg_json_print_pretty(root) : NULL;
}

char *rg_decision_to_json(const rg_decision *d)
{
    cJSON *root = rg_decision_to_cjson(d);
    char *text = print_with_newline(root);
    cJSON_Delete(root);
    return text;
}

/* The error decision as a tree (caller frees), or NULL when out of memory. */
static cJSON *error_to_cjson(const rg_error *err, int64_t now)
{
    cJSON *root = cJSON_CreateObject(), *e;
    if (!root)
        return NULL;
    cJSON_AddStringToObject(root, "decision", "error");
    e = cJSON_AddObjectToObject(root, "error");
    cJSON_AddStringToObject(e, "kind", rg_error_kind_name(err->kind));
    cJSON_AddStringToObject(e, "message", err->message);
    add_string_or_null(e, "file", err->file[0] ? err->file : NULL);
    if (err->line > 0) cJSON_AddNumberToObject(e, "line", err->line);
    else cJSON_AddNullToObject(e, "line");
    if (err->column > 0) cJSON_AddNumberToObject(e, "column", err->column);
    else cJSON_AddNullToObject(e, "column");
    if (err->problem_count > 1) {
        cJSON *list = cJSON_AddArrayToObject(e, "problems");
        for (int i = 0; i < err->problem_count; i++)
            cJSON_AddItemToArray(list, cJSON_CreateString(err->problems[i]));
    }
    add_time(root, "evaluated_at", now);
    add_engine(root);
    rg_json_sanitize_strings(root);
    return root;
}

char *rg_error_to_json(const rg_error *err, int64_t now)
{
    cJSON *root = error_to_cjson(err, now);
    char *text = print_with_newline(root);
    cJSON_Delete(root);
    return text;
}

char *rg_error_to_line(const rg_error *err, int64_t now)
{
    cJSON *root = error_to_cjson(err, now);
    char *text = root ? cJSON_PrintUnformatted(root) : NULL;
    cJSON_Delete(root);
    return text;
}
