/* Helpers the report readers share (sarif.c, trivy.c, grype.c, gitlab.c) and detection
 * (detect.c) uses too: format names, cJSON paths, the report's times, commits and
 * completeness, and the top-level member names.  Nothing here calls a reader. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <math.h>

#include "report.h"
#include "rfc3339.h"

const char *const SEC_FORMAT_NAMES[] = {"auto", "sarif", "trivy", "grype", "gitlab", NULL};
#define FORMAT_COUNT (sizeof SEC_FORMAT_NAMES / sizeof SEC_FORMAT_NAMES[0] - 1)

const char *sec_format_name(sec_format f)
{
    return (size_t)f < FORMAT_COUNT ? SEC_FORMAT_NAMES[f] : "?";
}

int sec_format_parse(const char *name, sec_format *out)
{
    for (size_t i = 0; name && i < FORMAT_COUNT; i++)
        if (strcasecmp(name, SEC_FORMAT_NAMES[i]) == 0) {
            *out = (sec_format)i;
            return 0;
        }
    return -1;
}

/* ---- cJSON helpers ------------------------------------------------------------------- */

const char *sec_jstr(const cJSON *o, const char *path)
{
    const cJSON *v = rg_json_at(o, path);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

double sec_jnum(const cJSON *o, const char *path, double fallback)
{
    const cJSON *v = rg_json_at(o, path);
    return cJSON_IsNumber(v) && isfinite(v->valuedouble) ? v->valuedouble : fallback;
}

void sec_info_time(sec_info *info, const char *text)
{
    rg_time t;
    /* the one timestamp grammar (common/rfc3339.h); a zone-less time is UTC */
    if (!text || rg_timestamp_parse(text, RG_TIME_REPORT | RG_TIME_LOCAL, 0, &t, NULL) != 0)
        return;
    if (!info->has_time || t.seconds < info->time) {
        info->has_time = 1;
        info->time = t.seconds;
        info->time_zoneless = !t.zoned;
        snprintf(info->time_text, sizeof info->time_text, "%s", text);
    }
}

void sec_info_commit(sec_info *info, const char *commit)
{
    if (!commit || !*commit)
        return;
    if (strlen(commit) >= sizeof info->commits[0]) {
        info->commit_overflow = 1;
        return;
    }
    for (size_t i = 0; i < info->commit_count; i++)
        if (strcmp(info->commits[i], commit) == 0)
            return;
    if (info->commit_count == SEC_COMMIT_MAX) {
        info->commit_overflow = 1;
        return;
    }
    snprintf(info->commits[info->commit_count++], sizeof info->commits[0], "%s", commit);
}

void sec_info_incomplete(sec_info *info, const char *fmt, ...)
{
    va_list ap;
    size_t n = strlen(info->incomplete);
    if (n + 3 >= sizeof info->incomplete)
        return;
    if (n) {
        memcpy(info->incomplete + n, "; ", 3);
        n += 2;
    }
    va_start(ap, fmt);
    vsnprintf(info->incomplete + n, sizeof info->incomplete - n, fmt, ap);
    va_end(ap);
}

/* ---- Top-level member names -------------------------------------------------------------- */

const char *const SEC_TOP_KEYS[SEC_TOP_COUNT] = {
    [SEC_TOP_VERSION] = "version", [SEC_TOP_SCHEMA] = "$schema", [SEC_TOP_RUNS] = "runs",
    [SEC_TOP_SCHEMA_VERSION] = "SchemaVersion", [SEC_TOP_CREATED_AT] = "CreatedAt",
    [SEC_TOP_ARTIFACT_NAME] = "ArtifactName", [SEC_TOP_METADATA] = "Metadata", [SEC_TOP_RESULTS] = "Results",
    [SEC_TOP_CLUSTER_NAME] = "ClusterName", [SEC_TOP_RESOURCES] = "Resources", [SEC_TOP_FINDINGS] = "Findings",
    [SEC_TOP_VULNERABILITIES_K8S] = "Vulnerabilities", [SEC_TOP_MISCONFIGURATIONS_K8S] = "Misconfigurations",
    [SEC_TOP_MATCHES] = "matches", [SEC_TOP_IGNORED_MATCHES] = "ignoredMatches",
    [SEC_TOP_DESCRIPTOR] = "descriptor", [SEC_TOP_SOURCE] = "source",
    [SEC_TOP_VULNERABILITIES] = "vulnerabilities", [SEC_TOP_SCAN] = "scan", [SEC_TOP_BOM_FORMAT] = "bomFormat",
};

