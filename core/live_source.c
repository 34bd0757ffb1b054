/* The shape of a live evidence source, checked when the context loads: a misspelt
 * endpoint or a repository that is not OWNER/NAME stops the gate before any check runs,
 * as a bad path does, rather than becoming a request to a URL nobody meant. */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "context.h"
#include "error.h"
#include "evidence.h"
#include "json.h"
#include "live_source.h"

static const char *const GITHUB_KINDS[] = {"check-runs", "statuses", "workflow-runs", NULL};
static const char *const GITLAB_KINDS[] = {"pipelines", "pipeline-jobs", NULL};
static const char *const GITHUB_KEYS[] = {"github", "repo", "ref", "own_run", "recorded", NULL};
static const char *const GITLAB_KEYS[] = {"gitlab", "project", "ref", "pipeline", "own_run", "recorded", NULL};
static const char *const RECORD_KEYS[] = {"url", "next", "fetched_at", "sha256", "file", NULL};

int rg_live_source_is(const cJSON *entry)
{
    return cJSON_IsObject(entry);
}

static int listed(const char *s, const char *const *list)
{
    for (; *list; list++)
        if (strcmp(s, *list) == 0)
            return 1;
    return 0;
}

static void join(const char *const *list, char *buf, size_t size)
{
    size_t n = 0;
    buf[0] = '\0';
    for (; *list && n < size; list++)
        n += (size_t)snprintf(buf + n, size - n, "%s%s", n ? ", " : "", *list);
}

/* A full commit hash: 40 hex digits (SHA-1) or 64 (SHA-256).  Abbreviations are refused:
 * the APIs would take a branch or tag name too, and a gate must name one commit. */
static int is_commit(const char *s)
{
    size_t n = strspn(s, "0123456789abcdefABCDEF");
    return s[n] == '\0' && (n == 40 || n == 64);
}

/* A path segment as GitHub and GitLab allow them: letters, digits, '-', '_', '.', not
 * "." or ".." (which would change the URL's meaning). */
static int segment_ok(const char *s, size_t n)
{
    if (n == 0 || n > 100 || (n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
              c == '_' || c == '.'))
            return 0;
    }
    return 1;
}

/* OWNER/NAME (SEGMENTS 2) or a GitLab path group/sub/name (SEGMENTS 0: two or more). */
static int path_ok(const char *s, int segments)
{
    int count = 0;
    while (1) {
        const char *slash = strchr(s, '/');
        size_t n = slash ? (size_t)(slash - s) : strlen(s);
        if (!segment_ok(s, n))
            return 0;
        count++;
        if (!slash)
            break;
        s = slash + 1;
    }
    return segments ? count == segments : count >= 2 && count <= 20;
}

static int positive_id(const cJSON *v)
{
    return cJSON_IsNumber(v) && v->valuedouble >= 1 && v->valuedouble <= 9007199254740991.0 &&
           v->valuedouble == (double)(long long)v->valuedouble;
}

static int problem(rg_error *err, const rg_context *ctx, const char *name, const char *what)
{
    return rg_add_problem(err, RG_ERROR_CONTEXT, ctx->display, "%s: evidence.%s: %s", ctx->display, name, what);
}

static int validate_recorded(const rg_context *ctx, const char *name, const cJSON *rec, rg_error *err)
{
    const cJSON *page, *field;
    char msg[PATH_MAX + 256], joined[PATH_MAX];
    int bad = 0, i = 0;
    if (!cJSON_IsArray(rec) || cJSON_GetArraySize(rec) < 1)
        return problem(err, ctx, name, "\"recorded\" must be a non-empty list of the pages fetched");
    cJSON_ArrayForEach(page, rec) {
        const char *url = rg_json_string(page, "url"), *file = rg_json_string(page, "file");
        const char *sha = rg_json_string(page, "sha256"), *at = rg_json_string(page, "fetched_at");
        if (!cJSON_IsObject(page) || !url || !file || !sha || !at) {
            snprintf(msg, sizeof msg, "recorded[%d] must have url, fetched_at, sha256 and file (strings)", i);
            bad = problem(err, ctx, name, msg);
        } else if (strncmp(sha, "sha256:", 7) != 0 || strlen(sha) != 71 ||
                   strspn(sha + 7, "0123456789abcdef") != 64) {
            snprintf(msg, sizeof msg, "recorded[%d].sha256 must be sha256: and 64 lower-case hex digits", i);
            bad = problem(err, ctx, name, msg);
        } else if ((strncmp(url, "https://", 8) != 0 && strncmp(url, "http://", 7) != 0) ||
                   (cJSON_GetObjectItemCaseSensitive(page, "next") && !rg_json_string(page, "next"))) {
            snprintf(msg, sizeof msg, "recorded[%d].url must be an http(s) URL (and next, when given, a string)", i);
            bad = problem(err, ctx, name, msg);
        } else if (file[0] == '\0' || file[0] == '/' ||
                   rg_path_join_normalized(ctx->dir, file, joined, sizeof joined) != 0 ||
                   !rg_path_within(joined, ctx->evidence_root)) {
            snprintf(msg, sizeof msg, "recorded[%d].file '%.*s' must be a relative path inside %s", i, 1024,
                     file, ctx->evidence_root);
            bad = rg_add_problem(err, RG_ERROR_EVIDENCE, ctx->display, "%s: evidence.%s: %s", ctx->display, name, msg);
        }
        cJSON_ArrayForEach(field, page)
            if (cJSON_IsObject(page) && !listed(field->string, RECORD_KEYS)) {
                snprintf(msg, sizeof msg, "recorded[%d] has an unknown field \"%.64s\"", i, field->string);
                bad = problem(err, ctx, name, msg);
            }
        i++;
    }
    return bad;
}

int rg_live_source_validate(const rg_context *ctx, const char *name, const cJSON *entry, rg_error *err)
{
    const char *gh = rg_json_string(entry, "github"), *gl = rg_json_string(entry, "gitlab");
    const cJSON *field, *rec = cJSON_GetObjectItemCaseSensitive(entry, "recorded");
    const char *const *keys = gh ? GITHUB_KEYS : GITLAB_KEYS;
    char msg[512], list[256];
    int bad = 0;

    if (!gh == !gl)
        return problem(err, ctx, name,
                       "a live source names exactly one of \"github\" or \"gitlab\" (or give a file path)");
    cJSON_ArrayForEach(field, entry)
        if (!listed(field->string, keys)) {
            join(keys, list, sizeof list);
            snprintf(msg, sizeof msg, "unknown field \"%.64s\" (a %s source has %s)", field->string,
                     gh ? "github" : "gitlab", list);
            bad = problem(err, ctx, name, msg);
        }
    if (gh) {
        const char *repo = rg_json_string(entry, "repo"), *ref = rg_json_string(entry, "ref");
        if (!listed(gh, GITHUB_KINDS)) {
            join(GITHUB_KINDS, list, sizeof list);
            snprintf(msg, sizeof msg, "github \"%.64s\" is not one of %s", gh, list);
            bad = problem(err, ctx, name, msg);
        }
        if (!repo || !path_ok(repo, 2))
            bad = problem(err, ctx, name, "repo must be \"OWNER/NAME\"");
        if (!ref || !is_commit(ref))
            bad = problem(err, ctx, name, "ref must be the commit's full SHA (40 or 64 hex digits)");
    } else {
        const cJSON *project = cJSON_GetObjectItemCaseSensitive(entry, "project");
        const cJSON *ref = cJSON_GetObjectItemCaseSensitive(entry, "ref");
        const cJSON *pipeline = cJSON_GetObjectItemCaseSensitive(entry, "pipeline");
        if (!listed(gl, GITLAB_KINDS)) {
            join(GITLAB_KINDS, list, sizeof list);
            snprintf(msg, sizeof msg, "gitlab \"%.64s\" is not one of %s", gl, list);
            bad = problem(err, ctx, name, msg);
        }
        if (!positive_id(project) && !(cJSON_IsString(project) && path_ok(project->valuestring, 0)))
            bad = problem(err, ctx, name, "project must be a project ID or its path \"group/name\"");
        if (!ref == !pipeline)
            bad = problem(err, ctx, name, "give exactly one of ref (the commit's SHA) or pipeline (an ID)");
        else if (ref && !(cJSON_IsString(ref) && is_commit(ref->valuestring)))
            bad = problem(err, ctx, name, "ref must be the commit's full SHA (40 or 64 hex digits)");
        else if (pipeline && !positive_id(pipeline))
            bad = problem(err, ctx, name, "pipeline must be a pipeline ID (a positive integer)");
    }
    /* The run the gate itself runs in (GITHUB_RUN_ID, CI_PIPELINE_ID): in the context, not
     * read from the environment, so a replay anywhere leaves out exactly what the live
     * decision left out. */
    if (cJSON_GetObjectItemCaseSensitive(entry, "own_run") &&
        !positive_id(cJSON_GetObjectItemCaseSensitive(entry, "own_run")))
        bad = problem(err, ctx, name, gh ? "own_run must be the gate's own workflow run ID (GITHUB_RUN_ID)"
                                         : "own_run must be the gate's own pipeline ID (CI_PIPELINE_ID)");
    if (rec && validate_recorded(ctx, name, rec, err))
        bad = -1;
    return bad;
}

void rg_live_source_describe(const cJSON *entry, char *buf, size_t size)
{
    const char *gh = rg_json_string(entry, "github"), *gl = rg_json_string(entry, "gitlab");
    snprintf(buf, size, "%s %s", gh ? "github" : "gitlab", gh ? gh : gl ? gl : "?");
}
