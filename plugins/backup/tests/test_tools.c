/* backup.present on the real tools: make restic and borg repositories in a temporary
 * directory, back up some files, and feed what `restic snapshots --json`, `borg list
 * --json` and `borg info --json` print to the check; and archives written by tar, xz,
 * zstd, lz4, bzip2, zip and cpio, whole and cut short.  Skips when a tool is absent. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "support.h"

extern char **environ;

/* Run ARGV with the fixture's tool environment plus TZ; standard output to OUT (a path
 * under the fixture, or NULL to discard), standard error to tool.log.  Fails the test
 * when the tool fails. */
static void run(fixture *fx, const char *tz, const char *out, char *const argv[])
{
    char home[PATH_MAX], repo_r[PATH_MAX], repo_b[PATH_MAX], outpath[PATH_MAX], logpath[PATH_MAX];
    char e_home[PATH_MAX + 8], e_rrepo[PATH_MAX + 24], e_rcache[PATH_MAX + 24], e_bbase[PATH_MAX + 24];
    char e_tz[64], e_path[PATH_MAX * 2];
    char *envp[16];
    int k = 0, status;
    pid_t pid;
    posix_spawn_file_actions_t fa;

    fx_path(fx, "home", home, sizeof home);
    fx_path(fx, "restic-repo", repo_r, sizeof repo_r);
    fx_path(fx, "borg-repo", repo_b, sizeof repo_b);
    (void)repo_b;
    snprintf(e_home, sizeof e_home, "HOME=%s", home);
    snprintf(e_rrepo, sizeof e_rrepo, "RESTIC_REPOSITORY=%s", repo_r);
    snprintf(e_rcache, sizeof e_rcache, "RESTIC_CACHE_DIR=%s/cache", home);
    snprintf(e_bbase, sizeof e_bbase, "BORG_BASE_DIR=%s", home);
    snprintf(e_tz, sizeof e_tz, "TZ=%s", tz);
    snprintf(e_path, sizeof e_path, "PATH=%s", getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin");
    envp[k++] = e_home;
    envp[k++] = e_rrepo;
    envp[k++] = e_rcache;
    envp[k++] = (char *)"RESTIC_PASSWORD=relgate-test";
    envp[k++] = e_bbase;
    envp[k++] = (char *)"BORG_PASSPHRASE=relgate-test";
    envp[k++] = (char *)"BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK=yes";
    envp[k++] = (char *)"BORG_RELOCATED_REPO_ACCESS_IS_OK=yes";
    envp[k++] = e_tz;
    envp[k++] = e_path;
    envp[k] = NULL;

    posix_spawn_file_actions_init(&fa);
    if (out)
        fx_path(fx, out, outpath, sizeof outpath);
    posix_spawn_file_actions_addopen(&fa, 1, out ? outpath : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&fa, 2, fx_path(fx, "tool.log", logpath, sizeof logpath),
                                     O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    if (posix_spawnp(&pid, argv[0], &fa, NULL, argv, envp) != 0)
        fail_msg("cannot start %s", argv[0]);
    posix_spawn_file_actions_destroy(&fa);
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        char *log = fx_slurp(logpath, NULL);
        fail_msg("%s %s failed (status %d): %s", argv[0], argv[1], status, log ? log : "");
    }
}

/* The files a backup takes: DATA/db/base.dump (4 KiB) and DATA/www/index.html. */
static void make_data(fixture *fx, char *data, size_t size)
{
    char block[4096];
    memset(block, 'x', sizeof block);
    fx_write(fx, "data/db/base.dump", block, sizeof block);
    fx_puts(fx, "data/www/index.html", "<html></html>\n");
    fx_puts(fx, "home/.keep", "");
    fx_path(fx, "data", data, size);
}

static void test_restic(void **state)
{
    fixture *fx = *state;
    char data[PATH_MAX], db[PATH_MAX + 8], www[PATH_MAX + 8], params[PATH_MAX * 2];
    int64_t now;
    make_data(fx, data, sizeof data);
    snprintf(db, sizeof db, "%s/db", data);
    snprintf(www, sizeof www, "%s/www", data);
    run(fx, "UTC", NULL, (char *[]){"restic", "init", "-q", NULL});
    run(fx, "UTC", NULL, (char *[]){"restic", "backup", "-q", "--host", "db-1", db, NULL});
    /* a backup from a machine in Tokyo: restic writes its local time with +09:00 */
    run(fx, "Asia/Tokyo", NULL, (char *[]){"restic", "backup", "-q", "--host", "web-1", www, NULL});
    /* an old one, a year back */
    run(fx, "UTC", NULL, (char *[]){"restic", "backup", "-q", "--host", "old-1", "--time", "2020-01-01 00:00:00", db, NULL});
    run(fx, "UTC", "restic.json", (char *[]){"restic", "snapshots", "--json", NULL});
    fx_evidence(fx, "backup", "restic.json");
    now = (int64_t)time(NULL);   /* after the tools ran, however long they took */

    fx_run(fx, "{\"backup\": \"backup\"}", now + 60);
    assert_result(fx, RG_CHECK_PASS, "restic snapshot '");
    assert_string_equal(fx_detail_string(fx, "format"), "restic");
    assert_string_equal(fx_detail_string(fx, "chosen.hostname"), "web-1");
    assert_non_null(strstr(fx_detail_string(fx, "chosen.time_text"), "+09:00"));
    /* read with its zone, the Tokyo snapshot is minutes old, not nine hours */
    assert_true(fx_detail_number(fx, "chosen.age_hours") < 0.1);
    assert_int_equal(fx_detail_number(fx, "snapshot_count"), 3);

    snprintf(params, sizeof params, "{\"backup\": \"backup\", \"host\": \"db-1\", \"paths\": [\"%s\"], \"max_age\": \"1h\"}", db);
    fx_run(fx, params, now + 60);
    assert_result(fx, RG_CHECK_PASS, NULL);
    assert_string_equal(fx_detail_string(fx, "chosen.paths.0"), db);
    /* a path under the one backed up is not known to be in it: restic records only its
     * --exclude patterns, not --exclude-file, --exclude-if-present, -x... (round 28, F01) */
    snprintf(params, sizeof params, "{\"backup\": \"backup\", \"host\": \"db-1\", \"paths\": [\"%s/base.dump\"], \"max_age\": \"1h\"}", db);
    fx_run(fx, params, now + 60);
    assert_result(fx, RG_CHECK_FAIL, "without the required paths");

    fx_run(fx, "{\"backup\": \"backup\", \"host\": \"old-1\"}", now + 60);
    assert_result(fx, RG_CHECK_FAIL, "started 2020-01-01T00:00:00Z is ");
    assert_non_null(strstr(fx->result.message, "older than max_age 24h"));

    snprintf(params, sizeof params, "{\"backup\": \"backup\", \"paths\": [\"%s/etc\"]}", data);
    fx_run(fx, params, now + 60);
    assert_result(fx, RG_CHECK_FAIL, "3 without the required paths");

    /* grouped output, and an empty repository's listing */
    run(fx, "UTC", "grouped.json", (char *[]){"restic", "snapshots", "--json", "--group-by", "host,paths", NULL});
    fx_evidence(fx, "backup", "grouped.json");
    fx_run(fx, "{\"backup\": \"backup\", \"host\": \"db-1\"}", now + 60);
    assert_result(fx, RG_CHECK_PASS, NULL);
    run(fx, "UTC", "none.json", (char *[]){"restic", "snapshots", "--json", "--host", "nobody", NULL});
    fx_evidence(fx, "backup", "none.json");
    fx_run(fx, "{\"backup\": \"backup\", \"format\": \"restic\"}", now + 60);
    assert_result(fx, RG_CHECK_FAIL, "no snapshot in evidence 'backup' (an empty repository)");
    fx_run(fx, "{\"backup\": \"backup\"}", now + 60);
    assert_result(fx, RG_CHECK_ERROR, "unrecognised backup format: a JSON list of 0 items");
}

static void test_borg(void **state)
{
    fixture *fx = *state;
    char data[PATH_MAX], db[PATH_MAX + 8], repo[PATH_MAX], arch[PATH_MAX + 32], params[PATH_MAX * 2];
    int64_t now;
    make_data(fx, data, sizeof data);
    snprintf(db, sizeof db, "%s/db", data);
    fx_path(fx, "borg-repo", repo, sizeof repo);
    run(fx, "UTC", NULL, (char *[]){"borg", "init", "--encryption", "repokey", repo, NULL});
    snprintf(arch, sizeof arch, "%s::db-now", repo);
    run(fx, "UTC", NULL, (char *[]){"borg", "create", "--compression", "lz4", arch, db, NULL});
    snprintf(arch, sizeof arch, "%s::db-old", repo);
    run(fx, "UTC", NULL, (char *[]){"borg", "create", "--timestamp", "2020-01-01T00:00:00", arch, db, NULL});

    /* listed under TZ=UTC: the times are UTC */
    run(fx, "UTC", "list-utc.json", (char *[]){"borg", "list", "--json", repo, NULL});
    fx_evidence(fx, "backup", "list-utc.json");
    now = (int64_t)time(NULL);   /* after the tools ran, however long they took */
    fx_run(fx, "{\"backup\": \"backup\"}", now + 60);
    assert_result(fx, RG_CHECK_PASS, "borg snapshot 'db-now' started ");
    assert_true(fx_detail_number(fx, "chosen.age_hours") < 0.1);
    assert_string_equal(fx_detail_string(fx, "skipped.0.id"), "db-old");

    /* listed in Tokyo: borg 1.x prints local time without a zone.  Read as UTC the
     * archive lies nine hours ahead, which fails; with the zone given it passes. */
    run(fx, "Asia/Tokyo", "list-tokyo.json", (char *[]){"borg", "list", "--json", repo, NULL});
    fx_evidence(fx, "backup", "list-tokyo.json");
    fx_run(fx, "{\"backup\": \"backup\"}", now + 60);
    assert_result(fx, RG_CHECK_FAIL, "after the evaluation time (clock or time zone wrong?)");
    fx_run(fx, "{\"backup\": \"backup\", \"timezone\": \"+09:00\"}", now + 60);
    assert_result(fx, RG_CHECK_PASS, "'db-now'");
    assert_true(fx_detail_number(fx, "chosen.age_hours") < 0.1);

    /* borg info: end time, size, host and paths from the command line -- paths that prove
     * nothing: `borg recreate --exclude` takes any of them out and leaves the command line
     * as it was (real round 37, F07; round 37d, F03) */
    run(fx, "UTC", "info.json", (char *[]){"borg", "info", "--json", "--last", "5", repo, NULL});
    fx_evidence(fx, "backup", "info.json");
    snprintf(params, sizeof params, "{\"backup\": \"backup\", \"paths\": [\"%s\"], \"min_size\": 4096}", db);
    fx_run(fx, params, now + 60);
    assert_result(fx, RG_CHECK_FAIL, "without the required paths");
    assert_non_null(strstr(fx_detail_string(fx, "skipped.0.reason"), "paths unknown: borg's command line says"));
    snprintf(params, sizeof params, "{\"backup\": \"backup\", \"min_size\": 4096}");
    fx_run(fx, params, now + 60);
    assert_result(fx, RG_CHECK_PASS, "borg snapshot 'db-now' completed ");
    assert_int_equal(fx_detail_number(fx, "chosen.size_bytes"), 4096);
    assert_string_equal(fx_detail_string(fx, "chosen.paths.0"), db);
    fx_run(fx, "{\"backup\": \"backup\", \"min_size\": 4097}", now + 60);
    assert_result(fx, RG_CHECK_FAIL, "has 4096 bytes, less than min_size 4097");
    fx_run(fx, "{\"backup\": \"backup\", \"max_age\": \"1h\"}", now + 2 * 3600);
    assert_result(fx, RG_CHECK_FAIL, "older than max_age 1h");
}

/* borg 2 (Debian's borgbackup2): times carry their offset, and `info --json` writes
 * command_line as one string, `borg2 -r REPO create NAME PATH...`. */
static void test_borg2(void **state)
{
    fixture *fx = *state;
    char data[PATH_MAX], db[PATH_MAX + 8], repo[PATH_MAX], params[PATH_MAX * 2];
    int64_t now;
    make_data(fx, data, sizeof data);
    snprintf(db, sizeof db, "%s/db", data);
    fx_path(fx, "borg2-repo", repo, sizeof repo);
    run(fx, "UTC", NULL, (char *[]){"borg2", "-r", repo, "rcreate", "--encryption", "none", NULL});
    run(fx, "JST-9", NULL, (char *[]){"borg2", "-r", repo, "create", "--compression", "lz4", "--comment",
                                      "nightly run", "db-now", db, NULL});
    run(fx, "UTC", NULL, (char *[]){"borg2", "-r", repo, "create", "--exclude", "*.tmp", "db-excl", db, NULL});

    run(fx, "JST-9", "rlist.json", (char *[]){"borg2", "-r", repo, "rlist", "--json", NULL});
    fx_evidence(fx, "backup", "rlist.json");
    now = (int64_t)time(NULL);
    fx_run(fx, "{\"backup\": \"backup\"}", now + 60);
    assert_result(fx, RG_CHECK_PASS, "borg snapshot 'db-excl' started ");
    assert_non_null(strstr(fx_detail_string(fx, "chosen.time_text"), "+09:00"));
    assert_true(fx_detail_number(fx, "chosen.age_hours") < 0.1);   /* the offset was used */
    assert_null(fx_detail(fx, "chosen.zone_assumed"));

    run(fx, "JST-9", "info.json", (char *[]){"borg2", "-r", repo, "info", "--json", "-a", "db-now", NULL});
    fx_evidence(fx, "backup", "info.json");
    snprintf(params, sizeof params, "{\"backup\": \"backup\", \"paths\": [\"%s\"], \"min_size\": 4096}", db);
    fx_run(fx, params, now + 60);
    assert_result(fx, RG_CHECK_FAIL, "without the required paths");   /* recreate, as borg 1 */
    assert_non_null(strstr(fx_detail_string(fx, "skipped.0.reason"), "paths unknown: borg's command line says"));
    snprintf(params, sizeof params, "{\"backup\": \"backup\", \"min_size\": 4096}");
    fx_run(fx, params, now + 60);
    assert_result(fx, RG_CHECK_PASS, "borg snapshot 'db-now' completed ");
    assert_string_equal(fx_detail_string(fx, "variant"), "borg info --json");
    assert_true(fx_detail_number(fx, "chosen.size_bytes") >= 4096);   /* borg 2 counts some metadata too */
    assert_string_equal(fx_detail_string(fx, "chosen.paths.0"), db);

    /* the archive made with --exclude: its paths count only when listed themselves */
    run(fx, "UTC", "info-excl.json", (char *[]){"borg2", "-r", repo, "info", "--json", "-a", "db-excl", NULL});
    fx_evidence(fx, "backup", "info-excl.json");
    snprintf(params, sizeof params, "{\"backup\": \"backup\", \"paths\": [\"%s/base.dump\"], \"min_size\": 4096}", db);
    fx_run(fx, params, now + 60);
    assert_result(fx, RG_CHECK_FAIL, "without the required paths");
}

/* ---- Archives and compressed files cut short ----------------------------------------
 * What a tool killed part way, or out of disk, leaves: the archive's first bytes, up to
 * anywhere.  Each tool writes the whole of DATA; the file passes, and cut at a few
 * places it is incomplete.  DATA holds 300 KiB that do not compress, so that zstd and
 * lz4 write several blocks, and text that does. */

static void make_archive_data(fixture *fx)
{
    static unsigned char noise[300 * 1024];
    uint32_t x = 2463534242u;
    char line[64];
    for (size_t i = 0; i < sizeof noise; i++) {   /* xorshift32: the same bytes every run */
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        noise[i] = (unsigned char)x;
    }
    fx_write(fx, "src/noise.bin", noise, sizeof noise);
    fx_puts(fx, "src/text.txt", "");
    for (int i = 0; i < 2000; i++) {
        int n = snprintf(line, sizeof line, "order %d: paid\n", i);
        char path[PATH_MAX];
        FILE *f = fopen(fx_path(fx, "src/text.txt", path, sizeof path), "a");
        assert_non_null(f);
        assert_int_equal(fwrite(line, 1, (size_t)n, f), (size_t)n);
        fclose(f);
    }
}

typedef struct archive_tool {
    const char *tool;      /* on $PATH, or the case is skipped */
    const char *command;   /* run by sh in the fixture, writing archive.bin from src */
    const char *variant;   /* what the check names its format */
    int tail_is_padding;   /* the last bytes are padding after the end mark: cutting them loses nothing */
} archive_tool;

static const archive_tool ARCHIVE_TOOLS[] = {
    {"tar", "tar cf archive.bin src", "tar", 0},
    {"xz", "tar cJf archive.bin src", "xz", 0},
    {"zstd", "tar --zstd -cf archive.bin src", "zstd", 0},
    {"zstd", "tar cf - src | zstd -q --no-check >archive.bin", "zstd", 0},
    {"pzstd", "tar cf - src | pzstd -q -p 2 >archive.bin", "zstd", 0},
    {"lz4", "tar cf - src | lz4 -q -BD -BX >archive.bin", "lz4", 0},
    {"lz4", "tar cf - src | lz4 -q -l >archive.bin", "lz4", 0},
    {"bzip2", "tar cjf archive.bin src", "bzip2", 0},
    {"zip", "zip -qr archive.bin src", "zip", 0},
    {"7z", "7z a -bd -bso0 archive.7z src && mv archive.7z archive.bin", "7z", 0},
    {"cpio", "find src | cpio -o -H newc --quiet >archive.bin", "cpio", 1},
    /* padded to 5120-byte blocks: the trailer further from the end (hostile round 41b, F02) */
    {"cpio", "find src | cpio -o -H newc -B --quiet >archive.bin", "cpio", 1},
    /* a member of zeros (a WAL segment): cut in it, the last bytes are zeros too (41b, F01) */
    {"tar", "mkdir -p zsrc && head -c 2000000 /dev/zero >zsrc/wal && tar cf archive.bin zsrc", "tar", 0},
    {"cpio", "find src | cpio -o --quiet >archive.bin", "cpio", 1},
    {"python3", "python3 -c 'import tarfile; t = tarfile.open(\"archive.bin\", \"w\"); t.add(\"src\"); t.close()'",
     "tar", 0},
};

static void test_archives_cut(void **state)
{
    fixture *fx = *state;
    char path[PATH_MAX], command[PATH_MAX + 512];
    struct stat st;
    size_t ran = 0;
    make_archive_data(fx);
    for (size_t i = 0; i < sizeof ARCHIVE_TOOLS / sizeof ARCHIVE_TOOLS[0]; i++) {
        const archive_tool *t = &ARCHIVE_TOOLS[i];
        int64_t now;
        if (!rgt_have(t->tool))
            continue;
        snprintf(command, sizeof command, "cd '%s' && rm -f archive.bin && %s", fx->dir, t->command);
        run(fx, "UTC", NULL, (char *[]){"sh", "-c", command, NULL});
        fx_evidence(fx, "backup", "archive.bin");
        assert_int_equal(stat(fx_path(fx, "archive.bin", path, sizeof path), &st), 0);
        now = (int64_t)time(NULL) + 60;
        fx_run(fx, "{\"backup\": \"backup\"}", now);
        if (fx->result.status != RG_CHECK_PASS)
            fail_msg("%s: the whole archive: %s", t->command, fx->result.message);
        assert_string_equal(fx_detail_string(fx, "variant"), t->variant);
        const off_t cuts[] = {st.st_size / 2, st.st_size - 1, st.st_size - 7, st.st_size - 600};
        for (size_t k = 0; k < sizeof cuts / sizeof cuts[0]; k++) {
            if (t->tail_is_padding && k > 0 && k < 3)
                continue;
            assert_int_equal(truncate(path, cuts[k]), 0);
            fx_run(fx, "{\"backup\": \"backup\"}", now);
            if (fx->result.status != RG_CHECK_FAIL || !strstr(fx->result.message, "1 incomplete"))
                fail_msg("%s cut to %lld of %lld bytes: %s", t->command, (long long)cuts[k], (long long)st.st_size,
                         fx->result.message);
            assert_non_null(strstr(fx_detail_string(fx, "skipped.0.reason"), "its tool did not finish it"));
        }
        ran++;
    }
    assert_true(ran > 0);   /* tar, at least, is on every machine that builds relgate */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_restic, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_borg, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_borg2, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_archives_cut, fx_setup, fx_teardown),
    };
    /* "needs" a path that exists: a tool missing from $PATH names one that does not */
    const char *const needs[] = {
        rgt_have("restic") ? NULL : "restic (not on $PATH)",
        rgt_have("borg") ? NULL : "borg (not on $PATH)",
        rgt_have("borg2") ? NULL : "borg2 (not on $PATH)",
        NULL,   /* each archive tool is skipped alone when missing */
    };
    return rgt_run_with_data("backup tools", tests, needs, sizeof tests / sizeof tests[0]);
}
