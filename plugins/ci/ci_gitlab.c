/* GitLab: REST pipelines, jobs, bridges, commit statuses, pipeline test reports and their
 * summaries; pipeline and job webhook payloads. */
#include <stdio.h>
#include <string.h>

#include "ci_parse.h"
#include "json_member.h"

#define OOM(why, n) (snprintf(why, n, "out of memory"), -1)

static int has(const cJSON *o, const char *key)
{
    return cJSON_IsObject(o) && cJSON_HasObjectItem(o, key);
}

static void item_id(ci_item *it, const cJSON *o, const char *key)
{
    double id;
    if (ci_num(o, key, &id)) {
        it->id = id;
        it->has_id = 1;
    }
}

/* A count: absent, negative or absurd values read as 0 or are capped. */
static int64_t count(const cJSON *o, const char *key)
{
    double v;
    if (!ci_num(o, key, &v) || v < 0)
        return 0;
    return v > 1e15 ? (int64_t)1e15 : (int64_t)v;
}

/* Things that carry a status but are not CI results: merge requests and merge trains,
 * deployments, security reports. */
static int not_ci(const cJSON *o)
{
    return has(o, "merge_request") || has(o, "deployable") || has(o, "merge_status") ||
           has(o, "detailed_merge_status") || has(o, "vulnerabilities");
}

static int is_pipeline(const cJSON *o)
{
    return cJSON_IsObject(o) && ci_str(o, "status") && has(o, "id") && ci_str(o, "sha") && !not_ci(o) &&
           !has(o, "stage") && !ci_obj(o, "pipeline") &&
           (has(o, "before_sha") || has(o, "yaml_errors") || has(o, "detailed_status") || has(o, "iid"));
}

/* Jobs, bridges and commit statuses: a named thing with a status, in a pipeline or on a commit. */
static int is_job(const cJSON *o)
{
    return cJSON_IsObject(o) && ci_str(o, "status") && ci_str(o, "name") && !not_ci(o) &&
           (ci_str(o, "stage") || ci_obj(o, "pipeline") || has(o, "pipeline_id") ||
            has(o, "allow_failure") || (ci_str(o, "sha") && ci_str(o, "ref")));
}

static int pipeline(ci_report *r, const cJSON *o)
{
    ci_item *it = ci_item_add(r, "pipeline");
    const char *ref = ci_str(o, "ref"), *yaml = ci_str(o, "yaml_errors");
    char name[CI_NAME_MAX];
    double id = 0;
    if (ref)
        snprintf(name, sizeof name, "pipeline %s", ref);
    else if (ci_num(o, "id", &id))
        snprintf(name, sizeof name, "pipeline #%.0f", id);
    else
        snprintf(name, sizeof name, "pipeline");
    if (!it || ci_item_name(it, name) || ci_item_state(it, NULL, ci_str(o, "status")) ||
        ci_item_sha(it, ci_str(o, "sha")))
        return -1;
    if (yaml && *yaml) {   /* GitLab can say success next to a broken configuration */
        char note[CI_MESSAGE_MAX];
        snprintf(note, sizeof note, "yaml_errors: %s", yaml);
        if (ci_item_note(it, note))
            return -1;
        it->broken = 1;
    }
    item_id(it, o, "id");
    it->run_system = it->has_id ? 'l' : 0;   /* a pipeline is its own run */
    it->run = it->id;
    ci_item_times(r, it, ci_str(o, "finished_at"),
                  ci_str(o, "started_at") ? ci_str(o, "started_at") : ci_str(o, "created_at"));
    return 0;
}

/* A job, bridge or commit status.  SHA: the pipeline's, when the job does not say. */
static int job(ci_report *r, const cJSON *o, const char *sha)
{
    const cJSON *down = ci_obj(o, "downstream_pipeline"), *pl = ci_obj(o, "pipeline");
    const char *status = ci_str(o, "status"), *reason = ci_str(o, "failure_reason");
    ci_item *it = ci_item_add(r, has(o, "downstream_pipeline") ? "bridge" : ci_str(o, "stage") || pl ? "job" : "status");
    char note[CI_MESSAGE_MAX] = "";
    if (!it)
        return -1;
    if (ci_str(down, "status")) {   /* a bridge is as good as the pipeline it triggered */
        double id = 0;
        status = ci_str(down, "status");
        ci_num(down, "id", &id);
        snprintf(note, sizeof note, "downstream pipeline #%.0f", id);
    } else if (reason) {
        snprintf(note, sizeof note, "failure_reason: %s", reason);
    }
    if (!sha)
        sha = ci_str(pl, "sha") ? ci_str(pl, "sha") : ci_str(ci_obj(o, "commit"), "id") ? ci_str(ci_obj(o, "commit"), "id") : ci_str(o, "sha");
    if (ci_item_name(it, ci_str(o, "name")) || ci_item_state(it, NULL, status) || ci_item_sha(it, sha) ||
        ci_item_note(it, note))
        return -1;
    it->allow_failure = cJSON_IsTrue(rg_json_member(o, "allow_failure", NULL));
    item_id(it, o, "id");
    if (ci_num(pl, "id", &it->run) || ci_num(o, "pipeline_id", &it->run))
        it->run_system = 'l';
    ci_item_times(r, it, ci_str(o, "finished_at"),
                  ci_str(o, "started_at") ? ci_str(o, "started_at") : ci_str(o, "created_at"));
    return 0;
}

/* A list: pipelines, or jobs (bridges and commit statuses among them). */
static int list(ci_report *r, const cJSON *root, char *why, size_t n)
{
    const cJSON *first = cJSON_GetArrayItem(root, 0), *e;
    int pipelines = is_pipeline(first), bridges = 1, i = 0;
    if (!pipelines && !is_job(first))
        return 0;
    cJSON_ArrayForEach(e, root) {
        if (pipelines ? !is_pipeline(e) : !is_job(e)) {
            snprintf(why, n, "a list of GitLab %s whose element [%d] is not one", pipelines ? "pipelines" : "jobs", i);
            return -1;
        }
        if ((pipelines ? pipeline(r, e) : job(r, e, NULL)) != 0)
            return OOM(why, n);
        bridges &= has(e, "downstream_pipeline");
        i++;
    }
    r->format = pipelines ? "gitlab-pipelines" : bridges ? "gitlab-bridges" : "gitlab-jobs";
    return 1;
}

/* ---- Webhooks --------------------------------------------------------------------------- */

static int pipeline_hook(ci_report *r, const cJSON *root, char *why, size_t n)
{
    const cJSON *attrs = ci_obj(root, "object_attributes"), *jobs, *e;
    const char *sha = ci_str(attrs, "sha");
    int i = 0;
    if (!ci_str(attrs, "status")) {
        snprintf(why, n, "GitLab pipeline webhook without object_attributes.status");
        return -1;
    }
    r->format = "gitlab-webhook-pipeline";
    if (pipeline(r, attrs) != 0)
        return OOM(why, n);
    jobs = ci_arr(root, "builds") ? ci_arr(root, "builds") : ci_arr(root, "jobs");
    cJSON_ArrayForEach(e, jobs) {
        if (!cJSON_IsObject(e) || !ci_str(e, "status")) {
            snprintf(why, n, "GitLab pipeline webhook: builds[%d] is not a job with a status", i);
            return -1;
        }
        if (job(r, e, sha) != 0)
            return OOM(why, n);
        i++;
    }
    return 1;
}

/* Job events say build_* (older) or job_* (newer). */
static const char *hook_field(const cJSON *o, const char *suffix)
{
    char key[64];
    const char *v;
    snprintf(key, sizeof key, "build_%s", suffix);
    if ((v = ci_str(o, key)))
        return v;
    snprintf(key, sizeof key, "job_%s", suffix);
    return ci_str(o, key);
}

static int job_hook(ci_report *r, const cJSON *o, char *why, size_t n)
{
    const char *status = hook_field(o, "status"), *reason = hook_field(o, "failure_reason");
    char note[CI_MESSAGE_MAX] = "";
    ci_item *it;
    if (!status) {
        snprintf(why, n, "GitLab job webhook without build_status or job_status");
        return -1;
    }
    r->format = "gitlab-webhook-job";
    if (reason && ci_state_failing(status))
        snprintf(note, sizeof note, "failure_reason: %s", reason);
    if (!(it = ci_item_add(r, "job")) || ci_item_name(it, hook_field(o, "name")) ||
        ci_item_state(it, NULL, status) || ci_item_sha(it, ci_str(o, "sha")) || ci_item_note(it, note))
        return OOM(why, n);
    it->allow_failure = cJSON_IsTrue(rg_json_member(o, "build_allow_failure", NULL)) ||
                        cJSON_IsTrue(rg_json_member(o, "job_allow_failure", NULL));
    if (!(it->has_id = ci_num(o, "build_id", &it->id)))
        it->has_id = ci_num(o, "job_id", &it->id);
    ci_item_times(r, it, hook_field(o, "finished_at"), hook_field(o, "started_at"));
    return 1;
}

/* ---- Test reports ------------------------------------------------------------------------ */

/* The first line worth showing of a GitLab test case's output. */
static const char *case_message(const cJSON *c)
{
    const cJSON *out = rg_json_member(c, "system_output", NULL);
    if (ci_str(c, "stack_trace"))
        return ci_str(c, "stack_trace");
    if (cJSON_IsString(out))
        return out->valuestring;
    if (ci_str(out, "message"))
        return ci_str(out, "message");
    out = cJSON_IsArray(out) ? cJSON_GetArrayItem(out, 0) : NULL;
    return cJSON_IsString(out) ? out->valuestring : NULL;
}

static int suite(ci_report *r, const cJSON *s, char *why, size_t n)
{
    const cJSON *cases = ci_arr(s, "test_cases"), *c;
    const char *err = ci_str(s, "suite_error");
    int64_t failed = 0, errors = 0;
    ci_item *it = ci_item_add(r, "test_suite");
    if (!it || ci_item_name(it, ci_str(s, "name")))
        return OOM(why, n);
    it->tests = it->unique = 1;
    it->total = count(s, "total_count");
    it->failures = count(s, "failed_count");
    it->errors = count(s, "error_count");
    it->skipped = count(s, "skipped_count");
    if (err && *err) {
        char note[CI_MESSAGE_MAX];
        snprintf(note, sizeof note, "suite_error: %s", err);
        if (ci_item_note(it, note))
            return OOM(why, n);
        it->broken = 1;
    }
    cJSON_ArrayForEach(c, cases) {
        const char *st = ci_str(c, "status");
        int is_err = st && strcmp(st, "error") == 0, is_fail = st && strcmp(st, "failed") == 0;
        if (!is_err && !is_fail)
            continue;
        errors += is_err;
        failed += is_fail;
        if (ci_case_add(r, ci_str(s, "name"), ci_str(c, "classname"), ci_str(c, "name"),
                        is_err ? "error" : "failure", case_message(c)) != 0)
            return OOM(why, n);
    }
    /* the counts may lag the cases they list, or the reverse: believe the worse */
    if (failed > it->failures)
        it->failures = failed;
    if (errors > it->errors)
        it->errors = errors;
    if (cJSON_GetArraySize(cases) > it->total)
        it->total = cJSON_GetArraySize(cases);
    if (it->total < it->failures + it->errors + it->skipped)
        it->total = it->failures + it->errors + it->skipped;
    r->t_total += it->total;
    r->t_failures += it->failures;
    r->t_errors += it->errors;
    r->t_skipped += it->skipped;
    return 0;
}

static int test_report(ci_report *r, const cJSON *root, char *why, size_t n)
{
    const cJSON *suites = ci_arr(root, "test_suites"), *total = ci_obj(root, "total"), *s;
    int64_t claimed_bad, i = 0;
    const char *total_err = ci_str(total, "suite_error");
    int any_broken = 0;
    r->format = total ? "gitlab-test-report-summary" : "gitlab-test-report";
    r->tests = 1;
    cJSON_ArrayForEach(s, suites) {
        if (!cJSON_IsObject(s)) {
            snprintf(why, n, "test_suites[%d] is not an object", (int)i);
            return -1;
        }
        if (suite(r, s, why, n) != 0)
            return -1;
        any_broken |= r->items[r->count - 1].broken;
        i++;
    }
    /* the totals must not claim more failures than the suites show */
    claimed_bad = total ? count(total, "failed") + count(total, "error")
                        : count(root, "failed_count") + count(root, "error_count");
    if (claimed_bad > r->t_failures + r->t_errors || (total_err && *total_err && !any_broken)) {
        ci_item *it = ci_item_add(r, "test_suite");
        char note[CI_MESSAGE_MAX];
        if (total_err && *total_err)
            snprintf(note, sizeof note, "suite_error: %s", total_err);
        else
            snprintf(note, sizeof note, "the totals count %lld failed or errored tests, the suites %lld",
                     (long long)claimed_bad, (long long)(r->t_failures + r->t_errors));
        if (!it || ci_item_name(it, "(totals)") || ci_item_note(it, note))
            return OOM(why, n);
        it->tests = it->unique = it->broken = 1;
    }
    if (r->t_total == 0)   /* a summary without suites still says how many tests ran */
        r->t_total = total ? count(total, "count") : count(root, "total_count");
    return 1;
}

/* ---- Detection ---------------------------------------------------------------------------- */

int ci_parse_gitlab(const cJSON *root, ci_report *r, char *why, size_t n)
{
    const char *kind = ci_str(root, "object_kind");
    if (cJSON_IsArray(root))
        return cJSON_GetArraySize(root) > 0 ? list(r, root, why, n) : 0;
    if (!cJSON_IsObject(root))
        return 0;
    if (kind && strcmp(kind, "pipeline") == 0)
        return pipeline_hook(r, root, why, n);
    if (kind && (strcmp(kind, "build") == 0 || strcmp(kind, "job") == 0))
        return job_hook(r, root, why, n);
    if (kind)
        return 0;
    if (ci_arr(root, "test_suites") && (ci_obj(root, "total") || has(root, "total_count")))
        return test_report(r, root, why, n);
    if (is_pipeline(root)) {
        r->format = "gitlab-pipeline";
        return pipeline(r, root) == 0 ? 1 : OOM(why, n);
    }
    if (is_job(root)) {
        r->format = has(root, "downstream_pipeline") ? "gitlab-bridge" : ci_str(root, "stage") ? "gitlab-job" : "gitlab-commit-status";
        return job(r, root, NULL) == 0 ? 1 : OOM(why, n);
    }
    return 0;
}
