/* Unit tests for live evidence in the engine (issue 15): the shape of a live source
 * (core/live_source.c), recording a fetched page and replaying it (core/live_host.c), and
 * the save directory's writer (core/evidence_save.c). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "context.h"
#include "evidence.h"
#include "evidence_save.h"
#include "fileio.h"
#include "json.h"
#include "live_host.h"
#include "rgtest.h"

typedef rgt_fixture tmpdir;
#define fmt rgt_fmt
#define at rgt_at

RGT_FIXTURE(setup_tmp, teardown_tmp, "rg-live", NULL)

#define SHA "0ff3ae198f8601a285adcf5c0fff204ee6fba5fd"
static const char release_json[] = "\"release\": {\"name\": \"payments\", \"version\": \"2.4.0\", \"type\": \"minor\"}";

/* Load ctx.json whose evidence is EVIDENCE (SAVE: --save-evidence, or NULL).  The
 * context, or NULL with ERR. */
static rg_context *load(tmpdir *t, const char *evidence, const char *save, rg_error *err)
{
    char text[8192];
    rg_context_options opt = {0};
    opt.save_evidence = save;
    fmt(text, sizeof text, "{%s, \"evidence\": %s}", release_json, evidence);
    rg_context_free(t->ctx);
    t->ctx = rgt_load_context(t->path, "ctx.json", text, &opt, err);
    return t->ctx;
}

static void test_good_shapes(void **state)
{
    tmpdir *t = *state;
    static const char *const good[] = {
        "{\"ci\": {\"github\": \"check-runs\", \"repo\": \"octo-org/pay.ments\", \"ref\": \"" SHA "\"}}",
        "{\"ci\": {\"github\": \"statuses\", \"repo\": \"o/r\", \"ref\": \"" SHA "0123456789abcdef01234567\"}}",
        "{\"ci\": {\"gitlab\": \"pipelines\", \"project\": \"grp/sub/name\", \"ref\": \"" SHA "\"}}",
        "{\"ci\": {\"gitlab\": \"pipeline-jobs\", \"project\": 42, \"pipeline\": 981133}}",
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        rg_error err = {0};
        if (!load(t, good[i], NULL, &err))
            fail_msg("refused %s: %s", good[i], err.message);
    }
}

static void test_bad_shapes(void **state)
{
    tmpdir *t = *state;
    static const struct { const char *entry, *says; } bad[] = {
        {"{\"github\": \"checks\", \"repo\": \"o/r\", \"ref\": \"" SHA "\"}", "github \"checks\" is not one of"},
        {"{\"github\": \"statuses\", \"repo\": \"o/r/x\", \"ref\": \"" SHA "\"}", "repo must be \"OWNER/NAME\""},
        {"{\"github\": \"statuses\", \"repo\": \"o/..\", \"ref\": \"" SHA "\"}", "repo must be \"OWNER/NAME\""},
        {"{\"github\": \"statuses\", \"repo\": \"o/r\", \"ref\": \"0ff3ae1\"}", "full SHA"},
        {"{\"github\": \"statuses\", \"repo\": \"o/r\", \"ref\": 5}", "full SHA"},
        {"{\"gitlab\": \"pipelines\", \"project\": 0, \"pipeline\": 3}", "project must be"},
        {"{\"gitlab\": \"pipelines\", \"project\": \"a//b\", \"pipeline\": 3}", "project must be"},
        {"{\"gitlab\": \"pipelines\", \"project\": 3, \"pipeline\": 1.5}", "pipeline must be"},
        {"{\"gitlab\": \"pipelines\", \"project\": 3, \"pipeline\": 2, \"ref\": \"" SHA "\"}", "exactly one of ref"},
        {"{\"repo\": \"o/r\"}", "exactly one of \"github\" or \"gitlab\""},
        {"{\"github\": \"statuses\", \"repo\": \"o/r\", \"ref\": \"" SHA "\", \"url\": \"x\"}", "unknown field \"url\""},
        {"{\"github\": \"statuses\", \"repo\": \"o/r\", \"ref\": \"" SHA "\", \"recorded\": []}", "non-empty list"},
        {"{\"github\": \"statuses\", \"repo\": \"o/r\", \"ref\": \"" SHA "\", \"recorded\": [{\"url\": \"http://h/x\", "
         "\"fetched_at\": \"t\", \"sha256\": \"sha256:00\", \"file\": \"f\"}]}", "recorded[0].sha256"},
        {"{\"github\": \"statuses\", \"repo\": \"o/r\", \"ref\": \"" SHA "\", \"recorded\": [{\"url\": \"file:///etc/x\", "
         "\"fetched_at\": \"t\", \"sha256\": \"sha256:" "0000000000000000000000000000000000000000000000000000000000000000"
         "\", \"file\": \"f\"}]}", "recorded[0].url"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        rg_error err = {0};
        char ev[2048];
        fmt(ev, sizeof ev, "{\"ci\": %s}", bad[i].entry);
        if (load(t, ev, NULL, &err))
            fail_msg("accepted %s", bad[i].entry);
        if (!strstr(err.message, bad[i].says))
            fail_msg("%s: \"%s\" does not say \"%s\"", bad[i].entry, err.message, bad[i].says);
        rg_error_clear(&err);
    }
}

/* A page recorded live is written to the save directory by digest and noted with its
 * URLs; served back from a recording it gives the same note, and an altered copy fails. */
static void test_record_then_replay(void **state)
{
    tmpdir *t = *state;
    const char body[] = "{\"total_count\": 1, \"check_runs\": []}";
    const char *url = "https://api.github.com/repos/o/r/commits/" SHA "/check-runs?per_page=100";
    const char *next = "https://api.github.com/repos/o/r/commits/" SHA "/check-runs?per_page=100&page=2";
    char save[PATH_MAX], why[1024], ev[4096], file[256], path[PATH_MAX];
    cJSON *live = cJSON_CreateArray(), *replayed = cJSON_CreateArray();
    const cJSON *note;
    const char *rurl, *rnext;
    char *data = NULL;
    size_t len;
    rg_error err = {0};

    fmt(save, sizeof save, "%s/saved", t->path);
    assert_non_null(load(t, "{\"ci\": {\"github\": \"check-runs\", \"repo\": \"o/r\", \"ref\": \"" SHA "\"}}", save, &err));
    assert_int_equal(rg_live_record(t->ctx, live, "ci", url, next, body, strlen(body), why, sizeof why), 0);
    note = cJSON_GetArrayItem(live, 0);
    assert_string_equal(rg_json_string(note, "url"), url);
    assert_string_equal(rg_json_string(note, "next"), next);
    assert_null(rg_json_string(note, "path"));
    assert_non_null(rg_json_string(note, "fetched_at"));
    rg_saved_fetch_name(rg_json_string(note, "sha256"), file, sizeof file);
    fmt(path, sizeof path, "%s/%s", save, file);
    assert_int_equal(rg_read_file(path, "page", 1 << 20, &data, &len, &err), 0);
    assert_int_equal(len, strlen(body));
    assert_memory_equal(data, body, len);
    free(data);
    data = NULL;
    /* A file evidence is not a live source. */
    assert_non_null(load(t, "{\"ci\": \"x.json\"}", NULL, &err));
    assert_int_equal(rg_live_record(t->ctx, live, "ci", url, NULL, body, strlen(body), why, sizeof why), -1);

    /* The recording, beside the context. */
    fmt(ev, sizeof ev, "{\"ci\": {\"github\": \"check-runs\", \"repo\": \"o/r\", \"ref\": \"" SHA "\", \"recorded\": "
        "[{\"url\": \"%s\", \"next\": \"%s\", \"fetched_at\": \"%s\", \"sha256\": \"%s\", \"file\": \"saved/%s\"}]}}",
        url, next, rg_json_string(note, "fetched_at"), rg_json_string(note, "sha256"), file);
    assert_non_null(load(t, ev, NULL, &err));
    assert_int_equal(rg_live_recorded_page(t->ctx, replayed, "ci", 0, 1 << 20, &rurl, &rnext, &data, &len, why,
                                           sizeof why), 1);
    assert_string_equal(rurl, url);
    assert_string_equal(rnext, next);
    assert_memory_equal(data, body, len);
    free(data);
    assert_true(cJSON_Compare(live, replayed, 1));   /* the same evidence note */
    assert_int_equal(rg_live_recorded_page(t->ctx, replayed, "ci", 1, 1 << 20, &rurl, &rnext, &data, &len, why,
                                           sizeof why), 0);
    /* A recording is replayed, never fetched. */
    assert_int_equal(rg_live_record(t->ctx, replayed, "ci", url, NULL, body, strlen(body), why, sizeof why), -1);
    assert_non_null(strstr(why, "replayed, not fetched"));
    /* An altered page. */
    rgt_write(NULL, path, "{\"total_count\": 1, \"check_runs\": [1]}", RGT_TEXT);
    assert_int_equal(rg_live_recorded_page(t->ctx, replayed, "ci", 0, 1 << 20, &rurl, &rnext, &data, &len, why,
                                           sizeof why), -1);
    assert_null(data);
    assert_non_null(strstr(why, "is not what was fetched"));
    cJSON_Delete(live);
    cJSON_Delete(replayed);
}

static void test_save_file_paths(void **state)
{
    tmpdir *t = *state;
    char why[1024];
    assert_int_equal(rg_save_file(t->path, "a/b/c.json", "x", 1, why, sizeof why), 0);
    assert_int_equal(access(at(t, "a/b/c.json"), F_OK), 0);
    assert_int_equal(rg_save_file(t->path, "../escape.json", "x", 1, why, sizeof why), -1);
    assert_int_equal(rg_save_file(t->path, "a/../../escape.json", "x", 1, why, sizeof why), -1);
    /* A link on the way is not followed. */
    assert_int_equal(symlink("/tmp", at(t, "link")), 0);
    assert_int_equal(rg_save_file(t->path, "link/x.json", "x", 1, why, sizeof why), -1);
}

static void test_deadline(void **state)
{
    (void)state;
    rg_host_set_deadline(0);
    assert_true(rg_host_time_left() < 0);
    rg_host_set_deadline(30);
    assert_true(rg_host_time_left() > 29 && rg_host_time_left() <= 30);
    rg_host_set_deadline(0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_good_shapes, setup_tmp, teardown_tmp),
        cmocka_unit_test_setup_teardown(test_bad_shapes, setup_tmp, teardown_tmp),
        cmocka_unit_test_setup_teardown(test_record_then_replay, setup_tmp, teardown_tmp),
        cmocka_unit_test_setup_teardown(test_save_file_paths, setup_tmp, teardown_tmp),
        cmocka_unit_test(test_deadline),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
