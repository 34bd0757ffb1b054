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
 * Every function that returns memory says who frees it.  Nothing here is
 * thread-safe across objects shared between threads; separate objects may be used
 * from separate threads.
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
    const struct cJSON *waiver_list;  /* or those waivers already read (rg_waivers_read) */
    const char *waiver_list_name;     /* where they came from, for messages */
    const rg_limits *limits;     /* NULL: rg_limits_default() */
    rg_path_cache *paths;        /* a batch: resolve each path once for the run (or NULL) */
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

/* Read a waivers file once ([...] or {"waivers": [...]}) for many contexts: *LIST is a
 * copy of the list (free with cJSON_Delete).  Returns 0, or -1 with ERR. */
RELGATE_API int rg_waivers_read(const char *path, const rg_limits *limits, struct cJSON **list,
                                rg_error *err);

/* Like rg_context_load for a document already in memory: TEXT (LEN bytes, NUL at
 * TEXT[LEN]) named DISPLAY in messages, its evidence relative to the directory of PATH
 * ("-": the working directory).  For batch evaluation, one line at a time. */
RELGATE_API rg_context *rg_context_parse(const char *text, size_t len, const char *display,
                                         const char *path, const rg_context_options *options,
                                         rg_error *err);

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

/* The engine's version, "MAJOR.MINOR.PATCH". */
RELGATE_API const char *rg_version(void);

#ifdef __cplusplus
}
#endif

#endif
