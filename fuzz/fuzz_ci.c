/* The ci plugin's parsers over arbitrary bytes: ci_parse forced to FUZZ_FAMILY
 * (CI_GITHUB, CI_GITLAB or CI_JUNIT; one target each), then detecting the format; a
 * report that parses goes through what ci.status does next (keep the release's commit,
 * keep the latest of namesakes) and every item and case is read back.  The bytes are
 * also read as a Link header (a live listing's next page). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ci_parse.h"
#include "fuzz.h"
#include "link.h"

#ifndef FUZZ_FAMILY
#define FUZZ_FAMILY CI_ANY
#endif

static void check_report(ci_report *r)
{
    size_t n = 0;
    if (r->case_count > CI_CASES_MAX)
        fuzz_fail("ci_report.case_count above CI_CASES_MAX");
    if (r->count > r->cap)
        fuzz_fail("ci_report.count above its capacity");
    if (ci_report_only_commit(r, "8c4e2d19a07b3f5e6c1d8a9b2e4f70c3d5a6b8e1") < 0)
        fuzz_fail("ci_report_only_commit returned a negative count");
    if (ci_report_latest(r) < 0)
        fuzz_fail("ci_report_latest out of memory");
    for (size_t i = 0; i < r->count; i++) {
        const ci_item *it = &r->items[i];
        n += it->name ? strlen(it->name) : 0;
        n += it->kind ? strlen(it->kind) : 0;
        n += it->state ? strlen(it->state) : 0;
        n += it->sha ? strlen(it->sha) : 0;
        n += it->note ? strlen(it->note) : 0;
        if (it->state)
            (void)ci_state_failing(it->state), (void)ci_state_pending(it->state);
    }
    for (size_t i = 0; i < r->case_count; i++) {
        const ci_case *c = &r->cases[i];
        n += c->suite ? strlen(c->suite) : 0;
        n += c->name ? strlen(c->name) : 0;
        n += c->message ? strlen(c->message) : 0;
        n += c->kind ? strlen(c->kind) : 0;
    }
    (void)n;
}

/* The same bytes as a Link field (RFC 8288): a next link found is non-empty and fits. */
static void check_link(const char *text, size_t size)
{
    char next[512];
    int rc = ci_link_next(text, size, next, sizeof next);
    if (rc < -1 || rc > 1)
        fuzz_fail("ci_link_next returned neither -1, 0 nor 1");
    if (rc == 1 && (!next[0] || strlen(next) >= sizeof next))
        fuzz_fail("ci_link_next found an empty or overlong target");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_text(data, size);
    check_link(text, size);
    const ci_family families[2] = {FUZZ_FAMILY, CI_ANY};
    for (size_t i = 0; i < 2; i++) {
        ci_report r;
        char why[512] = "";
        if (ci_parse(text, size, families[i], 0, &r, why, sizeof why) == 0)
            check_report(&r);
        else if (!why[0])
            fuzz_fail("ci_parse failed without saying why");
        ci_report_free(&r);
        if (FUZZ_FAMILY == CI_ANY)
            break;
    }
    free(text);
    return 0;
}
