/* Helpers for the security plugin's tests: temporary releases, running security.scan
 * through its descriptor as the engine does, reading files and details. */
#ifndef SEC_TEST_H
#define SEC_TEST_H

#include <stddef.h>
#include <stdint.h>

#include "plugin_host.h"

#define assert_contains(hay, needle)                                                        \
    do {                                                                                    \
        const char *h_ = (hay), *n_ = (needle);                                             \
        if (!h_ || !strstr(h_, n_))                                                         \
            fail_msg("expected \"%s\" to contain \"%s\"", h_ ? h_ : "(null)", n_);          \
    } while (0)

/* 2025-06-10T12:00:00Z, the clock of most tests. */
#define SEC_NOW INT64_C(1749556800)

/* A fresh temporary directory (heap path: sec_rmtree it, then free it). */
char *sec_tmpdir(void);
void sec_rmtree(const char *dir);

/* Write TEXT (LEN bytes, or strlen when LEN is (size_t)-1) to DIR/NAME. */
void sec_write(const char *dir, const char *name, const char *text, size_t len);

/* The whole file at PATH (heap, NUL-terminated, *LEN set), or NULL. */
char *sec_slurp(const char *path, size_t *len);

/* Copy SRC to DIR/NAME. */
void sec_copy(const char *dir, const char *name, const char *src);

/* Write DIR/release.json with release.commit COMMIT (NULL: none) and the evidence
 * members EVIDENCE ("\"a\": \"a.json\", ..."), and load it (free with rg_context_free). */
rg_context *sec_context(const char *dir, const char *commit, const char *evidence);

/* Run security.scan with PARAMS (a JSON object, checked and defaulted as the engine
 * does) on CTX at NOW with an evidence cap of MAX bytes (0: 64 MiB).  Returns 0, or -1
 * when the engine would refuse the parameters (OUT untouched). */
int sec_run(const char *params, const rg_context *ctx, int64_t now, size_t max, rg_check_result *out);

/* Details at a dotted path ("counts.high", "worst.0.id"): the node, a number (the test
 * fails when absent), a string (NULL when absent or null), an array's size (0 absent). */
const cJSON *sec_detail(const rg_check_result *r, const char *path);
double sec_num(const rg_check_result *r, const char *path);
const char *sec_str(const rg_check_result *r, const char *path);
int sec_size(const rg_check_result *r, const char *path);

/* The path of a test data file (static buffer). */
const char *sec_data(const char *name);

#endif
