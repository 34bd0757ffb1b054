/* The decision log's storage back ends: where chained records are kept.
 *
 * The engine owns the rules (what a record is, how records chain, what a query means);
 * a back end only keeps records in order and answers filtered scans.  The JSONL file
 * back end is built in; SQLite and PostgreSQL are modules (stores/) the engine dlopens
 * only when a log URL names them, so a decision that logs to a file, or not at all,
 * maps neither library (libpq alone costs more start-up time than a whole cold
 * decision: docs/performance.md).  A module includes this header (and the public
 * relgate.h) and nothing else of the engine.
 */
#ifndef RG_LOG_STORE_H
#define RG_LOG_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "relgate/relgate.h"   /* rg_log_query, RG_LOG_ALLOW... */

/* Bumped whenever a struct or function here changes; a module built for another
 * version is refused. */
#define RG_LOG_STORE_ABI 3
#define RG_LOG_DIGEST_HEX 64

/* How long a writer waits for the log's lock another writer holds before the gate
 * answers an error: every back end (the file's flock, SQLite's busy timeout,
 * PostgreSQL's lock_timeout).  Long enough for dozens of gates writing at once, never
 * a wait without end. */
#define RG_LOG_LOCK_WAIT_SECONDS 60   /* = RG_LOCK_WAIT_SECONDS (common/fileio.h; log_file.c asserts it) */

/* One record as stored.  LINE is the whole record: the decision entry as compact JSON
 * with its "chain" member ({"seq": SEQ, "prev": PREV}) last; DIGEST is the lower-case
 * hex SHA-256 of LINE.  The other fields are copies of entry fields the queries
 * filter on (NULL when the entry has none); they are never the source of truth.
 * In a scan, INDEXED says the copies are the store's own (its index columns, which a
 * scan selects by): the engine holds them to the line, so that a copy edited in the
 * store cannot make a query answer with a record the line does not say it is.  A store
 * that keeps no copies (the file) leaves INDEXED 0 and them NULL; PREV is not read. */
typedef struct rg_log_record {
    int64_t seq;
    const char *line;
    size_t len;
    const char *digest;
    const char *prev;
    const char *release;       /* release.name */
    const char *version;       /* release.version */
    const char *environment;   /* release.environment */
    const char *stage;
    const char *decision;
    const char *evaluated_at;  /* RFC 3339, UTC, as the entry has it */
    int indexed;
} rg_log_record;

/* What a scan returns: the records a query (relgate.h) matches, in its order. */
typedef rg_log_query rg_log_filter;

/* Called for each record of a scan, as stored (SEQ, LINE, LEN, DIGEST and, INDEXED,
 * the copies); returns non-zero to stop. */
typedef int (*rg_log_visit)(const rg_log_record *stored, void *data);

#define RG_LOG_ERRMAX 512

/* Every function returns 0 on success or -1 with a message in ERR (RG_LOG_ERRMAX
 * bytes, never holding a password). */
typedef struct rg_log_backend {
    unsigned abi;          /* RG_LOG_STORE_ABI */
    size_t size;           /* sizeof (rg_log_backend) */
    const char *kind;      /* "file", "sqlite", "postgresql" */
    /* Open (and with CREATE, create or migrate the schema of) the store at TARGET. */
    int (*open)(const char *target, int create, void **store, char *err);
    void (*close)(void *store);
    /* Start an append: take the store's writer lock and read its head (the last record's
     * SEQ and DIGEST; 0 and "" when the store is empty). */
    int (*begin)(void *store, int64_t *head_seq, char head_digest[RG_LOG_DIGEST_HEX + 1], char *err);
    int (*put)(void *store, const rg_log_record *record, char *err);
    /* Make every put since begin durable, with the new head, as one unit; or none. */
    int (*commit)(void *store, int64_t head_seq, const char *head_digest, char *err);
    void (*abort)(void *store);
    /* The records FILTER matches, from seq FROM_SEQ on (0 or 1: from the first): a
     * store that can go there by its index starts there, one that cannot (the file)
     * may visit the records before it too. */
    int (*scan)(void *store, const rg_log_filter *filter, int64_t from_seq, rg_log_visit visit, void *data, char *err);
    /* The head as recorded (for verify: a store whose records end before its head was
     * cut short).  FOUND is 0 when the store keeps no head (an old file). */
    int (*head)(void *store, int *found, int64_t *seq, char digest[RG_LOG_DIGEST_HEX + 1], char *err);
    /* 1: the head is written with the records, in one transaction (SQL): a record past
     * it was not written by relgate.  0: the head may lag the records by an append (the
     * file's is written after them). */
    int head_atomic;
    /* For verify: whether the store's own structures are as relgate made them and agree
     * with its records -- its schema no one else's, its indexes holding what its tables
     * do.  A scan's filtered queries go through those structures, so one edited there
     * answers otherwise than the walk of the whole log, which reads the records
     * themselves (hostile round 18, F05).  Returns 0 with PROBLEM ("" when whole;
     * RG_LOG_ERRMAX bytes), or -1 with ERR.  NULL: the store has no such structures of
     * its own (the file). */
    int (*check)(void *store, char *problem, char *err);
} rg_log_backend;

/* The symbol a store module exports. */
typedef const rg_log_backend *(*rg_log_backend_fn)(void);
#define RG_LOG_BACKEND_SYMBOL "relgate_log_backend"

#endif
