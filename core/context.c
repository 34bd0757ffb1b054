/* Loading and validating the release context. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "artifacts.h"
#include "context.h"
#include "digest.h"
#include "error.h"
#include "evidence.h"
#include "fileio.h"
#include "json.h"
#include "path_cache.h"
#include "semver.h"
#include "suggest.h"
#include "waivers.h"

const char *rg_release_type_name(rg_release_type type)
{
    switch (type) {
    case RG_TYPE_PATCH: return "patch";
    case RG_TYPE_MINOR: return "minor";
    case RG_TYPE_MAJOR: return "major";
    default: return NULL;
    }
}

rg_release_type rg_release_type_parse(const char *name)
{
    if (!name) return RG_TYPE_UNSET;
    if (strcmp(name, "patch") == 0) return RG_TYPE_PATCH;
    if (strcmp(name, "minor") == 0) return RG_TYPE_MINOR;
    if (strcmp(name, "major") == 0) return RG_TYPE_MAJOR;
    return RG_TYPE_UNSET;
}

const char *rg_stage_name(rg_stage stage)
{
    switch (stage) {
    case RG_STAGE_PRE_RELEASE: return "pre-release";
    case RG_STAGE_DEPLOY: return "deploy";
    case RG_STAGE_POST_DEPLOY: return "post-deploy";
    default: return NULL;
    }
}

rg_stage rg_stage_parse(const char *name)
{
    if (!name) return RG_STAGE_UNSET;
    if (strcmp(name, "pre-release") == 0) return RG_STAGE_PRE_RELEASE;
    if (strcmp(name, "deploy") == 0) return RG_STAGE_DEPLOY;
    if (strcmp(name, "post-deploy") == 0) return RG_STAGE_POST_DEPLOY;
    return RG_STAGE_UNSET;
}

void rg_context_free(rg_context *ctx)
{
    if (!ctx)
        return;
    cJSON_Delete(ctx->root);
    cJSON_Delete(ctx->waivers);
    cJSON_Delete(ctx->waiver_sources);
    free(ctx->display);
    free(ctx->dir);
    free(ctx->evidence_root);
    free(ctx->save_dir);
    free(ctx);
}

/* realpath() through the run's cache, as a heap string; NULL with errno. */
static char *resolve(rg_path_cache *paths, const char *path)
{
    char buf[PATH_MAX];
    int errnum;
    const char *real = rg_path_cache_realpath(paths, path, buf, &errnum);
    char *copy = real ? strdup(real) : NULL;
    errno = real && !copy ? ENOMEM : errnum;
    return copy;
}

/* Resolved absolute directory holding PATH ("-": the working directory). */
static char *context_directory(const char *path, rg_path_cache *paths)
{
    char buf[PATH_MAX];
    if (strcmp(path, "-") == 0)
        return resolve(paths, ".");
    rg_path_dir(path, buf, sizeof buf);
    return resolve(paths, buf);
}

/* Check one field of "release" that must be a SemVer version. */
static void check_version(rg_context *ctx, const cJSON *release, const char *key, int required,
                          rg_error *err)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(release, key);
    const char *why = NULL;
    rg_semver v;
    if (!item || cJSON_IsNull(item)) {
        if (required)
            rg_add_problem(err, RG_ERROR_CONTEXT, ctx->display, "%s: release.%s is missing",
                           ctx->display, key);
        return;
    }
    if (!cJSON_IsString(item)) {
        rg_add_problem(err, RG_ERROR_CONTEXT, ctx->display,
                       "%s: release.%s must be a string like \"1.4.2\"", ctx->display, key);
        return;
    }
    if (rg_semver_parse(item->valuestring, &v, &why) != 0)
        rg_add_problem(err, RG_ERROR_CONTEXT, ctx->display,
                       "%s: release.%s \"%s\" is not a SemVer 2.0.0 version: %s", ctx->display, key,
                       item->valuestring, why);
}

/* V, a string, in lower case without white space around it, into BUF: a value a
 * misspelt field holds is judged as loosely as its name ("Stage": "Deploy " is a stage;
 * hostile round 27, F05). */
static const char *loosely(const cJSON *v, char *buf, size_t size)
{
    const char *s = cJSON_IsString(v) ? v->valuestring : NULL;
    size_t n;
    if (!s)
        return NULL;
    s += strspn(s, " \t\r\n");
    for (n = 0; s[n] && n + 1 < size; n++)
        buf[n] = s[n] >= 'A' && s[n] <= 'Z' ? (char)(s[n] - 'A' + 'a') : s[n];
    while (n > 0 && strchr(" \t\r\n", buf[n - 1]))
        n--;
    buf[n] = '\0';
    return buf;
}

static int stage_value(const cJSON *v)
{
    char buf[32];
    const char *s = loosely(v, buf, sizeof buf);
    return s && rg_stage_parse(s) != RG_STAGE_UNSET;
}

static int word_value(const cJSON *v)
{
    char buf[8];
    const char *s = loosely(v, buf, sizeof buf);
    return s && s[0];
}

static int commit_value(const cJSON *v)
{
    char buf[80];
    const char *s = loosely(v, buf, sizeof buf);
    size_t n = s ? strlen(s) : 0;
    return n >= 7 && n <= 64 && strspn(s, "0123456789abcdef") == n;
}

/* Fields whose absence the engine or the stock checks read as the milder answer: with
 * "stgae": "deploy" the gate decided at pre-release and allowed what the deploy
 * requirements deny (round 24, new-user F03); a misspelt release.environment widens the
 * rollback target to every environment, a misspelt release.commit lets ci.status take
 * results of any commit.  A misspelling of one of them, where the field itself is absent,
 * holding a value the field could have, is a problem; a field of another shape
 * ("stages": [...]) is the policy's own. */
static const struct misspellable {
    const char *in;      /* NULL: the context; else a member of it */
    const char *key;
    int (*value_ok)(const cJSON *);
} MISSPELLABLE[] = {
    {NULL, "stage", stage_value},
    {"release", "environment", word_value},
    {"release", "commit", commit_value},
};

static void misspelt_fields(rg_context *ctx, rg_error *err)
{
    for (size_t i = 0; i < sizeof MISSPELLABLE / sizeof MISSPELLABLE[0]; i++) {
        const struct misspellable *m = &MISSPELLABLE[i];
        const cJSON *obj = m->in ? cJSON_GetObjectItemCaseSensitive(ctx->root, m->in) : ctx->root, *field;
        const cJSON *own = cJSON_IsObject(obj) ? cJSON_GetObjectItemCaseSensitive(obj, m->key) : NULL;
        if (!cJSON_IsObject(obj) || (own && !cJSON_IsNull(own)))
            continue;   /* a null is read as absent: its misspelling still counts (round 25, F01) */
        /* In another case, with '-' for '_', or two letters off (round 25, F02). */
        cJSON_ArrayForEach(field, obj) {
            size_t n = strlen(field->string), k = strlen(m->key);
            if ((n > k ? n - k : k - n) > 2 || strcmp(field->string, m->key) == 0)
                continue;   /* cheap first: every context of a batch comes through here */
            if (rg_name_distance(field->string, m->key) <= 2 && m->value_ok(field))
                rg_add_problem(err, RG_ERROR_CONTEXT, ctx->display,
                               "%s: %s%s%s is not a field relgate reads (did you mean '%s'?): spell it so, or give "
                               "your own field another name", ctx->display, m->in ? m->in : "", m->in ? "." : "",
                               field->string, m->key);
        }
    }
}

static void validate(rg_context *ctx, const rg_context_options *opt, rg_error *err)
{
    const cJSON *release, *item;
    if (!cJSON_IsObject(ctx->root)) {
        rg_add_problem(err, RG_ERROR_CONTEXT, ctx->display,
                       "%s: a release context must be a JSON object", ctx->display);
        return;
    }
    release = cJSON_GetObjectItemCaseSensitive(ctx->root, "release");
    if (!cJSON_IsObject(release)) {
        rg_add_problem(err, RG_ERROR_CONTEXT, ctx->display, "%s: \"release\" %s", ctx->display,
                       release ? "must be an object" : "is missing");
    } else {
        item = cJSON_GetObjectItemCaseSensitive(release, "name");
        if (!cJSON_IsString(item) || item->valuestring[0] == '\0')
            rg_add_problem(err, RG_ERROR_CONTEXT, ctx->display,
                           "%s: release.name %s", ctx->display,
                           item && !cJSON_IsNull(item) ? "must be a non-empty string" : "is missing");
        else
            ctx->name = item->valuestring;
        check_version(ctx, release, "version", 1, err);
        check_version(ctx, release, "previous_version", 0, err);
        ctx->version = rg_json_string(release, "version");
        ctx->previous_version = rg_json_string(release, "previous_version");
        item = cJSON_GetObjectItemCaseSensitive(release, "environment");
        if (item && !cJSON_IsNull(item) && (!cJSON_IsString(item) || item->valuestring[0] == '\0'))
            rg_add_problem(err, RG_ERROR_CONTEXT, ctx->display, "%s: release.environment must be a non-empty string",
                           ctx->display);
        else
            ctx->environment = rg_json_string(release, "environment");
        rg_artifacts_validate(release, ctx->display, err);

        item = cJSON_GetObjectItemCaseSensitive(release, "type");
        if (opt->type != RG_TYPE_UNSET) {
            ctx->type = opt->type;
        } else if (!item || cJSON_IsNull(item)) {
            rg_add_problem(err, RG_ERROR_CONTEXT, ctx->display,
                           "%s: release.type is missing (patch, minor or major)", ctx->display);
        } else if (!cJSON_IsString(item) ||
                   (ctx->type = rg_release_type_parse(item->valuestring)) == RG_TYPE_UNSET) {
            rg_add_problem(err, RG_ERROR_CONTEXT, ctx->display,
                           "%s: release.type %s%s%s is not patch, minor or major", ctx->display,
                           cJSON_IsString(item) ? "\"" : "",
                           cJSON_IsString(item) ? item->valuestring : "(not a string)",
                           cJSON_IsString(item) ? "\"" : "");
        }
    }
    item = cJSON_GetObjectItemCaseSensitive(ctx->root, "stage");
    if (opt->stage != RG_STAGE_UNSET) {
        ctx->stage = opt->stage;
    } else if (!item || cJSON_IsNull(item)) {
        ctx->stage = RG_STAGE_PRE_RELEASE;
    } else if (!cJSON_IsString(item) ||
               (ctx->stage = rg_stage_parse(item->valuestring)) == RG_STAGE_UNSET) {
        rg_add_problem(err, RG_ERROR_CONTEXT, ctx->display,
                       "%s: stage %s%s%s is not pre-release, deploy or post-deploy", ctx->display,
                       cJSON_IsString(item) ? "\"" : "",
                       cJSON_IsString(item) ? item->valuestring : "(not a string)",
                       cJSON_IsString(item) ? "\"" : "");
    }
    misspelt_fields(ctx, err);
    rg_evidence_validate(ctx, err);
}

/* The input of this run FILE would replace: the context (PATH, "-" for standard input:
 * by identity, through a link, a hard link or standard input redirected from it) or one of
 * its evidence files (by place, made or not yet: rg_context_reads_file); NULL when none. */
static const char *input_at(const rg_context *ctx, const char *path, const char *file)
{
    struct stat at, in;
    if (stat(file, &at) == 0 && path &&
        (strcmp(path, "-") == 0 ? fstat(STDIN_FILENO, &in) == 0 : stat(path, &in) == 0) &&
        in.st_dev == at.st_dev && in.st_ino == at.st_ino)
        return "the context this run reads (a link to it, or standard input from it)";
    return rg_context_reads_file(ctx, file) ? "an evidence file this run reads" : NULL;
}

/* The I-th file saving into SAVE_DIR writes, into WHAT: DIR/context.json, then each
 * evidence file's copy at its relative path (one the copy refuses, not below the
 * context's directory, is none).  0, or -1 past the last. */
static int saved_file(const rg_context *ctx, const char *save_dir, size_t i, char *what, size_t size)
{
    const cJSON *item, *ev = cJSON_GetObjectItemCaseSensitive(ctx->root, "evidence");
    char joined[PATH_MAX];
    size_t n = strlen(ctx->dir), k = 1;
    if (i == 0) {
        snprintf(what, size, "%s/context.json", save_dir);
        return 0;
    }
    if (!cJSON_IsObject(ev))
        return -1;
    cJSON_ArrayForEach(item, ev) {
        if (!cJSON_IsString(item) || rg_path_join_normalized(ctx->dir, item->valuestring, joined, sizeof joined) != 0 ||
            !rg_path_within(joined, ctx->dir) || strlen(joined) <= n)
            continue;   /* not saved (copy_file refuses it then) */
        if (k++ == i) {
            snprintf(what, size, "%s/%s", save_dir, joined + n + (ctx->dir[n - 1] == '/' ? 0 : 1));
            return 0;
        }
    }
    return -1;
}

int rg_context_saved_file(const rg_context *ctx, size_t i, char *buf, size_t size)
{
    if (!ctx || !ctx->save_dir || !buf || size == 0)
        return -1;
    return saved_file(ctx, ctx->save_dir, i, buf, size);
}

/* What saving into SAVE_DIR would write over: DIR/context.json, and each evidence file's
 * copy at its relative path (hostile round 36, F02: one evidence file's copy replaced
 * another's original).  The file, in WHAT, and the input it is; or NULL. */
static const char *save_over(const rg_context *ctx, const char *path, const char *save_dir, char *what, size_t size)
{
    const char *input;
    for (size_t i = 0; saved_file(ctx, save_dir, i, what, size) == 0; i++)
        if ((input = input_at(ctx, path, what)))
            return input;
    return NULL;
}

/* --save-evidence DIR: created when absent (its parent must exist), a directory, and not
 * the context's own directory, whose context.json the saved one would replace, nor one
 * where any file saved would replace an input (save_over).  PATH: the context's. */
static int set_save_dir(rg_context *ctx, const char *path, const char *dir, rg_error *err)
{
    const char *input;
    struct stat st;
    char saved[PATH_MAX + 16], over[2 * PATH_MAX];
    if (mkdir(dir, 0777) != 0 && errno != EEXIST)
        return rg_fail(err, RG_ERROR_USAGE, dir, 0, 0, "--save-evidence %s: %s", dir, strerror(errno));
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return rg_fail(err, RG_ERROR_USAGE, dir, 0, 0, "--save-evidence %s: not a directory", dir);
    ctx->save_dir = realpath(dir, NULL);
    if (!ctx->save_dir)
        return rg_fail(err, RG_ERROR_USAGE, dir, 0, 0, "--save-evidence %s: %s", dir, strerror(errno));
    if (strcmp(ctx->save_dir, ctx->dir) == 0)
        return rg_fail(err, RG_ERROR_USAGE, dir, 0, 0,
                       "--save-evidence %s is the context's own directory: its context.json would be "
                       "replaced; give another directory", dir);
    /* Refused before anything is fetched, not after. */
    if (access(ctx->save_dir, W_OK | X_OK) != 0)
        return rg_fail(err, RG_ERROR_USAGE, dir, 0, 0, "--save-evidence %s: cannot write there: %s", dir,
                       strerror(errno));
    /* An earlier recording's context.json goes now: a run that cannot save must not leave
     * it behind looking like this run's (its pages, named by digest, may stay). */
    if ((size_t)snprintf(saved, sizeof saved, "%s/context.json", ctx->save_dir) >= sizeof saved)
        return rg_fail(err, RG_ERROR_USAGE, dir, 0, 0, "--save-evidence %s: path too long", dir);
    /* By identity, not by name: a context reached through a link, a hard link or standard
     * input was removed here and replaced by the saved copy, whose recorded pages every
     * later gate then replayed (hostile round 35, F03). */
    if ((input = save_over(ctx, path, ctx->save_dir, over, sizeof over)))
        return rg_fail(err, RG_ERROR_USAGE, dir, 0, 0,
                       "--save-evidence %s: %.1000s is %s: it would be replaced; give another directory", dir, over,
                       input);
    if (lstat(saved, &st) == 0 && !S_ISDIR(st.st_mode) && unlink(saved) != 0)
        return rg_fail(err, RG_ERROR_USAGE, dir, 0, 0, "--save-evidence %s: cannot replace %s: %s", dir, saved,
                       strerror(errno));
    return 0;
}

static int set_directories(rg_context *ctx, const char *path, const rg_context_options *opt,
                           rg_error *err)
{
    ctx->paths = opt->paths;
    ctx->content_addressed = opt->content_addressed;
    ctx->decision_log = opt->decision_log;
    ctx->dir = context_directory(path, opt->paths);
    if (!ctx->dir)
        return rg_fail(err, RG_ERROR_IO, ctx->display, 0, 0,
                       "cannot resolve the directory of %s: %s", ctx->display, strerror(errno));
    if (!opt->evidence_root) {
        ctx->evidence_root = strdup(ctx->dir);
    } else {
        ctx->evidence_root = resolve(opt->paths, opt->evidence_root);
        if (!ctx->evidence_root)
            return rg_fail(err, RG_ERROR_USAGE, opt->evidence_root, 0, 0,
                           "--evidence-root %s: %s", opt->evidence_root, strerror(errno));
        if (!rg_path_cache_is_directory(opt->paths, ctx->evidence_root))
            return rg_fail(err, RG_ERROR_USAGE, opt->evidence_root, 0, 0,
                           "--evidence-root %s: not a directory", opt->evidence_root);
    }
    if (!ctx->evidence_root)
        return rg_fail(err, RG_ERROR_INTERNAL, NULL, 0, 0, "out of memory");
    if (opt->save_evidence)
        return set_save_dir(ctx, path, opt->save_evidence, err);
    return 0;
}

/* Append the waivers of LIST (an array) to CTX, each with its source. */
static int waivers_read(const char *path, const rg_limits *limits, cJSON **out, rg_error *err);

static int add_waivers(rg_context *ctx, const cJSON *list, const char *origin, rg_error *err)
{
    const cJSON *w;
    int i = 0;
    cJSON_ArrayForEach(w, list) {
        char source[RG_ERROR_FILE_MAX + 32];
        const char *unknown = cJSON_IsObject(w) ? rg_waiver_unknown_field(w) : NULL;
        snprintf(source, sizeof source, "%s[%d]", origin, i++);
        /* A field the engine does not know would be ignored, and an ignored "release"
         * or "findings" would widen the waiver to everything: refuse the whole list. */
        if (unknown)
            return rg_add_problem(err, RG_ERROR_CONTEXT, ctx->display,
                                  "%s: unknown waiver field '%s' (a waiver has requirement, reason, approver, "
                                  "ticket, expires and may narrow itself by release, version, environment, stage, findings)",
                                  source, unknown);
        cJSON_AddItemToArray(ctx->waivers, cJSON_Duplicate(w, 1));
        cJSON_AddItemToArray(ctx->waiver_sources, cJSON_CreateString(source));
    }
    return 0;
}

/* The waivers of the context and of the --waivers file.  A file that cannot be read or
 * parsed is an error; a malformed single waiver is judged (and reported) later. */
static int load_waivers(rg_context *ctx, const rg_context_options *opt, const rg_limits *limits,
                        rg_error *err)
{
    const cJSON *own = cJSON_GetObjectItemCaseSensitive(ctx->root, "waivers");
    char origin[RG_ERROR_FILE_MAX + 16];
    ctx->waivers = cJSON_CreateArray();
    ctx->waiver_sources = cJSON_CreateArray();
    if (!ctx->waivers || !ctx->waiver_sources)
        return rg_fail(err, RG_ERROR_INTERNAL, NULL, 0, 0, "out of memory");
    if (own && !cJSON_IsNull(own)) {
        if (!cJSON_IsArray(own))
            return rg_add_problem(err, RG_ERROR_CONTEXT, ctx->display, "%s: \"waivers\" must be a list",
                                  ctx->display);
        snprintf(origin, sizeof origin, "%s: waivers", ctx->display);
        if (add_waivers(ctx, own, origin, err) != 0)
            return -1;
    }
    if (opt->waiver_list) {
        if (add_waivers(ctx, opt->waiver_list->list, opt->waiver_list->name, err) != 0)
            return -1;
    } else if (opt->waivers) {
        cJSON *list;
        if (waivers_read(opt->waivers, limits, &list, err) != 0)
            return -1;
        if (add_waivers(ctx, list, strcmp(opt->waivers, "-") == 0 ? "<stdin>" : opt->waivers, err) != 0) {
            cJSON_Delete(list);
            return -1;
        }
        cJSON_Delete(list);
    }
    return 0;
}

static int waivers_read(const char *path, const rg_limits *limits, cJSON **out, rg_error *err)
{
    char *text = NULL;
    size_t len = 0;
    const char *display = strcmp(path, "-") == 0 ? "<stdin>" : path;
    cJSON *doc, *list;
    *out = NULL;
    if (rg_read_file(path, "waivers file", limits->max_context_bytes, &text, &len, err) != 0)
        return -1;
    doc = rg_json_parse(text, len, display, limits->max_json_depth, RG_ERROR_CONTEXT, err);
    free(text);
    if (!doc)
        return -1;
    list = cJSON_IsArray(doc) ? doc : cJSON_GetObjectItemCaseSensitive(doc, "waivers");
    if (!cJSON_IsArray(list)) {
        cJSON_Delete(doc);
        return rg_fail(err, RG_ERROR_CONTEXT, display, 0, 0,
                       "%s: a waivers file holds a list of waivers, or {\"waivers\": [...]}", display);
    }
    *out = list == doc ? doc : cJSON_Duplicate(list, 1);
    if (list != doc)
        cJSON_Delete(doc);
    return 0;
}

rg_waivers *rg_waivers_load(const char *path, const rg_limits *limits, rg_error *err)
{
    rg_limits defaults = rg_limits_default();
    rg_waivers *w = calloc(1, sizeof *w);
    if (!w || !(w->name = strdup(strcmp(path, "-") == 0 ? "<stdin>" : path))) {
        free(w);
        rg_fail(err, RG_ERROR_INTERNAL, NULL, 0, 0, "out of memory");
        return NULL;
    }
    if (waivers_read(path, limits ? limits : &defaults, &w->list, err) != 0) {
        rg_waivers_free(w);
        return NULL;
    }
    return w;
}

void rg_waivers_free(rg_waivers *waivers)
{
    if (!waivers)
        return;
    cJSON_Delete(waivers->list);
    free(waivers->name);
    free(waivers);
}

rg_context *rg_context_parse(const char *text, size_t len, const char *display, const char *path,
                             const rg_context_options *options, rg_error *err)
{
    rg_context_options none = {0};
    const rg_context_options *opt = options ? options : &none;
    rg_limits defaults = rg_limits_default();
    const rg_limits *limits = opt->limits ? opt->limits : &defaults;
    rg_error local;
    rg_context *ctx;

    rg_error_init(&local);
    if (!err) /* problems are collected in ERR: give them somewhere to go */
        err = &local;
    rg_error_clear(err);
    ctx = calloc(1, sizeof *ctx);
    if (!ctx || !(ctx->display = strdup(display))) {
        free(ctx);
        rg_fail(err, RG_ERROR_INTERNAL, NULL, 0, 0, "out of memory");
        return NULL;
    }
    if (len > limits->max_context_bytes) {
        rg_fail(err, RG_ERROR_IO, display, 0, 0, "context %s is larger than the limit of %zu bytes", display,
                limits->max_context_bytes);
        goto fail;
    }
    rg_sha256_of(text, len, ctx->digest);
    ctx->root = rg_json_parse(text, len, ctx->display, limits->max_json_depth, RG_ERROR_CONTEXT, err);
    if (!ctx->root || set_directories(ctx, path, opt, err) != 0)
        goto fail;
    validate(ctx, opt, err);
    if (err->kind != RG_ERROR_NONE || load_waivers(ctx, opt, limits, err) != 0 || err->kind != RG_ERROR_NONE)
        goto fail;
    return ctx;
fail:
    rg_error_clear(&local);
    rg_context_free(ctx);
    return NULL;
}

void rg_context_set_decision_log(rg_context *ctx, struct rg_log *log)
{
    if (ctx)
        ctx->decision_log = log;
}

int rg_context_reads_file(const rg_context *ctx, const char *path)
{
    const cJSON *item, *ev = ctx ? cJSON_GetObjectItemCaseSensitive(ctx->root, "evidence") : NULL;
    char joined[PATH_MAX];
    if (!path || !*path || !cJSON_IsObject(ev))
        return 0;
    cJSON_ArrayForEach(item, ev) {
        if (cJSON_IsString(item) && rg_path_join_normalized(ctx->dir, item->valuestring, joined, sizeof joined) == 0 &&
            rg_same_place(path, joined))
            return 1;
    }
    return 0;
}

rg_context *rg_context_load(const char *path, const rg_context_options *options, rg_error *err)
{
    rg_limits defaults = rg_limits_default();
    const rg_limits *limits = options && options->limits ? options->limits : &defaults;
    rg_error local;
    rg_context *ctx;
    char *text = NULL;
    size_t len = 0;
    const char *display = strcmp(path, "-") == 0 ? "<stdin>" : path;

    rg_error_init(&local);
    if (!err)
        err = &local;
    rg_error_clear(err);
    if (rg_read_file(path, "context", limits->max_context_bytes, &text, &len, err) != 0) {
        rg_error_clear(&local);
        return NULL;
    }
    ctx = rg_context_parse(text, len, display, path, options, err);
    free(text);
    rg_error_clear(&local);
    return ctx;
}
