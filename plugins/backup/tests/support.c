/* Test support for the backup plugin (see support.h). */
#define _XOPEN_SOURCE 700
#include "support.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "plugins.h"
#include "relgate/plugin.h"
#include "relgate/relgate.h"

const rg_plugin *relgate_plugin_entry(void);

const char *fx_data_dir(void)
{
    return BK_TEST_DATA;
}

const rg_check *fx_check(void)
{
    const rg_plugin *p = relgate_plugin_entry();
    for (size_t i = 0; i < p->check_count; i++)
        if (strcmp(p->checks[i].name, "backup.present") == 0)
            return &p->checks[i];
    fail_msg("no backup.present in the descriptor");
    return NULL;
}

int fx_setup(void **state)
{
    fixture *fx = calloc(1, sizeof *fx);
    char tmpl[] = "/tmp/relgate-backup-test-XXXXXX";
    if (!fx || !mkdtemp(tmpl))
        return -1;
    /* realpath: the engine resolves evidence to real paths, /tmp may be a link */
    if (!realpath(tmpl, fx->dir))
        return -1;
    fx->evidence = cJSON_CreateObject();
    *state = fx;
    return 0;
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    /* a test may leave a directory unreadable: make it removable again */
    chmod(path, 0700);
    return remove(path);
}

int fx_teardown(void **state)
{
    fixture *fx = *state;
    if (getenv("BK_KEEP_TMP") == NULL)
        nftw(fx->dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
    cJSON_Delete(fx->evidence);
    rg_check_result_clear(&fx->result);
    free(fx);
    return 0;
}

const char *fx_path(fixture *fx, const char *rel, char *buf, size_t size)
{
    int n = snprintf(buf, size, "%s/%s", fx->dir, rel);
    if (n < 0 || (size_t)n >= size)
        fail_msg("path too long: %s", rel);
    return buf;
}

static void make_parents(const char *path)
{
    char tmp[PATH_MAX];
    snprintf(tmp, sizeof tmp, "%s", path);
    for (char *p = tmp + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            mkdir(tmp, 0755);
            *p = '/';
        }
}

void fx_write(fixture *fx, const char *rel, const char *data, size_t len)
{
    char path[PATH_MAX];
    FILE *f;
    fx_path(fx, rel, path, sizeof path);
    make_parents(path);
    f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

void fx_puts(fixture *fx, const char *rel, const char *text)
{
    fx_write(fx, rel, text, strlen(text));
}

char *fx_slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t cap = 0, n = 0, got;
    if (!f)
        return NULL;
    do {
        if (n + 65536 + 1 > cap) {
            char *g = realloc(buf, cap = n + 65536 + 1);
            if (!g) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = g;
        }
        got = fread(buf + n, 1, 65536, f);
        n += got;
    } while (got > 0);
    fclose(f);
    buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

void fx_copy(fixture *fx, const char *rel, const char *src)
{
    size_t len;
    char *data = fx_slurp(src, &len);
    if (!data)
        fail_msg("cannot read %s", src);
    fx_write(fx, rel, data, len);
    free(data);
}

void fx_evidence(fixture *fx, const char *name, const char *rel)
{
    cJSON_DeleteItemFromObjectCaseSensitive(fx->evidence, name);
    cJSON_AddStringToObject(fx->evidence, name, rel);
}

void fx_data(fixture *fx, const char *evname, const char *name, const char *rel)
{
    char src[PATH_MAX];
    snprintf(src, sizeof src, "%s/%s", fx_data_dir(), name);
    fx_copy(fx, rel, src);
    if (evname)
        fx_evidence(fx, evname, rel);
}

void fx_mtime(fixture *fx, const char *rel, int64_t mtime)
{
    char path[PATH_MAX];
    struct timespec ts[2];
    ts[0].tv_sec = ts[1].tv_sec = (time_t)mtime;
    ts[0].tv_nsec = ts[1].tv_nsec = 0;
    fx_path(fx, rel, path, sizeof path);
    assert_int_equal(utimensat(AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW), 0);
}

/* The policy's `with` table as the engine hands it to a check: every key declared,
 * values normalised, defaults filled in (as core/policy.c's plugin_params does). */
static cJSON *engine_params(const rg_check *check, const char *json)
{
    cJSON *given = cJSON_Parse(json), *out = cJSON_CreateObject(), *item;
    char why[512];
    if (!given || !cJSON_IsObject(given))
        fail_msg("test parameters are not a JSON object: %s", json);
    cJSON_ArrayForEach(item, given) {
        const rg_param *decl = rg_check_param(check, item->string);
        cJSON *v;
        if (!decl)
            fail_msg("backup.present has no parameter '%s'", item->string);
        if (!(v = rg_param_normalize(decl, item, why, sizeof why)))
            fail_msg("parameter %s refused by the engine: %s", item->string, why);
        cJSON_AddItemToObject(out, decl->name, v);
    }
    for (size_t i = 0; i < check->param_count; i++) {
        const rg_param *decl = &check->params[i];
        cJSON *raw, *v;
        if (cJSON_GetObjectItemCaseSensitive(out, decl->name) || !decl->default_json)
            continue;
        raw = cJSON_Parse(decl->default_json);
        v = raw ? rg_param_normalize(decl, raw, why, sizeof why) : NULL;
        if (!v)
            fail_msg("default of %s refused by the engine: %s", decl->name, why);
        cJSON_AddItemToObject(out, decl->name, v);
        cJSON_Delete(raw);
    }
    cJSON_Delete(given);
    return out;
}

rg_check_status fx_run(fixture *fx, const char *params_json, int64_t now)
{
    cJSON *ctxdoc = cJSON_CreateObject(), *rel = cJSON_AddObjectToObject(ctxdoc, "release"), *params;
    char path[PATH_MAX], *text;
    rg_error err = {0};
    rg_context *ctx;

    cJSON_AddStringToObject(rel, "name", "payments-api");
    cJSON_AddStringToObject(rel, "version", "2.4.0");
    cJSON_AddStringToObject(rel, "type", "minor");
    cJSON_AddItemToObject(ctxdoc, "evidence", cJSON_Duplicate(fx->evidence, 1));
    text = cJSON_Print(ctxdoc);
    fx_puts(fx, "context.json", text);
    free(text);
    cJSON_Delete(ctxdoc);

    {
        rg_context_options opt;
        memset(&opt, 0, sizeof opt);
        opt.evidence_root = fx->evidence_root;
        ctx = rg_context_load(fx_path(fx, "context.json", path, sizeof path), &opt, &err);
    }
    if (!ctx)
        fail_msg("context: %s", err.message);
    params = engine_params(fx_check(), params_json);
    rg_check_result_clear(&fx->result);
    rg_check_run_inline(fx_check(), params, ctx, now, (size_t)4 << 20, &fx->result);
    cJSON_Delete(params);
    rg_context_free(ctx);
    rg_error_clear(&err);
    if (getenv("BK_VERBOSE")) {
        char *j = rg_check_result_to_json(&fx->result);
        fprintf(stderr, "# %s\n", j);
        free(j);
    }
    return fx->result.status;
}

const cJSON *fx_detail(fixture *fx, const char *path)
{
    const cJSON *node = fx->result.details;
    char key[128];
    while (node && *path) {
        size_t n = strcspn(path, ".");
        char *end;
        long idx;
        if (n >= sizeof key)
            return NULL;
        memcpy(key, path, n);
        key[n] = '\0';
        idx = strtol(key, &end, 10);
        if (cJSON_IsArray(node) && *end == '\0' && end != key)
            node = cJSON_GetArrayItem(node, (int)idx);
        else
            node = cJSON_GetObjectItemCaseSensitive(node, key);
        path += n;
        if (*path == '.')
            path++;
    }
    return node;
}

const char *fx_detail_string(fixture *fx, const char *path)
{
    const cJSON *n = fx_detail(fx, path);
    if (!cJSON_IsString(n))
        fail_msg("details.%s is not a string", path);
    return n->valuestring;
}

double fx_detail_number(fixture *fx, const char *path)
{
    const cJSON *n = fx_detail(fx, path);
    if (!cJSON_IsNumber(n))
        fail_msg("details.%s is not a number", path);
    return n->valuedouble;
}

void fx_assert_result(fixture *fx, rg_check_status st, const char *needle, const char *file, int line)
{
    const char *msg = fx->result.message ? fx->result.message : "(none)";
    if (fx->result.status != st || (needle && !strstr(msg, needle))) {
        char *j = rg_check_result_to_json(&fx->result);
        fail_msg("%s:%d: expected %s%s%s%s, got %s", file, line, rg_check_status_name(st),
                 needle ? " with \"" : "", needle ? needle : "", needle ? "\"" : "", j);
        free(j);
    }
}
