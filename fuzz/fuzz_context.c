/* rg_context_parse over arbitrary bytes.  A context that loads is then evaluated by a
 * fixed policy that reads every field through the policy library (semver, time,
 * markdown, json, approvals, find) and has a waivable requirement that fails, so the
 * context's waivers are judged; the decision is rendered in every format. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "context.h"
#include "decision.h"
#include "fuzz.h"
#include "plugin_host.h"
#include "policy.h"
#include "render.h"

static const char POLICY[] =
    "policy { name = \"fuzz-context\", version = \"1.0.0\", description = \"reads everything\" }\n"
    "local ALL = { \"patch\", \"minor\", \"major\" }\n"
    "local STAGES = { \"pre-release\", \"deploy\", \"post-deploy\" }\n"
    "local function try(f, ...) local ok, v = pcall(f, ...) if ok then return v end end\n"
    "local function visit(v, depth, out)\n"
    "  if depth > 12 or out.n > 400 then return end\n"
    "  out.n = out.n + 1\n"
    "  local t = type(v)\n"
    "  if t == \"string\" then\n"
    "    local p = try(semver.parse, v)\n"
    "    if try(semver.valid, v) then try(semver.compare, v, \"1.0.0\"); try(semver.bump, \"1.0.0\", v) end\n"
    "    local when = try(time.parse, v)\n"
    "    if when then try(time.format, when) end\n"
    "    if #v < 4096 then try(markdown.sections, v); try(markdown.is_blank, v); try(markdown.section, v, \"Rollback\") end\n"
    "    try(json.decode, v)\n"
    "    out.s = out.s + #v\n"
    "  elseif t == \"table\" then\n"
    "    for k, x in pairs(v) do visit(k, depth + 1, out); visit(x, depth + 1, out) end\n"
    "    local _ = #v\n"
    "    for _, x in ipairs(v) do out.n = out.n + 1 end\n"
    "  elseif t == \"number\" then\n"
    "    out.s = out.s + (v == v and 1 or 0)\n"
    "  end\n"
    "end\n"
    "requirement \"reads-everything\" {\n"
    "  title = \"Reads every field\", hint = \"none\", types = ALL, stages = STAGES, level = \"mandatory\",\n"
    "  check = function(ctx)\n"
    "    local out = { n = 0, s = 0 }\n"
    "    visit(ctx, 0, out)\n"
    "    try(approvals.list, ctx); try(approvals.by_role, ctx, \"qa\"); try(approvals.find, ctx, \"release-manager\")\n"
    "    try(find, ctx.changes or {}, { merged = true })\n"
    "    try(filter, ctx.approvals or {}, { state = \"approved\" })\n"
    "    if ctx.evidence then for name in pairs(ctx.evidence) do try(evidence.exists, name); try(evidence.read, name) end end\n"
    "    return pass(\"visited \" .. out.n, { n = out.n, s = out.s })\n"
    "  end,\n"
    "}\n"
    "requirement \"needs-waiver\" {\n"
    "  title = \"Fails unless waived\", hint = \"waive it\", types = ALL, stages = STAGES, level = \"waivable\",\n"
    "  check = function(ctx) return fail(\"waive me\", { version = ctx.release and ctx.release.version }) end,\n"
    "}\n"
    "requirement \"advice\" {\n"
    "  title = \"Warns\", hint = \"none\", types = ALL, stages = STAGES, level = \"advisory\",\n"
    "  check = function(ctx) return warn(\"advice\") end,\n"
    "}\n";

static char context_path[4200];
static rg_policy *policy;
static rg_limits limits;

static void init(void)
{
    const char *dir = fuzz_workdir();
    char policy_path[4200];
    rg_error err = {0};
    limits = rg_limits_default();
    limits.max_instructions = 2000000;
    limits.max_memory = 64u << 20;
    limits.timeout = 5.0;
    limits.max_evidence_bytes = 1u << 16;
    snprintf(policy_path, sizeof policy_path, "%s/fuzz-context.lua", dir);
    snprintf(context_path, sizeof context_path, "%s/context.json", dir);
    fuzz_write_text(policy_path, POLICY);
    /* Evidence the contexts may name (the examples' names): small files of each kind. */
    {
        static const char *const files[][2] = {
            {"RELEASE_NOTES.md", "# Release notes\n\n## Known issues\n\nNone.\n"},
            {"ROLLBACK.md", "# Rollback\n\n## Target\n\n1.3.2\n"},
            {"smoke-tests.md", "# Smoke tests\n\n- [x] login\n"},
            {"ci-check-runs.json", "{\"total_count\": 0, \"check_runs\": []}\n"},
            {"trivy.sarif", "{\"version\": \"2.1.0\", \"runs\": []}\n"},
        };
        char path[4400];
        for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
            snprintf(path, sizeof path, "%s/%s", dir, files[i][0]);
            fuzz_write_text(path, files[i][1]);
        }
    }
    policy = rg_policy_load(policy_path, &limits, 1749564000 /* 2025-06-10T14:00:00Z */, &err);
    if (!policy) {
        fprintf(stderr, "fuzz_context: the fixed policy does not load: %s\n", err.message);
        fuzz_fail("fixed policy");
    }
    rg_error_clear(&err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text;
    rg_error err = {0};
    rg_context_options opt;
    rg_context *ctx;

    if (!policy)
        init();
    text = fuzz_text(data, size);
    memset(&opt, 0, sizeof opt);
    opt.limits = &limits;
    ctx = rg_context_parse(text, size, "context.json", context_path, &opt, &err);
    if (ctx) {
        rg_decision *d;
        rg_error eerr = {0};
        (void)rg_context_string(ctx, "release.commit");
        (void)rg_context_string(ctx, "release.author");
        d = rg_evaluate(policy, ctx, &eerr);
        if (d) {
            rg_text_style style = {1, 1};
            free(rg_decision_to_json(d));
            free(rg_decision_to_text(d, &style));
            free(rg_decision_to_markdown(d));
            free(rg_decision_to_junit(d));
            free(rg_decision_to_github(d, NULL));
            rg_decision_free(d);
        } else {
            if (getenv("FUZZ_VERBOSE"))
                fprintf(stderr, "evaluate: %s\n", eerr.message);
            free(rg_error_to_json(&eerr, 0));
        }
        rg_error_clear(&eerr);
        rg_context_free(ctx);
    } else {
        if (err.kind == RG_ERROR_NONE)
            fuzz_fail("rg_context_parse failed without saying why");
        if (getenv("FUZZ_VERBOSE"))
            fprintf(stderr, "context: %s: %s\n", rg_error_kind_name(err.kind), err.message);
        free(rg_error_to_json(&err, 0));
    }
    rg_error_clear(&err);
    free(text);
    return 0;
}
