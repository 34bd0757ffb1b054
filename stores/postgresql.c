/* The decision log in PostgreSQL through libpq: the store ephemeral CI runners and
 * several services share.  One transaction per append, the head row locked FOR UPDATE
 * so concurrent writers chain one after another. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libpq-fe.h>

#include "sql.h"

#define EXPORT __attribute__((visibility("default")))

#define FIELDS 10
#define ROWS_PER_INSERT 200  /* an import of 10^6 records: 5,000 round trips, not 10^6 */

typedef struct pg_log {
    PGconn *conn;
    int in_transaction;
    char *pending[ROWS_PER_INSERT][FIELDS];  /* rows put but not yet sent (owned copies) */
    int rows;
} pg_log;

static int conn_fail(pg_log *p, char *err, const char *what)
{
    return rg_store_fail(err, "%s: %s", what, PQerrorMessage(p->conn));
}

/* Run SQL with PARAMS; the result when it has STATUS, else NULL with ERR. */
static PGresult *run(pg_log *p, const char *sql, int count, const char *const *params, ExecStatusType status,
                     const char *what, char *err)
{
    /* Without parameters, the simple protocol: several statements in one round trip. */
    PGresult *res = count ? PQexecParams(p->conn, sql, count, NULL, params, NULL, NULL, 0) : PQexec(p->conn, sql);
    if (PQresultStatus(res) != status) {
        rg_store_fail(err, "%s: %s", what, res ? PQresultErrorMessage(res) : PQerrorMessage(p->conn));
        PQclear(res);
        return NULL;
    }
    return res;
}

static int command(pg_log *p, const char *sql, const char *what, char *err)
{
    PGresult *res = run(p, sql, 0, NULL, PGRES_COMMAND_OK, what, err);
    PQclear(res);
    return res ? 0 : -1;
}

static void drop_pending(pg_log *p);

static void rollback(pg_log *p)
{
    drop_pending(p);
    if (p->in_transaction)
        PQclear(PQexec(p->conn, "ROLLBACK"));
    p->in_transaction = 0;
}

static int schema_version(pg_log *p, int *version, char *err)
{
    PGresult *res = run(p, "SELECT value FROM relgate_meta WHERE key = 'schema_version'", 0, NULL, PGRES_TUPLES_OK,
                        "cannot read the schema version", err);
    if (!res)
        return -1;
    *version = PQntuples(res) ? atoi(PQgetvalue(res, 0, 0)) : 0;
    PQclear(res);
    return 0;
}

/* Create schema version 1 in an empty database, or refuse a newer one; under an
 * advisory lock, so that the first writers of a new store do not race. */
static int migrate(pg_log *p, char *err)
{
    int version;
    if (command(p, "BEGIN", "cannot start a transaction", err) != 0)
        return -1;
    p->in_transaction = 1;
    {
        PGresult *res = run(p, "SELECT pg_advisory_xact_lock(7265716761746501)", 0, NULL, PGRES_TUPLES_OK,
                            "cannot lock the schema", err);
        if (!res)
            goto fail;
        PQclear(res);
    }
    if (command(p, "CREATE TABLE IF NOT EXISTS relgate_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
                "cannot create the schema", err) != 0 ||
        schema_version(p, &version, err) != 0)
        goto fail;
    if (version > RG_SQL_SCHEMA_VERSION) {
        rg_store_fail(err, "its schema version %d is newer than this relgate's (%d)", version, RG_SQL_SCHEMA_VERSION);
        goto fail;
    }
    if (version == 0) {
        for (const char *const *sql = rg_sql_schema_v1; *sql; sql++)
            if (command(p, *sql, "cannot create the schema", err) != 0)
                goto fail;
        if (command(p, "INSERT INTO relgate_meta VALUES ('schema_version', '1')", "cannot create the schema", err) != 0)
            goto fail;
    }
    if (command(p, "COMMIT", "cannot create the schema", err) != 0)
        goto fail;
    p->in_transaction = 0;
    return 0;
fail:
    rollback(p);
    return -1;
}

/* The server's notices ("relation already exists, skipping") are not the gate's to
 * print: its output is the decision. */
static void quiet(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

static void pg_close(void *store)
{
    pg_log *p = store;
    if (!p)
        return;
    rollback(p);
    PQfinish(p->conn);
    free(p);
}

static int pg_open(const char *target, int create, void **store, char *err)
{
    /* The URL's own settings win (expand_dbname); these are only defaults. */
    static const char *const keys[] = {"connect_timeout", "application_name", "dbname", NULL};
    const char *values[] = {"10", "relgate", target, NULL};
    pg_log *p = calloc(1, sizeof *p);
    int version;
    if (!p)
        return rg_store_fail(err, "out of memory");
    *store = p;
    p->conn = PQconnectdbParams(keys, values, 1);
    if (!p->conn || PQstatus(p->conn) != CONNECTION_OK) {
        if (p->conn)
            conn_fail(p, err, "cannot connect");
        else
            rg_store_fail(err, "out of memory");
        goto fail;
    }
    PQsetNoticeProcessor(p->conn, quiet, NULL);
    /* A commit is durable before it returns, whatever the server's default; no
     * statement waits on a lock for ever. */
#define SECONDS_TEXT(n) #n
#define SECONDS(n) SECONDS_TEXT(n)
    if (command(p, "SET synchronous_commit TO on; SET lock_timeout TO '" SECONDS(RG_LOG_LOCK_WAIT_SECONDS) "s'; "
                   "SET statement_timeout TO '300s'",
                "cannot configure the session", err) != 0)
        goto fail;
    if (create ? migrate(p, err) != 0 : 0)
        goto fail;
    if (!create) {
        /* One round trip: a missing table is an empty database. */
        PGresult *res = PQexec(p->conn, "SELECT value FROM relgate_meta WHERE key = 'schema_version'");
        const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
        int ok = PQresultStatus(res) == PGRES_TUPLES_OK;
        int missing = !ok && state && strcmp(state, "42P01") == 0;  /* undefined_table */
        version = ok && PQntuples(res) ? atoi(PQgetvalue(res, 0, 0)) : 0;
        if (!ok && !missing)
            rg_store_fail(err, "cannot read the schema version: %s", PQresultErrorMessage(res));
        PQclear(res);
        if (!ok && !missing)
            goto fail;
        if (rg_sql_check_version(version, "the database", err) != 0)
            goto fail;
    }
    return 0;
fail:
    pg_close(p);
    *store = NULL;
    return -1;
}

static int read_head(pg_log *p, const char *sql, int *found, int64_t *seq, char digest[RG_LOG_DIGEST_HEX + 1], char *err)
{
    PGresult *res = run(p, sql, 0, NULL, PGRES_TUPLES_OK, "cannot read the head", err);
    if (!res)
        return -1;
    *found = PQntuples(res) > 0;
    *seq = 0;
    digest[0] = '\0';
    if (*found) {
        *seq = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
        snprintf(digest, RG_LOG_DIGEST_HEX + 1, "%s", PQgetvalue(res, 0, 1));
    }
    PQclear(res);
    return 0;
}

static int pg_begin(void *store, int64_t *head_seq, char head[RG_LOG_DIGEST_HEX + 1], char *err)
{
    pg_log *p = store;
    int found;
    if (command(p, "BEGIN", "cannot start a transaction", err) != 0)
        return -1;
    p->in_transaction = 1;
    /* The head row is the writers' lock: the next writer waits here for this commit. */
    if (command(p, "INSERT INTO relgate_head (id, seq, digest) VALUES (1, 0, '') ON CONFLICT (id) DO NOTHING",
                "cannot lock the head", err) != 0 ||
        read_head(p, "SELECT seq, digest FROM relgate_head WHERE id = 1 FOR UPDATE", &found, head_seq, head, err) != 0) {
        rollback(p);
        return -1;
    }
    return 0;
}

static void drop_pending(pg_log *p)
{
    for (int r = 0; r < p->rows; r++)
        for (int f = 0; f < FIELDS; f++)
            free(p->pending[r][f]);
    p->rows = 0;
}

/* Send the rows put so far in one INSERT. */
static int flush(pg_log *p, char *err)
{
    static const char head[] = "INSERT INTO relgate_decisions (seq, release_name, release_version, environment, stage,"
                               " decision, evaluated_at, digest, prev, line) VALUES ";
    char sql[sizeof head + ROWS_PER_INSERT * FIELDS * 8];
    const char *params[ROWS_PER_INSERT * FIELDS];
    size_t at = sizeof head - 1;
    PGresult *res;
    if (p->rows == 0)
        return 0;
    memcpy(sql, head, at);
    for (int r = 0; r < p->rows; r++) {
        at += (size_t)snprintf(sql + at, sizeof sql - at, "%s(", r ? ", " : "");
        for (int f = 0; f < FIELDS; f++) {
            params[r * FIELDS + f] = p->pending[r][f];
            at += (size_t)snprintf(sql + at, sizeof sql - at, "%s$%d", f ? ", " : "", r * FIELDS + f + 1);
        }
        at += (size_t)snprintf(sql + at, sizeof sql - at, ")");
    }
    res = run(p, sql, p->rows * FIELDS, params, PGRES_COMMAND_OK, "cannot store a record", err);
    PQclear(res);
    drop_pending(p);
    return res ? 0 : -1;
}

static char *copy(const char *text, size_t len)
{
    char *c;
    if (!text)
        return NULL;
    if ((c = malloc(len + 1))) {
        memcpy(c, text, len);
        c[len] = '\0';
    }
    return c;
}

static int pg_put(void *store, const rg_log_record *r, char *err)
{
    pg_log *p = store;
    char seq[24], **row = p->pending[p->rows];
    const char *fields[FIELDS] = {seq, r->release, r->version, r->environment, r->stage, r->decision,
                                  r->evaluated_at, r->digest, r->prev, NULL};
    snprintf(seq, sizeof seq, "%lld", (long long)r->seq);
    for (int f = 0; f < FIELDS; f++) {
        const char *text = f == FIELDS - 1 ? r->line : fields[f];
        row[f] = copy(text, f == FIELDS - 1 ? r->len : text ? strlen(text) : 0);
        if (text && !row[f]) {
            for (int g = 0; g < f; g++)
                free(row[g]);
            return rg_store_fail(err, "out of memory");
        }
    }
    if (++p->rows == ROWS_PER_INSERT)
        return flush(p, err);
    return 0;
}

static int pg_commit(void *store, int64_t head_seq, const char *head, char *err)
{
    pg_log *p = store;
    char seq[24];
    const char *params[2] = {seq, head};
    PGresult *res;
    snprintf(seq, sizeof seq, "%lld", (long long)head_seq);
    if (flush(p, err) != 0) {
        rollback(p);
        return -1;
    }
    res = run(p, "UPDATE relgate_head SET seq = $1, digest = $2 WHERE id = 1", 2, params, PGRES_COMMAND_OK,
              "cannot store the head", err);
    PQclear(res);
    if (!res || command(p, "COMMIT", "cannot commit", err) != 0) {
        rollback(p);
        return -1;
    }
    p->in_transaction = 0;
    return 0;
}

static void pg_abort(void *store)
{
    rollback(store);
}

static int pg_scan(void *store, const rg_log_filter *filter, rg_log_visit visit, void *data, char *err)
{
    pg_log *p = store;
    char sql[1024];
    const char *params[8];
    int count, stop = 0, failed = 0;
    PGresult *res;
    if (rg_sql_scan_query(filter, sql, sizeof sql, params, &count) != 0)
        return rg_store_fail(err, "the query is too long");
    /* Row by row: a log of millions of records is never held in memory at once. */
    if (!PQsendQueryParams(p->conn, sql, count, NULL, params, NULL, NULL, 0) || !PQsetSingleRowMode(p->conn))
        return conn_fail(p, err, "cannot read the records");
    while ((res = PQgetResult(p->conn))) {
        ExecStatusType status = PQresultStatus(res);
        if (status == PGRES_SINGLE_TUPLE && !stop && !failed) {
            stop = visit(strtoll(PQgetvalue(res, 0, 0), NULL, 10), PQgetvalue(res, 0, 1),
                         (size_t)PQgetlength(res, 0, 1), PQgetvalue(res, 0, 2), data);
        } else if (status != PGRES_SINGLE_TUPLE && status != PGRES_TUPLES_OK && !failed) {
            rg_store_fail(err, "cannot read the records: %s", PQresultErrorMessage(res));
            failed = 1;
        }
        PQclear(res);
    }
    return failed ? -1 : 0;
}

static int pg_head(void *store, int *found, int64_t *seq, char digest[RG_LOG_DIGEST_HEX + 1], char *err)
{
    pg_log *p = store;
    if (read_head(p, "SELECT seq, digest FROM relgate_head WHERE id = 1", found, seq, digest, err) != 0)
        return -1;
    if (*found && *seq == 0)
        *found = 0;  /* the row a first writer made and rolled back */
    return 0;
}

EXPORT const rg_log_backend *relgate_log_backend(void);

EXPORT const rg_log_backend *relgate_log_backend(void)
{
    static const rg_log_backend backend = {
        RG_LOG_STORE_ABI, sizeof backend, "postgresql",
        pg_open, pg_close, pg_begin, pg_put, pg_commit, pg_abort, pg_scan, pg_head,
    };
    return &backend;
}
