/* Policy tests: loading test files and running their cases. */
#ifndef RG_POLICYTEST_H
#define RG_POLICYTEST_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "relgate/relgate.h"

typedef struct rg_test_case {
    char *name;
    char *file;   /* the test file */
    int line;     /* where the case is declared */
    cJSON *spec;  /* policy, context, stage, type, now, mocks, expect */
} rg_test_case;

/* rg_test_status is public (relgate.h), and so are the cases (rg_tests) and their
 * outcomes (rg_test_outcome); this is the engine's side. */
typedef struct rg_test_result {
    rg_test_status status;
    cJSON *problems;  /* strings: what differed, or why the test could not run */
} rg_test_result;

/* Run the test file at PATH in a sandbox and collect its cases (free with
 * rg_test_cases_free).  Returns 0, or -1 with ERR when the file does not load. */
int rg_tests_load(const char *path, const rg_limits *limits, rg_test_case **cases, size_t *count,
                  rg_error *err);
void rg_test_cases_free(rg_test_case *cases, size_t count);

/* Run one case: load its policy with PLUGINS (for parameter checks; plugin checks do not
 * run: their results come from the case's mocks), evaluate its context, compare with
 * its expect.  COVERAGE (may be NULL) gathers, per policy file, the requirement x release
 * type pairs exercised.  OUT->problems is freed by the caller. */
void rg_test_run(const rg_test_case *tc, const rg_plugins *plugins, const rg_limits *limits,
                 cJSON *coverage, rg_test_result *out);

#endif
