/* The decision log: every decision, chained, in a file, SQLite or PostgreSQL.
 *
 * A log is named by a URL: a path (JSON lines), "sqlite:PATH", or a libpq URI
 * ("postgresql://..." / "postgres://...").  Every record carries the digest of the one
 * before it ("chain": {"seq", "prev"}), and the store keeps a head (the last record's
 * sequence number and digest), so an edited, removed, reordered or inserted record, and
 * a tail cut off, are found by rg_log_verify.
 */
#ifndef RG_DECISION_LOG_H
#define RG_DECISION_LOG_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "log_store.h"
#include "relgate/relgate.h"

typedef struct rg_log rg_log;

/* Open the log URL.  With CREATE (writers) a missing store is created and an older
 * schema migrated; readers get an error for a store that is not there.  Returns a log
 * to close with rg_log_close, or NULL with ERR (kind io, usage for a bad URL). */
rg_log *rg_log_open(const char *url, int create, rg_error *err);
void rg_log_close(rg_log *log);

/* The URL for messages: a password in it is replaced by "***". */
const char *rg_log_name(const rg_log *log);

/* URL with the password of "scheme://user:password@host" and of a "password="
 * parameter replaced by "***", into OUT (SIZE bytes): no message, decision or trace
 * ever carries it. */
void rg_log_redact(const char *url, char *out, size_t size);

/* Append ENTRY (one compact JSON object, no newline), chained after the store's last
 * record, and return once it is durable (committed; fsync'd for a file).  Returns 0,
 * or -1 with ERR (kind io) naming the store: then nothing of it was stored. */
int rg_log_append(rg_log *log, const char *entry, size_t len, rg_error *err);

/* Append LINES (LEN bytes of whole lines, each one entry) the same way, all or none. */
int rg_log_append_lines(rg_log *log, const char *lines, size_t len, rg_error *err);

/* Call FN for every record matching FILTER (NULL: all), in order; lines of a file
 * log that are not JSON objects are counted in *SKIPPED (may be NULL).  FN returns
 * non-zero to stop.  Returns 0, or -1 with ERR. */
int rg_log_each(rg_log *log, const rg_log_filter *filter, int (*fn)(const cJSON *entry, void *data),
                void *data, size_t *skipped, rg_error *err);

/* The newest record where release NAME passed its post-deploy gate (allow or warn),
 * whatever came after it, skipping version EXCEPT (may be NULL).  Returns a copy the
 * caller frees with cJSON_Delete, or NULL (none found, or ERR set). */
cJSON *rg_log_last_good(rg_log *log, const char *name, const char *except, rg_error *err);

/* Check the chain from the first record to the head.  Returns 0 when it is whole,
 * 1 with PROBLEM (RG_ERROR_MESSAGE_MAX bytes) naming the first record that breaks it,
 * or -1 with ERR when the store cannot be read.  *RECORDS counts the records read. */
int rg_log_verify(rg_log *log, size_t *records, char *problem, rg_error *err);

/* Append every JSON object of FROM to TO, chained anew in TO (a chain member a record
 * already has is dropped): an old JSONL log, or another store's export, loaded into a
 * store.  One transaction: all of them or none.  Returns the records copied, or -1
 * with ERR. */
long rg_log_import(rg_log *from, rg_log *to, rg_error *err);

/* Write every record of LOG as it is stored (chain included), one line each, to FD. */
long rg_log_export(rg_log *log, int fd, rg_error *err);

/* For back ends: fill RECORD's query fields from ENTRY (strings point into ENTRY). */
void rg_log_record_fields(const cJSON *entry, rg_log_record *record);

/* For back ends: whether RECORD matches FILTER (the file back end filters in C; the
 * SQL back ends translate the same rules into WHERE clauses). */
int rg_log_filter_matches(const rg_log_filter *filter, const rg_log_record *record);

/* For back ends: the lower-case hex SHA-256 of LINE. */
void rg_log_digest(const char *line, size_t len, char hex[RG_LOG_DIGEST_HEX + 1]);

/* The built-in JSON-lines back end. */
const rg_log_backend *rg_log_file_backend(void);

#endif
