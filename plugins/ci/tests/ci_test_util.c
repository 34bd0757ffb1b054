/* Helpers for the ci plugin's tests. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ci_test_util.h"
#include "plugins.h"

const rg_plugin *relgate_plugin_entry(void);

char *ci_tmpdir(void)
{
    char *dir = strdup("/tmp/relgate-ci-test-XXXXXX");
    assert_non_null(dir);
    assert_non_null(mkdtemp(dir));
    return dir;
}

void ci_rmtree(const char *dir)
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

void ci_write(const char *dir, const char *name, const char *text, size_t len)
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

char *ci_slurp(const char *path, size_t *len)
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

rg_context *ci_context(const char *dir, const char *commit, const char *evidence_json)
{
    char doc[4096], path[4096], commit_member[128] = "";
    rg_error err = {0};
    rg_context *ctx;
    if (commit)
        snprintf(commit_member, sizeof commit_member, ", \"commit\": \"%s\"", commit);
    snprintf(doc, sizeof doc,
             "{\"release\": {\"name\": \"payments-api\", \"version\": \"2.4.0\", \"type\": \"minor\"%s},\n"
             " \"evidence\": {%s}}\n", commit_member, evidence_json);
    ci_write(dir, "release.json", doc, (size_t)-1);
    snprintf(path, sizeof path, "%s/release.json", dir);
    ctx = rg_context_load(path, NULL, &err);
    if (!ctx)
        fail_msg("context refused: %s", err.message);
    return ctx;
}

int ci_run(const char *params_json, const rg_context *ctx, int64_t now, rg_check_result *out)
{
    const rg_check *check = &relgate_plugin_entry()->checks[0];
    cJSON *given = cJSON_Parse(params_json), *params;
    char why[512];
    assert_non_null(given);
    /* The engine's own validation and defaults, as a policy's `with` gets them. */
    params = rg_check_params(check, given, why, sizeof why);
    cJSON_Delete(given);
    if (!params)
        return -1;
    rg_check_run_inline(check, params, ctx, now, 64u << 20, out);
    cJSON_Delete(params);
    return 0;
}

const cJSON *ci_detail(const rg_check_result *r, const char *path)
{
    const cJSON *node = r->details;
    char key[128];
    while (node && *path) {
        const char *dot = strchr(path, '.');
        size_t n = dot ? (size_t)(dot - path) : strlen(path);
        char *end;
        long idx;
        if (n >= sizeof key)
            return NULL;
        memcpy(key, path, n);
        key[n] = '\0';
        idx = strtol(key, &end, 10);
        node = cJSON_IsArray(node) && *end == '\0' && end != key ? cJSON_GetArrayItem(node, (int)idx)
                                                                : cJSON_GetObjectItemCaseSensitive(node, key);
        path += n + (dot ? 1 : 0);
    }
    return node;
}

double ci_detail_number(const rg_check_result *r, const char *path)
{
    const cJSON *v = ci_detail(r, path);
    if (!cJSON_IsNumber(v))
        fail_msg("details.%s is not a number", path);
    return v->valuedouble;
}

const char *ci_detail_string(const rg_check_result *r, const char *path)
{
    const cJSON *v = ci_detail(r, path);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

int ci_detail_size(const rg_check_result *r, const char *path)
{
    const cJSON *v = ci_detail(r, path);
    return cJSON_IsArray(v) ? cJSON_GetArraySize(v) : 0;
}
