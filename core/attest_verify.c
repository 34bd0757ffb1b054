/* Verifying an attestation (relgate.h, rg_attestation_verify): the DSSE signatures
 * (dsse.c), then the statement and what the caller expects of it. */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "attest_statement.h"
#include "dsse.h"
#include "error.h"
#include "fileio.h"
#include "rfc3339.h"
#include "json.h"
#include "json_writer.h"
#include "keys.h"

#define ATTESTATION_MAX (256u << 20)
#define STATEMENT_DEPTH 64
#define WHY_MAX 700

/* Whether the digest set DIGEST holds "ALG:HEX" of LABEL (hex compared in lower case). */
static int digest_has(const cJSON *digest, const char *label)
{
    const char *colon = strchr(label, ':'), *have;
    char alg[32];
    size_t n;
    if (!colon || (size_t)(colon - label) >= sizeof alg)
        return 0;
    memcpy(alg, label, (size_t)(colon - label));
    alg[colon - label] = '\0';
    if (!(have = rg_json_string(digest, alg)) || strlen(have) != strlen(colon + 1))
        return 0;
    for (n = 0; have[n]; n++)
        if (tolower((unsigned char)have[n]) != tolower((unsigned char)colon[1 + n]))
            return 0;
    return 1;
}


/* Check the statement BODY.  Returns -1 (invalid, WHY says why), or its result (PASSED
 * or FAILED) with *MATCHES saying whether it meets E's expectations (WHY says where not). */

static int check_statement(const char *body, size_t len, const rg_attest_expect *e, cJSON **out, int *matches,
                           char *why, size_t why_size)
{
    rg_error err;
    cJSON *st;
    const cJSON *subjects, *pred, *s, *verifier, *policy;
    const char *result, *type, *ptype, *vid, *resource;
    rg_error_init(&err);
    *out = NULL;
    *matches = 1;
    if (!(st = rg_json_parse(body, len, "statement", STATEMENT_DEPTH, RG_ERROR_CONTEXT, &err))) {
        snprintf(why, why_size, "the payload is not a JSON statement: %.400s", err.message);
        rg_error_clear(&err);
        return -1;
    }
    type = rg_json_string(st, "_type");
    ptype = rg_json_string(st, "predicateType");
    subjects = cJSON_GetObjectItemCaseSensitive(st, "subject");
    pred = cJSON_GetObjectItemCaseSensitive(st, "predicate");
    verifier = cJSON_GetObjectItemCaseSensitive(pred, "verifier");
    policy = cJSON_GetObjectItemCaseSensitive(pred, "policy");
    result = rg_json_string(pred, "verificationResult");
    vid = rg_json_string(verifier, "id");
    resource = rg_json_string(pred, "resourceUri");
    if (!type || strcmp(type, RG_INTOTO_STATEMENT_TYPE) != 0)
        snprintf(why, why_size, "the statement's _type is not %s", RG_INTOTO_STATEMENT_TYPE);
    else if (!ptype || strcmp(ptype, RG_VSA_PREDICATE_TYPE) != 0)
        snprintf(why, why_size, "the predicate type is not %s", RG_VSA_PREDICATE_TYPE);
    else if (!cJSON_IsArray(subjects) || cJSON_GetArraySize(subjects) == 0)
        snprintf(why, why_size, "the statement names no subject");
    else if (!cJSON_IsObject(pred) || !vid || !resource || !cJSON_IsObject(policy))
        snprintf(why, why_size, "the predicate lacks verifier.id, resourceUri or policy");
    else if (!result || (strcmp(result, "PASSED") != 0 && strcmp(result, "FAILED") != 0))
        snprintf(why, why_size, "verificationResult is neither PASSED nor FAILED");
    else
        why[0] = '\0';
    cJSON_ArrayForEach(s, subjects)
        if (!why[0] && !cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(s, "digest")))
            snprintf(why, why_size, "a subject without a digest");
    if (why[0]) {
        cJSON_Delete(st);
        return -1;
    }
    for (size_t i = 0; i < e->subject_digest_count && *matches; i++) {
        int found = 0;
        cJSON_ArrayForEach(s, subjects)
            found |= digest_has(cJSON_GetObjectItemCaseSensitive(s, "digest"), e->subject_digests[i]);
        if (!found) {
            snprintf(why, why_size, "no subject has the digest %.100s", e->subject_digests[i]);
            *matches = 0;
        }
    }
    if (*matches && e->policy_digest &&
        !digest_has(cJSON_GetObjectItemCaseSensitive(policy, "digest"), e->policy_digest)) {
        snprintf(why, why_size, "the policy's digest is not %.100s", e->policy_digest);
        *matches = 0;
    }
    if (*matches && e->verifier_id && strcmp(vid, e->verifier_id) != 0) {
        snprintf(why, why_size, "the verifier is \"%.200s\", not \"%.200s\"", vid, e->verifier_id);
        *matches = 0;
    }
    if (*matches && e->resource_uri && strcmp(resource, e->resource_uri) != 0) {
        snprintf(why, why_size, "the resource is \"%.200s\", not \"%.200s\"", resource, e->resource_uri);
        *matches = 0;
    }
    /* The newest decision answers: one dated ahead of the clock would outrank every real
     * one after it (hostile round 41a, F04), whether or not an age is asked for. */
    if (*matches) {
        const char *at = rg_json_string(pred, "timeVerified");
        int64_t when = 0, now = e->now ? e->now : (int64_t)time(NULL);
        if (!at || rg_time_parse(at, &when) != 0) {
            snprintf(why, why_size, "its timeVerified is not an RFC 3339 time");
            *matches = 0;
        } else if (rg_time_in_future(when, now)) {
            snprintf(why, why_size, "it was decided at %.40s, after now: a clock ahead, or not a decision made yet", at);
            *matches = 0;
        } else if (e->max_age > 0 && now - when > e->max_age) {
            snprintf(why, why_size, "it was decided at %.40s, more than %" PRId64 " s before now", at, e->max_age);
            *matches = 0;
        }
    }
    if (*matches && e->environment) {
        const cJSON *release = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(pred, RG_VSA_DECISION_KEY),
                                                                "release");
        const char *environment = rg_json_string(release, "environment");
        if (!environment || strcmp(environment, e->environment) != 0) {
            snprintf(why, why_size, "it is a decision about the environment \"%.50s\", not \"%.50s\"",
                     environment ? environment : "(none)", e->environment);
            *matches = 0;
        }
    }
    if (*matches && e->stage) {
        const char *stage = rg_json_string(cJSON_GetObjectItemCaseSensitive(pred, RG_VSA_DECISION_KEY), "stage");
        if (!stage || strcmp(stage, e->stage) != 0) {
            snprintf(why, why_size, "it is a decision about the stage \"%.50s\", not \"%.50s\"",
                     stage ? stage : "(none)", e->stage);
            *matches = 0;
        }
    }
    *out = st;
    return strcmp(result, "PASSED") == 0 ? RG_ATTEST_PASSED : RG_ATTEST_FAILED;
}

int rg_attest_load_keys(const rg_attest_expect *e, rg_key *keys, rg_error *err)
{
    size_t distinct = 0;
    for (size_t i = 0; i < e->public_key_count; i++) {
        int dup = 0;
        if (rg_key_load(e->public_keys[i], 0, &keys[i], err) != 0)
            return -1;
        for (size_t j = 0; j < i; j++)
            dup |= strcmp(keys[i].id, keys[j].id) == 0;
        distinct += !dup;
    }
    if (e->threshold > distinct)
        return rg_fail(err, RG_ERROR_USAGE, NULL, 0, 0, "a threshold of %zu needs as many distinct public keys (%zu given)",
                       e->threshold, distinct);
    return 0;
}

/* The envelopes of TEXT: the whole text when it is one JSON document (a pretty-printed
 * envelope), else each non-blank line. */
static int whole_document(const char *text, size_t len)
{
    rg_error err;
    cJSON *doc;
    rg_error_init(&err);
    doc = rg_json_parse(text, len, "attestation", STATEMENT_DEPTH, RG_ERROR_CONTEXT, &err);
    rg_error_clear(&err);
    cJSON_Delete(doc);
    return doc != NULL;
}

/* When statement ST was decided (its timeVerified), or INT64_MIN when it does not say. */
static int64_t decided_at(const cJSON *st)
{
    const char *at = rg_json_string(cJSON_GetObjectItemCaseSensitive(st, "predicate"), "timeVerified");
    int64_t when;
    return at && rg_time_parse(at, &when) == 0 ? when : INT64_MIN;
}

/* Whether ST (result R), later in the file, answers in place of CHOSEN (result WAS): the
 * newest decision answers, whatever the order its envelope was appended in (a batch keeps
 * its envelopes and appends them at its end, after a deny another gate made meanwhile:
 * hostile round 37a, F03); of two decided in the same second, a FAILED one. */
static int newer(const cJSON *st, int r, const cJSON *chosen, int was)
{
    int64_t at, before;
    if (!chosen)
        return 1;
    at = decided_at(st);
    before = decided_at(chosen);
    if (at != before)
        return at > before;
    return r == RG_ATTEST_FAILED || was != RG_ATTEST_FAILED;
}

int rg_attest_check_envelope(const char *env, size_t len, const rg_key *keys, size_t count, size_t threshold,
                             cJSON **statement, char *why, size_t why_size)
{
    static const char *const types[] = {RG_INTOTO_PAYLOAD_TYPE};
    static const rg_attest_expect shape_only = {0};
    rg_dsse_payload payload;
    int matches, r;
    *statement = NULL;
    if (rg_dsse_verify(env, len, keys, count, threshold, types, 1, &payload, why, why_size) != 0)
        return -1;
    r = check_statement((const char *)payload.body, payload.len, &shape_only, statement, &matches, why, why_size);
    free(payload.body);
    return r < 0 ? -1 : 0;
}

rg_attest_result rg_attestation_verify(const char *path, const rg_attest_expect *e, char **statement,
                                       rg_error *err)
{
    static const char *const types[] = {RG_INTOTO_PAYLOAD_TYPE};
    rg_key *keys = NULL;
    char *text = NULL, why[WHY_MAX] = "", mismatch[WHY_MAX] = "", where[400];
    size_t len = 0, line = 0;
    cJSON *chosen = NULL;
    int result = RG_ATTEST_INVALID, whole;
    const char *p, *end;

    if (statement)
        *statement = NULL;
    if (!e || !path || e->public_key_count == 0) {
        rg_fail(err, RG_ERROR_USAGE, NULL, 0, 0, "verifying an attestation needs at least one public key");
        return RG_ATTEST_INVALID;
    }
    if (e->max_age < 0 || e->now < 0) {   /* not "no limit", not "the current time": refused */
        rg_fail(err, RG_ERROR_USAGE, NULL, 0, 0, "verifying an attestation: max_age and now must not be negative");
        return RG_ATTEST_INVALID;
    }
    if (!(keys = calloc(e->public_key_count, sizeof *keys))) {
        rg_fail(err, RG_ERROR_INTERNAL, NULL, 0, 0, "out of memory");
        return RG_ATTEST_INVALID;
    }
    if (rg_attest_load_keys(e, keys, err) != 0 || rg_read_file(path, "attestation", ATTESTATION_MAX, &text, &len, err) != 0)
        goto done;
    whole = whole_document(text, len);
    for (p = text; p < text + len; p = end < text + len ? end + 1 : end) {
        rg_dsse_payload payload;
        cJSON *st = NULL;
        int matches, r;
        const char *nl = whole ? NULL : memchr(p, '\n', (size_t)(text + len - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(text + len - p);
        end = p + n;
        line++;
        while (n > 0 && isspace((unsigned char)p[n - 1]))
            n--;
        if (n == 0)
            continue;
        if (whole)
            snprintf(where, sizeof where, "%.300s", path);
        else
            snprintf(where, sizeof where, "%.300s:%zu", path, line);
        if (rg_dsse_verify(p, n, keys, e->public_key_count, e->threshold, types, 1, &payload, why, sizeof why) != 0) {
            rg_fail(err, RG_ERROR_CONTEXT, path, whole ? 0 : (int)line, 0, "%s: %s", where, why);
            goto done;
        }
        r = check_statement((const char *)payload.body, payload.len, e, &st, &matches, why, sizeof why);
        free(payload.body);
        if (r < 0) {
            rg_fail(err, RG_ERROR_CONTEXT, path, whole ? 0 : (int)line, 0, "%s: %s", where, why);
            goto done;
        }
        if (matches && newer(st, r, chosen, result)) {
            cJSON_Delete(chosen);
            chosen = st;
            result = r;
        } else if (matches) {
            cJSON_Delete(st);
        } else {
            snprintf(mismatch, sizeof mismatch, "%s", why);
            cJSON_Delete(st);
        }
    }
    if (!chosen) {
        rg_fail(err, RG_ERROR_CONTEXT, path, 0, 0, "%.300s: %s", path,
                mismatch[0] ? mismatch : "holds no attestation");
        result = RG_ATTEST_INVALID;
    } else if (statement && !(*statement = rg_json_print_pretty(chosen))) {
        rg_fail(err, RG_ERROR_INTERNAL, NULL, 0, 0, "out of memory");
        result = RG_ATTEST_INVALID;
    }
done:
    if (err->kind != RG_ERROR_NONE)
        result = RG_ATTEST_INVALID;
    cJSON_Delete(chosen);
    for (size_t i = 0; i < e->public_key_count; i++)
        rg_key_clear(&keys[i]);
    free(keys);
    free(text);
    return (rg_attest_result)result;
}
