/* Helpers for the security plugin's tests: the shared ones of tests/support/rgtest.h
 * (temporary releases, running a check through its descriptor as the engine does,
 * reading files and details), bound to security.scan. */
#ifndef SEC_TEST_H
#define SEC_TEST_H

#include <stddef.h>
#include <stdint.h>

#include "plugin_host.h"
#include "rgtest.h"

const rg_plugin *relgate_plugin_entry(void);

/* 2025-06-10T12:00:00Z, the clock of most tests. */
#define SEC_NOW INT64_C(1749556800)

/* A fresh temporary directory (heap path: sec_rmtree it, then free it). */
#define sec_tmpdir() rgt_tmpdir("relgate-security-test")
#define sec_rmtree rgt_rmtree

/* Write TEXT (LEN bytes, or strlen when LEN is (size_t)-1) to DIR/NAME. */
#define sec_write rgt_write

/* The whole file at PATH (heap, NUL-terminated, *LEN set), or NULL. */
#define sec_slurp rgt_slurp

/* Copy SRC to DIR/NAME: sec_copy(dir, name, src). */
#define sec_copy rgt_copy

/* Write DIR/release.json with release.commit COMMIT (NULL: none) and the evidence
 * members EVIDENCE ("\"a\": \"a.json\", ..."), and load it (free with rg_context_free). */
static inline rg_context *sec_context(const char *dir, const char *commit, const char *evidence)
{
    return rgt_release(dir, commit, evidence, NULL);
}

/* Run security.scan with PARAMS (a JSON object, checked and defaulted as the engine
 * does) on CTX at NOW with an evidence cap of MAX bytes (0: 64 MiB).  Returns 0, or -1
 * when the engine would refuse the parameters (OUT untouched). */
static inline int sec_run(const char *params, const rg_context *ctx, int64_t now, size_t max, rg_check_result *out)
{
    return rgt_run_check(rgt_find_check(relgate_plugin_entry(), "security.scan"), params, 0, ctx, now, max, out);
}

/* Details at a dotted path ("counts.high", "worst.0.id"): the node, a number (the test
 * fails when absent), a string (NULL when absent or null), an array's size (0 absent). */
#define sec_detail rgt_detail
#define sec_num rgt_detail_number
#define sec_str rgt_detail_string
#define sec_size rgt_detail_size

/* The path of a test data file (a rotating static buffer). */
#define sec_data(name) rgt_path(SEC_TEST_DATA, (name))

#endif
