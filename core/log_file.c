/* The decision log as a file of JSON lines: appended under an exclusive lock in one
 * write, synced, with its head in PATH.head. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "decision_log.h"
#include "error.h"
#include "fileio.h"
#include "strbuf.h"

_Static_assert(RG_LOG_LOCK_WAIT_SECONDS == RG_LOCK_WAIT_SECONDS, "one bound for every lock a gate waits for");

#define LINE_MAX_BYTES (64u << 20)
#define TAIL_CHUNK 4096

typedef struct file_log {
    char path[PATH_MAX];
    char head_path[PATH_MAX + 8];
    int fd;            /* open and locked between begin and commit/abort */
    off_t start;       /* the size under the lock: where this append starts */
    rg_strbuf pending; /* the records of this append */
    int create;        /* opened to write: a log not there yet is an empty one */
} file_log;

/* The last newline in BUF's N bytes, or NULL (memrchr is a GNU extension). */
static const char *last_newline(const char *buf, size_t n)
{
    while (n-- > 0)
        if (buf[n] == '\n')
            return buf + n;
    return NULL;
}

static int fail(char *err, const char *fmt, ...) RG_PRINTF(2, 3);

static int fail(char *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, RG_LOG_ERRMAX, fmt, ap);
    va_end(ap);
    return -1;
}

static int file_open(const char *target, int create, void **store, char *err)
{
    file_log *f;
    struct stat st;
    /* The file is created by the first append; something else in its place is refused
     * now, before a writer evaluates anything it could not record. */
    if (create && stat(target, &st) == 0 && !S_ISREG(st.st_mode))
        return fail(err, "%s is not a regular file (it is %s)", target, rg_file_kind(st.st_mode));
    if (!(f = calloc(1, sizeof *f)))
        return fail(err, "out of memory");
    if ((size_t)snprintf(f->path, sizeof f->path, "%s", target) >= sizeof f->path)
        return free(f), fail(err, "the path is too long");
    snprintf(f->head_path, sizeof f->head_path, "%s" RG_LOG_FILE_HEAD_SUFFIX, target);
    f->fd = -1;
    f->create = create;
    *store = f;
    return 0;
}

static void release(file_log *f)
{
    if (f->fd >= 0) {
        flock(f->fd, LOCK_UN);
        close(f->fd);
        f->fd = -1;
    }
    f->pending.len = 0;
}

static void file_close(void *store)
{
    file_log *f = store;
    release(f);
    free(rg_strbuf_finish(&f->pending));
    free(f);
}

static int open_failed(const char *path, int fd, const struct stat *st, char *err)
{
    if (fd == RG_OPEN_NOT_FILE)
        return fail(err, "%s is not a regular file (it is %s)", path, rg_file_kind(st->st_mode));
    return fail(err, "%s", errno == ENXIO ? "it is a FIFO with no reader" : strerror(errno));
}

/* The last line of the file (SIZE bytes, ending in a newline), into LINE. */
static int read_last_line(int fd, off_t size, rg_strbuf *line)
{
    off_t end = size - 1, at = end;  /* end: the final newline */
    char buf[TAIL_CHUNK];
    while (at > 0) {
        size_t n = at > (off_t)sizeof buf ? sizeof buf : (size_t)at;
        const char *nl;
        if (pread(fd, buf, n, at - (off_t)n) != (ssize_t)n)
            return -1;
        nl = last_newline(buf, n);
        if (nl) {
            at = at - (off_t)n + (nl - buf) + 1;
            break;
        }
        at -= (off_t)n;
        if (end - at > (off_t)LINE_MAX_BYTES)
            return -1;
    }
    line->len = 0;
    if (rg_strbuf_reserve(line, (size_t)(end - at) + 1) != 0)
        return -1;
    if (pread(fd, line->data, (size_t)(end - at), at) != (ssize_t)(end - at))
        return -1;
    line->len = (size_t)(end - at);
    line->data[line->len] = '\0';
    return 0;
}

/* Records (non-empty lines: a scan skips empty ones) in the file's first SIZE bytes: the
 * seq of an old log's last, unchained line. */
static int64_t count_lines(int fd, off_t size)
{
    char buf[65536], before = '\n';
    int64_t lines = 0;
    for (off_t at = 0; at < size;) {
        ssize_t n = pread(fd, buf, sizeof buf, at);
        if (n <= 0)
            return -1;
        for (ssize_t i = 0; i < n; i++) {
            lines += buf[i] == '\n' && before != '\n';
            before = buf[i];
        }
        at += n;
    }
    return lines;
}

/* SIZE (the file ends with a newline) less its trailing empty lines: where its last
 * record's line ends, newline included; 0 when it holds none; -1 when it cannot be read.
 * The chain continues from the last record a scan sees, and a scan skips empty lines (a
 * log of one blank line chained its next record as seq 2: fuzz, decision_log). */
static off_t without_blank_tail(int fd, off_t size)
{
    char buf[4096];
    while (size > 1) {
        size_t n = size - 1 > (off_t)sizeof buf ? sizeof buf : (size_t)(size - 1);
        if (pread(fd, buf, n, size - 1 - (off_t)n) != (ssize_t)n)
            return -1;
        for (size_t i = n; i-- > 0; size--)
            if (buf[i] != '\n')
                return size;
    }
    return size == 1 ? 0 : size;
}

static int file_head(void *store, int *found_head, int64_t *seq, char digest[RG_LOG_DIGEST_HEX + 1], char *err);

/* Whether the file FD (SIZE bytes, not empty) is a decision log: its first non-empty line
 * a whole record, a JSON object with a "decision".  A text file, a JSON document, another
 * log's head: no (hostile round 41a, F02: the store cut a text file's last line as a
 * killed writer's, and recorded decisions in another log's head, where that log's next
 * append overwrote them).  1, 0, or -1 when it cannot be read. */
static int holds_records(int fd, off_t size)
{
    rg_strbuf line = {0};
    off_t at = 0;
    int rc = 0;
    char buf[TAIL_CHUNK];
    while (at < size) {   /* past empty lines, then the first line, whole */
        ssize_t n = pread(fd, buf, sizeof buf, at);
        const char *nl;
        if (n <= 0) {
            free(rg_strbuf_finish(&line));
            return -1;
        }
        size_t from = 0;
        while (line.len == 0 && from < (size_t)n && (buf[from] == '\n' || buf[from] == '\r'))
            from++;
        nl = memchr(buf + from, '\n', (size_t)n - from);
        rg_strbuf_add(&line, buf + from, nl ? (size_t)(nl - buf) - from : (size_t)n - from);
        at += n;
        if (nl || line.len > LINE_MAX_BYTES)
            break;
    }
    if (line.failed)
        rc = -1;
    else if (line.len > 0 && line.len <= LINE_MAX_BYTES) {
        cJSON *first = cJSON_ParseWithLength(line.data, line.len);
        rc = cJSON_IsObject(first) && cJSON_IsString(cJSON_GetObjectItemCaseSensitive(first, "decision"));
        cJSON_Delete(first);
    }
    free(rg_strbuf_finish(&line));
    return rc;
}

/* The lock a reader or a writer waited for was not had (rg_lock_within failed with E). */
static int lock_failed(char *err, int e)
{
    if (e == EWOULDBLOCK)
        return fail(err, "another process has held its lock for %d s: not waiting longer", RG_LOG_LOCK_WAIT_SECONDS);
    return fail(err, "cannot lock it: %s", strerror(e));
}

/* The bytes of FD from AT to SIZE (a partial last line) digested into DIGEST: 0, or -1
 * when they cannot be read or are too long to be a record. */
static int whole_last_record(file_log *f, const char *line, size_t len);

/* Whether the bytes of F's file from AT to SIZE, its last line without a newline, are a
 * whole record that lost only the newline (whole_last_record), not a killed writer's. */
static int tail_is_whole_record(file_log *f, off_t at, off_t size)
{
    rg_strbuf tail = {0};
    int whole = 0;
    if (size - at <= (off_t)LINE_MAX_BYTES && rg_strbuf_reserve(&tail, (size_t)(size - at) + 1) == 0 &&
        pread(f->fd, tail.data, (size_t)(size - at), at) == (ssize_t)(size - at))
        whole = whole_last_record(f, tail.data, (size_t)(size - at));
    free(rg_strbuf_finish(&tail));
    return whole;
}

static int file_begin(void *store, int64_t *head_seq, char head[RG_LOG_DIGEST_HEX + 1], char *err)
{
    file_log *f = store;
    struct stat st;
    char last, recorded[RG_LOG_DIGEST_HEX + 1] = "";
    int head_found = 0;
    int64_t recorded_seq = 0;
    off_t records_end;
    cJSON *entry;
    const cJSON *seq;
    /* A FIFO in the log's place must not hang the gate: refused without waiting. */
    f->fd = rg_open_regular(f->path, O_RDWR | O_APPEND | O_CREAT, &st);
    if (f->fd < 0) {
        int fd = f->fd;
        f->fd = -1;
        return open_failed(f->path, fd, &st, err);
    }
    if (rg_lock_within(f->fd, LOCK_EX, RG_LOG_LOCK_WAIT_SECONDS) != 0) {
        int e = errno;
        release(f);
        return lock_failed(err, e);
    }
    if (fstat(f->fd, &st) != 0) {
        int e = errno;
        release(f);
        return fail(err, "%s", strerror(e));
    }
    if (st.st_size > 0 && without_blank_tail(f->fd, st.st_size) > 0) {
        int is_log = holds_records(f->fd, st.st_size);
        if (is_log <= 0) {
            int e = errno;
            release(f);
            return is_log < 0 ? fail(err, "cannot read it: %s", strerror(e))
                              : fail(err, "it is not a decision log (its first line is no decision record): "
                                          "nothing is appended to another file");
        }
    }
    /* What the head records: the log must reach it (a record it counts removed, or the
     * file emptied, is not appended after as if nothing happened: that would chain the
     * next record after the cut, and history verify would then call the log whole). */
    if (file_head(f, &head_found, &recorded_seq, recorded, err) != 0) {
        release(f);
        return -1;
    }
    /* A writer killed mid-write left a partial line: cut it (we hold the lock) -- unless
     * it is a whole record, its newline lost (a copy through a tool that drops a final
     * newline): the one the head counts, or in a log with no head a whole object, as every
     * reader takes it (whole_last_record; hostile round 37c, F02: readers counted it and
     * the next append cut it away).  Then the newline is put back, and nothing is lost. */
    if (st.st_size > 0 && (pread(f->fd, &last, 1, st.st_size - 1) != 1 || last != '\n')) {
        off_t keep = rg_last_line_end(f->fd, st.st_size);
        if (keep < 0) {   /* never cut what could not be read */
            int e = errno;
            release(f);
            return fail(err, "cannot read it: %s", strerror(e));
        }
        if (tail_is_whole_record(f, keep, st.st_size)) {
            if (write(f->fd, "\n", 1) != 1 || fsync(f->fd) != 0) {
                int e = errno;
                release(f);
                return fail(err, "cannot end its last record with a newline: %s", strerror(e));
            }
            st.st_size++;
        } else if (ftruncate(f->fd, keep) != 0) {
            int e = errno;
            release(f);
            return fail(err, "cannot remove a partial record a killed writer left: %s", strerror(e));
        } else {
            st.st_size = keep;
        }
    }
    f->start = st.st_size;
    *head_seq = 0;
    head[0] = '\0';
    if (st.st_size == 0) {
        if (head_found && recorded_seq > 0) {
            release(f);
            return fail(err, "it is empty but its head %s records %" PRId64 " records: they were removed (relgate "
                        "history verify); nothing is appended after a cut", f->head_path, recorded_seq);
        }
        return 0;
    }
    if ((records_end = without_blank_tail(f->fd, st.st_size)) < 0) {
        release(f);
        return fail(err, "cannot read its last record");
    }
    if (records_end == 0) {   /* empty lines only */
        if (head_found && recorded_seq > 0) {
            release(f);
            return fail(err, "it holds no record but its head %s records %" PRId64 " records: they were removed "
                        "(relgate history verify); nothing is appended after a cut", f->head_path, recorded_seq);
        }
        return 0;
    }
    if (read_last_line(f->fd, records_end, &f->pending) != 0) {
        release(f);
        return fail(err, "cannot read its last record");
    }
    rg_log_digest(f->pending.data, f->pending.len, head);
    entry = cJSON_ParseWithLength(f->pending.data, f->pending.len);
    seq = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(entry, "chain"), "seq");
    *head_seq = cJSON_IsNumber(seq) && seq->valuedouble >= 1 ? (int64_t)seq->valuedouble : count_lines(f->fd, records_end);
    cJSON_Delete(entry);
    f->pending.len = 0;
    if (*head_seq < 0) {
        release(f);
        return fail(err, "cannot read it");
    }
    /* A head one append behind (a crash between the records and the head) is kept; one
     * ahead of the records, or naming another last record, is a cut or an edit. */
    if (head_found && (recorded_seq > *head_seq || (recorded_seq == *head_seq && strcmp(recorded, head) != 0))) {
        release(f);
        return fail(err, recorded_seq > *head_seq
                             ? "it ends at record %" PRId64 " but its head records record %" PRId64 ": records were "
                               "removed from its end (relgate history verify); nothing is appended after a cut"
                             : "its last record (seq %" PRId64 ") is not the one its head records (seq %" PRId64 "): "
                               "it was edited or replaced (relgate history verify); nothing is appended after it",
                    *head_seq, recorded_seq);
    }
    return 0;
}

static int file_put(void *store, const rg_log_record *r, char *err)
{
    file_log *f = store;
    rg_strbuf_add(&f->pending, r->line, r->len);
    rg_strbuf_add(&f->pending, "\n", 1);
    return f->pending.failed ? fail(err, "out of memory") : 0;
}

/* The head is one fixed-size record rewritten in place (a page-sized write never tears)
 * and not synced: after a crash it may lag the records, which verify accepts, but it
 * never runs ahead of them.  Syncing it too would double an append's cost. */
#define HEAD_SIZE 128

static int write_head(const file_log *f, int64_t seq, const char *digest, char *err)
{
    char text[HEAD_SIZE + 1];
    int fd, n = snprintf(text, sizeof text, "{\"seq\":%" PRId64 ",\"digest\":\"%s\"}", seq, digest), e = 0;
    if (n < 0 || n >= HEAD_SIZE)
        return fail(err, "the head record does not fit");
    memset(text + n, ' ', (size_t)(HEAD_SIZE - 1 - n));
    text[HEAD_SIZE - 1] = '\n';
    fd = open(f->head_path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0 || pwrite(fd, text, HEAD_SIZE, 0) != HEAD_SIZE || ftruncate(fd, HEAD_SIZE) != 0)
        e = errno ? errno : EIO;
    if (fd >= 0)
        close(fd);
    return e ? fail(err, "cannot write its head %s: %s", f->head_path, strerror(e)) : 0;
}

static int file_commit(void *store, int64_t head_seq, const char *head, char *err)
{
    file_log *f = store;
    ssize_t n;
    int e;
    if (f->pending.len == 0) {
        release(f);
        return 0;
    }
    do {
        n = write(f->fd, f->pending.data, f->pending.len);
    } while (n < 0 && errno == EINTR);
    e = n < 0 ? errno : (n == (ssize_t)f->pending.len ? 0 : ENOSPC);
    if (e == 0 && fsync(f->fd) != 0)
        e = errno;
    if (e != 0) {
        /* Cut a short write back: no half record stays. */
        int cut = n > 0 ? ftruncate(f->fd, f->start) : 0;
        release(f);
        return fail(err, "%s%s", strerror(e), cut != 0 ? " (and a partial record could not be removed)" : "");
    }
    /* The head follows the records: a crash between them leaves it one append behind,
     * which verify accepts; it never runs ahead of what is written.  A head that cannot
     * be written fails the append, so the records written are taken back: the gate then
     * answers an error, and the log must not hold a decision it did not give. */
    if (write_head(f, head_seq, head, err) != 0) {
        int cut = ftruncate(f->fd, f->start) == 0 && fsync(f->fd) == 0;
        size_t at = strlen(err);
        snprintf(err + at, RG_LOG_ERRMAX - at, cut ? "; the record was taken back" : "; and the record written "
                                                                                  "could not be taken back");
        release(f);
        return -1;
    }
    release(f);
    return 0;
}

static void file_abort(void *store)
{
    release(store);
}

typedef struct found {
    int64_t seq;
    char *line;
    size_t len;
} found;

/* Newest first: the matches are kept (the last LIMIT of them) and visited backwards. */
static int visit_backwards(found *kept, size_t count, rg_log_visit visit, void *data)
{
    int stop = 0;
    for (size_t i = count; i-- > 0 && !stop;) {
        char digest[RG_LOG_DIGEST_HEX + 1];
        rg_log_record r = {0};
        rg_log_digest(kept[i].line, kept[i].len, digest);
        r.seq = kept[i].seq;
        r.line = kept[i].line;
        r.len = kept[i].len;
        r.digest = digest;
        stop = visit(&r, data);
    }
    return stop;
}

static int keep_match(found **kept, size_t *count, size_t *cap, size_t limit, int64_t seq, const char *line, size_t len)
{
    char *copy;
    if (limit && *count == limit) {
        free((*kept)[0].line);
        memmove(*kept, *kept + 1, (limit - 1) * sizeof **kept);
        (*count)--;
    }
    if (*count == *cap) {
        size_t ncap = *cap ? *cap * 2 : 16;
        found *n = realloc(*kept, ncap * sizeof *n);
        if (!n)
            return -1;
        *kept = n;
        *cap = ncap;
    }
    if (!(copy = malloc(len + 1)))
        return -1;
    memcpy(copy, line, len);
    copy[len] = '\0';
    (*kept)[(*count)++] = (found){seq, copy, len};
    return 0;
}

/* Whether LINE (LEN bytes, the file's last, no newline after it) is a whole record that
 * lost only its final newline (a copy through a tool that drops it), not what a killed
 * writer left: the record the head names (file_begin puts its newline back), or, in a
 * file with no head (an export archive, a log older than heads), a whole JSON object --
 * a record is one line, so no cut of it is one.  Read so, a lookup sees the release the
 * record passed, and an import takes it (hostile round 37a, F04, F06). */
static int whole_last_record(file_log *f, const char *line, size_t len)
{
    char err[RG_LOG_ERRMAX], recorded[RG_LOG_DIGEST_HEX + 1], digest[RG_LOG_DIGEST_HEX + 1];
    int head_found = 0, whole;
    int64_t recorded_seq = 0;
    const char *end = NULL;
    cJSON *entry;
    if (len == 0 || len >= LINE_MAX_BYTES || file_head(f, &head_found, &recorded_seq, recorded, err) != 0)
        return 0;
    if (head_found) {
        rg_log_digest(line, len, digest);
        return strcmp(digest, recorded) == 0;
    }
    entry = cJSON_ParseWithLengthOpts(line, len, &end, 0);
    whole = cJSON_IsObject(entry) && end == line + len;   /* the object, and nothing after it */
    cJSON_Delete(entry);
    return whole;
}

static int filters_nothing(const rg_log_filter *f)
{
    return !f->release && !f->except_version && !f->environment && !f->stage && !f->decisions && !f->since && !f->until;
}

static int file_scan(void *store, const rg_log_filter *filter, int64_t from_seq, rg_log_visit visit, void *data,
                     char *err)
{
    file_log *f = store;
    struct stat st;
    FILE *in;
    char *line = NULL;
    size_t cap = 0, kept_count = 0, kept_cap = 0, visited = 0;
    found *kept = NULL;
    ssize_t n;
    int64_t seq = 0;
    int stop = 0, e, oom = 0;
    /* Not fopen: a FIFO in the log's place would block it (and with it the gate). */
    int fd = rg_open_regular(f->path, O_RDONLY, &st);
    struct stat head;
    (void)from_seq;   /* a file is read from its first line: its seqs are counted */
    /* A writer's log that is not there yet, and never was (no head either), holds no
     * record: a first post-deploy gate looks for its rollback target in it.  Removed
     * behind its head, it is damaged, and said so. */
    if (fd == RG_OPEN_FAILED && errno == ENOENT && f->create && lstat(f->head_path, &head) != 0 && errno == ENOENT)
        return 0;
    if (fd < 0)
        return open_failed(f->path, fd, &st, err);
    if (!(in = fdopen(fd, "r"))) {
        e = errno;
        close(fd);
        return fail(err, "%s", strerror(e));
    }
    /* Readers share the lock with each other, not with a writer mid-append; and wait
     * for one no longer than a writer waits (a post-deploy gate reads its rollback
     * target here). */
    if (rg_lock_within(fd, LOCK_SH, RG_LOG_LOCK_WAIT_SECONDS) != 0) {
        e = errno;
        fclose(in);
        return lock_failed(err, e);
    }
    while (!stop && (n = getline(&line, &cap, in)) >= 0) {
        rg_log_record r = {0};
        cJSON *entry = NULL;
        if (n > 0 && line[n - 1] == '\n')
            line[--n] = '\0';
        else if (whole_last_record(f, line, (size_t)n))
            stop = 1;   /* read as the record it is, and the end */
        else
            break;  /* a partial last line: a writer still at it, or one that was killed */
        if (n == 0)
            continue;
        seq++;
        if (!filters_nothing(filter)) {
            entry = (size_t)n < LINE_MAX_BYTES ? cJSON_ParseWithLength(line, (size_t)n) : NULL;
            rg_log_record_fields(entry, &r);
            if (!cJSON_IsObject(entry) || !rg_log_filter_matches(filter, &r)) {
                cJSON_Delete(entry);
                continue;
            }
            cJSON_Delete(entry);
        }
        if (filter->newest_first) {
            if (keep_match(&kept, &kept_count, &kept_cap, filter->limit, seq, line, (size_t)n) != 0) {
                oom = 1;
                break;
            }
        } else {
            char digest[RG_LOG_DIGEST_HEX + 1];
            rg_log_record stored = {0};
            rg_log_digest(line, (size_t)n, digest);
            stored.seq = seq;
            stored.line = line;
            stored.len = (size_t)n;
            stored.digest = digest;
            stop = visit(&stored, data);
            if (filter->limit && ++visited == filter->limit)
                stop = 1;
        }
    }
    e = ferror(in) ? errno : 0;
    flock(fd, LOCK_UN);
    free(line);
    fclose(in);
    if (!oom && !e)
        visit_backwards(kept, kept_count, visit, data);
    for (size_t i = 0; i < kept_count; i++)
        free(kept[i].line);
    free(kept);
    if (oom)
        return fail(err, "out of memory");
    return e ? fail(err, "%s", strerror(e)) : 0;
}

static int file_head(void *store, int *found_head, int64_t *seq, char digest[RG_LOG_DIGEST_HEX + 1], char *err)
{
    file_log *f = store;
    char *text = NULL;
    size_t len = 0;
    rg_error e = {0};
    cJSON *head;
    const cJSON *s;
    const char *d;
    struct stat st;
    *found_head = 0;
    if (lstat(f->head_path, &st) != 0 && errno == ENOENT)
        return 0;  /* a log written before heads were kept */
    if (rg_read_file(f->head_path, "decision log head", 4096, &text, &len, &e) != 0) {
        fail(err, "%s", e.message);
        rg_error_clear(&e);
        return -1;
    }
    head = cJSON_ParseWithLength(text, len);
    free(text);
    s = cJSON_GetObjectItemCaseSensitive(head, "seq");
    d = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(head, "digest"));
    if (!cJSON_IsNumber(s) || !d || strlen(d) != RG_LOG_DIGEST_HEX) {
        cJSON_Delete(head);
        return fail(err, "its head %s is not a head record", f->head_path);
    }
    *found_head = 1;
    *seq = (int64_t)s->valuedouble;
    memcpy(digest, d, RG_LOG_DIGEST_HEX + 1);
    cJSON_Delete(head);
    return 0;
}

const rg_log_backend *rg_log_file_backend(void)
{
    static const rg_log_backend backend = {
        RG_LOG_STORE_ABI, sizeof backend, "file",
        file_open, file_close, file_begin, file_put, file_commit, file_abort, file_scan, file_head, 0, NULL,
    };
    return &backend;
}
