/* Reusing plugin check results within one run (batch evaluation): a result is reused
 * when the check, its parameters, the clock and the content of every evidence file its
 * parameters name are the same, and every context field the check read has the same
 * value in the new context. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "check_cache.h"
#include "context.h"
#include "digest.h"
#include "error.h"
#include "evidence.h"
#include "fileio.h"
#include "plugins.h"
#include "textpos.h"

#define MAX_ENTRIES 4096   /* lookups are linear: a bound keeps a batch linear too */

typedef struct file_digest {
    char *path;
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime;
    unsigned long seen;       /* the evaluation that last found it unchanged */
    char label[RG_SHA256_LABEL_SIZE];
} file_digest;

struct rg_check_cache_entry {
    char *key;
    size_t hash;               /* of KEY: most lookups end at a differing hash */
    rg_check_result result;    /* its details live in DETAILS instead */
    rg_shared_json *details;
};
typedef struct rg_check_cache_entry entry;

/* The evidence names a requirement's parameters hold, found once per parameter object
 * (a policy's are fixed while it is loaded). */
typedef struct param_names {
    const cJSON *params;
    const cJSON **names;     /* the string items of PARAMS naming evidence */
    size_t count;
} param_names;

struct rg_check_cache {
    entry *entries;
    size_t count, cap;
    param_names *params;
    size_t param_count, param_cap;
    file_digest *files;
    size_t file_count, file_cap;
    size_t max_bytes;
    unsigned long evaluation;  /* counts evaluations (rg_check_cache_next) */
};

rg_check_cache *rg_check_cache_new(size_t max_bytes)
{
    rg_check_cache *c = calloc(1, sizeof *c);
    if (c)
        c->max_bytes = max_bytes;
    return c;
}

void rg_check_cache_free(rg_check_cache *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->count; i++) {
        free(c->entries[i].key);
        rg_check_result_clear(&c->entries[i].result);
        rg_shared_json_unref(c->entries[i].details);
    }
    for (size_t i = 0; i < c->file_count; i++)
        free(c->files[i].path);
    for (size_t i = 0; i < c->param_count; i++)
        free(c->params[i].names);
    free(c->params);
    free(c->entries);
    free(c->files);
    free(c);
}

void rg_check_cache_next(rg_check_cache *c)
{
    c->evaluation++;
}

/* The digest of the file at PATH, hashed once per (inode, size, mtime), and looked at
 * (stat) once per evaluation. */
static const char *digest_of(rg_check_cache *c, const char *path)
{
    struct stat st;
    char *data = NULL;
    size_t len = 0;
    rg_error err;
    unsigned char digest[RG_SHA256_LEN];
    file_digest *f;
    rg_error_init(&err);
    for (size_t i = 0; i < c->file_count; i++)
        if (c->files[i].seen == c->evaluation && strcmp(c->files[i].path, path) == 0)
            return c->files[i].label;
    if (stat(path, &st) != 0)
        return NULL;
    for (size_t i = 0; i < c->file_count; i++) {
        f = &c->files[i];
        if (f->dev == st.st_dev && f->ino == st.st_ino && f->size == st.st_size &&
            f->mtime.tv_sec == st.st_mtim.tv_sec && f->mtime.tv_nsec == st.st_mtim.tv_nsec &&
            strcmp(f->path, path) == 0) {
            f->seen = c->evaluation;
            return f->label;
        }
    }
    if (!S_ISREG(st.st_mode) || rg_read_file(path, "evidence", c->max_bytes, &data, &len, &err) != 0) {
        rg_error_clear(&err);
        return NULL;
    }
    rg_sha256_of(data, len, digest);
    free(data);
    if (c->file_count == c->file_cap) {
        size_t cap = c->file_cap ? c->file_cap * 2 : 16;
        file_digest *grown = realloc(c->files, cap * sizeof *grown);
        if (!grown)
            return NULL;
        c->files = grown;
        c->file_cap = cap;
    }
    f = &c->files[c->file_count];
    if (!(f->path = strdup(path)))
        return NULL;
    f->dev = st.st_dev;
    f->ino = st.st_ino;
    f->size = st.st_size;
    f->mtime = st.st_mtim;
    f->seen = c->evaluation;
    rg_sha256_label(digest, f->label, sizeof f->label);
    c->file_count++;
    return f->label;
}

/* Append "name=digest;" for one evidence name (or why there is no digest). */
static int key_evidence(rg_check_cache *c, const rg_context *ctx, const char *name, char **key, size_t *len)
{
    char path[PATH_MAX], why[PATH_MAX + 256];
    const char *label = NULL, *state = "ok";
    size_t need;
    char *grown;
    rg_evidence_status st = rg_evidence_resolve(ctx, name, path, sizeof path, why, sizeof why);
    if (st == RG_EVIDENCE_ESCAPES)
        return -1; /* a path-rule violation is never reused: let the check meet it */
    if (st == RG_EVIDENCE_OK)
        label = digest_of(c, path);
    else
        state = st == RG_EVIDENCE_UNDECLARED ? "undeclared" : st == RG_EVIDENCE_MISSING ? "missing" : "unusable";
    if (st == RG_EVIDENCE_OK && !label)
        state = "unusable";
    need = *len + strlen(name) + (label ? strlen(label) : strlen(state)) + 3;
    if (!(grown = realloc(*key, need + 1)))
        return -1;
    *key = grown;
    *len += (size_t)sprintf(*key + *len, "%s=%s;", name, label ? label : state);
    return 0;
}

/* The evidence names in PARAMS (CHECK's parameters), looked up once per parameter
 * object; NULL when out of memory. */
static const param_names *evidence_params(rg_check_cache *c, const rg_check *check, const cJSON *params)
{
    param_names *p;
    size_t n = 0;
    for (size_t i = 0; i < c->param_count; i++)
        if (c->params[i].params == params)
            return &c->params[i];
    if (c->param_count == c->param_cap) {
        size_t cap = c->param_cap ? c->param_cap * 2 : 16;
        param_names *grown = realloc(c->params, cap * sizeof *grown);
        if (!grown)
            return NULL;
        c->params = grown;
        c->param_cap = cap;
    }
    p = &c->params[c->param_count];
    p->params = params;
    p->count = 0;
    for (size_t i = 0; i < check->param_count; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(params, check->params[i].name);
        if (check->params[i].type == RG_PARAM_EVIDENCE)
            n += cJSON_IsString(v);
        else if (check->params[i].type == RG_PARAM_EVIDENCE_LIST)
            n += (size_t)cJSON_GetArraySize(v);
    }
    if (!(p->names = calloc(n ? n : 1, sizeof *p->names)))
        return NULL;
    for (size_t i = 0; i < check->param_count; i++) {
        const rg_param *param = &check->params[i];
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(params, param->name), *item;
        if (param->type == RG_PARAM_EVIDENCE && cJSON_IsString(v))
            p->names[p->count++] = v;
        else if (param->type == RG_PARAM_EVIDENCE_LIST)
            cJSON_ArrayForEach(item, v)
                if (cJSON_IsString(item) && p->count < n)
                    p->names[p->count++] = item;
    }
    c->param_count++;
    return p;
}

char *rg_check_cache_key(rg_check_cache *c, const rg_check *check, const cJSON *params,
                         const rg_context *ctx, int64_t now)
{
    const param_names *names = evidence_params(c, check, params);
    /* Parameters by identity: a requirement's are fixed for the policy's life. */
    size_t len = strlen(check->name) + 64;
    char *key = names ? malloc(len) : NULL;   /* no names: out of memory, run the check */
    if (!key)
        return NULL;
    len = (size_t)snprintf(key, len, "%s\n%p\n%lld\n", check->name, (const void *)params, (long long)now);
    for (size_t i = 0; i < names->count; i++)
        if (key_evidence(c, ctx, names->names[i]->valuestring, &key, &len) != 0) {
            free(key);
            return NULL;
        }
    return key;
}

/* Does CTX read the same as the context R was computed for? */
static int same_reads(const rg_check_result *r, const rg_context *ctx)
{
    const cJSON *read;
    cJSON_ArrayForEach(read, r->context_reads) {
        const char *path = cJSON_GetStringValue(cJSON_GetArrayItem(read, 0));
        const cJSON *was = cJSON_GetArrayItem(read, 1);
        const char *now = path ? rg_context_string(ctx, path) : NULL;
        if (!path)
            return 0;
        if (cJSON_IsString(was) ? !now || strcmp(now, was->valuestring) != 0 : now != NULL)
            return 0;
    }
    return 1;
}

const rg_check_cache_entry *rg_check_cache_get(rg_check_cache *c, const char *key, const rg_context *ctx)
{
    size_t h = key ? rg_text_hash(key) : 0;
    for (size_t i = 0; key && i < c->count; i++)
        if (c->entries[i].hash == h && strcmp(c->entries[i].key, key) == 0 &&
            same_reads(&c->entries[i].result, ctx))
            return &c->entries[i];
    return NULL;
}

void rg_check_cache_reuse(const rg_check_cache_entry *hit, rg_check_result *out, rg_shared_json **shared)
{
    memset(out, 0, sizeof *out);
    out->status = hit->result.status;
    out->message = hit->result.message ? strdup(hit->result.message) : NULL;
    out->violation = hit->result.violation;
    out->evidence = cJSON_CreateArrayReference(hit->result.evidence ? hit->result.evidence->child : NULL);
    out->details = rg_shared_json_view(hit->details);
    *shared = rg_shared_json_ref(hit->details);
}

void rg_check_cache_put(rg_check_cache *c, const char *key, const rg_check_result *r)
{
    entry *e;
    if (!key || r->violation || c->count >= MAX_ENTRIES)
        return;
    if (c->count == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 16;
        entry *grown = realloc(c->entries, cap * sizeof *grown);
        if (!grown)
            return;
        c->entries = grown;
        c->cap = cap;
    }
    e = &c->entries[c->count];
    if (!(e->key = strdup(key)))
        return;
    e->hash = rg_text_hash(key);
    rg_check_result_copy(r, &e->result);
    e->details = rg_shared_json_new(e->result.details);
    e->result.details = NULL;
    if (!e->details) {
        free(e->key);
        rg_check_result_clear(&e->result);
        return;
    }
    c->count++;
}
