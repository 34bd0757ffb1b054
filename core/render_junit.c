/* JUnit XML decisions, through the one JUnit writer (common/junit.h): <testsuites> with
 * one <testsuite> per decision and one <testcase> per requirement. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decision.h"
#include "junit.h"
#include "render.h"
#include "strbuf.h"

/* "How to pass" and "Looked at" under a result's message, for the failure's body. */
static char *result_text(const rg_result *r, const char *details)
{
    rg_strbuf b = {0};
    rg_strbuf_puts(&b, r->message ? r->message : "");
    if (r->hint) {
        rg_strbuf_puts(&b, "\nHow to pass: ");
        rg_strbuf_puts(&b, r->hint);
    }
    if (details) {
        rg_strbuf_puts(&b, "\nLooked at: ");
        rg_strbuf_puts(&b, details);
    }
    if (r->source) {
        rg_strbuf_puts(&b, "\nRequirement: ");
        rg_strbuf_puts(&b, r->defined_at ? r->defined_at : r->source);
    }
    return rg_strbuf_finish(&b);
}

char *rg_decision_to_junit(const rg_decision *d)
{
    rg_strbuf b = {0}, name = {0}, classname = {0};
    rg_junit_totals t = {d->count, d->summary[RG_STATUS_FAIL], d->summary[RG_STATUS_ERROR],
                         d->summary[RG_STATUS_SKIP] + d->summary[RG_STATUS_WAIVED], 0};
    const char *props[] = {
        "decision", rg_verdict_name(d->verdict), "release", d->release_name,
        "version", d->release_version, "type", rg_release_type_name(d->type),
        "stage", rg_stage_name(d->stage), "policy", d->policy_name,
        "policy_digest", d->policy_digest,
    };
    char *suite, *cls;

    for (size_t i = 0; i < d->count; i++)
        t.seconds += d->results[i].duration_ms / 1000.0;
    rg_strbuf_printf(&name, "relgate %s %s (%s) at %s", d->release_name, d->release_version,
                     rg_release_type_name(d->type), rg_stage_name(d->stage));
    rg_strbuf_printf(&classname, "relgate.%s.%s", d->policy_name, rg_stage_name(d->stage));
    suite = rg_strbuf_finish(&name);
    cls = rg_strbuf_finish(&classname);
    if (!suite || !cls) {
        free(suite);
        free(cls);
        return NULL;
    }
    rg_junit_begin(&b, "relgate", &t);
    rg_junit_suite_begin(&b, 0, suite, cls, &t, d->evaluated_at, props, sizeof props / sizeof props[0] / 2);
    for (size_t i = 0; i < d->count; i++) {
        const rg_result *r = &d->results[i];
        char *details = r->details && r->details->child ? cJSON_PrintUnformatted(r->details) : NULL;
        char *text = NULL;
        rg_strbuf case_name = {0}, waived = {0};
        rg_junit_case c = {0};
        rg_strbuf_printf(&case_name, "%s: %s", r->id, r->title);
        c.name = case_name.data ? case_name.data : r->id;
        c.classname = cls;
        c.seconds = r->duration_ms / 1000.0;
        switch (r->status) {
        case RG_STATUS_FAIL:
        case RG_STATUS_ERROR:
            c.outcome = r->status == RG_STATUS_FAIL ? RG_JUNIT_FAILURE : RG_JUNIT_ERROR;
            c.message = r->message;
            c.type = rg_level_name(r->level);
            c.text = text = result_text(r, details);
            if (!text)
                b.failed = 1;
            break;
        case RG_STATUS_SKIP:
        case RG_STATUS_WAIVED:
            c.outcome = RG_JUNIT_SKIPPED;
            rg_strbuf_printf(&waived, "%s%s", r->status == RG_STATUS_WAIVED ? "waived: " : "", r->message ? r->message : "");
            c.message = waived.data ? waived.data : "";
            break;
        case RG_STATUS_WARN: /* passes, with the warning where CI shows test output */
            text = result_text(r, NULL);
            rg_strbuf_printf(&waived, "warning: %s", text ? text : "");
            c.out = waived.data ? waived.data : "warning";
            break;
        default:
            break;
        }
        rg_junit_case_write(&b, &c);
        if (case_name.failed || waived.failed)
            b.failed = 1;
        free(case_name.data);
        free(waived.data);
        free(text);
        free(details);
    }
    rg_junit_suite_end(&b);
    rg_junit_end(&b);
    free(suite);
    free(cls);
    return rg_strbuf_finish(&b);
}

char *rg_error_to_junit(const rg_error *err, int64_t now)
{
    rg_strbuf b = {0}, text = {0};
    rg_junit_totals t = {1, 0, 1, 0, 0};
    rg_junit_case c = {0};
    rg_strbuf_puts(&text, err->message);
    if (err->file[0]) {
        rg_strbuf_printf(&text, "\nat %s", err->file);
        if (err->line > 0)
            rg_strbuf_printf(&text, ":%d", err->line);
    }
    for (int i = 1; i < err->problem_count; i++) {
        rg_strbuf_puts(&text, "\n");
        rg_strbuf_puts(&text, err->problems[i]);
    }
    c.name = "gate";
    c.classname = "relgate";
    c.outcome = RG_JUNIT_ERROR;
    c.message = err->message;
    c.type = rg_error_kind_name(err->kind);
    c.text = text.data ? text.data : err->message;
    rg_junit_begin(&b, "relgate", &t);
    rg_junit_suite_begin(&b, 0, "relgate: the gate could not be evaluated", "relgate", &t, now, NULL, 0);
    rg_junit_case_write(&b, &c);
    rg_junit_suite_end(&b);
    rg_junit_end(&b);
    if (text.failed)
        b.failed = 1;
    free(text.data);
    return rg_strbuf_finish(&b);
}
