/* Evaluation: select the requirements for the release's type and stage, run each
 * check in the sandbox, time it, and conclude. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <lauxlib.h>

#include "context.h"
#include "decision.h"
#include "decision_log.h"
#include "error.h"
#include "check_cache.h"
#include "evidence.h"
#include "isolate.h"
#include "json.h"
#include "luaconv.h"
#include "policylib.h"
#include "plugins.h"
#include "policy.h"
#include "textpos.h"
#include "waivers.h"

static const char KEY_CTX_VIEW[] = "rg.context";

#define DETAILS_MAX_DEPTH 32

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Protected: build the context table the checks see, with the stage, type and clock
 * the engine resolved, and keep a read-only view of it in the registry. */
static int prepare_context(lua_State *L)
{
    const rg_context *ctx = lua_touserdata(L, 1);
    /* Below the root, tables are sealed read-only as they are built; the engine's own
     * fields go into the root and, behind its view, into release before the root is
     * sealed too. */
    rg_push_json_sealed(L, ctx->root, 1);
    lua_pushstring(L, rg_stage_name(ctx->stage));
    lua_setfield(L, -2, "stage");
    lua_pushinteger(L, (lua_Integer)rg_sandbox_of(L)->now);
    lua_setfield(L, -2, "now");
    lua_getfield(L, -1, "release");
    if (rg_readonly_target(L, -1)) {   /* release is an object: the context says so */
        lua_pushstring(L, rg_release_type_name(ctx->type));
        lua_setfield(L, -2, "type");
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    rg_readonly_seal(L, RG_VIEW_OBJECT, 0);
    lua_setfield(L, LUA_REGISTRYINDEX, KEY_CTX_VIEW);
    return 0;
}

typedef struct check_call {
    const rg_requirement *req;
    rg_result *res;
} check_call;

static int status_from_name(const char *s, rg_status *out)
{
    static const struct { const char *name; rg_status status; } map[] = {
        {"pass", RG_STATUS_PASS}, {"fail", RG_STATUS_FAIL}, {"warn", RG_STATUS_WARN},
        {"skip", RG_STATUS_SKIP}};
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strcmp(s, map[i].name) == 0) {
            *out = map[i].status;
            return 0;
        }
    return -1;
}

/* Protected: call one check and copy its result out of Lua. */
static int run_check(lua_State *L)
{
    check_call *cc = lua_touserdata(L, 1);
    const rg_requirement *req = cc->req;
    char why[256] = "";
    int is_result;

    lua_rawgeti(L, LUA_REGISTRYINDEX, req->check_ref);
    lua_getfield(L, LUA_REGISTRYINDEX, KEY_CTX_VIEW);
    lua_call(L, 1, 1);

    /* A result the policy made while loading and kept is frozen: read the table behind it. */
    if (rg_readonly_target(L, -1))
        lua_replace(L, -2);
    is_result = lua_type(L, -1) == LUA_TTABLE && lua_getmetatable(L, -1);
    if (is_result) {
        luaL_getmetatable(L, RG_RESULT_META);
        is_result = lua_rawequal(L, -1, -2);
        lua_pop(L, 2);
    }
    if (!is_result)
        return luaL_error(L, "%s:%d: check of requirement '%s' returned %s; it must return "
                             "pass(...), fail(...), warn(...) or skip(...)",
                          req->file, req->line, req->id, luaL_typename(L, -1));
    /* A check may set its result's status to another (the policy's own business), but not
     * to a word that is no status (round 24: the message said "changed" of any change). */
    lua_getfield(L, -1, "status");
    if (lua_type(L, -1) != LUA_TSTRING || status_from_name(lua_tostring(L, -1), &cc->res->status))
        return luaL_error(L, "%s:%d: check of requirement '%s' returned a result whose status is not pass, fail, "
                             "warn or skip", req->file, req->line, req->id);
    lua_getfield(L, -2, "message");
    if (lua_type(L, -1) != LUA_TSTRING)
        return luaL_error(L, "%s:%d: check of requirement '%s' returned a result without a message",
                          req->file, req->line, req->id);
    free(cc->res->message);
    {
        size_t len;
        const char *msg = lua_tolstring(L, -1, &len);
        cc->res->message = rg_utf8_sanitize(msg, len); /* a NUL or bad byte becomes U+FFFD */
        if (!cc->res->message)
            return rg_sandbox_out_of_memory(L, req->file, req->line, "a check's message");
    }
    lua_getfield(L, -3, "details");
    cJSON_Delete(cc->res->details);
    if (lua_isnil(L, -1)) {
        cc->res->details = cJSON_CreateObject();
    } else if (!(cc->res->details = rg_lua_to_json(L, -1, DETAILS_MAX_DEPTH, 1, why, sizeof why)) ||
               !cJSON_IsObject(cc->res->details)) {
        cJSON_Delete(cc->res->details);
        cc->res->details = NULL;
        return luaL_error(L, "%s:%d: details of requirement '%s' cannot be written as JSON: %s",
                          req->file, req->line, req->id,
                          why[0] ? why : "details must be a table with named fields");
    }
    return 0;
}

typedef struct when_call {
    const rg_requirement *req;
    int applies;
    char *reason;   /* heap: why it does not apply */
} when_call;

/* Protected: ask a requirement's `when` predicate whether it applies to this release. */
static int run_when(lua_State *L)
{
    when_call *wc = lua_touserdata(L, 1);
    lua_rawgeti(L, LUA_REGISTRYINDEX, wc->req->when_ref);
    lua_getfield(L, LUA_REGISTRYINDEX, KEY_CTX_VIEW);
    lua_call(L, 1, 2);
    /* Only true or false: the library's "cannot tell" is nil and a reason (fields.boolean
     * of "yes", time.in_window of an unknown zone), and nil taken as false skipped the
     * requirement exactly when the release could not be judged (hostile round 31, F04). */
    if (lua_type(L, -2) != LUA_TBOOLEAN)
        return luaL_error(L, "%s:%d: requirement '%s': when returned %s, not true or false%s%s%s",
                          wc->req->file, wc->req->line, wc->req->id, luaL_typename(L, -2),
                          lua_type(L, -1) == LUA_TSTRING ? " (" : "",
                          lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "",
                          lua_type(L, -1) == LUA_TSTRING ? ")" : "");
    wc->applies = lua_toboolean(L, -2);
    if (!wc->applies && lua_type(L, -1) == LUA_TSTRING)
        wc->reason = strdup(lua_tostring(L, -1));
    return 0;
}

/* A requirement an extending policy changed says so in its details.  The engine's alone
 * to say: a check's own "changed_by" or "disabled_by" (an overriding check could write
 * an empty or made-up list there) is replaced, or removed where nothing changed it; and
 * its own "waiver" too, which only a waiver the engine applies writes (waivers.c). */
static void note_changes(rg_result *res, const rg_requirement *req)
{
    static const char *const engine_keys[] = {"changed_by", "waiver"};
    if (!res->details)
        return;
    for (size_t k = 0; k < sizeof engine_keys / sizeof *engine_keys; k++) {
        if (cJSON_GetObjectItemCaseSensitive(res->details, engine_keys[k])) {
            rg_result_own_details(res);
            cJSON_DeleteItemFromObjectCaseSensitive(res->details, engine_keys[k]);
        }
    }
    if (!req->disabled && cJSON_GetObjectItemCaseSensitive(res->details, "disabled_by")) {
        rg_result_own_details(res);
        cJSON_DeleteItemFromObjectCaseSensitive(res->details, "disabled_by");
    }
    if (req->changes) {
        rg_result_own_details(res);
        cJSON_AddItemToObject(res->details, "changed_by", cJSON_Duplicate(req->changes, 1));
    }
}

static void free_result(rg_result *r)
{
    /* id, title, hint, check and source live in the decision's text block. */
    free(r->message);
    cJSON_Delete(r->details);
    rg_shared_json_unref(r->shared);
}

void rg_decision_free(rg_decision *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < d->count; i++)
        free_result(&d->results[i]);
    free(d->results);
    free(d->text);
    free(d->release_name);
    free(d->release_version);
    free(d->release_environment);
    free(d->context_file);
    free(d->policy_name);
    free(d->policy_version);
    cJSON_Delete(d->actions);
    cJSON_Delete(d->evidence);
    cJSON_Delete(d->waivers);
    cJSON_Delete(d->policy_bases);
    free(d);
}

/* Where a denied post-deploy gate rolls back to: with a decision log, the last version the
 * log saw pass post-deploy; else (or when the log has none) release.previous_version. */
static void add_rollback_target(cJSON *rollback, const rg_context *ctx)
{
    const char *target = ctx->previous_version;
    /* Where the release runs: a version that passed in another environment only (a log
     * staging and production share) is no target to roll back to. */
    const char *environment = ctx->environment;
    char source[3 * RG_ERROR_MESSAGE_MAX];
    cJSON *good = NULL;
    rg_error err;

    rg_error_init(&err);
    if (ctx->decision_log)
        good = rg_log_last_good_json(ctx->decision_log, ctx->name, environment, ctx->version, &err);
    if (good) {
        const char *when = rg_json_string(good, "evaluated_at");
        target = rg_json_string(cJSON_GetObjectItemCaseSensitive(good, "release"), "version");
        snprintf(source, sizeof source, "decision log %s: last post-deploy %s of %s%s%s, at %s",
                 rg_log_name(ctx->decision_log), rg_json_string(good, "decision"), ctx->name,
                 environment ? " in " : "", environment ? environment : "", when ? when : "?");
    } else if (ctx->decision_log && err.kind != RG_ERROR_NONE) {
        /* A log that cannot be read, or reads as edited, answers no target: not the
         * context's either, which the log may know better than (a version since denied). */
        target = NULL;
        snprintf(source, sizeof source, "none: the decision log %s could not be read for the last good release of %s: "
                 "%s; find it by hand", rg_log_name(ctx->decision_log), ctx->name, err.message);
    } else if (ctx->decision_log) {
        snprintf(source, sizeof source,
                 "context: release.previous_version (decision log %s has no passed post-deploy gate of %s%s%s)",
                 rg_log_name(ctx->decision_log), ctx->name, environment ? " in " : "", environment ? environment : "");
    } else if (target) {
        snprintf(source, sizeof source, "context: release.previous_version");
    } else {
        snprintf(source, sizeof source,
                 "none: the context has no release.previous_version; find the last known-good release by hand");
    }
    if (target)
        cJSON_AddStringToObject(rollback, "target", target);
    else
        cJSON_AddNullToObject(rollback, "target");
    cJSON_AddStringToObject(rollback, "source", source);
    cJSON_Delete(good);
    rg_error_clear(&err);
}

/* The release guide's playbook for a failed post-deploy gate. */
static void add_playbook_actions(rg_decision *d, const rg_context *ctx)
{
    cJSON *incident = cJSON_CreateObject(), *rollback = cJSON_CreateObject(),
          *triage = cJSON_CreateObject(), *failed = cJSON_CreateArray(), *notify;
    char summary[512];

    for (size_t i = 0; i < d->count; i++)
        if (d->results[i].status == RG_STATUS_FAIL || d->results[i].status == RG_STATUS_ERROR)
            cJSON_AddItemToArray(failed, cJSON_CreateString(d->results[i].id));
    snprintf(summary, sizeof summary, "post-deploy gate denied %s %s", ctx->name, ctx->version);
    cJSON_AddStringToObject(incident, "type", "incident");
    cJSON_AddStringToObject(incident, "summary", summary);
    notify = cJSON_AddArrayToObject(incident, "notify");
    cJSON_AddItemToArray(notify, cJSON_CreateString("on-call"));
    cJSON_AddItemToObject(incident, "requirements", failed);
    cJSON_AddItemToArray(d->actions, incident);

    cJSON_AddStringToObject(rollback, "type", "rollback");
    add_rollback_target(rollback, ctx);
    cJSON_AddItemToArray(d->actions, rollback);

    cJSON_AddStringToObject(triage, "type", "triage");
    cJSON_AddStringToObject(triage, "summary", "triage the root cause and capture action items");
    cJSON_AddItemToArray(d->actions, triage);
}

static rg_decision *decision_new(const rg_policy *pol, const rg_context *ctx)
{
    rg_decision *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    d->release_name = strdup(ctx->name);
    d->release_version = strdup(ctx->version);
    d->release_environment = ctx->environment ? strdup(ctx->environment) : NULL;
    d->context_file = strdup(ctx->display);
    d->type = ctx->type;
    d->stage = ctx->stage;
    d->policy_name = strdup(pol->name);
    d->policy_version = pol->version ? strdup(pol->version) : NULL;
    memcpy(d->policy_digest, pol->digest, sizeof d->policy_digest);
    d->policy_bases = pol->bases ? cJSON_Duplicate(pol->bases, 1) : cJSON_CreateArray();
    rg_sha256_label(ctx->digest, d->context_digest, sizeof d->context_digest);
    d->evaluated_at = pol->sb->now;
    d->actions = cJSON_CreateArray();
    d->evidence = cJSON_CreateArray();
    d->waivers = cJSON_CreateArray();
    d->results = calloc(pol->count ? pol->count : 1, sizeof *d->results);
    if (!d->release_name || !d->release_version || !d->context_file || !d->policy_name ||
        !d->actions || !d->evidence || !d->waivers || !d->results || (pol->version && !d->policy_version) ||
        (ctx->environment && !d->release_environment)) {
        rg_decision_free(d);
        return NULL;
    }
    return d;
}

static int applies(const rg_requirement *req, const rg_context *ctx)
{
    return (req->types & (unsigned)ctx->type) && (req->stages & (unsigned)ctx->stage);
}

/* Whether REQ would apply to CTX as it was declared, but an override moved its types or
 * stages away: it then shows in the decision, skipped, saying so -- as disable does --
 * rather than vanishing from it. */
static int moved_away(const rg_requirement *req, const rg_context *ctx)
{
    return req->declared_types && !applies(req, ctx) && (req->declared_types & (unsigned)ctx->type) &&
           (req->declared_stages & (unsigned)ctx->stage);
}

/* Whether REQ has a result in CTX's decision. */
static int shown(const rg_requirement *req, const rg_context *ctx)
{
    return applies(req, ctx) || moved_away(req, ctx);
}

/* The results' fixed strings (id, title, hint, check, source) go into one block per
 * decision: one allocation instead of five per result. */
static size_t result_text_size(const rg_policy *pol, const rg_context *ctx)
{
    size_t n = 1;
    for (size_t i = 0; i < pol->count; i++) {
        const rg_requirement *req = &pol->reqs[i];
        if (!shown(req, ctx))
            continue;
        n += strlen(req->id) + strlen(req->title) + (req->hint ? strlen(req->hint) : 0) +
             strlen(req->plugin_check ? req->plugin_check->name : "lua") +
             (req->source ? strlen(req->source) : 1) + (req->defined_at ? strlen(req->defined_at) + 1 : 0) + 5;
        if (req->plugin)
            n += strlen(req->plugin->desc->name) + strlen(req->plugin->desc->version) + RG_SHA256_LABEL_SIZE + 3;
    }
    return n;
}

static char *text_copy(char **at, const char *s)
{
    size_t n = strlen(s) + 1;
    char *copy = memcpy(*at, s, n);
    *at += n;
    return copy;
}

/* An error raised by REQ's code that names no place of its own is placed at REQ's
 * declaration. */
static void blame_requirement(rg_error *err, const rg_requirement *req)
{
    if (err->file[0] == '\0') {
        rg_strlcpy(err->file, req->file, sizeof err->file);
        err->line = req->line;
    }
}

/* Run the `when` predicates of the applicable requirements.  SKIPPED[i] becomes the
 * reason requirement i does not apply (heap), or stays NULL.  Returns 0, or -1 with
 * ERR when a predicate raised. */
static int run_predicates(rg_policy *pol, const rg_context *ctx, char **skipped, rg_error *err)
{
    for (size_t i = 0; i < pol->count; i++) {
        const rg_requirement *req = &pol->reqs[i];
        when_call wc = {req, 1, NULL};
        if (req->when_ref == LUA_NOREF || !applies(req, ctx) || req->disabled)
            continue;
        lua_pushcfunction(pol->sb->L, run_when);
        lua_pushlightuserdata(pol->sb->L, &wc);
        rg_sandbox_watch(pol->sb, req->watch[1], req->watch_count[1]);
        if (rg_sandbox_call(pol->sb, 1, 0, err) != 0) {
            free(wc.reason);
            blame_requirement(err, req);
            return -1;
        }
        if (wc.applies) {
            free(wc.reason);
            continue;
        }
        /* Without its reason the requirement would run as if its `when` had said yes. */
        skipped[i] = wc.reason ? wc.reason : strdup("does not apply to this release (when)");
        if (!skipped[i])
            return rg_fail(err, RG_ERROR_INTERNAL, NULL, 0, 0, "out of memory");
    }
    return 0;
}

static void *start_in_children(void *self, rg_job *jobs, size_t n, const rg_context *ctx, int64_t now,
                               const rg_limits *limits)
{
    (void)self;
    return rg_isolated_start(jobs, n, ctx, now, limits);
}

static void finish_in_children(void *self, void *started)
{
    (void)self;
    rg_isolated_finish(started);
}

static const rg_check_provider isolated_checks = {NULL, NULL, start_in_children, finish_in_children};

/* Does requirement I run a plugin check in this evaluation? */
static int runs_plugin(const rg_policy *pol, size_t i, const rg_context *ctx, char *const *skipped)
{
    const rg_requirement *req = &pol->reqs[i];
    return req->plugin_check && applies(req, ctx) && !skipped[i] && !req->disabled;
}

/* A plugin check's requirement whose result waits for its child: where its result is in
 * the decision, and how many evidence notes the decision had when its turn came (its
 * check's notes go there, as if it had answered then). */
typedef struct pending_result {
    size_t result, req, evidence_at;
} pending_result;

/* The plugin checks of one evaluation, one job per requirement that runs one, in policy
 * order: contiguous, as a provider runs them, and in the order the requirements take
 * their results back.  Beside each job, the cached tree its result's details are a view
 * of, when an earlier evaluation's result was reused.  While children run (STARTED),
 * the requirements that take their results are pending; the check cache's lookups wait
 * for the results to be stored. */
typedef struct plugin_jobs {
    rg_job *jobs;
    rg_shared_json **shared;
    size_t count;
    size_t next;     /* the job the next requirement with a plugin check takes */
    const rg_check_provider *running;   /* started and not yet finished: whose */
    void *started;
    pending_result *pending;            /* one per job, the first NEXT of them set */
    char **keys;                        /* the check cache's key of each job */
    rg_job *misses;                     /* the jobs the cache did not answer */
    size_t *where;                      /* misses[k] is jobs[where[k]] */
    size_t todo;
} plugin_jobs;

/* Start MISSES through the policy's provider (child processes unless it says
 * otherwise); a provider of one step runs them now.  Plugin checks have timeouts of their
 * own: the policy's watchdog is off, and its clock paused, while the engine waits on
 * them. */
static void checks_start(const rg_policy *pol, plugin_jobs *pj, rg_job *jobs, size_t n, const rg_context *ctx)
{
    const rg_check_provider *p = pol->checks ? pol->checks : &isolated_checks;
    double start = now_ms();
    rg_sandbox_hold_watchdog(pol->sb, 0);
    if (p->start && p->finish) {
        pj->started = p->start(p->self, jobs, n, ctx, pol->sb->now, &pol->sb->limits);
        pj->running = p;
    } else {
        p->run(p->self, jobs, n, ctx, pol->sb->now, &pol->sb->limits);
    }
    rg_sandbox_hold_watchdog(pol->sb, 1);
    rg_sandbox_pause_clock(pol->sb, (now_ms() - start) / 1000.0);
}

/* Every started job has its result (the cache keeps the misses'). */
static void checks_finish(const rg_policy *pol, plugin_jobs *pj)
{
    double start = now_ms();
    if (!pj->running)
        return;
    rg_sandbox_hold_watchdog(pol->sb, 0);
    pj->running->finish(pj->running->self, pj->started);
    pj->running = NULL;
    rg_sandbox_hold_watchdog(pol->sb, 1);
    rg_sandbox_pause_clock(pol->sb, (now_ms() - start) / 1000.0);
    for (size_t k = 0; pj->misses && k < pj->todo; k++) {
        pj->jobs[pj->where[k]] = pj->misses[k];
        rg_check_cache_put(pol->cache, pj->keys[pj->where[k]], &pj->misses[k].result);
    }
    pj->todo = 0;
}

/* Start PJ's jobs through POL's check cache: a result an earlier evaluation of this run
 * already found is reused now, only the others start (together), and their results are
 * kept for the evaluations after.  Without memory for that, every job starts. */
static void start_cached(rg_policy *pol, plugin_jobs *pj, const rg_context *ctx)
{
    size_t n = pj->count;
    pj->keys = calloc(n, sizeof *pj->keys);
    pj->misses = calloc(n, sizeof *pj->misses);
    pj->where = calloc(n, sizeof *pj->where);
    if (!pj->keys || !pj->misses || !pj->where) {
        free(pj->misses);
        free(pj->where);
        pj->misses = NULL;
        pj->where = NULL;
        checks_start(pol, pj, pj->jobs, n, ctx);
        return;
    }
    rg_check_cache_next(pol->cache);
    for (size_t j = 0; j < n; j++) {
        const rg_check_cache_entry *hit;
        pj->keys[j] = rg_check_cache_key(pj->jobs[j].check, pj->jobs[j].params, pol->sb->now);
        hit = rg_check_cache_get(pol->cache, pj->keys[j], ctx);
        if (hit) {
            rg_check_cache_reuse(hit, &pj->jobs[j].result, &pj->shared[j]);
        } else {
            pj->where[pj->todo] = j;
            pj->misses[pj->todo++] = pj->jobs[j];
        }
    }
    if (pj->todo)
        checks_start(pol, pj, pj->misses, pj->todo, ctx);
}

/* Start the applicable plugin checks into PJ, all at once, before the inline ones: they
 * are independent processes, and run while the inline checks do.  Out of memory, PJ has
 * no job, and the first requirement that wants one fails the evaluation. */
static void start_plugin_checks(rg_policy *pol, const rg_context *ctx, char *const *skipped, plugin_jobs *pj)
{
    size_t n = 0;
    for (size_t i = 0; i < pol->count; i++)
        if (runs_plugin(pol, i, ctx, skipped))
            n++;
    if (n == 0)
        return;
    pj->jobs = calloc(n, sizeof *pj->jobs);
    pj->shared = calloc(n, sizeof *pj->shared);
    pj->pending = calloc(n, sizeof *pj->pending);
    if (!pj->jobs || !pj->shared || !pj->pending) {
        free(pj->jobs);
        free(pj->shared);
        free(pj->pending);
        pj->jobs = NULL;
        pj->shared = NULL;
        pj->pending = NULL;
        return;
    }
    for (size_t i = 0; i < pol->count; i++) {
        const rg_requirement *req = &pol->reqs[i];
        rg_job *job = &pj->jobs[pj->count];
        if (!runs_plugin(pol, i, ctx, skipped))
            continue;
        job->check = req->plugin_check;
        job->plugin = req->plugin;
        job->label = req->id;
        job->params = req->params[rg_type_index(ctx->type)];
        job->timeout = req->timeout > 0 ? req->timeout : pol->sb->limits.check_timeout;
        pj->count++;
    }
    if (pol->cache)
        start_cached(pol, pj, ctx);
    else
        checks_start(pol, pj, pj->jobs, pj->count, ctx);
}

static void free_skipped(char **skipped, size_t count)
{
    for (size_t i = 0; skipped && i < count; i++)
        free(skipped[i]);
    free(skipped);
}

static void free_shared(rg_shared_json **shared, size_t count)
{
    for (size_t i = 0; shared && i < count; i++)
        rg_shared_json_unref(shared[i]);
    free(shared);
}

static void free_jobs(rg_job *jobs, size_t count)
{
    for (size_t i = 0; jobs && i < count; i++)
        rg_check_result_clear(&jobs[i].result);
    free(jobs);
}

/* Move a plugin check's result into RES.  A path-rule violation stops the gate. */
static int take_plugin_result(rg_result *res, rg_job *job, rg_shared_json **shared,
                              const rg_requirement *req, cJSON *res_evidence, rg_error *err)
{
    static const rg_status map[] = {
        [RG_CHECK_PASS] = RG_STATUS_PASS, [RG_CHECK_FAIL] = RG_STATUS_FAIL,
        [RG_CHECK_WARN] = RG_STATUS_WARN, [RG_CHECK_SKIP] = RG_STATUS_SKIP,
        [RG_CHECK_ERROR] = RG_STATUS_ERROR};
    if (job->result.violation)
        return rg_fail(err, RG_ERROR_EVIDENCE, req->file, req->line, 0, "%s:%d: requirement '%s': check %s: %s",
                       req->file, req->line, req->id, req->plugin_check->name,
                       job->result.message ? job->result.message : "evidence path violation");
    res->status = (unsigned)job->result.status < sizeof map / sizeof map[0] && job->result.status
                      ? map[job->result.status] : RG_STATUS_ERROR;
    rg_evidence_merge(res_evidence, job->result.evidence);
    res->message = job->result.message;
    res->details = job->result.details;
    res->shared = *shared;
    job->result.message = NULL;
    job->result.details = NULL;
    *shared = NULL;
    if (!res->message)
        res->message = strdup("the check gave no message");
    if (!res->details)
        res->details = cJSON_CreateObject();
    res->duration_ms = (double)(long long)(job->duration_ms * 1000.0 + 0.5) / 1000.0;
    return 0;
}

/* One evaluation's working state besides its decision: for each requirement, why it
 * does not apply (`when`; heap, or NULL), and the plugin checks' jobs. */
typedef struct evaluation {
    rg_policy *pol;
    const rg_context *ctx;
    rg_decision *d;
    char *text;          /* where the next result's strings go, in d->text */
    char **skipped;
    plugin_jobs checks;
} evaluation;

/* RES names REQ: its strings copied into the decision's one block of text (sized by
 * result_text_size), so that a result holds no pointer into the policy. */
static void name_result(rg_result *res, const rg_requirement *req, char **text)
{
    res->id = text_copy(text, req->id);
    res->title = text_copy(text, req->title);
    res->hint = req->hint ? text_copy(text, req->hint) : NULL;
    res->check = text_copy(text, req->plugin_check ? req->plugin_check->name : "lua");
    res->source = text_copy(text, req->source ? req->source : "?");
    res->defined_at = req->defined_at ? text_copy(text, req->defined_at) : NULL;
    if (req->plugin) {
        res->plugin = text_copy(text, req->plugin->desc->name);
        res->plugin_version = text_copy(text, req->plugin->desc->version);
        if (req->plugin->file)
            res->plugin_digest = text_copy(text, req->plugin->file->digest);
    }
    res->level = req->level;
}

/* A requirement a policy disabled: skipped, saying which policy and what changed it. */
static void disabled_result(rg_result *res, const rg_requirement *req)
{
    size_t n = strlen(req->disabled) + 32;
    res->status = RG_STATUS_SKIP;
    res->message = malloc(n);
    if (res->message)
        snprintf(res->message, n, "disabled by %s", req->disabled);
    res->details = cJSON_CreateObject();
    cJSON_AddStringToObject(res->details, "disabled_by", req->disabled);
}

/* A requirement an override moved away from this release's type or stage: skipped,
 * its changes saying by whom. */
static void moved_result(rg_result *res, const rg_requirement *req)
{
    res->status = RG_STATUS_SKIP;
    res->message = strdup("not applied to this release: an extending policy's override changed its types or "
                          "stages (details.changed_by)");
    res->details = cJSON_CreateObject();
}

/* REQ's inline Lua check into RES, timed.  A check that raises is a broken policy, so
 * the gate cannot be evaluated: -1 with ERR. */
static int run_inline_check(rg_policy *pol, const rg_requirement *req, rg_result *res, rg_error *err)
{
    check_call cc = {req, res};
    double start = now_ms();
    lua_pushcfunction(pol->sb->L, run_check);
    lua_pushlightuserdata(pol->sb->L, &cc);
    rg_sandbox_watch(pol->sb, req->watch[0], req->watch_count[0]);
    if (rg_sandbox_call(pol->sb, 1, 0, err) != 0) {
        blame_requirement(err, req);
        return -1;
    }
    res->duration_ms = (double)(long long)((now_ms() - start) * 1000.0 + 0.5) / 1000.0;
    return 0;
}

/* RES (REQ's) is complete: an advisory failure made a warning, a change an extending
 * policy made said in its details.  Returns 0, or -1 with ERR when out of memory: a
 * result without its message or details is never one. */
static int result_done(rg_result *res, const rg_requirement *req, rg_error *err)
{
    if (res->level == RG_LEVEL_ADVISORY && res->status == RG_STATUS_FAIL)
        res->status = RG_STATUS_WARN;
    note_changes(res, req);
    if (!res->message || !res->details)
        return rg_fail(err, RG_ERROR_INTERNAL, req->file, req->line, 0,
                       "out of memory recording the result of requirement '%s'", req->id);
    return 0;
}

/* Requirement I's result, added to the decision when it applies to this release: skipped
 * (disabled, or its `when` said no), its inline check's, or its plugin check's (the next
 * job's) — pending while the plugin checks still run.  Returns 0, or -1 with ERR: the
 * gate cannot be evaluated. */
static int evaluate_requirement(evaluation *ev, size_t i, rg_error *err)
{
    const rg_requirement *req = &ev->pol->reqs[i];
    plugin_jobs *pj = &ev->checks;
    rg_result *res;
    if (!shown(req, ev->ctx))
        return 0;
    res = &ev->d->results[ev->d->count++];
    name_result(res, req, &ev->text);
    if (!applies(req, ev->ctx)) {
        moved_result(res, req);
    } else if (req->disabled) {
        disabled_result(res, req);
    } else if (ev->skipped[i]) {
        res->status = RG_STATUS_SKIP;
        res->message = ev->skipped[i];
        res->details = cJSON_CreateObject();
        ev->skipped[i] = NULL;
    } else if (req->plugin_check) {
        /* The jobs are in policy order: this requirement's is the next one. */
        if (pj->next >= pj->count)
            return rg_fail(err, RG_ERROR_INTERNAL, NULL, 0, 0, "out of memory running plugin checks");
        pj->pending[pj->next++] = (pending_result){(size_t)(res - ev->d->results), i,
                                                   (size_t)cJSON_GetArraySize(ev->d->evidence)};
        return 0;
    } else if (run_inline_check(ev->pol, req, res, err) != 0) {
        return -1;
    }
    return result_done(res, req, err);
}

/* The notes of OLD from the first still in it up to index UNTIL (of the original array;
 * *TAKEN of them taken so far) merged into TO, as they were when noted. */
static void move_notes(cJSON *old, size_t until, size_t *taken, cJSON *to)
{
    /* Moved, not copied: nothing here can run out of memory and drop a note. */
    for (; *taken < until && old->child; (*taken)++)
        rg_evidence_move(to, cJSON_DetachItemFromArray(old, 0));
}

/* The plugin checks have finished: each pending requirement takes its result, and the
 * evidence its check read goes in where the requirement came in policy order (the
 * decision's notes rebuilt in that order, a note already there not repeated).  Only the
 * first UPTO requirements count: the evaluation stopped there.  Returns 0, or -1 with
 * ERR: a path-rule violation stops the gate. */
static int take_pending(evaluation *ev, size_t upto, rg_error *err)
{
    plugin_jobs *pj = &ev->checks;
    cJSON *old = ev->d->evidence, *notes = cJSON_CreateArray();
    size_t taken = 0;
    int rc = 0;
    if (pj->next == 0) {
        cJSON_Delete(notes);
        return 0;
    }
    if (!notes)
        return rg_fail(err, RG_ERROR_INTERNAL, NULL, 0, 0, "out of memory");
    for (size_t k = 0; k < pj->next && rc == 0; k++) {
        const pending_result *p = &pj->pending[k];
        const rg_requirement *req = &ev->pol->reqs[p->req];
        rg_result *res = &ev->d->results[p->result];
        if (p->req >= upto)
            break;
        move_notes(old, p->evidence_at, &taken, notes);
        rc = take_plugin_result(res, &pj->jobs[k], &pj->shared[k], req, notes, err);
        if (rc == 0)
            rc = result_done(res, req, err);
    }
    move_notes(old, SIZE_MAX, &taken, notes);
    cJSON_Delete(old);
    ev->d->evidence = notes;
    return rc;
}

/* Free what EV held besides its decision, and give the sandbox back. */
static void evaluation_end(evaluation *ev)
{
    rg_sandbox *sb = ev->pol->sb;
    plugin_jobs *pj = &ev->checks;
    checks_finish(ev->pol, pj);   /* an evaluation that failed still waits for its children */
    rg_sandbox_hold_watchdog(sb, 0);
    sb->ctx = NULL;
    sb->evidence_log = NULL;
    for (size_t j = 0; pj->keys && j < pj->count; j++)
        free(pj->keys[j]);
    free(pj->keys);
    free(pj->misses);
    free(pj->where);
    free(pj->pending);
    free_jobs(pj->jobs, pj->count);
    free_shared(pj->shared, pj->count);
    free_skipped(ev->skipped, ev->pol->count);
}

/* Whether POL declares a requirement (not disabled) for CTX's stage and release type. */
static int covers(const rg_policy *pol, const rg_context *ctx)
{
    for (size_t i = 0; i < pol->count; i++)
        if (applies(&pol->reqs[i], ctx) && !pol->reqs[i].disabled)
            return 1;
    return 0;
}

/* Prepare the context, run the `when` predicates, start every plugin check, run each
 * inline requirement in policy order while they run, then give the plugin requirements
 * their results; waivers, the verdict and the post-deploy playbook come last. */

rg_decision *rg_evaluate(rg_policy *pol, const rg_context *ctx, rg_error *err)
{
    rg_sandbox *sb = pol->sb;
    evaluation ev;
    size_t i;

    /* Nothing to check is no allow: a policy of pre-release requirements asked about
     * "deploy" (the context's own "stage" says so, when --stage does not) would let the
     * release through with nothing looked at.  A requirement its `when` skips still
     * counts: the policy covers the stage, and said why it does not apply. */
    if (!covers(pol, ctx)) {
        rg_fail(err, RG_ERROR_POLICY, pol->file, 0, 0,
                "policy %s declares no requirement for %s releases at stage %s: nothing to decide, and a gate "
                "with nothing to check never allows (declare the stage's requirements, or ask about a stage it covers)",
                pol->name ? pol->name : pol->file, rg_release_type_name(ctx->type), rg_stage_name(ctx->stage));
        return NULL;
    }
    ev = (evaluation){pol, ctx, decision_new(pol, ctx), NULL, NULL, {0}};

    if (!ev.d || !(ev.text = ev.d->text = malloc(result_text_size(pol, ctx)))) {
        rg_decision_free(ev.d);
        rg_fail(err, RG_ERROR_INTERNAL, NULL, 0, 0, "out of memory");
        return NULL;
    }
    rg_sandbox_new_budget(sb); /* each evaluation gets the whole budget, loading had its own */
    rg_sandbox_hold_watchdog(sb, 1);
    sb->ctx = ctx;
    sb->evidence_log = ev.d->evidence;
    if (!(ev.skipped = calloc(pol->count ? pol->count : 1, sizeof *ev.skipped))) {
        rg_fail(err, RG_ERROR_INTERNAL, NULL, 0, 0, "out of memory");
        goto fail;
    }
    lua_pushcfunction(sb->L, prepare_context);
    lua_pushlightuserdata(sb->L, (void *)ctx);
    if (rg_sandbox_call(sb, 1, 0, err) != 0 || run_predicates(pol, ctx, ev.skipped, err) != 0)
        goto fail;
    start_plugin_checks(pol, ctx, ev.skipped, &ev.checks);
    for (i = 0; i < pol->count; i++)
        if (evaluate_requirement(&ev, i, err) != 0)
            break;
    checks_finish(pol, &ev.checks);
    sb->evidence_log = NULL;
    /* A plugin requirement before the one that failed (if one did) breaks the path rules:
     * that error is the gate's, as if the requirements had run one after the other. */
    if (take_pending(&ev, i, err) != 0 || i < pol->count)
        goto fail;
    evaluation_end(&ev);
    rg_waivers_apply(ev.d, pol, ctx);
    rg_decision_conclude(ev.d);
    if (ev.d->stage == RG_STAGE_POST_DEPLOY && ev.d->verdict == RG_VERDICT_DENY)
        add_playbook_actions(ev.d, ctx);
    return ev.d;
fail:
    evaluation_end(&ev);
    rg_decision_free(ev.d);
    return NULL;
}
