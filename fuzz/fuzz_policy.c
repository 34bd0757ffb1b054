/* rg_policy_load over arbitrary Lua text written to a private directory (which also
 * holds a copy of policies/ and policies/lib, so `require "lib.fields"` and
 * `extends "octoacme"` resolve, and a context with
 * evidence files).  Limits are small, so runaway policies end as limit errors: 200,000
 * instructions, 16 MiB, 2 s.  The built-in plugins are loaded when found, so plugin
 * checks and their parameters are validated too.  A policy that loads is linted, and
 * evaluated when none of its requirements is a plugin check (those would fork). */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "context.h"
#include "decision.h"
#include "fuzz.h"
#include "policy.h"
#include "render.h"

#ifndef FUZZ_SOURCE_ROOT
#define FUZZ_SOURCE_ROOT "."
#endif
#ifndef FUZZ_PLUGIN_DIRS
#define FUZZ_PLUGIN_DIRS ""
#endif

static const char CONTEXT[] =
    "{\n"
    "  \"release\": {\"name\": \"payments-api\", \"version\": \"2.4.0\", \"previous_version\": \"2.3.8\",\n"
    "    \"type\": \"minor\", \"commit\": \"8c4e2d19a07b3f5e6c1d8a9b2e4f70c3d5a6b8e1\", \"author\": \"mkhan\",\n"
    "    \"scheduled_at\": \"2025-06-10T13:00:00Z\", \"ticket\": \"REL-1190\"},\n"
    "  \"stage\": \"pre-release\",\n"
    "  \"approvals\": [{\"user\": \"rjones\", \"role\": \"qa\", \"state\": \"approved\", \"at\": \"2025-06-10T07:55:21Z\"}],\n"
    "  \"changes\": [{\"id\": \"#4380\", \"title\": \"Partial refunds\", \"merged\": true, \"acceptance_criteria_met\": true}],\n"
    "  \"deployment\": {\"window\": {\"start\": \"2025-06-10T13:00:00Z\", \"end\": \"2025-06-10T15:00:00Z\"}, \"pipeline\": \"automated\"},\n"
    "  \"evidence\": {\"release_notes\": \"RELEASE_NOTES.md\", \"rollback_plan\": \"ROLLBACK.md\", \"ci\": \"ci.json\"},\n"
    "  \"waivers\": [{\"requirement\": \"x\", \"reason\": \"r\", \"approver\": \"rjones\", \"ticket\": \"T-1\", \"expires\": \"2099-01-01T00:00:00Z\"}]\n"
    "}\n";

static int ready;
static char policy_path[4200];
static rg_limits limits;
static rg_plugins *plugins;
static rg_context *ctx;

static void copy_dir_lua(const char *from, const char *to)
{
    DIR *d = opendir(from);
    struct dirent *e;
    mkdir(to, 0700);
    while (d && (e = readdir(d)) != NULL) {
        char src[8192], dst[8192], buf[65536];
        size_t n = strlen(e->d_name), len;
        FILE *f;
        if (n < 5 || strcmp(e->d_name + n - 4, ".lua") != 0)
            continue;
        snprintf(src, sizeof src, "%s/%s", from, e->d_name);
        snprintf(dst, sizeof dst, "%s/%s", to, e->d_name);
        if (!(f = fopen(src, "rb")))
            continue;
        len = fread(buf, 1, sizeof buf, f);
        fclose(f);
        fuzz_write(dst, buf, len);
    }
    if (d)
        closedir(d);
}

static void init(void)
{
    const char *dir = fuzz_workdir();
    char path[4400], lib[4400];
    rg_error err = {0};
    rg_context_options opt;

    limits = rg_limits_default();
    limits.max_instructions = 200000;
    limits.max_memory = 16u << 20;
    limits.timeout = 2.0;
    limits.max_policy_bytes = 256u << 10;
    limits.max_evidence_bytes = 1u << 16;
    limits.max_requirements = 64;
    limits.jobs = 1;
    snprintf(policy_path, sizeof policy_path, "%s/policy.lua", dir);
    snprintf(lib, sizeof lib, "%s/lib", dir);
    copy_dir_lua(FUZZ_SOURCE_ROOT "/policies/lib", lib);
    copy_dir_lua(FUZZ_SOURCE_ROOT "/policies", dir); /* for extends "octoacme" */
    snprintf(path, sizeof path, "%s/RELEASE_NOTES.md", dir);
    fuzz_write_text(path, "# Notes\n\n## Known issues\n\nNone.\n");
    snprintf(path, sizeof path, "%s/ROLLBACK.md", dir);
    fuzz_write_text(path, "# Rollback\n\nTarget: 2.3.8\n");
    snprintf(path, sizeof path, "%s/ci.json", dir);
    fuzz_write_text(path, "{\"check_runs\": []}\n");
    snprintf(path, sizeof path, "%s/context.json", dir);
    fuzz_write_text(path, CONTEXT);
    memset(&opt, 0, sizeof opt);
    opt.limits = &limits;
    ctx = rg_context_load(path, &opt, &err);
    if (!ctx) {
        fprintf(stderr, "fuzz_policy: the fixed context does not load: %s\n", err.message);
        fuzz_fail("fixed context");
    }
    rg_error_clear(&err);
    /* The built-in plugins, when this build has them (FUZZ_PLUGIN_DIRS: colon-separated). */
    {
        char dirs_text[8192];
        const char *dirs[8];
        size_t n = 0;
        snprintf(dirs_text, sizeof dirs_text, "%s", FUZZ_PLUGIN_DIRS);
        for (char *tok = strtok(dirs_text, ":"); tok && n < 8; tok = strtok(NULL, ":"))
            dirs[n++] = tok;
        if (n) {
            plugins = rg_plugins_load(dirs, n, 0, &err);
            if (!plugins)
                fprintf(stderr, "fuzz_policy: plugins not loaded (%s): plugin checks will be unknown\n",
                        err.message);
            rg_error_clear(&err);
        }
    }
    ready = 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rg_error err = {0};
    rg_policy *pol;
    cJSON *problems;

    if (!ready)
        init();
    fuzz_write(policy_path, data, size);
    pol = rg_policy_load_with_plugins(policy_path, &limits, 1749564000, plugins, &err);
    if (pol) {
        int plugin_checks = 0;
        for (size_t i = 0; i < pol->count; i++)
            plugin_checks |= pol->reqs[i].plugin_check != NULL;
        if (!plugin_checks) {
            rg_error eerr = {0};
            rg_decision *d = rg_evaluate(pol, ctx, &eerr);
            if (d) {
                rg_text_style style = {0, 1};
                free(rg_decision_to_json(d));
                free(rg_decision_to_text(d, &style));
                free(rg_decision_to_markdown(d));
                free(rg_decision_to_junit(d));
                free(rg_decision_to_github(d, NULL));
                rg_decision_free(d);
            } else {
                free(rg_error_to_json(&eerr, 0));
            }
            rg_error_clear(&eerr);
        }
        rg_policy_free(pol);
    } else {
        if (err.kind == RG_ERROR_NONE)
            fuzz_fail("rg_policy_load failed without saying why");
        if (getenv("FUZZ_VERBOSE"))
            fprintf(stderr, "policy: %s: %s\n", rg_error_kind_name(err.kind), err.message);
        free(rg_error_to_json(&err, 0));
    }
    rg_error_clear(&err);
    problems = cJSON_CreateArray();
    if (rg_policy_lint_json(policy_path, &limits, plugins, problems, &err) < 0 && err.kind == RG_ERROR_NONE)
        fuzz_fail("rg_policy_lint_json failed without saying why");
    cJSON_Delete(problems);
    rg_error_clear(&err);
    return 0;
}
