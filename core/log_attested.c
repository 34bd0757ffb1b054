/* Whether a decision-log record is the decision its own attestation signs (decision_log.h,
 * rg_log_record_attested): what `history verify --public-key` holds every record to.
 *
 * The chain proves only that no record changed after the next one was written: someone
 * who can write the store can re-chain it with plain SHA-256 after an edit.  A record
 * `eval --attest --log` wrote carries the DSSE envelope of its decision, signed by a key
 * only the gate holds; the envelope's statement names the decision's verdict, release,
 * stage, policy, context, time, summary and requirements, and each of these must be the
 * record's own -- so an edited record, or another record's envelope pasted onto it, is
 * found. */
#define _GNU_SOURCE   /* memmem */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attest_statement.h"
#include "decision_log.h"
#include "dsse.h"
#include "json.h"
#include "keys.h"

static int same_text(const cJSON *a, const cJSON *b)
{
    return cJSON_IsString(a) && cJSON_IsString(b) && strcmp(a->valuestring, b->valuestring) == 0;
}

#define FIELD(o, k) cJSON_GetObjectItemCaseSensitive((o), (k))

/* Both absent, or the same text. */
static int same_optional_text(const cJSON *a, const cJSON *b)
{
    return (!a && !b) || same_text(a, b);
}

/* The requirements' ids and statuses, in order, as the statement lists them. */
static int same_requirements(const cJSON *signed_list, const cJSON *record_list)
{
    const cJSON *r = cJSON_IsArray(record_list) ? record_list->child : NULL, *s;
    if (!cJSON_IsArray(signed_list) || cJSON_GetArraySize(signed_list) != cJSON_GetArraySize(record_list))
        return 0;
    cJSON_ArrayForEach(s, signed_list) {
        if (!same_text(FIELD(s, "id"), FIELD(r, "id")) || !same_text(FIELD(s, "status"), FIELD(r, "status")))
            return 0;
        r = r->next;
    }
    return 1;
}

/* Which field of the signed STATEMENT is not ENTRY's own, or NULL. */
static const char *statement_differs(const cJSON *statement, const cJSON *entry)
{
    const cJSON *pred = FIELD(statement, "predicate"), *sum = FIELD(pred, RG_VSA_DECISION_KEY);
    const cJSON *release = FIELD(entry, "release"), *signed_release = FIELD(sum, "release");
    const char *decision = rg_json_string(entry, "decision"), *result = rg_json_string(pred, "verificationResult");
    int passed = decision && (strcmp(decision, "allow") == 0 || strcmp(decision, "warn") == 0);
    if (!same_text(FIELD(sum, "decision"), FIELD(entry, "decision")) || !result ||
        strcmp(result, passed ? "PASSED" : "FAILED") != 0)
        return "decision";
    if (!same_text(FIELD(signed_release, "name"), FIELD(release, "name")) ||
        !same_text(FIELD(signed_release, "version"), FIELD(release, "version")) ||
        !same_text(FIELD(signed_release, "type"), FIELD(release, "type")) ||
        !same_optional_text(FIELD(signed_release, "environment"), FIELD(release, "environment")))
        return "release";
    if (!same_text(FIELD(sum, "stage"), FIELD(entry, "stage")))
        return "stage";
    if (!same_text(FIELD(FIELD(sum, "policy"), "digest"), FIELD(FIELD(entry, "policy"), "digest")))
        return "policy";
    if (!same_text(FIELD(sum, "context_digest"), FIELD(FIELD(entry, "context"), "digest")))
        return "context";
    if (!same_text(FIELD(pred, "timeVerified"), FIELD(entry, "evaluated_at")))
        return "evaluated_at";
    if (!cJSON_Compare(FIELD(sum, "summary"), FIELD(entry, "summary"), 1))
        return "summary";
    return same_requirements(FIELD(sum, "requirements"), FIELD(entry, "requirements")) ? NULL : "requirements";
}

/* Whether ENTRY is shaped as an error decision and nothing else: the members the schema's
 * error_decision allows (decision, id, error, evaluated_at, engine) and the chain. */
static int is_error_decision(const cJSON *entry)
{
    static const char *const members[] = {"decision", "id", "error", "evaluated_at", "engine", "chain", NULL};
    const cJSON *m;
    if (!cJSON_IsObject(FIELD(entry, "error")))
        return 0;
    cJSON_ArrayForEach(m, entry) {
        int known = 0;
        for (const char *const *k = members; *k && !known; k++)
            known = strcmp(m->string, *k) == 0;
        if (!known)
            return 0;
    }
    return 1;
}

const char *rg_log_record_attested(const cJSON *entry, const rg_key *keys, size_t count, size_t threshold,
                                   int *position_signed, char *why, size_t size)
{
    const cJSON *envelope = FIELD(entry, "attestation");
    const char *decision = rg_json_string(entry, "decision"), *differs, *logged;
    char *text, reason[600];
    cJSON *statement = NULL;
    int rc;
    *position_signed = 0;
    if (!envelope) {
        if (decision && strcmp(decision, "error") == 0 && is_error_decision(entry))
            return NULL;   /* an error decision is never signed (eval --attest) */
        if (decision && strcmp(decision, "error") == 0) {
            snprintf(why, size, "reads \"error\" but is shaped as a decision on the release (it has members an error "
                     "decision never has): a signed decision rewritten to need no signature");
            return why;
        }
        snprintf(why, size, "carries no attestation, though its decision (%s) would have been signed: anyone who can "
                 "write the store could have written it", decision ? decision : "none");
        return why;
    }
    /* DSSE signs the payload, not the envelope's spelling: printing it again is exact enough. */
    if (!(text = cJSON_PrintUnformatted(envelope))) {
        snprintf(why, size, "its attestation cannot be read (out of memory)");
        return why;
    }
    rc = rg_attest_check_envelope(text, strlen(text), keys, count, threshold, &statement, reason, sizeof reason);
    free(text);
    if (rc != 0) {
        snprintf(why, size, "its attestation does not verify with the keys given: %s", reason);
        return why;
    }
    differs = statement_differs(statement, entry);
    logged = rg_json_string(FIELD(FIELD(statement, "predicate"), RG_VSA_DECISION_KEY), "log_position");
    *position_signed = logged && strcmp(logged, "signed") == 0;
    if (!differs && logged && !*position_signed) {
        snprintf(why, size, "carries an attestation made for no decision log (its log_position is \"%.20s\"): a "
                 "decision signed outside the log put into it", logged);
        cJSON_Delete(statement);
        return why;
    }
    cJSON_Delete(statement);
    if (differs) {
        snprintf(why, size, "its attestation signs another decision: the record's %s is not the one signed (the record "
                 "was edited, or another record's attestation put on it)", differs);
        return why;
    }
    return NULL;
}

/* ---- Signed positions ---------------------------------------------------------- */

void rg_log_position_payload(rg_strbuf *out, int64_t seq, const char *prev, const char *record)
{
    rg_strbuf_printf(out, "{\"seq\":%" PRId64 ",\"prev\":\"%s\",\"record\":\"sha256:%s\"}", seq, prev, record);
}

int rg_log_entry_of(const char *line, size_t len, rg_strbuf *entry)
{
    static const char member[] = "\"chain\":{\"seq\":";
    const char *at = NULL;
    for (const char *p = line; (p = memmem(p, len - (size_t)(p - line), member, sizeof member - 1)); p++)
        at = p;
    if (!at || at == line)
        return -1;
    if (at[-1] == ',')
        at--;
    else if (at != line + 1)
        return -1;
    entry->len = 0;
    rg_strbuf_add(entry, line, (size_t)(at - line));
    rg_strbuf_add(entry, "}", 1);
    return entry->failed ? -1 : 0;
}

/* The hex digest of the entry LINE holds before its chain member, into HEX.  0, or -1. */
static int entry_digest(const char *line, size_t len, char hex[RG_LOG_DIGEST_HEX + 1])
{
    rg_strbuf body = {0};
    int rc = rg_log_entry_of(line, len, &body);
    if (rc == 0)
        rg_log_digest(body.data, body.len, hex);
    free(rg_strbuf_finish(&body));
    return rc;
}

int rg_log_record_position(const cJSON *entry, const char *line, size_t len, int64_t seq, const char *prev,
                           const rg_key *keys, size_t count, size_t threshold, char *why, size_t size)
{
    static const char *const types[] = {RG_LOG_POSITION_TYPE};
    const cJSON *position = FIELD(FIELD(entry, "chain"), "position");
    char digest[RG_LOG_DIGEST_HEX + 1], reason[600], *text;
    rg_strbuf want = {0};
    rg_dsse_payload signed_payload = {0};
    int rc;
    if (!position)
        return 1;
    if (entry_digest(line, len, digest) != 0) {
        snprintf(why, size, "has a signed position but no chain it could sign");
        return -1;
    }
    if (!(text = cJSON_PrintUnformatted(position))) {
        snprintf(why, size, "its signed position cannot be read (out of memory)");
        return -1;
    }
    rc = rg_dsse_verify(text, strlen(text), keys, count, threshold ? threshold : 1, types, 1, &signed_payload, reason,
                        sizeof reason);
    free(text);
    if (rc != 0) {
        snprintf(why, size, "its signed position does not verify with the keys given: %s", reason);
        return -1;
    }
    rg_log_position_payload(&want, seq, prev, digest);
    rc = want.failed || signed_payload.len != want.len || memcmp(signed_payload.body, want.data, want.len) != 0;
    if (rc)
        snprintf(why, size, "is not where, or not what, its signed position says (%.200s): it was moved, replayed "
                 "after later records, edited, or records before it were removed and the log chained anew",
                 (const char *)signed_payload.body);
    free(signed_payload.body);
    free(rg_strbuf_finish(&want));
    return rc ? -1 : 0;
}
