/* backup.present through the plugin's descriptor, on evidence in a temporary release
 * context: every format, every threshold, the parameters, and the fail-closed cases. */
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

#include "support.h"

#define HOUR 3600
#define GZIP_FILE "dumps/db-20250610.dump.gz"
#define GZIP_SHA "a67bba6facf19f6d347bc097b75d193e46e1ebdacb80b39c0a78b8e61e5101cc"

static double age(fixture *fx)
{
    return fx_detail_number(fx, "chosen.age_hours");
}

/* ---- the relgate manifest ------------------------------------------------------------ */

static void test_manifest_pass(void **state)
{
    fixture *fx = *state;
    fx_data(fx, "backup", "manifest-ok.json", "backup/manifest.json");
    fx_run(fx, "{\"backup\": \"backup\"}", NOW_20250610_0900);
    assert_result(fx, RG_CHECK_PASS, "manifest snapshot 'db-20250610-0200' completed 2025-06-10T00:15:09Z, 8.7 h old (max_age 24h), 67 bytes");
    assert_string_equal(fx_detail_string(fx, "format"), "manifest");
    assert_true(cJSON_IsTrue(fx_detail(fx, "format_detected")));
    assert_string_equal(fx_detail_string(fx, "variant"), "relgate-backup-manifest/1");
    assert_string_equal(fx_detail_string(fx, "evidence"), "backup");
    assert_string_equal(fx_detail_string(fx, "max_age"), "24h");
    assert_int_equal(fx_detail_number(fx, "snapshot_count"), 4);
    assert_string_equal(fx_detail_string(fx, "chosen.id"), "db-20250610-0200");
    assert_string_equal(fx_detail_string(fx, "chosen.time"), "2025-06-10T00:15:09Z");
    assert_string_equal(fx_detail_string(fx, "chosen.time_field"), "completed_at");
    assert_string_equal(fx_detail_string(fx, "chosen.time_text"), "2025-06-10T02:15:09+02:00");
    assert_true(age(fx) == 8.75); /* 8 h 44 min 51 s, to 2 decimals */
    assert_int_equal(fx_detail_number(fx, "chosen.size_bytes"), 67);
    assert_string_equal(fx_detail_string(fx, "chosen.status"), "completed");
    /* skipped, newest first: the running one, the failed one, the older completed one */
    assert_int_equal(fx_detail_number(fx, "skipped_count"), 3);
    assert_string_equal(fx_detail_string(fx, "skipped.0.id"), "db-20250610-0830");
    assert_string_equal(fx_detail_string(fx, "skipped.0.reason"), "running");
    assert_string_equal(fx_detail_string(fx, "skipped.1.reason"), "failed");
    assert_string_equal(fx_detail_string(fx, "skipped.2.id"), "db-20250609-0200");
    assert_string_equal(fx_detail_string(fx, "skipped.2.reason"), "older than the chosen snapshot");
    assert_int_equal(cJSON_GetArraySize(fx_detail(fx, "failures")), 0);
}

static void test_manifest_too_old(void **state)
{
    fixture *fx = *state;
    fx_data(fx, "backup", "manifest-ok.json", "manifest.json");
    fx_run(fx, "{\"backup\": \"backup\"}", NOW_20250610_0900 + 2 * 24 * HOUR);
    assert_result(fx, RG_CHECK_FAIL, "snapshot 'db-20250610-0200' completed 2025-06-10T00:15:09Z is 56.7 h old, older than max_age 24h");
    assert_string_equal(fx_detail_string(fx, "failures.0.threshold"), "max_age");

    fx_run(fx, "{\"backup\": \"backup\", \"max_age\": \"2h\"}", NOW_20250610_0900);
    assert_result(fx, RG_CHECK_FAIL, "is 8.7 h old, older than max_age 2h");
    fx_run(fx, "{\"backup\": \"backup\", \"max_age\": 32000}", NOW_20250610_0900);
    assert_result(fx, RG_CHECK_PASS, "max_age 32000s");
    /* exactly max_age old still passes (the peers' <= too) */
    fx_run(fx, "{\"backup\": \"backup\", \"max_age\": 31491}", NOW_20250610_0900);
    assert_result(fx, RG_CHECK_PASS, NULL);
    fx_run(fx, "{\"backup\": \"backup\", \"max_age\": 31490}", NOW_20250610_0900);
    assert_result(fx, RG_CHECK_FAIL, NULL);
}

static void test_manifest_future(void **state)
{
    fixture *fx = *state;
    fx_data(fx, "backup", "manifest-ok.json", "manifest.json");
    /* the clock before the backup finished: not a pass */
    fx_run(fx, "{\"backup\": \"backup\"}", NOW_20250610_0900 - 9 * HOUR);
    assert_result(fx, RG_CHECK_FAIL, "is dated 2025-06-10T00:15:09Z, 0.3 h after the evaluation time");
    /* within the allowed skew of 5 minutes it passes */
    fx_run(fx, "{\"backup\": \"backup\"}", 1749514509 - 120);
    assert_result(fx, RG_CHECK_PASS, NULL);
}

static void test_manifest_restore_verified(void **state)
{
    fixture *fx = *state;
    fx_data(fx, "backup", "manifest-ok.json", "manifest.json");
    fx_run(fx, "{\"backup\": \"backup\", \"require_restore_verified\": true}", NOW_20250610_0900);
    assert_result(fx, RG_CHECK_FAIL, "db-20250610-0200' completed 2025-06-10T00:15:09Z has no verified restore");
    assert_string_equal(fx_detail_string(fx, "failures.0.threshold"), "require_restore_verified");
    assert_false(cJSON_IsTrue(fx_detail(fx, "chosen.restore_verified")));
}

static void test_manifest_sha256(void **state)
{
    fixture *fx = *state;
    fx_data(fx, "backup", "manifest-ok.json", "backups/manifest.json");
    fx_data(fx, "dump", GZIP_FILE, "backups/" GZIP_FILE);
    fx_run(fx, "{\"backup\": \"backup\", \"verify_sha256\": true, \"file\": \"dump\"}", NOW_20250610_0900);
    assert_result(fx, RG_CHECK_PASS, "67 bytes, sha256 verified");
    assert_string_equal(fx_detail_string(fx, "sha256.actual"), GZIP_SHA);
    assert_true(cJSON_IsTrue(fx_detail(fx, "sha256.match")));
    assert_int_equal(fx_detail_number(fx, "sha256.file_size"), 67);

    /* without 'file' the check cannot decide */
    fx_run(fx, "{\"backup\": \"backup\", \"verify_sha256\": true}", NOW_20250610_0900);
    assert_result(fx, RG_CHECK_ERROR, "needs parameter 'file'");

    /* the file changed after the manifest was written */
    fx_puts(fx, "backups/" GZIP_FILE, "tampered");
    fx_run(fx, "{\"backup\": \"backup\", \"verify_sha256\": true, \"file\": \"dump\"}", NOW_20250610_0900);
    assert_result(fx, RG_CHECK_FAIL, "SHA-256 of the backup file is ");
    assert_false(cJSON_IsTrue(fx_detail(fx, "sha256.match")));
    assert_string_equal(fx_detail_string(fx, "failures.0.threshold"), "verify_sha256");

    /* the right bytes, but not where the manifest says the file is */
    fx_data(fx, "dump", GZIP_FILE, "elsewhere/db.dump.gz");
    fx_run(fx, "{\"backup\": \"backup\", \"verify_sha256\": true, \"file\": \"dump\"}", NOW_20250610_0900);
    assert_result(fx, RG_CHECK_FAIL, "is not the file the snapshot names (dumps/db-20250610.dump.gz)");

    /* the file is missing */
    fx_evidence(fx, "dump", "backups/dumps/none.gz");
    fx_run(fx, "{\"backup\": \"backup\", \"verify_sha256\": true, \"file\": \"dump\"}", NOW_20250610_0900);
    assert_result(fx, RG_CHECK_FAIL, "backup file: ");
}

static void test_manifest_sha256_link(void **state)
{
    fixture *fx = *state;
    char target[PATH_MAX], link[PATH_MAX];
    /* the evidence reaches the manifest's file through a link inside the root: the same file */
    fx_data(fx, "backup", "manifest-ok.json", "backups/manifest.json");
    fx_data(fx, NULL, GZIP_FILE, "backups/" GZIP_FILE);
    fx_path(fx, "backups/" GZIP_FILE, target, sizeof target);
    assert_int_equal(symlink(target, fx_path(fx, "latest.gz", link, sizeof link)), 0);
    fx_evidence(fx, "dump", "latest.gz");
    fx_run(fx, "{\"backup\": \"backup\", \"verify_sha256\": true, \"file\": \"dump\"}", NOW_20250610_0900);
    assert_result(fx, RG_CHECK_PASS, "sha256 verified");
}

static void test_manifest_filters(void **state)
{
    fixture *fx = *state;
    fx_data(fx, "backup", "manifest-ok.json", "manifest.json");
    fx_run(fx, "{\"backup\": \"backup\", \"host\": \"db-2\"}", NOW_20250610_0900);
    assert_result(fx, RG_CHECK_FAIL, "no completed snapshot qualifies among 4 in evidence 'backup': 1 failed, 1 running, 2 on another host");
    assert_true(cJSON_IsNull(fx_detail(fx, "chosen")));
    assert_string_equal(fx_detail_string(fx, "skipped.2.reason"), "taken on host 'db-1', not 'db-2'");

    fx_run(fx, "{\"backup\": \"backup\", \"host\": \"db-1\", \"paths\": \"/var/lib/postgresql/16/main\"}",
           NOW_20250610_0900);
    assert_result(fx, RG_CHECK_PASS, "db-20250610-0200");
    fx_run(fx, "{\"backup\": \"backup\", \"paths\": [\"/var/lib/postgresql/\", \"/etc\"]}", NOW_20250610_0900);
    assert_result(fx, RG_CHECK_FAIL, "2 without the required paths");
    assert_string_equal(fx_detail_string(fx, "skipped.2.reason"), "does not hold /etc");
    fx_run(fx, "{\"backup\": \"backup\", \"paths\": [\"/var/lib/postgres\"]}", NOW_20250610_0900);
    assert_result(fx, RG_CHECK_FAIL, NULL); /* a prefix is not a parent */
}

static void test_manifest_empty_snapshot(void **state)
{
    fixture *fx = *state;
    fx_data(fx, "backup", "manifest-no-format.json", "manifest.json");
    fx_run(fx, "{\"backup\": \"backup\"}", NOW_20250610_0900 - 21 * HOUR);
    assert_result(fx, RG_CHECK_FAIL, "snapshot 'ledger-2' completed 2025-06-09T01:06:30Z has 0 bytes, less than min_size 1");
    assert_string_equal(fx_detail_string(fx, "variant"), "relgate-backup-manifest/1 (no \"format\" field)");
    /* min_size above the older one's size; the newest still decides */
    fx_run(fx, "{\"backup\": \"backup\", \"min_size\": 2000000, \"max_age\": \"1h\"}", NOW_20250610_0900 - 21 * HOUR);
    assert_result(fx, RG_CHECK_FAIL, "(and more: see failures)");
    assert_int_equal(cJSON_GetArraySize(fx_detail(fx, "failures")), 2);
    assert_string_equal(fx_detail_string(fx, "failures.1.threshold"), "min_size");
}

static void test_manifest_empty_list(void **state)
{
    fixture *fx = *state;
    fx_puts(fx, "m.json", "{\"format\": \"relgate-backup-manifest/1\", \"snapshots\": []}");
    fx_evidence(fx, "backup", "m.json");
    fx_run(fx, "{\"backup\": \"backup\"}", NOW_20250610_0900);
    assert_result(fx, RG_CHECK_FAIL, "no snapshot in evidence 'backup' (an empty manifest)");

    fx_puts(fx, "m.json", "{\"snapshots\": [{\"id\": \"x\", \"status\": \"failed\"}, {\"id\": \"y\", \"status\": \"running\"}]}");
    fx_run(fx, "{\"backup\": \"backup\"}", NOW_20250610_0900);
    assert_result(fx, RG_CHECK_FAIL, "no completed snapshot qualifies among 2 in evidence 'backup': 1 failed, 1 running");
}

/* Hostile round 28: an empty snapshot path holds nothing (F02: borg create REPO::A ""
 * backs up the working directory); "ustar" at byte 257 of a manifest makes no tar of it
 * (F03); of two snapshots of the same second the one that could fail decides (F04). */
static void test_manifest_round28(void **state)
{
    fixture *fx = *state;
    char text[1024];
    fx_puts(fx, "m.json", "{\"format\": \"relgate-backup-manifest/1\", \"snapshots\": [{\"id\": \"a\", "
                          "\"status\": \"completed\", \"completed_at\": \"2025-06-10T08:00:00Z\", \"size_bytes\": 10, "
                          "\"paths\": [\"\", \"/srv/www\"]}]}");
    fx_evidence(fx, "backup", "m.json");
    fx_run(fx, "{\"backup\": \"backup\", \"paths\": [\"/var/lib/postgresql\"]}", NOW_20250610_0900);
    assert_result(fx, RG_CHECK_FAIL, "1 without the required paths");

    /* a failed snapshot whose error text puts "ustar" at byte 257: still a manifest */
    {
        static const char head[] = "{\"format\": \"relgate-backup-manifest/1\", \"snapshots\": [{\"id\": \"a\", "
                                   "\"status\": \"failed\", \"error\": \"";
        snprintf(text, sizeof text, "%s%*sustar\"}]}", head, (int)(257 - (sizeof head - 1)), "");
    }
    assert_int_equal(strstr(text, "ustar") - text, 257);
    fx_puts(fx, "m.json", text);
    fx_run(fx, "{\"backup\": \"backup\"}", NOW_20250610_0900);
    assert_result(fx, RG_CHECK_FAIL, "no completed snapshot qualifies among 1");

    /* The same second: the one that could fail decides, wherever it is listed -- the empty
     * one, and the one failing the thresholds asked for whatever its size (round 29, F02). */
    static const struct { const char *passing, *failing, *params, *expected; } ties[] = {
        {"{\"id\": \"full\", \"status\": \"completed\", \"completed_at\": \"2025-06-10T08:00:00.100Z\", "
         "\"size_bytes\": 1000}",
         "{\"id\": \"empty\", \"status\": \"completed\", \"completed_at\": \"2025-06-10T08:00:00.900Z\", "
         "\"size_bytes\": 0}",
         "{\"backup\": \"backup\"}", "snapshot 'empty'"},
        {"{\"id\": \"verified\", \"status\": \"completed\", \"completed_at\": \"2025-06-10T08:00:00.100Z\", "
         "\"size_bytes\": 4000, \"restore_verified\": true}",
         "{\"id\": \"unverified\", \"status\": \"completed\", \"completed_at\": \"2025-06-10T08:00:00.900Z\", "
         "\"size_bytes\": 5000, \"restore_verified\": false}",
         "{\"backup\": \"backup\", \"require_restore_verified\": true}", "snapshot 'unverified'"},
    };
    for (size_t i = 0; i < sizeof ties / sizeof ties[0]; i++)
        for (int order = 0; order < 2; order++) {
            snprintf(text, sizeof text, "{\"format\": \"relgate-backup-manifest/1\", \"snapshots\": [%s, %s]}",
                     order ? ties[i].passing : ties[i].failing, order ? ties[i].failing : ties[i].passing);
            fx_puts(fx, "m.json", text);
            fx_run(fx, ties[i].params, NOW_20250610_0900);
            assert_result(fx, RG_CHECK_FAIL, ties[i].expected);
        }
}

static void test_manifest_peers(void **state)
{
    fixture *fx = *state;
    const char *dir = getenv("RG_PEERS_DIR");
    char src[PATH_MAX];
    struct stat st;
    snprintf(src, sizeof src, "%s/inputs/backup-manifest.json", dir ? dir : "");
    if (!dir || stat(src, &st) != 0)
        skip();
    /* read in place: the context reaches it through --evidence-root / */
    fx->evidence_root = "/";
    {
        char rel[PATH_MAX * 2];
        size_t depth = 0;
        for (const char *p = fx->dir; *p; p++)
            depth += *p == '/';
        rel[0] = '\0';
        for (size_t i = 0; i < depth; i++)
            strcat(rel, "../");
        strcat(rel, src + 1);
        fx_evidence(fx, "backup_manifest", rel);
    }
    /* the peers' answers at their clock: backup.fresh pass (6.7 h), backup.verified pass */
    fx_run(fx, "{\"backup\": \"backup_manifest\", \"require_restore_verified\": true}", NOW_20250610_0900);
    assert_result(fx, RG_CHECK_PASS, "snapshot 'snap-20250610-0200' completed 2025-06-10T02:15:09Z, 6.7 h old");
    assert_string_equal(fx_detail_string(fx, "skipped.0.id"), "snap-20250610-0800-adhoc");
    assert_string_equal(fx_detail_string(fx, "skipped.0.reason"), "failed");
}

/* ---- restic and borg listings (captured from the real tools) ----------------------------- */

static void test_restic(void **state)
{
    fixture *fx = *state;
    fx_data(fx, "backup", "restic-0.14-snapshots.json", "restic.json");
    /* newest overall: web-1 at 06:30+02:00 = 04:30Z */
    fx_run(fx, "{\"backup\": \"backup\"}", NOW_20250610_0900);
    assert_result(fx, RG_CHECK_PASS, "restic snapshot '69e632bf' started 2025-06-10T04:30:00Z, 4.5 h old (max_age 24h), size not recorded");
    assert_string_equal(fx_detail_string(fx, "chosen.time_text"), "2025-06-10T06:30:00+02:00");
    assert_true(cJSON_IsNull(fx_detail(fx, "chosen.size_bytes")));
    assert_non_null(strstr(fx_detail_string(fx, "chosen.note"), "restic before 0.17"));

    /* host db-1: the 04:00 snapshot of /tmp/rgbk/srv */
    fx_run(fx, "{\"backup\": \"backup\", \"host\": \"db-1\"}", NOW_20250610_0900);
    assert_result(fx, RG_CHECK_PASS, "'2f199668' started 2025-06-10T04:00:00Z, 5.0 h old");
    assert_string_equal(fx_detail_string(fx, "chosen.paths.0"), "/tmp/rgbk/srv");

    /* that one excluded /tmp/rgbk/srv/db/tmp: it cannot vouch for /tmp/rgbk/srv/db, the 02:00 one can */
    fx_run(fx, "{\"backup\": \"backup\", \"host\": \"db-1\", \"paths\": [\"/tmp/rgbk/srv/db\"]}", NOW_20250610_0900);
    assert_result(fx, RG_CHECK_PASS, "'dc5e8662' started 2025-06-10T02:00:00Z, 7.0 h old");
    assert_string_equal(fx_detail_string(fx, "skipped.1.id"), "2f1996686c8f6d13b11101153f6cf4282cfca22dc68977d6e77b551e9506f9ce");
    assert_string_equal(fx_detail_string(fx, "skipped.1.reason"), "holds /tmp/rgbk/srv/db only under a parent, which may exclude it");
    /* but it does hold /tmp/rgbk/srv itself */
    fx_run(fx, "{\"backup\": \"backup\", \"paths\": [\"/tmp/rgbk/srv/\"]}", NOW_20250610_0900);
    assert_result(fx, RG_CHECK_PASS, "2f199668");

    /* restic records no restore verification, and a listing has no file to hash */
    fx_run(fx, "{\"backup\": \"backup\", \"require_restore_verified\": true}", NOW_20250610_0900);
    assert_result(fx, RG_CHECK_FAIL, "cannot show a verified restore: format restic records none");
    fx_run(fx, "{\"backup\": \"backup\", \"verify_sha256\": true}", NOW_20250610_0900);
    assert_result(fx, RG_CHECK_ERROR, "verify_sha256 applies to manifests and plain files, not restic");

    /* --group-by output decides alike */
    fx_data(fx, "backup", "restic-0.14-group-by-host.json", "restic-grouped.json");
    fx_run(fx, "{\"backup\": \"backup\", \"host\": \"db-1\"}", NOW_20250610_0900);
    assert_result(fx, RG_CHECK_PASS, "'2f199668'");
    assert_string_equal(fx_detail_string(fx, "chosen.id"), "2f1996686c8f6d13b11101153f6cf4282cfca22dc68977d6e77b551e9506f9ce");
    assert_string_equal(fx_detail_string(fx, "chosen.short_id"), "2f199668");
    assert_string_equal(fx_detail_string(fx, "variant"), "restic snapshots --json --group-by");

    /* restic >= 0.17: the summary gives completion and size; the newest one is empty */
    fx_data(fx, "backup", "restic-0.17-summary.json", "restic17.json");
    fx_run(fx, "{\"backup\": \"backup\"}", NOW_20250610_0900);
    assert_result(fx, RG_CHECK_FAIL, "completed 2025-06-10T03:00:04Z has 0 bytes, less than min_size 1");
    assert_string_equal(fx_detail_string(fx, "chosen.size_field"), "summary.total_bytes_processed");
}

static void test_borg(void **state)
{
    fixture *fx = *state;
    fx_data(fx, "backup", "borg-1.2-list-utc.json", "borg.json");
    fx_run(fx, "{\"backup\": \"backup\"}", NOW_20250610_0900);
    assert_result(fx, RG_CHECK_PASS, "borg snapshot 'srv-2025-06-10' started 2025-06-10T03:00:00Z, 6.0 h old");
    assert_string_equal(fx_detail_string(fx, "chosen.zone_assumed"), "UTC");
    assert_string_equal(fx_detail_string(fx, "repository"), "/tmp/rgbk/borg");
    assert_string_equal(fx_detail_string(fx, "variant"), "borg list --json");
    /* borg list records no paths and no host: a filter on them cannot pass */
    fx_run(fx, "{\"backup\": \"backup\", \"paths\": \"/tmp/rgbk/srv/db\"}", NOW_20250610_0900);
    assert_result(fx, RG_CHECK_FAIL, "3 without the required paths");
    assert_non_null(strstr(fx_detail_string(fx, "skipped.0.reason"), "borg info --json has the command line"));
    fx_run(fx, "{\"backup\": \"backup\", \"host\": \"vm\"}", NOW_20250610_0900);
    assert_result(fx, RG_CHECK_FAIL, "3 on another host");

    /* listed in Berlin: the same instants once the zone is given */
    fx_data(fx, "backup", "borg-1.2-list-berlin.json", "borg-berlin.json");
    fx_run(fx, "{\"backup\": \"backup\", \"timezone\": \"+02:00\"}", NOW_20250610_0900);
    assert_result(fx, RG_CHECK_PASS, "started 2025-06-10T03:00:00Z, 6.0 h old");
    assert_string_equal(fx_detail_string(fx, "chosen.zone_assumed"), "+02:00");
    /* read as UTC it would lie in the future of an early clock: refused, not passed */
    fx_run(fx, "{\"backup\": \"backup\"}", NOW_20250610_0900 - 5 * HOUR);
    assert_result(fx, RG_CHECK_FAIL, "1.0 h after the evaluation time (clock or time zone wrong?)");

    /* borg create --json: the archive it made; its size counts metadata, so none is taken */
    fx_data(fx, "backup", "borg-1.2-create.json", "borg-create.json");
    fx_run(fx, "{\"backup\": \"backup\"}", NOW_20250610_0900);
    assert_result(fx, RG_CHECK_PASS, "borg snapshot 'srv-2025-06-10' completed 2025-06-10T03:00:02Z");
    assert_string_equal(fx_detail_string(fx, "variant"), "borg create --json");
    assert_non_null(strstr(fx_detail_string(fx, "chosen.note"), "counts metadata"));
    /* its paths are what borg create was given: `borg recreate` can take any of them out
     * and leave the command line as it was (real round 37, F07; round 37d, F03) */
    fx_run(fx, "{\"backup\": \"backup\", \"paths\": \"/tmp/rgbk/srv/db\"}", NOW_20250610_0900);
    assert_result(fx, RG_CHECK_FAIL, "without the required paths");
    assert_non_null(strstr(fx_detail_string(fx, "skipped.0.reason"), "paths unknown: borg's command line says"));
    /* ... of no file at all: empty, whatever its metadata weighs (round 23, F04) */
    fx_data(fx, "backup", "borg-1.2-create-empty.json", "borg-create-empty.json");
    fx_run(fx, "{\"backup\": \"backup\"}", NOW_20250610_0900);
    assert_result(fx, RG_CHECK_FAIL, "has 0 bytes, less than min_size 1");

    /* checkpoints are interrupted backups */
    fx_data(fx, "backup", "borg-1.2-list-checkpoints.json", "borg-cp.json");
    fx_run(fx, "{\"backup\": \"backup\"}", NOW_20250610_0900);
    assert_result(fx, RG_CHECK_PASS, "srv-2025-06-10");
    assert_string_equal(fx_detail_string(fx, "skipped.0.id"), "db-2025-06-10T05.checkpoint");
    assert_string_equal(fx_detail_string(fx, "skipped.0.reason"), "checkpoint archive: an interrupted backup");
    assert_string_equal(fx_detail_string(fx, "skipped.0.status"), "incomplete");

    /* borg info: completion, size, host and paths */
    fx_data(fx, "backup", "borg-1.2-info.json", "borg-info.json");
    fx_run(fx, "{\"backup\": \"backup\", \"host\": \"vm\", \"min_size\": 3000}", NOW_20250610_0900);
    assert_result(fx, RG_CHECK_PASS, "borg snapshot 'srv-2025-06-10' completed 2025-06-10T03:00:00Z, 6.0 h old (max_age 24h), 3007 bytes");
    assert_string_equal(fx_detail_string(fx, "skipped.0.reason"), "checkpoint archive: an interrupted backup");
    assert_non_null(fx_detail_string(fx, "chosen.paths.0"));   /* shown, proving nothing */
    fx_run(fx, "{\"backup\": \"backup\", \"host\": \"vm\", \"paths\": [\"/tmp/rgbk/srv/db\"], \"min_size\": 3000}",
           NOW_20250610_0900);
    assert_result(fx, RG_CHECK_FAIL, "without the required paths");
    fx_run(fx, "{\"backup\": \"backup\", \"min_size\": 3008.0, \"max_age\": \"1d\"}", NOW_20250610_0900);
    assert_result(fx, RG_CHECK_FAIL, "'srv-2025-06-10' completed 2025-06-10T03:00:00Z has 3007 bytes, less than min_size 3008");
}

/* ---- plain files and directories ------------------------------------------------------------ */

static void test_file(void **state)
{
    fixture *fx = *state;
    fx_data(fx, "backup", GZIP_FILE, "db.dump.gz");
    fx_mtime(fx, "db.dump.gz", NOW_20250610_0900 - 2 * HOUR);
    fx_run(fx, "{\"backup\": \"backup\"}", NOW_20250610_0900);
    assert_result(fx, RG_CHECK_PASS, "backup file 'backup' (gzip) modified 2025-06-10T07:00:00Z, 2.0 h old (max_age 24h), 67 bytes");
    assert_string_equal(fx_detail_string(fx, "format"), "file");
    assert_string_equal(fx_detail_string(fx, "variant"), "gzip");
    assert_string_equal(fx_detail_string(fx, "chosen.time_field"), "mtime");

    fx_run(fx, "{\"backup\": \"backup\", \"verify_sha256\": true, \"sha256\": \"" GZIP_SHA "\"}", NOW_20250610_0900);
    assert_result(fx, RG_CHECK_PASS, "sha256 verified");
    fx_run(fx, "{\"backup\": \"backup\", \"verify_sha256\": true, \"sha256\": \"" "00" GZIP_SHA "\"}", NOW_20250610_0900);
    assert_result(fx, RG_CHECK_ERROR, "parameter 'sha256' must be 64 hex digits");
    fx_run(fx, "{\"backup\": \"backup\", \"verify_sha256\": true, \"sha256\": \"b67bba6facf19f6d347bc097b75d193e46e1ebdacb80b39c0a78b8e61e5101cc\"}",
           NOW_20250610_0900);
    assert_result(fx, RG_CHECK_FAIL, "SHA-256 of the backup file is a67bba6facf1..., expected b67bba6facf1...");
    fx_run(fx, "{\"backup\": \"backup\", \"verify_sha256\": true}", NOW_20250610_0900);
    assert_result(fx, RG_CHECK_ERROR, "needs parameter 'sha256'");

    fx_mtime(fx, "db.dump.gz", NOW_20250610_0900 - 25 * HOUR);
    fx_run(fx, "{\"backup\": \"backup\"}", NOW_20250610_0900);
    assert_result(fx, RG_CHECK_FAIL, "is 25.0 h old, older than max_age 24h");
    fx_mtime(fx, "db.dump.gz", NOW_20250610_0900 + HOUR);
    fx_run(fx, "{\"backup\": \"backup\"}", NOW_20250610_0900);
    assert_result(fx, RG_CHECK_FAIL, "after the evaluation time");

    /* a file that is no archive we know: auto refuses it, format "file" takes it */
    fx_puts(fx, "notes.txt", "just some text\n");
    fx_mtime(fx, "notes.txt", NOW_20250610_0900 - HOUR);
    fx_evidence(fx, "backup", "notes.txt");
    fx_run(fx, "{\"backup\": \"backup\"}", NOW_20250610_0900);
    assert_result(fx, RG_CHECK_ERROR, "unrecognised backup format: not a JSON object or list (if the file is the backup itself, give format = \"file\")");
    fx_run(fx, "{\"backup\": \"backup\", \"format\": \"file\"}", NOW_20250610_0900);
    assert_result(fx, RG_CHECK_PASS, "15 bytes");
    assert_false(cJSON_IsTrue(fx_detail(fx, "format_detected")));
    assert_string_equal(fx_detail_string(fx, "variant"), "unknown content");

    /* empty */
    fx_puts(fx, "empty.sql", "");
    fx_mtime(fx, "empty.sql", NOW_20250610_0900 - HOUR);
    fx_evidence(fx, "backup", "empty.sql");
    fx_run(fx, "{\"backup\": \"backup\", \"format\": \"file\"}", NOW_20250610_0900);
    assert_result(fx, RG_CHECK_FAIL, "has 0 bytes, less than min_size 1");
    fx_run(fx, "{\"backup\": \"backup\"}", NOW_20250610_0900);
    assert_result(fx, RG_CHECK_ERROR, "unrecognised backup format: the file is empty");

    /* a plain SQL dump is recognised by its banner, and is one its tool finished only with
     * its closing line (real round 37, F01, F02: a dump that failed part way passed) */
    fx_puts(fx, "dump.sql", "--\n-- PostgreSQL database dump\n--\n\nSET statement_timeout = 0;\n"
                            "COPY public.u (a, b) FROM stdin;\n1\t2\n\\.\n\n--\n"
                            "-- PostgreSQL database dump complete\n--\n\n");
    fx_mtime(fx, "dump.sql", NOW_20250610_0900 - HOUR);
    fx_evidence(fx, "backup", "dump.sql");
    fx_run(fx, "{\"backup\": \"backup\"}", NOW_20250610_0900);
    assert_result(fx, RG_CHECK_PASS, NULL);
    assert_string_equal(fx_detail_string(fx, "variant"), "pg_dump sql");
    fx_puts(fx, "cut.sql", "--\n-- PostgreSQL database dump\n--\n\nSET statement_timeout = 0;\n"
                           "COPY public.u (a, b) FROM stdin;\n");
    fx_puts(fx, "nodb.sql", "-- MariaDB dump 10.19  Distrib 10.11.6-MariaDB\n--\n-- Host: localhost    "
                            "Database: nosuchdb\n/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;\n");
    fx_puts(fx, "done.sql", "-- MariaDB dump 10.19  Distrib 10.11.6-MariaDB\n--\n-- Host: localhost    "
                            "Database: db\n/*!40101 SET NAMES utf8mb4 */;\n\n-- Dump completed on 2025-06-10  8:00:01\n");
    fx_puts(fx, "quoted.sql", "-- MySQL dump 10.13\nINSERT INTO t VALUES ('-- Dump completed');\n");
    for (size_t i = 0; i < 4; i++) {
        static const char *const files[] = {"cut.sql", "nodb.sql", "done.sql", "quoted.sql"};
        fx_mtime(fx, files[i], NOW_20250610_0900 - HOUR);
        fx_evidence(fx, "backup", files[i]);
        fx_run(fx, "{\"backup\": \"backup\"}", NOW_20250610_0900);
        if (i == 2) {
            assert_result(fx, RG_CHECK_PASS, NULL);
        } else {
            assert_result(fx, RG_CHECK_FAIL, "1 incomplete");
        }
    }
    /* pg_dumpall --data-only writes no roles, so its first database's pg_dump banner comes
     * within the first 512 bytes: the earliest banner names the tool (real round 41, F01:
     * one that failed on its second database passed on the first's closing line) */
    fx_data(fx, "backup", "dumps/pg_dumpall-15-data-only.sql", "all.sql");
    fx_mtime(fx, "all.sql", NOW_20250610_0900 - HOUR);
    fx_run(fx, "{\"backup\": \"backup\"}", NOW_20250610_0900);
    assert_result(fx, RG_CHECK_PASS, NULL);
    assert_string_equal(fx_detail_string(fx, "variant"), "pg_dumpall sql");
    fx_data(fx, "backup", "dumps/pg_dumpall-15-data-only-failed.sql", "all.sql");
    fx_mtime(fx, "all.sql", NOW_20250610_0900 - HOUR);
    fx_run(fx, "{\"backup\": \"backup\"}", NOW_20250610_0900);
    assert_result(fx, RG_CHECK_FAIL, "1 incomplete");

    /* pg_dump's custom archive: one pg_dump finished passes, one it did not is incomplete
     * (real round 37, F02); the parsers' tests cut the archives at every byte */
    char cut_path[PATH_MAX];
    fx_data(fx, "backup", "dumps/pg_dump-15-custom.dump", "db.dump");
    fx_mtime(fx, "db.dump", NOW_20250610_0900 - HOUR);
    fx_run(fx, "{\"backup\": \"backup\"}", NOW_20250610_0900);
    assert_result(fx, RG_CHECK_PASS, "12032 bytes");
    assert_string_equal(fx_detail_string(fx, "variant"), "pg_dump custom");
    assert_int_equal(truncate(fx_path(fx, "db.dump", cut_path, sizeof cut_path), 9000), 0);
    fx_mtime(fx, "db.dump", NOW_20250610_0900 - HOUR);
    fx_run(fx, "{\"backup\": \"backup\"}", NOW_20250610_0900);
    assert_result(fx, RG_CHECK_FAIL, "1 incomplete");
    assert_string_equal(fx_detail_string(fx, "skipped.0.reason"),
                        "the pg_dump archive does not hold together (a data offset outside the file): pg_dump did "
                        "not finish it");
    fx_data(fx, "backup", "dumps/pg_dump-15-custom-pipe.dump", "db.dump");
    assert_int_equal(truncate(cut_path, 9000), 0);
    fx_mtime(fx, "db.dump", NOW_20250610_0900 - HOUR);
    fx_run(fx, "{\"backup\": \"backup\", \"format\": \"file\"}", NOW_20250610_0900);
    assert_result(fx, RG_CHECK_FAIL, "1 incomplete");
    assert_string_equal(fx_detail_string(fx, "skipped.0.reason"),
                        "the pg_dump archive ends inside its data: pg_dump did not finish it");

    /* host and paths mean nothing for a file */
    fx_run(fx, "{\"backup\": \"backup\", \"host\": \"db-1\"}", NOW_20250610_0900);
    assert_result(fx, RG_CHECK_ERROR, "need snapshots");
}

/* pg_dump's directory archive: toc.dat whole and every data file it lists there, lz4 and
 * zstd data files written to their end (pg_dump writes toc.dat first). */
static const char *const PG_DIRECTORY[] = {"toc.dat", "3344.dat.gz", "3345.dat.gz", "blob_16397.dat.gz",
                                           "blobs.toc"};

static void put_pg_directory(fixture *fx)
{
    char from[PATH_MAX], to[PATH_MAX];
    for (size_t i = 0; i < sizeof PG_DIRECTORY / sizeof PG_DIRECTORY[0]; i++) {
        snprintf(from, sizeof from, "dumps/pg_dump-15-directory/%s", PG_DIRECTORY[i]);
        snprintf(to, sizeof to, "pgdir/%s", PG_DIRECTORY[i]);
        fx_data(fx, NULL, from, to);
        fx_mtime(fx, to, NOW_20250610_0900 - HOUR);
    }
    fx_evidence(fx, "backup", "pgdir");
}

static void test_pg_dump_directory(void **state)
{
    fixture *fx = *state;
    char path[PATH_MAX];
    struct stat st;
    /* an lz4 frame as pg_dump 16's -Z lz4 writes one: a header, one block stored as it
     * is (the high bit of its size), the end mark; the header checksum is not read */
    static const unsigned char lz4_data[] = {0x04, 0x22, 0x4d, 0x18, 0x60, 0x40, 0x82, 0x05, 0x00, 0x00, 0x80,
                                             '1', '\t', '2', '\n', '.', 0, 0, 0, 0};
    put_pg_directory(fx);
    fx_run(fx, "{\"backup\": \"backup\"}", NOW_20250610_0900);
    assert_result(fx, RG_CHECK_PASS, "backup directory 'backup' (newest file)");

    /* a data file missing: a pg_dump that did not reach that table */
    fx_path(fx, "pgdir/3345.dat.gz", path, sizeof path);
    assert_int_equal(unlink(path), 0);
    fx_run(fx, "{\"backup\": \"backup\"}", NOW_20250610_0900);
    assert_result(fx, RG_CHECK_FAIL, "directory 'backup' is incomplete: the pg_dump directory archive lacks the "
                  "data file 3345.dat its toc.dat lists: pg_dump did not finish it");

    /* the same data file compressed with lz4: whole, then cut short */
    fx_write(fx, "pgdir/3345.dat.lz4", lz4_data, sizeof lz4_data);
    fx_mtime(fx, "pgdir/3345.dat.lz4", NOW_20250610_0900 - HOUR);
    fx_run(fx, "{\"backup\": \"backup\"}", NOW_20250610_0900);
    assert_result(fx, RG_CHECK_PASS, NULL);
    fx_write(fx, "pgdir/3345.dat.lz4", lz4_data, sizeof lz4_data - 2);
    fx_mtime(fx, "pgdir/3345.dat.lz4", NOW_20250610_0900 - HOUR);
    fx_run(fx, "{\"backup\": \"backup\"}", NOW_20250610_0900);
    assert_result(fx, RG_CHECK_FAIL, "the pg_dump directory archive's data file 3345.dat.lz4 is cut short");

    /* toc.dat cut anywhere, or gone */
    put_pg_directory(fx);
    fx_path(fx, "pgdir/toc.dat", path, sizeof path);
    assert_int_equal(stat(path, &st), 0);
    for (off_t cut = 0; cut < st.st_size; cut += 37) {
        put_pg_directory(fx);
        assert_int_equal(truncate(path, cut), 0);
        fx_run(fx, "{\"backup\": \"backup\"}", NOW_20250610_0900);
        if (fx->result.status != RG_CHECK_FAIL || !strstr(fx->result.message, "is incomplete: the pg_dump directory"))
            fail_msg("toc.dat cut to %lld bytes: %s", (long long)cut, fx->result.message);
    }
    assert_int_equal(unlink(path), 0);
    fx_run(fx, "{\"backup\": \"backup\"}", NOW_20250610_0900);
    assert_result(fx, RG_CHECK_FAIL, "directory 'backup' is incomplete: the directory holds pg_dump data files but no "
                  "toc.dat, without which they cannot be restored");
}

/* pg_basebackup's directory: finished only with a whole backup_manifest, written last
 * (real round 41, F08: one stopped by SIGTERM, plain or tar, passed).  The manifest's end
 * as pg_basebackup 15 writes it. */
#define MANIFEST_HEAD "{ \"PostgreSQL-Backup-Manifest-Version\": 1,\n\"Files\": [\n" \
    "{ \"Path\": \"PG_VERSION\", \"Size\": 3, \"Last-Modified\": \"2025-06-10 08:00:00 GMT\", " \
    "\"Checksum-Algorithm\": \"CRC32C\", \"Checksum\": \"a2b9b2e9\" }\n],\n\"WAL-Ranges\": [\n" \
    "{ \"Timeline\": 1, \"Start-LSN\": \"0/32000028\", \"End-LSN\": \"0/32000100\" }\n],\n"
#define MANIFEST_END "\"Manifest-Checksum\": \"874d16e877d9116f30e5a2fad69b7379d2eb334b2c46a6c8f049ff0b3a9fbfd4\"}\n"

/* A directory given as the evidence: its newest file is judged as a file given alone is,
 * and the directory holding it as a directory is (hostile round 41b, F07: a cut archive
 * in the backup job's folder passed on the folder's presence). */
static void test_directory_newest_file(void **state)
{
    fixture *fx = *state;
    char path[PATH_MAX];
    fx_data(fx, NULL, "dumps/pg_dump-15-custom.dump", "backups/old.dump");
    fx_mtime(fx, "backups/old.dump", NOW_20250610_0900 - 2 * HOUR);
    fx_data(fx, NULL, "dumps/pg_dump-15-custom.dump", "backups/new.dump");
    fx_mtime(fx, "backups/new.dump", NOW_20250610_0900 - HOUR);
    fx_evidence(fx, "backup", "backups");
    fx_run(fx, "{\"backup\": \"backup\"}", NOW_20250610_0900);
    assert_result(fx, RG_CHECK_PASS, NULL);
    /* the newest cut short: incomplete; an older one cut short: the newest decides */
    assert_int_equal(truncate(fx_path(fx, "backups/new.dump", path, sizeof path), 9000), 0);
    fx_mtime(fx, "backups/new.dump", NOW_20250610_0900 - HOUR);
    fx_run(fx, "{\"backup\": \"backup\"}", NOW_20250610_0900);
    assert_result(fx, RG_CHECK_FAIL, "directory 'backup' is incomplete: its newest file new.dump: the pg_dump "
                  "archive");
    assert_int_equal(truncate(fx_path(fx, "backups/old.dump", path, sizeof path), 9000), 0);
    fx_data(fx, NULL, "dumps/pg_dump-15-custom.dump", "backups/new.dump");
    fx_mtime(fx, "backups/new.dump", NOW_20250610_0900 - HOUR);
    fx_mtime(fx, "backups/old.dump", NOW_20250610_0900 - 2 * HOUR);
    fx_run(fx, "{\"backup\": \"backup\"}", NOW_20250610_0900);
    assert_result(fx, RG_CHECK_PASS, NULL);
    /* a pg_dump directory archive one level down, newer, a data file missing */
    for (size_t i = 0; i < sizeof PG_DIRECTORY / sizeof PG_DIRECTORY[0]; i++) {
        char from[PATH_MAX], to[PATH_MAX];
        if (strcmp(PG_DIRECTORY[i], "3344.dat.gz") == 0)
            continue;
        snprintf(from, sizeof from, "dumps/pg_dump-15-directory/%s", PG_DIRECTORY[i]);
        snprintf(to, sizeof to, "backups/db/%s", PG_DIRECTORY[i]);
        fx_data(fx, NULL, from, to);
        fx_mtime(fx, to, NOW_20250610_0900 - HOUR / 2);
    }
    fx_evidence(fx, "backup", "backups");
    fx_run(fx, "{\"backup\": \"backup\"}", NOW_20250610_0900);
    assert_result(fx, RG_CHECK_FAIL, "lacks the data file 3344.dat its toc.dat lists");
}

static void test_pg_basebackup(void **state)
{
    fixture *fx = *state;
    static const char *const plain[] = {"bb/PG_VERSION", "bb/backup_label", "bb/global/pg_control"};
    char path[PATH_MAX];
    for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++) {
        fx_puts(fx, plain[i], "15\n");
        fx_mtime(fx, plain[i], NOW_20250610_0900 - HOUR);
    }
    fx_evidence(fx, "backup", "bb");
    fx_run(fx, "{\"backup\": \"backup\"}", NOW_20250610_0900);
    assert_result(fx, RG_CHECK_FAIL, "directory 'backup' is incomplete: a pg_basebackup directory without its "
                  "backup_manifest, which pg_basebackup writes last");
    fx_puts(fx, "bb/backup_manifest", MANIFEST_HEAD);   /* cut before its checksum */
    fx_mtime(fx, "bb/backup_manifest", NOW_20250610_0900 - HOUR);
    fx_run(fx, "{\"backup\": \"backup\"}", NOW_20250610_0900);
    assert_result(fx, RG_CHECK_FAIL, "its backup_manifest does not end with its Manifest-Checksum");
    fx_puts(fx, "bb/backup_manifest", MANIFEST_HEAD MANIFEST_END);
    fx_mtime(fx, "bb/backup_manifest", NOW_20250610_0900 - HOUR);
    fx_run(fx, "{\"backup\": \"backup\"}", NOW_20250610_0900);
    assert_result(fx, RG_CHECK_PASS, "backup directory 'backup' (newest file)");
    /* the tar format: base.tar beside it, its first member backup_label as the server sends */
    {
        unsigned char tar[2048] = {0};
        unsigned sum = 0;
        memcpy(tar, "backup_label", 12);
        memcpy(tar + 100, "0000600", 7);
        memcpy(tar + 124, "00000000003", 11);
        memcpy(tar + 136, "14777777777", 11);
        tar[156] = '0';
        memcpy(tar + 257, "ustar\0" "00", 8);
        memset(tar + 148, ' ', 8);
        for (size_t i = 0; i < 512; i++)
            sum += tar[i];
        snprintf((char *)tar + 148, 8, "%06o", sum);
        memcpy(tar + 512, "x\n\n", 3);
        fx_write(fx, "bt/base.tar", tar, sizeof tar);
    }
    fx_mtime(fx, "bt/base.tar", NOW_20250610_0900 - HOUR);
    fx_evidence(fx, "backup", "bt");
    fx_run(fx, "{\"backup\": \"backup\"}", NOW_20250610_0900);
    assert_result(fx, RG_CHECK_FAIL, "without its backup_manifest");
    fx_puts(fx, "bt/backup_manifest", MANIFEST_HEAD MANIFEST_END);
    fx_mtime(fx, "bt/backup_manifest", NOW_20250610_0900 - HOUR);
    fx_run(fx, "{\"backup\": \"backup\"}", NOW_20250610_0900);
    assert_result(fx, RG_CHECK_PASS, NULL);
    /* a directory that is no base backup is judged as before */
    fx_path(fx, "bb/backup_label", path, sizeof path);
    assert_int_equal(unlink(path), 0);
    fx_path(fx, "bb/backup_manifest", path, sizeof path);
    assert_int_equal(unlink(path), 0);
    fx_evidence(fx, "backup", "bb");
    fx_run(fx, "{\"backup\": \"backup\"}", NOW_20250610_0900);
    assert_result(fx, RG_CHECK_PASS, NULL);
}

static void test_directory(void **state)
{
    fixture *fx = *state;
    char path[PATH_MAX], deep[PATH_MAX * 2];
    fx_puts(fx, "snap/empty", "");
    fx_puts(fx, "snap/a/b/base.tar", "0123456789");
    fx_puts(fx, "snap/c/old.tar", "01234");
    fx_mtime(fx, "snap/a/b/base.tar", NOW_20250610_0900 - 3 * HOUR);
    fx_mtime(fx, "snap/c/old.tar", NOW_20250610_0900 - 30 * HOUR);
    fx_mtime(fx, "snap/empty", NOW_20250610_0900);
    fx_evidence(fx, "backup", "snap");
    fx_run(fx, "{\"backup\": \"backup\"}", NOW_20250610_0900);
    assert_result(fx, RG_CHECK_PASS, "backup directory 'backup' (newest file) modified 2025-06-10T06:00:00Z, 3.0 h old (max_age 24h), 15 bytes");
    assert_int_equal(fx_detail_number(fx, "directory.files"), 3);
    assert_int_equal(fx_detail_number(fx, "directory.nonempty_files"), 2);
    assert_false(cJSON_IsTrue(fx_detail(fx, "directory.truncated")));
    assert_string_equal(fx_detail_string(fx, "chosen.time_field"), "newest file mtime");

    fx_run(fx, "{\"backup\": \"backup\", \"format\": \"file\"}", NOW_20250610_0900);
    assert_result(fx, RG_CHECK_ERROR, "is a directory, not what format 'file' reads");
    fx_run(fx, "{\"backup\": \"backup\", \"verify_sha256\": true}", NOW_20250610_0900);
    assert_result(fx, RG_CHECK_ERROR, "not directory");

    /* only empty files, and a link to a full file (not followed) */
    fx_puts(fx, "hollow/x", "");
    fx_puts(fx, "full.tar", "0123456789");
    fx_mtime(fx, "hollow/x", NOW_20250610_0900);
    fx_path(fx, "full.tar", path, sizeof path);
    assert_int_equal(symlink(path, fx_path(fx, "hollow/link.tar", deep, sizeof deep)), 0);
    assert_int_equal(symlink("/etc", fx_path(fx, "hollow/etc", deep, sizeof deep)), 0);
    fx_evidence(fx, "backup", "hollow");
    fx_run(fx, "{\"backup\": \"backup\"}", NOW_20250610_0900);
    assert_result(fx, RG_CHECK_FAIL, "directory 'backup' holds no non-empty regular file (1 files)");
    assert_int_equal(fx_detail_number(fx, "directory.links_not_followed"), 2);
    assert_true(cJSON_IsNull(fx_detail(fx, "chosen")));

    /* deeper than the walk goes: not found, and said so */
    strcpy(deep, "abyss");
    for (int i = 0; i < 20; i++)
        strcat(deep, "/d");
    strcat(deep, "/data.tar");
    fx_puts(fx, deep, "0123456789");
    fx_evidence(fx, "backup", "abyss");
    fx_run(fx, "{\"backup\": \"backup\"}", NOW_20250610_0900);
    assert_result(fx, RG_CHECK_FAIL, "(0 files, walk stopped at a limit)");
    assert_true(cJSON_IsTrue(fx_detail(fx, "directory.truncated")));

    /* an empty directory */
    mkdir(fx_path(fx, "void", path, sizeof path), 0755);
    fx_evidence(fx, "backup", "void");
    fx_run(fx, "{\"backup\": \"backup\"}", NOW_20250610_0900);
    assert_result(fx, RG_CHECK_FAIL, "holds no non-empty regular file (0 files)");
    fx_run(fx, "{\"backup\": \"backup\", \"format\": \"manifest\"}", NOW_20250610_0900);
    assert_result(fx, RG_CHECK_ERROR, "is a directory, not what format 'manifest' reads");
}

/* ---- fail-closed: missing, unknown, malformed, escaping ------------------------------------- */

static void test_missing(void **state)
{
    fixture *fx = *state;
    fx_evidence(fx, "backup", "nothing-here.json");
    fx_run(fx, "{\"backup\": \"backup\"}", NOW_20250610_0900);
    assert_result(fx, RG_CHECK_FAIL, "no backup: evidence 'backup': nothing-here.json does not exist");
    fx_run(fx, "{\"backup\": \"undeclared\"}", NOW_20250610_0900);
    assert_result(fx, RG_CHECK_FAIL, "no backup: evidence 'undeclared' is not declared in the context");
}

static void test_unknown_and_malformed(void **state)
{
    fixture *fx = *state;
    fx_puts(fx, "scan.sarif", "{\"version\": \"2.1.0\", \"runs\": []}");
    fx_evidence(fx, "backup", "scan.sarif");
    fx_run(fx, "{\"backup\": \"backup\"}", NOW_20250610_0900);
    assert_result(fx, RG_CHECK_ERROR, "evidence 'backup': unrecognised backup format: a JSON object with keys \"version\", \"runs\"");

    fx_data(fx, "backup", "restic-0.14-snapshots.json", "restic.json");
    fx_run(fx, "{\"backup\": \"backup\", \"format\": \"manifest\"}", NOW_20250610_0900);
    assert_result(fx, RG_CHECK_ERROR, "evidence 'backup' is not a valid manifest: a backup manifest is a JSON object");
    fx_run(fx, "{\"backup\": \"backup\", \"format\": \"borg\"}", NOW_20250610_0900);
    assert_result(fx, RG_CHECK_ERROR, "not a valid borg");
    fx_run(fx, "{\"backup\": \"backup\", \"format\": \"restic\"}", NOW_20250610_0900);
    assert_result(fx, RG_CHECK_PASS, NULL);

    fx_puts(fx, "m.json", "{\"snapshots\": [{\"id\": \"a\", \"status\": \"completed\", \"completed_at\": \"2025-06-10T02:00:00Z\", \"size_bytes\": \"big\"}]}");
    fx_evidence(fx, "backup", "m.json");
    fx_run(fx, "{\"backup\": \"backup\"}", NOW_20250610_0900);
    assert_result(fx, RG_CHECK_ERROR, "evidence 'backup' is not a valid manifest: snapshots[0] (id 'a'): \"size_bytes\" must be a whole number");

    fx_puts(fx, "m.json", "{\"snapshots\": [{\"id\": \"a\", \"status\": \"completed\", \"completed_at\": \"2025-06-10T02:00:00Z\", \"size_bytes\": 1}");
    fx_run(fx, "{\"backup\": \"backup\"}", NOW_20250610_0900);
    assert_result(fx, RG_CHECK_ERROR, "not well-formed JSON");
    fx_run(fx, "{\"backup\": \"backup\", \"format\": \"manifest\"}", NOW_20250610_0900);
    assert_result(fx, RG_CHECK_ERROR, "is not a valid manifest: not well-formed JSON");

    /* an id with control characters stays on one line */
    fx_puts(fx, "m.json", "{\"snapshots\": [{\"id\": \"evil\\nline\", \"status\": \"completed\", \"completed_at\": \"2025-06-10T02:00:00Z\", \"size_bytes\": 0}]}");
    fx_run(fx, "{\"backup\": \"backup\"}", NOW_20250610_0900);
    assert_result(fx, RG_CHECK_FAIL, "snapshot 'evil?line'");
    assert_string_equal(fx_detail_string(fx, "chosen.id"), "evil?line");
}

static void test_too_large(void **state)
{
    fixture *fx = *state;
    size_t n = (size_t)5 << 20;
    char *big = malloc(n);
    assert_non_null(big);
    memset(big, ' ', n);
    big[0] = '{';
    big[n - 1] = '}';
    fx_write(fx, "huge.json", big, n);
    free(big);
    fx_evidence(fx, "backup", "huge.json");
    fx_run(fx, "{\"backup\": \"backup\"}", NOW_20250610_0900);
    assert_result(fx, RG_CHECK_ERROR, "cannot read evidence 'backup'");
    assert_non_null(strstr(fx->result.message, "give format = \"file\""));
}

static void test_escape(void **state)
{
    fixture *fx = *state;
    char link[PATH_MAX];
    /* a link out of the evidence root: the engine's path rules make it an error */
    assert_int_equal(symlink("/etc", fx_path(fx, "out", link, sizeof link)), 0);
    fx_evidence(fx, "backup", "out");
    fx_run(fx, "{\"backup\": \"backup\"}", NOW_20250610_0900);
    assert_int_equal(fx->result.status, RG_CHECK_ERROR);
    assert_true(fx->result.violation);

    /* the same for the file verify_sha256 hashes */
    fx_data(fx, "backup", "manifest-ok.json", "manifest.json");
    assert_int_equal(symlink("/etc/hostname", fx_path(fx, "dump", link, sizeof link)), 0);
    fx_evidence(fx, "dump", "dump");
    fx_run(fx, "{\"backup\": \"backup\", \"verify_sha256\": true, \"file\": \"dump\"}", NOW_20250610_0900);
    assert_int_equal(fx->result.status, RG_CHECK_ERROR);
    assert_true(fx->result.violation);
}

static void test_params(void **state)
{
    fixture *fx = *state;
    fx_data(fx, "backup", "manifest-ok.json", "manifest.json");
    /* The engine refuses a format the descriptor does not allow; the check, given one
     * anyway (RGT_MISSING_OK lifts the list), refuses it too. */
    rgt_refused(fx_check(), "{\"backup\": \"backup\", \"format\": \"tarball\"}",
                "format is \"tarball\", not one of the values it allows: auto, manifest, restic, borg, file, directory");
    fx_run(fx, "{\"backup\": \"backup\", \"format\": \"tarball\"}", NOW_20250610_0900);
    assert_result(fx, RG_CHECK_ERROR, "parameter 'format' must be auto, manifest, restic, borg, file or directory");
    fx_run(fx, "{\"backup\": \"backup\", \"timezone\": \"Europe/Berlin\"}", NOW_20250610_0900);
    assert_result(fx, RG_CHECK_ERROR, "parameter 'timezone' must be UTC or an offset");
    fx_run(fx, "{\"backup\": \"backup\", \"min_size\": 0}", NOW_20250610_0900);
    assert_result(fx, RG_CHECK_ERROR, "an empty backup never passes");
    fx_run(fx, "{\"backup\": \"backup\", \"max_age\": 0}", NOW_20250610_0900);
    assert_result(fx, RG_CHECK_ERROR, "parameter 'max_age' must be a positive duration");
    /* max_age 1e300 never reaches the check: the engine refuses durations over 100 years. */
    fx_run(fx, "{\"backup\": \"backup\", \"paths\": [\"\"]}", NOW_20250610_0900);
    assert_result(fx, RG_CHECK_ERROR, "parameter 'paths'");
    fx_run(fx, "{\"backup\": \"backup\", \"format\": \"manifest\", \"timezone\": \"-03:30\", \"max_age\": \"7d\"}",
           NOW_20250610_0900);
    assert_result(fx, RG_CHECK_PASS, "max_age 7d");
    fx_run(fx, "{}", NOW_20250610_0900);
    assert_result(fx, RG_CHECK_ERROR, "parameter 'backup'");
}

/* The descriptor's parameter table is what the engine validates against. */
static void test_descriptor(void **state)
{
    const rg_check *c = fx_check();
    (void)state;
    assert_string_equal(c->name, "backup.present");
    assert_true(c->param_count >= 10);
    assert_string_equal(c->params[0].name, "backup");
    assert_int_equal(c->params[0].type, RG_PARAM_EVIDENCE);
    assert_true(c->params[0].required);
    for (size_t i = 0; i < c->param_count; i++) {
        assert_non_null(c->params[i].description);
        assert_true(c->params[i].description[0] != '\0');
    }
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)
    const struct CMUnitTest tests[] = {
        T(test_manifest_pass),
        T(test_manifest_too_old),
        T(test_manifest_future),
        T(test_manifest_restore_verified),
        T(test_manifest_sha256),
        T(test_manifest_sha256_link),
        T(test_manifest_filters),
        T(test_manifest_empty_snapshot),
        T(test_manifest_empty_list),
        T(test_manifest_round28),
        T(test_manifest_peers),
        T(test_restic),
        T(test_borg),
        T(test_file),
        T(test_directory),
        T(test_pg_dump_directory),
        T(test_pg_basebackup),
        T(test_directory_newest_file),
        T(test_missing),
        T(test_unknown_and_malformed),
        T(test_too_large),
        T(test_escape),
        T(test_params),
        cmocka_unit_test(test_descriptor),
    };
    const char *needs[sizeof tests / sizeof tests[0]] = {
        [9] = rgt_env_path("RG_PEERS_DIR", "inputs/backup-manifest.json"),
    };
    /* test_manifest_peers needs ../shared/peers: run without it when that is absent. */
    return rgt_run_with_data("backup.present", tests, needs, sizeof tests / sizeof tests[0]);
}
