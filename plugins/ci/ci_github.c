/* GitHub: REST check runs, check suites, commit statuses (list and combined), workflow
 * runs and jobs; webhook payloads that carry one of those; GraphQL statusCheckRollup. */
#include <stdio.h>
#include <string.h>

#include "ci_parse.h"
#include "json_member.h"

#define OOM(why, n) (snprintf(why, n, "out of memory"), -1)

static void item_id(ci_item *it, const cJSON *o, const char *key)
{
    double id;
    if (ci_num(o, key, &id)) {
        it->id = id;
        it->has_id = 1;
    }
}

/* The Actions run a check run belongs to, from its details_url or html_url
 * (https://github.com/O/R/actions/runs/RUN/job/JOB), or a workflow job's run_id. */
static void check_run_run(ci_item *it, const cJSON *o)
{
    const char *urls[] = {ci_str(o, "details_url"), ci_str(o, "html_url")};
    double id;
    if (ci_num(o, "run_id", &id)) {
        it->run_system = 'h';
        it->run = id;
        return;
    }
    for (size_t i = 0; i < 2; i++) {
        const char *at = urls[i] ? strstr(urls[i], "/actions/runs/") : NULL;
        double run = 0;
        if (!at)
            continue;
        for (at += 14; *at >= '0' && *at <= '9' && run < 1e15; at++)
            run = run * 10 + (*at - '0');
        if (run > 0 && (*at == '/' || *at == '\0' || *at == '?')) {
            it->run_system = 'h';
            it->run = run;
            return;
        }
    }
}

/* The app that made a check run: its id, else its slug ("app 15368", "app github-actions"),
 * or NULL.  Any app with checks:write may create a check run of any name, so two apps'
 * runs of one name are two checks, never re-runs of each other. */
static const char *app_of(const cJSON *o, char *buf, size_t size)
{
    const cJSON *app = ci_obj(o, "app");
    double id;
    if (ci_num(app, "id", &id))
        snprintf(buf, size, "app %.0f", id);
    else if (ci_str(app, "slug"))
        snprintf(buf, size, "app %.200s", ci_str(app, "slug"));
    else
        return NULL;
    return buf;
}

/* A check run (REST or webhook) or a workflow job: the same fields. */
static int check_run(ci_report *r, const cJSON *o, const char *kind)
{
    ci_item *it = ci_item_add(r, kind);
    const cJSON *output = ci_obj(o, "output");
    char app[256];
    if (!it || ci_item_name(it, ci_str(o, "name")) || ci_item_state(it, ci_str(o, "conclusion"), ci_str(o, "status")) ||
        ci_item_sha(it, ci_str(o, "head_sha")) || ci_item_note(it, ci_str(output, "title")) ||
        ci_item_origin(it, app_of(o, app, sizeof app)))
        return -1;
    item_id(it, o, "id");
    check_run_run(it, o);
    ci_item_times(r, it, ci_str(o, "completed_at"), ci_str(o, "started_at"));
    return 0;
}

/* A check suite: named after its app; suites of one app are not re-runs of each other. */
static int check_suite(ci_report *r, const cJSON *o)
{
    ci_item *it = ci_item_add(r, "check_suite");
    const cJSON *app = ci_obj(o, "app");
    const char *name = ci_str(app, "name") ? ci_str(app, "name") : ci_str(app, "slug");
    const char *conclusion = ci_str(o, "conclusion");
    if (!it || ci_item_name(it, name) || ci_item_state(it, conclusion, ci_str(o, "status")) ||
        ci_item_sha(it, ci_str(o, "head_sha")))
        return -1;
    it->unique = 1;
    item_id(it, o, "id");
    ci_item_times(r, it, conclusion ? ci_str(o, "updated_at") : NULL, ci_str(o, "created_at"));
    return 0;
}

/* A workflow run: no completed_at, but updated_at is the completion once completed. */
static int workflow_run(ci_report *r, const cJSON *o)
{
    ci_item *it = ci_item_add(r, "workflow_run");
    const char *name = ci_str(o, "name") ? ci_str(o, "name") : ci_str(o, "path");
    const char *status = ci_str(o, "status");
    const char *start = ci_str(o, "run_started_at") ? ci_str(o, "run_started_at") : ci_str(o, "created_at");
    if (!it || ci_item_name(it, name) || ci_item_state(it, ci_str(o, "conclusion"), status) ||
        ci_item_sha(it, ci_str(o, "head_sha")))
        return -1;
    item_id(it, o, "id");
    it->has_attempt = ci_num(o, "run_attempt", &it->attempt);   /* a re-run keeps its id */
    it->run_system = it->has_id ? 'h' : 0;   /* a run is its own run: two ids are two runs */
    it->run = it->id;
    ci_item_times(r, it, status && strcmp(status, "completed") == 0 ? ci_str(o, "updated_at") : NULL, start);
    return 0;
}

/* A commit status (REST, webhook, or a GraphQL StatusContext): named by its context. */
static int commit_status(ci_report *r, const cJSON *o, const char *sha)
{
    ci_item *it = ci_item_add(r, "status");
    const char *state = ci_str(o, "state");
    const char *name = ci_str(o, "context") ? ci_str(o, "context") : ci_str(o, "name");
    const char *updated = ci_str(o, "updated_at") ? ci_str(o, "updated_at") : ci_str(o, "createdAt");
    const char *created = ci_str(o, "created_at") ? ci_str(o, "created_at") : ci_str(o, "createdAt");
    if (!it || ci_item_name(it, name) || ci_item_state(it, NULL, state) ||
        ci_item_sha(it, sha ? sha : ci_str(o, "sha")) || ci_item_note(it, ci_str(o, "description")))
        return -1;
    item_id(it, o, "id");
    /* a pending status has not completed: its time only orders re-posts */
    ci_item_times(r, it, state && !ci_state_pending(state) ? (updated ? updated : created) : NULL,
                  updated ? updated : created);
    return 0;
}

/* Every element of LIST through FN; KEY names the list in messages. */
static int each(ci_report *r, const cJSON *list, const char *key, int (*fn)(ci_report *, const cJSON *),
                char *why, size_t n)
{
    const cJSON *e;
    int i = 0;
    cJSON_ArrayForEach(e, list) {
        if (!cJSON_IsObject(e)) {
            snprintf(why, n, "%s[%d] is not an object", key, i);
            return -1;
        }
        if (fn(r, e) != 0)
            return OOM(why, n);
        i++;
    }
    return 0;
}

static int run_of(ci_report *r, const cJSON *o) { return check_run(r, o, "check_run"); }
static int job_of(ci_report *r, const cJSON *o) { return check_run(r, o, "workflow_job"); }
static int status_of(ci_report *r, const cJSON *o) { return commit_status(r, o, NULL); }

/* A paginated list: note when it says it holds more than it does. */
static void declared(ci_report *r, const cJSON *root, const cJSON *list)
{
    double total;
    if (ci_num(root, "total_count", &total) && total > cJSON_GetArraySize(list))
        r->declared = total < 1e15 ? (int64_t)total : (int64_t)1e15;
}

static int list(ci_report *r, const cJSON *root, const char *key, const char *format,
                int (*fn)(ci_report *, const cJSON *), char *why, size_t n)
{
    const cJSON *a = ci_arr(root, key);
    r->format = format;
    declared(r, root, a);
    return each(r, a, key, fn, why, n) == 0 ? 1 : -1;
}

/* ---- GraphQL ------------------------------------------------------------------------- */

typedef struct rollups {
    const cJSON *rollup[8];
    const cJSON *commit[8];   /* the object holding the rollup: a Commit with its oid */
    int count;
} rollups;

/* Find every statusCheckRollup that lists contexts, wherever the query put it. */
static void walk(const cJSON *node, int depth, rollups *found)
{
    const cJSON *child;
    if (depth > CI_DEPTH_MAX)
        return;
    cJSON_ArrayForEach(child, node) {
        if (cJSON_IsObject(node) && child->string && strcmp(child->string, "statusCheckRollup") == 0 &&
            ci_obj(child, "contexts")) {
            if (found->count < 8) {
                found->rollup[found->count] = child;
                found->commit[found->count] = node;
            }
            found->count++;
        }
        if (cJSON_IsObject(child) || cJSON_IsArray(child))
            walk(child, depth + 1, found);
    }
}

static int graphql_node(ci_report *r, const cJSON *o, const char *sha)
{
    const char *type = ci_str(o, "__typename");
    ci_item *it;
    int is_status = type ? strcmp(type, "StatusContext") == 0
                         : ci_str(o, "state") && !cJSON_HasObjectItem(o, "status") &&
                               !cJSON_HasObjectItem(o, "conclusion");
    if (is_status)
        return commit_status(r, o, sha);
    if (!(it = ci_item_add(r, "check_run")) || ci_item_name(it, ci_str(o, "name")) ||
        ci_item_state(it, ci_str(o, "conclusion"), ci_str(o, "status")) || ci_item_sha(it, sha))
        return -1;
    item_id(it, o, "databaseId");
    ci_item_times(r, it, ci_str(o, "completedAt"), ci_str(o, "startedAt"));
    return 0;
}

static int graphql(ci_report *r, const cJSON *root, char *why, size_t n)
{
    rollups found = {{0}, {0}, 0};
    const cJSON *contexts, *nodes, *page, *e, *errors = ci_arr(root, "errors");
    const char *sha;
    int i = 0;
    walk(root, 0, &found);
    if (found.count == 0) {
        const char *msg = ci_str(cJSON_GetArrayItem(errors, 0), "message");
        if (!msg)
            return 0;
        snprintf(why, n, "GitHub GraphQL error response: %s", msg);
        return -1;
    }
    if (found.count > 1) {
        snprintf(why, n, "GitHub GraphQL response with %d statusCheckRollup blocks (several pull requests "
                 "or commits): give the rollup of one commit", found.count);
        return -1;
    }
    r->format = "github-graphql-rollup";
    contexts = ci_obj(found.rollup[0], "contexts");
    nodes = ci_arr(contexts, "nodes");
    if (!nodes) {
        snprintf(why, n, "GitHub GraphQL statusCheckRollup without contexts.nodes (only counts by state?): "
                 "query contexts { nodes { ... } } to name the checks");
        return -1;
    }
    sha = ci_str(found.commit[0], "oid");
    page = ci_obj(contexts, "pageInfo");
    if (cJSON_IsTrue(rg_json_member(page, "hasNextPage", NULL))) {
        double total;
        r->declared = ci_num(contexts, "totalCount", &total) && total > cJSON_GetArraySize(nodes) && total < 1e15
                          ? (int64_t)total : (int64_t)cJSON_GetArraySize(nodes) + 1;
    }
    cJSON_ArrayForEach(e, nodes) {
        if (!cJSON_IsObject(e)) {
            snprintf(why, n, "statusCheckRollup.contexts.nodes[%d] is not an object", i);
            return -1;
        }
        if (graphql_node(r, e, sha) != 0)
            return OOM(why, n);
        i++;
    }
    return 1;
}

/* ---- Detection ----------------------------------------------------------------------- */

/* A document holding one item: RC is what reading it returned. */
static int single(ci_report *r, const char *format, int rc, char *why, size_t n)
{
    r->format = format;
    return rc == 0 ? 1 : OOM(why, n);
}

static int has(const cJSON *o, const char *key)
{
    return cJSON_HasObjectItem(o, key);
}

static int is_status(const cJSON *o)
{
    return cJSON_IsObject(o) && ci_str(o, "state") && ci_str(o, "context");
}

/* Is O one GitHub workflow job, workflow run, check run or check suite?  O itself when it
 * is, else NULL.  What each reader needs: a job has a name and run_id; a run a run_number
 * and a name or path; a check run a name and its check_suite, output or app; a check
 * suite an app and no name. */
static const cJSON *single_kind(const cJSON *o)
{
    if (ci_str(o, "name") && has(o, "run_id"))
        return o;
    if (has(o, "run_number") && (ci_str(o, "name") || ci_str(o, "path")))
        return o;
    if (ci_str(o, "name") && (has(o, "check_suite") || has(o, "output") || has(o, "app")))
        return o;
    if (!has(o, "name") && ci_obj(o, "app"))
        return o;
    return NULL;
}

int ci_parse_github(const cJSON *root, ci_report *r, char *why, size_t n)
{
    const cJSON *o;
    if (cJSON_IsArray(root)) {
        const cJSON *e;
        if (cJSON_GetArraySize(root) == 0 || !is_status(cJSON_GetArrayItem(root, 0)))
            return 0;
        cJSON_ArrayForEach(e, root)
            if (!is_status(e)) {
                snprintf(why, n, "a list of GitHub commit statuses with an element that is not one");
                return -1;
            }
        r->format = "github-statuses";
        return each(r, root, "statuses", status_of, why, n) == 0 ? 1 : -1;
    }
    if (!cJSON_IsObject(root) || ci_str(root, "object_kind"))
        return 0;
    if (ci_obj(root, "data") || (has(root, "data") && ci_arr(root, "errors")))
        return graphql(r, root, why, n);
    if (ci_arr(root, "check_runs"))
        return list(r, root, "check_runs", "github-check-runs", run_of, why, n);
    if (ci_arr(root, "check_suites"))
        return list(r, root, "check_suites", "github-check-suites", check_suite, why, n);
    if (ci_arr(root, "workflow_runs"))
        return list(r, root, "workflow_runs", "github-workflow-runs", workflow_run, why, n);
    if (ci_arr(root, "jobs") && has(root, "total_count"))
        return list(r, root, "jobs", "github-workflow-jobs", job_of, why, n);
    if (ci_arr(root, "statuses") && ci_str(root, "state")) {
        const char *sha = ci_str(root, "sha");
        const cJSON *a = ci_arr(root, "statuses"), *e;
        int i = 0;
        r->format = "github-combined-status";
        declared(r, root, a);
        cJSON_ArrayForEach(e, a) {
            if (!cJSON_IsObject(e)) {
                snprintf(why, n, "statuses[%d] is not an object", i);
                return -1;
            }
            if (commit_status(r, e, sha) != 0)
                return OOM(why, n);
            i++;
        }
        return 1;
    }
    /* Single objects, recognised by what their readers need (a status and what tells the
     * kinds apart); head_sha, which ties them to a commit, is said missing when absent. */
    if (ci_str(root, "status") && (o = single_kind(root))) {
        if (!ci_str(root, "head_sha"))
            r->missing = "head_sha";
        if (ci_str(root, "name") && has(root, "run_id"))
            return single(r, "github-workflow-job", check_run(r, root, "workflow_job"), why, n);
        if (has(root, "run_number"))
            return single(r, "github-workflow-run", workflow_run(r, root), why, n);
        if (ci_str(root, "name"))
            return single(r, "github-check-run", check_run(r, root, "check_run"), why, n);
        return single(r, "github-check-suite", check_suite(r, root), why, n);
    }
    /* Webhook payloads (an action, a sender) that carry something this check can judge. */
    if (ci_str(root, "action") || ci_obj(root, "sender")) {
        if ((o = ci_obj(root, "check_run")))
            return single(r, "github-webhook-check-run", check_run(r, o, "check_run"), why, n);
        if ((o = ci_obj(root, "check_suite")))
            return single(r, "github-webhook-check-suite", check_suite(r, o), why, n);
        if ((o = ci_obj(root, "workflow_run")))
            return single(r, "github-webhook-workflow-run", workflow_run(r, o), why, n);
        if ((o = ci_obj(root, "workflow_job")))
            return single(r, "github-webhook-workflow-job", check_run(r, o, "workflow_job"), why, n);
    }
    if (is_status(root))
        return single(r, has(root, "commit") ? "github-webhook-status" : "github-status",
                      commit_status(r, root, NULL), why, n);
    return 0;
}
