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
    cJSON *spec;  /* policy, context, stage, type, now, mocks, real, expect */
    int mock_fns; /* registry reference (in the test file's sandbox) to the mocks that
                   * are functions, by check name; LUA_NOREF when none */
} rg_test_case;

/* rg_test_status is public (relgate.h), and so are the cases (rg_tests) and their
 * outcomes (rg_test_outcome); this is the engine's side. */
typedef struct rg_test_result {
    rg_test_status status;
    cJSON *problems;  /* strings: what differed, or why the test could not run */
    cJSON *trace;     /* strings: the decision, one line per requirement ("id: status:
                       * message") and per check call, for --verbose; may stay NULL */
} rg_test_result;

struct rg_sandbox;

/* Run the test file at PATH in a sandbox and collect its cases (free with
 * rg_test_cases_free).  *SB receives that sandbox, kept for the cases' function mocks
 * (free it with rg_sandbox_free after them).  Returns 0, or -1 with ERR when the file
 * does not load. */
int rg_tests_load(const char *path, const rg_limits *limits, rg_test_case **cases, size_t *count,
                  struct rg_sandbox **sb, rg_error *err);
void rg_test_cases_free(rg_test_case *cases, size_t count);

/* Run one case: load its policy with PLUGINS (for parameter checks; plugin checks do not
 * run: their results come from the case's mocks, unless it names them real), evaluate
 * its context, compare with its expect.  SB: the test file's sandbox (function mocks run
 * in it).  COVERAGE (may be NULL) gathers, per policy file, the requirement x release
 * type x stage triples exercised.  OUT->problems and OUT->trace are freed by the caller. */
void rg_test_run(const rg_test_case *tc, struct rg_sandbox *sb, const rg_plugins *plugins,
                 const rg_limits *limits, cJSON *coverage, rg_test_result *out);

#endif
