/* relgate serve: the one function that decides (rg_serve_decide, serve.h), and the
 * records it keeps in the store.
 *
 * The order is the CLI's: evaluate (in a worker), then store, then answer; a decision
 * that could not be stored is not given (503).  The store's record is the worker's
 * decision line with the decision's "id" (and its Idempotency-Key with the digest of the
 * request made under it) spliced in front, and the signed envelope as member
 * "attestation" (as eval --attest --log keeps it). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "digest_memo.h"
#include "error.h"
#include "eval.h"
#include "serve_internal.h"
#include "worker_record.h"

#define KEY_MAX 128

/* Seconds on the monotonic clock. */
static double seconds_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Random bytes for decision ids, taken from the kernel ID_POOL_BYTES at a time by each
 * connection's thread: a getrandom a request was one of the server's sixteen system
 * calls a request, and a keep-alive connection's thread answers many.  The same bits,
 * fetched ahead; the server forks nothing that runs on (workers are exec'd), so no two
 * processes hand out the same bytes.  256: getrandom gives up to that many whole, never
 * cut short by a signal. */
#define ID_POOL_BYTES 256
static _Thread_local unsigned char id_pool[ID_POOL_BYTES];
static _Thread_local size_t id_pool_left;

/* A new decision id: 128 random bits as 32 hex digits. */
static void new_id(char id[33])
{
    static const char hex[] = "0123456789abcdef";
    uint64_t bits[2];
    if (id_pool_left < sizeof bits) {
        rg_record_random(id_pool, sizeof id_pool);
        id_pool_left = sizeof id_pool;
    }
    memcpy(bits, id_pool + sizeof id_pool - id_pool_left, sizeof bits);
    id_pool_left -= sizeof bits;
    for (int i = 0; i < 16; i++) {
        id[i] = hex[(bits[0] >> (4 * i)) & 15];
        id[16 + i] = hex[(bits[1] >> (4 * i)) & 15];
    }
    id[32] = '\0';
}

/* An Idempotency-Key the server takes: 1 to 128 of [A-Za-z0-9._:-] (it is stored and
 * looked up verbatim, so nothing needs escaping). */
static int valid_key(const char *key)
{
    size_t n = strlen(key);
    if (n == 0 || n > KEY_MAX)
        return 0;
    for (const char *p = key; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '.' ||
              *p == '_' || *p == ':' || *p == '-'))
            return 0;
    return 1;
}

char *rg_serve_record_decision(const char *record)
{
    cJSON *doc = cJSON_Parse(record);
    char *out, *nl;
    if (!doc)
        return NULL;
    cJSON_DeleteItemFromObjectCaseSensitive(doc, "attestation");
    cJSON_DeleteItemFromObjectCaseSensitive(doc, "idempotency_key");
    cJSON_DeleteItemFromObjectCaseSensitive(doc, "request_digest");
    cJSON_DeleteItemFromObjectCaseSensitive(doc, "chain");
    out = cJSON_PrintUnformatted(doc);
    cJSON_Delete(doc);
    /* One line, as the decision is answered when it is made. */
    if (out && (nl = realloc(out, strlen(out) + 2)) != NULL) {
        strcat(nl, "\n");
        return nl;
    }
    return out;
}

char *rg_serve_record_attestation(const char *record)
{
    cJSON *doc = cJSON_Parse(record), *env;
    char *out = NULL;
    if (doc && cJSON_IsObject(env = cJSON_GetObjectItemCaseSensitive(doc, "attestation")))
        out = cJSON_PrintUnformatted(env);
    cJSON_Delete(doc);
    return out;
}

int rg_serve_record_status(const char *record, char *verdict, size_t vsize, char *stage, size_t ssize)
{
    cJSON *doc = cJSON_Parse(record), *d, *kind, *st;
    int status = 500;
    rg_strlcpy(verdict, "error", vsize);
    rg_strlcpy(stage, "", ssize);
    if (!doc)
        return 500;
    d = cJSON_GetObjectItemCaseSensitive(doc, "decision");
    st = cJSON_GetObjectItemCaseSensitive(doc, "stage");
    if (cJSON_IsString(st))
        rg_strlcpy(stage, st->valuestring, ssize);
    if (cJSON_IsString(d)) {
        rg_strlcpy(verdict, d->valuestring, vsize);
        if (strcmp(d->valuestring, "error") != 0) {
            status = 200;
        } else {
            kind = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(doc, "error"), "kind");
            if (cJSON_IsString(kind) && (strcmp(kind->valuestring, "usage") == 0 ||
                                         strcmp(kind->valuestring, "context") == 0 ||
                                         strcmp(kind->valuestring, "evidence") == 0))
                status = 400;
        }
    }
    cJSON_Delete(doc);
    return status;
}

/* The decision LINE (a compact JSON object) with "id" (and "idempotency_key" with
 * "request_digest", REQUEST_DIGEST) in front, and ENVELOPE (or NULL) as member
 * "attestation" at the end: heap, or NULL. */
static char *with_id(const char *line, const char *id, const char *key, const char *request_digest,
                     const char *envelope, const char *end)
{
    rg_strbuf b = {0};
    char *signed_line = NULL;
    size_t n = strlen(line);
    if (n < 2 || line[0] != '{' || line[n - 1] != '}' || line[1] == '}')
        return NULL;
    if (envelope && !(line = signed_line = rg_eval_log_record(line, n, envelope)))
        return NULL;
    rg_strbuf_printf(&b, "{\"id\":\"%s\",", id);
    if (key)
        rg_strbuf_printf(&b, "\"idempotency_key\":\"%s\",\"request_digest\":\"%s\",", key, request_digest);
    rg_strbuf_puts(&b, line + 1);
    rg_strbuf_puts(&b, end);
    free(signed_line);
    return rg_strbuf_finish(&b);
}

/* What defines a request made under an Idempotency-Key: the body's bytes as received.
 * Nothing else enters a decision: the worker is given the body alone (the stage, the
 * clock and the evidence are in it), POST /v1/decisions reads no query parameter and no
 * header but the key, and the deployment hooks give their request body built from the
 * delivery.  "sha256:" + 64 lower-case hex digits into DIGEST. */
#define REQUEST_DIGEST_SIZE (7 + RG_DIGEST_HEX_SIZE)
static void request_digest(const char *body, size_t len, char digest[REQUEST_DIGEST_SIZE])
{
    memcpy(digest, "sha256:", 7);
    rg_digest_memo_sha256(NULL, len ? body : "", len, digest + 7);   /* BODY may be NULL when empty */
}

/* Whether the stored RECORD (found under KEY, so beginning {"id":"<32 hex>",
 * "idempotency_key":"KEY",) was made for the request of DIGEST: 1 when its
 * "request_digest", which with_id writes right after the key, is DIGEST; 0 when it is
 * another; -1 when the record has none (stored by a relgate before this one kept it). */
static int stored_for(const char *record, const char *key, const char *digest)
{
    static const char member[] = ",\"request_digest\":\"";
    size_t skip = strlen("{\"id\":\"") + 32 + strlen("\",\"idempotency_key\":\"") + strlen(key) + 1;
    size_t n = strlen(digest);
    if (strlen(record) < skip || strncmp(record + skip, member, sizeof member - 1) != 0)
        return -1;
    record += skip + sizeof member - 1;
    return strncmp(record, digest, n) == 0 && record[n] == '"';
}

/* Answer RECORD (stored, or about to be) as the API gives a decision. */
static int answer_record(rg_serve *srv, const char *record, rg_serve_response *resp, double started)
{
    char verdict[16], stage[32];
    int status = rg_serve_record_status(record, verdict, sizeof verdict, stage, sizeof stage);
    char *body = rg_serve_record_decision(record);
    if (!body) {
        rg_serve_respond_error(resp, 500, RG_ERROR_INTERNAL, "out of memory");
        return resp->status;
    }
    rg_serve_respond(resp, status, NULL, body);
    if (started > 0)
        rg_serve_metrics_decision(srv->metrics, verdict, stage, seconds_now() - started);
    return status;
}

/* Mark KEY as being decided now (0), or -1 when it already is. */
static int claim_key(rg_serve *srv, const char *key)
{
    int free_slot = -1, rc = 0;
    pthread_mutex_lock(&srv->lock);
    for (int i = 0; i < (int)(sizeof srv->keys / sizeof srv->keys[0]); i++) {
        if (srv->keys[i] && strcmp(srv->keys[i], key) == 0)
            rc = -1;
        else if (!srv->keys[i] && free_slot < 0)
            free_slot = i;
    }
    if (rc == 0 && (free_slot < 0 || !(srv->keys[free_slot] = strdup(key))))
        rc = -2;
    pthread_mutex_unlock(&srv->lock);
    return rc;
}

static void release_key(rg_serve *srv, const char *key)
{
    pthread_mutex_lock(&srv->lock);
    for (int i = 0; i < (int)(sizeof srv->keys / sizeof srv->keys[0]); i++)
        if (srv->keys[i] && strcmp(srv->keys[i], key) == 0) {
            free(srv->keys[i]);
            srv->keys[i] = NULL;
            break;
        }
    pthread_mutex_unlock(&srv->lock);
}

static void busy(rg_serve *srv, rg_serve_response *resp, const char *why)
{
    char secs[16];
    snprintf(secs, sizeof secs, "%d", srv->config.retry_after);
    rg_serve_respond_error(resp, 503, RG_ERROR_IO, "%s; try again later", why);
    rg_serve_respond_header(resp, "Retry-After", secs);
}

/* Decide BODY with KEY claimed (or NULL). */
static int decide(rg_serve *srv, const char *body, size_t len, const char *key, int from_operator,
                  rg_serve_response *resp, double started)
{
    char id[33], *out = NULL, *record, *answer;
    rg_serve_answer a;
    rg_error err;
    int cls, status;
    char digest[REQUEST_DIGEST_SIZE] = "";
    if (key && srv->store) {
        int failed = 0, same;
        char *stored;
        request_digest(body, len, digest);
        stored = rg_serve_store_lookup(srv->store, "idempotency_key", key, &failed);
        if (stored) {
            /* A key names one request: the decision stored under it is answered only to
             * that request again, byte for byte.  Another request under the key is
             * refused (422, draft-ietf-httpapi-idempotency-key-header), neither given the
             * stored decision -- another release's allow -- nor evaluated: the key would
             * then name two decisions.  A decision stored before its request's digest was
             * kept cannot be shown to be this request's, so it is not replayed either, to
             * any request: refused the same way, and the key stays that one decision's. */
            same = stored_for(stored, key, digest);
            if (same == 1) {
                status = answer_record(srv, stored, resp, 0);
                free(stored);
                rg_serve_respond_header(resp, "Idempotent-Replayed", "true");
                return status;
            }
            free(stored);
            rg_serve_metric_add(srv, "relgate_idempotency_conflicts_total",
                                "Requests refused with 422: an Idempotency-Key already used for another request", NULL, 1);
            if (same == 0)
                rg_serve_respond_error(resp, 422, RG_ERROR_USAGE,
                                       "this Idempotency-Key was already used for another request (its body differs): "
                                       "a key is never reused across different requests; send this one under a new key");
            else
                rg_serve_respond_error(resp, 422, RG_ERROR_USAGE,
                                       "this Idempotency-Key was stored by an earlier relgate that kept no digest of its "
                                       "request, so this request cannot be shown to be the same one: its decision is not "
                                       "replayed; send this request under a new key");
            return 422;
        }
        if (failed) {
            rg_serve_metric_add(srv, "relgate_store_errors_total", "Decisions the store could not record or read", NULL, 1);
            busy(srv, resp, "the store cannot be read now (Idempotency-Key)");
            return 503;
        }
    }
    cls = rg_serve_pool_eval(srv->pool, body, len, from_operator, &out);
    if (cls == RG_EVAL_BUSY) {
        busy(srv, resp, "every evaluation worker is busy and the queue is full");
        rg_serve_metric_add(srv, "relgate_queue_rejections_total", "Requests refused with 503: queue full", NULL, 1);
        return 503;
    }
    if (!out || rg_serve_answer_split(out, &a) != 0) {
        free(out);
        rg_serve_respond_error(resp, 500, RG_ERROR_INTERNAL, "out of memory");
        return 500;
    }
    status = cls == RG_EVAL_DECIDED ? 200 : cls == RG_EVAL_BAD_INPUT ? 400 : 500;
    if (cls == RG_EVAL_BAD_INPUT) {
        /* Refused, not decided: nothing to keep, no id. */
        rg_strbuf b = {0};
        rg_strbuf_puts(&b, a.line);
        rg_strbuf_puts(&b, "\n");
        rg_serve_respond(resp, status, NULL, rg_strbuf_finish(&b));
        rg_serve_metrics_decision(srv->metrics, a.verdict, a.stage, seconds_now() - started);
        free(out);
        return resp->body ? status : (resp->status = 500);
    }
    new_id(id);
    /* Only a decision is kept under its Idempotency-Key: after an error of the gate (a
     * worker lost, a policy error) a retry evaluates again. */
    record = srv->store ? with_id(a.line, id, cls == RG_EVAL_DECIDED ? key : NULL, digest, a.envelope, "") : NULL;
    answer = with_id(a.line, id, NULL, NULL, NULL, "\n");
    if (!answer || (srv->store && !record)) {
        free(out);
        free(record);
        free(answer);
        rg_serve_respond_error(resp, 500, RG_ERROR_INTERNAL, "the evaluation worker's answer was not a JSON object");
        return 500;
    }
    rg_error_init(&err);
    if (record && rg_serve_store_append(srv->store, record, &err) != 0) {
        fprintf(stderr, "relgate: error: %s; the decision is not given (503)\n", err.message);
        rg_error_clear(&err);
        free(out);
        free(record);
        free(answer);
        rg_serve_metric_add(srv, "relgate_store_errors_total", "Decisions the store could not record or read", NULL, 1);
        busy(srv, resp, "the decision could not be stored; no decision without its audit record");
        return 503;
    }
    rg_serve_respond(resp, status, NULL, answer);
    if (record) {
        char location[64];
        snprintf(location, sizeof location, "/v1/decisions/%s", id);
        rg_serve_respond_header(resp, "Location", location);
    }
    rg_serve_metrics_decision(srv->metrics, a.verdict, a.stage, seconds_now() - started);
    free(out);
    free(record);
    return status;
}

int rg_serve_decide(rg_serve *srv, const char *body, size_t len, const char *idempotency_key, int from_operator,
                    rg_serve_response *resp)
{
    double started = seconds_now();
    int status, claimed;
    pthread_mutex_lock(&srv->lock);
    if (srv->draining) {
        pthread_mutex_unlock(&srv->lock);
        busy(srv, resp, "the server is shutting down");
        return 503;
    }
    pthread_mutex_unlock(&srv->lock);
    if (idempotency_key && !valid_key(idempotency_key)) {
        rg_serve_respond_error(resp, 400, RG_ERROR_USAGE,
                               "Idempotency-Key must be 1 to %d characters of A-Z a-z 0-9 . _ : -", KEY_MAX);
        return 400;
    }
    if (idempotency_key && srv->store) {
        claimed = claim_key(srv, idempotency_key);
        if (claimed == -1) {
            rg_serve_respond_error(resp, 409, RG_ERROR_USAGE,
                                   "a request with this Idempotency-Key is being decided now; retry once it is answered");
            rg_serve_respond_header(resp, "Retry-After", "1");
            return 409;
        }
        if (claimed != 0) {
            busy(srv, resp, "too many Idempotency-Keys in flight");
            return 503;
        }
    } else {
        idempotency_key = srv->store ? idempotency_key : NULL;   /* nothing durable without a store */
    }
    status = decide(srv, body, len, idempotency_key, from_operator, resp, started);
    if (idempotency_key)
        release_key(srv, idempotency_key);
    return status;
}

int rg_serve_store_enabled(const rg_serve *srv)
{
    return srv->store != NULL;
}

char *rg_serve_store_find(rg_serve *srv, const char *id, int *failed)
{
    *failed = 0;
    if (!srv->store)
        return NULL;
    return rg_serve_store_lookup(srv->store, "id", id, failed);
}
