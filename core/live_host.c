/* Live evidence in the check's child: recording what a plugin fetched, and serving what a
 * saved context recorded.  The notes of both have one shape ({"name", "url",
 * "fetched_at", "sha256"}), so a replayed decision lists exactly what the live one did. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "beneath.h"
#include "context.h"
#include "digest.h"
#include "error.h"
#include "evidence.h"
#include "evidence_save.h"
#include "json.h"
#include "live_host.h"
#include "live_source.h"
#include "rfc3339.h"

static double deadline;   /* CLOCK_MONOTONIC seconds, 0: none */

static double monotonic(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void rg_host_set_deadline(double timeout)
{
    deadline = timeout > 0 ? monotonic() + timeout : 0;
}

double rg_host_time_left(void)
{
    double left;
    if (deadline == 0)
        return -1;
    left = deadline - monotonic();
    return left > 0 ? left : 0;
}

const cJSON *rg_live_entry(const rg_context *ctx, const char *name)
{
    const cJSON *entry;
    if (!name)
        return NULL;
    entry = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(ctx->root, "evidence"), name);
    return rg_live_source_is(entry) ? entry : NULL;
}

int rg_live_record(const rg_context *ctx, cJSON *log, const char *name, const char *url, const char *next,
                   const char *data, size_t len, char *why, size_t why_size)
{
    const cJSON *entry = rg_live_entry(ctx, name);
    unsigned char digest[RG_SHA256_LEN];
    char label[RG_SHA256_LABEL_SIZE], at[40], file[128];
    if (!entry || !url || !data) {
        snprintf(why, why_size, "evidence '%s' is not a live source", name ? name : "?");
        return -1;
    }
    if (cJSON_GetObjectItemCaseSensitive(entry, "recorded")) {
        /* A replay fetches nothing: a plugin that does would make it another decision. */
        snprintf(why, why_size, "evidence '%s' is a recording: it is replayed, not fetched", name);
        return -1;
    }
    rg_sha256_of(data, len, digest);
    rg_sha256_label(digest, label, sizeof label);
    if (rg_rfc3339_format((int64_t)time(NULL), at, sizeof at) != 0)
        snprintf(at, sizeof at, "1970-01-01T00:00:00Z");
    if (ctx->save_dir) {
        rg_saved_fetch_name(label, file, sizeof file);
        if (rg_save_file(ctx->save_dir, file, data, len, why, why_size) != 0)
            return -1;
    }
    rg_evidence_note_fetch(log, name, url, next, at, label);
    return 0;
}

int rg_live_recorded_page(const rg_context *ctx, cJSON *log, const char *name, size_t index, size_t max,
                          const char **url, const char **next, char **data, size_t *len, char *why,
                          size_t why_size)
{
    const cJSON *entry = rg_live_entry(ctx, name);
    const cJSON *rec = cJSON_GetObjectItemCaseSensitive(entry, "recorded"), *page;
    const char *file, *sha, *at;
    char real[PATH_MAX];
    unsigned char digest[RG_SHA256_LEN];
    char label[RG_SHA256_LABEL_SIZE];
    rg_error err;
    int errnum;

    *data = NULL;
    *len = 0;
    if (!cJSON_IsArray(rec)) {
        snprintf(why, why_size, "evidence '%s' has no recorded pages", name ? name : "?");
        return -1;
    }
    if (index >= (size_t)cJSON_GetArraySize(rec))
        return 0;
    page = cJSON_GetArrayItem(rec, (int)index);
    *url = rg_json_string(page, "url");
    *next = rg_json_string(page, "next");
    file = rg_json_string(page, "file");
    sha = rg_json_string(page, "sha256");
    at = rg_json_string(page, "fetched_at");
    if (!*url || !file || !sha || !at) {   /* validated at load: never here */
        snprintf(why, why_size, "evidence '%s': recorded page %zu is incomplete", name, index + 1);
        return -1;
    }
    if (rg_resolve_beneath(ctx->evidence_root, ctx->dir, file, ctx->paths, real, sizeof real, NULL, 0, &errnum) !=
        RG_BENEATH_OK) {
        snprintf(why, why_size, "evidence '%s': recorded page %zu (%s) is missing or outside %s", name, index + 1,
                 file, ctx->evidence_root);
        return -1;
    }
    rg_error_init(&err);
    if (rg_read_file_beneath(ctx->evidence_root, real, "recorded page", max, data, len, &err) != 0) {
        snprintf(why, why_size, "evidence '%s': %s", name, err.message);
        rg_error_clear(&err);
        return -1;
    }
    rg_sha256_of(*data, *len, digest);
    rg_sha256_label(digest, label, sizeof label);
    if (strcmp(label, sha) != 0) {
        snprintf(why, why_size, "evidence '%s': recorded page %zu (%s) is not what was fetched: its digest is %s, "
                 "the recording says %s", name, index + 1, file, label, sha);
        free(*data);
        *data = NULL;
        return -1;
    }
    rg_evidence_note_fetch(log, name, *url, *next, at, label);
    return 1;
}
