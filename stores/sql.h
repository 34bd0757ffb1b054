/* What the SQL store modules share: the schema and the query a filter becomes. */
#ifndef RG_STORE_SQL_H
#define RG_STORE_SQL_H

#include <stddef.h>

#include "log_store.h"

/* The schema version this relgate writes; a store with a newer one is refused. */
#define RG_SQL_SCHEMA_VERSION 1

/* The statements that create schema version 1, in order (NULL-terminated). */
extern const char *const rg_sql_schema_v1[];

/* The tables as a module's statements name them: SQLite's as they are, PostgreSQL's
 * qualified with the schema the store was found in when it was opened, so that nothing
 * run in the session later (a search path changed by the database's own code) can put
 * other relations in their place (hostile round 19, F03, F04). */
typedef struct rg_sql_tables {
    char decisions[160];
    char head[160];
} rg_sql_tables;

/* A scan's query: SELECT seq, line, digest and the copies (release_name, release_version,
 * environment, stage, decision, evaluated_at, in rg_log_record's order) FROM relgate_decisions WHERE ... ORDER BY
 * seq [DESC] [LIMIT n], with $1, $2, ... for the values, in order, in PARAMS; FROM_SEQ
 * (> 1) as text in FROM_TEXT.  Both SQLite and PostgreSQL read $N placeholders.
 * Returns 0, or -1 if SQL (SIZE bytes) is too small. */
int rg_sql_scan_query(const rg_sql_tables *tables, const rg_log_filter *filter, int64_t from_seq, char from_text[24],
                      char *sql, size_t size, const char *params[8], int *count);

/* Before a commit, what was written read back (into SQL, SIZE bytes; 0, or -1 when too
 * small): $1 the new head's seq, $2 the records
 * put since begin; one row of the records' count in (head - puts, head], the last one's
 * digest, and the head row's seq and digest.  A rule or trigger that swallows or diverts
 * a record (DO INSTEAD NOTHING, RAISE(IGNORE)) would otherwise let a decision be
 * answered with no record of it. */
int rg_sql_read_back_query(const rg_sql_tables *tables, char *sql, size_t size);

/* Whether the read-back row (COUNT, LAST digest, HEAD_SEQ and HEAD digest as read; NULL
 * where absent) is what was written: PUTS records ending with HEAD at EXPECT_SEQ.  0, or
 * -1 with ERR. */
int rg_sql_read_back_check(long long count, const char *last, long long head_seq, const char *head, long long puts,
                           long long expect_seq, const char *expect_head, char *err);

/* For a writer's open: 0 when PROBLEM (what the module's schema check found) is "", else
 * -1 with ERR saying that relgate writes only to a store as it made it. */
int rg_sql_written_as_made(const char *problem, char *err);

/* An existing store's schema VERSION (0: none found) judged for opening it: 0, or -1
 * with ERR saying that TARGET holds no decision log or a newer schema than this relgate
 * reads.  The one rule for both SQL modules. */
int rg_sql_check_version(int version, const char *target, char *err);

/* Write the message into ERR (RG_LOG_ERRMAX bytes) on one line (a library's messages
 * end in a newline and may hold several) and return -1. */
int rg_store_fail(char *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
