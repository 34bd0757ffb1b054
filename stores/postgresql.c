/* The decision log in PostgreSQL through libpq: the store ephemeral CI runners and
 * several services share.  One transaction per append, the head row locked FOR UPDATE
 * so concurrent writers chain one after another.
 *
 * Every round trip has a deadline of the client's own (RELGATE_STORE_TIMEOUT): the
 * server's lock and statement timeouts cannot help when the server never answers (a
 * network partition, a frozen host) or answers late by design (a COMMIT waiting for a
 * synchronous standby that is down).  Past it the connection is dropped and the gate
 * fails closed: an append whose commit was not confirmed is an error, never an allow.
 *
 * Nothing in an error message may hold a password: libpq quotes parts of a connection
 * string it cannot read, so its messages are scrubbed of the secrets the URL holds, and
 * a URL libpq cannot read at all is reported without its words. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <libpq-fe.h>

#include "sql.h"

#define EXPORT __attribute__((visibility("default")))

#define FIELDS 10
#define ROWS_PER_INSERT 200  /* an import of 10^6 records: 5,000 round trips, not 10^6 */
#define MAX_SECRETS 8
/* Seconds a round trip may take (RELGATE_STORE_TIMEOUT): past the server's own lock
 * timeout (RG_LOG_LOCK_WAIT_SECONDS) and statement timeout (STATEMENT_SECONDS), so that
 * their clearer messages come first whenever the server can still send them. */
#define STATEMENT_SECONDS 75
#define DEFAULT_TIMEOUT_SECONDS 90

typedef struct pg_log {
    PGconn *conn;
    int in_transaction;
    int dead;                  /* dropped after a deadline: nothing more is sent on it */
    double timeout;            /* seconds a round trip may take */
    char *secrets[MAX_SECRETS];   /* the URL's passwords, never shown */
    int secret_count;
    char *pending[ROWS_PER_INSERT][FIELDS];  /* rows put but not yet sent (owned copies) */
    int rows;
    int put_total;             /* records put since begin */
    rg_sql_tables tables;      /* relgate_decisions and relgate_head, schema-qualified */
    char schema[140];          /* the store's schema, quoted (find_store) */
    char meta[160];            /* relgate_meta, schema-qualified */
} pg_log;

static double seconds_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The deadline from RELGATE_STORE_TIMEOUT (seconds, > 0), else the default. */
static double store_timeout(void)
{
    const char *text = getenv("RELGATE_STORE_TIMEOUT");
    char *end;
    double v = text && *text ? strtod(text, &end) : 0;
    return text && *text && *end == '\0' && v > 0 && v <= 86400 ? v : DEFAULT_TIMEOUT_SECONDS;
}

/* Replace, in ERR, every secret of P by ***. */
static void scrub(const pg_log *p, char *err)
{
    for (int i = 0; i < p->secret_count; i++) {
        size_t n = strlen(p->secrets[i]);
        char *at;
        while (n && (at = strstr(err, p->secrets[i]))) {
            memmove(at + 3, at + n, strlen(at + n) + 1);
            memcpy(at, "***", 3);
        }
    }
}

/* Drop the connection that missed a deadline: shut down first, so that closing it cannot
 * block on a peer that reads nothing. */
static int give_up_after(pg_log *p, char *err, const char *what, double seconds, const char *bound)
{
    p->dead = 1;
    p->in_transaction = 0;
    shutdown(PQsocket(p->conn), SHUT_RDWR);
    return rg_store_fail(err, "%s: the server did not answer within %.0f s (a network partition, a stopped server, "
                              "or a synchronous standby that is down; %s): the connection was dropped",
                         what, seconds, bound);
}

static int give_up(pg_log *p, char *err, const char *what)
{
    return give_up_after(p, err, what, p->timeout, "RELGATE_STORE_TIMEOUT");
}

static int conn_fail(pg_log *p, char *err, const char *what)
{
    return rg_store_fail(err, "%s: %s", what, PQerrorMessage(p->conn));
}

/* Wait until the socket is ready for EVENTS or DEADLINE passes: 0, or -1 at the deadline. */
static int wait_socket(pg_log *p, short events, double deadline)
{
    for (;;) {
        struct pollfd pfd = {PQsocket(p->conn), events, 0};
        double left = deadline - seconds_now();
        int rc;
        if (left <= 0)
            return -1;
        rc = poll(&pfd, 1, (int)(left * 1000) + 1);
        if (rc > 0)
            return 0;
        if (rc < 0 && errno != EINTR)
            return 0;   /* libpq's next call reports what is wrong with the socket */
    }
}

/* Send what libpq holds; 0, or -1 with ERR. */
static int flush_out(pg_log *p, double deadline, const char *what, char *err)
{
    int rc;
    while ((rc = PQflush(p->conn)) == 1) {
        if (wait_socket(p, POLLOUT | POLLIN, deadline) != 0)
            return give_up(p, err, what);
        if (!PQconsumeInput(p->conn))
            return conn_fail(p, err, what);
    }
    return rc == 0 ? 0 : conn_fail(p, err, what);
}

/* The next result of the query sent (NULL: no more), or NULL with DONE 0 and ERR. */
static PGresult *next_result(pg_log *p, double deadline, int *done, const char *what, char *err)
{
    *done = 0;
    while (PQisBusy(p->conn)) {
        if (wait_socket(p, POLLIN, deadline) != 0) {
            give_up(p, err, what);
            return NULL;
        }
        if (!PQconsumeInput(p->conn)) {
            conn_fail(p, err, what);
            return NULL;
        }
    }
    *done = 1;
    return PQgetResult(p->conn);
}

/* Send SQL with PARAMS (none: the simple protocol, several statements in one round
 * trip).  0, or -1 with ERR. */
static int send_query(pg_log *p, const char *sql, int count, const char *const *params, int single_rows,
                      double deadline, const char *what, char *err)
{
    if (p->dead)
        return rg_store_fail(err, "%s: the connection was dropped earlier", what);
    if (!(count ? PQsendQueryParams(p->conn, sql, count, NULL, params, NULL, NULL, 0) : PQsendQuery(p->conn, sql)))
        return conn_fail(p, err, what);
    if (single_rows && !PQsetSingleRowMode(p->conn))
        return conn_fail(p, err, what);
    return flush_out(p, deadline, what, err);
}

/* Run SQL with PARAMS; the result when it has STATUS, else NULL with ERR (and, with
 * STATE, the failure's SQLSTATE there, "" when none).  Of several statements, the last
 * result, or the first that failed. */
static PGresult *run_state(pg_log *p, const char *sql, int count, const char *const *params, ExecStatusType status,
                           const char *what, char *err, char state[6])
{
    double deadline = seconds_now() + p->timeout;
    PGresult *res, *kept = NULL;
    int done;
    if (send_query(p, sql, count, params, 0, deadline, what, err) != 0)
        return NULL;
    while ((res = next_result(p, deadline, &done, what, err))) {
        if (kept && PQresultStatus(kept) != PGRES_COMMAND_OK && PQresultStatus(kept) != PGRES_TUPLES_OK) {
            PQclear(res);   /* the first failure is the one to tell */
            continue;
        }
        PQclear(kept);
        kept = res;
    }
    if (!done) {
        PQclear(kept);
        return NULL;
    }
    if (PQresultStatus(kept) != status) {
        const char *code = PQresultErrorField(kept, PG_DIAG_SQLSTATE);
        if (state)
            snprintf(state, 6, "%s", code ? code : "");
        rg_store_fail(err, "%s: %s", what, kept ? PQresultErrorMessage(kept) : PQerrorMessage(p->conn));
        PQclear(kept);
        return NULL;
    }
    return kept;
}

static PGresult *run(pg_log *p, const char *sql, int count, const char *const *params, ExecStatusType status,
                     const char *what, char *err)
{
    return run_state(p, sql, count, params, status, what, err, NULL);
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
    char ignored[RG_LOG_ERRMAX];
    drop_pending(p);
    if (p->in_transaction && !p->dead)
        PQclear(run(p, "ROLLBACK", 0, NULL, PGRES_COMMAND_OK, "cannot roll back", ignored));
    p->in_transaction = 0;
}

static int schema_version(pg_log *p, int *version, char *err)
{
    char sql[256];
    PGresult *res;
    snprintf(sql, sizeof sql, "SELECT value FROM %s WHERE key = 'schema_version'", p->meta);
    res = run(p, sql, 0, NULL, PGRES_TUPLES_OK, "cannot read the schema version", err);
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
    char in_schema[200];
    if (command(p, "BEGIN", "cannot start a transaction", err) != 0)
        return -1;
    p->in_transaction = 1;
    {
        PGresult *res = run(p, "SELECT pg_catalog.pg_advisory_xact_lock(7265716761746501)", 0, NULL,
                            PGRES_TUPLES_OK, "cannot lock the schema", err);
        if (!res)
            goto fail;
        PQclear(res);
    }
    /* The statements below name the tables as the schema version creates them: in the
     * store's schema, for this transaction. */
    snprintf(in_schema, sizeof in_schema, "SET LOCAL search_path TO %s", p->schema);
    if (command(p, in_schema, "cannot create the schema", err) != 0 ||
        command(p, "CREATE TABLE IF NOT EXISTS relgate_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
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
        if (command(p, "INSERT INTO relgate_meta VALUES ('schema_version', '1')", "cannot create the schema",
                    err) != 0)
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
    for (int i = 0; i < p->secret_count; i++)
        free(p->secrets[i]);
    free(p);
}

/* Keep the secrets TARGET holds (libpq marks them: a password, an SSL key's password)
 * for scrub.  0; -1 with ERR when libpq cannot read TARGET: its message would quote the
 * word it stumbled on, which may be the password, so it is not shown. */
static int keep_secrets(pg_log *p, const char *target, char *err)
{
    char *why = NULL;
    PQconninfoOption *opts = PQconninfoParse(target, &why);
    if (!opts) {
        PQfreemem(why);
        return rg_store_fail(err, "libpq cannot read the URL (its message is not shown: it may quote the password); "
                                  "percent-encode what is not a letter or a digit in the user's name and password");
    }
    PQfreemem(why);
    for (PQconninfoOption *o = opts; o->keyword; o++)
        if (o->val && *o->val && o->dispchar && strchr(o->dispchar, '*') && p->secret_count < MAX_SECRETS)
            p->secrets[p->secret_count++] = strdup(o->val);
    PQconninfoFree(opts);
    return 0;
}

/* Seconds connecting may take: the connection's connect_timeout (10 s unless the URL or
 * PGCONNECT_TIMEOUT set another; libpq raises 1 to 2), never past RELGATE_STORE_TIMEOUT.
 * It bounds the whole connection, every host of the URL together. */
static double connect_bound(const pg_log *p)
{
    double bound = p->timeout;
    PQconninfoOption *opts = PQconninfo(p->conn);
    for (PQconninfoOption *o = opts; o && o->keyword; o++)
        if (strcmp(o->keyword, "connect_timeout") == 0 && o->val && *o->val) {
            char *end;
            double v = strtod(o->val, &end);
            if (*end != '\0' || !(v > 0))
                continue;   /* 0 (for ever) or unreadable: the store's own bound */
            if (v < 2)
                v = 2;      /* as libpq does */
            if (v < bound)
                bound = v;
        }
    PQconninfoFree(opts);
    return bound;
}

/* Connect, under a deadline of our own: libpq keeps connect_timeout only in its blocking
 * connect, where 0 means for ever, and a server that accepts and never answers (a
 * partition after the handshake) would hold the gate there without end. */
static int connect_within_bound(pg_log *p, const char *const *keys, const char *const *values, char *err)
{
    PostgresPollingStatusType state = PGRES_POLLING_WRITING;
    double bound, deadline;
    p->conn = PQconnectStartParams(keys, values, 1);
    if (!p->conn)
        return rg_store_fail(err, "out of memory");
    if (PQstatus(p->conn) == CONNECTION_BAD)
        return conn_fail(p, err, "cannot connect");
    bound = connect_bound(p);
    deadline = seconds_now() + bound;
    while (state != PGRES_POLLING_OK) {
        if (state == PGRES_POLLING_FAILED)
            return conn_fail(p, err, "cannot connect");
        if (wait_socket(p, state == PGRES_POLLING_READING ? POLLIN : POLLOUT, deadline) != 0)
            return give_up_after(p, err, "cannot connect", bound, "connect_timeout, RELGATE_STORE_TIMEOUT");
        state = PQconnectPoll(p->conn);
    }
    return 0;
}

static int search_path_problem(pg_log *p, char *problem, char *err);

/* Where the store is, found by catalogue queries alone before any statement names a
 * table: a relation or a function of the database's own reached along the search path
 * could run its code there and move the session (hostile round 20, F01).  It is the one
 * schema on the session's search path (pg_catalog first: search_path_problem) holding
 * tables of relgate's names; in two, which is the store would depend on the role or the
 * session, so that verify could read another copy than the gates write (F02), and it is
 * refused.  None (a new store): the first schema on the path, where a writer creates it.
 * Sets p->schema, p->meta and p->tables.  0, or -1 with ERR. */
static int find_store(pg_log *p, char *err)
{
    char problem[RG_LOG_ERRMAX];
    PGresult *res;
    int rc = -1;
    if (search_path_problem(p, problem, err) != 0)
        return -1;
    if (problem[0])
        return rg_store_fail(err, "%s", problem);
    res = run(p, "SELECT pg_catalog.quote_ident(n.nspname), 0 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n"
                 " ON n.oid OPERATOR(pg_catalog.=) c.relnamespace WHERE c.relname OPERATOR(pg_catalog.=) ANY"
                 " (ARRAY['relgate_decisions', 'relgate_head', 'relgate_meta']::pg_catalog.name[])"
                 " AND n.nspname OPERATOR(pg_catalog.=) ANY (pg_catalog.current_schemas(false))"
                 " GROUP BY n.nspname"
                 " UNION ALL SELECT pg_catalog.quote_ident(pg_catalog.current_schema()), 1 ORDER BY 2, 1",
              0, NULL, PGRES_TUPLES_OK, "cannot find the store's tables", err);
    if (!res)
        return -1;
    /* The schemas holding relgate's tables, then the first on the path (NULL: none). */
    if (PQntuples(res) > 2)
        rg_store_fail(err, "tables of relgate's names are in schemas %s and %s, both on the search path: which is "
                      "the store would depend on the role or the session; name its schema in the URL (options="
                      "-csearch_path=SCHEMA)", PQgetvalue(res, 0, 0), PQgetvalue(res, 1, 0));
    else if (PQntuples(res) < 1 || PQgetisnull(res, 0, 0))
        rg_store_fail(err, "no schema on the search path to find or create the store in");
    else if (snprintf(p->schema, sizeof p->schema, "%s", PQgetvalue(res, 0, 0)) >= (int)sizeof p->schema)
        rg_store_fail(err, "the store's schema name is too long");
    else {
        snprintf(p->meta, sizeof p->meta, "%s.relgate_meta", p->schema);
        snprintf(p->tables.decisions, sizeof p->tables.decisions, "%s.relgate_decisions", p->schema);
        snprintf(p->tables.head, sizeof p->tables.head, "%s.relgate_head", p->schema);
        rc = 0;
    }
    PQclear(res);
    return rc;
}

static int catalogue_problem(pg_log *p, char *problem, char *err);

/* A writer appends only to a store whose catalogue is relgate's: a constraint, default or
 * trigger of the database's own would run its code in the gate's transactions, and could
 * take back a record after the read-back or move the session elsewhere (hostile round
 * 19, F02, F03). */
static int written_as_made(pg_log *p, char *err)
{
    char problem[RG_LOG_ERRMAX];
    if (catalogue_problem(p, problem, err) != 0)
        return -1;
    return rg_sql_written_as_made(problem, err);
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
    p->timeout = store_timeout();
    if (keep_secrets(p, target, err) != 0)
        goto fail;
    if (connect_within_bound(p, keys, values, err) != 0)
        goto fail;
    PQsetNoticeProcessor(p->conn, quiet, NULL);
    if (PQsetnonblocking(p->conn, 1) != 0) {
        conn_fail(p, err, "cannot configure the connection");
        goto fail;
    }
    /* Whatever the server's, the role's or the URL's defaults: a commit is durable
     * before it returns; no statement waits on a lock for ever; writers queue on the
     * head row (READ COMMITTED: under REPEATABLE READ the losers would fail at once); and
     * the text is UTF-8 both ways, so that what is stored is the record as chained. */
#define SECONDS_TEXT(n) #n
#define SECONDS(n) SECONDS_TEXT(n)
    if (command(p, "SET synchronous_commit TO on; SET lock_timeout TO '" SECONDS(RG_LOG_LOCK_WAIT_SECONDS) "s'; "
                   "SET statement_timeout TO '" SECONDS(STATEMENT_SECONDS) "s'; "
                   "SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL READ COMMITTED; "
                   "SET client_encoding TO 'UTF8'",
                "cannot configure the session", err) != 0)
        goto fail;
    if (find_store(p, err) != 0 || (create ? migrate(p, err) != 0 : 0))
        goto fail;
    if (!create) {
        /* One round trip: a missing table is an empty database. */
        char state[6] = "", sql[256];
        PGresult *res;
        snprintf(sql, sizeof sql, "SELECT value FROM %s WHERE key = 'schema_version'", p->meta);
        res = run_state(p, sql, 0, NULL, PGRES_TUPLES_OK, "cannot read the schema version", err, state);
        version = res && PQntuples(res) ? atoi(PQgetvalue(res, 0, 0)) : 0;
        PQclear(res);
        if (!res && strcmp(state, "42P01") != 0)   /* undefined_table: an empty database */
            goto fail;
        if (rg_sql_check_version(version, "the database", err) != 0)
            goto fail;
    }
    if (create && written_as_made(p, err) != 0)
        goto fail;
    return 0;
fail:
    scrub(p, err);
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
    char insert[320], lock[320];
    int found;
    p->put_total = 0;
    if (command(p, "BEGIN", "cannot start a transaction", err) != 0) {
        scrub(p, err);
        return -1;
    }
    p->in_transaction = 1;
    /* The head row is the writers' lock: the next writer waits here for this commit. */
    snprintf(insert, sizeof insert, "INSERT INTO %s (id, seq, digest) VALUES (1, 0, '') ON CONFLICT (id) DO NOTHING",
             p->tables.head);
    snprintf(lock, sizeof lock, "SELECT seq, digest FROM %s WHERE id = 1 FOR UPDATE", p->tables.head);
    if (command(p, insert, "cannot lock the head", err) != 0 ||
        read_head(p, lock, &found, head_seq, head, err) != 0) {
        scrub(p, err);
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
    char sql[512 + ROWS_PER_INSERT * FIELDS * 8];
    const char *params[ROWS_PER_INSERT * FIELDS];
    size_t at;
    PGresult *res;
    if (p->rows == 0)
        return 0;
    at = (size_t)snprintf(sql, sizeof sql, "INSERT INTO %s (seq, release_name, release_version, environment, stage,"
                          " decision, evaluated_at, digest, prev, line) VALUES ", p->tables.decisions);
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
    p->put_total++;
    if (++p->rows == ROWS_PER_INSERT && flush(p, err) != 0) {
        scrub(p, err);
        return -1;
    }
    return 0;
}

/* Before the commit: the records put, and the head, read back (rg_sql_read_back_query). */
static int read_back(pg_log *p, int64_t head_seq, const char *head, char *err)
{
    char seq[24], puts[24], sql[1024];
    const char *params[2] = {seq, puts};
    PGresult *res;
    int rc;
    snprintf(seq, sizeof seq, "%lld", (long long)head_seq);
    snprintf(puts, sizeof puts, "%d", p->put_total);
    if (rg_sql_read_back_query(&p->tables, sql, sizeof sql) != 0)
        return rg_store_fail(err, "the store's schema name is too long");
    if (!(res = run(p, sql, 2, params, PGRES_TUPLES_OK, "cannot read back what was stored", err)))
        return -1;
    if (PQntuples(res) != 1)
        rc = rg_sql_read_back_check(-1, NULL, 0, NULL, p->put_total, head_seq, head, err);
    else
        rc = rg_sql_read_back_check(strtoll(PQgetvalue(res, 0, 0), NULL, 10),
                                    PQgetisnull(res, 0, 1) ? NULL : PQgetvalue(res, 0, 1),
                                    strtoll(PQgetvalue(res, 0, 2), NULL, 10),
                                    PQgetisnull(res, 0, 3) ? NULL : PQgetvalue(res, 0, 3), p->put_total, head_seq, head,
                                    err);
    PQclear(res);
    return rc;
}

static int pg_commit(void *store, int64_t head_seq, const char *head, char *err)
{
    pg_log *p = store;
    char seq[24], update[320];
    const char *params[2] = {seq, head};
    PGresult *res;
    snprintf(seq, sizeof seq, "%lld", (long long)head_seq);
    snprintf(update, sizeof update, "UPDATE %s SET seq = $1, digest = $2 WHERE id = 1", p->tables.head);
    if (flush(p, err) != 0)
        goto fail;
    res = run(p, update, 2, params, PGRES_COMMAND_OK, "cannot store the head", err);
    PQclear(res);
    if (!res || read_back(p, head_seq, head, err) != 0 || command(p, "COMMIT", "cannot commit", err) != 0)
        goto fail;
    p->in_transaction = 0;
    return 0;
fail:
    scrub(p, err);
    rollback(p);
    return -1;
}

static void pg_abort(void *store)
{
    rollback(store);
}

static int pg_scan(void *store, const rg_log_filter *filter, int64_t from_seq, rg_log_visit visit, void *data, char *err)
{
    pg_log *p = store;
    char sql[1024];
    const char *params[8];
    char from_text[24];
    int count, stop = 0, failed = 0, done;
    PGresult *res;
    if (rg_sql_scan_query(&p->tables, filter, from_seq, from_text, sql, sizeof sql, params, &count) != 0)
        return rg_store_fail(err, "the query is too long");
    /* Row by row: a log of millions of records is never held in memory at once.  The
     * deadline is for each row: a long log read steadily never misses it. */
    if (send_query(p, sql, count, params, 1, seconds_now() + p->timeout, "cannot read the records", err) != 0) {
        scrub(p, err);
        return -1;
    }
    while ((res = next_result(p, seconds_now() + p->timeout, &done, "cannot read the records", err))) {
        ExecStatusType status = PQresultStatus(res);
        if (status == PGRES_SINGLE_TUPLE && !stop && !failed) {
            rg_log_record r = {0};
            const char **copies[] = {&r.release, &r.version, &r.environment, &r.stage, &r.decision, &r.evaluated_at};
            r.seq = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
            r.line = PQgetvalue(res, 0, 1);
            r.len = (size_t)PQgetlength(res, 0, 1);
            r.digest = PQgetvalue(res, 0, 2);
            for (int c = 0; c < 6; c++)
                *copies[c] = PQgetisnull(res, 0, 3 + c) ? NULL : PQgetvalue(res, 0, 3 + c);
            r.indexed = 1;
            stop = visit(&r, data);
        } else if (status != PGRES_SINGLE_TUPLE && status != PGRES_TUPLES_OK && !failed) {
            rg_store_fail(err, "cannot read the records: %s", PQresultErrorMessage(res));
            failed = 1;
        }
        PQclear(res);
    }
    if (!done)
        failed = 1;
    if (failed)
        scrub(p, err);
    return failed ? -1 : 0;
}

static int pg_head(void *store, int *found, int64_t *seq, char digest[RG_LOG_DIGEST_HEX + 1], char *err)
{
    pg_log *p = store;
    char sql[320];
    snprintf(sql, sizeof sql, "SELECT seq, digest FROM %s WHERE id = 1", p->tables.head);
    if (read_head(p, sql, found, seq, digest, err) != 0) {
        scrub(p, err);
        return -1;
    }
    if (*found && *seq == 0)
        *found = 0;  /* the row a first writer made and rolled back */
    return 0;
}

/* The store's catalogue against what relgate makes, object by object: what is not
 * relgate's is named (first row; none when all is).  Beside its tables (ordinary, kept in
 * the write-ahead log: an UNLOGGED one is emptied by a crash) nothing may run the
 * database's own code in relgate's statements or change what they read -- row-level
 * security and its policies (which hide rows from some queries only), triggers, rules,
 * inheritance, column defaults, constraints other than relgate's, foreign keys to its
 * tables, indexes on expressions or with predicates -- and the columns are relgate's, of
 * its types, in the default collation (hostile rounds 18 F05, 19 F02-F05).  NOT NULL
 * constraints (PostgreSQL 18 lists them here) are not compared: they reject, never run code.  Plain indexes
 * of someone else's are allowed: they change plans, not answers.  $1-$3: the tables'
 * qualified names, as the statements name them.  Catalogue names are qualified, and the
 * search path is checked first (CHECK_SEARCH_PATH), so the operators are the built-in ones. */
static const char check_catalogue[] =
    "WITH ours(name, oid) AS (VALUES ('relgate_decisions', pg_catalog.to_regclass($1)),"
    "   ('relgate_head', pg_catalog.to_regclass($2)), ('relgate_meta', pg_catalog.to_regclass($3))),"
    " columns(name, col, typ) AS (VALUES"
    "   ('relgate_decisions', 'seq', 'pg_catalog.int8'::pg_catalog.regtype),"
    "   ('relgate_decisions', 'release_name', 'pg_catalog.text'), ('relgate_decisions', 'release_version', 'pg_catalog.text'),"
    "   ('relgate_decisions', 'environment', 'pg_catalog.text'), ('relgate_decisions', 'stage', 'pg_catalog.text'),"
    "   ('relgate_decisions', 'decision', 'pg_catalog.text'), ('relgate_decisions', 'evaluated_at', 'pg_catalog.text'),"
    "   ('relgate_decisions', 'digest', 'pg_catalog.text'), ('relgate_decisions', 'prev', 'pg_catalog.text'),"
    "   ('relgate_decisions', 'line', 'pg_catalog.text'), ('relgate_head', 'id', 'pg_catalog.int4'),"
    "   ('relgate_head', 'seq', 'pg_catalog.int8'), ('relgate_head', 'digest', 'pg_catalog.text'),"
    "   ('relgate_meta', 'key', 'pg_catalog.text'), ('relgate_meta', 'value', 'pg_catalog.text')),"
    " constraints(name, kind, def) AS (VALUES ('relgate_decisions', 'p', 'PRIMARY KEY (seq)'),"
    "   ('relgate_head', 'p', 'PRIMARY KEY (id)'), ('relgate_head', 'c', 'CHECK ((id = 1))'),"
    "   ('relgate_meta', 'p', 'PRIMARY KEY (key)')),"
    " actual_columns AS (SELECT ours.name, a.attname::pg_catalog.text AS col, a.atttypid, a.attcollation,"
    "   a.attgenerated, a.attidentity FROM pg_catalog.pg_attribute a JOIN ours ON a.attrelid = ours.oid"
    "   WHERE a.attnum > 0 AND NOT a.attisdropped),"
    " actual_constraints AS (SELECT ours.name, k.conname, k.contype::pg_catalog.text AS kind,"
    "   pg_catalog.pg_get_constraintdef(k.oid) AS def FROM pg_catalog.pg_constraint k JOIN ours ON k.conrelid = ours.oid"
    "   WHERE k.contype <> 'n')"
    " SELECT 'relation ' || name || ' is missing, not an ordinary table, or not kept in the write-ahead log'"
    "  FROM ours LEFT JOIN pg_catalog.pg_class c ON c.oid = ours.oid"
    "  WHERE c.relkind IS DISTINCT FROM 'r' OR c.relpersistence IS DISTINCT FROM 'p'"
    " UNION ALL SELECT 'row-level security is on for ' || ours.name FROM pg_catalog.pg_class c JOIN ours"
    "  ON c.oid = ours.oid WHERE c.relrowsecurity OR c.relforcerowsecurity"
    " UNION ALL SELECT 'policy ' || p.polname || ' is on ' || ours.name FROM pg_catalog.pg_policy p JOIN ours"
    "  ON p.polrelid = ours.oid"
    " UNION ALL SELECT 'trigger ' || t.tgname || ' is on ' || ours.name FROM pg_catalog.pg_trigger t JOIN ours"
    "  ON t.tgrelid = ours.oid"
    " UNION ALL SELECT 'rule ' || r.rulename || ' is on ' || ours.name FROM pg_catalog.pg_rewrite r JOIN ours"
    "  ON r.ev_class = ours.oid"
    " UNION ALL SELECT 'inheritance is on ' || ours.name FROM pg_catalog.pg_inherits i JOIN ours"
    "  ON i.inhrelid = ours.oid OR i.inhparent = ours.oid"
    " UNION ALL SELECT 'column ' || COALESCE(e.name || '.' || e.col, a.name || '.' || a.col)"
    "  || ' is missing, added, or not of relgate''s type, collation or kind'"
    "  FROM actual_columns a FULL JOIN columns e ON a.name = e.name AND a.col = e.col"
    "  WHERE a.col IS NULL OR e.col IS NULL OR a.atttypid <> e.typ OR a.attcollation NOT IN (0, 100)"
    "   OR a.attgenerated <> '' OR a.attidentity <> ''"
    " UNION ALL SELECT 'a default is on column ' || ours.name || '.' || a.attname FROM pg_catalog.pg_attrdef d"
    "  JOIN ours ON d.adrelid = ours.oid JOIN pg_catalog.pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum"
    " UNION ALL SELECT 'constraint ' || COALESCE(a.conname::pg_catalog.text, e.def) || ' is '"
    "  || CASE WHEN a.name IS NULL THEN 'missing from ' ELSE 'on ' END || COALESCE(a.name, e.name)"
    "  FROM actual_constraints a FULL JOIN constraints e ON a.name = e.name AND a.kind = e.kind AND a.def = e.def"
    "  WHERE a.name IS NULL OR e.name IS NULL"
    " UNION ALL SELECT 'foreign key ' || k.conname || ' refers to ' || ours.name FROM pg_catalog.pg_constraint k"
    "  JOIN ours ON k.confrelid = ours.oid"
    " UNION ALL SELECT 'index ' || x.indexrelid::pg_catalog.regclass::pg_catalog.text || ' on ' || ours.name"
    "  || ' computes expressions or has a predicate' FROM pg_catalog.pg_index x JOIN ours ON x.indrelid = ours.oid"
    "  WHERE x.indexprs IS NOT NULL OR x.indpred IS NOT NULL"
    " LIMIT 1";

/* Whether the search path puts pg_catalog first, so that the operators of the store's
 * statements are the built-in ones: 0 with PROBLEM ("" when it does), or -1 with ERR. */
static int search_path_problem(pg_log *p, char *problem, char *err)
{
    PGresult *res = run(p, "SELECT (pg_catalog.current_schemas(true))[1]", 0, NULL, PGRES_TUPLES_OK,
                        "cannot read the search path", err);
    problem[0] = '\0';
    if (!res)
        return -1;
    if (PQntuples(res) != 1 || strcmp(PQgetvalue(res, 0, 0), "pg_catalog") != 0)
        rg_store_fail(problem, "the search path puts schema %s before pg_catalog: an operator or function there "
                      "can change what the store's queries answer", PQntuples(res) ? PQgetvalue(res, 0, 0) : "?");
    PQclear(res);
    return 0;
}

/* The store's catalogue is as relgate made it (check_catalogue), and the search path
 * puts pg_catalog first.  0 with PROBLEM ("" when it is), or -1 with ERR. */
static int catalogue_problem(pg_log *p, char *problem, char *err)
{
    const char *params[3] = {p->tables.decisions, p->tables.head, p->meta};
    PGresult *res;
    if (search_path_problem(p, problem, err) != 0)
        return -1;
    if (problem[0])
        return 0;
    if (!(res = run(p, check_catalogue, 3, params, PGRES_TUPLES_OK, "cannot read the catalogue", err)))
        return -1;
    if (PQntuples(res) > 0)
        rg_store_fail(problem, "the store's catalogue is not as relgate made it: %s (the database's own code or "
                      "definitions can change what the store's queries answer, or what is kept)", PQgetvalue(res, 0, 0));
    PQclear(res);
    return 0;
}

static int pg_check(void *store, char *problem, char *err)
{
    pg_log *p = store;
    if (catalogue_problem(p, problem, err) == 0)
        return 0;
    scrub(p, err);
    return -1;
}

EXPORT const rg_log_backend *relgate_log_backend(void);

EXPORT const rg_log_backend *relgate_log_backend(void)
{
    static const rg_log_backend backend = {
        RG_LOG_STORE_ABI, sizeof backend, "postgresql",
        pg_open, pg_close, pg_begin, pg_put, pg_commit, pg_abort, pg_scan, pg_head, 1, pg_check,
    };
    return &backend;
}
