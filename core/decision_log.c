/* The decision log: chained records in whichever store the URL names. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "attest_statement.h"
#include "decision_log.h"
#include "digest.h"
#include "dsse.h"
#include "error.h"
#include "fileio.h"
#include "json.h"
#include "keys.h"
#include "log_module.h"
#include "strbuf.h"

#define LINE_MAX_BYTES (64u << 20)
static const char GENESIS[RG_LOG_DIGEST_HEX + 1] =
    "0000000000000000000000000000000000000000000000000000000000000000";

struct rg_log {
    const rg_log_backend *backend;
    void *store;
    rg_log_module *module;  /* NULL for the built-in file back end */
    const rg_signer *signer; /* signs each record's position (rg_log_sign_positions), or NULL */
    rg_key *trusted;         /* the keys a rollback target must be signed by (rg_log_trust_keys) */
    size_t trusted_count, trusted_threshold;
    /* The newest head this handle has read or written (0: none yet): a head behind it
     * later means records were taken from the log's end while the process held it. */
    int64_t seen_seq;
    char seen_digest[RG_LOG_DIGEST_HEX + 1];
    char name[RG_ERROR_FILE_MAX];
};

/* ---- Opening --------------------------------------------------------------------- */

/* Query parameters whose values are shown in a log's name: where it is, not who may
 * enter.  Every other value is ***, and a key that is not plainly a word too (a
 * percent-encoded "pass%77ord" is libpq's password). */
static const char *const SHOWN_PARAMETERS[] = {"host", "hostaddr", "port", "dbname", "user", "sslmode",
                                              "connect_timeout", "application_name", "target_session_attrs", NULL};

static void put_text(char *out, size_t size, size_t *n, const char *text, size_t len)
{
    if (*n + len >= size)
        len = size - 1 - *n;
    memcpy(out + *n, text, len);
    *n += len;
    out[*n] = '\0';
}

static int shown_parameter(const char *key, size_t len)
{
    for (const char *const *k = SHOWN_PARAMETERS; *k; k++)
        if (strlen(*k) == len && memcmp(*k, key, len) == 0)
            return 1;
    return 0;
}

/* A URL's parts as relgate reads them, for showing it: what comes before "//" (the
 * scheme), the user and whether a password follows it (the userinfo ends at the last
 * '@' of the authority), the host list, the path, and the query (without its '?'). */
typedef struct url_parts {
    const char *scheme_end;                /* past "://" */
    const char *user, *user_end;           /* NULL: no userinfo */
    int has_password;
    const char *hosts, *hosts_end, *path, *path_end, *query;   /* QUERY NULL: none */
} url_parts;

static void split_url(const char *scheme, url_parts *u)
{
    const char *auth = scheme + 3, *auth_end = auth + strcspn(auth, "/?#"), *at = NULL, *colon;
    for (const char *p = auth; p < auth_end; p++)
        if (*p == '@')
            at = p;
    memset(u, 0, sizeof *u);
    u->scheme_end = auth;
    if (at) {
        colon = memchr(auth, ':', (size_t)(at - auth));
        u->user = auth;
        u->user_end = colon ? colon : at;
        u->has_password = colon != NULL;
    }
    u->hosts = at ? at + 1 : auth;
    u->hosts_end = auth_end;
    u->path = auth_end;
    u->path_end = auth_end + strcspn(auth_end, "?#");
    u->query = *u->path_end == '?' ? u->path_end + 1 : NULL;
}

/* Whether the host list holds what no host list holds -- a port that is not digits -- or
 * the path an '@' or ':': a password with an unencoded '/', '?' or '#' in it, which a
 * reader (libpq too) takes for a host, a port or a database, and would show as one. */
static int hosts_or_path_hold_secret(const url_parts *u)
{
    int bracket = 0;
    for (const char *p = u->hosts; p < u->hosts_end; p++) {
        bracket += *p == '[' ? 1 : *p == ']' ? -1 : 0;
        if (*p == ':' && !bracket)
            for (const char *q = p + 1; q < u->hosts_end && *q != ','; q++)
                if (*q < '0' || *q > '9')
                    return 1;
    }
    for (const char *p = u->path; p < u->path_end; p++)
        if (*p == '@' || *p == ':')
            return 1;
    return 0;
}

void rg_log_redact(const char *url, char *out, size_t size)
{
    const char *scheme = strstr(url, "://");
    url_parts u;
    size_t n = 0;
    out[0] = '\0';
    if (!scheme) {
        put_text(out, size, &n, url, strlen(url));
        return;
    }
    split_url(scheme, &u);
    put_text(out, size, &n, url, (size_t)(u.scheme_end - url));
    if (u.user) {
        put_text(out, size, &n, u.user, (size_t)(u.user_end - u.user));
        put_text(out, size, &n, u.has_password ? ":***@" : "@", u.has_password ? 5 : 1);
    }
    if (hosts_or_path_hold_secret(&u)) {   /* where the server is cannot be told from the password */
        put_text(out, size, &n, "***", 3);
        return;
    }
    put_text(out, size, &n, u.hosts, (size_t)(u.path_end - u.hosts));
    if (!u.query)
        return;
    for (const char *p = u.query, *sep = "?"; *p; sep = "&") {
        size_t len = strcspn(p, "&#"), key = strcspn(p, "=&#");
        int word = key > 0;
        for (size_t i = 0; i < key; i++)
            word &= (p[i] >= 'a' && p[i] <= 'z') || p[i] == '_';
        put_text(out, size, &n, sep, 1);
        if (!word)
            put_text(out, size, &n, "***", 3);
        else if (shown_parameter(p, key))
            put_text(out, size, &n, p, len);
        else {
            put_text(out, size, &n, p, key);
            put_text(out, size, &n, "=***", 4);
        }
        p += len;
        if (*p != '&')
            break;
        p++;
    }
}

/* The store URL names ("file", "sqlite", "postgresql"; "" for a scheme relgate does not
 * know) and, for the file and SQLite, the path in *TARGET. */
static const char *store_kind(const char *url, const char **target)
{
    *target = url;
    if (strncmp(url, "sqlite:", 7) == 0) {
        *target = url + 7;
        return "sqlite";
    }
    if (strncmp(url, "postgresql://", 13) == 0 || strncmp(url, "postgres://", 11) == 0)
        return "postgresql";
    return strstr(url, "://") ? "" : "file";
}

const char *rg_log_file(const char *url)
{
    const char *target, *kind = url ? store_kind(url, &target) : "";
    return (strcmp(kind, "file") == 0 || strcmp(kind, "sqlite") == 0) && *target ? target : NULL;
}

int rg_log_kept_file(const char *url, size_t i, char *buf, size_t size)
{
    /* What each store writes beside its target, by name: the file log's head; SQLite's
     * rollback journal, write-ahead log and its index. */
    static const char *const file_files[] = {"", RG_LOG_FILE_HEAD_SUFFIX, NULL};
    static const char *const sqlite_files[] = {"", "-journal", "-wal", "-shm", NULL};
    const char *target, *kind;
    const char *const *suffixes;
    size_t count = 0;
    if (!url)
        return -1;
    kind = store_kind(url, &target);
    suffixes = strcmp(kind, "file") == 0 ? file_files : strcmp(kind, "sqlite") == 0 ? sqlite_files : NULL;
    while (suffixes && suffixes[count])
        count++;
    if (!*target || i >= count || (size_t)snprintf(buf, size, "%s%s", target, suffixes[i]) >= size)
        return -1;
    return 0;
}

int rg_log_keeps_file(const char *url, const char *path)
{
    char name[PATH_MAX];
    if (!path || !*path)
        return 0;
    for (size_t i = 0; rg_log_kept_file(url, i, name, sizeof name) == 0; i++)
        if (rg_same_place(name, path))
            return 1;
    return 0;
}

rg_log *rg_log_open(const char *url, int create, rg_error *err)
{
    rg_log *log;
    const char *target, *kind;
    char msg[RG_LOG_ERRMAX] = "";
    if (!url || !*url) {
        rg_fail(err, RG_ERROR_USAGE, NULL, 0, 0, "the decision log's URL is empty");
        return NULL;
    }
    kind = store_kind(url, &target);
    if (strcmp(kind, "sqlite") == 0) {
        if (!*target) {
            rg_fail(err, RG_ERROR_USAGE, url, 0, 0, "%s names no database file (sqlite:PATH)", url);
            return NULL;
        }
    } else if (strcmp(kind, "postgresql") == 0) {
        url_parts u;
        split_url(strstr(url, "://"), &u);
        /* Refused before libpq reads it: it would take part of the password for a host or
         * port and quote it in its message. */
        if (hosts_or_path_hold_secret(&u)) {
            char name[RG_ERROR_FILE_MAX];
            rg_log_redact(url, name, sizeof name);
            rg_fail(err, RG_ERROR_USAGE, NULL, 0, 0,
                    "the decision log's URL %s cannot be read safely: its user name or password seems to hold '/', "
                    "'?', '#' or '@' unencoded, which would be taken for a host, port or database; percent-encode "
                    "them (%%2F, %%3F, %%23, %%40)", name);
            return NULL;
        }
    } else if (!*kind) {
        rg_fail(err, RG_ERROR_USAGE, NULL, 0, 0,
                "the decision log's URL has a scheme relgate does not know (a path, sqlite:PATH or postgresql://...)");
        return NULL;
    }
    log = calloc(1, sizeof *log);
    if (!log) {
        rg_fail(err, RG_ERROR_INTERNAL, NULL, 0, 0, "out of memory");
        return NULL;
    }
    rg_log_redact(url, log->name, sizeof log->name);
    if (strcmp(kind, "file") == 0) {
        log->backend = rg_log_file_backend();
    } else if (!(log->module = rg_log_module_load(kind, &log->backend, msg))) {
        rg_fail(err, RG_ERROR_IO, log->name, 0, 0, "cannot open the decision log %s: %s", log->name, msg);
        free(log);
        return NULL;
    }
    if (log->backend->open(target, create, &log->store, msg) != 0) {
        rg_fail(err, RG_ERROR_IO, log->name, 0, 0, "cannot open the decision log %s: %s", log->name, msg);
        rg_log_module_unload(log->module);
        free(log);
        return NULL;
    }
    return log;
}

static void forget_trusted(rg_log *log)
{
    for (size_t i = 0; i < log->trusted_count; i++)
        rg_key_clear(&log->trusted[i]);
    free(log->trusted);
    log->trusted = NULL;
    log->trusted_count = log->trusted_threshold = 0;
}

void rg_log_close(rg_log *log)
{
    if (!log)
        return;
    forget_trusted(log);
    log->backend->close(log->store);
    rg_log_module_unload(log->module);
    free(log);
}

void rg_log_sign_positions(rg_log *log, const rg_signer *signer)
{
    if (log)
        log->signer = signer;
}

int rg_log_trust_keys(rg_log *log, const char *const *public_keys, size_t key_count, size_t threshold, rg_error *err)
{
    rg_attest_expect e = {0};
    forget_trusted(log);
    if (key_count == 0)
        return 0;
    if (!(log->trusted = calloc(key_count, sizeof *log->trusted)))
        return rg_fail(err, RG_ERROR_INTERNAL, NULL, 0, 0, "out of memory");
    log->trusted_count = key_count;
    log->trusted_threshold = threshold;
    e.public_keys = public_keys;
    e.public_key_count = key_count;
    e.threshold = threshold;
    if (rg_attest_load_keys(&e, log->trusted, err) != 0) {
        forget_trusted(log);
        return -1;
    }
    return 0;
}

const char *rg_log_name(const rg_log *log)
{
    return log->name;
}

/* ---- Records ------------------------------------------------------------------- */

void rg_log_digest(const char *line, size_t len, char hex[RG_LOG_DIGEST_HEX + 1])
{
    unsigned char d[RG_SHA256_LEN];
    char label[RG_SHA256_LABEL_SIZE];
    rg_sha256_of(line, len, d);
    rg_sha256_label(d, label, sizeof label);
    memcpy(hex, label + 7, RG_LOG_DIGEST_HEX + 1);
}

void rg_log_record_fields(const cJSON *entry, rg_log_record *r)
{
    const cJSON *release = cJSON_GetObjectItemCaseSensitive(entry, "release");
    r->release = rg_json_string(release, "name");
    r->version = rg_json_string(release, "version");
    r->environment = rg_json_string(release, "environment");
    r->stage = rg_json_string(entry, "stage");
    r->decision = rg_json_string(entry, "decision");
    r->evaluated_at = rg_json_string(entry, "evaluated_at");
}

static unsigned decision_bit(const char *decision)
{
    if (!decision) return 0;
    if (strcmp(decision, "allow") == 0) return RG_LOG_ALLOW;
    if (strcmp(decision, "warn") == 0) return RG_LOG_WARN;
    if (strcmp(decision, "deny") == 0) return RG_LOG_DENY;
    if (strcmp(decision, "error") == 0) return RG_LOG_ERROR;
    return 0;
}

static int same(const char *want, const char *have)
{
    return !want || (have && strcmp(want, have) == 0);
}

int rg_log_filter_matches(const rg_log_filter *f, const rg_log_record *r)
{
    if (!f)
        return 1;
    if (!same(f->release, r->release) || !same(f->environment, r->environment) || !same(f->stage, r->stage))
        return 0;
    if (f->except_version && r->version && strcmp(f->except_version, r->version) == 0)
        return 0;
    if (f->decisions && !(f->decisions & decision_bit(r->decision)))
        return 0;
    if (f->since && (!r->evaluated_at || strcmp(r->evaluated_at, f->since) < 0))
        return 0;
    if (f->until && (!r->evaluated_at || strcmp(r->evaluated_at, f->until) > 0))
        return 0;
    return 1;
}

typedef struct appender {
    rg_log *log;
    int64_t seq;
    char head[RG_LOG_DIGEST_HEX + 1];
    rg_strbuf line;
    char msg[RG_LOG_ERRMAX];
} appender;

/* ENTRY without the blanks that may end it: the bytes a record's chain follows and its
 * position signs (its length, or 0 when ENTRY is not one JSON object). */
static size_t entry_body(const char *entry, size_t len)
{
    size_t body = len;
    while (body > 0 && (entry[body - 1] == ' ' || entry[body - 1] == '\r'))
        body--;
    return body >= 2 && entry[0] == '{' && entry[body - 1] == '}' ? body : 0;
}

/* ENTRY's BODY bytes with "chain": {"seq": SEQ, "prev": PREV[, "position": POSITION]}
 * added as its last member, into OUT. */
static int chain_entry(rg_strbuf *out, const char *entry, size_t body, int64_t seq, const char *prev,
                       const char *position)
{
    out->len = 0;
    rg_strbuf_add(out, entry, body - 1);
    if (body > 2)
        rg_strbuf_add(out, ",", 1);
    rg_strbuf_printf(out, "\"chain\":{\"seq\":%" PRId64 ",\"prev\":\"%s\"", seq, prev);
    if (position)
        rg_strbuf_printf(out, ",\"position\":%s", position);
    rg_strbuf_add(out, "}}", 2);
    return out->failed ? -1 : 0;
}

/* The position of A's next record, whose entry is BODY (LEN bytes), signed by the log's
 * signer: a DSSE envelope (heap); NULL when the log signs none, or with *FAILED and the
 * reason in A->msg. */
static char *signed_position(appender *a, const char *body, size_t len, int *failed)
{
    char digest[RG_LOG_DIGEST_HEX + 1], *envelope = NULL;
    rg_strbuf payload = {0};
    rg_error why = {0};
    *failed = 0;
    if (!a->log->signer)
        return NULL;
    rg_log_digest(body, len, digest);
    rg_log_position_payload(&payload, a->seq + 1, a->head, digest);
    if (!payload.failed)
        envelope = rg_dsse_sign(rg_signer_key(a->log->signer), RG_LOG_POSITION_TYPE, payload.data, payload.len, &why);
    free(rg_strbuf_finish(&payload));
    if (!envelope) {
        *failed = 1;
        snprintf(a->msg, sizeof a->msg, "cannot sign the record's position: %.400s", why.message[0] ? why.message : "out of memory");
    }
    rg_error_clear(&why);
    return envelope;
}

/* ---- Appending ----------------------------------------------------------------- */

/* The head FOUND at SEQ with DIGEST held to the newest this handle saw: a head that
 * went back, or names another record at the same seq, is an end cut off (and perhaps put
 * back later, which no after-the-fact count would show): a batch or a server then
 * answers errors rather than read a log shorter than it knows it is, or chain onto it
 * (hostile round 19, F04).  0, or -1 with ERR. */
static int head_moved_on(rg_log *log, int found, int64_t seq, const char *digest, rg_error *err)
{
    if (log->seen_seq > 0 && (!found || seq < log->seen_seq ||
                              (seq == log->seen_seq && strcmp(digest, log->seen_digest) != 0)))
        return rg_fail(err, RG_ERROR_IO, log->name, 0, 0, "the decision log %s is damaged: its head went back from "
                       "seq %" PRId64 " to %" PRId64 " (or names another record) while this process held it: records "
                       "were taken from its end, or an older copy was put in its place", log->name, log->seen_seq,
                       found ? seq : 0);
    if (found && seq > log->seen_seq) {
        log->seen_seq = seq;
        snprintf(log->seen_digest, sizeof log->seen_digest, "%s", digest);
    }
    return 0;
}

static int append_fail(appender *a, rg_error *err, const char *why)
{
    a->log->backend->abort(a->log->store);
    free(rg_strbuf_finish(&a->line));
    return rg_fail(err, RG_ERROR_IO, a->log->name, 0, 0, "cannot write the decision log %s: %s", a->log->name, why);
}

static int append_begin(appender *a, rg_log *log, rg_error *err)
{
    memset(a, 0, sizeof *a);
    a->log = log;
    if (log->backend->begin(log->store, &a->seq, a->head, a->msg) != 0)
        return rg_fail(err, RG_ERROR_IO, log->name, 0, 0, "cannot write the decision log %s: %s", log->name, a->msg);
    if (head_moved_on(log, a->seq > 0, a->seq, a->head, err) != 0) {
        log->backend->abort(log->store);
        return -1;
    }
    if (!a->head[0])
        memcpy(a->head, GENESIS, sizeof a->head);
    return 0;
}

/* Chain one entry after the head and hand it to the store, with its position signed
 * when the log signs them -- or with KEPT, a position signed earlier for this very place
 * (an import that rebuilds the source's chain record for record). */
static int append_chained(appender *a, const char *entry, size_t len, const char *kept, rg_error *err)
{
    rg_log_record r = {0};
    char digest[RG_LOG_DIGEST_HEX + 1], *position;
    size_t body = entry_body(entry, len);
    int unsigned_position, chained;
    cJSON *parsed;
    if (memchr(entry, '\n', len) || !body)
        return append_fail(a, err, "a record is not one JSON object on one line");
    position = kept ? NULL : signed_position(a, entry, body, &unsigned_position);
    if (!kept && unsigned_position)
        return append_fail(a, err, a->msg);
    chained = chain_entry(&a->line, entry, body, a->seq + 1, a->head, kept ? kept : position);
    free(position);
    if (chained != 0)
        return append_fail(a, err, "out of memory");
    parsed = len < LINE_MAX_BYTES ? cJSON_ParseWithLength(a->line.data, a->line.len) : NULL;
    if (!cJSON_IsObject(parsed)) {
        cJSON_Delete(parsed);
        return append_fail(a, err, "a record is not one JSON object on one line");
    }
    rg_log_digest(a->line.data, a->line.len, digest);
    rg_log_record_fields(parsed, &r);
    r.seq = a->seq + 1;
    r.line = a->line.data;
    r.len = a->line.len;
    r.digest = digest;
    r.prev = a->head;
    if (a->log->backend->put(a->log->store, &r, a->msg) != 0) {
        cJSON_Delete(parsed);
        return append_fail(a, err, a->msg);
    }
    cJSON_Delete(parsed);
    a->seq++;
    memcpy(a->head, digest, sizeof a->head);
    return 0;
}

static int append_one(appender *a, const char *entry, size_t len, rg_error *err)
{
    return append_chained(a, entry, len, NULL, err);
}

static int append_commit(appender *a, rg_error *err)
{
    if (a->log->backend->commit(a->log->store, a->seq, a->head, a->msg) != 0) {
        free(rg_strbuf_finish(&a->line));
        return rg_fail(err, RG_ERROR_IO, a->log->name, 0, 0, "cannot write the decision log %s: %s", a->log->name, a->msg);
    }
    free(rg_strbuf_finish(&a->line));
    return head_moved_on(a->log, 1, a->seq, a->head, err);
}

int rg_log_append(rg_log *log, const char *entry, size_t len, rg_error *err)
{
    appender a;
    if (append_begin(&a, log, err) != 0 || append_one(&a, entry, len, err) != 0)
        return -1;
    return append_commit(&a, err);
}

int rg_log_append_lines(rg_log *log, const char *lines, size_t len, rg_error *err)
{
    appender a;
    if (len == 0 || lines[len - 1] != '\n')
        return rg_fail(err, RG_ERROR_INTERNAL, log->name, 0, 0, "log lines for %s do not end a line", log->name);
    if (append_begin(&a, log, err) != 0)
        return -1;
    for (const char *p = lines, *end = lines + len; p < end;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (nl > p && append_one(&a, p, (size_t)(nl - p), err) != 0)
            return -1;
        p = nl + 1;
    }
    return append_commit(&a, err);
}

/* ---- Reading ------------------------------------------------------------------- */

typedef struct each_state {
    int (*fn)(const cJSON *entry, void *data);
    void *data;
    size_t bad;
} each_state;

static int each_visit(const rg_log_record *stored, cJSON *entry, void *data)
{
    each_state *s = data;
    (void)stored;
    if (!cJSON_IsObject(entry)) {
        s->bad++;
        return 0;
    }
    return s->fn(entry, s->data);
}

static int same_copy(const char *copy, const char *own)
{
    return copy ? own && strcmp(copy, own) == 0 : !own;
}

/* Which of the store's copies of ENTRY's fields (its index columns: STORED->indexed) is
 * not the entry's own, or NULL when none is (or the store keeps none). */
static const char *copy_differs(const rg_log_record *stored, const cJSON *entry)
{
    rg_log_record own = {0};
    if (!stored->indexed)
        return NULL;
    rg_log_record_fields(entry, &own);
    if (!same_copy(stored->release, own.release))
        return "release.name";
    if (!same_copy(stored->version, own.version))
        return "release.version";
    if (!same_copy(stored->environment, own.environment))
        return "release.environment";
    if (!same_copy(stored->stage, own.stage))
        return "stage";
    if (!same_copy(stored->decision, own.decision))
        return "decision";
    return same_copy(stored->evaluated_at, own.evaluated_at) ? NULL : "evaluated_at";
}

/* A scan for the readers that act on what they find (history, last-good, a rollback's
 * target): every record is held to its digest and its index copies, and, where the
 * head is written with the records, to the head, before it is taken for what a query
 * asked -- a store edited under relgate (a copy column set to "allow", a record slipped
 * in past the head) makes the read an error, never an answer. */
/* What a checked scan hands its reader: the record as stored, and ENTRY, its line as
 * parsed already (NULL: not a JSON object -- an old log's stray line), the reader's to
 * change; the scan frees it. */
typedef int (*checked_reader)(const rg_log_record *stored, cJSON *entry, void *data);

typedef struct checked_scan {
    checked_reader visit;
    void *data;
    const rg_log_filter *filter;   /* what the store was asked for (NULL: all) */
    int64_t last_seq;
    char last_digest[RG_LOG_DIGEST_HEX + 1];   /* the record of LAST_SEQ's */
    char problem[RG_ERROR_MESSAGE_MAX / 2];
} checked_scan;

#define RECORD_DEPTH 128   /* a decision's details are cut at 32 levels; an envelope adds a few */

/* STORED's line as relgate reads its own records: strictly (a key twice, text not UTF-8,
 * a NUL -- none of which relgate writes), so that no reader that keeps the last of two
 * "decision" members reads another verdict than the first, which cJSON keeps.  NULL
 * when it is not such a record; *FORGED then says whether a lenient reader would still
 * have read it as an object (a record edited to read two ways). */
static cJSON *parse_record(const rg_log_record *stored, int *forged)
{
    rg_error err;
    cJSON *entry = NULL, *lenient;
    char *copy;
    *forged = 0;
    if (stored->len >= LINE_MAX_BYTES || !(copy = malloc(stored->len + 1)))
        return NULL;
    memcpy(copy, stored->line, stored->len);
    copy[stored->len] = '\0';
    rg_error_init(&err);
    if (!(entry = rg_json_parse(copy, stored->len, "record", RECORD_DEPTH, RG_ERROR_IO, &err))) {
        lenient = cJSON_ParseWithLength(copy, stored->len);
        *forged = cJSON_IsObject(lenient);
        cJSON_Delete(lenient);
    }
    rg_error_clear(&err);
    free(copy);
    return entry;
}

/* Whether ENTRY, the record STORED holds, matches FILTER by its own fields. */
static int record_matches(const rg_log_filter *filter, const rg_log_record *stored, const cJSON *entry)
{
    rg_log_record own = {0};
    rg_log_record_fields(entry, &own);
    own.seq = stored->seq;
    return rg_log_filter_matches(filter, &own);
}

static int checked_visit(const rg_log_record *stored, void *data)
{
    checked_scan *c = data;
    char actual[RG_LOG_DIGEST_HEX + 1];
    const char *differs = NULL;
    cJSON *entry;
    int forged, stop;
    rg_log_digest(stored->line, stored->len, actual);
    if (stored->seq > c->last_seq) {
        c->last_seq = stored->seq;
        memcpy(c->last_digest, actual, sizeof c->last_digest);
    }
    if (stored->digest && strcmp(stored->digest, actual) != 0) {
        snprintf(c->problem, sizeof c->problem, "record seq %" PRId64 " is not the one its digest names: it was edited",
                 stored->seq);
        return 1;
    }
    entry = parse_record(stored, &forged);
    differs = cJSON_IsObject(entry) ? copy_differs(stored, entry) : NULL;
    if (forged) {
        snprintf(c->problem, sizeof c->problem, "record seq %" PRId64 " holds a key twice, or text that is not UTF-8: "
                 "no record relgate writes, and one that readers may read two ways", stored->seq);
        stop = 1;
    } else if (differs) {
        snprintf(c->problem, sizeof c->problem, "record seq %" PRId64 "'s %s in the store's index is not the record's "
                 "own: the store was edited", stored->seq, differs);
        stop = 1;
    } else if (cJSON_IsObject(entry) && !record_matches(c->filter, stored, entry)) {
        /* A SQL store filters in the database: a collation, a view or a rule changed
         * there would answer records the query did not ask for (another environment's
         * pass as production's last good).  Each is held to the query again, in C. */
        snprintf(c->problem, sizeof c->problem, "record seq %" PRId64 " was answered for a query it does not match "
                 "(its release, environment, stage, outcome or time is another): the store's schema was edited",
                 stored->seq);
        stop = 1;
    } else {
        stop = c->visit(stored, cJSON_IsObject(entry) ? entry : NULL, c->data);
    }
    cJSON_Delete(entry);
    return stop;
}

/* The store's head: 0 with *FOUND (0: the store keeps none), or -1 with ERR. */
static int read_head(rg_log *log, int *found, int64_t *seq, char digest[RG_LOG_DIGEST_HEX + 1], rg_error *err)
{
    char msg[RG_LOG_ERRMAX] = "";
    *found = 0;
    if (log->backend->head(log->store, found, seq, digest, msg) != 0)
        return rg_fail(err, RG_ERROR_IO, log->name, 0, 0, "cannot read the decision log %s: %s", log->name, msg);
    return head_moved_on(log, *found, *seq, digest, err);
}

/* The store's account of its own structures (rg_log_backend.check): 0 when whole, 1
 * with PROBLEM (RG_ERROR_MESSAGE_MAX bytes) when not, or -1 with ERR. */
static int check_store(rg_log *log, char *problem, rg_error *err)
{
    char msg[RG_LOG_ERRMAX] = "", found[RG_LOG_ERRMAX] = "";
    if (log->backend->check(log->store, found, msg) != 0)
        return rg_fail(err, RG_ERROR_IO, log->name, 0, 0, "cannot check the decision log %s: %s", log->name, msg);
    snprintf(problem, RG_ERROR_MESSAGE_MAX, "%s", found);
    return found[0] ? 1 : 0;
}

/* The records FILTER matches, as stored, unchecked: for verify (which reports what is
 * wrong as tampering) and export (which copies the bytes as they are). */
static int raw_scan(rg_log *log, const rg_log_filter *filter, int64_t from_seq, rg_log_visit visit, void *data,
                    rg_error *err)
{
    char msg[RG_LOG_ERRMAX] = "";
    static const rg_log_filter all = {0};
    if (log->backend->scan(log->store, filter ? filter : &all, from_seq, visit, data, msg) != 0)
        return rg_fail(err, RG_ERROR_IO, log->name, 0, 0, "cannot read the decision log %s: %s", log->name, msg);
    return 0;
}

static int scan(rg_log *log, const rg_log_filter *filter, checked_reader visit, void *data, rg_error *err)
{
    checked_scan c = {visit, data, filter, 0, "", ""};
    char head[RG_LOG_DIGEST_HEX + 1];
    int64_t head_seq = 0;
    int found = 0;
    if (raw_scan(log, filter, 0, checked_visit, &c, err) != 0)
        return -1;
    /* The head after the scan: a writer that committed meanwhile moved it on, never back. */
    if (!c.problem[0] && log->backend->head_atomic && c.last_seq > 0) {
        if (read_head(log, &found, &head_seq, head, err) != 0)
            return -1;
        if (!found || c.last_seq > head_seq)
            snprintf(c.problem, sizeof c.problem, "record seq %" PRId64 " lies past the log's head (seq %" PRId64
                     "): it was not written by relgate", c.last_seq, found ? head_seq : 0);
        else if (c.last_seq == head_seq && strcmp(c.last_digest, head) != 0)
            snprintf(c.problem, sizeof c.problem, "the last record (seq %" PRId64 ") is not the one the log's head "
                     "names: it was edited or replaced", c.last_seq);
    }
    if (c.problem[0])
        return rg_fail(err, RG_ERROR_IO, log->name, 0, 0, "the decision log %s is damaged: %s (relgate history verify "
                       "--log %s tells more)", log->name, c.problem, log->name);
    return 0;
}

int rg_log_each_json(rg_log *log, const rg_log_query *filter, int (*fn)(const cJSON *entry, void *data),
                     void *data, size_t *skipped, rg_error *err)
{
    each_state s = {fn, data, 0};
    int rc = scan(log, filter, each_visit, &s, err);
    if (skipped)
        *skipped = s.bad;
    return rc;
}

/* The record a last-good query answered: the newest that matched, and where it stands. */
typedef struct answer {
    cJSON *entry;
    int64_t seq;
    char digest[RG_LOG_DIGEST_HEX + 1];
    int out_of_memory;   /* the answer could not be kept: an error, never "none found" */
    int64_t head_seq;    /* the head read before the query (0: none read) */
    char head_digest[RG_LOG_DIGEST_HEX + 1];
} answer;

static int keep_answer(const rg_log_record *stored, cJSON *entry, void *data)
{
    answer *a = data;
    if (!cJSON_IsObject(entry))
        return 0;
    a->entry = cJSON_Duplicate(entry, 1);
    a->out_of_memory = !a->entry;
    a->seq = stored->seq;
    rg_log_digest(stored->line, stored->len, a->digest);
    return 1;
}

static int verify_answer(rg_log *log, const rg_key *keys, size_t key_count, size_t threshold, const answer *a,
                         const rg_log_filter *query, char *problem, rg_error *err);

/* A held to the keys LOG trusts (rg_log_trust_keys, else its signer's): as verify_answer;
 * 0 when it trusts none. */
static int answer_trusted(rg_log *log, const answer *a, const rg_log_filter *query, char *problem, rg_error *err)
{
    if (log->trusted)
        return verify_answer(log, log->trusted, log->trusted_count, log->trusted_threshold, a, query, problem, err);
    if (log->signer)
        return verify_answer(log, rg_signer_key(log->signer), 1, 1, a, query, problem, err);
    return 0;
}

int rg_log_entry_signed(rg_log *log, const char *entry, size_t len, rg_error *err)
{
    answer a = {0};
    char problem[RG_ERROR_MESSAGE_MAX];
    cJSON *doc;
    const cJSON *seq;
    int rc;
    if (!log->trusted && !log->signer)
        return 0;
    doc = cJSON_ParseWithLength(entry, len);
    seq = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(doc, "chain"), "seq");
    if (!cJSON_IsNumber(seq) || seq->valuedouble < 1 || seq->valuedouble > 9007199254740992.0 ||
        seq->valuedouble != (double)(int64_t)seq->valuedouble) {
        cJSON_Delete(doc);
        return rg_fail(err, RG_ERROR_IO, log->name, 0, 0, "the decision log %s holds a record without a chain: it "
                       "cannot show that it is signed where it stands", log->name);
    }
    a.seq = (int64_t)seq->valuedouble;
    cJSON_Delete(doc);
    rg_log_digest(entry, len, a.digest);
    rc = answer_trusted(log, &a, NULL, problem, err);
    if (rc > 0)
        rg_fail(err, RG_ERROR_IO, log->name, 0, 0, "the decision log %s cannot show that the record it holds at seq %"
                PRId64 " is signed where it stands: %s (relgate history verify --public-key tells more)", log->name,
                a.seq, problem);
    return rc == 0 ? 0 : -1;
}

cJSON *rg_log_last_good_json(rg_log *log, const char *name, const char *environment, const char *except,
                             rg_error *err)
{
    rg_log_filter f = {0};
    answer a = {0};
    char problem[RG_ERROR_MESSAGE_MAX];
    int rc = 0, found = 0;
    f.release = name;
    f.environment = environment;
    f.except_version = except;
    f.stage = "post-deploy";
    f.decisions = RG_LOG_ALLOW | RG_LOG_WARN;
    f.newest_first = 1;
    f.limit = 1;
    /* With keys, the head first: every record up to it was there for the query to see. */
    if ((log->trusted || log->signer) && read_head(log, &found, &a.head_seq, a.head_digest, err) != 0)
        return NULL;
    if (!found)
        a.head_seq = 0;
    if (scan(log, &f, keep_answer, &a, err) != 0)
        rc = -1;
    else if (a.out_of_memory)
        rc = rg_fail(err, RG_ERROR_INTERNAL, log->name, 0, 0, "out of memory reading the decision log %s", log->name);
    else
        rc = answer_trusted(log, &a, &f, problem, err);   /* no answer included: 0 without keys */
    if (rc > 0 && a.entry)
        rg_fail(err, RG_ERROR_IO, log->name, 0, 0, "the decision log %s cannot show that the rollback target it "
                "holds (seq %" PRId64 ") is signed where it stands: %s (relgate history verify --public-key tells "
                "more)", log->name, a.seq, problem);
    else if (rc > 0)
        rg_fail(err, RG_ERROR_IO, log->name, 0, 0, "the decision log %s holds no rollback target, and its "
                "signatures cannot show that none was removed: %s (relgate history verify --public-key tells more)",
                log->name, problem);
    if (rc != 0) {
        cJSON_Delete(a.entry);
        return NULL;
    }
    return a.entry;
}

/* ---- The public readers: records as JSON text ------------------------------------- */

typedef struct text_state {
    rg_log_entry_fn fn;
    void *data;
    size_t bad;
    int oom;
} text_state;

static int text_visit(const rg_log_record *stored, cJSON *entry, void *data)
{
    text_state *s = data;
    const char *line = stored->line;
    size_t len = stored->len;
    int stop = 0;
    if (!entry) {
        s->bad++;
    } else {
        /* The store's bytes are not NUL-terminated in general: the callback's are. */
        char *copy = malloc(len + 1);
        if (!copy) {
            s->oom = 1;
            return 1;
        }
        memcpy(copy, line, len);
        copy[len] = '\0';
        stop = s->fn(copy, len, s->data);
        free(copy);
    }
    return stop;
}

int rg_log_each(rg_log *log, const rg_log_query *query, rg_log_entry_fn fn, void *data, size_t *skipped,
                rg_error *err)
{
    text_state s = {fn, data, 0, 0};
    int rc = scan(log, query, text_visit, &s, err);
    if (skipped)
        *skipped = s.bad;
    if (rc == 0 && s.oom)
        return rg_fail(err, RG_ERROR_INTERNAL, log->name, 0, 0, "out of memory reading the decision log %s", log->name);
    return rc;
}

char *rg_log_last_good(rg_log *log, const char *name, const char *except, rg_error *err)
{
    return rg_log_last_good_in(log, name, NULL, except, err);
}

char *rg_log_last_good_in(rg_log *log, const char *name, const char *environment, const char *except, rg_error *err)
{
    cJSON *good = rg_log_last_good_json(log, name, environment, except, err);
    char *text = good ? cJSON_PrintUnformatted(good) : NULL;
    if (good && !text)
        rg_fail(err, RG_ERROR_INTERNAL, NULL, 0, 0, "out of memory reading the decision log %s", log->name);
    cJSON_Delete(good);
    return text;
}

/* ---- Verifying ----------------------------------------------------------------- */

typedef struct verifier {
    size_t records;
    int64_t seq;
    char prev[RG_LOG_DIGEST_HEX + 1];
    int legacy;         /* lines before the first chained record are an old log's (import) */
    int chained;        /* a chained record was seen */
    const rg_key *keys; /* each record's attestation is checked with these (none: not) */
    size_t key_count, threshold;
    int64_t positioned; /* the seq of the first record with a signed position (0: none yet) */
    /* Holding an answer to its signatures (verify_answer): the records before seq
     * SIGNED_FROM are only counted and hashed; the one there must be ANSWERED (its digest),
     * and no record after it may match UNANSWERED, the query it was the newest answer to. */
    int64_t signed_from;
    const char *answered;
    const rg_log_filter *unanswered;
    /* The head as it was when the answer was read (0: read it with the records): records
     * past it were appended since, by gates the answer does not wait for. */
    int64_t stop_at;
    char stop_digest[RG_LOG_DIGEST_HEX + 1];
    int64_t past_stop;  /* records read past STOP_AT */
    char *problem;
} verifier;

static int broken(verifier *v, const char *fmt, ...) RG_PRINTF(2, 3);

static int broken(verifier *v, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(v->problem, RG_ERROR_MESSAGE_MAX, fmt, ap);
    va_end(ap);
    return 1;
}

/* Record N (STORED, parsed as ENTRY) held to its signatures: its attestation, and its
 * signed position.  A record must carry its position when its attestation says it has
 * one, and -- any record, an error decision too -- when it follows a record that had
 * one: a gate that signs positions signs every record it appends (its watchdog's too),
 * so a record without one there was written by someone else (a forged error record, a
 * decision signed before positions were, replayed).  Otherwise taking positions away
 * would pass for a log written before they were signed.  0, or 1 with V's problem. */
static int verify_signatures(verifier *v, const cJSON *entry, const rg_log_record *stored, size_t n)
{
    char why[RG_ERROR_MESSAGE_MAX / 2];
    int position, promised;
    if (rg_log_record_attested(entry, v->keys, v->key_count, v->threshold, &promised, why, sizeof why))
        return broken(v, "record %zu (seq %" PRId64 ") %s", n, stored->seq, why);
    /* The place the chain walk reached (the record's own seq and prev agree with it:
     * verify_visit checked them first). */
    position = rg_log_record_position(entry, stored->line, stored->len, v->seq + 1, v->prev, v->keys, v->key_count,
                                      v->threshold, why, sizeof why);
    if (position < 0)
        return broken(v, "record %zu (seq %" PRId64 ") %s", n, stored->seq, why);
    if (position == 1 && v->signed_from)
        return broken(v, "record %zu (seq %" PRId64 ") has no signed position: only a record signed where it stands "
                      "is taken as an answer from a log whose records are signed", n, stored->seq);
    if (position == 1 && promised)
        return broken(v, "record %zu (seq %" PRId64 ") has lost its signed position, which its attestation says it "
                      "was written with: it was moved, replayed or re-chained", n, stored->seq);
    if (position == 1 && v->positioned)
        return broken(v, "record %zu (seq %" PRId64 ") has no signed position, though every record from seq %" PRId64
                      " has one: it was not written by the gate that signs them (a forged record, or one signed "
                      "before positions were, replayed here)", n, stored->seq, v->positioned);
    if (position == 0 && !v->positioned)
        v->positioned = stored->seq;
    return 0;
}

static int verify_visit(const rg_log_record *stored, void *data)
{
    verifier *v = data;
    char actual[RG_LOG_DIGEST_HEX + 1];
    int64_t stored_seq = stored->seq;
    const char *line = stored->line, *digest = stored->digest, *differs;
    size_t len = stored->len, n = ++v->records;
    int forged, rc = 0;
    cJSON *entry;
    const cJSON *chain, *seq;
    const char *prev;
    int at_answer_first = 0;
    rg_log_digest(line, len, actual);
    if (n == 1 && v->signed_from > 1 && stored_seq == v->signed_from) {
        /* The store went to the answer by its index, leaving out the records before it:
         * the walk starts there, at the seq and the prev the answer's signed position
         * pins (verify_signatures holds it to them).  The records before an answer bear
         * on neither it nor a newer one hidden; history verify reads them. */
        v->seq = stored_seq - 1;
        v->records = n = (size_t)stored_seq;
        at_answer_first = 1;
    }
    /* Past the head the answer was read at: appended since (or so it should be), held to
     * the chain and the signatures like any record, but no longer an answer hidden. */
    if (v->stop_at && v->seq >= v->stop_at)
        v->past_stop++;
    if (v->seq + 1 < v->signed_from) {
        /* Before the answer: hashed, not parsed -- its signed position pins the seq and the
         * digest the walk must reach it with, whatever these records say. */
        v->seq++;
        memcpy(v->prev, actual, sizeof v->prev);
        return 0;
    }
    entry = parse_record(stored, &forged);
    chain = cJSON_GetObjectItemCaseSensitive(entry, "chain");
    seq = cJSON_GetObjectItemCaseSensitive(chain, "seq");
    prev = rg_json_string(chain, "prev");
    if (at_answer_first && prev)
        snprintf(v->prev, sizeof v->prev, "%s", prev);
    if (v->legacy && !v->chained && !forged && (!cJSON_IsObject(entry) || !chain)) {
        /* An old log's line, before any chained record: what the first one chains to. */
        cJSON_Delete(entry);
        v->seq++;
        memcpy(v->prev, actual, sizeof v->prev);
        return 0;
    }
    v->chained = 1;
    if (forged)
        rc = broken(v, "record %zu holds a key twice, or text that is not UTF-8: no record relgate writes, and one "
                    "that readers may read two ways (a second \"decision\"): edited", n);
    else if (!cJSON_IsObject(entry))
        rc = broken(v, "record %zu is not a JSON object: edited or cut short", n);
    else if (!cJSON_IsNumber(seq) || !prev)
        rc = broken(v, "record %zu has no chain: written by an older relgate, or edited (load an old log into a new one with relgate history import)", n);
    else if (digest && strcmp(digest, actual) != 0)
        rc = broken(v, "record %zu (seq %" PRId64 ") was edited: its digest is not the one stored with it", n, stored_seq);
    else if (seq->valuedouble != (double)(v->seq + 1) || stored_seq != v->seq + 1)
        rc = broken(v, "record %zu has seq %.0f where %" PRId64 " was due: records were removed, inserted or reordered before it",
                    n, seq->valuedouble, v->seq + 1);
    else if (strcmp(prev, v->prev) != 0)
        rc = broken(v, "record %zu (seq %" PRId64 ") was edited, or a record was inserted or removed after it: record %zu does not chain to it",
                    n - 1, v->seq, n);
    else if ((differs = copy_differs(stored, entry)) != NULL)
        rc = broken(v, "record %zu (seq %" PRId64 "): its %s in the store's index is not the record's own, so queries "
                    "by it (last-good, a rollback's target) answer wrongly: the store was edited", n, stored_seq, differs);
    else if (v->answered && v->seq + 1 == v->signed_from && strcmp(actual, v->answered) != 0)
        rc = broken(v, "record %zu (seq %" PRId64 ") is not the record the query answered for that seq: the store "
                    "answers two ways", n, stored_seq);
    else if (v->stop_at && v->seq + 1 == v->stop_at && strcmp(actual, v->stop_digest) != 0)
        rc = broken(v, "record %zu (seq %" PRId64 ") is not the one the log's head named when the answer was read: "
                    "it was edited or replaced", n, stored_seq);
    else if (v->unanswered && v->seq + 1 > v->signed_from && !(v->stop_at && v->seq >= v->stop_at) &&
             record_matches(v->unanswered, stored, entry))
        rc = broken(v, "record %zu (seq %" PRId64 "), newer, matches the query too but was not its answer: the "
                    "store's index was edited to hide it", n, stored_seq);
    else if (v->keys)
        rc = verify_signatures(v, entry, stored, n);
    cJSON_Delete(entry);
    v->seq++;
    memcpy(v->prev, actual, sizeof v->prev);
    return rc;
}

/* rg_log_verify; LEGACY: lines before the first chained record are an old log's, as
 * history import takes them (chained anew), not a break in the chain.  KEYS (may be
 * NULL): every record is held to its attestation too. */
static int walk_log(rg_log *log, verifier *setup, size_t *records, char *problem, rg_error *err);

static int verify_log(rg_log *log, int legacy, const rg_key *keys, size_t key_count, size_t threshold,
                      size_t *records, char *problem, rg_error *err)
{
    verifier v = {0};
    int rc;
    v.keys = keys;
    v.key_count = key_count;
    v.threshold = threshold;
    v.legacy = legacy;
    rc = walk_log(log, &v, records, problem, err);
    if (rc == 0 && log->backend->check)
        rc = check_store(log, problem, err);
    return rc;
}

/* Whether A, the newest record QUERY matched (A's seq 0: that none did, every record to
 * the head walked), is what the log's signatures show: the
 * chain from it to the head whole, it and every record after it signed where they stand
 * (a decision by its attestation too), none of those a newer answer the store hid, and
 * the head the last of them.  The records before it bear on neither: its signed position
 * pins the seq and the digest the chain reaches it with.  A SQL store is read from the
 * answer on (by its primary key); a file's records before it are hashed, not parsed.  What no
 * signature in the log can show -- records cut from its end with the head rewritten --
 * stays rg_log_verify_signed's documented limit.  Returns as verify_log. */
static int verify_answer(rg_log *log, const rg_key *keys, size_t key_count, size_t threshold, const answer *a,
                         const rg_log_filter *query, char *problem, rg_error *err)
{
    verifier v = {0};
    rg_log_filter rest = {0};
    size_t records;
    int found = 0;
    /* The head as it is now, after the answer was read: the walk stops there, so that a
     * gate appending meanwhile is not taken for an edit.  A record it appended that the
     * query would answer came after the answer; one at or before the head it did not
     * answer was hidden from it. */
    if (a->head_seq >= a->seq) {
        v.stop_at = a->head_seq;
        memcpy(v.stop_digest, a->head_digest, sizeof v.stop_digest);
    } else if (read_head(log, &found, &v.stop_at, v.stop_digest, err) != 0) {
        return -1;
    } else if (!found) {
        v.stop_at = 0;   /* no head (an old file): walked to its end */
    }
    if (query) {
        rest = *query;
        rest.newest_first = 0;
        rest.limit = 0;
    }
    v.keys = keys;
    v.key_count = key_count;
    v.threshold = threshold;
    if (a->seq > 0) {
        v.signed_from = a->seq;
        v.answered = a->digest;
    }
    /* else no record answered QUERY: every record to the head is walked and held to its
     * signatures, and none may match it (a store writer without the key hid every good
     * record of a release -- edited to deny, deleted -- and the deny fell back to the
     * context's previous version, hostile round 37a, F05). */
    v.unanswered = query ? &rest : NULL;
    return walk_log(log, &v, &records, problem, err);
}

static int walk_log(rg_log *log, verifier *setup, size_t *records, char *problem, rg_error *err)
{
    verifier v = *setup;
    int found = 0;
    int64_t head_seq = 0;
    char head[RG_LOG_DIGEST_HEX + 1] = "";
    memcpy(v.prev, GENESIS, sizeof v.prev);
    v.problem = problem;
    problem[0] = '\0';
    /* An answer's walk stops at the head it was read at (verify_answer); others read it now. */
    if (!v.stop_at && read_head(log, &found, &head_seq, head, err) != 0)
        return -1;
    if (raw_scan(log, NULL, v.signed_from, verify_visit, &v, err) != 0)
        return -1;
    *records = v.records;
    if (problem[0])
        return 1;
    /* Records past the head the answer was read at were appended since -- where the head
     * is written with the records, the head now counts them.  One it does not count lies
     * past the head: the head was set back to stop the walk before an edit. */
    if (v.past_stop && log->backend->head_atomic) {
        int64_t now = 0;
        char digest[RG_LOG_DIGEST_HEX + 1];
        if (read_head(log, &found, &now, digest, err) != 0)
            return -1;
        if (!found || now < v.stop_at + v.past_stop) {
            snprintf(problem, RG_ERROR_MESSAGE_MAX, "the log goes on to seq %" PRId64 " past its head (seq %" PRId64
                     "): records were inserted past it, or the head was set back", v.stop_at + v.past_stop,
                     found ? now : 0);
            return 1;
        }
    }
    if (v.signed_from && v.seq < v.signed_from) {
        snprintf(problem, RG_ERROR_MESSAGE_MAX, "the log ends at seq %" PRId64 ", before the record answered (seq %"
                 PRId64 ")", v.seq, v.signed_from);
        return 1;
    }
    if (v.stop_at) {
        /* The record at the stop was compared with the head's digest as the walk passed
         * it; past it, the head (above) says what an end may be. */
        if (v.seq < v.stop_at) {
            snprintf(problem, RG_ERROR_MESSAGE_MAX, "the log ends at seq %" PRId64 " but its head recorded seq %"
                     PRId64 " when the answer was read: records were removed from its end", v.seq, v.stop_at);
            return 1;
        }
        return 0;
    }
    if (found && head_seq > v.seq) {
        snprintf(problem, RG_ERROR_MESSAGE_MAX, "the log ends at seq %" PRId64 " but its head records seq %" PRId64
                 ": records were removed from its end", v.seq, head_seq);
        return 1;
    }
    /* Where the head is written with the records, it names the last one exactly. */
    if (log->backend->head_atomic && v.seq > 0 && (!found || head_seq < v.seq)) {
        snprintf(problem, RG_ERROR_MESSAGE_MAX, "the log's head records seq %" PRId64 " but the records go on to seq %"
                 PRId64 ": records were inserted past it", found ? head_seq : 0, v.seq);
        return 1;
    }
    if (found && head_seq == v.seq && strcmp(head, v.prev) != 0) {
        snprintf(problem, RG_ERROR_MESSAGE_MAX, "the last record (seq %" PRId64 ") is not the one its head records: it was edited or replaced",
                 v.seq);
        return 1;
    }
    return 0;
}

int rg_log_verify(rg_log *log, size_t *records, char *problem, rg_error *err)
{
    return verify_log(log, 0, NULL, 0, 0, records, problem, err);
}

int rg_log_verify_signed(rg_log *log, const char *const *public_keys, size_t key_count, size_t threshold,
                         size_t *records, char *problem, rg_error *err)
{
    rg_attest_expect e = {0};
    rg_key *keys;
    int rc = -1;
    *records = 0;
    if (key_count == 0)
        return rg_fail(err, RG_ERROR_USAGE, NULL, 0, 0, "verifying the log's attestations needs a public key");
    if (!(keys = calloc(key_count, sizeof *keys)))
        return rg_fail(err, RG_ERROR_INTERNAL, NULL, 0, 0, "out of memory");
    e.public_keys = public_keys;
    e.public_key_count = key_count;
    e.threshold = threshold;
    if (rg_attest_load_keys(&e, keys, err) == 0)
        rc = verify_log(log, 0, keys, key_count, threshold, records, problem, err);
    for (size_t i = 0; i < key_count; i++)
        rg_key_clear(&keys[i]);
    free(keys);
    return rc;
}

/* ---- Import and export ------------------------------------------------------------ */

typedef struct importer {
    appender a;
    rg_error *err;
    long copied;
    int failed;
} importer;

/* The text to import for ENTRY (STORED, parsed, its chain detached) into BODY: the
 * record's own bytes before its chain when they are exactly ENTRY -- the text its
 * signed position covers, and the record as it was written -- else ENTRY printed anew
 * (an old log's unchained line).  0, or -1 (out of memory). */
static int import_text(const rg_log_record *stored, const cJSON *entry, int chained, rg_strbuf *body)
{
    char *flat;
    if (chained && rg_log_entry_of(stored->line, stored->len, body) == 0) {
        cJSON *own = cJSON_ParseWithLength(body->data, body->len);
        int same = cJSON_Compare(own, entry, 1);
        cJSON_Delete(own);
        if (same)
            return 0;
    }
    if (!(flat = cJSON_PrintUnformatted(entry)))
        return -1;
    body->len = 0;
    rg_strbuf_add(body, flat, strlen(flat));
    free(flat);
    return body->failed ? -1 : 0;
}

/* Import one record.  A record whose position is signed keeps it, and so its own text
 * at its own place, or is not imported at all: a signed position cannot be moved, and a
 * record without it would read as one taken away (history verify --public-key). */
static int import_visit(const rg_log_record *stored, cJSON *entry, void *data)
{
    importer *im = data;
    cJSON *chain = cJSON_DetachItemFromObjectCaseSensitive(entry, "chain");
    const cJSON *position = cJSON_GetObjectItemCaseSensitive(chain, "position");
    const cJSON *seq = cJSON_GetObjectItemCaseSensitive(chain, "seq");
    const char *prev = rg_json_string(chain, "prev");
    rg_strbuf body = {0};
    char *kept = NULL;
    int rc = -1;
    if (!entry)
        return 0;  /* not a decision: an old log's stray line, as history skips it */
    if (import_text(stored, entry, chain != NULL, &body) != 0)
        append_fail(&im->a, im->err, "out of memory");
    else if (position && (!cJSON_IsNumber(seq) || seq->valuedouble != (double)(im->a.seq + 1) || !prev ||
                          strcmp(prev, im->a.head) != 0)) {
        snprintf(im->a.msg, sizeof im->a.msg, "record %.0f of the source has its position signed, which it would "
                 "lose at seq %" PRId64 " here: a log with signed positions is imported only into an empty log",
                 cJSON_IsNumber(seq) ? seq->valuedouble : 0.0, im->a.seq + 1);
        append_fail(&im->a, im->err, im->a.msg);
    } else if (position && !(kept = cJSON_PrintUnformatted(position)))
        append_fail(&im->a, im->err, "out of memory");
    else
        rc = append_chained(&im->a, body.data, body.len, kept, im->err);
    free(kept);
    free(rg_strbuf_finish(&body));
    cJSON_Delete(chain);
    if (rc != 0) {
        im->failed = 1;
        return 1;
    }
    im->copied++;
    return 0;
}

/* Whether FROM and TO are one store: a file or a SQLite database by its path, a
 * PostgreSQL one by its URL (the password aside); their names are their URLs, redacted.
 * Appending to a file holds its exclusive lock, under which a scan of the same file would
 * wait for ever for its shared one; a SQLite store was copied into itself, every record
 * twice (round 33b, F04). */
static int same_store(const rg_log *from, const rg_log *to)
{
    const char *a, *b, *kind = store_kind(from->name, &a);
    if (strcmp(kind, store_kind(to->name, &b)) != 0)
        return 0;
    return strcmp(kind, "postgresql") == 0 ? strcmp(from->name, to->name) == 0 : rg_same_place(a, b);
}

/* FROM must verify whole before it is imported, an old log's unchained lines before
 * its first chained record aside: the records are chained anew in TO, and a record
 * edited in FROM (history verify: tampered) would verify whole there. */
static int import_source_whole(rg_log *from, rg_error *err)
{
    char problem[RG_ERROR_MESSAGE_MAX];
    size_t records = 0;
    int rc = verify_log(from, 1, NULL, 0, 0, &records, problem, err);
    if (rc > 0)
        return rg_fail(err, RG_ERROR_IO, from->name, 0, 0,
                       "the decision log %s is not whole (%s): not imported, since its records would be chained "
                       "anew and verify whole (relgate history verify --log %s)", from->name, problem, from->name);
    return rc < 0 ? -1 : 0;
}

long rg_log_import(rg_log *from, rg_log *to, rg_error *err)
{
    importer im = {.err = err};
    if (same_store(from, to)) {
        rg_fail(err, RG_ERROR_USAGE, to->name, 0, 0, "cannot import the decision log %s into itself", to->name);
        return -1;
    }
    if (import_source_whole(from, err) != 0)
        return -1;
    if (append_begin(&im.a, to, err) != 0)
        return -1;
    if (scan(from, NULL, import_visit, &im, err) != 0) {
        if (!im.failed)
            append_fail(&im.a, &(rg_error){0}, "");
        return -1;
    }
    if (im.failed)
        return -1;
    if (im.copied == 0) {
        to->backend->abort(to->store);
        free(rg_strbuf_finish(&im.a.line));
        return 0;
    }
    return append_commit(&im.a, err) == 0 ? im.copied : -1;
}

typedef struct exporter {
    int fd;
    long lines;
    int e;
} exporter;

static int export_visit(const rg_log_record *stored, void *data)
{
    exporter *x = data;
    if (rg_write_all(x->fd, stored->line, stored->len) != 0 || rg_write_all(x->fd, "\n", 1) != 0) {
        x->e = errno;
        return 1;
    }
    x->lines++;
    return 0;
}

long rg_log_export(rg_log *log, int fd, rg_error *err)
{
    exporter x = {fd, 0, 0};
    if (raw_scan(log, NULL, 0, export_visit, &x, err) != 0)
        return -1;
    if (x.e) {
        rg_fail(err, RG_ERROR_IO, NULL, 0, 0, "cannot write the export: %s", strerror(x.e));
        return -1;
    }
    return x.lines;
}
