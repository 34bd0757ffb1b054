/* A loaded policy: its metadata and the requirements it declared. */
#ifndef RG_POLICY_H
#define RG_POLICY_H

#include <cjson/cJSON.h>

#include "digest.h"
#include "relgate/plugin.h"
#include "relgate/relgate.h"
#include "sandbox.h"

typedef enum rg_level {
    RG_LEVEL_MANDATORY, RG_LEVEL_WAIVABLE, RG_LEVEL_ADVISORY
} rg_level;

const char *rg_level_name(rg_level level);

/* Who answers plugin checks: RUN fills each job's result (the same interface whatever
 * answers).  By default child processes run the plugins (rg_run_isolated); a policy test
 * with mocks answers from them (policytest.c).  The evaluation loop knows no more. */
struct rg_job;
struct rg_context;
typedef struct rg_check_provider {
    void (*run)(void *self, struct rg_job *jobs, size_t count, const struct rg_context *ctx, int64_t now,
                const rg_limits *limits);
    void *self;
    /* Or in two steps (both set, RUN unused): START the jobs and return what FINISH needs
     * to give each its result; the evaluation runs its inline checks in between. */
    void *(*start)(void *self, struct rg_job *jobs, size_t count, const struct rg_context *ctx, int64_t now,
                   const rg_limits *limits);
    void (*finish)(void *self, void *started);
} rg_check_provider;

/* 0, 1, 2 for patch, minor, major (the index of rg_requirement.params). */
int rg_type_index(rg_release_type type);

typedef struct rg_requirement {
    char *id;
    char *title;
    char *hint;          /* NULL when the policy gave none */
    char *description;   /* NULL when the policy gave none */
    char *waiver_role;   /* a waiver's approver must hold this role; NULL: anyone but the author */
    unsigned types;      /* mask of rg_release_type */
    unsigned stages;     /* mask of rg_stage */
    unsigned declared_types, declared_stages;  /* the masks as declared, once an override
                          * changed either (else 0): where it no longer applies, the
                          * decision still shows it, skipped, with changed_by */
    rg_level level;
    int check_ref;       /* registry reference to the Lua check function, or LUA_NOREF */
    const rg_check *plugin_check;  /* the plugin check instead, or NULL */
    const struct rg_loaded_plugin *plugin; /* the plugin that provides it (plugins.h), named in decisions */
    cJSON *params[3];    /* the plugin check's parameters for patch, minor, major (see
                          * rg_type_index): validated, defaults applied, by_type resolved */
    int when_ref;        /* registry reference to the `when` predicate, or LUA_NOREF */
    int *watch[2];       /* the frozen variables its check [0] and when [1] can change
                          * (rg_sandbox_reachable_triples), and how many */
    int watch_count[2];
    double timeout;      /* seconds for the plugin check; 0: the engine's default */
    char *file;          /* where it was declared */
    int line;
    char *source;        /* "file:line", as decisions show it (NULL when out of memory) */
    char *disabled;      /* "file:line: reason" when a policy extending this one disabled it */
    cJSON *changes;      /* what extending policies changed: ["file:line: level advisory (reason)"] */
    char *defined_at;    /* "file:line" of the last override or disable of it, or NULL: where
                          * a CI annotation points (the line to edit), SOURCE staying the
                          * declaration */
} rg_requirement;

struct rg_policy {
    rg_sandbox *sb;
    char *name;
    char *version;       /* NULL when the policy declared none */
    char *description;
    char *file;          /* the policy path as given */
    int meta_line;       /* line of policy{...}, 0 when absent */
    char digest[RG_SHA256_LABEL_SIZE];
    rg_requirement *reqs;
    size_t count, cap;
    const rg_plugins *plugins;  /* where check names are looked up; may be NULL */
    struct rg_check_cache *cache; /* plugin results reused across evaluations, or NULL */
    int extending;       /* > 0 while a base policy loads through extends */
    cJSON *lint;         /* when linting: problems found ("file:line: problem"), loading goes on */
    const struct rg_check_provider *checks; /* who runs plugin checks; NULL: child processes */
    cJSON *bases;        /* the policies extended: [{name, version, file}] */
    double max_waiver_days; /* policy{ max_waiver_days }: the smallest any policy loaded
                             * declared, bases included (0: no limit) */
};

/* rg_policy_lint (relgate.h) with the problems as strings appended to PROBLEMS.
 * Load the policy at PATH only to find its problems, without running any check: every
 * declaration error (unknown check or parameter, wrong type, unknown release type or
 * stage, duplicate id, missing title...) and every requirement without a hint or that
 * applies to nothing, appended to PROBLEMS as "file:line: problem".  Returns how many
 * were found, or -1 with ERR when the policy cannot be read at all. */
int rg_policy_lint_json(const char *path, const rg_limits *limits, const rg_plugins *plugins,
                        cJSON *problems, rg_error *err);

/* " (did you mean 'ID2'?)" naming the requirement of POL closest to ID (a misspelling),
 * or "", in BUF. */
const char *rg_policy_suggest_id(const rg_policy *pol, const char *id, char *buf, size_t size);

/* The requirement POL declares as ID, or NULL. */
rg_requirement *rg_policy_find(const rg_policy *pol, const char *id);

#endif
