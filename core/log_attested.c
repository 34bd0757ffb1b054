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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attest_statement.h"
#include "decision_log.h"
#include "json.h"
#include "keys.h"

static int same_text(const cJSON *a, const cJSON *b)
{
    return cJSON_IsString(a) && cJSON_IsString(b) && strcmp(a->valuestring, b->valuestring) == 0;
}

#define FIELD(o, k) cJSON_GetObjectItemCaseSensitive((o), (k))

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
        !same_text(FIELD(signed_release, "type"), FIELD(release, "type")))
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

const char *rg_log_record_attested(const cJSON *entry, const rg_key *keys, size_t count, size_t threshold, char *why,
                                   size_t size)
{
    const cJSON *envelope = FIELD(entry, "attestation");
    const char *decision = rg_json_string(entry, "decision"), *differs;
    char *text, reason[600];
    cJSON *statement = NULL;
    int rc;
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
    cJSON_Delete(statement);
    if (differs) {
        snprintf(why, size, "its attestation signs another decision: the record's %s is not the one signed (the record "
                 "was edited, or another record's attestation put on it)", differs);
        return why;
    }
    return NULL;
}
