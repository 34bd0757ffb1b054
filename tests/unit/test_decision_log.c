/* Unit tests for core/decision_log.c and core/log_file.c: chained records in a file,
 * verify, import, the query filter, and passwords kept out of names. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decision_log.h"
#include "rgtest.h"

RGT_FIXTURE(setup_tmp, teardown_tmp, "rg-log", NULL)

static const char *ENTRIES[] = {
    "{\"decision\":\"allow\",\"stage\":\"post-deploy\",\"release\":{\"name\":\"svc\",\"version\":\"1.0.0\"},\"evaluated_at\":\"2025-06-01T01:00:00Z\"}",
    "{\"decision\":\"allow\",\"stage\":\"post-deploy\",\"release\":{\"name\":\"svc\",\"version\":\"1.1.0\"},\"evaluated_at\":\"2025-06-01T02:00:00Z\"}",
    "{\"decision\":\"deny\",\"stage\":\"post-deploy\",\"release\":{\"name\":\"svc\",\"version\":\"1.1.0\"},\"evaluated_at\":\"2025-06-01T03:00:00Z\"}",
};

static rg_log *open_log(const char *path)
{
    rg_error err = {0};
    rg_log *log = rg_log_open(path, 1, &err);
    assert_non_null(log);
    return log;
}

static void append_all(rg_log *log)
{
    rg_error err = {0};
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(rg_log_append(log, ENTRIES[i], strlen(ENTRIES[i]), &err), 0);
}

static int verify(rg_log *log, size_t *records, char *problem)
{
    rg_error err = {0};
    int rc = rg_log_verify(log, records, problem, &err);
    rg_error_clear(&err);
    return rc;
}

static void test_redact(void **state)
{
    /* Each URL and how messages show it. */
    static const char *const cases[][2] = {
        {"postgresql://gate:s3cret@db.example:5432/gate", "postgresql://gate:***@db.example:5432/gate"},
        {"postgres://gate@db/gate?sslmode=require&password=s3cret&x=1",
         "postgres://gate@db/gate?sslmode=require&password=***&x=***"},
        /* Every value but where the server is: a second password, an SSL key's, a key spelled
         * with a percent escape (libpq decodes it), a token that is no key=value. */
        {"postgresql://gate@/gate?host=/run/pg&sslpassword=k3y&password=s3cret&pass%77ord=s3cret&s3cret",
         "postgresql://gate@/gate?host=/run/pg&sslpassword=***&password=***&***&***"},
        /* A password holding '@' or ':' unescaped: everything before the last '@' is hidden but the user. */
        {"postgresql://gate:s3c@r:et@db/gate", "postgresql://gate:***@db/gate"},
        {"postgresql://gate:s3cret@db/gate#frag", "postgresql://gate:***@db/gate"},
        /* A password holding '/', '?' or '#' unencoded ends the authority early: its start
         * reads as a port, the rest as the path; neither is shown (hostile round 13, F01). */
        {"postgresql://gate:Zm9v/YmFy+cXV4@db.invalid:5432/decisions", "postgresql://***"},
        {"postgresql://gate:pa?ss@db/gate", "postgresql://***"},
        {"postgresql://gate:pa#ss@db/gate", "postgresql://***"},
        /* Ports, IPv6 hosts and host lists are shown; a colon after the host is a port. */
        {"postgresql://gate@[::1]:5432,db2:5433/gate", "postgresql://gate@[::1]:5432,db2:5433/gate"},
        {"postgresql://gate@db/gate", "postgresql://gate@db/gate"},
        {"postgresql://db:5432/gate", "postgresql://db:5432/gate"},
        {"sqlite:/var/lib/relgate/log.db", "sqlite:/var/lib/relgate/log.db"},
    };
    char out[256];
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        rg_log_redact(cases[i][0], out, sizeof out);
        assert_string_equal(out, cases[i][1]);
    }
}

static void test_filter(void **state)
{
    rg_log_record r = {0};
    rg_log_filter f = {0};
    (void)state;
    r.release = "svc";
    r.version = "1.1.0";
    r.stage = "post-deploy";
    r.decision = "warn";
    r.evaluated_at = "2025-06-01T02:00:00Z";
    assert_true(rg_log_filter_matches(&f, &r));
    f.release = "svc";
    f.decisions = RG_LOG_ALLOW | RG_LOG_WARN;
    assert_true(rg_log_filter_matches(&f, &r));
    f.except_version = "1.1.0";
    assert_false(rg_log_filter_matches(&f, &r));
    r.version = NULL;  /* a record without a version is not the excepted one */
    assert_true(rg_log_filter_matches(&f, &r));
    f.since = "2025-06-01T02:00:00Z";
    f.until = "2025-06-01T02:00:00Z";
    assert_true(rg_log_filter_matches(&f, &r));   /* inclusive */
    f.until = "2025-06-01T01:59:59Z";
    assert_false(rg_log_filter_matches(&f, &r));
    f.until = NULL;
    f.environment = "production";                 /* a record without one does not match */
    assert_false(rg_log_filter_matches(&f, &r));
    f.environment = NULL;
    f.decisions = RG_LOG_DENY;
    assert_false(rg_log_filter_matches(&f, &r));
}

static void test_chain(void **state)
{
    rgt_fixture *t = *state;
    rg_log *log = open_log(rgt_at(t, "log.jsonl"));
    char problem[RG_ERROR_MESSAGE_MAX], digest[RG_LOG_DIGEST_HEX + 1], want[200];
    size_t records = 0, len;
    char *data, *second;
    append_all(log);
    assert_int_equal(verify(log, &records, problem), 0);
    assert_int_equal(records, 3);
    /* Record 2 carries the digest of record 1 as stored, and its seq. */
    data = rgt_read(rgt_at(t, "log.jsonl"), &len);
    second = strchr(data, '\n') + 1;
    rg_log_digest(data, (size_t)(second - 1 - data), digest);
    snprintf(want, sizeof want, ",\"chain\":{\"seq\":2,\"prev\":\"%s\"}}\n", digest);
    assert_non_null(strstr(second, want));
    assert_true(strncmp(data, ENTRIES[0], strlen(ENTRIES[0]) - 1) == 0);
    free(data);
    rg_log_close(log);
}

static void test_last_record_edited(void **state)
{
    rgt_fixture *t = *state;
    rg_log *log = open_log(rgt_at(t, "log.jsonl"));
    char problem[RG_ERROR_MESSAGE_MAX], *data, *deny;
    size_t records, len;
    append_all(log);
    data = rgt_read(rgt_at(t, "log.jsonl"), &len);
    deny = strstr(data, "\"deny\"");
    memcpy(deny, "\"warn\"", 6);
    rgt_write(t->path, "log.jsonl", data, len);
    free(data);
    /* Nothing after it: only the head shows that the last record changed. */
    assert_int_equal(verify(log, &records, problem), 1);
    assert_non_null(strstr(problem, "last record"));
    rg_log_close(log);
}

static void test_tail_cut(void **state)
{
    rgt_fixture *t = *state;
    rg_log *log = open_log(rgt_at(t, "log.jsonl"));
    char problem[RG_ERROR_MESSAGE_MAX], *data;
    size_t records, len;
    append_all(log);
    data = rgt_read(rgt_at(t, "log.jsonl"), &len);
    *(strrchr(data, '}') + 1) = '\0';
    *(strrchr(data, '\n') + 1) = '\0';   /* the last record removed */
    rgt_write(t->path, "log.jsonl", data, strlen(data));
    free(data);
    assert_int_equal(verify(log, &records, problem), 1);
    assert_non_null(strstr(problem, "removed from its end"));
    rg_log_close(log);
}

static void test_old_log_then_import(void **state)
{
    rgt_fixture *t = *state;
    rg_log *old, *fresh;
    rg_error err = {0};
    char text[1024], problem[RG_ERROR_MESSAGE_MAX];
    size_t records;
    snprintf(text, sizeof text, "%s\nnot a decision\n%s\n", ENTRIES[0], ENTRIES[1]);
    rgt_put_file(t, "old.jsonl", text);
    old = open_log(rgt_at(t, "old.jsonl"));
    /* An append continues after the old lines (seq 4: three lines before it). */
    assert_int_equal(rg_log_append(old, ENTRIES[2], strlen(ENTRIES[2]), &err), 0);
    {
        char *data = rgt_read(rgt_at(t, "old.jsonl"), NULL);
        assert_non_null(strstr(data, "\"seq\":4,"));
        free(data);
    }
    assert_int_equal(verify(old, &records, problem), 1);
    assert_non_null(strstr(problem, "record 1 has no chain"));
    fresh = open_log(rgt_at(t, "new.jsonl"));
    assert_int_equal(rg_log_import(old, fresh, &err), 3);  /* the stray line is left out */
    /* Into itself, under another spelling: refused, not a wait on its own lock. */
    {
        rg_log *again = open_log(rgt_at(t, "./new.jsonl"));
        assert_int_equal(rg_log_import(again, fresh, &err), -1);
        assert_int_equal(err.kind, RG_ERROR_USAGE);
        rg_error_clear(&err);
        rg_log_close(again);
    }
    assert_int_equal(verify(fresh, &records, problem), 0);
    assert_int_equal(records, 3);
    rg_log_close(old);
    rg_log_close(fresh);
}

static void test_partial_line_cut(void **state)
{
    rgt_fixture *t = *state;
    rg_log *log = open_log(rgt_at(t, "log.jsonl"));
    rg_error err = {0};
    char problem[RG_ERROR_MESSAGE_MAX], *data;
    size_t records, len;
    assert_int_equal(rg_log_append(log, ENTRIES[0], strlen(ENTRIES[0]), &err), 0);
    data = rgt_read(rgt_at(t, "log.jsonl"), &len);
    /* A writer killed mid-write left half a record behind. */
    data = realloc(data, len + 20);
    memcpy(data + len, "{\"decision\":\"al", 15);
    rgt_write(t->path, "log.jsonl", data, len + 15);
    free(data);
    assert_int_equal(rg_log_append(log, ENTRIES[1], strlen(ENTRIES[1]), &err), 0);
    assert_int_equal(verify(log, &records, problem), 0);
    assert_int_equal(records, 2);
    rg_log_close(log);
}

static void test_append_refuses_non_objects(void **state)
{
    rgt_fixture *t = *state;
    rg_log *log = open_log(rgt_at(t, "log.jsonl"));
    rg_error err = {0};
    static const char *bad[] = {"[1,2]", "{\"a\":1}\n{\"b\":2}", "{\"a\":", "", "{}x"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        assert_int_equal(rg_log_append(log, bad[i], strlen(bad[i]), &err), -1);
        assert_int_equal(err.kind, RG_ERROR_IO);
        rg_error_clear(&err);
    }
    /* Nothing was stored (the first append may have created the file, empty). */
    {
        size_t len = 0;
        char *data = rgt_slurp(rgt_at(t, "log.jsonl"), &len);
        assert_int_equal(len, 0);
        free(data);
    }
    rg_log_close(log);
}

static void test_last_good(void **state)
{
    rgt_fixture *t = *state;
    rg_log *log = open_log(rgt_at(t, "log.jsonl"));
    rg_error err = {0};
    cJSON *good;
    static const char staging[] = "{\"decision\":\"allow\",\"stage\":\"post-deploy\",\"release\":{\"name\":"
                                  "\"svc\",\"version\":\"1.2.0\",\"environment\":\"staging\"},\"evaluated_at\":"
                                  "\"2025-06-01T04:00:00Z\"}";
    append_all(log);
    assert_int_equal(rg_log_append(log, staging, strlen(staging), &err), 0);
    /* 1.1.0 passed, then was denied: still the last release that passed its gate -- in
     * production; 1.2.0 passed in staging only. */
    good = rg_log_last_good_json(log, "svc", NULL, NULL, &err);
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(good, "release"), "version")->valuestring, "1.2.0");
    cJSON_Delete(good);
    good = rg_log_last_good_json(log, "svc", "staging", NULL, &err);
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(good, "release"), "version")->valuestring, "1.2.0");
    cJSON_Delete(good);
    /* Records that name no environment are none of production's. */
    assert_null(rg_log_last_good_json(log, "svc", "production", NULL, &err));
    /* Rolling back 1.2.0 itself: the one before it. */
    good = rg_log_last_good_json(log, "svc", NULL, "1.2.0", &err);
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(good, "release"), "version")->valuestring, "1.1.0");
    cJSON_Delete(good);
    assert_null(rg_log_last_good_json(log, "web", NULL, NULL, &err));
    assert_int_equal(err.kind, RG_ERROR_NONE);
    rg_log_close(log);
}

static const char *good_version(rg_log *log)
{
    static char version[32];
    rg_error err = {0};
    cJSON *good = rg_log_last_good_json(log, "svc", NULL, NULL, &err);
    assert_int_equal(err.kind, RG_ERROR_NONE);
    snprintf(version, sizeof version, "%s",
             good ? cJSON_GetObjectItem(cJSON_GetObjectItem(good, "release"), "version")->valuestring : "none");
    cJSON_Delete(good);
    return version;
}

/* A last record that lost only its final newline is the record it is, to every reader:
 * the one the head names, or, in a file with no head (an export archive), a whole JSON
 * object; what a killed writer left (a cut, or a record the head does not name) is not
 * (hostile round 37a, F04: a rollback lookup skipped the newest good release; F06: an
 * import dropped the archive's last record and said nothing). */
static void test_last_newline_lost(void **state)
{
    rgt_fixture *t = *state;
    static const char newer[] = "{\"decision\":\"allow\",\"stage\":\"post-deploy\",\"release\":{\"name\":"
                                "\"svc\",\"version\":\"1.2.0\"},\"evaluated_at\":\"2025-06-01T04:00:00Z\"}";
    rg_log *log = open_log(rgt_at(t, "log.jsonl")), *archive, *fresh;
    rg_error err = {0};
    char problem[RG_ERROR_MESSAGE_MAX], *data;
    size_t records, len;
    append_all(log);
    assert_int_equal(rg_log_append(log, newer, strlen(newer), &err), 0);
    data = rgt_read(rgt_at(t, "log.jsonl"), &len);
    rgt_write(t->path, "log.jsonl", data, len - 1);
    assert_string_equal(good_version(log), "1.2.0");
    assert_int_equal(verify(log, &records, problem), 0);
    assert_int_equal(records, 4);
    /* No head: the archive's whole last object is its last record. */
    rgt_write(t->path, "archive.jsonl", data, len - 1);
    archive = rg_log_open(rgt_at(t, "archive.jsonl"), 0, &err);
    assert_non_null(archive);
    fresh = open_log(rgt_at(t, "fresh.jsonl"));
    assert_int_equal(rg_log_import(archive, fresh, &err), 4);
    assert_string_equal(good_version(fresh), "1.2.0");
    /* Not the head's record: a whole object a writer left without its newline (the head
     * was not moved to it) is not read, nor is a cut one. */
    data = realloc(data, 2 * len);
    memcpy(data + len, newer, strlen(newer));
    rgt_write(t->path, "log.jsonl", data, len + strlen(newer));
    assert_int_equal(verify(log, &records, problem), 0);
    assert_int_equal(records, 4);
    rgt_write(t->path, "archive.jsonl", data, len + strlen(newer) - 1);
    assert_int_equal(verify(archive, &records, problem), 0);
    assert_int_equal(records, 4);
    /* The writer takes it so too: in a log with no head, the next append puts its newline
     * back instead of cutting it away (hostile round 37c, F02). */
    rgt_write(t->path, "archive.jsonl", data, len - 1);
    rg_log_close(archive);
    archive = open_log(rgt_at(t, "archive.jsonl"));
    assert_int_equal(rg_log_append(archive, ENTRIES[2], strlen(ENTRIES[2]), &err), 0);
    assert_int_equal(verify(archive, &records, problem), 0);
    assert_int_equal(records, 5);
    free(data);
    rg_log_close(archive);
    rg_log_close(fresh);
    rg_log_close(log);
}

/* The files each store writes, the log's own first; none for PostgreSQL or no URL; and
 * rg_log_keeps_file answers by them, whatever the path's spelling. */
static void test_kept_files(void **state)
{
    static const struct {
        const char *url, *files[5];
    } cases[] = {
        {"d/log.jsonl", {"d/log.jsonl", "d/log.jsonl.head", NULL}},
        {"sqlite:d/x.db", {"d/x.db", "d/x.db-journal", "d/x.db-wal", "d/x.db-shm", NULL}},
        {"postgresql://h/db", {NULL}},
        {"sqlite:", {NULL}},
    };
    char name[256];
    (void)state;
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        size_t i = 0;
        for (; cases[c].files[i]; i++) {
            assert_int_equal(rg_log_kept_file(cases[c].url, i, name, sizeof name), 0);
            assert_string_equal(name, cases[c].files[i]);
            assert_true(rg_log_keeps_file(cases[c].url, cases[c].files[i]));
        }
        assert_int_equal(rg_log_kept_file(cases[c].url, i, name, sizeof name), -1);
    }
    assert_int_equal(rg_log_kept_file(NULL, 0, name, sizeof name), -1);
    assert_int_equal(rg_log_kept_file("d/log.jsonl", 1, name, 8), -1);   /* no room: never cut */
    assert_false(rg_log_keeps_file("sqlite:d/x.db", "d/x.db-wal2"));
    assert_false(rg_log_keeps_file("d/log.jsonl", "d/log.jsonl-wal"));
}

static void test_unknown_scheme(void **state)
{
    rg_error err = {0};
    (void)state;
    assert_null(rg_log_open("mysql://db/gate", 1, &err));
    assert_int_equal(err.kind, RG_ERROR_USAGE);
    rg_error_clear(&err);
    assert_null(rg_log_open("sqlite:", 1, &err));
    assert_int_equal(err.kind, RG_ERROR_USAGE);
    rg_error_clear(&err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_redact),
        cmocka_unit_test(test_filter),
        cmocka_unit_test(test_unknown_scheme),
        cmocka_unit_test(test_kept_files),
        cmocka_unit_test_setup_teardown(test_chain, setup_tmp, teardown_tmp),
        cmocka_unit_test_setup_teardown(test_last_record_edited, setup_tmp, teardown_tmp),
        cmocka_unit_test_setup_teardown(test_tail_cut, setup_tmp, teardown_tmp),
        cmocka_unit_test_setup_teardown(test_old_log_then_import, setup_tmp, teardown_tmp),
        cmocka_unit_test_setup_teardown(test_partial_line_cut, setup_tmp, teardown_tmp),
        cmocka_unit_test_setup_teardown(test_append_refuses_non_objects, setup_tmp, teardown_tmp),
        cmocka_unit_test_setup_teardown(test_last_good, setup_tmp, teardown_tmp),
        cmocka_unit_test_setup_teardown(test_last_newline_lost, setup_tmp, teardown_tmp),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
