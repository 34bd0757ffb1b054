/* Plain-text decisions. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decision.h"
#include "error.h"
#include "render.h"

typedef struct text_buf {
    char *data;
    size_t len, cap;
    int failed;
} text_buf;

static void append(text_buf *b, const char *fmt, ...) RG_PRINTF(2, 3);

static void append(text_buf *b, const char *fmt, ...)
{
    va_list ap;
    int n;
    if (b->failed)
        return;
    for (;;) {
        va_start(ap, fmt);
        n = vsnprintf(b->data ? b->data + b->len : NULL, b->data ? b->cap - b->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0) {
            b->failed = 1;
            return;
        }
        if (b->data && b->len + (size_t)n < b->cap) {
            b->len += (size_t)n;
            return;
        }
        size_t cap = (b->cap ? b->cap : 1024);
        while (cap <= b->len + (size_t)n) cap *= 2;
        char *grown = realloc(b->data, cap);
        if (!grown) {
            b->failed = 1;
            return;
        }
        b->data = grown;
        b->cap = cap;
    }
}

static const char *status_label(rg_status s)
{
    switch (s) {
    case RG_STATUS_PASS: return "PASS";
    case RG_STATUS_FAIL: return "FAIL";
    case RG_STATUS_WARN: return "WARN";
    case RG_STATUS_WAIVED: return "WAIVED";
    case RG_STATUS_ERROR: return "ERROR";
    case RG_STATUS_SKIP: return "SKIP";
    default: return "?";
    }
}

char *rg_decision_to_text(const rg_decision *d)
{
    text_buf b = {0};
    size_t width = 0;
    for (size_t i = 0; i < d->count; i++)
        if (strlen(d->results[i].id) > width) width = strlen(d->results[i].id);

    append(&b, "%s: %s %s (%s) at %s\n", rg_verdict_name(d->verdict), d->release_name,
           d->release_version, rg_release_type_name(d->type), rg_stage_name(d->stage));
    append(&b, "policy %s%s%s (%s)\n\n", d->policy_name, d->policy_version ? " " : "",
           d->policy_version ? d->policy_version : "", d->policy_digest);
    for (size_t i = 0; i < d->count; i++) {
        const rg_result *r = &d->results[i];
        append(&b, "  %-6s %-*s  %s\n", status_label(r->status), (int)width, r->id, r->message);
        if (r->status != RG_STATUS_PASS && r->status != RG_STATUS_SKIP) {
            append(&b, "  %-6s %-*s  requirement: %s (%s)\n", "", (int)width, "", r->title,
                   rg_level_name(r->level));
            if (r->hint)
                append(&b, "  %-6s %-*s  hint: %s\n", "", (int)width, "", r->hint);
            if (r->details && r->details->child) {
                char *details = cJSON_PrintUnformatted(r->details);
                if (details) {
                    append(&b, "  %-6s %-*s  looked at: %s\n", "", (int)width, "", details);
                    free(details);
                }
            }
        }
    }
    append(&b, "\n%zu requirements: %zu pass, %zu fail, %zu warn, %zu waived, %zu error, %zu skip\n",
           d->count, d->summary[RG_STATUS_PASS], d->summary[RG_STATUS_FAIL],
           d->summary[RG_STATUS_WARN], d->summary[RG_STATUS_WAIVED], d->summary[RG_STATUS_ERROR],
           d->summary[RG_STATUS_SKIP]);
    if (cJSON_GetArraySize(d->actions) > 0) {
        const cJSON *a;
        append(&b, "\nactions:\n");
        cJSON_ArrayForEach(a, d->actions) {
            const cJSON *type = cJSON_GetObjectItemCaseSensitive(a, "type");
            const cJSON *target = cJSON_GetObjectItemCaseSensitive(a, "target");
            const cJSON *summary = cJSON_GetObjectItemCaseSensitive(a, "summary");
            const cJSON *source = cJSON_GetObjectItemCaseSensitive(a, "source");
            if (cJSON_IsString(target))
                append(&b, "  - %s to %s (%s)\n", type->valuestring, target->valuestring,
                       cJSON_IsString(source) ? source->valuestring : "");
            else if (cJSON_IsString(summary))
                append(&b, "  - %s: %s\n", type->valuestring, summary->valuestring);
            else
                append(&b, "  - %s: %s\n", type->valuestring,
                       cJSON_IsString(source) ? source->valuestring : "");
        }
    }
    if (b.failed) {
        free(b.data);
        return NULL;
    }
    return b.data;
}
