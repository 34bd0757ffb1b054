/* Policy tests through the public API (relgate.h): the cases of a file, their outcomes
 * as strings, and the coverage report. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "policytest.h"
#include "sandbox.h"
#include "strbuf.h"

struct rg_tests {
    rg_test_case *cases;
    size_t count;
    rg_sandbox *sb;      /* the test file's: its function mocks run in it */
};

struct rg_test_coverage {
    cJSON *tree;     /* policy file -> requirement -> release type -> exercised */
};

rg_tests *rg_tests_load_file(const char *path, const rg_limits *limits, rg_error *err)
{
    rg_tests *t = calloc(1, sizeof *t);
    if (!t) {
        rg_fail(err, RG_ERROR_INTERNAL, NULL, 0, 0, "out of memory");
        return NULL;
    }
    if (rg_tests_load(path, limits, &t->cases, &t->count, &t->sb, err) != 0) {
        free(t);
        return NULL;
    }
    return t;
}

void rg_tests_free(rg_tests *tests)
{
    if (!tests)
        return;
    rg_test_cases_free(tests->cases, tests->count);
    rg_sandbox_free(tests->sb);
    free(tests);
}

size_t rg_tests_count(const rg_tests *tests)
{
    return tests ? tests->count : 0;
}

const char *rg_tests_name(const rg_tests *tests, size_t i)
{
    return tests && i < tests->count ? tests->cases[i].name : NULL;
}

const char *rg_tests_file(const rg_tests *tests, size_t i, int *line)
{
    if (!tests || i >= tests->count)
        return NULL;
    if (line)
        *line = tests->cases[i].line;
    return tests->cases[i].file;
}

void rg_test_outcome_clear(rg_test_outcome *outcome)
{
    for (size_t i = 0; i < outcome->problem_count; i++)
        free(outcome->problems[i]);
    free(outcome->problems);
    outcome->problems = NULL;
    outcome->problem_count = 0;
    for (size_t i = 0; i < outcome->trace_count; i++)
        free(outcome->trace[i]);
    free(outcome->trace);
    outcome->trace = NULL;
    outcome->trace_count = 0;
}

/* LIST's strings as a heap array into *OUT (*COUNT of them); 0, or -1 when one was lost. */
static int strings_of(const cJSON *list, char ***out, size_t *count)
{
    const cJSON *p;
    size_t n = 0;
    *out = calloc((size_t)cJSON_GetArraySize(list) + 1, sizeof **out);
    cJSON_ArrayForEach(p, list) {
        const char *text = cJSON_GetStringValue(p);
        if (*out && ((*out)[n] = strdup(text ? text : "?")) != NULL)
            n++;
    }
    *count = n;
    return n < (size_t)cJSON_GetArraySize(list) ? -1 : 0;
}

void rg_tests_run(const rg_tests *tests, size_t i, const rg_plugins *plugins, const rg_limits *limits,
                  rg_test_coverage *coverage, rg_test_outcome *out)
{
    rg_test_result r = {RG_TEST_ERROR, NULL, NULL};

    memset(out, 0, sizeof *out);
    out->status = RG_TEST_ERROR;
    if (!tests || i >= tests->count)
        return;
    rg_test_run(&tests->cases[i], tests->sb, plugins, limits, coverage ? coverage->tree : NULL, &r);
    out->status = r.status;
    /* A problem lost to memory must not turn a failure into a pass. */
    if (strings_of(r.problems, &out->problems, &out->problem_count) != 0 && out->status == RG_TEST_PASS)
        out->status = RG_TEST_ERROR;
    strings_of(r.trace, &out->trace, &out->trace_count);
    cJSON_Delete(r.problems);
    cJSON_Delete(r.trace);
}

rg_test_coverage *rg_test_coverage_new(void)
{
    rg_test_coverage *c = calloc(1, sizeof *c);
    if (c && !(c->tree = cJSON_CreateObject())) {
        free(c);
        return NULL;
    }
    return c;
}

void rg_test_coverage_free(rg_test_coverage *coverage)
{
    if (!coverage)
        return;
    cJSON_Delete(coverage->tree);
    free(coverage);
}

char *rg_test_coverage_report(const rg_test_coverage *coverage, int *missing)
{
    const cJSON *policy, *req, *cell;
    rg_strbuf out = {0};
    int count = 0;

    rg_strbuf_add(&out, "", 0);   /* "" rather than NULL when there is nothing to say */
    cJSON_ArrayForEach(policy, coverage->tree) {
        int here = 0, cells = 0, done = 0;
        cJSON_ArrayForEach(req, policy) {
            rg_strbuf which = {0};
            cJSON_ArrayForEach(cell, req) {
                cells++;
                done += cJSON_IsTrue(cell);
                if (cJSON_IsFalse(cell)) {
                    rg_strbuf_printf(&which, "%s%s", which.len ? ", " : "", cell->string);
                }
            }
            if (which.len) {
                if (!here++)
                    rg_strbuf_printf(&out, "coverage: %s: not exercised by any test:\n", policy->string);
                rg_strbuf_printf(&out, "  %s (%s)\n", req->string, which.data);
                count++;
            }
            free(which.data);
        }
        if (!here)
            rg_strbuf_printf(&out, "coverage: %s: every requirement exercised for every release type and stage it "
                                   "applies to\n", policy->string);
        rg_strbuf_printf(&out, "coverage: %s: %d of %d requirement x type x stage cells exercised (%.1f%%)\n",
                         policy->string, done, cells, cells ? 100.0 * done / cells : 100.0);
    }
    if (missing)
        *missing = count;
    return rg_strbuf_finish(&out);
}

double rg_test_coverage_percent(const rg_test_coverage *coverage)
{
    const cJSON *policy, *req, *cell;
    int cells = 0, done = 0;
    cJSON_ArrayForEach(policy, coverage->tree)
        cJSON_ArrayForEach(req, policy)
            cJSON_ArrayForEach(cell, req) {
                cells++;
                done += cJSON_IsTrue(cell);
            }
    return cells ? 100.0 * done / cells : 100.0;
}
