/* Reusing plugin check results within one run (batch evaluation).
 *
 * A result is reused only when everything it depended on is the same: the check, its
 * parameters and the clock (the key), every context field it read (context_reads), and
 * every evidence file it read (inputs: the same declared path, resolving to the same
 * file, with the same identity -- device, inode, size, modification and change times --
 * and the same bytes; or, for evidence that was missing or not declared, the same
 * message to the check).  The check child records what it read (plugin_host.c); a check
 * that reached anything the record cannot describe (a path handed out, evidence refused
 * or over a limit) comes back not reusable and is never stored.  When in doubt, the check
 * runs again. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "check_cache.h"
#include "context.h"
#include "digest.h"
#include "error.h"
#include "evidence.h"
#include "fileio.h"
#include "json.h"
#include "textpos.h"

#define MAX_ENTRIES 4096   /* lookups are linear: a bound keeps a batch linear too */

/* What one evidence file was when the cache last looked at it. */
typedef struct file_state {
    char *path;
    char identity[RG_FILE_IDENTITY_SIZE];
    char label[RG_SHA256_LABEL_SIZE];   /* its bytes' digest; "" when they could not be read */
    int settled;                        /* rg_file_settled when hashed: the digest stands for the identity */
    unsigned long seen;                 /* the evaluation that last looked (stat) */
} file_state;

/* An evidence input of a stored result, its fields taken out of the record once (the
 * strings live in the entry's result.inputs). */
typedef struct input {
    const char *name, *rel, *state, *path, *identity, *sha256, *why;
} input;

struct rg_check_cache_entry {
    char *key;
    size_t hash;               /* of KEY: most lookups end at a differing hash */
    char *names;               /* the evidence names of its inputs, joined: which the fingerprint covers */
    size_t fingerprint;        /* of its inputs' names and declared paths (input_fingerprint) */
    rg_check_result result;    /* its details live in DETAILS instead */
    rg_shared_json *details;
    input *inputs;
    size_t input_count;
};
typedef struct rg_check_cache_entry entry;

struct rg_check_cache {
    entry *entries;
    size_t count, cap;
    file_state *files;
    size_t file_count, file_cap;
    size_t *slots;             /* open addressing over FILES by path: index + 1, 0 free */
    size_t slot_cap;           /* a power of two, at least twice FILE_COUNT */
    unsigned long evaluation;  /* counts evaluations (rg_check_cache_next) */
};

rg_check_cache *rg_check_cache_new(size_t max_bytes)
{
    (void)max_bytes;   /* files are hashed in chunks, whatever their size */
    return calloc(1, sizeof(rg_check_cache));
}

void rg_check_cache_free(rg_check_cache *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->count; i++) {
        free(c->entries[i].key);
        free(c->entries[i].names);
        free(c->entries[i].inputs);
        rg_check_result_clear(&c->entries[i].result);
        rg_shared_json_unref(c->entries[i].details);
    }
    for (size_t i = 0; i < c->file_count; i++)
        free(c->files[i].path);
    free(c->entries);
    free(c->files);
    free(c->slots);
    free(c);
}

void rg_check_cache_next(rg_check_cache *c)
{
    c->evaluation++;
}

/* ---- Files: looked at once per evaluation, hashed once per settled identity ---------- */

static file_state *find_file(const rg_check_cache *c, const char *path)
{
    size_t mask = c->slot_cap - 1;
    for (size_t i = c->slot_cap ? rg_text_hash(path) & mask : 0; c->slot_cap && c->slots[i]; i = (i + 1) & mask)
        if (strcmp(c->files[c->slots[i] - 1].path, path) == 0)
            return &c->files[c->slots[i] - 1];
    return NULL;
}

static void index_file(rg_check_cache *c, size_t f)
{
    size_t mask = c->slot_cap - 1, i = rg_text_hash(c->files[f].path) & mask;
    while (c->slots[i])
        i = (i + 1) & mask;
    c->slots[i] = f + 1;
}

/* Index every file again in CAP slots. */
static int index_files(rg_check_cache *c, size_t cap)
{
    size_t *slots = calloc(cap, sizeof *slots);
    if (!slots)
        return -1;
    free(c->slots);
    c->slots = slots;
    c->slot_cap = cap;
    for (size_t f = 0; f < c->file_count; f++)
        index_file(c, f);
    return 0;
}

static file_state *add_file(rg_check_cache *c, const char *path)
{
    file_state *f;
    if (c->file_count == c->file_cap) {
        size_t cap = c->file_cap ? c->file_cap * 2 : 16;
        file_state *grown = realloc(c->files, cap * sizeof *grown);
        if (!grown)
            return NULL;
        c->files = grown;
        c->file_cap = cap;
    }
    f = &c->files[c->file_count];
    memset(f, 0, sizeof *f);
    if (!(f->path = strdup(path)))
        return NULL;
    c->file_count++;
    if (2 * c->file_count <= c->slot_cap) {
        index_file(c, c->file_count - 1);
    } else if (index_files(c, c->slot_cap ? 2 * c->slot_cap : 64) != 0) {
        free(f->path);
        c->file_count--;
        return NULL;
    }
    return f;
}

/* Hash the regular file at PATH whose identity must be IDENTITY, in chunks, into F. */
static void hash_file(file_state *f, const char *path, const char *identity)
{
    struct stat st;
    char now_id[RG_FILE_IDENTITY_SIZE];
    unsigned char digest[RG_SHA256_LEN];
    int read_all;
    time_t started = time(NULL);
    int fd = rg_open_regular(path, O_RDONLY, &st);
    f->label[0] = '\0';
    f->settled = 0;
    rg_strlcpy(f->identity, identity, sizeof f->identity);
    if (fd < 0)
        return;
    rg_file_identity(&st, now_id, sizeof now_id);
    if (strcmp(now_id, identity) != 0) {
        close(fd);
        return;
    }
    read_all = rg_sha256_fd(fd, digest) == 0;
    if (read_all && fstat(fd, &st) == 0) {
        rg_file_identity(&st, now_id, sizeof now_id);
        if (strcmp(now_id, identity) == 0) {   /* not changed while read */
            rg_sha256_label(digest, f->label, sizeof f->label);
            f->settled = rg_file_settled(&st, started);
        }
    }
    close(fd);
}

/* The file at PATH as it is in this evaluation (looked at once per evaluation), or NULL
 * when it cannot be looked at or read. */
static const file_state *file_now(rg_check_cache *c, const char *path)
{
    struct stat st;
    char identity[RG_FILE_IDENTITY_SIZE];
    file_state *f = find_file(c, path);
    if (f && f->seen == c->evaluation)
        return f->label[0] ? f : NULL;
    if (stat(path, &st) != 0 || (!f && !(f = add_file(c, path))))
        return NULL;
    rg_file_identity(&st, identity, sizeof identity);
    /* A settled file with the same identity has the same bytes; any other is hashed. */
    if (!f->settled || strcmp(f->identity, identity) != 0)
        hash_file(f, path, identity);
    f->seen = c->evaluation;
    return f->label[0] ? f : NULL;
}

/* ---- Entries ------------------------------------------------------------------------ */

char *rg_check_cache_key(const rg_check *check, const cJSON *params, int64_t now)
{
    /* Parameters by identity: a requirement's are fixed for the policy's life. */
    size_t len = strlen(check->name) + 64;
    char *key = malloc(len);
    if (key)
        snprintf(key, len, "%s\n%p\n%lld\n", check->name, (const void *)params, (long long)now);
    return key;
}

static size_t mix(size_t h, const char *s)
{
    for (; s && *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211u;
    return (h ^ 0xff) * 1099511628211u;   /* a separator no string holds */
}

/* A quick filter before the full comparison (same_inputs): the names of E's inputs with
 * their declared paths, as recorded (EVIDENCE NULL) or as the context's EVIDENCE object
 * declares them. */
static size_t input_fingerprint(const entry *e, const cJSON *evidence, int recorded)
{
    size_t h = 14695981039346656037u;
    for (size_t i = 0; i < e->input_count; i++) {
        const input *in = &e->inputs[i];
        h = mix(mix(h, in->name), recorded ? in->rel : rg_json_string(evidence, in->name));
    }
    return h;
}

/* Does every context field R read read the same in CTX? */
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

static int same_text(const char *a, const char *b)
{
    return a ? b && strcmp(a, b) == 0 : !b;
}

/* Is evidence input IN the same in CTX: declared with the same path, and then either
 * resolving to the same file with the same identity and bytes (or, content-addressed,
 * the check having read the bytes its directory names), or absent with the same message
 * for the check? */
static int same_input(rg_check_cache *c, const input *in, const rg_context *ctx, const cJSON *evidence)
{
    char path[PATH_MAX], why[PATH_MAX + 512], label[RG_SHA256_LABEL_SIZE];
    const file_state *f;
    rg_evidence_status st;
    if (!same_text(rg_json_string(evidence, in->name), in->rel))
        return 0;
    st = rg_evidence_resolve(ctx, in->name, path, sizeof path, why, sizeof why);
    if (strcmp(in->state, "read") != 0)
        return st == (strcmp(in->state, "missing") == 0 ? RG_EVIDENCE_MISSING : RG_EVIDENCE_UNDECLARED) &&
               same_text(why, in->why);
    if (st != RG_EVIDENCE_OK || !same_text(path, in->path))
        return 0;
    if (rg_evidence_addressed_label(ctx, path, label))
        return same_text(label, in->sha256);
    return (f = file_now(c, path)) && same_text(f->identity, in->identity) && same_text(f->label, in->sha256);
}

static int same_inputs(rg_check_cache *c, const entry *e, const rg_context *ctx, const cJSON *evidence)
{
    for (size_t i = 0; i < e->input_count; i++)
        if (!same_input(c, &e->inputs[i], ctx, evidence))
            return 0;
    return 1;
}

const rg_check_cache_entry *rg_check_cache_get(rg_check_cache *c, const char *key, const rg_context *ctx)
{
    size_t h = key ? rg_text_hash(key) : 0, fingerprint = 0;
    const char *fingerprinted = NULL;   /* the names FINGERPRINT is for */
    const cJSON *evidence = cJSON_GetObjectItemCaseSensitive(ctx->root, "evidence");
    for (size_t i = 0; key && i < c->count; i++) {
        entry *e = &c->entries[i];
        if (e->hash != h || strcmp(e->key, key) != 0)
            continue;
        if (!fingerprinted || strcmp(fingerprinted, e->names) != 0) {
            fingerprint = input_fingerprint(e, evidence, 0);
            fingerprinted = e->names;
        }
        if (e->fingerprint == fingerprint && same_reads(&e->result, ctx) && same_inputs(c, e, ctx, evidence))
            return e;
    }
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

/* E's inputs taken out of their records (E->result.inputs) into E->inputs; -1 when out
 * of memory or a record lacks a field its state needs (such a result is not kept). */
static int take_inputs(entry *e)
{
    const cJSON *rec;
    size_t n = 0;
    e->input_count = (size_t)cJSON_GetArraySize(e->result.inputs);
    if (e->input_count && !(e->inputs = calloc(e->input_count, sizeof *e->inputs)))
        return -1;
    cJSON_ArrayForEach(rec, e->result.inputs) {
        input *in = &e->inputs[n++];
        in->name = rg_json_string(rec, "name");
        in->rel = rg_json_string(rec, "rel");
        in->state = rg_json_string(rec, "state");
        in->path = rg_json_string(rec, "path");
        in->identity = rg_json_string(rec, "identity");
        in->sha256 = rg_json_string(rec, "sha256");
        in->why = rg_json_string(rec, "why");
        if (!in->name || !in->state ||
            (strcmp(in->state, "read") == 0 ? !in->path || !in->identity || !in->sha256 : !in->why))
            return -1;
    }
    return 0;
}

/* The names of INPUTS joined by newlines (heap), or NULL when out of memory. */
static char *input_names(const cJSON *inputs)
{
    size_t len = 1;
    const cJSON *in;
    char *names;
    cJSON_ArrayForEach(in, inputs)
        len += strlen(rg_json_string(in, "name")) + 1;
    if (!(names = malloc(len)))
        return NULL;
    names[0] = '\0';
    cJSON_ArrayForEach(in, inputs) {
        strcat(names, rg_json_string(in, "name"));
        strcat(names, "\n");
    }
    return names;
}

void rg_check_cache_put(rg_check_cache *c, const char *key, const rg_check_result *r)
{
    entry *e;
    if (!key || !r->reusable || !r->inputs || !r->context_reads || r->violation || c->count >= MAX_ENTRIES)
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
    memset(e, 0, sizeof *e);
    rg_check_result_copy(r, &e->result);
    if ((e->details = rg_shared_json_new(e->result.details)) != NULL)
        e->result.details = NULL;   /* the shared tree owns it */
    if (!e->details || !e->result.reusable || !(e->key = strdup(key)) || !(e->names = input_names(r->inputs)) ||
        take_inputs(e) != 0) {
        free(e->key);
        free(e->names);
        free(e->inputs);
        rg_check_result_clear(&e->result);
        rg_shared_json_unref(e->details);
        return;
    }
    e->hash = rg_text_hash(key);
    e->fingerprint = input_fingerprint(e, NULL, 1);
    c->count++;
}
