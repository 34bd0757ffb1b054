/* Helpers for the ci plugin's tests: temporary release contexts, running ci.status
 * through its descriptor the way the engine does, reading files. */
#ifndef CI_TEST_UTIL_H
#define CI_TEST_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "plugin_host.h"

#define assert_contains(hay, needle)                                                          \
    do {                                                                                      \
        const char *h_ = (hay), *n_ = (needle);                                               \
        if (!h_ || !strstr(h_, n_))                                                           \
            fail_msg("expected \"%s\" to contain \"%s\"", h_ ? h_ : "(null)", n_);            \
    } while (0)

/* A fresh temporary directory (heap path; remove it with ci_rmtree, then free it). */
char *ci_tmpdir(void);
void ci_rmtree(const char *dir);

/* Write TEXT (LEN bytes; strlen when LEN is (size_t)-1) to DIR/NAME. */
void ci_write(const char *dir, const char *name, const char *text, size_t len);

/* The whole file at PATH (heap, NUL-terminated; *LEN set), or NULL. */
char *ci_slurp(const char *path, size_t *len);

/* Write DIR/release.json naming COMMIT (NULL: none) and the evidence EVIDENCE_JSON (an
 * object's members, e.g. "\"ci\": \"ci.json\""), and load it.  Free with rg_context_free. */
rg_context *ci_context(const char *dir, const char *commit, const char *evidence_json);

/* Run ci.status with PARAMS_JSON (a JSON object: checked and defaulted as a policy's
 * `with` would be) on CTX at NOW.  Returns 0, or -1 when the parameters are refused (the
 * engine would not run the check); OUT is then untouched. */
int ci_run(const char *params_json, const rg_context *ctx, int64_t now, rg_check_result *out);

/* The details member at a dotted PATH ("totals.failing", "failing.0.name"). */
const cJSON *ci_detail(const rg_check_result *r, const char *path);

/* Shorthands over ci_detail: a number (fails the test when absent), a string (NULL when
 * absent), an array's size (0 when absent). */
double ci_detail_number(const rg_check_result *r, const char *path);
const char *ci_detail_string(const rg_check_result *r, const char *path);
int ci_detail_size(const rg_check_result *r, const char *path);

#endif
