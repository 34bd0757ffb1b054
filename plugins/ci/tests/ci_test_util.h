/* Helpers for the ci plugin's tests: the shared ones of tests/support/rgtest.h (temporary
 * release contexts, running a check through its descriptor the way the engine does,
 * reading files, details by dotted path), bound to ci.status. */
#ifndef CI_TEST_UTIL_H
#define CI_TEST_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "plugin_host.h"
#include "rgtest.h"

const rg_plugin *relgate_plugin_entry(void);

/* A fresh temporary directory (heap path; remove it with ci_rmtree, then free it). */
#define ci_tmpdir() rgt_tmpdir("relgate-ci-test")
#define ci_rmtree rgt_rmtree

/* Write TEXT (LEN bytes; strlen when LEN is (size_t)-1) to DIR/NAME. */
#define ci_write rgt_write

/* The whole file at PATH (heap, NUL-terminated; *LEN set), or NULL. */
#define ci_slurp rgt_slurp

/* Write DIR/release.json naming COMMIT (NULL: none) and the evidence EVIDENCE_JSON (an
 * object's members, e.g. "\"ci\": \"ci.json\""), and load it.  Free with rg_context_free. */
static inline rg_context *ci_context(const char *dir, const char *commit, const char *evidence_json)
{
    return rgt_release(dir, commit, evidence_json, NULL);
}

/* Run ci.status with PARAMS_JSON (a JSON object: checked and defaulted as a policy's
 * `with` would be) on CTX at NOW.  Returns 0, or -1 when the parameters are refused (the
 * engine would not run the check); OUT is then untouched. */
static inline int ci_run(const char *params_json, const rg_context *ctx, int64_t now, rg_check_result *out)
{
    return rgt_run_check(rgt_find_check(relgate_plugin_entry(), "ci.status"), params_json, 0, ctx, now, 0, out);
}

/* The details member at a dotted PATH ("totals.failing", "failing.0.name"), and
 * shorthands over it: a number (fails the test when absent), a string (NULL when
 * absent), an array's size (0 when absent). */
#define ci_detail rgt_detail
#define ci_detail_number rgt_detail_number
#define ci_detail_string rgt_detail_string
#define ci_detail_size rgt_detail_size

#endif
