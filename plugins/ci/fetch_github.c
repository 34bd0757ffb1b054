/* GitHub live sources: a commit's check runs, its combined status (every status, each
 * context's latest), or the workflow runs for its SHA — every page. */
#include <stdio.h>
#include <string.h>

#include "fetch_source.h"
#include "listing.h"

cJSON *ci_fetch_github(ci_fetch *f, const cJSON *source, char *why, size_t why_size)
{
    const char *kind = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(source, "github"));
    const char *repo = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(source, "repo"));
    const char *ref = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(source, "ref"));
    char url[2048];
    if (!kind || !repo || !ref) {   /* the engine validated the entry: never here */
        snprintf(why, why_size, "a github source needs repo and ref");
        return NULL;
    }
    /* per_page=100, the most GitHub gives: the fewest requests against the rate limit. */
    if (strcmp(kind, "check-runs") == 0) {
        snprintf(url, sizeof url, "%s/repos/%s/commits/%s/check-runs?per_page=100", f->base, repo, ref);
        return ci_listing_fetch(f, url, "check_runs", why, why_size);
    }
    if (strcmp(kind, "statuses") == 0) {
        snprintf(url, sizeof url, "%s/repos/%s/commits/%s/status?per_page=100", f->base, repo, ref);
        return ci_listing_fetch(f, url, "statuses", why, why_size);
    }
    if (strcmp(kind, "workflow-runs") == 0) {
        snprintf(url, sizeof url, "%s/repos/%s/actions/runs?head_sha=%s&per_page=100", f->base, repo, ref);
        return ci_listing_fetch(f, url, "workflow_runs", why, why_size);
    }
    snprintf(why, why_size, "github \"%s\" is not a source this plugin fetches", kind);
    return NULL;
}
