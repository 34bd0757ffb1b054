/* A plugin's check run in this process (rg_check_run_inline, as `relgate test` and the
 * plugin tests run it) over arbitrary bytes written to an evidence file: the parser and
 * everything the check judges after it.  FUZZ_PLUGIN picks the plugin linked in (1 ci,
 * 2 security, 3 backup); its parameters are fixed, validated as a policy's would be.
 * The result must survive the JSON round trip the isolated runner uses. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "context.h"
#include "fuzz.h"
#include "plugin_host.h"
#include "plugins.h"

const rg_plugin *relgate_plugin_entry(void);

#if FUZZ_PLUGIN == 1
#define EVIDENCE_FILE "report.json"
#define PARAMS "{\"reports\": [\"report\"], \"required\": [\"build\", \"unit-tests\"], \"max_age\": \"30d\"}"
#elif FUZZ_PLUGIN == 2
#define EVIDENCE_FILE "report.json"
#define PARAMS "{\"reports\": [\"report\"], \"ignore\": [\"CVE-2021-44228: 2099-12-31: fuzzing\", " \
               "\"CVE-2020-0001: 2001-01-01: expired\"], \"max_age\": \"30d\", \"require_commit_match\": true}"
#elif FUZZ_PLUGIN == 3
#define EVIDENCE_FILE "backup.json"
#define PARAMS "{\"backup\": \"report\", \"paths\": [\"/srv/data\", \"/etc\"], \"max_age\": \"30d\", " \
               "\"min_size\": 1, \"timezone\": \"+02:00\"}"
#else
#error "FUZZ_PLUGIN must be 1 (ci), 2 (security) or 3 (backup)"
#endif

static const rg_check *check;
static cJSON *params;
static rg_context *ctx;
static char evidence_path[4200];

static void init(void)
{
    const rg_plugin *p = relgate_plugin_entry();
    const char *dir = fuzz_workdir();
    char path[4200], why[512] = "", doc[1024];
    cJSON *given = cJSON_Parse(PARAMS);
    rg_error err = {0};

    if (!p || p->check_count < 1 || !given)
        fuzz_fail("no plugin check to run");
    check = &p->checks[0];
    params = rg_check_params(check, given, why, sizeof why);
    cJSON_Delete(given);
    if (!params) {
        fprintf(stderr, "fuzz_check: %s\n", why);
        fuzz_fail("fixed parameters refused");
    }
    snprintf(evidence_path, sizeof evidence_path, "%s/" EVIDENCE_FILE, dir);
    fuzz_write_text(evidence_path, "{}");
    snprintf(doc, sizeof doc,
             "{\"release\": {\"name\": \"svc\", \"version\": \"1.4.0\", \"type\": \"minor\","
             " \"commit\": \"8c4e2d19a07b3f5e6c1d8a9b2e4f70c3d5a6b8e1\"}, \"stage\": \"pre-release\","
             " \"evidence\": {\"report\": \"" EVIDENCE_FILE "\"}}");
    snprintf(path, sizeof path, "%s/context.json", dir);
    fuzz_write_text(path, doc);
    ctx = rg_context_load(path, NULL, &err);
    if (!ctx) {
        fprintf(stderr, "fuzz_check: %s\n", err.message);
        fuzz_fail("fixed context refused");
    }
    rg_error_clear(&err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rg_check_result r, back;
    char *json, why[256];

    if (!check)
        init();
    fuzz_write(evidence_path, data, size);
    memset(&r, 0, sizeof r);
    rg_check_run_inline(check, params, ctx, 1749564000, (size_t)1 << 22, &r);
    json = rg_check_result_to_json(&r);
    if (!json)
        fuzz_fail("a check result that does not print");
    memset(&back, 0, sizeof back);
    if (rg_check_result_from_json(json, strlen(json), &back, why, sizeof why) != 0) {
        fprintf(stderr, "fuzz_check: %s\n%s\n", why, json);
        fuzz_fail("a check result that does not read back");
    }
    if (back.status != r.status)
        fuzz_fail("a check result whose status changes on the round trip");
    rg_check_result_clear(&back);
    rg_check_result_clear(&r);
    free(json);
    return 0;
}
