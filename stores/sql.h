/* What the SQL store modules share: the schema and the query a filter becomes. */
#ifndef RG_STORE_SQL_H
#define RG_STORE_SQL_H

#include <stddef.h>

#include "log_store.h"

/* The schema version this relgate writes; a store with a newer one is refused. */
#define RG_SQL_SCHEMA_VERSION 1

/* The statements that create schema version 1, in order (NULL-terminated). */
extern const char *const rg_sql_schema_v1[];

/* A scan's query: SELECT seq, line, digest and the copies (release_name, release_version,
 * environment, stage, decision, evaluated_at, in rg_log_record's order) FROM relgate_decisions WHERE ... ORDER BY
 * seq [DESC] [LIMIT n], with $1, $2, ... for the values, in order, in PARAMS.  Both
 * SQLite and PostgreSQL read $N placeholders.  Returns 0, or -1 if SQL (SIZE bytes)
 * is too small. */
int rg_sql_scan_query(const rg_log_filter *filter, char *sql, size_t size, const char *params[8], int *count);

/* An existing store's schema VERSION (0: none found) judged for opening it: 0, or -1
 * with ERR saying that TARGET holds no decision log or a newer schema than this relgate
 * reads.  The one rule for both SQL modules. */
int rg_sql_check_version(int version, const char *target, char *err);

/* Write the message into ERR (RG_LOG_ERRMAX bytes) on one line (a library's messages
 * end in a newline and may hold several) and return -1. */
int rg_store_fail(char *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
