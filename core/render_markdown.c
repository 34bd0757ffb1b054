/* Markdown decisions for a GitHub step summary or a merge-request comment. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decision.h"
#include "markdown.h"
#include "render.h"
#include "rfc3339.h"
#include "strbuf.h"

static const char *status_icon(rg_status s)
{
    switch (s) {
    case RG_STATUS_PASS: return "✅";
    case RG_STATUS_FAIL: return "❌";
    case RG_STATUS_WARN: return "⚠️";
    case RG_STATUS_WAIVED: return "🔓";
    case RG_STATUS_ERROR: return "💥";
    case RG_STATUS_SKIP: return "⏭️";
    default: return "?";
    }
}

static const char *verdict_icon(rg_verdict v)
{
    return v == RG_VERDICT_ALLOW ? "✅" : v == RG_VERDICT_WARN ? "⚠️" : v == RG_VERDICT_DENY ? "⛔" : "💥";
}

/* Untrusted text (context, policy, plugin) as literal text that fits a table cell, and
 * as a code span: markdown.h says what each neutralises. */
static void cell(rg_strbuf *b, const char *s)
{
    rg_md_escape(b, s);
}

static void code(rg_strbuf *b, const char *s)
{
    rg_md_code(b, s, 1);
}

/* What a check looked at, folded away and readable: one row per detail, the value as
 * literal text (escaped like every cell: a code block would show mentions, links and
 * HTML from a plugin's details verbatim, and nothing can be escaped inside one). */
static void details_table(rg_strbuf *b, const cJSON *details)
{
    const cJSON *item;
    if (!details || !details->child)
        return;
    rg_strbuf_puts(b, "\n<details><summary>Looked at</summary>\n\n| Detail | Value |\n|---|---|\n");
    cJSON_ArrayForEach(item, details) {
        rg_strbuf_puts(b, "| ");
        cell(b, item->string ? item->string : "");
        rg_strbuf_puts(b, " | ");
        if (cJSON_IsString(item)) {
            cell(b, item->valuestring);
        } else {
            char *value = cJSON_PrintUnformatted(item);
            if (!value)
                b->failed = 1;
            cell(b, value ? value : "");
            free(value);
        }
        rg_strbuf_puts(b, " |\n");
    }
    rg_strbuf_puts(b, "\n</details>\n\n");
}

char *rg_decision_to_markdown(const rg_decision *d)
{
    rg_strbuf b = {0};
    int needs_action = 0;

    rg_strbuf_printf(&b, "### %s relgate: **%s** — ", verdict_icon(d->verdict), rg_verdict_name(d->verdict));
    cell(&b, d->release_name);
    rg_strbuf_puts(&b, " ");
    cell(&b, d->release_version);
    rg_strbuf_printf(&b, " (%s) at `%s`\n\n", rg_release_type_name(d->type), rg_stage_name(d->stage));
    rg_strbuf_puts(&b, "Policy ");
    code(&b, d->policy_name);
    if (d->policy_version) {
        rg_strbuf_puts(&b, " ");
        cell(&b, d->policy_version);
    }
    rg_strbuf_printf(&b, " · %zu requirements: %zu pass, %zu fail, %zu warn, %zu waived, %zu error, %zu skip\n\n",
                     d->count,
                     d->summary[RG_STATUS_PASS], d->summary[RG_STATUS_FAIL], d->summary[RG_STATUS_WARN],
                     d->summary[RG_STATUS_WAIVED], d->summary[RG_STATUS_ERROR], d->summary[RG_STATUS_SKIP]);
    rg_strbuf_puts(&b, "| | Requirement | Level | Status | Message |\n|---|---|---|---|---|\n");
    for (size_t i = 0; i < d->count; i++) {
        const rg_result *r = &d->results[i];
        rg_strbuf_printf(&b, "| %s | ", status_icon(r->status));
        code(&b, r->id);
        rg_strbuf_puts(&b, " ");
        cell(&b, r->title);
        rg_strbuf_printf(&b, " | %s | %s | ", rg_level_name(r->level), rg_status_name(r->status));
        cell(&b, r->message);
        rg_strbuf_puts(&b, " |\n");
        if (r->status != RG_STATUS_PASS && r->status != RG_STATUS_SKIP)
            needs_action = 1;
    }
    if (needs_action) {
        rg_strbuf_puts(&b, "\n#### What needs doing\n\n");
        for (size_t i = 0; i < d->count; i++) {
            const rg_result *r = &d->results[i];
            if (r->status == RG_STATUS_PASS || r->status == RG_STATUS_SKIP)
                continue;
            rg_strbuf_printf(&b, "- %s **", status_icon(r->status));
            code(&b, r->id);
            rg_strbuf_puts(&b, "**: ");
            cell(&b, r->message);
            rg_strbuf_puts(&b, "\n");
            if (r->hint) {
                rg_strbuf_puts(&b, "  - How to pass: ");
                cell(&b, r->hint);
                rg_strbuf_puts(&b, "\n");
            }
            details_table(&b, r->details);
        }
    }
    if (cJSON_GetArraySize(d->waivers) > 0) {
        const cJSON *w;
        rg_strbuf_puts(&b, "\n#### Waivers\n\n| Status | Requirement | What became of it | Source |\n|---|---|---|---|\n");
        cJSON_ArrayForEach(w, d->waivers) {
            rg_strbuf_puts(&b, "| ");
            cell(&b, cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(w, "status")));
            rg_strbuf_puts(&b, " | ");
            cell(&b, cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(w, "requirement")));
            rg_strbuf_puts(&b, " | ");
            cell(&b, cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(w, "message")));
            rg_strbuf_puts(&b, " | ");
            cell(&b, cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(w, "source")));
            rg_strbuf_puts(&b, " |\n");
        }
    }
    if (cJSON_GetArraySize(d->actions) > 0) {
        const cJSON *a;
        rg_strbuf_puts(&b, "\n#### Actions\n\n");
        cJSON_ArrayForEach(a, d->actions) {
            const char *type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(a, "type"));
            const char *target = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(a, "target"));
            const char *summary = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(a, "summary"));
            const char *source = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(a, "source"));
            rg_strbuf_puts(&b, "- **");
            cell(&b, type ? type : "?");
            rg_strbuf_puts(&b, "**: ");
            if (type && strcmp(type, "rollback") == 0) {
                rg_strbuf_puts(&b, "roll back to ");
                cell(&b, target ? target : "(unknown)");
                rg_strbuf_puts(&b, " — ");
                cell(&b, source);
            } else {
                cell(&b, summary);
            }
            rg_strbuf_puts(&b, "\n");
        }
    }
    {
        char when[RG_RFC3339_BUFSIZE] = "";
        rg_rfc3339_format(d->evaluated_at, when, sizeof when);
        rg_strbuf_printf(&b, "\n<sub>relgate %s · policy digest `%s` · evaluated at %s</sub>\n",
                         rg_version(), d->policy_digest, when);
    }
    return rg_strbuf_finish(&b);
}

char *rg_error_to_markdown(const rg_error *err)
{
    rg_strbuf b = {0};
    rg_strbuf_printf(&b, "### 💥 relgate: **error** — the gate could not be evaluated\n\n| Kind | Where | Message |\n|---|---|---|\n| %s | ",
                     rg_error_kind_name(err->kind));
    if (err->file[0]) {
        char where[64] = "";
        rg_strbuf where_text = {0};
        if (err->line > 0) snprintf(where, sizeof where, ":%d", err->line);
        rg_strbuf_puts(&where_text, err->file);
        rg_strbuf_puts(&where_text, where);
        code(&b, where_text.data);
        free(where_text.data);
    }
    rg_strbuf_puts(&b, " | ");
    cell(&b, err->message);
    rg_strbuf_puts(&b, " |\n");
    for (int i = 1; i < err->problem_count; i++) {
        rg_strbuf_puts(&b, "| | | ");
        cell(&b, err->problems[i]);
        rg_strbuf_puts(&b, " |\n");
    }
    return rg_strbuf_finish(&b);
}
