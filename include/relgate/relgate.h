/*
 * relgate — release-gate policy engine: the embedding API.
 *
 * An embedder loads a release context and a policy, evaluates the policy for one
 * stage, and renders the decision:
 *
 *     rg_error err = {0};
 *     rg_limits limits = rg_limits_default();
 *     rg_context *ctx = rg_context_load("release.json", NULL, &err);
 *     rg_policy *pol = ctx ? rg_policy_load("policy.lua", &limits, now, &err) : NULL;
 *     rg_decision *d = pol ? rg_evaluate(pol, ctx, &err) : NULL;
 *     char *json = d ? rg_decision_to_json(d) : rg_error_to_json(&err, now);
 *
 * Link it with `pkg-config --cflags --libs relgate` (docs/embedding.md).
 *
 * Every function that returns memory says who frees it.
 *
 * Threads: nothing here is thread-safe across objects shared between threads; separate
 * objects (each thread its own plugin set, policy, context and decisions) may be used
 * from separate threads (tests/threads, run under ThreadSanitizer by
 * scripts/test-tsan.sh).  Plugin checks run in child processes that the evaluating
 * thread forks, waits for by pid and, when a check leaves processes behind, cleans up
 * among its own children only; the engine changes no signal disposition, signal mask,
 * environment, umask or working directory of the process.  The process-wide settings
 * are the two hooks at the end (rg_set_watchdog, rg_set_progress), global because a
 * signal handler or a terminal needs them: set them before evaluating, or not at all
 * in a threaded embedder.  The engine also sets two process-wide flags on first use,
 * once and for good: not dumpable (PR_SET_DUMPABLE 0), and child subreaper, so that a
 * check's escaped grandchildren come back to be ended.  A check child is forked from the
 * evaluating thread and allocates memory before it runs the plugin: in a threaded
 * embedder the allocator must be fork-safe (glibc's is; AddressSanitizer's is not, and
 * a child that inherits its lock held hangs until the check's timeout: an error result,
 * so a deny, never an allow).
 */
#ifndef RELGATE_RELGATE_H
#define RELGATE_RELGATE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define RELGATE_API __attribute__((visibility("default")))
#else
#define RELGATE_API
#endif

/* ---- Errors ------------------------------------------------------------- */

typedef enum rg_error_kind {
    RG_ERROR_NONE = 0,
    RG_ERROR_USAGE,    /* bad command-line arguments or API use */
    RG_ERROR_IO,       /* a file could not be read or written */
    RG_ERROR_CONTEXT,  /* the release context is malformed or invalid */
    RG_ERROR_POLICY,   /* the policy failed to load or a check raised an error */
    RG_ERROR_LIMIT,    /* a resource limit stopped the policy */
    RG_ERROR_EVIDENCE, /* an evidence path broke the path rules */
    RG_ERROR_INTERNAL, /* out of memory or a bug */
    RG_ERROR_PLUGIN    /* a plugin was refused or failed to load */
} rg_error_kind;

#define RG_ERROR_MESSAGE_MAX 1024
#define RG_ERROR_FILE_MAX 1024
#define RG_ERROR_PROBLEMS_MAX 16

/* Where and why evaluation stopped.  FILE is empty when unknown; LINE and COLUMN
 * are 0 when unknown.  PROBLEMS lists every problem found when there were several
 * (context validation reports them all); MESSAGE is the first.  TRACEBACK is a
 * heap string owned by the error (free it with rg_error_clear). */
typedef struct rg_error {
    rg_error_kind kind;
    char message[RG_ERROR_MESSAGE_MAX];
    char file[RG_ERROR_FILE_MAX];
    int line;
    int column;
    int problem_count;
    char problems[RG_ERROR_PROBLEMS_MAX][RG_ERROR_MESSAGE_MAX];
    char *traceback;
} rg_error;

/* Free what an error owns and reset it to RG_ERROR_NONE. */
RELGATE_API void rg_error_clear(rg_error *err);

/* "usage", "io", "context", "policy", "limit", "evidence", "internal", "plugin". */
RELGATE_API const char *rg_error_kind_name(rg_error_kind kind);

/* ---- Limits ------------------------------------------------------------- */

typedef struct rg_limits {
    size_t max_memory;          /* bytes the policy's Lua state may hold */
    uint64_t max_instructions;  /* Lua VM instructions over loading and all checks */
    double timeout;             /* seconds of wall time for loading and all checks */
    size_t max_context_bytes;   /* size of the context document */
    size_t max_policy_bytes;    /* size of each policy file or module */
    size_t max_evidence_bytes;  /* default cap for evidence.read */
    int max_json_depth;         /* nesting depth of JSON documents */
    int max_requirements;       /* requirements one policy may declare */
    double check_timeout;       /* seconds a plugin check may run (a requirement may set its own) */
    size_t check_memory;        /* address space of a plugin check's process */
    size_t max_check_evidence_bytes; /* evidence a plugin check may read */
    int jobs;                   /* plugin checks run at once */
} rg_limits;

RELGATE_API rg_limits rg_limits_default(void);

/* ---- Release types and stages -------------------------------------------- */

typedef enum rg_release_type {
    RG_TYPE_UNSET = 0, RG_TYPE_PATCH = 1, RG_TYPE_MINOR = 2, RG_TYPE_MAJOR = 4
} rg_release_type;

typedef enum rg_stage {
    RG_STAGE_UNSET = 0, RG_STAGE_PRE_RELEASE = 1, RG_STAGE_DEPLOY = 2, RG_STAGE_POST_DEPLOY = 4
} rg_stage;

RELGATE_API const char *rg_release_type_name(rg_release_type type);
RELGATE_API rg_release_type rg_release_type_parse(const char *name); /* UNSET if unknown */
RELGATE_API const char *rg_stage_name(rg_stage stage);
RELGATE_API rg_stage rg_stage_parse(const char *name);               /* UNSET if unknown */

/* ---- Release context ---------------------------------------------------- */

typedef struct rg_context rg_context;
typedef struct rg_path_cache rg_path_cache;

typedef struct rg_context_options {
    rg_stage stage;              /* overrides the context's stage when set */
    rg_release_type type;        /* overrides release.type when set */
    const char *evidence_root;   /* directory evidence must stay in; NULL: the context's directory */
    const char *waivers;         /* a JSON file of more waivers ([...] or {"waivers": [...]}), or NULL */
    const struct rg_waivers *waiver_list; /* or those waivers already read (rg_waivers_load) */
    const rg_limits *limits;     /* NULL: rg_limits_default() */
    rg_path_cache *paths;        /* a batch: resolve each path once for the run (or NULL) */
    struct rg_log *decision_log; /* a decision log (rg_log_open): when a post-deploy gate
                                  * denies, its rollback targets the last version the log
                                  * saw pass post-deploy in the release's environment
                                  * (rg_log_last_good_in), else
                                  * release.previous_version; NULL: release.previous_version.
                                  * It must stay open while the context is evaluated. */
    const char *save_evidence;   /* a directory (created if absent): what live evidence sources
                                  * fetch is written there as it is fetched, and
                                  * rg_evidence_save then writes a context that replays the
                                  * decision offline; NULL: nothing is saved */
    int content_addressed;       /* 1: an evidence file in a directory named by 64 lower-case
                                  * hex digits has the SHA-256 they spell (relgate serve's
                                  * inline evidence, which it writes so): a check result is
                                  * reused for it when the check read bytes of that digest,
                                  * without a look at the file.  Bytes changed behind the
                                  * caller's back never have it, so nothing read from them is
                                  * reused for the file */
} rg_context_options;

/* Paths resolved once for a run of many contexts (a batch): the context's directory,
 * the evidence root and every evidence path.  The directory tree is then taken as fixed
 * for the run, as file contents are unless a file's inode, size or time change.  Free it
 * after the contexts that used it. */
RELGATE_API rg_path_cache *rg_path_cache_new(void);
RELGATE_API void rg_path_cache_free(rg_path_cache *cache);

/* Load and validate the release context at PATH ("-" reads standard input).
 * Returns a context to free with rg_context_free, or NULL with ERR filled. */
RELGATE_API rg_context *rg_context_load(const char *path, const rg_context_options *options,
                                        rg_error *err);
RELGATE_API void rg_context_free(rg_context *ctx);

/* A waivers file read once ([...] or {"waivers": [...]}) for many contexts
 * (rg_context_options.waiver_list).  Returns waivers to free with rg_waivers_free after
 * the contexts that used them, or NULL with ERR. */
typedef struct rg_waivers rg_waivers;
RELGATE_API rg_waivers *rg_waivers_load(const char *path, const rg_limits *limits, rg_error *err);
RELGATE_API void rg_waivers_free(rg_waivers *waivers);

/* Check that TEXT (LEN bytes, NUL at TEXT[LEN]), named DISPLAY in messages, is one JSON
 * document as relgate reads every document: valid UTF-8, no NUL byte and no escaped one
 * (\u0000), no duplicate object key, nesting within LIMITS->max_json_depth.  For a face
 * that reads a request with a JSON library of its own (relgate serve): checked first,
 * what that library reads is what relgate would have read, not a string cut at a NUL or
 * the first of two keys.  0, or -1 with ERR (RG_ERROR_USAGE). */
RELGATE_API int rg_json_check(const char *text, size_t len, const char *display, const rg_limits *limits,
                              rg_error *err);

/* Values rg_json_check_known may take as checked before instead of reading them again,
 * for a face that sees the same large values request after request (relgate serve's
 * inline evidence) and remembers, by their bytes, those a check took.  Only objects and
 * arrays ('{' or '[') at DEPTH (the top value's members are at 1) under the key KEY (as
 * written between its quotes, escapes and all; NULL: any key, but not as an array's
 * element) are looked up, each with FIND: the length
 * of a value starting at AT (LEFT bytes left) that CHECKED was given before, byte for
 * byte, by a check with the same DEPTH, KEY and limits, or 0.  CHECKED is given each such
 * value a check read whole and took (it is valid on its own, whatever follows it).  So the
 * answer is the one rg_json_check gives, with or without what FIND remembers. */
typedef struct rg_json_known {
    int depth;
    const char *key;
    size_t (*find)(void *ctx, const char *at, size_t left);
    void (*checked)(void *ctx, const char *at, size_t len);
    void *ctx;
} rg_json_known;

/* rg_json_check, KNOWN's values taken as KNOWN says (KNOWN may be NULL). */
RELGATE_API int rg_json_check_known(const char *text, size_t len, const char *display, const rg_limits *limits,
                                    const rg_json_known *known, rg_error *err);

/* Like rg_context_load for a document already in memory: TEXT (LEN bytes, NUL at
 * TEXT[LEN]) named DISPLAY in messages, its evidence relative to the directory of PATH
 * ("-": the working directory).  For batch evaluation, one line at a time. */

RELGATE_API rg_context *rg_context_parse(const char *text, size_t len, const char *display,
                                         const char *path, const rg_context_options *options,
                                         rg_error *err);

/* Whether PATH names one of CTX's evidence files: by place (the same file through links,
 * or the same name in the same folder, made or not yet).  A program writing files beside
 * a gate refuses such a path: a report written over the evidence is what the next gate
 * would read (relgate eval's outputs). */
RELGATE_API int rg_context_reads_file(const rg_context *ctx, const char *path);

/* The I-th file --save-evidence (rg_context_options.save_evidence) writes for CTX, into
 * BUF: DIR/context.json, then each evidence file's copy (pages a live source fetches go
 * to DIR/fetched/).  0, or -1 past the last or without a save directory.  A program
 * holds them to the files it reads and writes, as rg_context_reads_file's. */
RELGATE_API int rg_context_saved_file(const rg_context *ctx, size_t i, char *buf, size_t size);

/* Give CTX its decision log once it is open (rg_context_options.decision_log, set later):
 * a program that holds its log's files to the files the context names opens the log only
 * after that check, since opening may create or recover them (SQLite's journal). */
RELGATE_API void rg_context_set_decision_log(rg_context *ctx, struct rg_log *log);

/* ---- Plugins ------------------------------------------------------------ */

typedef struct rg_plugins rg_plugins;

/* Load every check plugin (*.so) found in DIRS (searched first, in order, each with
 * its immediate subdirectories), then, when SEARCH_DEFAULT, in $RELGATE_PLUGIN_PATH
 * (colon-separated), the build tree when the running binary is in one, and the
 * installed plugin directory.  The first plugin of a name wins.  A plugin that is
 * refused (another ABI, missing fields, unsafe permissions, a check name taken twice)
 * fails the whole load: the gate never runs with a plugin set it cannot trust.
 * Returns a set to free with rg_plugins_free, or NULL with ERR filled. */
RELGATE_API rg_plugins *rg_plugins_load(const char *const *dirs, size_t dir_count,
                                        int search_default, rg_error *err);
RELGATE_API void rg_plugins_free(rg_plugins *plugins);

/* What a plugin set holds, for listings.  Indexes run from 0 to the counts; a string is
 * owned by the set (NULL for an index out of range). */
RELGATE_API size_t rg_plugins_searched_count(const rg_plugins *plugins);
RELGATE_API const char *rg_plugins_searched(const rg_plugins *plugins, size_t dir);
RELGATE_API size_t rg_plugins_count(const rg_plugins *plugins);

typedef enum rg_plugin_attr {
    RG_PLUGIN_NAME, RG_PLUGIN_VERSION, RG_PLUGIN_DESCRIPTION, RG_PLUGIN_LICENSE,
    RG_PLUGIN_PATH,        /* the file it was loaded from */
    RG_PLUGIN_ABI          /* "MAJOR.MINOR" of the plugin ABI it was built for */
} rg_plugin_attr;
RELGATE_API const char *rg_plugin_attr_get(const rg_plugins *plugins, size_t plugin, rg_plugin_attr attr);

RELGATE_API size_t rg_plugin_check_count(const rg_plugins *plugins, size_t plugin);
typedef enum rg_check_attr { RG_CHECK_NAME, RG_CHECK_SUMMARY } rg_check_attr;
RELGATE_API const char *rg_plugin_check_get(const rg_plugins *plugins, size_t plugin, size_t check,
                                            rg_check_attr attr);

RELGATE_API size_t rg_plugin_param_count(const rg_plugins *plugins, size_t plugin, size_t check);
typedef enum rg_param_attr {
    RG_PARAM_NAME, RG_PARAM_DESCRIPTION,
    RG_PARAM_TYPE,         /* "string", "integer", "number", "boolean", "string list",
                            * "evidence", "evidence list", "duration" */
    RG_PARAM_DEFAULT,      /* the default as JSON text, or NULL when there is none */
    RG_PARAM_REQUIRED      /* "required", or NULL when optional */
} rg_param_attr;
RELGATE_API const char *rg_plugin_param_get(const rg_plugins *plugins, size_t plugin, size_t check,
                                            size_t param, rg_param_attr attr);
/* The I-th value the parameter allows (plugin ABI 1.3: any other is refused when a policy
 * is loaded or linted), or NULL past the last; NULL at I = 0 when any value goes. */
RELGATE_API const char *rg_plugin_param_allowed(const rg_plugins *plugins, size_t plugin, size_t check,
                                                size_t param, size_t i);

/* ---- Policy ------------------------------------------------------------- */

typedef struct rg_policy rg_policy;

/* Load the policy at PATH (a .lua file, or a directory whose *.lua files are loaded
 * in name order) into a fresh sandbox.  NOW is the evaluation clock (seconds since
 * the epoch) the policy sees.  Returns a policy to free with rg_policy_free, or NULL
 * with ERR filled. */
RELGATE_API rg_policy *rg_policy_load(const char *path, const rg_limits *limits, int64_t now,
                                      rg_error *err);

/* Like rg_policy_load, for a policy whose requirements may name plugin checks
 * (check = "ci.status") from PLUGINS, which must outlive the policy. */
RELGATE_API rg_policy *rg_policy_load_with_plugins(const char *path, const rg_limits *limits,
                                                   int64_t now, const rg_plugins *plugins,
                                                   rg_error *err);
RELGATE_API void rg_policy_free(rg_policy *policy);

/* When ON, later evaluations with this policy reuse a plugin check's result when the
 * check, its parameters, the clock, the content of the evidence its parameters name and
 * the context fields it read are all the same: for batch evaluation. */
RELGATE_API void rg_policy_reuse_check_results(rg_policy *policy, int on);

/* Set the clock (seconds since the epoch) POLICY's later evaluations see, as NOW of
 * rg_policy_load does: for a service that loads a policy once and answers each request
 * at its own time (relgate serve).  Code the policy ran while loading saw the clock it
 * was loaded with. */
RELGATE_API void rg_policy_set_clock(rg_policy *policy, int64_t now);

/* POLICY's digest as its decisions name it ("sha256:HEX"), owned by the policy. */
RELGATE_API const char *rg_policy_digest(const rg_policy *policy);

/* Whether PATH names a file POLICY was loaded from: its file, the modules it required,
 * the policies it extends, a bundle's .tar, and for a directory policy any *.lua file in
 * that directory (a new one would join the policy at its next load).  By place, as
 * rg_context_reads_file: a program writing files beside a policy refuses such a path. */
RELGATE_API int rg_policy_reads_file(const rg_policy *policy, const char *path);

/* Load the policy at PATH only to find its problems, without running any check: every
 * declaration error (unknown check or parameter, wrong type, unknown release type or
 * stage, duplicate id, missing title...) and every requirement without a hint or that
 * applies to nothing.  *PROBLEMS receives them, one "file:line: problem" per line, each
 * ending in a newline (free with free(); "" when clean).  Returns how many, or -1 with
 * ERR when the policy cannot be read at all or a limit stopped it. */
RELGATE_API int rg_policy_lint(const char *path, const rg_limits *limits, const rg_plugins *plugins,
                               char **problems, rg_error *err);

/* ---- Policy bundles ------------------------------------------------------ */

#define RG_BUNDLE_DIGEST_SIZE 72   /* "sha256:", 64 hex digits and a NUL, with room */

/* Check the bundle at PATH (a directory holding bundle.json, or a .tar: docs/policies.md,
 * "Bundles") as extends and --policy load it: the manifest, every file against its pin,
 * and a tar's every member.  DIGEST (RG_BUNDLE_DIGEST_SIZE bytes) receives its digest,
 * "sha256:" and the hex SHA-256 of its bundle.json; NAME and VERSION (NULL, or TEXT_SIZE
 * bytes each) the manifest's.  LIMITS (NULL: the defaults) gives the file size limit.
 * Returns 0, or -1 with ERR. */
RELGATE_API int rg_bundle_check(const char *path, const rg_limits *limits, char *digest, char *name,
                                char *version, size_t text_size, rg_error *err);

/* Make DIR a bundle: a manifest pinning every regular file below DIR (hidden names and
 * bundle.json itself left out; a symbolic link, device or file name a bundle cannot hold
 * is an error), named NAME (NULL: the manifest DIR has, else DIR's own name), VERSION
 * (NULL: the manifest's) with the entry policy ENTRY (NULL: the manifest's, else
 * NAME.lua).  Without TAR the manifest is written to DIR/bundle.json; with TAR, DIR is
 * left alone and TAR receives a ustar archive of the manifest and the files, the same
 * bytes for the same files (sorted, mode 0644, owner 0, mtime 0).  Both are replaced
 * atomically.  DIGEST (RG_BUNDLE_DIGEST_SIZE bytes) receives the bundle's digest.
 * Returns 0, or -1 with ERR (kind usage: no version, or TAR inside DIR). */
RELGATE_API int rg_bundle_build(const char *dir, const char *name, const char *version, const char *entry,
                                const char *tar, const rg_limits *limits, char *digest, rg_error *err);

/* ---- Policy tests ------------------------------------------------------- */

/* The cases of one policy test file (*_test.lua, docs/policies.md): each names a policy,
 * a context, mocked plugin-check results and the decision expected. */
typedef struct rg_tests rg_tests;

/* Run the test file at PATH in a sandbox and collect its cases.  Returns them to free
 * with rg_tests_free, or NULL with ERR when the file does not load. */
RELGATE_API rg_tests *rg_tests_load_file(const char *path, const rg_limits *limits, rg_error *err);
RELGATE_API void rg_tests_free(rg_tests *tests);
RELGATE_API size_t rg_tests_count(const rg_tests *tests);
/* Case I's name, and its file and line (*LINE, may be NULL) where it is declared. */
RELGATE_API const char *rg_tests_name(const rg_tests *tests, size_t i);
RELGATE_API const char *rg_tests_file(const rg_tests *tests, size_t i, int *line);

/* Which requirement x release type x stage cells the cases exercised, per policy file. */
typedef struct rg_test_coverage rg_test_coverage;
RELGATE_API rg_test_coverage *rg_test_coverage_new(void);   /* NULL when out of memory */
RELGATE_API void rg_test_coverage_free(rg_test_coverage *coverage);
/* The cells no case exercised, as text for a person ("coverage: FILE: not exercised by
 * any test:", one indented line per requirement naming its "type/stage" cells, and the
 * count and percentage per file); heap string (free()), or NULL when out of memory.
 * *MISSING (may be NULL) receives the number of requirements listed. */
RELGATE_API char *rg_test_coverage_report(const rg_test_coverage *coverage, int *missing);
/* The percentage of cells exercised, over every policy file (100 when there are none). */
RELGATE_API double rg_test_coverage_percent(const rg_test_coverage *coverage);

typedef enum rg_test_status { RG_TEST_PASS = 0, RG_TEST_FAIL = 1, RG_TEST_ERROR = 2 } rg_test_status;

/* What one case found: FAIL lists what differed, ERROR why it could not run. */
typedef struct rg_test_outcome {
    rg_test_status status;
    char **problems;         /* PROBLEM_COUNT heap strings (policy text among them) */
    size_t problem_count;
    char **trace;            /* TRACE_COUNT heap strings: the decision the case got, a line
                              * per requirement and per plugin check call (relgate test
                              * --verbose); none when it could not run */
    size_t trace_count;
} rg_test_outcome;
RELGATE_API void rg_test_outcome_clear(rg_test_outcome *outcome);

/* Run case I: load its policy with PLUGINS (their parameter declarations; a mocked check
 * does not run), evaluate its context, compare with what it expects.  COVERAGE (may be
 * NULL) gathers what it exercised.  Clear OUT with rg_test_outcome_clear. */
RELGATE_API void rg_tests_run(const rg_tests *tests, size_t i, const rg_plugins *plugins,
                              const rg_limits *limits, rg_test_coverage *coverage, rg_test_outcome *out);

/* ---- Evaluation --------------------------------------------------------- */

typedef struct rg_decision rg_decision;

typedef enum rg_verdict {
    RG_VERDICT_ALLOW, RG_VERDICT_WARN, RG_VERDICT_DENY, RG_VERDICT_ERROR
} rg_verdict;

/* Evaluate POLICY for CTX (stage and type as the context resolved them).
 * Returns a decision to free with rg_decision_free, or NULL with ERR filled when
 * the gate could not be evaluated (a policy error or a limit). */
RELGATE_API rg_decision *rg_evaluate(rg_policy *policy, const rg_context *ctx, rg_error *err);
RELGATE_API void rg_decision_free(rg_decision *decision);

/* With rg_context_options.save_evidence: write DIR/context.json — CTX's context whose live
 * evidence sources list the pages DECISION's checks fetched ("recorded": URL, time,
 * digest and the saved file), beside copies of its evidence files at the same relative
 * paths — so that evaluating it gives the same decision offline.  Returns 0 (also when
 * nothing is to be saved), or -1 with ERR: a decision that cannot be replayed. */
RELGATE_API int rg_evidence_save(const rg_context *ctx, const rg_decision *decision, rg_error *err);

RELGATE_API rg_verdict rg_decision_verdict(const rg_decision *decision);

/* Which requirement results carry their details when the decision is rendered: all
 * (the default), only those that need action (not pass or skip), or none — for
 * sweeping thousands of releases, where the details are most of the bytes. */
typedef enum rg_details_mode { RG_DETAILS_ALL = 0, RG_DETAILS_FAILED, RG_DETAILS_NONE } rg_details_mode;
RELGATE_API void rg_decision_set_details(rg_decision *decision, rg_details_mode mode);
RELGATE_API const char *rg_verdict_name(rg_verdict verdict);

/* The process exit code the contract gives a verdict: 0 allow (and warn unless
 * FAIL_ON_WARN), 1 deny, 2 error. */
RELGATE_API int rg_verdict_exit_code(rg_verdict verdict, int fail_on_warn);

/* Render the decision as pretty-printed JSON with a trailing newline.  Returns a
 * string the caller frees with free(), or NULL when out of memory. */
RELGATE_API char *rg_decision_to_json(const rg_decision *decision);

/* Render ERR as an error decision ("decision": "error").  NOW is the evaluation
 * time.  Returns a string the caller frees with free(), or NULL when out of memory. */
RELGATE_API char *rg_error_to_json(const rg_error *err, int64_t now);

/* The renderings of a decision, for machines, people and CI systems. */
typedef enum rg_format {
    RG_FORMAT_JSON,     /* pretty-printed JSON with a trailing newline (rg_decision_to_json) */
    RG_FORMAT_LINE,     /* one compact JSON line without a newline: a decision log's record,
                         * a batch's output line */
    RG_FORMAT_TEXT,     /* for a person at a terminal or reading a job log */
    RG_FORMAT_MARKDOWN, /* a GitHub step summary or merge-request comment */
    RG_FORMAT_JUNIT,    /* JUnit XML: one test case per requirement */
    RG_FORMAT_GITHUB    /* GitHub Actions workflow commands (::error, ::warning), escaped */
} rg_format;

/* RG_FORMAT_TEXT's options. */
#define RG_RENDER_COLOR 1u  /* ANSI colours */
#define RG_RENDER_UTF8 2u   /* marks such as a check mark; plain ASCII otherwise */

/* Render DECISION in FORMAT (FLAGS: RG_RENDER_*, for text).  Text from the context, the
 * policy and the plugins is neutralised for the format (no control sequences, no CI
 * workflow commands).  Returns a string to free with free(), or NULL when out of memory
 * or FORMAT is unknown. */
RELGATE_API char *rg_decision_render(const rg_decision *decision, rg_format format, unsigned flags);

/* What else a rendering may need beyond the flags. */
typedef struct rg_render_options {
    unsigned flags;         /* RG_RENDER_* (text) */
    const char *workspace;  /* RG_FORMAT_GITHUB: annotations name policy files relative to
                             * this directory (GitHub wants the workspace root, e.g.
                             * $GITHUB_WORKSPACE), a relative source being taken from the
                             * current directory; NULL: as the decision names them */
} rg_render_options;

/* rg_decision_render with OPTIONS (NULL: none). */
RELGATE_API char *rg_decision_render_with(const rg_decision *decision, rg_format format,
                                          const rg_render_options *options);

/* Render ERR as an error decision in FORMAT, NOW being the evaluation time.  In
 * RG_FORMAT_TEXT it is the verdict line "ERROR  the gate could not be evaluated" and the
 * message (where, and every further problem).  NULL for an unknown format or when out of
 * memory. */
RELGATE_API char *rg_error_render(const rg_error *err, rg_format format, int64_t now);

/* Read a decision back from its JSON (DISPLAY names it in messages): what relgate eval
 * --format json, --output and a decision log wrote.  The verdict must be the one its
 * requirements give, or the file is refused.  Returns a decision to free with
 * rg_decision_free, or NULL with ERR: for an error decision, the error it records (its
 * evaluation time in *EVALUATED_AT when not NULL); else why it could not be read. */
RELGATE_API rg_decision *rg_decision_parse(const char *text, size_t len, const char *display,
                                           int64_t *evaluated_at, rg_error *err);

/* Parse an RFC 3339 time ("2025-06-10T09:00:00Z", an offset, fractions of a second) into
 * seconds since the epoch.  Returns 0, -1 when TEXT is not such a time, or -2 when it is
 * outside the years 0000 to 9999 in UTC (a decision could not show it). */
RELGATE_API int rg_time_parse(const char *text, int64_t *seconds);

/* Whether SECONDS lies more than RG_CLOCK_SLACK seconds ahead of this machine's clock:
 * a decision dated so may not be recorded (logged, attested, stored), or it would be
 * taken for the newest over the real ones after it. */
#define RG_CLOCK_SLACK 300
RELGATE_API int rg_time_ahead_of_clock(int64_t seconds);

/* A duration as policies and options write it: "90" or "90s", "30m", "24h", "7d", into
 * seconds; -1 when TEXT is no such duration (negative, empty, another unit). */
RELGATE_API double rg_duration_parse(const char *text);

/* ---- The decision log -------------------------------------------------- */

/* Every decision, recorded before the gate answers, in a store named by a URL: a path
 * (a file of JSON lines, appended under an exclusive lock and synced), "sqlite:PATH"
 * (SQLite in WAL mode) or a libpq URI ("postgresql://..." / "postgres://...").  Each
 * record is a decision as one compact JSON object (RG_FORMAT_LINE) with "chain":
 * {"seq": N, "prev": "<SHA-256 of record N-1 as stored>"} added as its last member, and
 * the store keeps a head (the last record's seq and digest): rg_log_verify finds an
 * edited, removed, reordered or inserted record and a cut tail.  A password in the URL
 * never appears in a message (rg_log_name shows it as "***").  A log is used by one
 * thread at a time. */
typedef struct rg_log rg_log;

/* Open the log URL.  With CREATE (writers) a missing store is created and an older
 * schema migrated; otherwise a store that is not there is an error.  Returns a log to
 * close with rg_log_close, or NULL with ERR (kind io; usage for a bad URL). */
RELGATE_API rg_log *rg_log_open(const char *url, int create, rg_error *err);

/* Whether writing PATH would replace a file the decision log at URL keeps: the log
 * itself, or a file its store writes beside it (the JSON-lines log's head, SQLite's
 * journal and WAL files), named by any path (the same folder and name, or the same
 * file).  A program that writes files besides the log refuses such a path: written
 * over, the log is lost (hostile round 33, F04).  0 for a PostgreSQL URL. */
RELGATE_API int rg_log_keeps_file(const char *url, const char *path);

/* The files a log at URL writes, one by one: the I-th (0: the log's own file, then the
 * JSON-lines log's head, SQLite's journal, WAL and index) into BUF of SIZE.  0, or -1
 * past the last (at once for PostgreSQL).  A program refuses a log any of whose files
 * is one it reads: the head written over the release notes is as bad as the log. */
RELGATE_API int rg_log_kept_file(const char *url, size_t i, char *buf, size_t size);

/* The file a log URL names: its path for a JSON-lines or SQLite log (within URL), NULL
 * for PostgreSQL or a scheme relgate does not know.  A program writing a log refuses one
 * named like a file it reads (the log appended to the release notes, a context). */
RELGATE_API const char *rg_log_file(const char *url);
RELGATE_API void rg_log_close(rg_log *log);

/* The URL for messages, its password replaced by "***". */
RELGATE_API const char *rg_log_name(const rg_log *log);

/* Sign the position of every record appended to LOG (NULL: nothing) from now on with
 * SIGNER (which must outlive those appends; NULL: stop): the record's seq, the digest it chains to and its
 * own digest, in a DSSE envelope in its "chain" member.  A decision's attestation signs
 * what was decided, not where it stands in the log; with the position signed too,
 * rg_log_verify_signed finds a signed record removed, replayed later or moved, even
 * after the log was chained anew (docs/ci.md, "Signed history"). */
struct rg_signer;
RELGATE_API void rg_log_sign_positions(rg_log *log, const struct rg_signer *signer);

/* Take a rollback target (rg_log_last_good_in, and the engine's post-deploy lookup) from
 * LOG only when THRESHOLD (0: 1) distinct keys of PUBLIC_KEYS (PEM files, KEY_COUNT of
 * them; 0: stop) show it: the record answered and every record after it carry their signed
 * positions (and a decision its attestation), the chain from it to the head is whole, and
 * none of them is a newer answer to the same query.  A log whose positions are signed
 * (rg_log_sign_positions) is read this way with the signer's key unless keys are given
 * here.  Otherwise the answer is an error: an edited store gives no rollback target rather
 * than a wrong one.  0, or -1 with ERR (a key that cannot be loaded). */
RELGATE_API int rg_log_trust_keys(rg_log *log, const char *const *public_keys, size_t key_count, size_t threshold,
                                  rg_error *err);

/* Whether ENTRY (LEN bytes: a record as rg_log_each gave it, chain included) is signed
 * where it stands, by the keys LOG trusts (rg_log_trust_keys, else its signer's): it and
 * every record after it carry their signed positions (a decision its attestation too),
 * and the chain from it to the head is whole.  0 when it is (or LOG trusts no key); -1
 * with ERR when it is not, or the log cannot be read.  For a record looked up by what it
 * holds (an id, an idempotency key) before it is answered or replayed. */
RELGATE_API int rg_log_entry_signed(rg_log *log, const char *entry, size_t len, rg_error *err);

/* Append ENTRY (LEN bytes: one compact JSON object, no newline), chained after the
 * store's last record, and return once it is durable (committed; synced for a file).
 * Returns 0, or -1 with ERR (kind io) naming the store: then nothing of it was stored. */
RELGATE_API int rg_log_append(rg_log *log, const char *entry, size_t len, rg_error *err);

/* Append LINES (LEN bytes of whole lines, each one entry) the same way: all or none. */
RELGATE_API int rg_log_append_lines(rg_log *log, const char *lines, size_t len, rg_error *err);

/* Which records rg_log_each visits: those matching every field that is set, oldest
 * first (newest first with NEWEST_FIRST), at most LIMIT of them (0: all).  DECISIONS is
 * a set of RG_LOG_ALLOW... (0: any); SINCE and UNTIL bound evaluated_at, inclusive, as
 * RFC 3339 UTC times ("2025-06-01T00:00:00Z"). */
enum { RG_LOG_ALLOW = 1, RG_LOG_WARN = 2, RG_LOG_DENY = 4, RG_LOG_ERROR = 8 };

typedef struct rg_log_query {
    const char *release;          /* release.name */
    const char *except_version;   /* not this release.version */
    const char *environment;      /* release.environment */
    const char *stage;
    unsigned decisions;
    const char *since, *until;
    int newest_first;
    size_t limit;
} rg_log_query;

/* Call FN with every record QUERY (NULL: all) matches, as it is stored (ENTRY, LEN
 * bytes, NUL-terminated, chain included); lines of a file log that are not JSON objects
 * are counted in *SKIPPED (may be NULL).  FN returns non-zero to stop.  Returns 0, or -1
 * with ERR when the log cannot be read. */
typedef int (*rg_log_entry_fn)(const char *entry, size_t len, void *data);
RELGATE_API int rg_log_each(rg_log *log, const rg_log_query *query, rg_log_entry_fn fn, void *data,
                            size_t *skipped, rg_error *err);

/* The newest record where release NAME passed its post-deploy gate (allow or warn),
 * whatever came after it, skipping version EXCEPT (may be NULL): the rollback target.
 * Returns the record as compact JSON (free with free()), or NULL: none found, or ERR
 * set when the log is unreadable. */
RELGATE_API char *rg_log_last_good(rg_log *log, const char *name, const char *except, rg_error *err);

/* rg_log_last_good in one ENVIRONMENT (release.environment; NULL: any): in a log that
 * staging and production share, production's rollback target is a version that passed
 * in production, not one that passed in staging only. */
RELGATE_API char *rg_log_last_good_in(rg_log *log, const char *name, const char *environment, const char *except,
                                      rg_error *err);

/* Check the chain from the first record to the head: 0 when it is whole, 1 with PROBLEM
 * (RG_ERROR_MESSAGE_MAX bytes) naming the first record that breaks it, -1 with ERR when
 * the store cannot be read.  *RECORDS counts the records read. */
RELGATE_API int rg_log_verify(rg_log *log, size_t *records, char *problem, rg_error *err);

/* rg_log_verify, and every decision record (allow, warn or deny: an error decision is
 * never signed) must carry its own attestation -- "attestation", as eval --attest with
 * --log records it -- signed by THRESHOLD (0: 1) distinct keys of the PUBLIC_KEYS (PEM
 * files, KEY_COUNT of them) and signing that very decision: its verdict, release, stage,
 * policy, context, time, summary and requirements.  The chain alone cannot tell an edit
 * re-chained with plain SHA-256 by someone who can write the store; this can.  Returns
 * as rg_log_verify; a key that cannot be loaded is -1 with ERR. */
RELGATE_API int rg_log_verify_signed(rg_log *log, const char *const *public_keys, size_t key_count, size_t threshold,
                                     size_t *records, char *problem, rg_error *err);

/* Append every JSON object of FROM to TO, chained anew (a chain a record has is
 * dropped), in one transaction: an old JSON-lines log, or an export, loaded into a
 * store.  Returns the records copied, or -1 with ERR. */
RELGATE_API long rg_log_import(rg_log *from, rg_log *to, rg_error *err);

/* Write every record of LOG as stored (chain included), one line each, to FD. */
RELGATE_API long rg_log_export(rg_log *log, int fd, rg_error *err);

/* ---- Signed decisions ----------------------------------------------------
 *
 * A decision as a SLSA Verification Summary Attestation (predicate
 * "https://slsa.dev/verification_summary/v1") in an in-toto Statement v1, signed in a
 * DSSE envelope (payload type "application/vnd.in-toto+json"), so that a deploy step, an
 * admission controller or an auditor can check that it came from the gate unedited
 * (docs/ci.md).  Keys are PEM files as `openssl genpkey` and cosign write them: an
 * unencrypted PKCS#8 private key, a SubjectPublicKeyInfo public key; ECDSA P-256 with
 * SHA-256 (DER signatures) or Ed25519.  The crypto is GnuTLS's, in a module loaded only
 * by these functions: a relgate built without it answers them with an error. */
typedef struct rg_signer rg_signer;

/* Load the private key at KEY_PATH.  A file its group or others may read is refused, and
 * no message ever holds key material.  Returns a signer to free with rg_signer_free, or
 * NULL with ERR. */
RELGATE_API rg_signer *rg_signer_load(const char *key_path, rg_error *err);
RELGATE_API void rg_signer_free(rg_signer *signer);

/* The verifier id an attestation carries unless told otherwise. */
#define RG_ATTEST_DEFAULT_VERIFIER "https://relgate.dev/verifier/v1"

typedef struct rg_attest_options {
    const char *verifier_id;   /* predicate.verifier.id; NULL: RG_ATTEST_DEFAULT_VERIFIER */
    const char *resource_uri;  /* predicate.resourceUri; NULL: the context's
                                * release.resource_uri, else pkg:generic/NAME@VERSION */
    const char *policy_uri;    /* predicate.policy.uri; NULL: the policy's name@version */
    int log_position_signed;   /* the decision goes into a log that signs its records' positions
                                * (rg_log_sign_positions), else into no log: said in the
                                * statement, so that rg_log_verify_signed can tell a position
                                * taken away, or a decision never logged put into a log */
} rg_attest_options;

/* Sign DECISION, evaluated for CTX: the subjects are CTX's release.artifacts (none is an
 * error, and so is an error decision).  Returns the DSSE envelope as one compact JSON
 * line without a newline (free with free()), or NULL with ERR. */
RELGATE_API char *rg_decision_attest(const rg_decision *decision, const rg_context *ctx,
                                     const rg_attest_options *options, const rg_signer *signer,
                                     rg_error *err);

/* What an attestation must be to be accepted. */
typedef struct rg_attest_expect {
    const char *const *public_keys;   /* PEM public key files, at least one */
    size_t public_key_count;
    size_t threshold;                 /* distinct keys that must have signed (0: 1) */
    const char *const *subject_digests; /* "sha256:HEX": each must be a subject */
    size_t subject_digest_count;
    const char *policy_digest;        /* "sha256:HEX" of the policy, or NULL */
    const char *verifier_id;          /* or NULL */
    const char *resource_uri;         /* or NULL */
    const char *stage;                /* the stage it must be a decision about (pre-release,
                                       * deploy, post-deploy), or NULL: a PASSED pre-release
                                       * decision is no leave to deploy */
    const char *environment;          /* the environment it must be a decision about
                                       * (release.environment: production), or NULL: a
                                       * PASSED staging deploy is no leave for production;
                                       * a decision that names none meets no environment */
    int64_t max_age;                  /* seconds its timeVerified may lie before NOW, or 0:
                                       * no limit (negative is refused) */
    int64_t now;                      /* the clock for MAX_AGE (seconds since the epoch), or
                                       * 0: the current time (negative is refused) */
} rg_attest_expect;

typedef enum rg_attest_result {
    RG_ATTEST_PASSED = 0,   /* valid, and the gate passed the release */
    RG_ATTEST_FAILED = 1,   /* valid, and the gate failed it */
    RG_ATTEST_INVALID = 2   /* not a valid attestation meeting EXPECT (ERR says why) */
} rg_attest_result;

/* Verify the attestation file at PATH: one DSSE envelope, or several, one per line (an
 * .intoto.jsonl bundle; every one must verify, and the newest that meets EXPECT answers:
 * by its timeVerified, not its place in the file -- a batch appends its envelopes late;
 * of two decided in the same second, a FAILED one; then the later in the file).
 * Checks the signatures against the threshold, the payload type, the statement and
 * predicate types, and EXPECT.  *STATEMENT (may be NULL) receives the verified
 * statement as pretty JSON (free with free()) unless the result is invalid. */
RELGATE_API rg_attest_result rg_attestation_verify(const char *path, const rg_attest_expect *expect,
                                                   char **statement, rg_error *err);

/* The allocator of the policies' Lua states created from now on (a state keeps the one
 * it was created with): REALLOC_FN and FREE_FN with realloc's and free's contracts; NULL
 * for either puts back the C library's.  Process-wide.  `relgate eval --batch` gives
 * Lua mimalloc's, which a batch's churn of small objects runs faster on, while a single
 * decision keeps the C library's allocator and never maps mimalloc
 * (docs/performance.md). */
typedef void *(*rg_realloc_fn)(void *ptr, size_t size);
typedef void (*rg_free_fn)(void *ptr);
RELGATE_API void rg_set_lua_allocator(rg_realloc_fn realloc_fn, rg_free_fn free_fn);

/* A hard stop for policy code stuck inside one C library call (a pathological string
 * pattern), which the instruction hook cannot interrupt.  The engine calls FN with the
 * seconds of wall time the policy has left (plus a grace second) before it runs policy
 * code, and with 0 when it stops: an embedder arms and disarms a timer of its own
 * there.  Process-wide; NULL removes it. */
typedef void (*rg_watchdog_fn)(double seconds);
RELGATE_API void rg_set_watchdog(rg_watchdog_fn fn);

/* Progress while plugin checks run: called a few times a second with the checks done,
 * the total, and the slowest still running (its requirement's id and seconds so far;
 * NULL when none),
 * and once with DONE == TOTAL at the end.  Process-wide; NULL removes it. */
typedef void (*rg_progress_fn)(size_t done, size_t total, const char *slowest, double seconds);
RELGATE_API void rg_set_progress(rg_progress_fn fn);

/* End the processes this thread keeps for plugin checks — each plugin's zygote, which
 * loads the plugin once and starts its check children — and whatever they left running.
 * exit() does it (for every thread's), and so does the end of a thread that evaluated; a
 * process that ends with _exit() after evaluating (a forked worker) calls it first.
 * Evaluating again afterwards starts new ones. */
RELGATE_API void rg_plugin_processes_end(void);

/* End, now, every process this process started to run plugin code — in every thread:
 * zygotes, check children, the plugin loader, their process groups — and whatever they
 * left running (processes that escaped with setsid() or a double fork, reparented to
 * this process: it is their subreaper), each killed with SIGKILL and waited for.  Every
 * child of this process counts, except those it had when it started its first plugin
 * process (they are the program's own).  Async-signal-safe (system calls only, no heap,
 * no lock): for a handler of SIGTERM, SIGHUP or SIGINT that then ends the process —
 * `relgate eval` does, and dies of the signal.  Evaluations under way in other threads
 * see their checks killed (an error, never a pass); end the process after it.  Does
 * nothing in a process that never started a plugin process (a forked process's children
 * are its own: call it in each). */
RELGATE_API void rg_plugin_processes_kill(void);

/* Say that this thread's next evaluation is its last (a command that decides once and
 * exits): each plugin's zygote then runs the evaluation's last check job of its plugin
 * itself, as that check's process, instead of starting a child for it — a fork and the
 * child's page faults fewer on the decision's path — and so ends with it.  Evaluating
 * again afterwards still works, each evaluation then with zygotes of its own.
 * Thread-local, for good. */
RELGATE_API void rg_plugin_processes_last_evaluation(void);

/* The engine's version, "MAJOR.MINOR.PATCH". */
RELGATE_API const char *rg_version(void);

#ifdef __cplusplus
}
#endif

#endif
