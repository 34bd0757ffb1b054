/* Concluding a decision and writing it as JSON, fields in the contract's order. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decision.h"
#include "error.h"
#include "json.h"
#include "json_writer.h"
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

void rg_result_own_details(rg_result *r)
{
    cJSON *copy;
    if (!r->shared)
        return;
    copy = cJSON_Duplicate(r->details, 1);
    cJSON_Delete(r->details);
    r->details = copy ? copy : cJSON_CreateObject();
    rg_shared_json_unref(r->shared);
    r->shared = NULL;
}

rg_result *rg_decision_find(const rg_decision *d, const char *id)
{
    for (size_t i = 0; id && i < d->count; i++)
        if (strcmp(d->results[i].id, id) == 0)
            return &d->results[i];
    return NULL;
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

static void key_time(rg_jw *w, const char *key, int64_t t)
{
    char buf[RG_RFC3339_BUFSIZE];
    rg_jw_key(w, key);
    if (rg_rfc3339_format(t, buf, sizeof buf) == 0)
        rg_jw_string(w, buf);
    else
        rg_jw_null(w);
}

static void key_engine(rg_jw *w)
{
    rg_jw_key(w, "engine");
    rg_jw_object(w);
    rg_jw_key_string(w, "name", "relgate");
    rg_jw_key_string(w, "version", RG_VERSION);
    rg_jw_end(w, 1);
}

/* A list the decision may not have: an empty array then. */
static void key_list(rg_jw *w, const char *key, const cJSON *list)
{
    rg_jw_key(w, key);
    if (list)
        rg_jw_item(w, list);
    else {
        rg_jw_array(w);
        rg_jw_end(w, 0);
    }
}

void rg_decision_set_details(rg_decision *d, rg_details_mode mode)
{
    d->details_mode = mode;
}

static int shows_details(const rg_result *r, rg_details_mode mode)
{
    if (!r->details || mode == RG_DETAILS_NONE)
        return 0;
    return mode != RG_DETAILS_FAILED || (r->status != RG_STATUS_PASS && r->status != RG_STATUS_SKIP);
}

static void write_result(rg_jw *w, const rg_result *r, rg_details_mode mode)
{
    rg_jw_object(w);
    rg_jw_key_string(w, "id", r->id);
    rg_jw_key_string(w, "title", r->title);
    rg_jw_key_string(w, "level", rg_level_name(r->level));
    rg_jw_key_string(w, "status", rg_status_name(r->status));
    rg_jw_key_string(w, "message", r->message ? r->message : "");
    /* The hint matters where something needs doing. */
    if (r->hint && r->status != RG_STATUS_PASS && r->status != RG_STATUS_SKIP)
        rg_jw_key_string(w, "hint", r->hint);
    rg_jw_key_string(w, "check", r->check);
    if (r->plugin) {
        /* Which plugin answered, exactly: its name, version and file content. */
        rg_jw_key(w, "plugin");
        rg_jw_object(w);
        rg_jw_key_string(w, "name", r->plugin);
        rg_jw_key_string(w, "version", r->plugin_version);
        if (r->plugin_digest)
            rg_jw_key_string(w, "digest", r->plugin_digest);
        rg_jw_end(w, 1);
    }
    rg_jw_key(w, "details");
    if (shows_details(r, mode) && r->shared && !w->pretty) {
        /* A reused plugin result: its details were written as JSON once for the run. */
        size_t len;
        const char *text = rg_shared_json_text(r->shared, &len);
        if (text)
            rg_jw_raw(w, text, len);
        else
            rg_jw_item(w, r->details);
    } else if (shows_details(r, mode))
        rg_jw_item(w, r->details);
    else {
        rg_jw_object(w);
        rg_jw_end(w, 1);
    }
    rg_jw_key(w, "duration_ms");
    rg_jw_millis(w, r->duration_ms);
    rg_jw_key_string(w, "source", r->source);
    if (r->defined_at)
        rg_jw_key_string(w, "defined_at", r->defined_at);
    rg_jw_end(w, 1);
}

void rg_decision_write_identity(rg_jw *w, const rg_decision *d)
{
    rg_jw_key_string(w, "decision", rg_verdict_name(d->verdict));
    rg_jw_key(w, "release");
    rg_jw_object(w);
    rg_jw_key_string(w, "name", d->release_name);
    rg_jw_key_string(w, "version", d->release_version);
    rg_jw_key_string(w, "type", rg_release_type_name(d->type));
    if (d->release_environment)
        rg_jw_key_string(w, "environment", d->release_environment);
    rg_jw_end(w, 1);
    rg_jw_key_string(w, "stage", rg_stage_name(d->stage));
    rg_jw_key(w, "policy");
    rg_jw_object(w);
    rg_jw_key_string(w, "name", d->policy_name);
    rg_jw_key_string(w, "version", d->policy_version);
    rg_jw_key_string(w, "digest", d->policy_digest);
}

void rg_decision_write_summary(rg_jw *w, const rg_decision *d)
{
    static const rg_status order[] = {RG_STATUS_PASS, RG_STATUS_FAIL, RG_STATUS_WARN,
                                      RG_STATUS_WAIVED, RG_STATUS_ERROR, RG_STATUS_SKIP};
    rg_jw_key(w, "summary");
    rg_jw_object(w);
    rg_jw_key_int(w, "total", (int64_t)d->count);
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++)
        rg_jw_key_int(w, rg_status_name(order[i]), (int64_t)d->summary[order[i]]);
    rg_jw_end(w, 1);
}

/* The decision's fields in the contract's order. */
static void write_decision(rg_jw *w, const rg_decision *d)
{
    rg_jw_object(w);
    rg_decision_write_identity(w, d);
    key_list(w, "extends", d->policy_bases);
    rg_jw_end(w, 1);
    rg_jw_key(w, "context");
    rg_jw_object(w);
    rg_jw_key_string(w, "file", d->context_file);
    rg_jw_key_string(w, "digest", d->context_digest);
    rg_jw_end(w, 1);
    key_list(w, "evidence", d->evidence);
    rg_decision_write_summary(w, d);
    rg_jw_key(w, "requirements");
    rg_jw_array(w);
    for (size_t i = 0; i < d->count; i++)
        write_result(w, &d->results[i], d->details_mode);
    rg_jw_end(w, 0);
    key_list(w, "waivers", d->waivers);
    key_list(w, "actions", d->actions);
    key_time(w, "evaluated_at", d->evaluated_at);
    key_engine(w);
    rg_jw_end(w, 1);
}

void rg_decision_write(const rg_decision *d, rg_strbuf *out, int pretty)
{
    rg_jw w;
    rg_jw_init(&w, out, pretty);
    write_decision(&w, d);
}

char *rg_decision_to_json(const rg_decision *d)
{
    rg_strbuf out = {0};
    rg_decision_write(d, &out, 1);
    rg_strbuf_add(&out, "\n", 1);
    return rg_strbuf_finish(&out);
}

static void write_error(rg_jw *w, const rg_error *err, int64_t now)
{
    rg_jw_object(w);
    rg_jw_key_string(w, "decision", "error");
    rg_jw_key(w, "error");
    rg_jw_object(w);
    rg_jw_key_string(w, "kind", rg_error_kind_name(err->kind));
    rg_jw_key_string(w, "message", err->message);
    rg_jw_key_string(w, "file", err->file[0] ? err->file : NULL);
    rg_jw_key(w, "line");
    if (err->line > 0) rg_jw_int(w, err->line);
    else rg_jw_null(w);
    rg_jw_key(w, "column");
    if (err->column > 0) rg_jw_int(w, err->column);
    else rg_jw_null(w);
    if (err->problem_count > 1) {
        rg_jw_key(w, "problems");
        rg_jw_array(w);
        for (int i = 0; i < err->problem_count; i++)
            rg_jw_string(w, err->problems[i]);
        rg_jw_end(w, 0);
    }
    rg_jw_end(w, 1);
    key_time(w, "evaluated_at", now);
    key_engine(w);
    rg_jw_end(w, 1);
}

static char *error_text(const rg_error *err, int64_t now, int pretty)
{
    rg_strbuf out = {0};
    rg_jw w;
    rg_jw_init(&w, &out, pretty);
    write_error(&w, err, now);
    if (pretty)
        rg_strbuf_add(&out, "\n", 1);
    return rg_strbuf_finish(&out);
}

char *rg_error_to_json(const rg_error *err, int64_t now)
{
    return error_text(err, now, 1);
}

char *rg_error_to_line(const rg_error *err, int64_t now)
{
    return error_text(err, now, 0);
}
