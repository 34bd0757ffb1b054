/* The decision log in SQLite (Debian's libsqlite3), in WAL mode: one file a host's
 * gates and a service share, written by one transaction per append. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <sqlite3.h>

#include "sql.h"

#define EXPORT __attribute__((visibility("default")))
/* relgate_meta, as created and as SQLite keeps its statement (without IF NOT EXISTS). */
#define META_TABLE_COLUMNS " relgate_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)"
#define META_TABLE "CREATE TABLE" META_TABLE_COLUMNS
/* One database, one schema: the tables by their names. */
static const rg_sql_tables TABLES = {"relgate_decisions", "relgate_head"};
#define BUSY_MS (RG_LOG_LOCK_WAIT_SECONDS * 1000)  /* writers queue for the lock: 32 gates at once wait, not fail */

typedef struct sqlite_log {
    sqlite3 *db;
    sqlite3_stmt *put;
    int in_transaction;
    int put_total;          /* records put since begin */
    char *path;             /* the file opened, and its identity then: */
    dev_t dev;
    ino_t ino;
    /* The write-ahead log and its shared-memory index (PATH-wal, PATH-shm) the connection
     * uses, by identity once it is in WAL mode (0: not there then, not held to). */
    struct side_file {
        const char *suffix;
        dev_t dev;
        ino_t ino;
    } side[2];
} sqlite_log;

enum { SIDE_SAME, SIDE_GONE, SIDE_REPLACED };

/* Side file I (0: -wal, 1: -shm) as noted, gone, or another file in its place. */
static int side_file_state(const sqlite_log *s, size_t i)
{
    struct stat st;
    char side[PATH_MAX];
    if (!s->side[i].ino)
        return SIDE_SAME;
    snprintf(side, sizeof side, "%s%s", s->path, s->side[i].suffix);
    if (stat(side, &st) != 0)
        return SIDE_GONE;
    return st.st_dev != s->side[i].dev || st.st_ino != s->side[i].ino ? SIDE_REPLACED : SIDE_SAME;
}

/* Whether PATH still names the file the connection opened, and PATH-wal and PATH-shm the
 * ones it uses.  A long-running writer (a server) kept appending to a file whose
 * directory had been removed: answered 200, and every record gone with the process
 * (hostile round 30, F01); SQLite's own check for a moved database does not fire in WAL
 * mode.  Its side files alike (round 33b): with -wal removed, the server committed into
 * a file nobody else could read, gone when it was killed; with -shm removed, a gate
 * beside it built a new index and committed, and the server, on its old index, wrote
 * its next record over that one.  0, or -1 with ERR. */
static int still_the_store(const sqlite_log *s, char *err)
{
    struct stat st;
    if (stat(s->path, &st) != 0)
        return rg_store_fail(err, "%s: %s: the store's file is gone (moved or removed since it was opened)", s->path,
                             strerror(errno));
    if (st.st_dev != s->dev || st.st_ino != s->ino)
        return rg_store_fail(err, "%s is another file than the store opened (moved or replaced since)", s->path);
    for (size_t i = 0; i < sizeof s->side / sizeof *s->side; i++)
        if (side_file_state(s, i) != SIDE_SAME)
            return rg_store_fail(err, "%s%s is gone or another file than the one this process writes through "
                                 "(removed or replaced since it opened the store): its records would go where no "
                                 "one reads them, or over another writer's; open the store again", s->path,
                                 s->side[i].suffix);
    return 0;
}

/* The write-ahead log removed under a connection whose index no other writer replaced:
 * what it holds, committed and answered, is only in this process's open file.  Copied
 * into the database now, before anything ends the process (round 33b, F02). */
static void rescue_removed_wal(sqlite_log *s)
{
    if (side_file_state(s, 0) != SIDE_SAME && side_file_state(s, 1) != SIDE_REPLACED)
        sqlite3_wal_checkpoint_v2(s->db, NULL, SQLITE_CHECKPOINT_FULL, NULL, NULL);
}

/* The identity of PATH-wal and PATH-shm now (the connection in WAL mode has them open). */
static void note_side_files(sqlite_log *s)
{
    static const char *const suffixes[] = {"-wal", "-shm"};
    char side[PATH_MAX];
    struct stat st;
    for (size_t i = 0; i < sizeof s->side / sizeof *s->side; i++) {
        s->side[i].suffix = suffixes[i];
        snprintf(side, sizeof side, "%s%s", s->path, suffixes[i]);
        if (stat(side, &st) == 0) {
            s->side[i].dev = st.st_dev;
            s->side[i].ino = st.st_ino;
        }
    }
}

static int db_fail(sqlite_log *s, char *err, const char *what)
{
    return rg_store_fail(err, "%s: %s", what, s->db ? sqlite3_errmsg(s->db) : "out of memory");
}

static int exec(sqlite_log *s, const char *sql, char *err)
{
    char *msg = NULL;
    if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        rg_store_fail(err, "%s", msg ? msg : sqlite3_errmsg(s->db));
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

/* WAL needs shared memory between the processes that open the database: it does not
 * work on a network filesystem, where writers would corrupt it unseen. */
static int network_filesystem(const char *path, char *err)
{
    char dir[PATH_MAX];
    const char *slash = strrchr(path, '/');
    struct statfs fs;
    if (!slash)
        snprintf(dir, sizeof dir, ".");
    else
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - path) + (slash == path), path);
    if (statfs(dir, &fs) != 0)
        return 0;  /* the open reports a missing directory */
    switch ((unsigned long)fs.f_type) {
    case 0x6969:      /* NFS */
    case 0x517B:      /* SMB */
    case 0xFF534D42:  /* CIFS */
    case 0xFE534D42:  /* SMB2 */
    case 0x01021997:  /* 9P */
    case 0x5346414F:  /* AFS */
    case 0x00C36400:  /* Ceph */
    case 0x65735546:  /* FUSE (sshfs and the like) */
        rg_store_fail(err, "%s is on a network filesystem, where SQLite's WAL mode cannot work; use a local disk or postgresql://", path);
        return 1;
    default:
        return 0;
    }
}

static int schema_version(sqlite_log *s, int *version, char *err)
{
    sqlite3_stmt *st;
    int rc;
    *version = 0;
    if (sqlite3_prepare_v2(s->db, "SELECT value FROM relgate_meta WHERE key = 'schema_version'", -1, &st, NULL) != SQLITE_OK)
        return 0;  /* no meta table: an empty database */
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *version = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : db_fail(s, err, "cannot read the schema version");
}

/* Create schema version 1 in an empty database; refuse a newer one.  Under the
 * writer lock, so two first writers do not both create it. */
static int migrate(sqlite_log *s, char *err)
{
    int version;
    if (exec(s, "BEGIN IMMEDIATE", err) != 0)
        return -1;
    if (exec(s, "CREATE TABLE IF NOT EXISTS" META_TABLE_COLUMNS, err) != 0 ||
        schema_version(s, &version, err) != 0)
        goto fail;
    if (version > RG_SQL_SCHEMA_VERSION) {
        rg_store_fail(err, "its schema version %d is newer than this relgate's (%d)", version, RG_SQL_SCHEMA_VERSION);
        goto fail;
    }
    if (version == 0) {
        for (const char *const *sql = rg_sql_schema_v1; *sql; sql++)
            if (exec(s, *sql, err) != 0)
                goto fail;
        if (exec(s, "INSERT INTO relgate_meta VALUES ('schema_version', '1')", err) != 0)
            goto fail;
    }
    return exec(s, "COMMIT", err);
fail:
    sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    return -1;
}

static void sqlite_close(void *store)
{
    sqlite_log *s = store;
    if (!s)
        return;
    if (s->in_transaction)
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    /* The last connection to close copies the write-ahead log into the database as its
     * index knows it, then removes the log.  With the index replaced under it, what another
     * writer committed since would be removed with it (round 33b, F01): left for the next
     * connection, which reads the whole log again. */
    if (s->db && s->path && side_file_state(s, 1) == SIDE_REPLACED)
        sqlite3_db_config(s->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, (int *)NULL);
    sqlite3_finalize(s->put);
    sqlite3_close(s->db);
    free(s->path);
    free(s);
}

/* Put the database in WAL mode.  On a store that writers open at once for the first time
 * (a fresh file), the switch needs the file to itself, and SQLite answers SQLITE_BUSY
 * without calling the busy handler (it holds a read lock it would have to upgrade): the
 * switch is tried again, as the busy timeout would, for as long as a writer waits for
 * the lock (RG_LOG_LOCK_WAIT_SECONDS).  Once in WAL mode it stays so. */
static int wal_mode(sqlite_log *s, char *err)
{
    /* One deadline for all the attempts, each given only what is left of it as its busy
     * timeout: an attempt can sit in the busy handler, so counting sleeps alone let the
     * wait run far past the minute (hostile round 12, F10). */
    struct timespec now;
    long long deadline_ms, left_ms;
    int rc;
    clock_gettime(CLOCK_MONOTONIC, &now);
    deadline_ms = (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000 + BUSY_MS;
    for (;;) {
        clock_gettime(CLOCK_MONOTONIC, &now);
        left_ms = deadline_ms - ((long long)now.tv_sec * 1000 + now.tv_nsec / 1000000);
        sqlite3_busy_timeout(s->db, left_ms > 0 ? (int)left_ms : 0);
        rc = sqlite3_exec(s->db, "PRAGMA journal_mode = WAL", NULL, NULL, NULL);
        if (rc == SQLITE_OK || (rc & 0xff) != SQLITE_BUSY || left_ms <= 0)
            break;
        sqlite3_sleep(10);
    }
    sqlite3_busy_timeout(s->db, BUSY_MS);
    return rc == SQLITE_OK ? 0 : db_fail(s, err, "cannot put it in WAL mode");
}

/* The database keeps its text as UTF-8, as relgate creates it.  In a database rebuilt in
 * UTF-16, SQLite converts each value to UTF-8 for C, and drops an odd trailing byte on the
 * way: a copy that reads as the record's own in C compares unequal to it in a query's
 * WHERE, and hides the record from last-good (hostile round 19, F01). */
static int utf8_text(sqlite_log *s, const char *target, char *err)
{
    sqlite3_stmt *st;
    const char *encoding;
    int rc = -1;
    if (sqlite3_prepare_v2(s->db, "PRAGMA encoding", -1, &st, NULL) != SQLITE_OK)
        return db_fail(s, err, "cannot read the text encoding");
    if (sqlite3_step(st) != SQLITE_ROW)
        db_fail(s, err, "cannot read the text encoding");
    else if (!(encoding = (const char *)sqlite3_column_text(st, 0)) || strcmp(encoding, "UTF-8") != 0)
        rg_store_fail(err, "%s keeps its text as %s, not as the UTF-8 relgate creates it with: it was rebuilt by "
                      "someone else, and SQLite's conversions would read its records otherwise than its queries "
                      "compare them", target, encoding ? encoding : "(unknown)");
    else
        rc = 0;
    sqlite3_finalize(st);
    return rc;
}

static int schema_problem(sqlite_log *s, char *problem, char *err);

/* A writer appends only to a schema relgate made: a trigger of someone else's would run
 * with every append (the integrity check, which reads the whole file, is verify's). */
static int written_as_made(sqlite_log *s, char *err)
{
    char problem[RG_LOG_ERRMAX];
    if (schema_problem(s, problem, err) != 0)
        return -1;
    return rg_sql_written_as_made(problem, err);
}

static int sqlite_open(const char *target, int create, void **store, char *err)
{
    sqlite_log *s = calloc(1, sizeof *s);
    int version;
    if (!s)
        return rg_store_fail(err, "out of memory");
    *store = s;
    if (network_filesystem(target, err))
        goto fail;
    if (sqlite3_open_v2(target, &s->db, SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0) | SQLITE_OPEN_NOFOLLOW,
                        NULL) != SQLITE_OK) {
        db_fail(s, err, target);
        goto fail;
    }
    {
        struct stat st;
        if (!(s->path = strdup(target)) || stat(target, &st) != 0) {
            rg_store_fail(err, "%s: %s", target, s->path ? strerror(errno) : "out of memory");
            goto fail;
        }
        s->dev = st.st_dev;
        s->ino = st.st_ino;
    }
    sqlite3_busy_timeout(s->db, BUSY_MS);
    sqlite3_extended_result_codes(s->db, 1);
    /* WAL: readers never block the writer.  synchronous=FULL: a commit is on disk
     * before it returns (NORMAL would lose the last commits on a power cut). */
    if (wal_mode(s, err) != 0 || exec(s, "PRAGMA synchronous = FULL", err) != 0)
        goto fail;
    if (create ? migrate(s, err) != 0 : schema_version(s, &version, err) != 0)
        goto fail;
    if (!create && rg_sql_check_version(version, target, err) != 0)
        goto fail;
    if (utf8_text(s, target, err) != 0)
        goto fail;
    if (create && written_as_made(s, err) != 0)
        goto fail;
    note_side_files(s);
    return 0;
fail:
    sqlite_close(s);
    *store = NULL;
    return -1;
}

static void sqlite_abort(void *store)
{
    sqlite_log *s = store;
    if (s->in_transaction)
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    s->in_transaction = 0;
}

static int sqlite_begin(void *store, int64_t *head_seq, char head[RG_LOG_DIGEST_HEX + 1], char *err)
{
    sqlite_log *s = store;
    sqlite3_stmt *st;
    int rc;
    if (still_the_store(s, err) != 0) {
        rescue_removed_wal(s);
        return -1;
    }
    if (exec(s, "BEGIN IMMEDIATE", err) != 0)
        return -1;
    s->in_transaction = 1;
    s->put_total = 0;
    *head_seq = 0;
    head[0] = '\0';
    if (sqlite3_prepare_v2(s->db, "SELECT seq, digest FROM relgate_head WHERE id = 1", -1, &st, NULL) != SQLITE_OK) {
        db_fail(s, err, "cannot read the head");
        sqlite_abort(s);
        return -1;
    }
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        const unsigned char *d = sqlite3_column_text(st, 1);
        *head_seq = sqlite3_column_int64(st, 0);
        snprintf(head, RG_LOG_DIGEST_HEX + 1, "%s", d ? (const char *)d : "");
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        db_fail(s, err, "cannot read the head");
        sqlite_abort(s);
        return -1;
    }
    return 0;
}

static void bind_text(sqlite3_stmt *st, int i, const char *text)
{
    if (text)
        sqlite3_bind_text(st, i, text, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, i);
}

static int sqlite_put(void *store, const rg_log_record *r, char *err)
{
    sqlite_log *s = store;
    int rc;
    if (!s->put && sqlite3_prepare_v2(s->db,
            "INSERT INTO relgate_decisions (seq, release_name, release_version, environment, stage, decision,"
            " evaluated_at, digest, prev, line) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            -1, &s->put, NULL) != SQLITE_OK)
        return db_fail(s, err, "cannot store a record");
    sqlite3_reset(s->put);
    sqlite3_bind_int64(s->put, 1, r->seq);
    bind_text(s->put, 2, r->release);
    bind_text(s->put, 3, r->version);
    bind_text(s->put, 4, r->environment);
    bind_text(s->put, 5, r->stage);
    bind_text(s->put, 6, r->decision);
    bind_text(s->put, 7, r->evaluated_at);
    bind_text(s->put, 8, r->digest);
    bind_text(s->put, 9, r->prev);
    sqlite3_bind_text(s->put, 10, r->line, (int)r->len, SQLITE_STATIC);
    rc = sqlite3_step(s->put);
    sqlite3_clear_bindings(s->put);
    if (rc != SQLITE_DONE)
        return db_fail(s, err, "cannot store a record");
    s->put_total++;
    return 0;
}

/* Before the commit: the records put, and the head, read back (rg_sql_read_back_query). */
static int read_back(sqlite_log *s, int64_t head_seq, const char *head, char *err)
{
    sqlite3_stmt *st;
    char sql[1024];
    int rc;
    if (rg_sql_read_back_query(&TABLES, sql, sizeof sql) != 0 ||
        sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
        return db_fail(s, err, "cannot read back what was stored");
    sqlite3_bind_int64(st, 1, head_seq);
    sqlite3_bind_int64(st, 2, s->put_total);
    if (sqlite3_step(st) != SQLITE_ROW)
        rc = db_fail(s, err, "cannot read back what was stored");
    else
        rc = rg_sql_read_back_check(sqlite3_column_int64(st, 0), (const char *)sqlite3_column_text(st, 1),
                                    sqlite3_column_int64(st, 2), (const char *)sqlite3_column_text(st, 3), s->put_total,
                                    head_seq, head, err);
    sqlite3_finalize(st);
    return rc;
}

static int sqlite_commit(void *store, int64_t head_seq, const char *head, char *err)
{
    sqlite_log *s = store;
    sqlite3_stmt *st;
    int rc;
    if (sqlite3_prepare_v2(s->db, "INSERT INTO relgate_head (id, seq, digest) VALUES (1, ?1, ?2)"
                           " ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, digest = excluded.digest",
                           -1, &st, NULL) != SQLITE_OK) {
        db_fail(s, err, "cannot store the head");
        sqlite_abort(s);
        return -1;
    }
    sqlite3_bind_int64(st, 1, head_seq);
    sqlite3_bind_text(st, 2, head, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        db_fail(s, err, "cannot store the head");
        sqlite_abort(s);
        return -1;
    }
    if (read_back(s, head_seq, head, err) != 0 || exec(s, "COMMIT", err) != 0) {
        sqlite_abort(s);
        return -1;
    }
    s->in_transaction = 0;
    /* committed into a file removed meanwhile is committed nowhere: an error, never an
     * answer as if it were stored (and a removed log copied in while this process can) */
    if (still_the_store(s, err) != 0) {
        rescue_removed_wal(s);
        return -1;
    }
    return 0;
}

static int sqlite_scan(void *store, const rg_log_filter *filter, int64_t from_seq, rg_log_visit visit, void *data, char *err)
{
    sqlite_log *s = store;
    char sql[1024];
    const char *params[8];
    char from_text[24];
    int count, rc = SQLITE_DONE, stop = 0;
    sqlite3_stmt *st;
    if (rg_sql_scan_query(&TABLES, filter, from_seq, from_text, sql, sizeof sql, params, &count) != 0)
        return rg_store_fail(err, "the query is too long");
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
        return db_fail(s, err, "cannot read the records");
    for (int i = 0; i < count; i++)
        sqlite3_bind_text(st, i + 1, params[i], -1, SQLITE_STATIC);
    /* One read transaction for the whole scan: a consistent snapshot under WAL. */
    while (!stop && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        rg_log_record r = {0};
        const char **copies[] = {&r.release, &r.version, &r.environment, &r.stage, &r.decision, &r.evaluated_at};
        r.seq = sqlite3_column_int64(st, 0);
        r.line = (const char *)sqlite3_column_text(st, 1);
        r.len = (size_t)sqlite3_column_bytes(st, 1);
        r.line = r.line ? r.line : "";
        r.digest = (const char *)sqlite3_column_text(st, 2);
        /* A copy stored as a BLOB (or a number), or as text holding a NUL, reads in C as
         * the record's own text but compares unequal to it in a query's WHERE: a newer
         * record hidden from last-good.  Such a copy is reported as not the record's own. */
        for (int c = 0; c < 6; c++) {
            int type = sqlite3_column_type(st, 3 + c);
            const char *text = (const char *)sqlite3_column_text(st, 3 + c);
            int whole = text && (size_t)sqlite3_column_bytes(st, 3 + c) == strlen(text);
            *copies[c] = type == SQLITE_NULL ? NULL
                         : type == SQLITE_TEXT && whole ? text
                                                        : "\x7f(a copy that is not plain text)";
        }
        r.indexed = 1;
        stop = visit(&r, data);
    }
    sqlite3_finalize(st);
    return stop || rc == SQLITE_DONE ? 0 : db_fail(s, err, "cannot read the records");
}

static int sqlite_head(void *store, int *found, int64_t *seq, char digest[RG_LOG_DIGEST_HEX + 1], char *err)
{
    sqlite_log *s = store;
    sqlite3_stmt *st;
    int rc;
    *found = 0;
    if (sqlite3_prepare_v2(s->db, "SELECT seq, digest FROM relgate_head WHERE id = 1", -1, &st, NULL) != SQLITE_OK)
        return db_fail(s, err, "cannot read the head");
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        const unsigned char *d = sqlite3_column_text(st, 1);
        *found = 1;
        *seq = sqlite3_column_int64(st, 0);
        snprintf(digest, RG_LOG_DIGEST_HEX + 1, "%s", d ? (const char *)d : "");
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : db_fail(s, err, "cannot read the head");
}

/* Marks BIT in SEEN; 0 when it was marked already (a second copy of one object). */
static int first_time(unsigned *seen, unsigned bit)
{
    if (*seen & bit)
        return 0;
    *seen |= bit;
    return 1;
}

/* Whether STATEMENT creates the object TYPE NAME on TABLE: "CREATE TABLE name (..." or
 * "CREATE INDEX name ON table (...". */
static int creates(const char *statement, const char *type, const char *name, const char *table)
{
    const char *named = statement + strlen("CREATE TABLE ");   /* as long as "CREATE INDEX " */
    const char *on = strstr(statement, " ON ");
    int index = strncmp(statement, "CREATE INDEX ", 13) == 0;
    if (strcmp(type, index ? "index" : "table") != 0 || strlen(name) != strcspn(named, " (") ||
        strncmp(name, named, strlen(name)) != 0)
        return 0;
    if (!index)
        return strcmp(table, name) == 0;
    return on && strlen(table) == strcspn(on + 4, " (") && strncmp(table, on + 4, strlen(table)) == 0;
}

/* Whether the schema object TYPE NAME on TABLE with statement SQL (NULL for none) is
 * one relgate makes: the automatic indexes of relgate_meta's and relgate_decisions'
 * primary keys (bits 0 and 1 of SEEN), relgate_meta (bit 2), rg_sql_schema_v1's objects
 * (bits 3 on), or the statistics ANALYZE keeps (which change plans, never answers).
 * SEEN marks relgate's objects found, so that a second copy of one is not taken for it. */
static int schema_object_ours(const char *type, const char *name, const char *table, const char *sql,
                              unsigned *seen)
{
    static const char *const autoindexes[][2] = {{"sqlite_autoindex_relgate_meta_1", "relgate_meta"},
                                                 {"sqlite_autoindex_relgate_decisions_1", "relgate_decisions"}};
    unsigned bit = 1u << 3;
    if (!type || !name || !table)
        return 0;
    if (!sql) {
        for (unsigned i = 0; i < 2; i++)
            if (strcmp(type, "index") == 0 && strcmp(name, autoindexes[i][0]) == 0 &&
                strcmp(table, autoindexes[i][1]) == 0)
                return first_time(seen, 1u << i);
        return 0;
    }
    if (strcmp(sql, META_TABLE) == 0)
        return creates(sql, type, name, table) && first_time(seen, 1u << 2);
    for (const char *const *statement = rg_sql_schema_v1; *statement; statement++, bit <<= 1)
        if (strcmp(sql, *statement) == 0)
            return creates(sql, type, name, table) && first_time(seen, bit);
    return strcmp(type, "table") == 0 && strncmp(name, "sqlite_stat", 11) == 0 && strcmp(table, name) == 0;
}

/* SEEN when every object schema_object_ours knows was found. */
static unsigned all_schema_objects(void)
{
    unsigned count = 3;
    for (const char *const *statement = rg_sql_schema_v1; *statement; statement++)
        count++;
    return (1u << count) - 1;
}

/* The schema is relgate's, whole, and SQLite finds its indexes holding what its tables
 * do.  The queries a scan makes go through those indexes: one rebuilt through
 * writable_schema to leave out a record, or a schema edited to compare otherwise, makes
 * them answer what the records do not say (hostile round 18, F05; round 15, F05). */
/* The schema against schema_object_ours: 0 with PROBLEM ("" when it is relgate's), or -1
 * with ERR. */
static int schema_problem(sqlite_log *s, char *problem, char *err)
{
    sqlite3_stmt *st;
    unsigned seen = 0;
    int rc;
    problem[0] = '\0';
    if (sqlite3_prepare_v2(s->db, "SELECT type, name, tbl_name, sql FROM sqlite_schema ORDER BY name", -1, &st,
                           NULL) != SQLITE_OK)
        return db_fail(s, err, "cannot read the schema");
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(st, 1);
        if (!problem[0] && !schema_object_ours((const char *)sqlite3_column_text(st, 0), name,
                                               (const char *)sqlite3_column_text(st, 2),
                                               (const char *)sqlite3_column_text(st, 3), &seen))
            rg_store_fail(problem, "the store's schema holds %s %s that relgate did not make: a trigger, an edited "
                          "table or index, or a second copy of one, changes what its queries answer",
                          (const char *)sqlite3_column_text(st, 0), name ? name : "(unnamed)");
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return db_fail(s, err, "cannot read the schema");
    if (!problem[0] && seen != all_schema_objects())
        rg_store_fail(problem, "the store's schema lacks a table or index relgate made");
    return 0;
}

/* Whether the schema is relgate's (schema_problem) and, SQLite's integrity check says,
 * every index holds what its table does. */
static int sqlite_check(void *store, char *problem, char *err)
{
    sqlite_log *s = store;
    sqlite3_stmt *st;
    int rc;
    if (schema_problem(s, problem, err) != 0)
        return -1;
    if (problem[0])
        return 0;
    if (sqlite3_prepare_v2(s->db, "PRAGMA integrity_check(1)", -1, &st, NULL) != SQLITE_OK)
        return db_fail(s, err, "cannot check the store");
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        const char *said = (const char *)sqlite3_column_text(st, 0);
        if (!said || strcmp(said, "ok") != 0)
            rg_store_fail(problem, "SQLite's integrity check finds the store damaged (%s): an index that leaves "
                          "out records hides them from the queries", said ? said : "no answer");
        rc = SQLITE_DONE;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : db_fail(s, err, "cannot check the store");
}

EXPORT const rg_log_backend *relgate_log_backend(void);

EXPORT const rg_log_backend *relgate_log_backend(void)
{
    static const rg_log_backend backend = {
        RG_LOG_STORE_ABI, sizeof backend, "sqlite",
        sqlite_open, sqlite_close, sqlite_begin, sqlite_put, sqlite_commit, sqlite_abort, sqlite_scan, sqlite_head, 1,
        sqlite_check,
    };
    return &backend;
}
