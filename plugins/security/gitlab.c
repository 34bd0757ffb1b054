/* GitLab security reports (SAST, dependency, container scanning, ...): version,
 * vulnerabilities[], scan{}.  One vulnerability loaded at a time.  Severities Critical,
 * High, Medium, Low; Info counts as none, Unknown as unknown.  A scan whose status is
 * "failure" did not complete.  Times without a zone (as GitLab writes them) are UTC. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "report.h"

static int severity(const cJSON *v, sec_sev *out)
{
    int dup = 0;
    const cJSON *s = rg_json_member(v, "severity", &dup);
    if (dup || (s && !cJSON_IsString(s) && !cJSON_IsNull(s)))
        return -1;
    if (cJSON_IsString(s) && strcasecmp(s->valuestring, "info") == 0)
        *out = SEC_SEV_NONE;
    else if (!cJSON_IsString(s) || sec_sev_parse(s->valuestring, out) != 0 || *out == SEC_SEV_NONE)
        *out = SEC_SEV_UNKNOWN;
    return 0;
}

static int vuln_one(jdoc *d, const cJSON *v, size_t vi, size_t at, sec_scan *s)
{
    const cJSON *ids = rg_json_member(v, "identifiers", NULL), *e, *loc = rg_json_member(v, "location", NULL);
    const char *cve = NULL, *first = NULL;
    sec_finding f;
    size_t k = 0;

    memset(&f, 0, sizeof f);
    if (severity(v, &f.severity) != 0)
        return js_fail(d, at, "vulnerability %zu: malformed severity", vi);
    cJSON_ArrayForEach(e, ids) {
        const char *val = sec_jstr(e, "value"), *type = sec_jstr(e, "type");
        if (!val)
            continue;
        if (!first)
            first = val;
        if (!cve && type && strcasecmp(type, "cve") == 0)
            cve = val;
        if (k < SEC_ALIAS_MAX)
            f.alias[k++] = val;
    }
    f.kind = "vulnerability";
    f.id = cve ? cve : first ? first : sec_jstr(v, "cve") ? sec_jstr(v, "cve") : sec_jstr(v, "id") ? sec_jstr(v, "id") : "";
    if (k < SEC_ALIAS_MAX && sec_jstr(v, "cve"))
        f.alias[k++] = sec_jstr(v, "cve");
    if (k < SEC_ALIAS_MAX && sec_jstr(v, "id"))
        f.alias[k++] = sec_jstr(v, "id");
    f.title = sec_jstr(v, "name") ? sec_jstr(v, "name") : sec_jstr(v, "message") ? sec_jstr(v, "message") : sec_jstr(v, "description");
    f.package = sec_jstr(loc, "dependency.package.name");
    f.version = sec_jstr(loc, "dependency.version");
    f.file = sec_jstr(loc, "file");
    f.line = sec_jnum(loc, "start_line", 0);
    f.target = sec_jstr(loc, "image");
    f.score = -1;
    sec_scan_add(s, &f);
    return 0;
}

int sec_gitlab_read(jdoc *d, const sec_top *top, sec_scan *s, sec_info *info)
{
    const int *h = top->has;
    jiter it;
    jval v;
    int rc;
    size_t vi = 0;

    if (top->root.type != '{' || !h[SEC_TOP_VULNERABILITIES] || top->v[SEC_TOP_VULNERABILITIES].type != '[')
        return js_fail(d, top->root.at, "not a GitLab security report: no \"vulnerabilities\" array");
    if (!h[SEC_TOP_VERSION] || js_string(d, &top->v[SEC_TOP_VERSION], info->variant, sizeof info->variant) != 0)
        return js_fail(d, top->root.at, "not a GitLab security report: no \"version\" string");
    snprintf(info->tool, sizeof info->tool, "GitLab security report");
    if (h[SEC_TOP_SCAN]) {
        cJSON *sc = js_parse(d, &top->v[SEC_TOP_SCAN]);
        const char *name, *ver, *type, *status;
        if (!sc)
            return -1;
        name = sec_jstr(sc, "scanner.name");
        ver = sec_jstr(sc, "scanner.version");
        type = sec_jstr(sc, "type");
        status = sec_jstr(sc, "status");
        if (name)
            snprintf(info->tool, sizeof info->tool, "%s%s%s%s%s%s", name, ver ? " " : "", ver ? ver : "",
                     type ? " (" : "", type ? type : "", type ? ")" : "");
        sec_info_time(info, sec_jstr(sc, "end_time") ? sec_jstr(sc, "end_time") : sec_jstr(sc, "start_time"));
        if (status && strcmp(status, "success") != 0)
            sec_info_incomplete(info, "scan.status is \"%s\"", status);
        cJSON_Delete(sc);
    }
    js_open(d, &top->v[SEC_TOP_VULNERABILITIES], &it);
    while ((rc = js_next(&it, NULL, &v)) == 1) {
        cJSON *vul;
        vi++;
        if (v.type != '{')
            return js_fail(d, v.at, "vulnerability %zu is not an object", vi);
        if (!(vul = js_parse(d, &v)))
            return -1;
        rc = vuln_one(d, vul, vi, v.at, s);
        cJSON_Delete(vul);
        if (rc != 0)
            return -1;
        info->entries++;
    }
    info->units = info->entries;
    return rc;
}
