/* GitLab live sources: the pipelines of a commit (or one pipeline), and the jobs of a
 * pipeline — named, or the commit's latest — with its trigger jobs (bridges), every
 * page. */
#include <stdio.h>
#include <string.h>

#include "fetch_source.h"
#include "listing.h"

/* The latest pipeline of LIST (the greatest id) but OWN, the one the gate runs in (its
 * jobs are the gate's, not the CI it judges), or 0. */
static double latest_pipeline(const cJSON *list, double own)
{
    const cJSON *p;
    double best = 0;
    cJSON_ArrayForEach(p, list) {
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(p, "id");
        if (cJSON_IsNumber(id) && id->valuedouble != own && id->valuedouble > best)
            best = id->valuedouble;
    }
    return best;
}

cJSON *ci_fetch_gitlab(ci_fetch *f, const cJSON *source, char *why, size_t why_size)
{
    const char *kind = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(source, "gitlab"));
    const cJSON *project = cJSON_GetObjectItemCaseSensitive(source, "project");
    const char *ref = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(source, "ref"));
    const cJSON *pipeline = cJSON_GetObjectItemCaseSensitive(source, "pipeline");
    char prefix[1536], url[2048];
    double pid = cJSON_IsNumber(pipeline) ? pipeline->valuedouble : 0;
    cJSON *jobs, *bridges, *bridge;

    if (!kind || !(cJSON_IsNumber(project) || cJSON_IsString(project)) || (!ref && !pid)) {
        snprintf(why, why_size, "a gitlab source needs project and ref or pipeline");
        return NULL;
    }
    snprintf(prefix, sizeof prefix, "%s/projects/", f->base);
    if (cJSON_IsNumber(project))
        snprintf(prefix + strlen(prefix), sizeof prefix - strlen(prefix), "%.0f", project->valuedouble);
    else
        ci_fetch_encode(prefix, sizeof prefix, project->valuestring);   /* group%2Fname */

    if (strcmp(kind, "pipelines") == 0) {
        if (pid) {
            snprintf(url, sizeof url, "%s/pipelines/%.0f", prefix, pid);
            return ci_object_fetch(f, url, why, why_size);
        }
        snprintf(url, sizeof url, "%s/pipelines?sha=%s&per_page=100", prefix, ref);
        return ci_listing_fetch(f, url, NULL, why, why_size);
    }
    if (strcmp(kind, "pipeline-jobs") != 0) {
        snprintf(why, why_size, "gitlab \"%s\" is not a source this plugin fetches", kind);
        return NULL;
    }
    if (!pid) {
        cJSON *list;
        snprintf(url, sizeof url, "%s/pipelines?sha=%s&per_page=100", prefix, ref);
        if (!(list = ci_listing_fetch(f, url, NULL, why, why_size)))
            return NULL;
        pid = latest_pipeline(list, ci_source_own_run(source));
        cJSON_Delete(list);
        if (!pid) {
            snprintf(why, why_size, "%s: no pipeline ran for commit %.12s%s", url, ref,
                     ci_source_own_run(source) ? " but the gate's own" : "");
            return NULL;
        }
    }
    snprintf(url, sizeof url, "%s/pipelines/%.0f/jobs?per_page=100", prefix, pid);
    if (!(jobs = ci_listing_fetch(f, url, NULL, why, why_size)))
        return NULL;
    /* GitLab lists trigger jobs (bridges) apart from the jobs a runner runs: a child or
     * downstream pipeline that failed shows only there (a bridge is judged by the
     * pipeline it triggered).  Without them a failed child pipeline passed the gate. */
    snprintf(url, sizeof url, "%s/pipelines/%.0f/bridges?per_page=100", prefix, pid);
    if (!(bridges = ci_listing_fetch(f, url, NULL, why, why_size))) {
        cJSON_Delete(jobs);
        return NULL;
    }
    while ((bridge = bridges->child) != NULL)
        cJSON_AddItemToArray(jobs, cJSON_DetachItemViaPointer(bridges, bridge));
    cJSON_Delete(bridges);
    return jobs;
}
