/* Helpers for the security plugin's tests. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "plugins.h"
#include "sec_test.h"

const rg_plugin *relgate_plugin_entry(void);

char *sec_tmpdir(void)
{
    char *dir = strdup("/tmp/relgate-security-test-XXXXXX");
    assert_non_null(dir);
    assert_non_null(mkdtemp(dir));
    return dir;
}

void sec_rmtree(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char path[4096];
    if (!d)
        return;
    while ((e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        unlink(path);
    }
    closedir(d);
    rmdir(dir);
}

void sec_write(const char *dir, const char *name, const char *text, size_t len)
{
    char path[4096];
    FILE *f;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    f = fopen(path, "wb");
    assert_non_null(f);
    if (len == (size_t)-1)
        len = strlen(text);
    assert_int_equal(fwrite(text, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

char *sec_slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long n;
    if (!f)
        return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
        (buf = malloc((size_t)n + 1)) && fread(buf, 1, (size_t)n, f) == (size_t)n) {
        buf[n] = '\0';
        *len = (size_t)n;
    } else {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    return buf;
}

void sec_copy(const char *dir, const char *name, const char *src)
{
    size_t len;
    char *text = sec_slurp(src, &len);
    if (!text)
        fail_msg("cannot read %s", src);
    sec_write(dir, name, text, len);
    free(text);
}

rg_context *sec_context(const char *dir, const char *commit, const char *evidence)
{
    char doc[8192], path[4096], member[256] = "";
    rg_error err = {0};
    rg_context *ctx;
    if (commit)
        snprintf(member, sizeof member, ", \"commit\": \"%s\"", commit);
    snprintf(doc, sizeof doc,
             "{\"release\": {\"name\": \"payments-api\", \"version\": \"2.4.0\", \"type\": \"minor\"%s},"
             " \"evidence\": {%s}}", member, evidence ? evidence : "");
    sec_write(dir, "release.json", doc, (size_t)-1);
    snprintf(path, sizeof path, "%s/release.json", dir);
    ctx = rg_context_load(path, NULL, &err);
    if (!ctx)
        fail_msg("context: %s", err.message);
    rg_error_clear(&err);
    return ctx;
}

/* The parameters as the engine would pass them: each one normalised, defaults added. */
static cJSON *normalise(const rg_check *check, const char *json)
{
    cJSON *given = cJSON_Parse(json), *out = cJSON_CreateObject(), *item;
    char why[512];
    assert_non_null(given);
    cJSON_ArrayForEach(item, given) {
        const rg_param *decl = rg_check_param(check, item->string);
        cJSON *v = decl ? rg_param_normalize(decl, item, why, sizeof why) : NULL;
        if (!v) {
            cJSON_Delete(given);
            cJSON_Delete(out);
            return NULL;
        }
        cJSON_AddItemToObject(out, decl->name, v);
    }
    for (size_t i = 0; i < check->param_count; i++) {
        const rg_param *decl = &check->params[i];
        if (cJSON_GetObjectItemCaseSensitive(out, decl->name))
            continue;
        if (decl->required) {
            cJSON_Delete(given);
            cJSON_Delete(out);
            return NULL;
        }
        if (decl->default_json) {
            cJSON *raw = cJSON_Parse(decl->default_json);
            cJSON *v = rg_param_normalize(decl, raw, why, sizeof why);
            cJSON_Delete(raw);
            assert_non_null(v);
            cJSON_AddItemToObject(out, decl->name, v);
        }
    }
    cJSON_Delete(given);
    return out;
}

int sec_run(const char *params, const rg_context *ctx, int64_t now, size_t max, rg_check_result *out)
{
    const rg_plugin *p = relgate_plugin_entry();
    const rg_check *check = &p->checks[0];
    cJSON *norm = normalise(check, params);
    if (!norm)
        return -1;
    rg_check_run_inline(check, norm, ctx, now, max ? max : (size_t)64 << 20, out);
    cJSON_Delete(norm);
    return 0;
}

const cJSON *sec_detail(const rg_check_result *r, const char *path)
{
    const cJSON *node = r->details;
    char key[128];
    while (node && *path) {
        const char *dot = strchr(path, '.');
        size_t n = dot ? (size_t)(dot - path) : strlen(path);
        char *end;
        long idx;
        assert_true(n < sizeof key);
        memcpy(key, path, n);
        key[n] = '\0';
        idx = strtol(key, &end, 10);
        if (cJSON_IsArray(node) && *end == '\0' && end != key)
            node = cJSON_GetArrayItem(node, (int)idx);
        else
            node = cJSON_GetObjectItemCaseSensitive(node, key);
        path += n + (dot != NULL);
    }
    return node;
}

double sec_num(const rg_check_result *r, const char *path)
{
    const cJSON *n = sec_detail(r, path);
    if (!cJSON_IsNumber(n))
        fail_msg("details.%s is not a number", path);
    return n->valuedouble;
}

const char *sec_str(const rg_check_result *r, const char *path)
{
    const cJSON *n = sec_detail(r, path);
    return cJSON_IsString(n) ? n->valuestring : NULL;
}

int sec_size(const rg_check_result *r, const char *path)
{
    const cJSON *n = sec_detail(r, path);
    return cJSON_IsArray(n) ? cJSON_GetArraySize(n) : 0;
}

const char *sec_data(const char *name)
{
    static char path[4096];
    snprintf(path, sizeof path, "%s/%s", SEC_TEST_DATA, name);
    return path;
}
