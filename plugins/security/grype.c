/* Grype JSON: matches[] of {vulnerability, relatedVulnerabilities, artifact}, one match
 * loaded at a time.  Severities Critical, High, Medium, Low; Negligible counts as none
 * (Grype ranks it below Low); Unknown or none given as unknown.  Matches Grype itself
 * ignored (ignoredMatches) count as suppressed. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "report.h"

static int severity(const cJSON *vuln, sec_sev *out)
{
    int dup = 0;
    const cJSON *v = rg_json_member(vuln, "severity", &dup);
    if (dup || (v && !cJSON_IsString(v) && !cJSON_IsNull(v)))
        return -1;
    if (cJSON_IsString(v) && strcasecmp(v->valuestring, "negligible") == 0)
        *out = SEC_SEV_NONE;
    else if (!cJSON_IsString(v) || sec_sev_parse(v->valuestring, out) != 0 || *out == SEC_SEV_NONE)
        *out = SEC_SEV_UNKNOWN;
    return 0;
}

static double best_score(const cJSON *vuln)
{
    const cJSON *c;
    double best = -1;
    cJSON_ArrayForEach(c, rg_json_member(vuln, "cvss", NULL)) {
        double b = sec_jnum(c, "metrics.baseScore", -1);
        if (b > best && b <= 10)
            best = b;
    }
    return best;
}

static int match_one(jdoc *d, const cJSON *m, size_t mi, size_t at, sec_scan *s, const char *target)
{
    const cJSON *vuln = rg_json_member(m, "vulnerability", NULL), *art = rg_json_member(m, "artifact", NULL), *rel, *loc;
    sec_finding f;
    size_t k = 0;

    memset(&f, 0, sizeof f);
    if (!cJSON_IsObject(vuln) || severity(vuln, &f.severity) != 0)
        return js_fail(d, at, "match %zu: no vulnerability object, or a malformed severity", mi);
    f.kind = "vulnerability";
    f.id = sec_jstr(vuln, "id") ? sec_jstr(vuln, "id") : "";
    cJSON_ArrayForEach(rel, rg_json_member(m, "relatedVulnerabilities", NULL)) {
        const char *id = sec_jstr(rel, "id");
        if (id && k < SEC_ALIAS_MAX && strcmp(id, f.id) != 0)
            f.alias[k++] = id;
    }
    f.package = sec_jstr(art, "name");
    f.version = sec_jstr(art, "version");
    loc = rg_json_member(art, "locations", NULL);
    f.file = sec_jstr(cJSON_IsArray(loc) ? loc->child : NULL, "path");
    f.title = sec_jstr(vuln, "description");
    f.target = target;
    f.score = best_score(vuln);
    sec_scan_add(s, &f);
    return 0;
}

int sec_grype_read(jdoc *d, const sec_top *top, sec_scan *s, sec_info *info)
{
    const int *h = top->has;
    char target[160] = "";
    jiter it;
    jval v;
    int rc;
    size_t mi = 0;

    if (top->root.type != '{' || !h[SEC_TOP_MATCHES])
        return js_fail(d, top->root.at, "not a Grype report: no \"matches\"");
    snprintf(info->tool, sizeof info->tool, "Grype");
    snprintf(info->variant, sizeof info->variant, "json");
    if (h[SEC_TOP_DESCRIPTOR]) {
        cJSON *desc = js_parse(d, &top->v[SEC_TOP_DESCRIPTOR]);
        const char *name, *ver;
        if (!desc)
            return -1;
        name = sec_jstr(desc, "name");
        ver = sec_jstr(desc, "version");
        snprintf(info->tool, sizeof info->tool, "%s%s%s", name && *name ? name : "grype", ver ? " " : "",
                 ver ? ver : "");
        sec_info_time(info, sec_jstr(desc, "timestamp"));
        cJSON_Delete(desc);
    }
    if (h[SEC_TOP_SOURCE]) {
        cJSON *src = js_parse(d, &top->v[SEC_TOP_SOURCE]);
        const cJSON *t;
        if (!src)
            return -1;
        t = rg_json_member(src, "target", NULL);
        if (cJSON_IsString(t))
            snprintf(target, sizeof target, "%s", t->valuestring);
        else if (sec_jstr(t, "userInput"))
            snprintf(target, sizeof target, "%s", sec_jstr(t, "userInput"));
        cJSON_Delete(src);
    }
    if (h[SEC_TOP_IGNORED_MATCHES]) {
        const jval *ig = &top->v[SEC_TOP_IGNORED_MATCHES];
        if (ig->type == '[') {
            js_open(d, ig, &it);
            while ((rc = js_next(&it, NULL, &v)) == 1)
                s->cur->suppressed++;
            if (rc != 0)
                return -1;
        } else if (ig->type != 'n') {
            return js_fail(d, ig->at, "ignoredMatches is not an array");
        }
    }
    if (top->v[SEC_TOP_MATCHES].type == 'n')
        return 0;
    if (top->v[SEC_TOP_MATCHES].type != '[')
        return js_fail(d, top->v[SEC_TOP_MATCHES].at, "matches is not an array");
    js_open(d, &top->v[SEC_TOP_MATCHES], &it);
    while ((rc = js_next(&it, NULL, &v)) == 1) {
        cJSON *m;
        mi++;
        if (v.type != '{')
            return js_fail(d, v.at, "match %zu is not an object", mi);
        if (!(m = js_parse(d, &v)))
            return -1;
        rc = match_one(d, m, mi, v.at, s, target[0] ? target : NULL);
        cJSON_Delete(m);
        if (rc != 0)
            return -1;
        info->entries++;
    }
    info->units = info->entries;
    return rc;
}
