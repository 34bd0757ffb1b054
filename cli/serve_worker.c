/* relgate serve: an evaluation worker (serve_worker.h; the server side is serve_pool.c).
 *
 * It parses the server's own arguments (one reading of them, serve_options.c), loads the
 * plugins, the policy, the signing key and the store once, says so, and then answers one
 * request body at a time, as relgate eval answers a context file:
 *
 *  - the body is untrusted JSON: parsed here, in the isolated worker, not in the server;
 *  - inline evidence ({"text"}, {"json"}, {"base64"}) is written to the worker's private
 *    evidence directory (0700), content-addressed: DIR/<sha256 of the bytes>/<name>,
 *    written once and never changed, which is then the evidence root, the context naming
 *    each file by that relative path.  So the same evidence sent again is the same file
 *    with the same bytes, and the policy's check results are reused for it as a batch
 *    reuses them (rg_policy_reuse_check_results: a result is reused only when every input
 *    it read is the same); a request cannot name a file there itself (a context with
 *    evidence paths is read beneath --evidence-root, and cannot be mixed with inline
 *    evidence).  The directory is emptied, and the reused results dropped, once it holds
 *    STORE_MAX_FILES files or STORE_MAX_BYTES;
 *  - evidence paths in the context (strings, and live sources' recorded pages) are read
 *    beneath --evidence-root by the engine's own rule (without it, a request naming a
 *    path is refused): the server never opens its whole filesystem to a request;
 *  - live sources are passed on as eval passes them;
 *  - the answer goes back as "VERDICT STAGE", the decision (or error decision) as one
 *    compact JSON line and, under --signing-key, the signed envelope on a line of its
 *    own (serve_decide.c keeps it as eval --attest --log does, eval_attest.c).
 *
 * The watchdog (watchdog.c) ends the worker when the policy is stuck in a library call:
 * the server sees it end, answers that request with an error decision and starts
 * another worker.  It never touches the server. */
#define _GNU_SOURCE
#include <errno.h>
#include <fnmatch.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include "base64.h"
#include "cli.h"
#include "digest_memo.h"
#include "error.h"
#include "fileio.h"
#include "serve_body.h"
#include "serve_internal.h"
#include "serve_worker.h"
#include "strbuf.h"
#include "worker_record.h"

#define BODY_REST_MS 10000   /* a request is written whole: its bytes follow its header at once */
#define MAX_INLINE 256       /* inline evidence entries in one request */
#define STORE_MAX_FILES 4096 /* the evidence directory is emptied past these */
#define STORE_MAX_BYTES (256ull << 20)
#define DIGEST_MEMO_SLOTS 16 /* inline evidence whose digest is remembered (digest_memo.h): */
#define DIGEST_MEMO_BYTES (16u << 20)   /* the same bytes again are compared, not hashed */

typedef struct worker_state {
    rg_serve_config c;
    rg_plugins *plugins;
    rg_policy *pol;
    rg_signer *signer;
    rg_log *store;           /* read for post-deploy rollback targets, as eval --log */
    const char *workdir;
    char evdir[PATH_MAX];    /* the inline evidence, content-addressed ("" until made) */
    int evdir_fd;            /* it, open (O_PATH), for looking beneath it; -1 when not */
    rg_path_cache *evpaths;  /* its paths resolved once (NULL: each time), as a batch's are:
                              * nothing in it changes until it is emptied */
    rg_digest_memo *digests; /* the digests of inline evidence seen before (NULL: hashed each time) */
    size_t evdir_files;
    unsigned long long evdir_bytes;
    rg_record_peer peers[RG_SERVE_SLOTS_MAX];   /* each slot's records, numbered apart */
    unsigned slots;          /* how many the server uses */
    unsigned slot;           /* the request's now */
    rg_strbuf out;
} worker_state;

/* ---- Answers ------------------------------------------------------------------------ */

/* Send the record answering TAG with CODE: "VERDICT STAGE\n" (for the server's metrics,
 * which then need not parse the decision), TEXT, and "\n" and ENVELOPE when there is one;
 * the worker ends when it cannot. */
static void send_answer(worker_state *ws, int64_t tag, int32_t code, const char *verdict, const char *stage,
                        const char *text, const char *envelope)
{
    size_t at;
    ws->out.len = 0;
    at = rg_record_begin(&ws->out);
    rg_strbuf_printf(&ws->out, "%s %s\n", verdict, stage);
    rg_strbuf_puts(&ws->out, text ? text : "");
    if (envelope) {
        rg_strbuf_add(&ws->out, "\n", 1);
        rg_strbuf_puts(&ws->out, envelope);
    }
    if (rg_record_end(&ws->out, at, &ws->peers[ws->slot], tag, code) != 0 ||
        rg_write_all(RG_SERVE_WORKER_OUT(ws->slot), ws->out.data, ws->out.len) != 0)
        rg_worker_exit(3);
}

/* Which answer an error is: bad input (400) or the gate's own failure (500). */
static int error_class(const rg_error *err)
{
    switch (err->kind) {
    case RG_ERROR_USAGE:
    case RG_ERROR_CONTEXT:
    case RG_ERROR_EVIDENCE:
        return RG_EVAL_BAD_INPUT;
    default:
        return RG_EVAL_FAILED;
    }
}

static void send_error(worker_state *ws, int64_t tag, const rg_error *err, int64_t now, const char *stage)
{
    char *line = rg_error_render(err, RG_FORMAT_LINE, now);
    if (!line)
        rg_worker_exit(3);
    send_answer(ws, tag, error_class(err), "error", stage, line, NULL);
    free(line);
}

/* ---- The request's evidence ------------------------------------------------------- */

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    remove(path);
    return 0;
}

static int store_trim(worker_state *ws, rg_error *err);

/* Write ITEM ({"text"}, {"json"} or {"base64"}) of evidence NAME as FILE in the worker's
 * evidence directory, beneath the SHA-256 of its bytes: REL (RELSIZE bytes) receives
 * "<hex>/FILE".  A file already there has those bytes: it is left as it is.  0, or -1
 * with ERR. */
static int write_inline(worker_state *ws, const char *file, const char *name, const cJSON *item, char *rel,
                        size_t relsize, rg_error *err)
{
    const cJSON *text = NULL, *json = NULL, *b64 = NULL;
    char path[PATH_MAX + 160], tmp[PATH_MAX + 160], digest_hex[RG_DIGEST_HEX_SIZE], *data = NULL;
    struct stat st;
    size_t len = 0;
    int fd, made, rc = 0, members = 0;
    if (cJSON_IsObject(item))
        for (const cJSON *m = item->child; m; m = m->next, members++) {
            if (strcmp(m->string, "text") == 0) text = m;
            else if (strcmp(m->string, "json") == 0) json = m;
            else if (strcmp(m->string, "base64") == 0) b64 = m;
        }
    if (members != 1 || (!text && !json && !b64) || (text && !cJSON_IsString(text)) || (b64 && !cJSON_IsString(b64)))
        return rg_fail(err, RG_ERROR_USAGE, NULL, 0, 0,
                       "evidence '%.200s' must be {\"text\": STRING}, {\"json\": VALUE} or {\"base64\": STRING}", name);
    if (text) {
        data = text->valuestring;
        len = strlen(data);
    } else if (cJSON_IsRaw(json)) {
        data = json->valuestring;   /* the bytes of the request (serve_body.c) */
        len = strlen(data);
    } else if (json) {
        /* serve_body.c keeps every "json" value as the request's bytes, however its key
         * is spelled: printed from a tree it would not be the same bytes (1e400 would
         * be null), so never that. */
        return rg_fail(err, RG_ERROR_INTERNAL, NULL, 0, 0, "evidence '%.200s': its \"json\" value was not kept as sent",
                       name);
    } else if (!(data = (char *)rg_base64_decode(b64->valuestring, strlen(b64->valuestring), &len))) {
        return rg_fail(err, RG_ERROR_USAGE, NULL, 0, 0, "evidence '%.200s': \"base64\" is not base64", name);
    }
    rg_digest_memo_sha256(ws->digests, data, len, digest_hex);
    snprintf(rel, relsize, "%s/%s", digest_hex, file);
    /* Looked for first, its directory made only when it is not there: evidence sent
     * again (most of it) costs one lstat, relative to the directory (walking the path
     * from / was two thirds of its cost).  Not remembered in memory: a file a cleaner of
     * the temporary directory took is written again. */
    if (fstatat(ws->evdir_fd, rel, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode) && (size_t)st.st_size == len)
        goto done;   /* these very bytes, written by an earlier request */
    snprintf(path, sizeof path, "%s/%s", ws->evdir, digest_hex);
    made = mkdir(path, 0700);
    if (made != 0 && errno == ENOENT) {
        /* The evidence directory itself is gone (a cleaner that honours no lock): made
         * anew, as when it is full, and this file written in it. */
        ws->evdir_files = STORE_MAX_FILES;
        if (store_trim(ws, err) != 0) {
            rc = -1;
            goto done;
        }
        made = mkdir(path, 0700);
    }
    if (made != 0 && errno != EEXIST) {
        rc = rg_fail(err, RG_ERROR_IO, NULL, 0, 0, "cannot write evidence '%.200s': %s", name, strerror(errno));
        goto done;
    }
    snprintf(path, sizeof path, "%s/%s", ws->evdir, rel);
    /* Written aside and renamed into place: a file in the directory is whole. */
    snprintf(tmp, sizeof tmp, "%s/%s/.new-%s", ws->evdir, digest_hex, file);
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0 || rg_write_all(fd, data, len) != 0 || close(fd) != 0 || rename(tmp, path) != 0) {
        rc = rg_fail(err, RG_ERROR_IO, NULL, 0, 0, "cannot write evidence '%.200s': %s", name, strerror(errno));
        if (fd >= 0)
            unlink(tmp);
        goto done;
    }
    ws->evdir_files++;
    ws->evdir_bytes += len;
done:
    if (b64)
        free(data);
    return rc;
}

/* Open the evidence directory for looking beneath it (ws->evdir_fd).  0, or -1. */
static int open_evdir(worker_state *ws)
{
    return (ws->evdir_fd = open(ws->evdir, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0 ? -1 : 0;
}

/* Empty the evidence directory and drop the results reused for what it held, once it
 * holds STORE_MAX_FILES files or STORE_MAX_BYTES.  0, or -1 with ERR. */
static int store_trim(worker_state *ws, rg_error *err)
{
    if (ws->evdir_files < STORE_MAX_FILES && ws->evdir_bytes < STORE_MAX_BYTES)
        return 0;
    nftw(ws->evdir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
    if (ws->evdir_fd >= 0)
        close(ws->evdir_fd);
    ws->evdir_fd = -1;
    if (mkdir(ws->evdir, 0700) != 0 || open_evdir(ws) != 0)
        return rg_fail(err, RG_ERROR_IO, NULL, 0, 0, "cannot make the evidence directory %s: %s", ws->evdir,
                       strerror(errno));
    ws->evdir_files = 0;
    ws->evdir_bytes = 0;
    rg_path_cache_free(ws->evpaths);
    ws->evpaths = rg_path_cache_new();
    rg_policy_reuse_check_results(ws->pol, 0);
    rg_policy_reuse_check_results(ws->pol, 1);
    return 0;
}

/* Whether NAME can name a file in the request's directory as it is: 1 to 64 of
 * [A-Za-z0-9._-], not starting with a dot, and not "evidence-N" (the other names'). */
static int plain_name(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > 64 || name[0] == '.' || strncmp(name, "evidence-", 9) == 0 || strcmp(name, "context.json") == 0)
        return 0;
    for (const char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '.' ||
              *p == '_' || *p == '-'))
            return 0;
    return 1;
}

/* Whether the context's evidence ENTRY reads a file: a path, or a live source with
 * recorded pages. */
static int names_a_path(const cJSON *entry)
{
    return cJSON_IsString(entry) || (cJSON_IsObject(entry) && cJSON_GetObjectItemCaseSensitive(entry, "recorded"));
}

/* ---- One request ------------------------------------------------------------------- */

typedef struct request {
    cJSON *doc;
    cJSON *context;
    rg_stage stage;
    rg_release_type type;
    int64_t now;
    const char *stage_name; /* "none" until known */
    int from_operator;      /* built from the configuration (a hook's rule), not a client's */
} request;

static size_t find_checked(void *ctx, const char *at, size_t left)
{
    return rg_digest_memo_find_checked(ctx, at, left);
}

static void note_checked(void *ctx, const char *at, size_t len)
{
    rg_digest_memo_note_checked(ctx, at, len);
}

/* Read BODY's members into R.  0, or -1 with ERR (bad input). */
static int read_body(worker_state *ws, request *r, const char *body, size_t len, rg_error *err)
{
    /* The inline evidence's "json" values the strict check took before, byte for byte,
     * are taken as they are (the check's answer is the same: rg_json_check_known), and
     * not walked again either: on the peers' requests the two were over a third of a
     * worker's instructions (570 K of 1.49 M), which a batch decision does not spend. */
    rg_json_known known = {RG_SERVE_BODY_KNOWN_DEPTH, RG_SERVE_BODY_KNOWN_KEY, find_checked, note_checked,
                           ws->digests};
    /* JSON as relgate reads it (UTF-8, no NUL escaped or not, no key twice, depth within
     * --max-json-depth) before cJSON reads it: the server leaves this to the worker for
     * POST /v1/decisions (RG_ROUTE_BODY_TO_WORKER), so that the body is checked once.
     * Only then is it read (serve_body.c relies on it). */
    if (rg_json_check_known(body, len, "the request body", &ws->c.limits, ws->digests ? &known : NULL, err) != 0)
        return -1;
    if (!(r->doc = rg_serve_body_parse(body, len, ws->digests ? &known : NULL)))
        return rg_fail(err, RG_ERROR_INTERNAL, NULL, 0, 0, "out of memory reading the request body");
    if (!cJSON_IsObject(r->doc))
        return rg_fail(err, RG_ERROR_USAGE, NULL, 0, 0, "the request body is not a JSON object");
    for (cJSON *m = r->doc->child; m; m = m->next) {
        if (strcmp(m->string, "context") == 0) {
            if (!cJSON_IsObject(m))
                return rg_fail(err, RG_ERROR_USAGE, NULL, 0, 0, "\"context\" must be an object (the release context)");
            r->context = m;
        } else if (strcmp(m->string, "stage") == 0) {
            if (!cJSON_IsString(m) || (r->stage = rg_stage_parse(m->valuestring)) == RG_STAGE_UNSET)
                return rg_fail(err, RG_ERROR_USAGE, NULL, 0, 0, "\"stage\" must be pre-release, deploy or post-deploy");
        } else if (strcmp(m->string, "type") == 0) {
            if (!cJSON_IsString(m) || (r->type = rg_release_type_parse(m->valuestring)) == RG_TYPE_UNSET)
                return rg_fail(err, RG_ERROR_USAGE, NULL, 0, 0, "\"type\" must be patch, minor or major");
        } else if (strcmp(m->string, "now") == 0) {
            /* The clock decides deploy windows, evidence ages and waiver expiry: a client
             * that could set it could step past a freeze or back into a waiver.  The
             * operator's own requests (a hook's rule) carry none. */
            if (!ws->c.allow_client_now && !r->from_operator)
                return rg_fail(err, RG_ERROR_USAGE, NULL, 0, 0,
                               "\"now\": this server decides at its own clock (a request may set it only "
                               "when the server runs with --allow-client-now)");
            if (!cJSON_IsString(m) || rg_time_parse(m->valuestring, &r->now) != 0)
                return rg_fail(err, RG_ERROR_USAGE, NULL, 0, 0,
                               "\"now\" must be an RFC 3339 time such as 2025-06-10T09:00:00Z");
            /* Stored, a decision dated ahead would be taken for the newest (as eval --log). */
            if (rg_time_ahead_of_clock(r->now))
                return rg_fail(err, RG_ERROR_USAGE, NULL, 0, 0, "\"now\" is more than %d minutes ahead of the "
                               "server's clock: a decision dated in the future would be taken for the newest",
                               RG_CLOCK_SLACK / 60);
        } else if (strcmp(m->string, "evidence") != 0) {
            return rg_fail(err, RG_ERROR_USAGE, NULL, 0, 0,
                           "unknown member \"%.100s\" (expected context, stage, type, now, evidence)", m->string);
        }
    }
    if (!r->context)
        return rg_fail(err, RG_ERROR_USAGE, NULL, 0, 0, "\"context\" is required (the release context)");
    /* The stage as the engine resolves it: the request's, else the context's, else
     * pre-release (for the metrics' label; an invalid one the engine refuses). */
    if (r->stage != RG_STAGE_UNSET) {
        r->stage_name = rg_stage_name(r->stage);
    } else {
        const cJSON *st = cJSON_GetObjectItemCaseSensitive(r->context, "stage");
        r->stage_name = cJSON_IsString(st) && rg_stage_parse(st->valuestring) != RG_STAGE_UNSET ? st->valuestring
                                                                                             : "pre-release";
    }
    return 0;
}

/* A live source a client names is fetched with this server's credential (GITHUB_TOKEN,
 * GITLAB_TOKEN): only one --live-source allows, so that a client cannot read through the
 * server what its own credential could not.  A recording (replayed, no fetch) and a
 * deployment hook's rule (the operator's configuration) need none.  0, or -1 with ERR. */
static int live_source_allowed(const worker_state *ws, const char *name, const cJSON *entry, rg_error *err)
{
    int github = cJSON_HasObjectItem(entry, "github");
    /* What it names, as the request wrote it: a repository, or a project's path or ID (a
     * number in the context is kept as its bytes, a raw node). */
    const cJSON *what = cJSON_GetObjectItemCaseSensitive(entry, github ? "repo" : "project");
    char source[600];
    if (!cJSON_IsObject(entry) || cJSON_HasObjectItem(entry, "recorded") ||
        (!github && !cJSON_HasObjectItem(entry, "gitlab")))
        return 0;   /* not a live source, or a recording: nothing is fetched */
    snprintf(source, sizeof source, "%s:%.500s", github ? "github" : "gitlab",
             cJSON_IsString(what) || cJSON_IsRaw(what) ? what->valuestring : "");
    for (size_t i = 0; i < ws->c.live_source_count; i++)
        if (fnmatch(ws->c.live_sources[i], source, 0) == 0)
            return 0;
    return rg_fail(err, RG_ERROR_EVIDENCE, NULL, 0, 0,
                   "evidence '%.100s' is the live source %.300s, which this server does not fetch for a request: it "
                   "would fetch it with its own credential (allow it with --live-source; or send the evidence inline)",
                   name, source);
}

/* Put the request's inline evidence in its directory and name each file in the
 * context; choose the evidence root.  0, or -1 with ERR. */
static int place_evidence(worker_state *ws, request *r, const char **root, rg_error *err)
{
    cJSON *inline_ev = cJSON_GetObjectItemCaseSensitive(r->doc, "evidence");
    cJSON *ctx_ev = cJSON_GetObjectItemCaseSensitive(r->context, "evidence");
    int paths = 0, count = 0;
    if (inline_ev && !cJSON_IsObject(inline_ev))
        return rg_fail(err, RG_ERROR_USAGE, NULL, 0, 0, "\"evidence\" must be an object: NAME -> {\"text\"|\"json\"|\"base64\": ...}");
    if (cJSON_IsObject(ctx_ev))
        for (cJSON *e = ctx_ev->child; e; e = e->next) {
            paths |= names_a_path(e);
            if (!r->from_operator && live_source_allowed(ws, e->string, e, err) != 0)
                return -1;
        }
    if (paths && !ws->c.evidence_root)
        return rg_fail(err, RG_ERROR_EVIDENCE, NULL, 0, 0,
                       "the context names evidence files, and this server reads none (no --evidence-root): send the "
                       "evidence inline (\"evidence\": {NAME: {\"text\": ...}})");
    if (inline_ev && inline_ev->child && paths)
        return rg_fail(err, RG_ERROR_USAGE, NULL, 0, 0,
                       "inline evidence and evidence paths cannot be mixed in one request (the inline evidence is the "
                       "request's own evidence root)");
    if (store_trim(ws, err) != 0)
        return -1;
    *root = paths ? ws->c.evidence_root : ws->evdir;
    if (!inline_ev)
        return 0;
    if (!ctx_ev && !(ctx_ev = cJSON_AddObjectToObject(r->context, "evidence")))
        return rg_fail(err, RG_ERROR_INTERNAL, NULL, 0, 0, "out of memory");
    if (!cJSON_IsObject(ctx_ev))
        return rg_fail(err, RG_ERROR_CONTEXT, NULL, 0, 0, "context: \"evidence\" must be an object");
    for (cJSON *e = inline_ev->child; e; e = e->next) {
        char file[72], rel[160];
        if (++count > MAX_INLINE)
            return rg_fail(err, RG_ERROR_USAGE, NULL, 0, 0, "more than %d inline evidence entries", MAX_INLINE);
        if (cJSON_GetObjectItemCaseSensitive(ctx_ev, e->string))
            return rg_fail(err, RG_ERROR_USAGE, NULL, 0, 0,
                           "evidence '%.200s' is both inline and in the context: give it once", e->string);
        /* Named after the evidence, where that is a plain file name, so that messages
         * and details that name the file read naturally. */
        if (plain_name(e->string))
            snprintf(file, sizeof file, "%s", e->string);
        else
            snprintf(file, sizeof file, "evidence-%d", count);
        if (write_inline(ws, file, e->string, e, rel, sizeof rel, err) != 0)
            return -1;
        if (!cJSON_AddStringToObject(ctx_ev, e->string, rel))
            return rg_fail(err, RG_ERROR_INTERNAL, NULL, 0, 0, "out of memory");
    }
    return 0;
}

/* Evaluate the request BODY, tagged TAG, with FLAGS (RG_SERVE_REQUEST_*), and send the
 * answer. */
static void answer(worker_state *ws, int64_t tag, const char *body, size_t len, uint32_t flags)
{
    request r;
    rg_error err;
    rg_context_options copt;
    rg_context *ctx = NULL;
    rg_decision *d = NULL;
    const char *root = NULL;
    char *text = NULL, *line = NULL, *envelope = NULL, path[PATH_MAX + 16];
    memset(&r, 0, sizeof r);
    r.now = (int64_t)time(NULL);
    r.stage_name = "none";
    r.from_operator = (flags & RG_SERVE_REQUEST_FROM_OPERATOR) != 0;
    rg_error_init(&err);
    if (read_body(ws, &r, body, len, &err) != 0 || place_evidence(ws, &r, &root, &err) != 0)
        goto fail;
    if (!(text = cJSON_PrintUnformatted(r.context))) {
        rg_fail(&err, RG_ERROR_INTERNAL, NULL, 0, 0, "out of memory");
        goto fail;
    }
    memset(&copt, 0, sizeof copt);
    copt.stage = r.stage;
    copt.type = r.type;
    copt.evidence_root = root;
    /* The evidence directory's paths are resolved once (realpath's readlink of every
     * component was a seventh of a request): its files are written once and never
     * changed until it is emptied, when the cache goes too.  Paths beneath
     * --evidence-root are not the server's to fix: resolved each time. */
    copt.paths = root == ws->evdir ? ws->evpaths : NULL;
    /* Each file there lies beneath the digest of the bytes sent (write_inline): a check's
     * result is reused for it when the check read those very bytes, with no stat of the
     * file, and never when it read others (a file changed behind the worker's back). */
    copt.content_addressed = root == ws->evdir;
    copt.limits = &ws->c.limits;
    copt.decision_log = ws->store;
    /* Relative evidence paths resolve against the root, as if the context were there. */
    snprintf(path, sizeof path, "%s/context.json", root);
    rg_policy_set_clock(ws->pol, r.now);
    if (!(ctx = rg_context_parse(text, strlen(text), "request", path, &copt, &err)) ||
        !(d = rg_evaluate(ws->pol, ctx, &err)))
        goto fail;
    if (ws->signer) {
        rg_attest_options a = {ws->c.verifier_id, ws->c.resource_uri, NULL, ws->c.store != NULL};
        if (!(envelope = rg_decision_attest(d, ctx, &a, ws->signer, &err)))
            goto fail;
    }
    if (!(line = rg_decision_render(d, RG_FORMAT_LINE, 0))) {
        rg_fail(&err, RG_ERROR_INTERNAL, NULL, 0, 0, "out of memory writing the decision");
        goto fail;
    }
    send_answer(ws, tag, RG_EVAL_DECIDED, rg_verdict_name(rg_decision_verdict(d)), r.stage_name, line, envelope);
    goto done;
fail:
    send_error(ws, tag, &err, r.now, r.stage_name);
done:
    free(line);
    free(envelope);
    free(text);
    rg_decision_free(d);
    rg_context_free(ctx);
    cJSON_Delete(r.doc);
    rg_error_clear(&err);
}

/* ---- The worker's life ------------------------------------------------------------ */

/* Load what every request shares.  0, or -1 with ERR. */
static int load(worker_state *ws, rg_error *err)
{
    if (ws->c.store && !(ws->store = rg_log_open(ws->c.store, 0, err)))
        return -1;
    if (ws->c.signing_key && !(ws->signer = rg_signer_load(ws->c.signing_key, err)))
        return -1;
    /* The server signs the store's records where they stand: a rollback target read from
     * it must show that signature (rg_log_trust_keys), or there is none. */
    rg_log_sign_positions(ws->store, ws->signer);
    if (!(ws->plugins = rg_plugins_load(ws->c.plugin_dirs, ws->c.plugin_dir_count, 1, err)))
        return -1;
    if (!(ws->pol = rg_policy_load_with_plugins(ws->c.policy, &ws->c.limits, (int64_t)time(NULL), ws->plugins, err)))
        return -1;
    /* The port is written once the first worker says the policy loaded, and decisions
     * stored as requests come: never over a file the policy or a plugin was loaded from
     * (a module, a directory policy's member, the lock, a plugin's code); the files the
     * options name are held to them in serve_options.c. */
    {
        const char *over = rg_serve_writes_read_file(&ws->c, ws->pol, ws->plugins);
        if (over)
            return rg_fail(err, RG_ERROR_USAGE, NULL, 0, 0,
                           "'%.200s' (--port-file or --store) would be written over a file the policy or a plugin "
                           "was loaded from: give it a file of its own", over);
    }
    rg_policy_reuse_check_results(ws->pol, 1);
    ws->evpaths = rg_path_cache_new();   /* NULL (out of memory): resolved each time */
    ws->digests = rg_digest_memo_new(DIGEST_MEMO_SLOTS, DIGEST_MEMO_BYTES);
    if ((size_t)snprintf(ws->evdir, sizeof ws->evdir, "%s/w-XXXXXX", ws->workdir) >= sizeof ws->evdir ||
        !mkdtemp(ws->evdir)) {
        ws->evdir[0] = '\0';
        return rg_fail(err, RG_ERROR_IO, NULL, 0, 0, "cannot make the worker's evidence directory in %s: %s",
                       ws->workdir, strerror(errno));
    }
    if (open_evdir(ws) != 0)
        return rg_fail(err, RG_ERROR_IO, NULL, 0, 0, "cannot open the worker's evidence directory %s: %s", ws->evdir,
                       strerror(errno));
    return 0;
}

int rg_serve_worker_main(int argc, char **argv)
{
    static rg_reader bell;
    worker_state ws;
    rg_error err;
    uint32_t hello[4];      /* HELLO_MAGIC, worker id, slots, 0; then the token */
    uint64_t token;
    char *body = NULL;
    size_t cap = 0;
    memset(&ws, 0, sizeof ws);
    ws.evdir_fd = -1;
    rg_error_init(&err);
    if (rg_serve_parse_args(argc, argv, &ws.c) >= 0)
        return 3;    /* the server parsed these very arguments: it cannot happen */
    if (!(ws.workdir = getenv(RG_SERVE_WORKDIR_ENV)))
        return 3;
    bell.fd = RG_SERVE_WORKER_BELL;
    (void)fcntl(bell.fd, F_SETFL, O_NONBLOCK);
    if (rg_read_within(&bell, hello, sizeof hello, 10000) != 0 || hello[0] != RG_SERVE_HELLO_MAGIC ||
        hello[2] < 1 || hello[2] > RG_SERVE_SLOTS_MAX || rg_read_within(&bell, &token, sizeof token, 10000) != 0)
        return 3;
    ws.slots = hello[2];
    for (unsigned i = 0; i < ws.slots; i++) {
        ws.peers[i] = (rg_record_peer){hello[1], token, 0};
        (void)fcntl(RG_SERVE_WORKER_IN(i), F_SETFL, O_NONBLOCK);
    }
    /* Nothing of the server's but the pipes and stdio. */
    close_range((unsigned)RG_SERVE_WORKER_IN(ws.slots), ~0U, 0);
    /* A policy stuck in a library call ends this worker, with a status the server reads. */
    rg_cli_watchdog_install(ws.c.policy, ws.c.limits.timeout);
    rg_cli_watchdog_exit_code(RG_SERVE_EXIT_TIMEOUT);
    if (load(&ws, &err) != 0) {
        send_error(&ws, 0, &err, (int64_t)time(NULL), "none");
        return 2;
    }
    send_answer(&ws, 0, 0, "loaded", "none", rg_policy_digest(ws.pol), NULL);
    for (;;) {
        unsigned char slot;
        uint32_t head[6];   /* REQUEST_MAGIC, length, slot, 0, the tag (an int64_t) */
        int64_t tag;
        int in;
        if (rg_read_within(&bell, &slot, 1, -1) != 0)
            break;   /* the server closed our input: the end */
        if (slot >= ws.slots)
            rg_worker_exit(3);
        /* The slot's request read exactly, never ahead: what is left in its pipe when
         * this worker ends tells the server whether it began it (serve_pool.c sends a
         * request it never began again). */
        in = RG_SERVE_WORKER_IN(slot);
        if (rg_read_exact(in, head, sizeof head, BODY_REST_MS) != 0 || head[0] != RG_SERVE_REQUEST_MAGIC ||
            head[2] != slot)
            rg_worker_exit(3);
        memcpy(&tag, &head[4], sizeof tag);
        if ((size_t)head[1] + 1 > cap) {
            char *grown = realloc(body, (size_t)head[1] + 1);
            if (!grown)
                rg_worker_exit(3);
            body = grown;
            cap = (size_t)head[1] + 1;
        }
        if (rg_read_exact(in, body, head[1], BODY_REST_MS) != 0)
            rg_worker_exit(3);
        body[head[1]] = '\0';
        ws.slot = slot;
        answer(&ws, tag, body, head[1], head[3]);
    }
    free(body);
    free(rg_strbuf_finish(&ws.out));
    rg_policy_free(ws.pol);
    rg_path_cache_free(ws.evpaths);
    rg_digest_memo_free(ws.digests);
    rg_plugins_free(ws.plugins);
    rg_signer_free(ws.signer);
    rg_log_close(ws.store);
    rg_cli_watchdog_remove();
    if (ws.evdir[0])
        nftw(ws.evdir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
    return 0;
}
