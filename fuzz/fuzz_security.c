/* The security plugin's report readers over arbitrary bytes: report_read forced to
 * FUZZ_FORMAT (FMT_SARIF, FMT_TRIVY, FMT_GRYPE or FMT_GITLAB; one target each), then
 * again detecting the format, with a few ignore entries (active, expired, malformed)
 * so findings are matched against them.  What the readers report is then read back. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "report.h"

#ifndef FUZZ_FORMAT
#define FUZZ_FORMAT SEC_FMT_AUTO
#endif

static const char *const IGNORES[] = {
    "CVE-2021-44228: 2099-12-31: fuzzing, active",
    "GHSA-jfh8-c2jp-5v3q: 2000-01-01: fuzzing, expired",
    "CVE-2023-0001: not a date: malformed",
    "go/sql-injection: 2099-12-31: a rule id",
};
#define NIGNORES (sizeof IGNORES / sizeof IGNORES[0])

static void check_info(const sec_info *info, const sec_scan *s)
{
    if (strnlen(info->variant, sizeof info->variant) == sizeof info->variant ||
        strnlen(info->tool, sizeof info->tool) == sizeof info->tool ||
        strnlen(info->time_text, sizeof info->time_text) == sizeof info->time_text ||
        strnlen(info->incomplete, sizeof info->incomplete) == sizeof info->incomplete)
        fuzz_fail("an rinfo string is not terminated");
    if (info->commit_count > SEC_COMMIT_MAX)
        fuzz_fail("rinfo.commit_count above COMMIT_MAX");
    for (size_t i = 0; i < info->commit_count; i++)
        if (strnlen(info->commits[i], sizeof info->commits[i]) == sizeof info->commits[i])
            fuzz_fail("an rinfo commit is not terminated");
    if (s->worst_count > SEC_WORST_MAX)
        fuzz_fail("scan.worst_count above WORST_MAX");
    for (size_t i = 0; i < s->worst_count; i++) {
        const sec_kept *k = &s->worst[i];
        size_t n = 0;
        if (k->severity >= SEC_SEV_COUNT)
            fuzz_fail("a kept finding has no severity");
        n += k->id ? strlen(k->id) : 0;
        n += k->kind ? strlen(k->kind) : 0;
        n += k->package ? strlen(k->package) : 0;
        n += k->version ? strlen(k->version) : 0;
        n += k->file ? strlen(k->file) : 0;
        n += k->target ? strlen(k->target) : 0;
        n += k->title ? strlen(k->title) : 0;
        (void)n;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static sec_ignore ign[NIGNORES];
    char *text = fuzz_text(data, size);
    const sec_format formats[2] = {FUZZ_FORMAT, SEC_FMT_AUTO};
    sec_tally t[2], total;
    sec_scan s;

    for (size_t i = 0; i < NIGNORES; i++)
        sec_ignore_parse(IGNORES[i], 1749564000, &ign[i]);
    sec_scan_init(&s, ign, NIGNORES);
    memset(&total, 0, sizeof total);
    for (size_t i = 0; i < 2; i++) {
        sec_info info;
        char why[256] = "";
        memset(&t[i], 0, sizeof t[i]);
        memset(&info, 0, sizeof info);
        sec_scan_begin(&s, i, &t[i]);
        if (sec_report_read(text, size, formats[i], &s, &info, why, sizeof why) != 0) {
            if (!why[0])
                fuzz_fail("report_read failed without saying why");
            sec_scan_drop(&s, i);
        } else {
            sec_tally_merge(&total, &t[i]);
        }
        check_info(&info, &s);
        if (FUZZ_FORMAT == SEC_FMT_AUTO)
            break;
    }
    (void)sec_tally_findings(&total);
    sec_scan_free(&s);
    free(text);
    return 0;
}
