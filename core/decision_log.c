/* The decision log: append-only JSON lines, locked, synced, never half-written. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "decision_log.h"
#include "fileio.h"
#include "error.h"
#include "json.h"

#define LINE_MAX_BYTES (64u << 20)

static int append_block(const char *path, const char *block, size_t len, rg_error *err);

int rg_log_append(const char *path, const char *entry, size_t len, rg_error *err)
{
    char *line;
    int rc;
    if (memchr(entry, '\n', len))
        return rg_fail(err, RG_ERROR_INTERNAL, path, 0, 0, "log entry for %s spans lines", path);
    line = malloc(len + 1);
    if (!line)
        return rg_fail(err, RG_ERROR_INTERNAL, path, 0, 0, "out of memory writing the decision log");
    memcpy(line, entry, len);
    line[len] = '\n';
    rc = append_block(path, line, len + 1, err);
    free(line);
    return rc;
}

int rg_log_append_lines(const char *path, const char *lines, size_t len, rg_error *err)
{
    if (len == 0 || lines[len - 1] != '\n')
        return rg_fail(err, RG_ERROR_INTERNAL, path, 0, 0, "log lines for %s do not end a line", path);
    return append_block(path, lines, len, err);
}

/* One write of BLOCK (whole lines) under an exclusive lock, synced; a short write is
 * cut back. */
static int append_block(const char *path, const char *line, size_t len, rg_error *err)
{
    struct stat st;
    ssize_t n;
    int fd, e;

    /* A FIFO in the log's place must not hang the gate: refused without waiting. */
    fd = rg_open_regular(path, O_WRONLY | O_APPEND | O_CREAT, &st);
    if (fd == RG_OPEN_FAILED) {
        e = errno;
        return rg_fail(err, RG_ERROR_IO, path, 0, 0, "cannot open the decision log %s: %s", path,
                       e == ENXIO ? "it is a FIFO with no reader" : strerror(e));
    }
    if (fd == RG_OPEN_NOT_FILE)
        return rg_fail(err, RG_ERROR_IO, path, 0, 0, "the decision log %s is not a regular file", path);
    while (flock(fd, LOCK_EX) != 0) {
        if (errno != EINTR) {
            e = errno;
            close(fd);
            return rg_fail(err, RG_ERROR_IO, path, 0, 0, "cannot lock the decision log %s: %s", path, strerror(e));
        }
    }
    /* The size under the lock: where this line starts, and where to cut back to. */
    if (fstat(fd, &st) != 0) st.st_size = -1;
    do {
        n = write(fd, line, len);
    } while (n < 0 && errno == EINTR);
    e = n < 0 ? errno : (n == (ssize_t)len ? 0 : ENOSPC);
    if (e == 0 && fsync(fd) != 0)
        e = errno;
    if (e != 0 && n > 0 && st.st_size >= 0 && ftruncate(fd, st.st_size) != 0) {
        /* Could not cut the partial line back: say so, the log needs a look. */
        rg_fail(err, RG_ERROR_IO, path, 0, 0, "cannot write the decision log %s: %s (and a partial line could not be removed)",
                path, strerror(e));
        flock(fd, LOCK_UN);
        close(fd);
        return -1;
    }
    flock(fd, LOCK_UN);
    if (close(fd) != 0 && e == 0)
        e = errno;
    if (e != 0)
        return rg_fail(err, RG_ERROR_IO, path, 0, 0, "cannot write the decision log %s: %s", path, strerror(e));
    return 0;
}

int rg_log_each_json(const char *path, rg_log_json_fn fn, void *data, size_t *skipped, rg_error *err)
{
    FILE *f;
    char *line = NULL;
    size_t cap = 0, bad = 0;
    ssize_t n;
    int stop = 0, e;
    struct stat st;
    /* Not fopen: a FIFO in the log's place would block it (and with it the gate). */
    int fd = rg_open_regular(path, O_RDONLY, &st);
    if (fd == RG_OPEN_NOT_FILE)
        return rg_fail(err, RG_ERROR_IO, path, 0, 0, "the decision log %s is not a regular file", path);
    if (fd == RG_OPEN_FAILED || !(f = fdopen(fd, "r"))) {
        e = errno;
        if (fd >= 0)
            close(fd);
        return rg_fail(err, RG_ERROR_IO, path, 0, 0, "cannot read the decision log %s: %s", path, strerror(e));
    }
    /* Readers share the lock with each other, not with a writer mid-line. */
    flock(fileno(f), LOCK_SH);
    while (!stop && (n = getline(&line, &cap, f)) >= 0) {
        cJSON *entry;
        if (n > 0 && line[n - 1] == '\n')
            line[--n] = '\0';
        if (n == 0)
            continue;
        entry = (size_t)n < LINE_MAX_BYTES ? cJSON_ParseWithLength(line, (size_t)n) : NULL;
        if (!cJSON_IsObject(entry)) {
            bad++;
        } else {
            stop = fn(entry, line, (size_t)n, data);
        }
        cJSON_Delete(entry);
    }
    e = ferror(f) ? errno : 0;
    flock(fileno(f), LOCK_UN);
    free(line);
    fclose(f);
    if (skipped)
        *skipped = bad;
    if (e)
        return rg_fail(err, RG_ERROR_IO, path, 0, 0, "cannot read the decision log %s: %s", path, strerror(e));
    return 0;
}

/* The newest post-deploy entry per version of one release: a version allowed once
 * and denied later (rolled back) is no longer good. */
typedef struct last_good {
    const char *name, *except;
    cJSON *latest;   /* version -> that version's newest post-deploy entry */
} last_good;

static int keep_latest(const cJSON *entry, const char *line, size_t len, void *data)
{
    (void)line;
    (void)len;
    last_good *lg = data;
    const cJSON *release = cJSON_GetObjectItemCaseSensitive(entry, "release");
    const char *decision = rg_json_string(entry, "decision"), *stage = rg_json_string(entry, "stage");
    const char *name = rg_json_string(release, "name"), *version = rg_json_string(release, "version");
    if (!decision || !stage || !name || !version || strcmp(name, lg->name) != 0 ||
        strcmp(stage, "post-deploy") != 0 || (lg->except && strcmp(version, lg->except) == 0))
        return 0;
    /* Move the version to the end: object order is then newest-last. */
    cJSON_DeleteItemFromObjectCaseSensitive(lg->latest, version);
    cJSON_AddItemToObject(lg->latest, version, cJSON_Duplicate(entry, 1));
    return 0;
}

cJSON *rg_log_last_good_json(const char *path, const char *name, const char *except, rg_error *err)
{
    last_good lg = {name, except, cJSON_CreateObject()};
    cJSON *found = NULL, *e;
    if (!lg.latest || rg_log_each_json(path, keep_latest, &lg, NULL, err) != 0) {
        cJSON_Delete(lg.latest);
        return NULL;
    }
    cJSON_ArrayForEach(e, lg.latest) {
        const char *decision = rg_json_string(e, "decision");
        if (decision && (strcmp(decision, "allow") == 0 || strcmp(decision, "warn") == 0))
            found = e;
    }
    if (found)
        found = cJSON_DetachItemViaPointer(lg.latest, found);
    cJSON_Delete(lg.latest);
    return found;
}

/* ---- The public API: entries as JSON text ----------------------------------------- */

typedef struct each_line {
    rg_log_entry_fn fn;
    void *data;
} each_line;

static int pass_line(const cJSON *entry, const char *line, size_t len, void *data)
{
    const each_line *e = data;
    (void)entry;
    return e->fn(line, len, e->data);
}

int rg_log_each(const char *path, rg_log_entry_fn fn, void *data, size_t *skipped, rg_error *err)
{
    each_line e = {fn, data};
    return rg_log_each_json(path, pass_line, &e, skipped, err);
}

char *rg_log_last_good(const char *path, const char *name, const char *except, rg_error *err)
{
    cJSON *good = rg_log_last_good_json(path, name, except, err);
    char *text = good ? cJSON_PrintUnformatted(good) : NULL;
    if (good && !text)
        rg_fail(err, RG_ERROR_INTERNAL, NULL, 0, 0, "out of memory reading the decision log %s", path);
    cJSON_Delete(good);
    return text;
}
