/* Which report is this?  JSON goes to the GitHub then the GitLab reader, XML to the JUnit
 * reader; what none of them claims is refused, saying what it looks like instead. */
#include <stdio.h>
#include <string.h>

#include "ci_parse.h"
#include "json_member.h"

static int has(const cJSON *o, const char *key)
{
    return cJSON_HasObjectItem(o, key);
}

/* What kind of non-CI object O is, or NULL when it is not a kind this knows. */
static const char *kind_of(const cJSON *o)
{
    if (has(o, "vulnerabilities"))
        return "a security report (vulnerabilities), not CI status: use the security checks";
    if (has(o, "deployment") || has(o, "deployment_status") || has(o, "deployable") || has(o, "task") ||
        has(o, "deployment_url"))
        return "a deployment, not CI status";
    if (has(o, "mergeable_state") || has(o, "merge_status") || has(o, "detailed_merge_status") ||
        has(o, "merge_request") || (ci_obj(o, "head") && ci_obj(o, "base")))
        return "a pull or merge request, not CI status";
    if (has(o, "artifacts"))
        return "an artifact list, not CI status";
    if (has(o, "alert"))
        return "a code-scanning alert, not CI status";
    if (ci_str(o, "check_name") && ci_str(o, "fingerprint"))
        return "a code-quality report, not CI status";
    if (ci_str(o, "method") && has(o, "response"))
        return "a recorded HTTP exchange, not an API response";
    return NULL;
}

/* Say what ROOT looks like, for the "unrecognised" message. */
static void describe(const cJSON *root, char *out, size_t n)
{
    const cJSON *e;
    const char *kind;
    size_t len;
    if (cJSON_IsArray(root)) {
        const cJSON *first = cJSON_GetArrayItem(root, 0);
        if (!first)
            snprintf(out, n, "an empty JSON array, which could be anything");
        else if (cJSON_IsObject(first) && (kind = kind_of(first)))
            snprintf(out, n, "a JSON array of %d, the first %s", cJSON_GetArraySize(root), kind);
        else
            snprintf(out, n, "a JSON array of %d %s", cJSON_GetArraySize(root),
                     cJSON_IsObject(first) ? "objects of an unknown kind" : "non-objects");
        return;
    }
    if (!cJSON_IsObject(root))
        snprintf(out, n, "a JSON scalar");
    else if ((kind = kind_of(root)))
        snprintf(out, n, "%s", kind);
    else if (ci_str(root, "object_kind"))
        snprintf(out, n, "a GitLab %s webhook, which carries no pipeline or job", ci_str(root, "object_kind"));
    else if (ci_str(root, "action"))
        snprintf(out, n, "a '%s' webhook payload without a check run, check suite, workflow run, job or status",
                 ci_str(root, "action"));
    else if (ci_str(root, "message") && ci_str(root, "documentation_url"))
        snprintf(out, n, "a GitHub API error: %s", ci_str(root, "message"));
    else {
        len = (size_t)snprintf(out, n, "a JSON object with keys");
        cJSON_ArrayForEach(e, root) {
            if (len >= n || e->string == NULL)
                break;
            if (e != root->child && len + 6 >= 120) {
                len += (size_t)snprintf(out + len, n - len, ", ...");
                break;
            }
            len += (size_t)snprintf(out + len, n - len, "%s %.40s", e == root->child ? ":" : ",", e->string);
        }
        if (!root->child && len < n)
            snprintf(out + len, n - len, ": none");
    }
}

static const char *family_name(ci_family f)
{
    return f == CI_GITHUB ? "GitHub" : f == CI_GITLAB ? "GitLab" : f == CI_JUNIT ? "JUnit XML" : "CI";
}

cJSON *ci_json_parse(const char *text, size_t len, char *why, size_t n)
{
    const char *p = text, *end = text + len, *parse_end = NULL;
    const cJSON *dup;
    cJSON *root;
    if (len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)   /* a UTF-8 byte order mark */
        p += 3;
    root = cJSON_ParseWithLengthOpts(p, (size_t)(end - p), &parse_end, 0);
    if (!root) {
        snprintf(why, n, "malformed JSON near byte %zu", parse_end && parse_end >= text && parse_end <= end
                                                             ? (size_t)(parse_end - text) : (size_t)0);
        return NULL;
    }
    /* one document, nothing after it (NDJSON, or answers glued together, are not one report) */
    while (parse_end && parse_end < end &&
           (*parse_end == ' ' || *parse_end == '\t' || *parse_end == '\r' || *parse_end == '\n'))
        parse_end++;
    if (parse_end && parse_end < end) {
        snprintf(why, n, "malformed JSON: more data after the document, at byte %zu", (size_t)(parse_end - text));
        cJSON_Delete(root);
        return NULL;
    }
    if ((dup = rg_json_duplicate(root, NULL))) {   /* the rule of the engine and every plugin: read neither value */
        snprintf(why, n, "malformed JSON: the key \"%.60s\" appears twice in an object", dup->string);
        cJSON_Delete(root);
        return NULL;
    }
    return root;
}

int ci_parse(const char *text, size_t len, ci_family family, int local_offset, ci_report *r, char *why,
             size_t n)
{
    const char *p = text, *end = text + len;
    char what[256];
    cJSON *root;
    int rc = 0;
    /* UTF-16 (LE or BE) with a byte order mark, then '<': XML as Windows PowerShell writes
     * it.  expat reads UTF-16 with a BOM itself; JSON is read as UTF-8 only. */
    int utf16_xml = len >= 4 && (memcmp(text, "\xFF\xFE<\0", 4) == 0 || memcmp(text, "\xFE\xFF\0<", 4) == 0);
    ci_report_init(r);
    r->local_offset = local_offset;
    if (len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)   /* a UTF-8 byte order mark */
        p += 3;
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
        p++;
    if (p == end) {
        snprintf(why, n, "unrecognised report format: the file is empty");
        return -1;
    }
    if (*p == '<' || utf16_xml) {
        if (family != CI_ANY && family != CI_JUNIT) {
            snprintf(why, n, "unrecognised report format: XML, not a %s report", family_name(family));
            return -1;
        }
        rc = ci_parse_junit(text, len, r, what, sizeof what);
        if (rc == 1)
            return 0;
        snprintf(why, n, "%s%s", rc == 0 ? "unrecognised report format: " : "", what);
        return -1;
    }
    if (*p != '{' && *p != '[') {
        snprintf(why, n, "unrecognised report format: neither a JSON object or array nor XML");
        return -1;
    }
    if (family == CI_JUNIT) {
        snprintf(why, n, "unrecognised report format: JSON, not JUnit XML");
        return -1;
    }
    if (!(root = ci_json_parse(text, len, why, n)))
        return -1;
    if (family == CI_ANY || family == CI_GITHUB)
        rc = ci_parse_github(root, r, what, sizeof what);
    if (rc == 0 && (family == CI_ANY || family == CI_GITLAB))
        rc = ci_parse_gitlab(root, r, what, sizeof what);
    if (rc == 0) {
        describe(root, what, sizeof what);
        snprintf(why, n, "unrecognised report format: %s%s%s", what, family == CI_ANY ? "" : " (looked for ",
                 family == CI_ANY ? "" : family_name(family));
        if (family != CI_ANY && strlen(why) + 2 < n)
            strcat(why, " reports)");
    } else if (rc < 0) {
        snprintf(why, n, "%s", what);
    }
    cJSON_Delete(root);
    if (rc == 1 && ci_report_distinct(r, why, n) == 0)
        return 0;
    ci_report_free(r);
    return -1;
}
