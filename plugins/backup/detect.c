/* Which JSON backup format a document is, and parsing one from a buffer. */
#include <stdio.h>
#include <string.h>

#include "bk.h"

static int has(const cJSON *obj, const char *key)
{
    return cJSON_GetObjectItemCaseSensitive(obj, key) != NULL;
}

bk_format bk_json_detect(const cJSON *root)
{
    const cJSON *fmt, *first;
    if (cJSON_IsObject(root)) {
        fmt = cJSON_GetObjectItemCaseSensitive(root, "format");
        if (cJSON_IsString(fmt) && strncmp(fmt->valuestring, "relgate-backup-manifest/", 24) == 0)
            return BK_MANIFEST;
        /* The peers' manifests carry no "format": a "snapshots" list of objects with a
         * status is one. */
        first = cJSON_GetObjectItemCaseSensitive(root, "snapshots");
        if (!fmt && cJSON_IsArray(first) &&
            (!first->child || (cJSON_IsObject(first->child) && has(first->child, "status"))))
            return BK_MANIFEST;
        /* borg list/info --json: "archives", a list; borg create --json: "archive", the one
         * it made. */
        if ((cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(root, "archives")) ||
             cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(root, "archive"))) &&
            (cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(root, "repository")) ||
             cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(root, "encryption"))))
            return BK_BORG;
        return BK_AUTO;
    }
    if (cJSON_IsArray(root) && cJSON_IsObject(root->child)) {
        first = root->child;
        if (has(first, "time") && has(first, "tree") && has(first, "paths"))
            return BK_RESTIC;
        if (has(first, "group_key") && has(first, "snapshots"))
            return BK_RESTIC;
    }
    return BK_AUTO;
}

/* What ROOT is, for a message about a document we do not know. */
static void describe(const cJSON *root, char *buf, size_t n)
{
    char key[48];
    size_t used;
    int k = 0;
    const cJSON *c;
    if (cJSON_IsObject(root)) {
        used = (size_t)snprintf(buf, n, "a JSON object with keys");
        for (c = root->child; c && k < 5 && used < n; c = c->next, k++)
            used += (size_t)snprintf(buf + used, n - used, "%s \"%s\"", k ? "," : "",
                                     bk_clean(key, sizeof key, c->string));
        if (!root->child && used < n)
            snprintf(buf + used, n - used, " (none)");
        else if (c && used < n)
            snprintf(buf + used, n - used, ", ...");
    } else if (cJSON_IsArray(root)) {
        snprintf(buf, n, "a JSON list of %d items%s", cJSON_GetArraySize(root),
                 root->child && !cJSON_IsObject(root->child) ? " (not objects)" : "");
    } else {
        snprintf(buf, n, "a JSON %s", cJSON_IsString(root) ? "string" : cJSON_IsNumber(root) ? "number"
                                    : cJSON_IsNull(root) ? "null" : "boolean");
    }
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

int bk_parse(const char *text, size_t len, bk_format want, const bk_parse_opts *opts,
             bk_list *out, int *unrecognised, char *why, size_t n)
{
    const char *end = NULL;
    char what[256];
    size_t i = 0;
    bk_format found;
    int rc;

    memset(out, 0, sizeof *out);
    *unrecognised = 0;
    if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
        i = 3; /* a UTF-8 byte order mark, as Windows tools write */
    while (i < len && is_space(text[i]))
        i++;
    if (i == len) {
        *unrecognised = want == BK_AUTO;
        snprintf(why, n, "the file is empty");
        return -1;
    }
    for (size_t k = i; k < len; k++)
        if ((unsigned char)text[k] < 0x20 && text[k] != '\t' && text[k] != '\n' && text[k] != '\r') {
            /* JSON has no raw control characters, and cJSON would skip them as space */
            *unrecognised = want == BK_AUTO;
            snprintf(why, n, "not JSON: control character 0x%02x at byte %zu", (unsigned)text[k], k);
            return -1;
        }
    if (text[i] != '{' && text[i] != '[') {
        *unrecognised = want == BK_AUTO;
        snprintf(why, n, "not a JSON object or list");
        return -1;
    }
    out->root = cJSON_ParseWithLengthOpts(text + i, len - i, &end, 0);
    if (!out->root) {
        *unrecognised = want == BK_AUTO;
        snprintf(why, n, "not well-formed JSON (near byte %zu)",
                 end && end >= text ? (size_t)(end - text) : i);
        return -1;
    }
    for (i = (size_t)(end - text); i < len && is_space(text[i]); i++)
        ;
    if (i < len) {
        *unrecognised = want == BK_AUTO;
        snprintf(why, n, "data after the JSON document at byte %zu (JSON lines or several documents?)", i);
        bk_list_free(out);
        return -1;
    }
    found = bk_json_detect(out->root);
    if (want == BK_AUTO && found == BK_AUTO) {
        describe(out->root, what, sizeof what);
        *unrecognised = 1;
        snprintf(why, n, "%s: not a backup manifest, restic snapshots --json or borg list/info/create --json", what);
        bk_list_free(out);
        return -1;
    }
    out->format = want == BK_AUTO ? found : want;
    switch (out->format) {
    case BK_MANIFEST: rc = bk_manifest_read(out->root, out, why, n); break;
    case BK_RESTIC: rc = bk_restic_read(out->root, out, why, n); break;
    case BK_BORG:
        if (!cJSON_IsObject(out->root)) {
            snprintf(why, n, "borg list --json writes an object");
            rc = -1;
        } else {
            rc = bk_borg_read(out->root, opts, out, why, n);
        }
        break;
    default:
        snprintf(why, n, "format %s is not a JSON format", bk_format_name(out->format));
        rc = -1;
    }
    if (rc != 0) {
        found = out->format; /* kept, so that the message can name the format */
        bk_list_free(out);
        out->format = found;
    }
    return rc;
}
