/* Test support for the backup plugin (see support.h); what is not the backup plugin's
 * own comes from tests/support/rgtest.h. */
#include "support.h"

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "relgate/plugin.h"
#include "relgate/relgate.h"

const rg_plugin *relgate_plugin_entry(void);

const char *fx_data_dir(void)
{
    return BK_TEST_DATA;
}

const rg_check *fx_check(void)
{
    return rgt_find_check(relgate_plugin_entry(), "backup.present");
}

int fx_setup(void **state)
{
    fixture *fx = calloc(1, sizeof *fx);
    if (!fx || rgt_mktemp(fx->dir, sizeof fx->dir, "relgate-backup-test") != 0) {
        free(fx);
        return -1;
    }
    fx->evidence = cJSON_CreateObject();
    *state = fx;
    return 0;
}

int fx_teardown(void **state)
{
    fixture *fx = *state;
    if (getenv("BK_KEEP_TMP") == NULL)
        rgt_rmtree(fx->dir);
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

void fx_evidence(fixture *fx, const char *name, const char *rel)
{
    cJSON_DeleteItemFromObjectCaseSensitive(fx->evidence, name);
    cJSON_AddStringToObject(fx->evidence, name, rel);
}

void fx_data(fixture *fx, const char *evname, const char *name, const char *rel)
{
    fx_copy(fx, rel, rgt_path(fx_data_dir(), name));
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

rg_check_status fx_run(fixture *fx, const char *params_json, int64_t now)
{
    char *members = cJSON_PrintUnformatted(fx->evidence);
    rg_context *ctx;

    /* the context names the evidence declared so far: the object's members, braces off */
    members[strlen(members) - 1] = '\0';
    ctx = rgt_release(fx->dir, NULL, members + 1, fx->evidence_root);
    free(members);
    rg_check_result_clear(&fx->result);
    /* a missing required parameter reaches the check: its own message is tested */
    rgt_run_check(fx_check(), params_json, RGT_MISSING_OK | RGT_MUST_ACCEPT, ctx, now, (size_t)4 << 20,
                  &fx->result);
    rg_context_free(ctx);
    if (getenv("BK_VERBOSE")) {
        char *j = rg_check_result_to_json(&fx->result);
        fprintf(stderr, "# %s\n", j);
        free(j);
    }
    return fx->result.status;
}

const char *fx_detail_string(fixture *fx, const char *path)
{
    const char *s = rgt_detail_string(&fx->result, path);
    if (!s)
        fail_msg("details.%s is not a string", path);
    return s;
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
