/* relgate bundle: make a policy bundle (its manifest, or a reproducible .tar), print the
 * digest a team pins it by, and pin bundles in a lock file -- so that nobody writes a
 * manifest or a digest by hand. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "cli.h"
#include "error.h"
#include "fileio.h"
#include "json_writer.h"

static const char BUNDLE_USAGE[] =
    "usage: relgate bundle build DIR [-o NAME.tar] [--name NAME] [--version V] [--entry FILE]\n"
    "       relgate bundle digest BUNDLE\n"
    "       relgate bundle lock [--lock FILE] [NAME=]BUNDLE...\n"
    "\n"
    "A bundle is a baseline teams take exactly as released: a directory or a .tar holding\n"
    "its files and a manifest, bundle.json, that pins each by its SHA-256.  A policy pins\n"
    "the bundle by the digest of that manifest: extends \"NAME@sha256:...\", or relgate.lock.\n"
    "\n"
    "  build DIR              write DIR/bundle.json pinning every file below DIR (hidden\n"
    "                         names left out; links and devices refused)\n"
    "    -o, --output FILE    write a .tar of the manifest and the files instead (DIR is\n"
    "                         left alone): the same files give the same bytes\n"
    "    --name NAME          the bundle's name (default: the manifest's, else DIR's name)\n"
    "    --version V          its version (default: the manifest's)\n"
    "    --entry FILE         its policy, the file extends runs (default: the manifest's,\n"
    "                         else NAME.lua)\n"
    "  digest BUNDLE          check BUNDLE (a directory or a .tar) as relgate loads it and\n"
    "                         print NAME@sha256:... for extends\n"
    "  lock [NAME=]BUNDLE...  check each bundle and pin it in the lock file under NAME\n"
    "                         (default: its file or directory name without .tar)\n"
    "    --lock FILE          the lock file (default: relgate.lock); other entries are kept\n"
    "  -h, --help             show this help\n"
    "\n"
    "Every command prints NAME@sha256:... for each bundle on standard output.\n"
    "exit codes: 0 done, 2 error (a usage error, or a bundle that is not as its manifest says).\n"
    "More: man relgate; " RG_DOC_DIR "/policies.md (Bundles).\n";

enum { OPT_OUTPUT, OPT_NAME, OPT_VERSION, OPT_ENTRY, OPT_LOCK };

static const rg_option BUILD_OPTIONS[] = {
    {"--output", "-o", "a path", OPT_OUTPUT},
    {"--name", NULL, "a name", OPT_NAME},
    {"--version", NULL, "a version", OPT_VERSION},
    {"--entry", NULL, "a file of the bundle", OPT_ENTRY},
    {NULL, NULL, NULL, 0},
};

static const rg_option LOCK_OPTIONS[] = {
    {"--lock", NULL, "a path", OPT_LOCK},
    {NULL, NULL, NULL, 0},
};

static const rg_option NO_OPTIONS[] = {
    {NULL, NULL, NULL, 0},
};

/* The name extends finds the bundle at PATH by: its last component, without .tar. */
static void lookup_name(const char *path, char *name, size_t size)
{
    char trimmed[PATH_MAX];
    const char *base;
    size_t n;
    rg_strlcpy(trimmed, path, sizeof trimmed);
    for (n = strlen(trimmed); n > 1 && trimmed[n - 1] == '/'; n--)
        trimmed[n - 1] = '\0';
    base = strrchr(trimmed, '/');
    rg_strlcpy(name, base && base[1] ? base + 1 : trimmed, size);
    if ((n = strlen(name)) > 4 && strcmp(name + n - 4, ".tar") == 0)
        name[n - 4] = '\0';
}

static int failed(rg_error *err)
{
    rg_cli_report(err);
    rg_error_clear(err);
    return RG_EXIT_ERROR;
}

static int cmd_build(int argc, char **argv)
{
    rg_opt_state st;
    rg_error err = {0};
    const char *v, *dir = NULL, *output = NULL, *name = NULL, *version = NULL, *entry = NULL;
    char msg[512], digest[RG_BUNDLE_DIGEST_SIZE], shown[PATH_MAX];
    int id;
    rg_opt_start(&st, argc, argv);
    while ((id = rg_opt_next(&st, BUILD_OPTIONS, &v, msg, sizeof msg)) != RG_OPT_END) {
        if (id == RG_OPT_HELP) {
            fputs(BUNDLE_USAGE, stdout);
            return 0;
        }
        if (id == RG_OPT_POSITIONAL && !dir) {
            dir = v;
            continue;
        }
        if (id == RG_OPT_POSITIONAL)
            snprintf(msg, sizeof msg, "one directory at a time: '%.200s' is one too many", v);
        if (id == OPT_OUTPUT || id == OPT_NAME || id == OPT_VERSION || id == OPT_ENTRY) {
            *(id == OPT_OUTPUT ? &output : id == OPT_NAME ? &name : id == OPT_VERSION ? &version : &entry) = v;
            continue;
        }
        return rg_cli_usage("bundle", msg);
    }
    if (!dir)
        return rg_cli_usage("bundle", "which directory? relgate bundle build DIR");
    if (rg_bundle_build(dir, name, version, entry, output, NULL, digest, &err) != 0) {
        if (err.kind == RG_ERROR_USAGE) {
            rg_cli_usage("bundle", err.message);
            rg_error_clear(&err);
            return RG_EXIT_ERROR;
        }
        return failed(&err);
    }
    lookup_name(output ? output : dir, shown, sizeof shown);
    printf("%s@%s\n", shown, digest);
    return 0;
}

/* The bundles named after the options (lock: NAME=PATH too): checked, printed, and with
 * LOCK (a cJSON object) pinned there. */
static int check_each(int argc, char **argv, const rg_option *table, const char **lock_path, cJSON *lock)
{
    rg_opt_state st;
    rg_error err = {0};
    const char *v;
    char msg[512], digest[RG_BUNDLE_DIGEST_SIZE], name[PATH_MAX];
    int id, count = 0;
    rg_opt_start(&st, argc, argv);
    while ((id = rg_opt_next(&st, table, &v, msg, sizeof msg)) != RG_OPT_END) {
        const char *path = v, *eq;
        if (id == RG_OPT_HELP) {
            fputs(BUNDLE_USAGE, stdout);
            return -2;
        }
        if (id == OPT_LOCK) {
            *lock_path = v;
            continue;
        }
        if (id != RG_OPT_POSITIONAL)
            return rg_cli_usage("bundle", msg);
        if (!lock && count > 0)
            return rg_cli_usage("bundle", "one bundle at a time");
        if (lock && (eq = strchr(v, '=')) != NULL) {
            snprintf(name, sizeof name, "%.*s", (int)(eq - v), v);
            path = eq + 1;
        } else {
            lookup_name(v, name, sizeof name);
        }
        if (rg_bundle_check(path, NULL, digest, NULL, NULL, 0, &err) != 0)
            return failed(&err);
        if (lock) {
            cJSON_DeleteItemFromObjectCaseSensitive(lock, name);
            if (!cJSON_AddStringToObject(lock, name, digest)) {
                fputs("relgate: error: out of memory\n", stderr);
                return RG_EXIT_ERROR;
            }
        }
        printf("%s@%s\n", name, digest);
        count++;
    }
    if (!count)
        return rg_cli_usage("bundle", "which bundle? a directory with a bundle.json, or a .tar");
    return 0;
}

static int compare_keys(const void *a, const void *b)
{
    return strcmp((*(cJSON *const *)a)->string, (*(cJSON *const *)b)->string);
}

static int cmd_lock(int argc, char **argv)
{
    const char *lock_path = "relgate.lock";
    cJSON *doc = NULL, *bundles, *sorted, **items = NULL;
    rg_error err = {0};
    char *text = NULL, *out;
    size_t len = 0, n = 0;
    int rc, i;
    /* the lock file's path first: it may come after the bundles */
    for (i = 1; i < argc; i++)
        if (strncmp(argv[i], "--lock=", 7) == 0)
            lock_path = argv[i] + 7;
        else if (strcmp(argv[i], "--lock") == 0 && i + 1 < argc)
            lock_path = argv[i + 1];
    if (rg_read_file(lock_path, "lock file", 1u << 20, &text, &len, &err) != 0 && access(lock_path, F_OK) == 0) {
        /* Only a lock file that is not there starts afresh: one that cannot be read (too
         * large, unreadable) was overwritten with this pin alone, the others lost (round 27,
         * F04). */
        fprintf(stderr, "relgate: error: %s\n", err.message);
        rg_error_clear(&err);
        return RG_EXIT_ERROR;
    }
    if (text) {
        /* Strictly: a pin given twice was rewritten once and kept once (round 26, F03). */
        rg_limits limits = rg_limits_default();
        if (rg_json_check(text, len, lock_path, &limits, &err) != 0) {
            fprintf(stderr, "relgate: error: %s\n", err.message);
            rg_error_clear(&err);
            free(text);
            return RG_EXIT_ERROR;
        }
        doc = cJSON_ParseWithLength(text, len);
        free(text);
        if (!cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(doc, "bundles")) || cJSON_GetArraySize(doc) != 1) {
            cJSON_Delete(doc);   /* what the loader refuses is not rewritten into what it takes */
            fprintf(stderr, "relgate: error: %s is not a lock file ({ \"bundles\": { ... } } and nothing else)\n",
                    lock_path);
            return RG_EXIT_ERROR;
        }
    }
    rg_error_clear(&err);
    if (!doc && !(doc = cJSON_CreateObject()))
        return RG_EXIT_ERROR;
    if (!(bundles = cJSON_GetObjectItemCaseSensitive(doc, "bundles")))
        bundles = cJSON_AddObjectToObject(doc, "bundles");
    rc = check_each(argc, argv, LOCK_OPTIONS, &lock_path, bundles);
    if (rc != 0) {
        cJSON_Delete(doc);
        return rc == -2 ? 0 : rc;
    }
    /* names sorted: the same pins, the same file */
    for (cJSON *e = bundles->child; e; e = e->next)
        n++;
    items = calloc(n + 1, sizeof *items);
    sorted = cJSON_CreateObject();
    if (!items || !sorted) {
        free(items);
        cJSON_Delete(sorted);
        cJSON_Delete(doc);
        return RG_EXIT_ERROR;
    }
    n = 0;
    for (cJSON *e = bundles->child; e; e = e->next)
        items[n++] = e;
    qsort(items, n, sizeof *items, compare_keys);
    for (size_t k = 0; k < n; k++)
        cJSON_AddStringToObject(sorted, items[k]->string, cJSON_GetStringValue(items[k]));
    free(items);
    cJSON_Delete(doc);
    doc = cJSON_CreateObject();
    cJSON_AddItemToObject(doc, "bundles", sorted);
    out = rg_json_print_pretty(doc);
    cJSON_Delete(doc);
    if (!out)
        return RG_EXIT_ERROR;
    rc = 0;
    if (rg_write_file_atomic(lock_path, out, strlen(out), &err) != 0)
        rc = failed(&err);
    free(out);
    return rc;
}

int rg_cmd_bundle(int argc, char **argv)
{
    const char *sub = argc > 1 ? argv[1] : NULL;
    char *dummy = NULL;
    if (!sub)
        return rg_cli_usage("bundle", "which? relgate bundle build, digest or lock");
    if (strcmp(sub, "-h") == 0 || strcmp(sub, "--help") == 0) {
        fputs(BUNDLE_USAGE, stdout);
        return 0;
    }
    if (strcmp(sub, "build") == 0)
        return cmd_build(argc - 1, argv + 1);
    if (strcmp(sub, "lock") == 0)
        return cmd_lock(argc - 1, argv + 1);
    if (strcmp(sub, "digest") == 0) {
        int rc = check_each(argc - 1, argv + 1, NO_OPTIONS, (const char **)&dummy, NULL);
        return rc == -2 ? 0 : rc;
    }
    {
        char msg[256];
        snprintf(msg, sizeof msg, "unknown bundle command '%.100s': build, digest or lock", sub);
        return rg_cli_usage("bundle", msg);
    }
}
