/* --save-evidence: what a decision read, written so that `relgate eval --context
 * DIR/context.json` reproduces it offline.  Live pages are written as they are fetched
 * (in the check's child, by rg_live_record); rg_evidence_save then copies the file
 * evidence and writes the context naming it all. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "beneath.h"
#include "context.h"
#include "decision.h"
#include "error.h"
#include "evidence.h"
#include "evidence_save.h"
#include "fileio.h"
#include "json.h"
#include "live_source.h"

#define SAVE_MAX ((size_t)1 << 30)   /* a file evidence copied: what a check could read */

void rg_saved_fetch_name(const char *label, char *buf, size_t size)
{
    snprintf(buf, size, "fetched/%s.json", strncmp(label, "sha256:", 7) == 0 ? label + 7 : label);
}

int rg_save_file(const char *dir, const char *rel, const char *data, size_t len, char *why, size_t why_size)
{
    char part[PATH_MAX], tmp[64];
    const char *p = rel;
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), out, rc = -1;
    if (fd < 0) {
        snprintf(why, why_size, "cannot open %s: %s", dir, strerror(errno));
        return -1;
    }
    /* Each folder on the way is made or opened without following a link. */
    for (const char *slash; (slash = strchr(p, '/')); p = slash + 1) {
        size_t n = (size_t)(slash - p);
        int next;
        if (n == 0 || n >= sizeof part || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.')) {
            snprintf(why, why_size, "cannot save %s: not a plain relative path", rel);
            close(fd);
            return -1;
        }
        memcpy(part, p, n);
        part[n] = '\0';
        if (mkdirat(fd, part, 0777) != 0 && errno != EEXIST) {
            snprintf(why, why_size, "cannot make %s/%s: %s", dir, part, strerror(errno));
            close(fd);
            return -1;
        }
        next = openat(fd, part, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        close(fd);
        if ((fd = next) < 0) {
            snprintf(why, why_size, "cannot open %s/%s: %s", dir, part, strerror(errno));
            return -1;
        }
    }
    snprintf(tmp, sizeof tmp, ".save.%ld.tmp", (long)getpid());
    out = openat(fd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0666);
    if (out < 0 || rg_write_all(out, data, len) != 0 || fsync(out) != 0) {
        snprintf(why, why_size, "cannot write %s/%s: %s", dir, rel, strerror(errno));
    } else if (renameat(fd, tmp, fd, p) != 0) {
        snprintf(why, why_size, "cannot write %s/%s: %s", dir, rel, strerror(errno));
    } else {
        rc = 0;
    }
    if (out >= 0)
        close(out);
    if (rc != 0)
        unlinkat(fd, tmp, 0);
    close(fd);
    return rc;
}

/* The pages live evidence NAME fetched, in order, each URL once, from the decision's
 * notes: the "recorded" list of the saved entry.  Two checks that fetched one URL and got
 * different bodies cannot be replayed as one source: an error, not a silent choice. */
static cJSON *recorded_pages(const rg_decision *d, const char *name, rg_error *err)
{
    cJSON *pages = cJSON_CreateArray();
    const cJSON *note, *seen;
    char file[128];
    cJSON_ArrayForEach(note, d->evidence) {
        const char *n = rg_json_string(note, "name"), *url = rg_json_string(note, "url");
        const char *sha = rg_json_string(note, "sha256"), *at = rg_json_string(note, "fetched_at");
        int dup = 0;
        cJSON *page;
        if (!n || !url || !sha || !at || strcmp(n, name) != 0)
            continue;
        cJSON_ArrayForEach(seen, pages)
            if (strcmp(rg_json_string(seen, "url"), url) == 0) {
                if (strcmp(rg_json_string(seen, "sha256"), sha) != 0) {
                    cJSON_Delete(pages);
                    rg_fail(err, RG_ERROR_IO, NULL, 0, 0,
                            "--save-evidence: evidence '%s': %s answered two checks differently; the "
                            "decision cannot be replayed from one recording", name, url);
                    return NULL;
                }
                dup = 1;
            }
        if (dup)
            continue;
        rg_saved_fetch_name(sha, file, sizeof file);
        page = cJSON_CreateObject();
        cJSON_AddStringToObject(page, "url", url);
        if (rg_json_string(note, "next"))
            cJSON_AddStringToObject(page, "next", rg_json_string(note, "next"));
        cJSON_AddStringToObject(page, "fetched_at", at);
        cJSON_AddStringToObject(page, "sha256", sha);
        cJSON_AddStringToObject(page, "file", file);
        cJSON_AddItemToArray(pages, page);
    }
    return pages;
}

/* A replayed context saved again: its recorded pages are copied into the new directory
 * (a live fetch wrote its own as it went). */
static int copy_recorded(const rg_context *ctx, const cJSON *old, const cJSON *pages, rg_error *err)
{
    const cJSON *page, *o;
    char why[PATH_MAX + 256], real[PATH_MAX], target[PATH_MAX];
    int errnum;
    cJSON_ArrayForEach(page, pages) {
        const char *file = rg_json_string(page, "file"), *sha = rg_json_string(page, "sha256");
        struct stat st;
        snprintf(target, sizeof target, "%s/%s", ctx->save_dir, file);
        if (lstat(target, &st) == 0 && S_ISREG(st.st_mode))
            continue;
        cJSON_ArrayForEach(o, old) {
            const char *ofile = rg_json_string(o, "file");
            char *data = NULL;
            size_t len = 0;
            rg_error rerr;
            if (!ofile || strcmp(rg_json_string(o, "sha256"), sha) != 0)
                continue;
            rg_error_init(&rerr);
            if (rg_resolve_beneath(ctx->evidence_root, ctx->dir, ofile, ctx->paths, real, sizeof real, NULL, 0,
                                   &errnum) != RG_BENEATH_OK ||
                rg_read_file_beneath(ctx->evidence_root, real, "recorded page", SAVE_MAX, &data, &len, &rerr) != 0 ||
                rg_save_file(ctx->save_dir, file, data, len, why, sizeof why) != 0) {
                rg_error_clear(&rerr);
                free(data);
                return rg_fail(err, RG_ERROR_IO, NULL, 0, 0, "--save-evidence: cannot copy the recorded %s", ofile);
            }
            free(data);
            break;
        }
    }
    return 0;
}

/* File evidence NAME (REL in the context) copied to the same relative place beneath the
 * save directory, so the replayed decision names the same path and digest.  Missing
 * files stay missing; a file that changed since the check read it is an error. */
static int copy_file(const rg_context *ctx, const rg_decision *d, const char *name, const char *rel, rg_error *err)
{
    char joined[PATH_MAX], why[PATH_MAX + 256], label[RG_SHA256_LABEL_SIZE];
    unsigned char digest[RG_SHA256_LEN];
    const cJSON *note;
    char *data = NULL;
    size_t len = 0, n = strlen(ctx->dir);
    rg_evidence_status st;
    if (rg_path_join_normalized(ctx->dir, rel, joined, sizeof joined) != 0 || !rg_path_within(joined, ctx->dir) ||
        strcmp(joined, ctx->dir) == 0)
        return rg_fail(err, RG_ERROR_USAGE, NULL, 0, 0,
                       "--save-evidence: evidence '%s' (%s) is not below the context's directory: it cannot be "
                       "saved at the same relative path", name, rel);
    st = rg_evidence_read(ctx, name, SAVE_MAX, &data, &len, why, sizeof why);
    if (st == RG_EVIDENCE_MISSING)
        return 0;
    if (st != RG_EVIDENCE_OK)
        return rg_fail(err, RG_ERROR_EVIDENCE, NULL, 0, 0, "--save-evidence: %s", why);
    rg_sha256_of(data, len, digest);
    rg_sha256_label(digest, label, sizeof label);
    cJSON_ArrayForEach(note, d->evidence) {
        const char *nn = rg_json_string(note, "name"), *sha = rg_json_string(note, "sha256");
        if (nn && sha && !rg_json_string(note, "url") && strcmp(nn, name) == 0 && strcmp(sha, label) != 0) {
            free(data);
            return rg_fail(err, RG_ERROR_EVIDENCE, NULL, 0, 0,
                           "--save-evidence: evidence '%s' (%s) changed since the decision read it", name, rel);
        }
    }
    if (rg_save_file(ctx->save_dir, joined + n + (ctx->dir[n - 1] == '/' ? 0 : 1), data, len, why, sizeof why) != 0) {
        free(data);
        return rg_fail(err, RG_ERROR_IO, NULL, 0, 0, "--save-evidence: %s", why);
    }
    free(data);
    return 0;
}

int rg_evidence_save(const rg_context *ctx, const rg_decision *d, rg_error *err)
{
    cJSON *copy, *ev, *item;
    char *text, path[PATH_MAX], why[PATH_MAX + 256];
    int rc = 0;
    if (!ctx->save_dir)
        return 0;
    copy = cJSON_Duplicate(ctx->root, 1);
    if (!copy)
        return rg_fail(err, RG_ERROR_INTERNAL, NULL, 0, 0, "out of memory");
    ev = cJSON_GetObjectItemCaseSensitive(copy, "evidence");
    if (!cJSON_IsObject(ev))
        ev = NULL;
    cJSON_ArrayForEach(item, ev) {
        if (rg_live_source_is(item)) {
            cJSON *pages = recorded_pages(d, item->string, err);
            const cJSON *old = cJSON_GetObjectItemCaseSensitive(item, "recorded");
            if (!pages || (old && copy_recorded(ctx, old, pages, err) != 0)) {
                cJSON_Delete(pages);
                rc = -1;
                break;
            }
            if (cJSON_GetArraySize(pages) == 0) {   /* not fetched: no check asked for it */
                cJSON_Delete(pages);
                continue;
            }
            cJSON_DeleteItemFromObjectCaseSensitive(item, "recorded");
            cJSON_AddItemToObject(item, "recorded", pages);
        } else if (cJSON_IsString(item) && copy_file(ctx, d, item->string, item->valuestring, err) != 0) {
            rc = -1;
            break;
        }
    }
    if (rc == 0) {
        text = cJSON_Print(copy);
        snprintf(path, sizeof path, "context.json");
        if (!text) {
            rc = rg_fail(err, RG_ERROR_INTERNAL, NULL, 0, 0, "out of memory");
        } else {
            size_t n = strlen(text);
            text[n] = '\n';   /* cJSON_Print's buffer: replace the NUL, written by length */
            if (rg_save_file(ctx->save_dir, path, text, n + 1, why, sizeof why) != 0)
                rc = rg_fail(err, RG_ERROR_IO, NULL, 0, 0, "--save-evidence: %s", why);
        }
        free(text);
    }
    cJSON_Delete(copy);
    return rc;
}
