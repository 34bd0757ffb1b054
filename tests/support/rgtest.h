/* rgtest: what relgate's cmocka tests share (tests/unit and plugins/<name>/tests).
 *
 * - Files: temporary directories (created under $TMPDIR, removed recursively), paths
 *   joined in rotating buffers, files written with their parents, read and copied.
 * - The engine: a release context or a policy written from text into a directory and
 *   loaded; the fixture most unit tests use (a directory and what they load in it).
 * - Plugin checks: a release context naming evidence files, a check run inline with its
 *   parameters checked and defaulted as the engine does, its details by dotted path.
 *
 * The helpers fail the running test (cmocka's fail_msg) where a test could not go on. */
#ifndef RGTEST_H
#define RGTEST_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <limits.h>
#include <string.h>
#include <sys/types.h>

#include <cjson/cJSON.h>

#include "plugin_host.h"
#include "relgate/plugin.h"
#include "relgate/relgate.h"

#define assert_contains(hay, needle)                                                          \
    do {                                                                                      \
        const char *h_ = (hay), *n_ = (needle);                                               \
        if (!h_ || !strstr(h_, n_))                                                           \
            fail_msg("expected \"%s\" to contain \"%s\"", h_ ? h_ : "(null)", n_);            \
    } while (0)

/* snprintf that fails the test instead of truncating. */
__attribute__((format(printf, 3, 4))) void rgt_fmt(char *buf, size_t size, const char *format, ...);

/* In a forked child: cmocka's own crash handlers would carry on with the other tests;
 * give the crash signals back their defaults so that a crash kills the child and the
 * parent sees it. */
void rgt_child_defaults(void);

/* Wait up to SECONDS for the child PID to end, its status in *STATUS.  Returns 0, or -1
 * when it had not ended: it is then killed (and reaped). */
int rgt_wait_child(pid_t pid, int *status, double seconds);

/* Run TESTS (COUNT of them) as group NAME, leaving out each test whose NEEDS[i] is set and
 * names nothing that exists (data outside the repository: ../shared/corpus, the peers'
 * inputs).  cmocka prints a skipped test as "not ok N # SKIP", which meson's TAP reader
 * counts as a failure; a test whose data is absent is therefore not run, a TAP comment
 * says which and why, and a group left with nothing prints the plan "1..0 # SKIP". */
int rgt_run_with_data(const char *name, const struct CMUnitTest *tests, const char *const *needs,
                      size_t count);

/* getenv(VAR) joined with "/" and SUB (SUB may be ""), in a rotating buffer; NULL when
 * VAR is unset. */
const char *rgt_env_path(const char *var, const char *sub);

/* ---- Real tools ---------------------------------------------------------------------- */

/* Is NAME an executable on $PATH? */
int rgt_have(const char *name);

/* Run ARGV (ARGV[0] found on $PATH) in directory DIR with exactly the environment ENVP
 * (NULL-terminated), standard input from /dev/null, standard output and error appended to
 * DIR/LOG.  Waits up to 120 s.  Returns its exit status, or -1 when it could not run, was
 * killed or took too long. */
int rgt_run_tool(const char *dir, char *const argv[], char *const envp[], const char *log);

/* ---- Files ------------------------------------------------------------------------- */

/* LEN for rgt_write: the data is a NUL-terminated text, write strlen of it. */
#define RGT_TEXT ((size_t)-1)

/* Make a fresh directory NAME-XXXXXX in $TMPDIR (or /tmp) and put its real path in OUT.
 * Returns 0, or -1 (for cmocka setup functions, which may not fail the test). */
int rgt_mktemp(char *out, size_t size, const char *name);

/* The same, as a heap string (free it); fails the test when the directory cannot be made. */
char *rgt_tmpdir(const char *name);

/* Remove PATH and, for a directory, all below it: links are removed, not followed, and
 * directories a test left unreadable or unwritable (chmod 000) are opened up first.
 * Returns 0, or -1 when PATH is not there or could not be removed. */
int rgt_rmtree(const char *path);

/* DIR/REL, in one of 16 rotating static buffers. */
const char *rgt_path(const char *dir, const char *rel);

/* Make PATH and the directories above it (mkdir -p; what exists already is left be). */
void rgt_mkdirs(const char *path);

/* Write LEN bytes of DATA (RGT_TEXT: the text DATA) to DIR/REL, or to REL when DIR is
 * NULL, creating the directories above it. */
void rgt_write(const char *dir, const char *rel, const void *data, size_t len);

/* The whole file at PATH (heap, NUL-terminated; *LEN set when LEN is not NULL), or NULL
 * when it cannot be read. */
char *rgt_slurp(const char *path, size_t *len);

/* rgt_slurp, failing the test when PATH cannot be read. */
char *rgt_read(const char *path, size_t *len);

/* Copy the file SRC to DIR/REL (parents created). */
void rgt_copy(const char *dir, const char *rel, const char *src);

/* ---- Contexts and policies from text ---------------------------------------------- */

/* Write JSON to DIR/REL and load it with rg_context_load(DIR/REL, OPT, ERR). */
rg_context *rgt_load_context(const char *dir, const char *rel, const char *json,
                             const rg_context_options *opt, rg_error *err);

/* Write LUA to DIR/REL and load it with rg_policy_load(DIR/REL, LIMITS, NOW, ERR). */
rg_policy *rgt_load_policy(const char *dir, const char *rel, const char *lua, const rg_limits *limits,
                           int64_t now, rg_error *err);

/* ---- The unit tests' fixture -------------------------------------------------------- */

typedef struct rgt_fixture {
    char path[PATH_MAX];    /* a fresh temporary directory (its real path) */
    char outside[PATH_MAX]; /* a second one beside it, or "" */
    rg_policy *pol;         /* what the test loaded, freed by rgt_teardown */
    rg_context *ctx;
    rg_decision *d;
    rg_error err;
    rg_limits limits;       /* rg_limits_default() */
} rgt_fixture;

/* For a cmocka setup function: *STATE becomes a fixture whose directory is NAME-XXXXXX,
 * with a second directory OUTSIDE-XXXXXX unless OUTSIDE is NULL.  Returns 0 or -1. */
int rgt_setup(void **state, const char *name, const char *outside);

/* A cmocka teardown function: frees what the fixture holds, removes its directories. */
int rgt_teardown(void **state);

/* Define the cmocka setup and teardown functions SETUP and TEARDOWN of a test file whose
 * tests get an rgt_fixture: rgt_setup(state, NAME, OUTSIDE) and rgt_teardown. */
#define RGT_FIXTURE(setup, teardown, name, outside)                                         \
    static int setup(void **state) { return rgt_setup(state, (name), (outside)); }          \
    static int teardown(void **state) { return rgt_teardown(state); }

/* F's directory joined with REL (rgt_path). */
const char *rgt_at(const rgt_fixture *f, const char *rel);

/* Write TEXT to REL in F's directory (parents created). */
void rgt_put_file(const rgt_fixture *f, const char *rel, const char *text);

/* ---- Plugin checks ------------------------------------------------------------------ */

/* PLUGIN's check NAME; fails the test when the descriptor has none. */
const rg_check *rgt_find_check(const rg_plugin *plugin, const char *name);

/* Write DIR/release.json (release payments-api 2.4.0, minor; release.commit COMMIT unless
 * NULL) whose evidence object has the members EVIDENCE ("\"a\": \"a.json\", ..."; NULL:
 * none), and load it with EVIDENCE_ROOT (NULL: its directory).  Fails the test when the
 * context is refused; free it with rg_context_free. */
rg_context *rgt_release(const char *dir, const char *commit, const char *evidence, const char *evidence_root);

/* Flags of rgt_run_check. */
#define RGT_MISSING_OK 1u   /* let a required parameter be missing, or a value be outside the
                             * allowed ones: the check's own handling is tested */
#define RGT_MUST_ACCEPT 2u  /* fail the test when the engine refuses the parameters */

/* Run CHECK as the engine does: the parameters PARAMS (a JSON object, as a policy's `with`)
 * checked, normalised and defaulted by rg_check_params, then rg_check_run_inline on CTX at
 * NOW with evidence reads capped at MAX_EVIDENCE bytes (0: 64 MiB).  Returns 0 with OUT
 * filled, or -1 (OUT untouched) when the engine refuses the parameters. */
int rgt_run_check(const rg_check *check, const char *params, unsigned flags, const rg_context *ctx, int64_t now,
                  size_t max_evidence, rg_check_result *out);

/* Assert that the engine refuses PARAMS for CHECK (as policy load and lint do) with a
 * message containing NEEDLE. */
void rgt_refused(const rg_check *check, const char *params, const char *needle);

/* R's details at a dotted PATH ("totals.failing", "worst.0.id": a number indexes an
 * array), or NULL. */
const cJSON *rgt_detail(const rg_check_result *r, const char *path);

/* A number there (fails the test when there is none), a string (NULL when there is none),
 * an array's size (0 when there is none). */
double rgt_detail_number(const rg_check_result *r, const char *path);
const char *rgt_detail_string(const rg_check_result *r, const char *path);
int rgt_detail_size(const rg_check_result *r, const char *path);

#endif
