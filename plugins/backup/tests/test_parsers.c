/* Unit tests of the backup plugin's parsers: times, magic numbers, format detection,
 * the manifest, restic and borg readers, and hostile input. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bk.h"
#include "rfc3339.h"
#include "support.h"

/* ---- helpers ----------------------------------------------------------------------- */

/* A time as the readers take it (common/rfc3339.c, RG_TIME_REPORT): zone required unless
 * NAIVE_OK, then zone-less times are at OFF. */
static int64_t t_ok(const char *text, int naive_ok, int off)
{
    rg_time t = {0, 0};
    const char *why = NULL;
    if (rg_timestamp_parse(text, RG_TIME_REPORT | (naive_ok ? RG_TIME_LOCAL : 0), off, &t, &why) != 0)
        fail_msg("\"%s\" refused: %s", text, why);
    return t.seconds;
}

static void t_bad(const char *text, int naive_ok, const char *reason)
{
    rg_time t;
    const char *why = NULL;
    if (rg_timestamp_parse(text, RG_TIME_REPORT | (naive_ok ? RG_TIME_LOCAL : 0), 0, &t, &why) == 0)
        fail_msg("\"%s\" accepted", text ? text : "(null)");
    if (reason && !strstr(why, reason))
        fail_msg("\"%s\": reason \"%s\", expected \"%s\"", text, why, reason);
}

/* Parse TEXT as WANT; fails the test unless it parses. */
static void parse_ok(const char *text, bk_format want, int naive_offset, bk_list *l)
{
    char why[512];
    int unrec = 0;
    bk_parse_opts o = {naive_offset};
    if (bk_parse(text, strlen(text), want, &o, l, &unrec, why, sizeof why) != 0)
        fail_msg("refused (%s): %s", unrec ? "unrecognised" : "malformed", why);
}

/* TEXT is refused; UNREC says whether as unrecognised; the reason contains REASON. */
static void parse_bad(const char *text, size_t len, bk_format want, int unrec_expected, const char *reason)
{
    char why[512];
    int unrec = -1;
    bk_list l;
    bk_parse_opts o = {0};
    if (bk_parse(text, len, want, &o, &l, &unrec, why, sizeof why) == 0) {
        bk_list_free(&l);
        fail_msg("accepted: %.200s", text);
    }
    if (unrec != unrec_expected)
        fail_msg("unrecognised=%d, expected %d (%s)", unrec, unrec_expected, why);
    if (reason && !strstr(why, reason))
        fail_msg("reason \"%s\", expected \"%s\"", why, reason);
}

/* A NUL-terminated TEXT refused as malformed (the format known). */
static void parse_text_bad(const char *text, const char *reason)
{
    parse_bad(text, strlen(text), BK_AUTO, 0, reason);
}

/* TEXT is refused with format detection, as unrecognised or as malformed. */
static void parse_refused(const char *text)
{
    char why[512];
    int unrec;
    bk_list l;
    bk_parse_opts o = {0};
    if (bk_parse(text, strlen(text), BK_AUTO, &o, &l, &unrec, why, sizeof why) == 0) {
        bk_list_free(&l);
        fail_msg("accepted: %.200s", text);
    }
}

static void parse_data(const char *name, bk_format want, int naive_offset, bk_list *l)
{
    char path[PATH_MAX];
    char *text;
    snprintf(path, sizeof path, "%s/%s", fx_data_dir(), name);
    text = fx_slurp(path, NULL);
    assert_non_null(text);
    parse_ok(text, want, naive_offset, l);
    free(text);
}

/* ---- times --------------------------------------------------------------------------- */

static void test_time(void **state)
{
    char buf[40];
    int off;
    int64_t d;
    (void)state;
    assert_int_equal(t_ok("1970-01-01T00:00:00Z", 0, 0), 0);
    assert_int_equal(t_ok("2025-06-10T09:00:00Z", 0, 0), NOW_20250610_0900);
    assert_int_equal(t_ok("2025-06-10T11:00:00+02:00", 0, 0), NOW_20250610_0900);
    assert_int_equal(t_ok("2025-06-10T04:30:00.123456789-04:30", 0, 0), NOW_20250610_0900);
    assert_int_equal(t_ok("2025-06-10t09:00:00z", 0, 0), NOW_20250610_0900);
    /* borg 1.x: no zone, read with the given offset */
    assert_int_equal(t_ok("2025-06-10T11:00:00.000000", 1, 7200), NOW_20250610_0900);
    assert_int_equal(t_ok("2025-06-10T09:00:00", 1, 0), NOW_20250610_0900);
    assert_int_equal(t_ok("2024-02-29T00:00:00Z", 0, 0), 1709164800);
    assert_int_equal(t_ok("1969-12-31T23:59:59Z", 0, 0), -1);
    assert_int_equal(t_ok("0001-01-01T00:00:00Z", 0, 0), INT64_C(-62135596800)); /* Go's zero time */
    assert_int_equal(t_ok("2025-06-10 09:00:00Z", 0, 0), NOW_20250610_0900);
    t_bad("2025-06-10T09:00:00", 0, "missing timezone");
    t_bad("2025-02-29T00:00:00Z", 0, "day out of range");
    t_bad("2025-13-01T00:00:00Z", 0, "month out of range");
    t_bad("2025-06-10T09:00:00.Z", 0, "digits after '.'");
    t_bad("2025-06-10T09:00:00+2:00", 0, "offset");
    t_bad("2025-06-10T09:00:00Zjunk", 0, "trailing");
    t_bad("", 0, NULL);
    t_bad(NULL, 0, NULL);
    t_bad("+12025-06-10T09:00:00Z", 0, NULL);

    assert_int_equal(rg_time_offset_parse("UTC", &off), 0);
    assert_int_equal(off, 0);
    assert_int_equal(rg_time_offset_parse("-05:30", &off), 0);
    assert_int_equal(off, -19800);
    assert_int_equal(rg_time_offset_parse("+24:00", &off), -1);
    assert_int_equal(rg_time_offset_parse("Europe/Berlin", &off), -1);

    assert_int_equal(bk_duration_parse("24h", &d), 0);
    assert_int_equal(d, 86400);
    assert_int_equal(bk_duration_parse("1h30m", &d), 0);
    assert_int_equal(d, 5400);
    assert_int_equal(bk_duration_parse("7d", &d), 0);
    assert_int_equal(d, 604800);
    assert_int_equal(bk_duration_parse("3600", &d), 0);
    assert_int_equal(d, 3600);
    assert_int_equal(bk_duration_parse("h", &d), -1);
    assert_int_equal(bk_duration_parse("-1h", &d), -1);
    assert_int_equal(bk_duration_parse("99999999999999999999h", &d), -1);

    bk_time_format(NOW_20250610_0900, buf, sizeof buf);
    assert_string_equal(buf, "2025-06-10T09:00:00Z");
    bk_time_format(-1, buf, sizeof buf);
    assert_string_equal(buf, "1969-12-31T23:59:59Z");
    bk_duration_format(86400, buf, sizeof buf);
    assert_string_equal(buf, "24h");
    bk_duration_format(7 * 86400, buf, sizeof buf);
    assert_string_equal(buf, "7d");
    bk_duration_format(90, buf, sizeof buf);
    assert_string_equal(buf, "90s");
}

/* ---- magic and cleaning ------------------------------------------------------------- */

static void test_magic(void **state)
{
    unsigned char tar[512];
    (void)state;
    assert_string_equal(bk_magic_detect((const unsigned char *)"\x1f\x8b\x08\x00", 4), "gzip");
    assert_string_equal(bk_magic_detect((const unsigned char *)"\x28\xb5\x2f\xfd\x00", 5), "zstd");
    /* skippable frames first (pzstd's), then the frame that says which (real round 37, F03) */
    assert_string_equal(bk_magic_detect((const unsigned char *)"\x50\x2a\x4d\x18\x04\0\0\0abcd\x28\xb5\x2f\xfd", 16),
                        "zstd");
    assert_string_equal(bk_magic_detect((const unsigned char *)"\x5f\x2a\x4d\x18\0\0\0\0\x04\x22\x4d\x18", 12), "lz4");
    assert_null(bk_magic_detect((const unsigned char *)"\x50\x2a\x4d\x18\x04\0\0\0abcd{\"a\":1}", 17));
    assert_null(bk_magic_detect((const unsigned char *)"\x50\x2a\x4d\x18\xff\xff\xff\xff\x28\xb5\x2f\xfd", 12));
    assert_string_equal(bk_magic_detect((const unsigned char *)"\xfd" "7zXZ\x00\x00", 7), "xz");
    assert_string_equal(bk_magic_detect((const unsigned char *)"BZh91AY", 7), "bzip2");
    assert_string_equal(bk_magic_detect((const unsigned char *)"PGDMP\x01", 6), "pg_dump custom");
    assert_string_equal(bk_magic_detect((const unsigned char *)"SQLite format 3\0", 16), "sqlite");
    assert_string_equal(bk_magic_detect((const unsigned char *)"--\n-- PostgreSQL database dump\n--\n", 34),
                        "pg_dump sql");
    assert_string_equal(bk_magic_detect((const unsigned char *)"-- MySQL dump 10.13  Distrib\n", 29),
                        "mysqldump sql");
    memset(tar, 0, sizeof tar);
    memcpy(tar, "backup.sql", 10);
    memcpy(tar + 257, "ustar", 5);
    /* "ustar" alone is no tar: a JSON manifest can hold it at byte 257 (round 28, F03) */
    assert_null(bk_magic_detect(tar, sizeof tar));
    {
        unsigned long sum = 0;
        memset(tar + 148, ' ', 8);
        for (size_t i = 0; i < sizeof tar; i++)
            sum += tar[i];
        snprintf((char *)tar + 148, 8, "%06lo", sum);   /* six digits, a NUL, then the space left */
        tar[155] = ' ';
    }
    assert_string_equal(bk_magic_detect(tar, sizeof tar), "tar");
    assert_null(bk_magic_detect(tar, 260)); /* too short to hold the tar magic */
    tar[0] = 'B';   /* the checksum no longer holds */
    assert_null(bk_magic_detect(tar, sizeof tar));
    assert_null(bk_magic_detect((const unsigned char *)"BZh", 3));
    assert_null(bk_magic_detect((const unsigned char *)"BZhello", 7));
    assert_null(bk_magic_detect((const unsigned char *)"{\"snapshots\": []}", 17));
    assert_null(bk_magic_detect((const unsigned char *)"<?xml version=\"1.0\"?>", 21));
    assert_null(bk_magic_detect((const unsigned char *)"", 0));
    assert_null(bk_magic_detect((const unsigned char *)"x -- PostgreSQL database dump", 29));
    /* Real-tool round 35, F01, F02: GNU cpio's default (bin: these are the first bytes of
     * `echo a.txt | cpio -o`, little-endian) and its crc format; age --armor; lz4 -l. */
    {
        static const unsigned char bin[] = "\xc7\x71\x00\xfe\xe1\x40\xa4\x81\x00\x00\x00\x00\x01\x00\x00\x00"
                                           "\x17\x6b\xd6\x06\x06\x00\x00\x00\x06\x00" "a.txt\0" "hello\n";
        unsigned char swapped[sizeof bin], bad[sizeof bin];
        for (size_t i = 0; i + 1 < 26; i += 2) {   /* the same header written big-endian */
            swapped[i] = bin[i + 1];
            swapped[i + 1] = bin[i];
        }
        memcpy(swapped + 26, bin + 26, sizeof bin - 26);
        assert_string_equal(bk_magic_detect(bin, sizeof bin - 1), "cpio");
        assert_string_equal(bk_magic_detect(swapped, sizeof bin - 1), "cpio");
        memcpy(bad, bin, sizeof bin);
        bad[7] = 0xf1;   /* a mode naming no file type */
        assert_null(bk_magic_detect(bad, sizeof bin - 1));
        memcpy(bad, bin, sizeof bin);
        bad[31] = 'x';   /* the name not ending in its NUL */
        assert_null(bk_magic_detect(bad, sizeof bin - 1));
        assert_null(bk_magic_detect(bin, 27));   /* cut before its name ends */
        static const char text[] = "\xc7\x71 two bytes of a magic, then text";
        assert_null(bk_magic_detect((const unsigned char *)text, sizeof text - 1));
    }
    assert_string_equal(bk_magic_detect((const unsigned char *)"07070200000000", 14), "cpio");
    assert_string_equal(bk_magic_detect((const unsigned char *)"-----BEGIN AGE ENCRYPTED FILE-----\nYWdl", 40), "age");
    assert_string_equal(bk_magic_detect((const unsigned char *)"\x02\x21\x4c\x18\x10\x00\x00\x00", 8), "lz4");
}

static void test_clean(void **state)
{
    char buf[16];
    (void)state;
    assert_string_equal(bk_clean(buf, sizeof buf, "ok"), "ok");
    assert_string_equal(bk_clean(buf, sizeof buf, "a\nb\tc"), "a?b?c");
    assert_string_equal(bk_clean(buf, sizeof buf, "0123456789abcdefghij"), "0123456789ab...");
    assert_string_equal(bk_clean(buf, sizeof buf, "\xff\xfe"), "??");        /* not UTF-8 */
    assert_string_equal(bk_clean(buf, sizeof buf, "\xc3\xa9t\xc3\xa9"), "\xc3\xa9t\xc3\xa9");
    assert_string_equal(bk_clean(buf, sizeof buf, "\xed\xa0\x80"), "???");   /* a surrogate */
    /* a cut never splits a character */
    assert_string_equal(bk_clean(buf, sizeof buf, "0123456789\xe2\x82\xac\xe2\x82\xac"), "0123456789...");
    assert_string_equal(bk_clean(buf, sizeof buf, NULL), "");
}

/* ---- detection -------------------------------------------------------------------------- */

static void test_detect(void **state)
{
    static const struct { const char *json; bk_format f; } cases[] = {
        {"{\"format\": \"relgate-backup-manifest/1\", \"snapshots\": []}", BK_MANIFEST},
        {"{\"format\": \"relgate-backup-manifest/2\"}", BK_MANIFEST}, /* then refused as a version */
        {"{\"snapshots\": []}", BK_MANIFEST},
        {"{\"snapshots\": [{\"id\": \"a\", \"status\": \"failed\"}]}", BK_MANIFEST},
        {"{\"snapshots\": [{\"id\": \"a\"}]}", BK_AUTO},
        {"{\"format\": \"sarif\", \"snapshots\": []}", BK_AUTO},
        {"[{\"time\": \"x\", \"tree\": \"y\", \"paths\": []}]", BK_RESTIC},
        {"[{\"group_key\": {}, \"snapshots\": []}]", BK_RESTIC},
        {"[]", BK_AUTO},
        {"[1]", BK_AUTO},
        {"{\"archives\": [], \"repository\": {}}", BK_BORG},
        {"{\"archives\": [], \"encryption\": {\"mode\": \"none\"}}", BK_BORG},
        {"{\"archives\": []}", BK_AUTO},
        {"{\"runs\": []}", BK_AUTO},
        {"null", BK_AUTO},
    };
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cJSON *root = cJSON_Parse(cases[i].json);
        assert_non_null(root);
        if (bk_json_detect(root) != cases[i].f)
            fail_msg("%s: detected %s", cases[i].json, bk_format_name(bk_json_detect(root)));
        cJSON_Delete(root);
    }
}

static void test_unrecognised(void **state)
{
    (void)state;
    parse_bad("", 0, BK_AUTO, 1, "empty");
    parse_bad(" \n\t", 3, BK_AUTO, 1, "empty");
    parse_bad("hello", 5, BK_AUTO, 1, "not a JSON");
    parse_bad("{\"runs\": [], \"version\": \"2.1.0\"}", 32, BK_AUTO, 1, "keys \"runs\", \"version\"");
    parse_bad("[]", 2, BK_AUTO, 1, "list of 0 items");
    parse_bad("{\"format\": 1, \"snapshots\": []}", 30, BK_AUTO, 1, "keys \"format\", \"snapshots\"");
    parse_bad("{\"format\": 1, \"snapshots\": []}", 30, BK_MANIFEST, 0, "not a string");
    parse_bad("{\"snapshots\":\x01[]}", 17, BK_AUTO, 1, "control character 0x01 at byte 13");
    parse_bad("[1, 2]", 6, BK_AUTO, 1, "not objects");
    parse_bad("{\"a\": 1", 7, BK_AUTO, 1, "well-formed");
    parse_bad("{} {}", 5, BK_AUTO, 1, "data after");
    parse_bad("{\"snapshots\": []}\n{\"snapshots\": []}", 35, BK_AUTO, 1, "data after");
    /* forced formats: malformed, not unrecognised */
    parse_bad("{\"runs\": []}", 12, BK_MANIFEST, 0, "\"snapshots\" must be a list");
    parse_bad("[]", 2, BK_MANIFEST, 0, "JSON object");
    parse_bad("{}", 2, BK_RESTIC, 0, "writes a list");
    parse_bad("[]", 2, BK_BORG, 0, "writes an object");
    parse_bad("hello", 5, BK_RESTIC, 0, "not a JSON");
    /* NUL inside the document */
    parse_bad("{\"snapshots\": [\0]}", 18, BK_AUTO, 1, "control character 0x00 at byte 15");
}

/* ---- the manifest ------------------------------------------------------------------------ */

static void test_manifest_file(void **state)
{
    bk_list l;
    (void)state;
    /* tests/data/manifest-ok.json: 2 completed, 1 failed, 1 running (by hand) */
    parse_data("manifest-ok.json", BK_AUTO, 0, &l);
    assert_int_equal(l.format, BK_MANIFEST);
    assert_string_equal(l.variant, "relgate-backup-manifest/1");
    assert_int_equal(l.count, 4);
    assert_string_equal(l.items[1].id, "db-20250610-0200");
    assert_int_equal(l.items[1].status, BK_COMPLETED);
    assert_int_equal(l.items[1].time, 1749514509); /* 02:15:09+02:00 */
    assert_true(l.items[1].time_is_end);
    assert_int_equal(l.items[1].size, 67);
    assert_int_equal(l.items[1].restore_verified, 0);
    assert_string_equal(l.items[1].file, "dumps/db-20250610.dump.gz");
    assert_string_equal(l.items[1].hostname, "db-1");
    assert_int_equal(l.items[1].path_count, 1);
    assert_int_equal(l.items[0].restore_verified, 1);
    assert_int_equal(l.items[2].status, BK_FAILED);
    assert_false(l.items[2].time_is_end);
    assert_int_equal(l.items[3].status, BK_RUNNING);
    assert_null(l.items[3].paths);
    bk_list_free(&l);

    parse_data("manifest-no-format.json", BK_AUTO, 0, &l);
    assert_int_equal(l.format, BK_MANIFEST);
    assert_non_null(strstr(l.variant, "no \"format\""));
    assert_int_equal(l.count, 2);
    assert_int_equal(l.items[1].size, 0);
    bk_list_free(&l);
}

/* The peers' manifest, read in place (../shared/peers/inputs): 4 snapshots, the newest
 * (snap-20250610-0800-adhoc) failed; checked by hand with jq. */
static void test_manifest_peers(void **state)
{
    const char *dir = getenv("RG_PEERS_DIR");
    char path[PATH_MAX], *text = NULL;
    bk_list l;
    (void)state;
    snprintf(path, sizeof path, "%s/inputs/backup-manifest.json", dir ? dir : "");
    if (!dir || !(text = fx_slurp(path, NULL)))
        skip();
    parse_ok(text, BK_AUTO, 0, &l);
    free(text);
    assert_int_equal(l.format, BK_MANIFEST);
    assert_int_equal(l.count, 4);
    assert_int_equal(l.items[3].status, BK_FAILED);
    assert_string_equal(l.items[2].id, "snap-20250610-0200");
    assert_int_equal(l.items[2].time, t_ok("2025-06-10T02:15:09Z", 0, 0));
    assert_int_equal(l.items[2].size, INT64_C(48402313216));
    assert_int_equal(l.items[2].restore_verified, 1);
    bk_list_free(&l);
}

static void test_manifest_malformed(void **state)
{
    static const struct { const char *json; const char *reason; } cases[] = {
        {"{\"format\": \"relgate-backup-manifest/2\", \"snapshots\": []}", "this plugin reads"},
        {"{\"format\": \"relgate-backup-manifest/1\"}", "\"snapshots\" must be a list"},
        {"{\"snapshots\": {}}", "must be a list"},
        {"{\"snapshots\": [], \"snapshots\": []}", "twice"},
        {"{\"snapshots\": [1]}", "snapshots[0]: not an object"},
        {"{\"snapshots\": [{\"status\": \"completed\"}]}", "\"id\" must be"},
        {"{\"snapshots\": [{\"id\": \"\", \"status\": \"completed\"}]}", "\"id\" must be"},
        {"{\"snapshots\": [{\"id\": 7, \"status\": \"completed\"}]}", "\"id\" must be"},
        {"{\"snapshots\": [{\"id\": \"a\", \"status\": \"ok\"}]}", "\"status\" must be"},
        {"{\"snapshots\": [{\"id\": \"a\", \"status\": \"completed\", \"status\": \"failed\"}]}", "twice"},
        {"{\"snapshots\": [{\"id\": \"a\", \"status\": \"completed\", \"size_bytes\": 1}]}", "needs \"completed_at\""},
        {"{\"snapshots\": [{\"id\": \"a\", \"status\": \"completed\", \"completed_at\": \"2025-06-10T02:00:00Z\"}]}", "needs \"size_bytes\""},
        {"{\"snapshots\": [{\"id\": \"a\", \"status\": \"completed\", \"completed_at\": \"2025-06-10T02:00:00\", \"size_bytes\": 1}]}", "RFC 3339"},
        {"{\"snapshots\": [{\"id\": \"a\", \"status\": \"completed\", \"completed_at\": 1749520800, \"size_bytes\": 1}]}", "RFC 3339"},
        {"{\"snapshots\": [{\"id\": \"a\", \"status\": \"completed\", \"started_at\": \"2025-06-10T03:00:00Z\", \"completed_at\": \"2025-06-10T02:00:00Z\", \"size_bytes\": 1}]}", "before"},
        {"{\"snapshots\": [{\"id\": \"a\", \"status\": \"completed\", \"completed_at\": \"2025-06-10T02:00:00Z\", \"size_bytes\": \"12\"}]}", "whole number"},
        {"{\"snapshots\": [{\"id\": \"a\", \"status\": \"completed\", \"completed_at\": \"2025-06-10T02:00:00Z\", \"size_bytes\": -1}]}", "whole number"},
        {"{\"snapshots\": [{\"id\": \"a\", \"status\": \"completed\", \"completed_at\": \"2025-06-10T02:00:00Z\", \"size_bytes\": 1.5}]}", "whole number"},
        {"{\"snapshots\": [{\"id\": \"a\", \"status\": \"completed\", \"completed_at\": \"2025-06-10T02:00:00Z\", \"size_bytes\": 1e400}]}", "whole number"},
        {"{\"snapshots\": [{\"id\": \"a\", \"status\": \"completed\", \"completed_at\": \"2025-06-10T02:00:00Z\", \"size_bytes\": 9007199254740993}]}", "whole number"},
        {"{\"snapshots\": [{\"id\": \"a\", \"status\": \"completed\", \"completed_at\": \"2025-06-10T02:00:00Z\", \"size_bytes\": 1, \"sha256\": \"abc\"}]}", "64 hex"},
        {"{\"snapshots\": [{\"id\": \"a\", \"status\": \"completed\", \"completed_at\": \"2025-06-10T02:00:00Z\", \"size_bytes\": 1, \"file\": \"/etc/passwd\"}]}", "relative path"},
        {"{\"snapshots\": [{\"id\": \"a\", \"status\": \"completed\", \"completed_at\": \"2025-06-10T02:00:00Z\", \"size_bytes\": 1, \"file\": \"a/../../x\"}]}", "relative path"},
        {"{\"snapshots\": [{\"id\": \"a\", \"status\": \"completed\", \"completed_at\": \"2025-06-10T02:00:00Z\", \"size_bytes\": 1, \"file\": 3}]}", "relative path"},
        {"{\"snapshots\": [{\"id\": \"a\", \"status\": \"completed\", \"completed_at\": \"2025-06-10T02:00:00Z\", \"size_bytes\": 1, \"restore_verified\": \"yes\"}]}", "restore_verified"},
        {"{\"snapshots\": [{\"id\": \"a\", \"status\": \"completed\", \"completed_at\": \"2025-06-10T02:00:00Z\", \"size_bytes\": 1, \"hostname\": []}]}", "hostname"},
        {"{\"snapshots\": [{\"id\": \"a\", \"status\": \"completed\", \"completed_at\": \"2025-06-10T02:00:00Z\", \"size_bytes\": 1, \"paths\": [1]}]}", "paths"},
        {"{\"snapshots\": [{\"id\": \"a\", \"status\": \"completed\", \"completed_at\": \"2025-06-10T02:00:00Z\", \"size_bytes\": 1, \"paths\": \"/x\"}]}", "paths"},
        {"{\"snapshots\": [{\"id\": \"a\", \"status\": \"failed\", \"started_at\": \"yesterday\"}]}", "started_at"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        /* forced: malformed, with the reason; detected: refused either way */
        parse_bad(cases[i].json, strlen(cases[i].json), BK_MANIFEST, 0, cases[i].reason);
        parse_refused(cases[i].json);
    }
}

/* ---- restic ------------------------------------------------------------------------------ */

static void test_restic_captured(void **state)
{
    bk_list l;
    (void)state;
    /* restic 0.14 output (tests/data/README.md): 5 snapshots, no summaries */
    parse_data("restic-0.14-snapshots.json", BK_AUTO, 0, &l);
    assert_int_equal(l.format, BK_RESTIC);
    assert_string_equal(l.variant, "restic snapshots --json");
    assert_int_equal(l.count, 5);
    assert_string_equal(l.items[0].hostname, "db-1");
    assert_int_equal(l.items[0].status, BK_COMPLETED);
    assert_false(l.items[0].has_size);
    assert_false(l.items[0].time_is_end);
    assert_non_null(l.items[0].note);
    assert_int_equal(l.items[0].restore_verified, -1);
    /* restic records only --exclude patterns, so every snapshot may have excluded below
     * its paths unseen (round 28, F01) */
    for (size_t i = 0; i < l.count; i++)
        assert_true(l.items[i].excludes);
    assert_string_equal(l.items[3].paths[0], "/tmp/rgbk/srv");
    assert_int_equal(l.items[4].time, 1749529800); /* 06:30+02:00 = 04:30Z */
    bk_list_free(&l);

    parse_data("restic-0.14-group-by-host.json", BK_AUTO, 0, &l);
    assert_int_equal(l.format, BK_RESTIC);
    assert_string_equal(l.variant, "restic snapshots --json --group-by");
    assert_int_equal(l.count, 5);
    bk_list_free(&l);

    parse_data("restic-0.17-summary.json", BK_AUTO, 0, &l);
    assert_int_equal(l.count, 2);
    assert_true(l.items[0].time_is_end);
    assert_string_equal(l.items[0].time_kind, "summary.backup_end");
    assert_int_equal(l.items[0].time, t_ok("2025-06-10T00:12:41Z", 0, 0));
    assert_int_equal(l.items[0].size, INT64_C(8589934592));
    assert_int_equal(l.items[1].size, 0);
    assert_null(l.items[0].note);
    bk_list_free(&l);
}

static void test_restic_malformed(void **state)
{
    static const struct { const char *json; const char *reason; } cases[] = {
        {"[{\"time\": \"2025-06-10T02:00:00Z\", \"tree\": \"t\", \"paths\": []}]", "\"id\""},
        {"[{\"time\": \"2025-06-10T02:00:00Z\", \"tree\": \"t\", \"paths\": [], \"id\": 5}]", "\"id\""},
        {"[{\"time\": \"2025-06-10T02:00:00\", \"tree\": \"t\", \"paths\": [], \"id\": \"a\"}]", "RFC 3339"},
        {"[{\"time\": \"2025-06-10T02:00:00Z\", \"tree\": 1, \"paths\": [], \"id\": \"a\"}]", "\"tree\""},
        {"[{\"time\": \"2025-06-10T02:00:00Z\", \"tree\": \"t\", \"paths\": [1], \"id\": \"a\"}]", "\"paths\""},
        {"[{\"time\": \"2025-06-10T02:00:00Z\", \"tree\": \"t\", \"paths\": {}, \"id\": \"a\"}]", "\"paths\""},
        {"[{\"time\": \"2025-06-10T02:00:00Z\", \"tree\": \"t\", \"paths\": [], \"id\": \"a\", \"hostname\": 3}]", "hostname"},
        {"[{\"time\": \"2025-06-10T02:00:00Z\", \"tree\": \"t\", \"paths\": [], \"id\": \"a\", \"summary\": 1}]", "summary"},
        {"[{\"time\": \"2025-06-10T02:00:00Z\", \"tree\": \"t\", \"paths\": [], \"id\": \"a\", \"summary\": {\"backup_end\": \"soon\"}}]", "backup_end"},
        {"[{\"time\": \"2025-06-10T02:00:00Z\", \"tree\": \"t\", \"paths\": [], \"id\": \"a\", \"summary\": {\"total_bytes_processed\": -5}}]", "byte count"},
        {"[{\"time\": \"2025-06-10T02:00:00Z\", \"tree\": \"t\", \"paths\": [], \"id\": \"a\", \"excludes\": \"x\"}]", "excludes"},
        {"[{\"time\": \"2025-06-10T02:00:00Z\", \"tree\": \"t\", \"paths\": [], \"id\": \"a\", \"id\": \"b\"}]", "twice"},
        {"[{\"time\": \"2025-06-10T02:00:00Z\", \"tree\": \"t\", \"paths\": [], \"id\": \"a\"}, 7]", "[1]: not an object"},
        {"[{\"group_key\": {}, \"snapshots\": 3}]", "group"},
        {"[{\"group_key\": {}, \"snapshots\": [{\"time\": 1}]}]", "[0].snapshots[0]"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        parse_bad(cases[i].json, strlen(cases[i].json), BK_AUTO, 0, cases[i].reason);
}

static void test_restic_zero_backup_end(void **state)
{
    /* Go's zero time as backup_end (a summary without it) must not make the snapshot ancient */
    const char *json = "[{\"time\": \"2025-06-10T02:00:00Z\", \"tree\": \"t\", \"paths\": [\"/srv\"], \"id\": \"a\","
                       " \"summary\": {\"backup_end\": \"0001-01-01T00:00:00Z\", \"total_bytes_processed\": 10}}]";
    bk_list l;
    (void)state;
    parse_ok(json, BK_AUTO, 0, &l);
    assert_int_equal(l.items[0].time, t_ok("2025-06-10T02:00:00Z", 0, 0));
    assert_false(l.items[0].time_is_end);
    assert_int_equal(l.items[0].size, 10);
    bk_list_free(&l);
}

/* ---- borg -------------------------------------------------------------------------------- */

static void test_borg_captured(void **state)
{
    bk_list l;
    (void)state;
    /* borg 1.2 list under TZ=UTC (tests/data/README.md): 3 archives, the checkpoint hidden */
    parse_data("borg-1.2-list-utc.json", BK_AUTO, 0, &l);
    assert_int_equal(l.format, BK_BORG);
    assert_string_equal(l.variant, "borg list --json");
    assert_string_equal(l.location, "/tmp/rgbk/borg");
    assert_int_equal(l.count, 3);
    assert_string_equal(l.items[1].id, "db-2025-06-10");
    assert_int_equal(l.items[1].time, t_ok("2025-06-10T02:00:00Z", 0, 0));
    assert_string_equal(l.items[1].time_kind, "time");
    assert_false(l.items[1].has_size);
    assert_false(l.items[1].has_paths);
    assert_null(l.items[1].hostname);
    bk_list_free(&l);

    /* the same repository listed under TZ=Europe/Berlin: read with +02:00 it agrees */
    parse_data("borg-1.2-list-berlin.json", BK_AUTO, 7200, &l);
    assert_int_equal(l.items[1].time, t_ok("2025-06-10T02:00:00Z", 0, 0));
    bk_list_free(&l);

    parse_data("borg-1.2-list-checkpoints.json", BK_AUTO, 0, &l);
    assert_int_equal(l.count, 4);
    assert_string_equal(l.items[3].id, "db-2025-06-10T05.checkpoint");
    assert_int_equal(l.items[3].status, BK_INCOMPLETE);
    bk_list_free(&l);

    parse_data("borg-1.2-info.json", BK_AUTO, 0, &l);
    assert_string_equal(l.variant, "borg info --json");
    assert_int_equal(l.count, 4);
    assert_true(l.items[0].time_is_end);
    assert_string_equal(l.items[0].time_kind, "end");
    assert_int_equal(l.items[0].size, 3008);
    assert_int_equal(l.items[2].size, 3007);
    assert_string_equal(l.items[0].hostname, "vm");
    assert_true(l.items[0].has_paths);
    assert_int_equal(l.items[0].path_count, 1);
    assert_string_equal(l.items[0].paths[0], "/tmp/rgbk/srv/db");
    assert_false(l.items[0].excludes); /* --timestamp leaves the content alone */
    assert_true(l.items[2].excludes);  /* --exclude */
    assert_int_equal(l.items[3].status, BK_INCOMPLETE);
    bk_list_free(&l);
}

static void test_borg_command_lines(void **state)
{
    static const struct { const char *cl; int has_paths; int excludes; size_t n; } cases[] = {
        {"[\"borg\", \"create\", \"r::a\", \"/srv\", \"/etc\"]", 1, 0, 2},
        {"[\"borg\", \"create\", \"--stats\", \"--compression=lz4\", \"r::a\", \"/srv\"]", 1, 0, 1},
        {"[\"borg\", \"create\", \"-x\", \"r::a\", \"/srv\"]", 1, 1, 1},
        {"[\"borg\", \"create\", \"r::a\", \"/srv\", \"--exclude\", \"/srv/db\"]", 0, 1, 0},
        {"[\"borg\", \"create\", \"--paths-from-stdin\", \"r::a\"]", 0, 0, 0},
        {"[\"borg\", \"create\", \"--pattern=R /srv\", \"r::a\"]", 0, 0, 0},
        /* shortenings argparse takes: the words after the archive are a command (round 29, F01) */
        {"[\"borg\", \"create\", \"--content-from-comm\", \"r::a\", \"/bin/echo\", \"/srv\"]", 0, 0, 0},
        {"[\"borg\", \"create\", \"--paths-from-comm\", \"r::a\", \"printf\", \"/srv\"]", 0, 0, 0},
        {"[\"borg\", \"create\", \"--frobnicate\", \"r::a\", \"/srv\"]", 0, 1, 0},   /* unknown: borg 1 too */
        {"[\"borg\", \"-r\", \"repo\", \"create\", \"a\", \"/srv\"]", 0, 0, 0}, /* borg 2 words in a list */
        {"[]", 0, 0, 0},
        /* borg 2: one string, shlex.join of the words; NAME has no "::" */
        {"\"/usr/bin/borg2 create arch1 b2/data\"", 1, 0, 1},
        {"\"borg2 -r /srv/repo create --compression lz4 --comment 'nightly run' db-1 /srv '/my dir'\"", 1, 0, 2},
        {"\"borg2 --repo=/r create --stats db-1 /srv\"", 1, 0, 1},
        {"\"borg2 create -e '*.tmp' db-1 /srv\"", 1, 1, 1},
        {"\"borg2 create --one-file-system db-1 /srv\"", 1, 1, 1},
        {"\"borg2 create --frobnicate db-1 /srv\"", 0, 1, 0},   /* might take a value: unknown */
        {"\"borg2 create db-1 /srv --exclude /srv/db\"", 0, 1, 0},
        {"\"borg2 create db-1 '/srv\"", 0, 0, 0},                 /* an open quote */
        {"\"borg2 create --paths-from-stdin db-1\"", 0, 0, 0},
        {"\"borg2 rlist\"", 0, 0, 0},
        {"\"\"", 0, 0, 0},
    };
    char json[512];
    bk_list l;
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(json, sizeof json,
                 "{\"archives\": [{\"name\": \"a\", \"id\": \"x\", \"start\": \"2025-06-10T02:00:00.000000\","
                 " \"end\": \"2025-06-10T02:01:00.000000\", \"command_line\": %s}], \"repository\": {}}",
                 cases[i].cl);
        parse_ok(json, BK_AUTO, 0, &l);
        if (l.items[0].has_paths != cases[i].has_paths || l.items[0].excludes != cases[i].excludes ||
            l.items[0].path_count != cases[i].n)
            fail_msg("%s: has_paths %d excludes %d n %zu", cases[i].cl, l.items[0].has_paths,
                     l.items[0].excludes, l.items[0].path_count);
        if (!cases[i].has_paths)
            assert_non_null(l.items[0].paths_why);
        if (i == 12) {   /* quoted words come back as the shell would read them */
            assert_string_equal(l.items[0].paths[0], "/srv");
            assert_string_equal(l.items[0].paths[1], "/my dir");
        }
        bk_list_free(&l);
    }
}

static void test_borg_malformed(void **state)
{
    static const struct { const char *json; const char *reason; } cases[] = {
        {"{\"archives\": {}, \"repository\": {}}", NULL}, /* not detected: no list */
        {"{\"archives\": [1], \"repository\": {}}", "not an object"},
        {"{\"archives\": [{\"id\": \"x\", \"time\": \"2025-06-10T02:00:00\"}], \"repository\": {}}", "\"name\""},
        {"{\"archives\": [{\"name\": \"a\", \"time\": \"2025-06-10T02:00:00\"}], \"repository\": {}}", "\"id\""},
        {"{\"archives\": [{\"name\": \"a\", \"id\": \"x\"}], \"repository\": {}}", "no \"end\""},
        {"{\"archives\": [{\"name\": \"a\", \"id\": \"x\", \"time\": \"Tue, 2025-06-10 02:00:00\"}], \"repository\": {}}", "not a time"},
        {"{\"archives\": [{\"name\": \"a\", \"id\": \"x\", \"time\": \"2025-06-10T02:00:00\", \"stats\": []}], \"repository\": {}}", "stats"},
        {"{\"archives\": [{\"name\": \"a\", \"id\": \"x\", \"time\": \"2025-06-10T02:00:00\", \"stats\": {\"original_size\": \"1\"}}], \"repository\": {}}", "original_size"},
        {"{\"archives\": [{\"name\": \"a\", \"id\": \"x\", \"time\": \"2025-06-10T02:00:00\", \"command_line\": {}}], \"repository\": {}}", "command_line"},
        {"{\"archives\": [{\"name\": \"a\", \"id\": \"x\", \"time\": \"2025-06-10T02:00:00\", \"command_line\": [1]}], \"repository\": {}}", "command_line"},
        {"{\"archives\": [{\"name\": \"a\", \"id\": \"x\", \"time\": \"2025-06-10T02:00:00\", \"hostname\": 1}], \"repository\": {}}", "hostname"},
        {"{\"archives\": [], \"archives\": [], \"repository\": {}}", "twice"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        parse_bad(cases[i].json, strlen(cases[i].json), BK_AUTO, i == 0, cases[i].reason);
    /* borg 2 writes an offset, which wins over the naive one */
    {
        bk_list l;
        parse_ok("{\"archives\": [{\"name\": \"a\", \"id\": \"x\", \"time\": \"2025-06-10T02:00:00.123456+00:00\"}],"
                 " \"repository\": {}}", BK_AUTO, 7200, &l);
        assert_int_equal(l.items[0].time, t_ok("2025-06-10T02:00:00Z", 0, 0));
        bk_list_free(&l);
    }
}

/* ---- pg_dump's custom archive ------------------------------------------------------------ */

static const char *const PG_DUMPS[] = {
    "dumps/pg_dump-15-custom.dump",        /* pg_dump -Fc -f FILE: data offsets set */
    "dumps/pg_dump-15-custom-pipe.dump",   /* pg_dump -Fc | cat >FILE: none set */
    "dumps/pg_dump-15-custom-schema.dump", /* --schema-only: no data */
    "dumps/pg_dump-15-custom-as-1.16.dump",
    "dumps/pg_dump-15-custom-pipe-as-1.16.dump",
};

static int open_data(const char *name, off_t *size)
{
    char path[PATH_MAX];
    FILE *f;
    int fd;
    snprintf(path, sizeof path, "%s/%s", fx_data_dir(), name);
    f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(fseeko(f, 0, SEEK_END), 0);
    *size = ftello(f);
    fd = dup(fileno(f));
    fclose(f);
    assert_true(fd >= 0);
    return fd;
}

/* What bk_pgdump_finished says of the first SIZE bytes of FD ("" when finished). */
static const char *pgdump_verdict(int fd, off_t size, char *unfinished, size_t n)
{
    char why[256] = "";
    if (bk_pgdump_finished(fd, size, unfinished, n, why, sizeof why) != 0)
        fail_msg("cannot judge: %s", why);
    return unfinished;
}

/* Every real archive is finished, and every shorter prefix of it -- what a pg_dump
 * killed there leaves, whether its output could seek or not -- is not (real round 37,
 * F02: a killed pg_dump -Fc passed). */
static void test_pgdump_prefixes(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof PG_DUMPS / sizeof PG_DUMPS[0]; i++) {
        char unfinished[200];
        off_t size;
        int fd = open_data(PG_DUMPS[i], &size);
        assert_string_equal(pgdump_verdict(fd, size, unfinished, sizeof unfinished), "");
        for (off_t cut = 5; cut < size; cut++)
            if (!pgdump_verdict(fd, cut, unfinished, sizeof unfinished)[0])
                fail_msg("%s cut at %lld of %lld bytes: taken as finished", PG_DUMPS[i], (long long)cut,
                         (long long)size);
        assert_non_null(strstr(pgdump_verdict(fd, 30, unfinished, sizeof unfinished), "ends inside its header"));
        assert_non_null(strstr(pgdump_verdict(fd, 400, unfinished, sizeof unfinished),
                               "ends inside its table of contents: pg_dump did not finish it"));
        close(fd);
    }
}

/* An archive whose bytes were changed: a data offset moved, bytes after the last block,
 * a layout newer than the one read (not judged: its presence decides, as before). */
static void test_pgdump_altered(void **state)
{
    off_t size;
    int fd = open_data(PG_DUMPS[0], &size);
    unsigned char *bytes = malloc((size_t)size + 1);
    char unfinished[200];
    FILE *f = tmpfile();
    (void)state;
    assert_non_null(bytes);
    assert_non_null(f);
    assert_int_equal(pread(fd, bytes, (size_t)size, 0), size);
    close(fd);
    fd = fileno(f);
    /* one byte more at the end */
    bytes[size] = 0;
    assert_int_equal(pwrite(fd, bytes, (size_t)size + 1, 0), size + 1);
    assert_non_null(strstr(pgdump_verdict(fd, size + 1, unfinished, sizeof unfinished),
                           "does not hold together (bytes after its last data block)"));
    /* the first set offset one byte on: flag 2, then 8 offset bytes */
    for (off_t at = 0; at + 9 < size; at++) {
        if (bytes[at] == 2 && bytes[at + 1] != 0 && memcmp(bytes + at + 3, "\0\0\0\0\0\0", 6) == 0) {
            bytes[at + 1]++;
            break;
        }
    }
    assert_int_equal(pwrite(fd, bytes, (size_t)size, 0), size);
    assert_non_null(strstr(pgdump_verdict(fd, size, unfinished, sizeof unfinished),
                           "does not point at its entry's block"));
    /* layout 1.17: not read, not judged */
    bytes[6] = 17;
    assert_int_equal(pwrite(fd, bytes, (size_t)size, 0), size);
    assert_string_equal(pgdump_verdict(fd, 40, unfinished, sizeof unfinished), "");
    fclose(f);
    free(bytes);
}

/* ---- hostile input ---------------------------------------------------------------------- */

static void test_hostile(void **state)
{
    size_t depth = 100000, n = 2 * depth + 64, k = 0;
    char *deep = malloc(n);
    bk_list l;
    (void)state;
    assert_non_null(deep);
    /* nesting far past cJSON's limit: refused, no stack overflow */
    k += (size_t)sprintf(deep, "{\"snapshots\": ");
    for (size_t i = 0; i < depth; i++)
        deep[k++] = '[';
    for (size_t i = 0; i < depth; i++)
        deep[k++] = ']';
    deep[k++] = '}';
    parse_bad(deep, k, BK_AUTO, 1, "well-formed");
    free(deep);

    /* wrong types in every field of a snapshot */
    parse_text_bad("{\"snapshots\": [{\"id\": {}, \"status\": [], \"completed_at\": {}, \"size_bytes\": {}}]}",
                   "\"id\"");
    parse_text_bad("{\"snapshots\": [{\"id\": \"a\", \"status\": true}]}", "status");
    /* huge numbers */
    parse_text_bad("{\"snapshots\": [{\"id\": \"a\", \"status\": \"completed\", \"completed_at\": \"2025-06-10T02:00:00Z\","
                   " \"size_bytes\": 1e999999}]}", "size_bytes");
    /* many snapshots parse */
    {
        size_t count = 20000, cap = count * 120 + 64, used = 0;
        char *big = malloc(cap);
        assert_non_null(big);
        used += (size_t)snprintf(big, cap, "{\"snapshots\": [");
        for (size_t i = 0; i < count; i++)
            used += (size_t)snprintf(big + used, cap - used,
                                     "%s{\"id\": \"s%zu\", \"status\": \"failed\", \"started_at\": \"2025-06-10T02:00:00Z\"}",
                                     i ? "," : "", i);
        used += (size_t)snprintf(big + used, cap - used, "]}");
        parse_ok(big, BK_AUTO, 0, &l);
        assert_int_equal(l.count, count);
        bk_list_free(&l);
        free(big);
    }
    /* a UTF-8 byte order mark is skipped */
    parse_ok("\xef\xbb\xbf{\"snapshots\": []}", BK_AUTO, 0, &l);
    assert_int_equal(l.count, 0);
    bk_list_free(&l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_time),
        cmocka_unit_test(test_magic),
        cmocka_unit_test(test_clean),
        cmocka_unit_test(test_detect),
        cmocka_unit_test(test_unrecognised),
        cmocka_unit_test(test_manifest_file),
        cmocka_unit_test(test_manifest_peers),
        cmocka_unit_test(test_manifest_malformed),
        cmocka_unit_test(test_restic_captured),
        cmocka_unit_test(test_restic_malformed),
        cmocka_unit_test(test_restic_zero_backup_end),
        cmocka_unit_test(test_borg_captured),
        cmocka_unit_test(test_borg_command_lines),
        cmocka_unit_test(test_borg_malformed),
        cmocka_unit_test(test_pgdump_prefixes),
        cmocka_unit_test(test_pgdump_altered),
        cmocka_unit_test(test_hostile),
    };
    /* test_manifest_peers needs ../shared/peers: run without it when that is absent. */
    const char *needs[sizeof tests / sizeof tests[0]] = {
        [6] = rgt_env_path("RG_PEERS_DIR", "inputs/backup-manifest.json"),
    };
    return rgt_run_with_data("backup parsers", tests, needs, sizeof tests / sizeof tests[0]);
}
