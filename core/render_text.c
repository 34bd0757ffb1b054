/* Plain text decisions: aligned, coloured on a terminal, ASCII when not UTF-8. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "decision.h"
#include "render.h"
#include "strbuf.h"
#include "untrusted.h"

#define RESET "\033[0m"

typedef struct mark {
    const char *utf8, *ascii, *color;
} mark;

static const mark *status_mark(rg_status s)
{
    static const mark marks[RG_STATUS_COUNT] = {
        [RG_STATUS_PASS] = {"✔ pass  ", "[pass]  ", "\033[32m"},
        [RG_STATUS_FAIL] = {"✘ FAIL  ", "[FAIL]  ", "\033[1;31m"},
        [RG_STATUS_WARN] = {"▲ warn  ", "[warn]  ", "\033[33m"},
        [RG_STATUS_WAIVED] = {"◌ waived", "[waived]", "\033[36m"},
        [RG_STATUS_ERROR] = {"‼ ERROR ", "[ERROR] ", "\033[1;35m"},
        [RG_STATUS_SKIP] = {"– skip  ", "[skip]  ", "\033[2m"},
    };
    return &marks[(unsigned)s < RG_STATUS_COUNT ? s : RG_STATUS_ERROR];
}

static const char *verdict_color(rg_verdict v)
{
    switch (v) {
    case RG_VERDICT_ALLOW: return "\033[1;32m";
    case RG_VERDICT_WARN: return "\033[1;33m";
    default: return "\033[1;31m";
    }
}

/* Context, policy and plugin text for a terminal or a CI log: on our line (line breaks
 * become spaces, so the columns hold and no line starts with it), control sequences and
 * CI markers neutralised (untrusted.h). */
static void plain(rg_strbuf *b, const char *s)
{
    rg_untrusted_puts(b, s, RG_BREAKS_SPACE);
}

/* An id padded to WIDTH bytes, as %-*s would. */
static void padded(rg_strbuf *b, const char *s, size_t width)
{
    size_t start = b->len;
    plain(b, s);
    while (!b->failed && b->len - start < width)
        rg_strbuf_puts(b, " ");
}

static void colored(rg_strbuf *b, const rg_text_style *st, const char *color, const char *text)
{
    if (st->color) rg_strbuf_puts(b, color);
    rg_strbuf_puts(b, text);
    if (st->color) rg_strbuf_puts(b, RESET);
}

char *rg_decision_to_text(const rg_decision *d, const rg_text_style *st)
{
    rg_strbuf b = {0};
    size_t width = 0;
    char verdict[16];

    for (size_t i = 0; i < d->count; i++)
        if (strlen(d->results[i].id) > width) width = strlen(d->results[i].id);
    rg_strlcpy(verdict, rg_verdict_name(d->verdict), sizeof verdict);
    for (char *p = verdict; *p; p++)
        *p = (char)toupper((unsigned char)*p);

    colored(&b, st, verdict_color(d->verdict), verdict);
    rg_strbuf_puts(&b, "  ");
    plain(&b, d->release_name);
    rg_strbuf_puts(&b, " ");
    plain(&b, d->release_version);
    rg_strbuf_printf(&b, " (%s) at %s\npolicy ", rg_release_type_name(d->type), rg_stage_name(d->stage));
    plain(&b, d->policy_name);
    if (d->policy_version) {
        rg_strbuf_puts(&b, " ");
        plain(&b, d->policy_version);
    }
    rg_strbuf_printf(&b, ", %s\n", d->policy_digest);
    {
        /* every bundle the policy used, as pinned (docs/policies.md, "Bundles") */
        const cJSON *base;
        cJSON_ArrayForEach(base, d->policy_bases) {
            const cJSON *bundle = cJSON_GetObjectItemCaseSensitive(base, "bundle");
            const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(bundle, "name"));
            const char *version = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(bundle, "version"));
            const char *digest = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(bundle, "digest"));
            if (!name || !version || !digest)
                continue;
            rg_strbuf_puts(&b, "bundle ");
            plain(&b, name);
            rg_strbuf_puts(&b, " ");
            plain(&b, version);
            rg_strbuf_puts(&b, ", ");
            plain(&b, digest);
            rg_strbuf_puts(&b, "\n");
        }
    }
    rg_strbuf_puts(&b, "\n");
    for (size_t i = 0; i < d->count; i++) {
        const rg_result *r = &d->results[i];
        const mark *m = status_mark(r->status);
        rg_strbuf_puts(&b, "  ");
        colored(&b, st, m->color, st->utf8 ? m->utf8 : m->ascii);
        rg_strbuf_puts(&b, "  ");
        padded(&b, r->id, width);
        rg_strbuf_puts(&b, "  ");
        plain(&b, r->message);
        rg_strbuf_puts(&b, "\n");
        if (r->status == RG_STATUS_PASS || r->status == RG_STATUS_SKIP)
            continue;
        rg_strbuf_printf(&b, "  %8s  %-*s  requirement: ", "", (int)width, "");
        plain(&b, r->title);
        rg_strbuf_printf(&b, " (%s, ", rg_level_name(r->level));
        plain(&b, r->check);
        rg_strbuf_puts(&b, ")\n");
        if (r->hint) {
            rg_strbuf_printf(&b, "  %8s  %-*s  how to pass: ", "", (int)width, "");
            plain(&b, r->hint);
            rg_strbuf_puts(&b, "\n");
        }
        if (r->details && r->details->child) {
            char *details = cJSON_PrintUnformatted(r->details);
            if (details) {
                rg_strbuf_printf(&b, "  %8s  %-*s  looked at: ", "", (int)width, "");
                plain(&b, details);
                rg_strbuf_puts(&b, "\n");
            }
            free(details);
        }
    }
    rg_strbuf_printf(&b, "\n%zu requirement%s: %zu pass, %zu fail, %zu warn, %zu waived, %zu error, %zu skip\n",
                     d->count, d->count == 1 ? "" : "s", d->summary[RG_STATUS_PASS],
                     d->summary[RG_STATUS_FAIL], d->summary[RG_STATUS_WARN],
                     d->summary[RG_STATUS_WAIVED], d->summary[RG_STATUS_ERROR],
                     d->summary[RG_STATUS_SKIP]);
    if (cJSON_GetArraySize(d->waivers) > 0) {
        const cJSON *w;
        rg_strbuf_puts(&b, "\nwaivers:\n");
        cJSON_ArrayForEach(w, d->waivers) {
            const char *status = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(w, "status"));
            rg_strbuf_puts(&b, "  - ");
            plain(&b, status ? status : "?");
            rg_strbuf_puts(&b, ": ");
            plain(&b, cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(w, "message")));
            rg_strbuf_puts(&b, " (");
            plain(&b, cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(w, "source")));
            rg_strbuf_puts(&b, ")\n");
        }
    }
    if (cJSON_GetArraySize(d->actions) > 0) {
        const cJSON *a;
        rg_strbuf_puts(&b, "\nactions (release guide playbook):\n");
        cJSON_ArrayForEach(a, d->actions) {
            const char *type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(a, "type"));
            const char *target = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(a, "target"));
            const char *summary = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(a, "summary"));
            const char *source = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(a, "source"));
            if (type && strcmp(type, "rollback") == 0) {
                rg_strbuf_puts(&b, "  - roll back to ");
                plain(&b, target ? target : "?");
                rg_strbuf_puts(&b, " (");
                plain(&b, source);
                rg_strbuf_puts(&b, ")\n");
            } else {
                rg_strbuf_puts(&b, "  - ");
                plain(&b, type ? type : "?");
                rg_strbuf_puts(&b, ": ");
                plain(&b, summary);
                rg_strbuf_puts(&b, "\n");
            }
        }
    }
    return rg_strbuf_finish(&b);
}

char *rg_error_to_text(const rg_error *err)
{
    rg_strbuf b = {0};
    rg_strbuf_puts(&b, "ERROR  the gate could not be evaluated");
    rg_strbuf_printf(&b, " (%s error)\n", rg_error_kind_name(err->kind));
    if (err->file[0]) {
        rg_strbuf_puts(&b, "at     ");
        plain(&b, err->file);
        if (err->line > 0)
            rg_strbuf_printf(&b, ":%d", err->line);
        rg_strbuf_puts(&b, "\n");
    }
    rg_strbuf_puts(&b, "\n  ");
    plain(&b, err->message);
    rg_strbuf_puts(&b, "\n");
    for (int i = 1; i < err->problem_count; i++) {
        rg_strbuf_puts(&b, "  ");
        plain(&b, err->problems[i]);
        rg_strbuf_puts(&b, "\n");
    }
    return rg_strbuf_finish(&b);
}
