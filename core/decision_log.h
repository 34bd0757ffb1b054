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
#include "strbuf.h"

/* rg_log_open, _append, _each, _last_good, _verify, _import and _export are public
 * (relgate.h); the engine's own readers take the records as cJSON trees. */

/* The JSON-lines log's head is the file PATH + this (log_file.c; rg_log_keeps_file). */
#define RG_LOG_FILE_HEAD_SUFFIX ".head"

/* rg_log_each with each record parsed. */
int rg_log_each_json(rg_log *log, const rg_log_query *query, int (*fn)(const cJSON *entry, void *data),
                     void *data, size_t *skipped, rg_error *err);

/* rg_log_last_good_in as a tree: a copy the caller frees with cJSON_Delete, or NULL. */
cJSON *rg_log_last_good_json(rg_log *log, const char *name, const char *environment, const char *except,
                             rg_error *err);

/* URL with the password of "scheme://user:password@host" and of a "password="
 * parameter replaced by "***", into OUT (SIZE bytes): no message, decision or trace
 * ever carries it. */
void rg_log_redact(const char *url, char *out, size_t size);

/* For back ends: fill RECORD's query fields from ENTRY (strings point into ENTRY). */
void rg_log_record_fields(const cJSON *entry, rg_log_record *record);

/* For back ends: whether RECORD matches FILTER (the file back end filters in C; the
 * SQL back ends translate the same rules into WHERE clauses). */
int rg_log_filter_matches(const rg_log_filter *filter, const rg_log_record *record);

/* For back ends: the lower-case hex SHA-256 of LINE. */
void rg_log_digest(const char *line, size_t len, char hex[RG_LOG_DIGEST_HEX + 1]);

struct rg_key;

/* Whether ENTRY, a decision record, carries its own attestation, signed by THRESHOLD
 * (0: 1) of KEYS (COUNT): NULL, or WHY (SIZE bytes) it does not -- none where its
 * decision would have been signed, one that does not verify, or one that signs another
 * decision (log_attested.c).  *POSITION_SIGNED: the attestation says the record's
 * position is signed too (rg_attest_options.log_position_signed). */
const char *rg_log_record_attested(const cJSON *entry, const struct rg_key *keys, size_t count, size_t threshold,
                                   int *position_signed, char *why, size_t size);

/* A record's position, signed (rg_log_sign_positions): a DSSE envelope of this payload
 * type in the record's "chain" member ("position"), whose payload is
 * rg_log_position_payload's -- the record's seq, the digest it chains to, and the
 * digest of the record as the gate wrote it, before its chain. */
#define RG_LOG_POSITION_TYPE "application/vnd.relgate.log-position+json"

/* Append the payload of record SEQ after PREV, whose entry (the line without its chain
 * member) has the hex digest RECORD, to OUT: {"seq":SEQ,"prev":"PREV","record":"sha256:RECORD"}. */
void rg_log_position_payload(rg_strbuf *out, int64_t seq, const char *prev, const char *record);

/* The entry the record LINE (LEN bytes) holds, the line up to its chain member, closed
 * -- the chain is the last member a record gets -- into ENTRY.  0, or -1 when LINE has
 * no chain member there (or out of memory). */
int rg_log_entry_of(const char *line, size_t len, rg_strbuf *entry);

/* Whether the record LINE (LEN bytes), parsed as ENTRY, found at SEQ after the record
 * whose digest is PREV, carries that position signed by THRESHOLD (0: 1) of KEYS
 * (COUNT): 0 when it does; 1 when it carries none; -1 with WHY (SIZE bytes) when its
 * position does not verify, or signs another record or place. */
int rg_log_record_position(const cJSON *entry, const char *line, size_t len, int64_t seq, const char *prev,
                           const struct rg_key *keys, size_t count, size_t threshold, char *why, size_t size);

/* The built-in JSON-lines back end. */
const rg_log_backend *rg_log_file_backend(void);

#endif
