/* JUnit XML decisions, in the dialect GitLab and Jenkins read: <testsuites> with one
 * <testsuite> per decision and one <testcase> per requirement. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decision.h"
#include "render.h"
#include "rfc3339.h"
#include "strbuf.h"

static void suite_open(rg_strbuf *b, const rg_decision *d, const char *name, size_t tests, size_t failures,
                       size_t errors, size_t skipped, double seconds, int64_t when)
{
    char stamp[RG_RFC3339_BUFSIZE] = "";
    rg_rfc3339_format(when, stamp, sizeof stamp);
    if (stamp[0])
        stamp[strlen(stamp) - 1] = '\0'; /* JUnit's timestamp has no zone designator */
    rg_strbuf_printf(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                        "<testsuites name=\"relgate\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" "
                        "skipped=\"%zu\" time=\"%.6f\">\n  <testsuite name=\"",
                     tests, failures, errors, skipped, seconds);
    if (d) {
        /* Built in place, never cut: a fixed buffer could split a UTF-8 character. */
        rg_strbuf_puts(b, "relgate ");
        rg_strbuf_xml(b, d->release_name, 1);
        rg_strbuf_puts(b, " ");
        rg_strbuf_xml(b, d->release_version, 1);
        rg_strbuf_printf(b, " (%s) at %s", rg_release_type_name(d->type), rg_stage_name(d->stage));
    } else {
        rg_strbuf_xml(b, name, 1);
    }
    rg_strbuf_printf(b, "\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" skipped=\"%zu\" time=\"%.6f\" "
                        "timestamp=\"%s\" hostname=\"relgate\">\n",
                     tests, failures, errors, skipped, seconds, stamp);
}

static void property(rg_strbuf *b, const char *name, const char *value)
{
    rg_strbuf_printf(b, "      <property name=\"%s\" value=\"", name);
    rg_strbuf_xml(b, value ? value : "", 1);
    rg_strbuf_puts(b, "\"/>\n");
}

char *rg_decision_to_junit(const rg_decision *d)
{
    rg_strbuf b = {0};
    double total = 0;
    size_t skipped = d->summary[RG_STATUS_SKIP] + d->summary[RG_STATUS_WAIVED];

    for (size_t i = 0; i < d->count; i++)
        total += d->results[i].duration_ms / 1000.0;
    suite_open(&b, d, NULL, d->count, d->summary[RG_STATUS_FAIL], d->summary[RG_STATUS_ERROR], skipped,
               total, d->evaluated_at);
    rg_strbuf_puts(&b, "    <properties>\n");
    property(&b, "decision", rg_verdict_name(d->verdict));
    property(&b, "release", d->release_name);
    property(&b, "version", d->release_version);
    property(&b, "type", rg_release_type_name(d->type));
    property(&b, "stage", rg_stage_name(d->stage));
    property(&b, "policy", d->policy_name);
    property(&b, "policy_digest", d->policy_digest);
    rg_strbuf_puts(&b, "    </properties>\n");
    for (size_t i = 0; i < d->count; i++) {
        const rg_result *r = &d->results[i];
        char *details = r->details && r->details->child ? cJSON_PrintUnformatted(r->details) : NULL;
        rg_strbuf_puts(&b, "    <testcase name=\"");
        rg_strbuf_xml(&b, r->id, 1);
        rg_strbuf_puts(&b, ": ");
        rg_strbuf_xml(&b, r->title, 1);
        rg_strbuf_puts(&b, "\" classname=\"relgate.");
        rg_strbuf_xml(&b, d->policy_name, 1);
        rg_strbuf_printf(&b, ".%s", rg_stage_name(d->stage));
        rg_strbuf_printf(&b, "\" time=\"%.6f\"", r->duration_ms / 1000.0);
        if (r->status == RG_STATUS_PASS) {
            rg_strbuf_puts(&b, "/>\n");
            free(details);
            continue;
        }
        rg_strbuf_puts(&b, ">\n");
        if (r->status == RG_STATUS_FAIL || r->status == RG_STATUS_ERROR) {
            const char *tag = r->status == RG_STATUS_FAIL ? "failure" : "error";
            rg_strbuf_printf(&b, "      <%s message=\"", tag);
            rg_strbuf_xml(&b, r->message, 1);
            rg_strbuf_printf(&b, "\" type=\"%s\">", rg_level_name(r->level));
            rg_strbuf_xml(&b, r->message, 0);
            if (r->hint) {
                rg_strbuf_puts(&b, "\nHow to pass: ");
                rg_strbuf_xml(&b, r->hint, 0);
            }
            if (details) {
                rg_strbuf_puts(&b, "\nLooked at: ");
                rg_strbuf_xml(&b, details, 0);
            }
            rg_strbuf_printf(&b, "</%s>\n", tag);
        } else if (r->status == RG_STATUS_SKIP || r->status == RG_STATUS_WAIVED) {
            rg_strbuf_puts(&b, "      <skipped message=\"");
            if (r->status == RG_STATUS_WAIVED) rg_strbuf_puts(&b, "waived: ");
            rg_strbuf_xml(&b, r->message, 1);
            rg_strbuf_puts(&b, "\"/>\n");
        } else { /* warn: passes, with the warning where CI shows test output */
            rg_strbuf_puts(&b, "      <system-out>warning: ");
            rg_strbuf_xml(&b, r->message, 0);
            if (r->hint) {
                rg_strbuf_puts(&b, "\nHow to pass: ");
                rg_strbuf_xml(&b, r->hint, 0);
            }
            rg_strbuf_puts(&b, "</system-out>\n");
        }
        rg_strbuf_puts(&b, "    </testcase>\n");
        free(details);
    }
    rg_strbuf_puts(&b, "  </testsuite>\n</testsuites>\n");
    return rg_strbuf_finish(&b);
}

char *rg_error_to_junit(const rg_error *err, int64_t now)
{
    rg_strbuf b = {0};
    suite_open(&b, NULL, "relgate: the gate could not be evaluated", 1, 0, 1, 0, 0, now);
    rg_strbuf_printf(&b, "    <testcase name=\"gate\" classname=\"relgate\" time=\"0\">\n"
                         "      <error message=\"");
    rg_strbuf_xml(&b, err->message, 1);
    rg_strbuf_printf(&b, "\" type=\"%s\">", rg_error_kind_name(err->kind));
    rg_strbuf_xml(&b, err->message, 0);
    for (int i = 1; i < err->problem_count; i++) {
        rg_strbuf_puts(&b, "\n");
        rg_strbuf_xml(&b, err->problems[i], 0);
    }
    rg_strbuf_puts(&b, "</error>\n    </testcase>\n  </testsuite>\n</testsuites>\n");
    return rg_strbuf_finish(&b);
}
