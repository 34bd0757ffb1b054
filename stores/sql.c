/* The SQL the store modules share.  The columns beside `line` are copies of entry
 * fields for the indexes; `line` (the record as chained) is the source of truth. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "sql.h"

const char *const rg_sql_schema_v1[] = {
    "CREATE TABLE relgate_decisions ("
    " seq BIGINT PRIMARY KEY,"
    " release_name TEXT, release_version TEXT, environment TEXT,"
    " stage TEXT, decision TEXT, evaluated_at TEXT,"
    " digest TEXT NOT NULL, prev TEXT NOT NULL,"
    " line TEXT NOT NULL)",
    /* last-good and a release's history */
    "CREATE INDEX relgate_decisions_release ON relgate_decisions (release_name, stage, decision, seq)",
    /* last-good per environment */
    "CREATE INDEX relgate_decisions_environment ON relgate_decisions (environment, stage, decision, seq)",
    /* decisions by outcome and stage in a time range */
    "CREATE INDEX relgate_decisions_outcome ON relgate_decisions (decision, stage, evaluated_at)",
    "CREATE INDEX relgate_decisions_time ON relgate_decisions (evaluated_at)",
    /* the head: the last record's seq and digest, one row, updated with every append */
    "CREATE TABLE relgate_head (id INTEGER PRIMARY KEY CHECK (id = 1), seq BIGINT NOT NULL, digest TEXT NOT NULL)",
    NULL,
};

static int add(char *sql, size_t size, size_t *at, const char *text)
{
    size_t n = strlen(text);
    if (*at + n + 1 > size)
        return -1;
    memcpy(sql + *at, text, n + 1);
    *at += n;
    return 0;
}

/* " AND column = $N" (or "<>", ">=", "<="), with VALUE the N-th parameter. */
static int condition(char *sql, size_t size, size_t *at, const char *column, const char *op,
                     const char *value, const char *params[8], int *count)
{
    char text[96];
    if (!value)
        return 0;
    params[*count] = value;
    snprintf(text, sizeof text, " AND %s %s $%d", column, op, ++*count);
    return add(sql, size, at, text);
}

int rg_sql_scan_query(const rg_sql_tables *tables, const rg_log_filter *f, int64_t from_seq, char from_text[24],
                      char *sql, size_t size, const char *params[8], int *count)
{
    static const char *const names[] = {"'allow'", "'warn'", "'deny'", "'error'"};
    size_t at = 0;
    int rc = 0;
    char limit[48];
    *count = 0;
    rc |= add(sql, size, &at, "SELECT seq, line, digest, release_name, release_version, environment, stage, decision,"
                              " evaluated_at FROM ");
    rc |= add(sql, size, &at, tables->decisions);
    rc |= add(sql, size, &at, " WHERE 1 = 1");
    rc |= condition(sql, size, &at, "release_name", "=", f->release, params, count);
    /* NULL versions are not the excepted one: IS DISTINCT FROM, not <> */
    rc |= condition(sql, size, &at, "release_version IS DISTINCT FROM", "", f->except_version, params, count);
    rc |= condition(sql, size, &at, "environment", "=", f->environment, params, count);
    rc |= condition(sql, size, &at, "stage", "=", f->stage, params, count);
    rc |= condition(sql, size, &at, "evaluated_at", ">=", f->since, params, count);
    rc |= condition(sql, size, &at, "evaluated_at", "<=", f->until, params, count);
    if (from_seq > 1) {
        snprintf(from_text, 24, "%" PRId64, from_seq);
        rc |= condition(sql, size, &at, "seq", ">= CAST(", from_text, params, count);
        rc |= add(sql, size, &at, " AS BIGINT)");
    }
    if (f->decisions) {
        const char *sep = " AND decision IN (";
        for (unsigned i = 0; i < 4; i++) {
            if (f->decisions & (1u << i)) {
                rc |= add(sql, size, &at, sep);
                rc |= add(sql, size, &at, names[i]);
                sep = ", ";
            }
        }
        rc |= add(sql, size, &at, ")");
    }
    rc |= add(sql, size, &at, f->newest_first ? " ORDER BY seq DESC" : " ORDER BY seq");
    if (f->limit) {
        snprintf(limit, sizeof limit, " LIMIT %zu", f->limit);
        rc |= add(sql, size, &at, limit);
    }
    return rc ? -1 : 0;
}

/* CAST, not "::": both SQL dialects read it, and PostgreSQL must know $1 - $2 are numbers. */
int rg_sql_read_back_query(const rg_sql_tables *t, char *sql, size_t size)
{
    int n = snprintf(sql, size,
                     "SELECT (SELECT count(*) FROM %s"
                     "        WHERE seq > CAST($1 AS BIGINT) - CAST($2 AS BIGINT) AND seq <= CAST($1 AS BIGINT)),"
                     " (SELECT digest FROM %s WHERE seq = CAST($1 AS BIGINT)),"
                     " (SELECT seq FROM %s WHERE id = 1), (SELECT digest FROM %s WHERE id = 1)",
                     t->decisions, t->decisions, t->head, t->head);
    return n > 0 && (size_t)n < size ? 0 : -1;
}

int rg_sql_read_back_check(long long count, const char *last, long long head_seq, const char *head, long long puts,
                           long long expect_seq, const char *expect_head, char *err)
{
    if (count == puts && last && strcmp(last, expect_head) == 0 && head_seq == expect_seq && head &&
        strcmp(head, expect_head) == 0)
        return 0;
    return rg_store_fail(err, "the records written do not read back (a rule or trigger on relgate_decisions or "
                              "relgate_head changes what is stored): nothing was committed");
}

int rg_sql_check_version(int version, const char *target, char *err)
{
    if (version == 0)
        return rg_store_fail(err, "%s holds no decision log", target);
    if (version > RG_SQL_SCHEMA_VERSION)
        return rg_store_fail(err, "its schema version %d is newer than this relgate's (%d)", version,
                             RG_SQL_SCHEMA_VERSION);
    return 0;
}

int rg_sql_written_as_made(const char *problem, char *err)
{
    if (!problem[0])
        return 0;
    return rg_store_fail(err, "%s; relgate writes only to a store as it made it (relgate history verify tells more)",
                         problem);
}

int rg_store_fail(char *err, const char *fmt, ...)
{
    va_list ap;
    size_t n;
    va_start(ap, fmt);
    vsnprintf(err, RG_LOG_ERRMAX, fmt, ap);
    va_end(ap);
    n = strlen(err);
    while (n > 0 && (err[n - 1] == '\n' || err[n - 1] == ' '))
        err[--n] = '\0';
    for (char *p = err; *p; p++)
        if (*p == '\n')
            *p = ' ';
    return -1;
}
