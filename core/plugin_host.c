/* The host services a plugin check gets (rg_host), over one rg_check_call. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "beneath.h"
#include "context.h"
#include "digest.h"
#include "error.h"
#include "evidence.h"
#include "live_host.h"
#include "json.h"
#include "json_member.h"
#include "fileio.h"
#include "plugin_host.h"
#include "textpos.h"

#define MESSAGE_MAX 1024
#define WHY_MAX (PATH_MAX + 512)

struct rg_check_call {
    const rg_check *check;
    const cJSON *params;
    const rg_context *ctx;
    int64_t now;
    size_t max_evidence;
    cJSON *details;
    rg_check_status status;   /* 0 until the check finishes through a host function */
    char message[MESSAGE_MAX];
    int violation;
    char **buffers;           /* evidence texts handed out, freed when the check ends */
    size_t buffer_count;
    char why[WHY_MAX];
    char path[PATH_MAX];
    cJSON *evidence;          /* notes of what was read */
    cJSON *context_reads;     /* [path, value] pairs the check asked for */
    cJSON *inputs;            /* evidence files read whole (record_input) */
    int opaque;               /* it reached what INPUTS cannot describe: not reusable */
    rg_stream *streams;       /* open streams, closed when the check ends */
};

/* An evidence file read in chunks (ABI 1.2). */
struct rg_stream {
    rg_stream *next;
    int fd;
    uint64_t size, pos;
    rg_sha256 *hash;          /* over what was read; NULL once the digest is known */
    int failed;               /* a read failed: no digest is recorded */
    char label[RG_SHA256_LABEL_SIZE]; /* the digest, when known */
    char identity[RG_FILE_IDENTITY_SIZE];
    char name[256];
    char path[PATH_MAX];      /* resolved */
};

const char *rg_check_status_name(rg_check_status status)
{
    switch (status) {
    case RG_CHECK_PASS: return "pass";
    case RG_CHECK_FAIL: return "fail";
    case RG_CHECK_WARN: return "warn";
    case RG_CHECK_SKIP: return "skip";
    case RG_CHECK_ERROR: return "error";
    }
    return NULL;
}

/* ---- Parameters ---------------------------------------------------------------- */

static const rg_param *param_decl(const rg_check_call *call, const char *name)
{
    for (size_t i = 0; name && i < call->check->param_count; i++)
        if (strcmp(call->check->params[i].name, name) == 0)
            return &call->check->params[i];
    return NULL;
}

static const cJSON *param_value(const rg_check_call *call, const char *name)
{
    return param_decl(call, name) ? cJSON_GetObjectItemCaseSensitive(call->params, name) : NULL;
}

static int host_param_is_set(const rg_check_call *call, const char *name)
{
    const cJSON *v = param_value(call, name);
    return v && !cJSON_IsNull(v);
}

static const char *host_param_string(const rg_check_call *call, const char *name)
{
    const cJSON *v = param_value(call, name);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int64_t host_param_integer(const rg_check_call *call, const char *name)
{
    const cJSON *v = param_value(call, name);
    double d = cJSON_IsNumber(v) ? v->valuedouble : 0;
    /* Clamp: converting a double outside int64's range is undefined behaviour. */
    if (!(d > -9.2e18)) return d != d ? 0 : INT64_MIN;
    if (d > 9.2e18) return INT64_MAX;
    return (int64_t)d;
}

static double host_param_number(const rg_check_call *call, const char *name)
{
    const cJSON *v = param_value(call, name);
    return cJSON_IsNumber(v) ? v->valuedouble : 0.0;
}

static int host_param_boolean(const rg_check_call *call, const char *name)
{
    return cJSON_IsTrue(param_value(call, name));
}

static size_t host_param_count(const rg_check_call *call, const char *name)
{
    const cJSON *v = param_value(call, name);
    return cJSON_IsArray(v) ? (size_t)cJSON_GetArraySize(v) : 0;
}

static const char *host_param_item(const rg_check_call *call, const char *name, size_t i)
{
    const cJSON *v = param_value(call, name);
    const cJSON *item = cJSON_IsArray(v) && i < (size_t)INT_MAX ? cJSON_GetArrayItem(v, (int)i) : NULL;
    return cJSON_IsString(item) ? item->valuestring : NULL;
}

/* ---- Evidence and context -------------------------------------------------------- */

/* V in decimal at P, at least DIGITS digits (zero-padded); returns the end. */
static char *put_decimal(char *p, uintmax_t v, int digits)
{
    char tmp[24];
    int n = 0;
    do
        tmp[n++] = (char)('0' + v % 10);
    while ((v /= 10) != 0 || n < digits);
    while (n > 0)
        *p++ = tmp[--n];
    return p;
}

static char *put_signed(char *p, intmax_t v)
{
    if (v < 0)
        *p++ = '-';
    return put_decimal(p, v < 0 ? -(uintmax_t)v : (uintmax_t)v, 1);
}

/* As "%ju:%ju:%jd:%lld.%09ld:%lld.%09ld" would write it, without printf's cost: the check
 * cache takes every evidence file's identity once per decision of a batch. */
void rg_file_identity(const struct stat *st, char *buf, size_t size)
{
    char text[RG_FILE_IDENTITY_SIZE], *p = text;
    p = put_decimal(p, (uintmax_t)st->st_dev, 1);
    *p++ = ':';
    p = put_decimal(p, (uintmax_t)st->st_ino, 1);
    *p++ = ':';
    p = put_signed(p, (intmax_t)st->st_size);
    *p++ = ':';
    p = put_signed(p, (intmax_t)st->st_mtim.tv_sec);
    *p++ = '.';
    p = put_decimal(p, (uintmax_t)st->st_mtim.tv_nsec, 9);
    *p++ = ':';
    p = put_signed(p, (intmax_t)st->st_ctim.tv_sec);
    *p++ = '.';
    p = put_decimal(p, (uintmax_t)st->st_ctim.tv_nsec, 9);
    *p = '\0';
    rg_strlcpy(buf, text, size);
}

int rg_file_settled(const struct stat *st, time_t read_started)
{
    return st->st_ctim.tv_sec < read_started - RG_FILE_SETTLE_SECONDS;
}

/* An input record for evidence NAME: {"name", "rel" (the path the context declares, when
 * it does), "state"}, or NULL when out of memory. */
static cJSON *new_input(const rg_check_call *call, const char *name, const char *state)
{
    const char *rel = rg_json_string(cJSON_GetObjectItemCaseSensitive(call->ctx->root, "evidence"), name);
    cJSON *in = cJSON_CreateObject();
    if (!in || !cJSON_AddStringToObject(in, "name", name) || (rel && !cJSON_AddStringToObject(in, "rel", rel)) ||
        !cJSON_AddStringToObject(in, "state", state)) {
        cJSON_Delete(in);
        return NULL;
    }
    return in;
}

/* Add IN (taken; NULL: out of memory) to CALL's inputs, once.  An input that cannot be
 * recorded makes the result not reusable. */
static void add_input(rg_check_call *call, cJSON *in)
{
    const cJSON *e;
    cJSON_ArrayForEach(e, call->inputs)
        if (in && cJSON_Compare(e, in, 1)) {
            cJSON_Delete(in);
            return;
        }
    if (!in || !call->inputs || !cJSON_AddItemToArray(call->inputs, in)) {
        cJSON_Delete(in);
        call->opaque = 1;
    }
}

/* Record that the check read evidence NAME, resolved to PATH, the file IDENTITY, whose
 * bytes have digest LABEL. */
static void record_input(rg_check_call *call, const char *name, const char *path, const char *identity,
                         const char *label)
{
    cJSON *in = new_input(call, name, "read");
    if (in && (!cJSON_GetObjectItemCaseSensitive(in, "rel") || !cJSON_AddStringToObject(in, "path", path) ||
               !cJSON_AddStringToObject(in, "identity", identity) || !cJSON_AddStringToObject(in, "sha256", label))) {
        cJSON_Delete(in);
        in = NULL;
    }
    add_input(call, in);
}

/* Record that evidence NAME was not there (ST: missing or undeclared), as the message the
 * check got (CALL->why) says: all the check learnt of it. */
static void record_absent(rg_check_call *call, const char *name, rg_evidence_status st)
{
    cJSON *in = new_input(call, name, st == RG_EVIDENCE_MISSING ? "missing" : "undeclared");
    if (in && !cJSON_AddStringToObject(in, "why", call->why)) {
        cJSON_Delete(in);
        in = NULL;
    }
    add_input(call, in);
}

/* Resolve evidence NAME into CALL->path under the path rules (declared, inside the root,
 * links checked), noting a violation; the reason of a failure goes to CALL->why.  Missing
 * or undeclared evidence is recorded with that reason; evidence refused for any other
 * reason makes the result not reusable. */
static rg_evidence_status resolve_evidence(rg_check_call *call, const char *name)
{
    rg_evidence_status st;
    if (!name) {
        snprintf(call->why, sizeof call->why, "no evidence name given");
        call->opaque = 1;
        return RG_EVIDENCE_UNDECLARED;
    }
    st = rg_evidence_resolve(call->ctx, name, call->path, sizeof call->path, call->why, sizeof call->why);
    if (st == RG_EVIDENCE_ESCAPES)
        call->violation = 1;
    if (st == RG_EVIDENCE_MISSING || st == RG_EVIDENCE_UNDECLARED)
        record_absent(call, name, st);
    else if (st != RG_EVIDENCE_OK)
        call->opaque = 1;
    return st;
}

/* Read the evidence file at CALL->path (NAME's) whole, under the cap, into *TEXT, its
 * digest into LABEL, and record it: its identity before the read, which must still be its
 * identity after. */
static int read_recorded(rg_check_call *call, const char *name, char **text, size_t *len,
                         char label[RG_SHA256_LABEL_SIZE])
{
    struct stat before, after;
    char identity[RG_FILE_IDENTITY_SIZE];
    unsigned char digest[RG_SHA256_LEN];
    rg_error err;
    rg_error_init(&err);
    if (stat(call->path, &before) != 0)
        call->opaque = 1;
    if (rg_read_file_beneath(call->ctx->evidence_root, call->path, "evidence", call->max_evidence, text, len,
                             &err) != 0) {
        snprintf(call->why, sizeof call->why, "evidence '%s': %s", name, err.message);
        rg_error_clear(&err);
        call->opaque = 1;   /* unreadable or over the cap: never reused */
        return -1;
    }
    rg_sha256_of(*text, *len, digest);
    rg_sha256_label(digest, label, RG_SHA256_LABEL_SIZE);
    rg_file_identity(&before, identity, sizeof identity);
    if (!call->opaque && stat(call->path, &after) == 0) {
        char now[RG_FILE_IDENTITY_SIZE];
        rg_file_identity(&after, now, sizeof now);
        if (strcmp(now, identity) == 0) {
            record_input(call, name, call->path, identity, label);
            return 0;
        }
    }
    call->opaque = 1;       /* it changed while it was read */
    return 0;
}

static int host_read_evidence(rg_check_call *call, const char *name, const char **data,
                              size_t *len, const char **why)
{
    char *text = NULL, **grown, label[RG_SHA256_LABEL_SIZE];
    *data = NULL;
    *len = 0;
    *why = call->why;
    if (resolve_evidence(call, name) != RG_EVIDENCE_OK || read_recorded(call, name, &text, len, label) != 0)
        return -1;
    grown = realloc(call->buffers, (call->buffer_count + 1) * sizeof *grown);
    if (!grown) {
        free(text);
        snprintf(call->why, sizeof call->why, "out of memory");
        call->opaque = 1;
        return -1;
    }
    call->buffers = grown;
    call->buffers[call->buffer_count++] = text;
    rg_evidence_note_digest(call->evidence, call->ctx, name, label);
    *data = text;
    return 0;
}

/* A path handed to the check: it may read anything there, and more than bytes (times,
 * sizes, a directory's listing), none of which is recorded: not reusable. */
static const char *host_evidence_path(rg_check_call *call, const char *name, const char **why)
{
    *why = call->why;
    call->opaque = 1;
    return resolve_evidence(call, name) == RG_EVIDENCE_OK ? call->path : NULL;
}

static void host_release_evidence(rg_check_call *call, const char *data)
{
    for (size_t i = 0; data && i < call->buffer_count; i++)
        if (call->buffers[i] == data) {
            free(call->buffers[i]);
            call->buffers[i] = call->buffers[--call->buffer_count];
            return;
        }
}

static const char *host_evidence_relative(rg_check_call *call, const char *name, const char *relative,
                                          const char **why)
{
    char joined[PATH_MAX], real[PATH_MAX], *slash;
    int errnum;
    const char *base = host_evidence_path(call, name, why);
    *why = call->why;
    if (!base)
        return NULL;
    if (!relative || !*relative || relative[0] == '/') {
        snprintf(call->why, sizeof call->why, "'%s' is not a relative path", relative ? relative : "");
        return NULL;
    }
    rg_strlcpy(joined, base, sizeof joined);
    slash = strrchr(joined, '/');
    if (slash && slash != joined)
        *slash = '\0';
    switch (rg_resolve_beneath(call->ctx->evidence_root, joined, relative, NULL, real, sizeof real, NULL, 0,
                               &errnum)) {
    case RG_BENEATH_OK:
        break;
    case RG_BENEATH_LEAVES:
        snprintf(call->why, sizeof call->why, "'%s' (beside evidence '%s') leaves %s", relative, name,
                 call->ctx->evidence_root);
        call->violation = 1;
        return NULL;
    case RG_BENEATH_MISSING:
    case RG_BENEATH_UNUSABLE:
        snprintf(call->why, sizeof call->why, "'%s' (beside evidence '%s') does not exist", relative, name);
        return NULL;
    case RG_BENEATH_OUTSIDE:
        snprintf(call->why, sizeof call->why, "'%s' (beside evidence '%s') resolves to %s, outside %s",
                 relative, name, real, call->ctx->evidence_root);
        call->violation = 1;
        return NULL;
    }
    rg_strlcpy(call->path, real, sizeof call->path);
    return call->path;
}

/* ---- Streams (ABI 1.2) ------------------------------------------------------------------ */

/* In a shared child the checks of one plugin run one after the other over the same
 * files: digests computed by one are kept (by file identity) for the next, so a check
 * that reuses what an earlier one derived need not read the file again.  Global, but
 * only ever on in a check child (rg_host_set_shared, from isolate.c's child_main), which
 * has one thread; in the engine's process it stays off and is only read. */
#define DIGEST_CACHE 16
static int shared_session;
static struct {
    char identity[128];
    char label[RG_SHA256_LABEL_SIZE];
} digest_cache[DIGEST_CACHE];
static size_t digest_cache_next;

void rg_host_set_shared(int on)
{
    shared_session = on;
    memset(digest_cache, 0, sizeof digest_cache);
    digest_cache_next = 0;
}

static const char *cached_digest(const char *identity)
{
    for (size_t i = 0; shared_session && i < DIGEST_CACHE; i++)
        if (digest_cache[i].identity[0] && strcmp(digest_cache[i].identity, identity) == 0)
            return digest_cache[i].label;
    return NULL;
}

static void cache_digest(const char *identity, const char *label)
{
    if (!shared_session || cached_digest(identity))
        return;
    rg_strlcpy(digest_cache[digest_cache_next].identity, identity, sizeof digest_cache[0].identity);
    rg_strlcpy(digest_cache[digest_cache_next].label, label, sizeof digest_cache[0].label);
    digest_cache_next = (digest_cache_next + 1) % DIGEST_CACHE;
}

static rg_stream *host_open_evidence(rg_check_call *call, const char *name, uint64_t *size,
                                     const char **why)
{
    struct stat sb;
    rg_stream *s;
    const char *known;
    int fd;
    *why = call->why;
    if (size)
        *size = 0;
    /* The path rules are read_evidence's own. */
    if (resolve_evidence(call, name) != RG_EVIDENCE_OK)
        return NULL;
    fd = rg_open_regular_beneath(call->ctx->evidence_root, call->path, O_RDONLY, &sb);
    if (fd < 0)
        call->opaque = 1;
    if (fd == RG_OPEN_FAILED) {
        snprintf(call->why, sizeof call->why, "evidence '%s': cannot read %s: %s", name, call->path,
                 strerror(errno));
        return NULL;
    }
    if (fd == RG_OPEN_NOT_FILE) {
        snprintf(call->why, sizeof call->why, "evidence '%s': %s is not a regular file", name, call->path);
        return NULL;
    }
    s = calloc(1, sizeof *s);
    if (!s || !(s->hash = rg_sha256_new())) {
        free(s);
        close(fd);
        snprintf(call->why, sizeof call->why, "out of memory");
        call->opaque = 1;
        return NULL;
    }
    s->fd = fd;
    s->size = (uint64_t)sb.st_size;
    if (strlen(name) >= sizeof s->name)
        call->opaque = 1;   /* the record would name another evidence */
    rg_strlcpy(s->name, name, sizeof s->name);
    rg_strlcpy(s->path, call->path, sizeof s->path);
    rg_file_identity(&sb, s->identity, sizeof s->identity);
    if ((known = cached_digest(s->identity)) != NULL) {
        rg_strlcpy(s->label, known, sizeof s->label);
        rg_sha256_final(s->hash, (unsigned char[RG_SHA256_LEN]){0});
        s->hash = NULL;
    }
    s->next = call->streams;
    call->streams = s;
    if (size)
        *size = s->size;
    return s;
}

static void stream_digest_done(rg_stream *s)
{
    unsigned char digest[RG_SHA256_LEN];
    if (!s->hash)
        return;
    rg_sha256_final(s->hash, digest);
    s->hash = NULL;
    rg_sha256_label(digest, s->label, sizeof s->label);
    cache_digest(s->identity, s->label);
}

static int64_t host_read_stream(rg_check_call *call, rg_stream *s, void *buf, size_t cap,
                                const char **why)
{
    ssize_t n;
    *why = call->why;
    if (!s || !buf) {
        snprintf(call->why, sizeof call->why, "no stream given");
        return -1;
    }
    if (s->failed) {
        snprintf(call->why, sizeof call->why, "evidence '%s': an earlier read failed", s->name);
        return -1;
    }
    if (cap > (size_t)1 << 30)
        cap = (size_t)1 << 30;
    do
        n = read(s->fd, buf, cap);
    while (n < 0 && errno == EINTR);
    if (n < 0) {
        s->failed = 1;
        snprintf(call->why, sizeof call->why, "evidence '%s': read error: %s", s->name, strerror(errno));
        return -1;
    }
    s->pos += (uint64_t)n;
    if (s->pos > s->size || (n == 0 && cap > 0 && s->pos != s->size)) {
        s->failed = 1;
        snprintf(call->why, sizeof call->why, "evidence '%s' changed size while being read", s->name);
        return -1;
    }
    if (s->hash)
        rg_sha256_update(s->hash, buf, (size_t)n);
    if (n == 0 && cap > 0)
        stream_digest_done(s);
    return (int64_t)n;
}

/* Close S: the digest of the whole file goes into the result's evidence (hashing what
 * the check did not read), unless a read failed. */
static void stream_close(rg_check_call *call, rg_stream *s)
{
    if (!s->failed && s->hash) {
        char rest[65536];
        ssize_t n;
        while ((n = read(s->fd, rest, sizeof rest)) != 0) {
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0 || (s->pos += (uint64_t)n) > s->size) {
                s->failed = 1;
                break;
            }
            rg_sha256_update(s->hash, rest, (size_t)n);
        }
        if (!s->failed && s->pos == s->size)
            stream_digest_done(s);
    }
    if (s->label[0]) {
        rg_evidence_note_digest(call->evidence, call->ctx, s->name, s->label);
        record_input(call, s->name, s->path, s->identity, s->label);
    } else {
        call->opaque = 1;   /* no digest of what it read */
    }
    if (s->hash)
        rg_sha256_final(s->hash, (unsigned char[RG_SHA256_LEN]){0});
    close(s->fd);
    free(s);
}

static void host_close_stream(rg_check_call *call, rg_stream *stream)
{
    for (rg_stream **p = &call->streams; stream && *p; p = &(*p)->next)
        if (*p == stream) {
            *p = stream->next;
            stream_close(call, stream);
            return;
        }
}

static const char *host_stream_identity(rg_check_call *call, rg_stream *stream)
{
    (void)call;
    return shared_session && stream ? stream->identity : NULL;
}

const char *rg_context_string(const rg_context *ctx, const char *path)
{
    const cJSON *node = path ? rg_json_at(ctx->root, path) : NULL;
    return cJSON_IsString(node) ? node->valuestring : NULL;
}

/* What a check read of the context is part of its result's identity: recorded, so a
 * cached result is reused only for a context that reads the same. */
static const char *host_context_string(const rg_check_call *call, const char *path)
{
    const char *value = rg_context_string(call->ctx, path);
    cJSON *read;
    if (!path)
        return value;
    read = cJSON_CreateArray();
    if (!call->context_reads || !read || !cJSON_AddItemToArray(read, cJSON_CreateString(path)) ||
        !cJSON_AddItemToArray(read, value ? cJSON_CreateString(value) : cJSON_CreateNull()) ||
        cJSON_GetArraySize(read) != 2 || !cJSON_AddItemToArray(call->context_reads, read)) {
        cJSON_Delete(read);
        ((rg_check_call *)call)->opaque = 1;   /* a read not recorded: not reusable */
    }
    return value;
}

static int64_t host_now(const rg_check_call *call)
{
    return call->now;
}

static void host_log(rg_check_call *call, const char *fmt, ...) RG_PRINTF(2, 3);

static void host_log(rg_check_call *call, const char *fmt, ...)
{
    va_list ap;
    char line[MESSAGE_MAX];
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    /* Checks run in a child whose standard error is a pipe of the engine, which writes
     * each line behind "relgate: check NAME: " and neutralises it: one line, as it is. */
    fprintf(stderr, "%s\n", line);
}

/* ---- Details ------------------------------------------------------------------------- */

static rg_json *host_details(rg_check_call *call)
{
    return (rg_json *)call->details;
}

/* Attach ITEM to PARENT under KEY (objects) or at the end (arrays). */
static rg_json *attach(rg_json *parent, const char *key, cJSON *item)
{
    cJSON *p = (cJSON *)parent;
    if (!item)
        return NULL;
    if (cJSON_IsObject(p) && key) {
        cJSON_DeleteItemFromObjectCaseSensitive(p, key); /* last write wins, no duplicates */
        cJSON_AddItemToObject(p, key, item);
    } else if (cJSON_IsArray(p)) {
        cJSON_AddItemToArray(p, item);
    } else {
        cJSON_Delete(item);
        return NULL;
    }
    return (rg_json *)item;
}

static rg_json *host_add_object(rg_check_call *call, rg_json *parent, const char *key)
{
    (void)call;
    return attach(parent, key, cJSON_CreateObject());
}

static rg_json *host_add_array(rg_check_call *call, rg_json *parent, const char *key)
{
    (void)call;
    return attach(parent, key, cJSON_CreateArray());
}

static void host_add_string(rg_check_call *call, rg_json *parent, const char *key, const char *value)
{
    char *clean = rg_strdup_utf8(value);
    (void)call;
    attach(parent, key, clean ? cJSON_CreateString(clean) : cJSON_CreateNull());
    free(clean);
}

static void host_add_number(rg_check_call *call, rg_json *parent, const char *key, double value)
{
    (void)call;
    attach(parent, key, cJSON_CreateNumber(value));
}

static void host_add_boolean(rg_check_call *call, rg_json *parent, const char *key, int value)
{
    (void)call;
    attach(parent, key, cJSON_CreateBool(value));
}

/* ---- Finishing ---------------------------------------------------------------------------- */

static rg_check_status finish(rg_check_call *call, rg_check_status status, const char *fmt, va_list ap)
    RG_PRINTF(3, 0);

static rg_check_status finish(rg_check_call *call, rg_check_status status, const char *fmt, va_list ap)
{
    char *clean;
    call->status = status;
    vsnprintf(call->message, sizeof call->message, fmt, ap);
    if ((clean = rg_strdup_utf8(call->message)) != NULL) {
        rg_strlcpy(call->message, clean, sizeof call->message);
        free(clean);
    }
    return status;
}

#define FINISHER(fn, st)                                                   \
    static rg_check_status fn(rg_check_call *call, const char *fmt, ...) \
        RG_PRINTF(2, 3);                                                   \
    static rg_check_status fn(rg_check_call *call, const char *fmt, ...) \
    {                                                                      \
        va_list ap;                                                        \
        rg_check_status s;                                                 \
        va_start(ap, fmt);                                                 \
        s = finish(call, st, fmt, ap);                                     \
        va_end(ap);                                                        \
        return s;                                                          \
    }

FINISHER(host_pass, RG_CHECK_PASS)
FINISHER(host_fail, RG_CHECK_FAIL)
FINISHER(host_warn, RG_CHECK_WARN)
FINISHER(host_skip, RG_CHECK_SKIP)
FINISHER(host_error, RG_CHECK_ERROR)

/* ---- Live evidence (ABI 1.4): core/live_host.c does the work ---- */

/* Hand TEXT (heap) to the check until it returns; NULL when out of memory. */
static const char *keep_buffer(rg_check_call *call, char *text)
{
    char **grown = text ? realloc(call->buffers, (call->buffer_count + 1) * sizeof *grown) : NULL;
    if (!grown) {
        free(text);
        return NULL;
    }
    call->buffers = grown;
    call->buffers[call->buffer_count++] = text;
    return text;
}

/* What the network answered is not an input a batch can compare: a check that asks is
 * never reused (docs/plugins.md), whatever the answer.  NULL, "no live source by that
 * name", is an input too, and not one the file records describe: a check that read
 * nothing after it was reused for a later line naming a live source (hostile round 24,
 * F01). */
static const char *host_evidence_source(rg_check_call *call, const char *name)
{
    const cJSON *entry = rg_live_entry(call->ctx, name);
    call->opaque = 1;
    return entry ? keep_buffer(call, cJSON_PrintUnformatted(entry)) : NULL;
}

static int host_record_fetch(rg_check_call *call, const char *name, const char *url, const char *next,
                             const char *data, size_t len, const char **why)
{
    *why = call->why;
    call->opaque = 1;
    return rg_live_record(call->ctx, call->evidence, name, url, next, data, len, call->why, sizeof call->why);
}

static int host_recorded_page(rg_check_call *call, const char *name, size_t index, const char **url,
                              const char **next, const char **data, size_t *len, const char **why)
{
    char *text = NULL;
    int rc;
    *why = call->why;
    *data = NULL;
    call->opaque = 1;
    rc = rg_live_recorded_page(call->ctx, call->evidence, name, index, call->max_evidence, url, next, &text, len,
                               call->why, sizeof call->why);
    if (rc == 1 && !(*data = keep_buffer(call, text))) {
        snprintf(call->why, sizeof call->why, "out of memory");
        return -1;
    }
    return rc;
}

static double host_time_left(const rg_check_call *call)
{
    (void)call;
    return rg_host_time_left();
}

static const rg_host HOST = {
    RG_PLUGIN_ABI_MAJOR, RG_PLUGIN_ABI_MINOR, sizeof(rg_host),
    host_param_is_set, host_param_string, host_param_integer, host_param_number,
    host_param_boolean, host_param_count, host_param_item,
    host_read_evidence, host_evidence_path, host_context_string, host_now, host_log,
    host_details, host_add_object, host_add_array, host_add_string, host_add_number,
    host_add_boolean,
    host_pass, host_fail, host_warn, host_skip, host_error,
    host_release_evidence, host_evidence_relative,
    host_open_evidence, host_read_stream, host_close_stream, host_stream_identity,
    host_evidence_source, host_record_fetch, host_recorded_page, host_time_left,
};

void rg_check_result_clear(rg_check_result *r)
{
    free(r->message);
    cJSON_Delete(r->details);
    cJSON_Delete(r->evidence);
    cJSON_Delete(r->context_reads);
    cJSON_Delete(r->inputs);
    memset(r, 0, sizeof *r);
}

void rg_check_run_inline(const rg_check *check, const cJSON *params, const rg_context *ctx,
                         int64_t now, size_t max_evidence, rg_check_result *out)
{
    rg_check_call call;
    rg_check_status returned;

    memset(&call, 0, sizeof call);
    memset(out, 0, sizeof *out);
    call.check = check;
    call.params = params;
    call.ctx = ctx;
    call.now = now;
    call.max_evidence = max_evidence;
    call.details = cJSON_CreateObject();
    call.evidence = cJSON_CreateArray();
    call.context_reads = cJSON_CreateArray();
    call.inputs = cJSON_CreateArray();
    returned = check->run(&HOST, &call);
    while (call.streams) {
        rg_stream *s = call.streams;
        call.streams = s->next;
        stream_close(&call, s);
    }
    for (size_t i = 0; i < call.buffer_count; i++)
        free(call.buffers[i]);
    free(call.buffers);

    out->details = call.details ? call.details : cJSON_CreateObject();
    out->evidence = call.evidence ? call.evidence : cJSON_CreateArray();
    out->context_reads = call.context_reads ? call.context_reads : cJSON_CreateArray();
    out->violation = call.violation;
    out->inputs = call.inputs;
    out->reusable = !call.opaque && !call.violation && call.inputs && call.context_reads &&
                    call.details && call.evidence;
    if (call.violation) {
        out->status = RG_CHECK_ERROR;
        out->message = strdup(call.why);
    } else if (call.status == 0 || !rg_check_status_name(call.status) || returned != call.status) {
        out->status = RG_CHECK_ERROR;
        out->message = strdup(call.status == 0 ? "the check returned without a result"
                                               : "the check returned another status than it reported");
    } else {
        out->status = call.status;
        out->message = strdup(call.message);
    }
}

char *rg_check_result_to_json(const rg_check_result *r)
{
    cJSON *o = cJSON_CreateObject();
    char *text;
    if (!o)
        return NULL;
    cJSON_AddStringToObject(o, "status", rg_check_status_name(r->status) ? rg_check_status_name(r->status) : "error");
    cJSON_AddStringToObject(o, "message", r->message ? r->message : "");
    cJSON_AddItemToObject(o, "details", r->details ? cJSON_Duplicate(r->details, 1) : cJSON_CreateObject());
    cJSON_AddBoolToObject(o, "violation", r->violation);
    cJSON_AddItemToObject(o, "evidence", r->evidence ? cJSON_Duplicate(r->evidence, 1) : cJSON_CreateArray());
    cJSON_AddItemToObject(o, "context_reads", r->context_reads ? cJSON_Duplicate(r->context_reads, 1) : cJSON_CreateArray());
    cJSON_AddBoolToObject(o, "reusable", r->reusable && r->inputs);
    cJSON_AddItemToObject(o, "inputs", r->inputs ? cJSON_Duplicate(r->inputs, 1) : cJSON_CreateArray());
    if (!cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(o, "details")) ||
        !cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(o, "context_reads")) ||
        !cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(o, "inputs"))) {
        cJSON_Delete(o);   /* out of memory: a result missing a part is no result */
        return NULL;
    }
    text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return text;
}

/* Every input a file read {"name","state":"read","rel","path","identity","sha256"} or
 * absent evidence {"name","state":"missing"|"undeclared",("rel"),"why"}, all strings. */
static int inputs_well_formed(const cJSON *inputs)
{
    static const char *const read[] = {"rel", "path", "identity", "sha256"};
    const cJSON *e;
    if (!cJSON_IsArray(inputs))
        return 0;
    cJSON_ArrayForEach(e, inputs) {
        const char *state = rg_json_string(e, "state");
        const cJSON *rel = cJSON_GetObjectItemCaseSensitive(e, "rel");
        if (!rg_json_string(e, "name") || !state || (rel && !cJSON_IsString(rel)))
            return 0;
        if (strcmp(state, "read") == 0) {
            for (size_t i = 0; i < sizeof read / sizeof read[0]; i++)
                if (!rg_json_string(e, read[i]))
                    return 0;
        } else if ((strcmp(state, "missing") != 0 && strcmp(state, "undeclared") != 0) || !rg_json_string(e, "why")) {
            return 0;
        }
    }
    return 1;
}

/* Every context read a [path, string or null] pair. */
static int reads_well_formed(const cJSON *reads)
{
    const cJSON *e;
    if (!cJSON_IsArray(reads))
        return 0;
    cJSON_ArrayForEach(e, reads) {
        const cJSON *value = cJSON_GetArrayItem(e, 1);
        if (cJSON_GetArraySize(e) != 2 || !cJSON_IsString(cJSON_GetArrayItem(e, 0)) ||
            !(cJSON_IsString(value) || cJSON_IsNull(value)))
            return 0;
    }
    return 1;
}

int rg_check_result_from_json(const char *text, size_t len, rg_check_result *out, char *why,
                              size_t why_size)
{
    static const rg_check_status all[] = {RG_CHECK_PASS, RG_CHECK_FAIL, RG_CHECK_WARN,
                                          RG_CHECK_SKIP, RG_CHECK_ERROR};
    rg_error err = {0};
    cJSON *root, *details;
    const char *status, *message;
    memset(out, 0, sizeof *out);
    root = rg_json_parse(text, len, "check result", 64, RG_ERROR_INTERNAL, &err);
    if (!root) {
        snprintf(why, why_size, "%s", err.message);
        return -1;
    }
    status = rg_json_string(root, "status");
    message = rg_json_string(root, "message");
    details = cJSON_GetObjectItemCaseSensitive(root, "details");
    for (size_t i = 0; status && i < sizeof all / sizeof all[0]; i++)
        if (strcmp(status, rg_check_status_name(all[i])) == 0)
            out->status = all[i];
    if (!out->status || !message || !cJSON_IsObject(details)) {
        snprintf(why, why_size, "not a check result (status, message, details)");
        cJSON_Delete(root);
        return -1;
    }
    out->message = strdup(message);
    out->details = cJSON_DetachItemViaPointer(root, details);
    out->violation = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(root, "violation"));
    out->evidence = cJSON_CreateArray();
    rg_evidence_merge(out->evidence, cJSON_GetObjectItemCaseSensitive(root, "evidence"));
    out->context_reads = cJSON_DetachItemFromObjectCaseSensitive(root, "context_reads");
    if (!cJSON_IsArray(out->context_reads)) {
        cJSON_Delete(out->context_reads);
        out->context_reads = cJSON_CreateArray();
    }
    out->inputs = cJSON_DetachItemFromObjectCaseSensitive(root, "inputs");
    out->reusable = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(root, "reusable")) && inputs_well_formed(out->inputs) &&
                    reads_well_formed(out->context_reads);
    if (!out->reusable) {
        cJSON_Delete(out->inputs);
        out->inputs = NULL;
    }
    cJSON_Delete(root);
    return 0;
}

void rg_check_result_copy(const rg_check_result *r, rg_check_result *out)
{
    out->status = r->status;
    out->message = r->message ? strdup(r->message) : NULL;
    out->details = r->details ? cJSON_Duplicate(r->details, 1) : cJSON_CreateObject();
    out->violation = r->violation;
    out->evidence = r->evidence ? cJSON_Duplicate(r->evidence, 1) : cJSON_CreateArray();
    out->context_reads = r->context_reads ? cJSON_Duplicate(r->context_reads, 1) : cJSON_CreateArray();
    out->inputs = r->inputs ? cJSON_Duplicate(r->inputs, 1) : NULL;
    out->reusable = r->reusable && out->inputs && out->context_reads;
}
