/* Test support for the backup plugin: a temporary directory per test holding a
 * release context and its evidence, and backup.present run through the descriptor. */
#ifndef BK_TEST_SUPPORT_H
#define BK_TEST_SUPPORT_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <cjson/cJSON.h>

#include "plugin_host.h"
#include "rgtest.h"

#define NOW_20250610_0900 INT64_C(1749546000) /* 2025-06-10T09:00:00Z, the peers' clock */

typedef struct fixture {
    char dir[4096];
    cJSON *evidence;          /* name -> path relative to DIR */
    rg_check_result result;   /* of the last fx_run */
    const char *evidence_root;/* --evidence-root for the context, or NULL: its directory */
} fixture;

/* cmocka setup/teardown: *STATE becomes a fixture with a fresh directory; teardown
 * removes it and all it holds. */
int fx_setup(void **state);
int fx_teardown(void **state);

/* Write LEN bytes of DATA (or the text TEXT) to REL under the fixture (parents created). */
#define fx_write(fx, rel, data, len) rgt_write((fx)->dir, (rel), (data), (len))
#define fx_puts(fx, rel, text) rgt_write((fx)->dir, (rel), (text), RGT_TEXT)
/* Copy the file SRC (absolute) to REL. */
#define fx_copy(fx, rel, src) rgt_copy((fx)->dir, (rel), (src))
/* Copy tests/data/NAME to REL and declare it as evidence EVNAME. */
void fx_data(fixture *fx, const char *evname, const char *name, const char *rel);
/* Declare evidence NAME at REL (which need not exist). */
void fx_evidence(fixture *fx, const char *name, const char *rel);
/* Set REL's modification time. */
void fx_mtime(fixture *fx, const char *rel, int64_t mtime);
/* Absolute path of REL into BUF. */
const char *fx_path(fixture *fx, const char *rel, char *buf, size_t size);

/* The backup.present check from the plugin's descriptor. */
const rg_check *fx_check(void);

/* Run backup.present with the parameters PARAMS_JSON (an object, as a policy's `with`:
 * validated, normalised and defaulted as the engine does) at clock NOW.  The result
 * stays in fx->result (freed by the next run and by teardown); returns its status. */
rg_check_status fx_run(fixture *fx, const char *params_json, int64_t now);

/* A node of the last result's details by dotted path ("chosen.id", "skipped.0.reason"),
 * or NULL; a string there and a number there (the test fails when there is none). */
#define fx_detail(fx, path) rgt_detail(&(fx)->result, (path))
const char *fx_detail_string(fixture *fx, const char *path);
#define fx_detail_number(fx, path) rgt_detail_number(&(fx)->result, (path))

/* Assert the last result: STATUS, and a message containing NEEDLE (NULL: any). */
#define assert_result(fx, st, needle) fx_assert_result((fx), (st), (needle), __FILE__, __LINE__)
void fx_assert_result(fixture *fx, rg_check_status st, const char *needle, const char *file, int line);

/* The test data folder (tests/data) and the corpus folder (may not exist). */
const char *fx_data_dir(void);

/* Read a whole file into a heap buffer (caller frees), or NULL. */
#define fx_slurp rgt_slurp

#endif
