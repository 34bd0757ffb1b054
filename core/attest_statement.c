/* The statement of a decision (attest_statement.h).  Field names are the in-toto
 * Statement v1's and the SLSA VSA v1's. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attest_statement.h"
#include "context.h"
#include "decision.h"
#include "error.h"
#include "json_writer.h"
#include "rfc3339.h"

/* A Package URL part: what is not unreserved is percent-encoded. */
static void purl_part(rg_strbuf *out, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~')
            rg_strbuf_add(out, (const char *)&c, 1);
        else
            rg_strbuf_printf(out, "%%%02X", c);
    }
}

/* "RELGATE_MAJOR_PRE_RELEASE": the custom level a pass verifies (SLSA reserves SLSA_). */
static void level_name(char *buf, size_t size, const rg_decision *d)
{
    const char *type = rg_release_type_name(d->type), *stage = rg_stage_name(d->stage);
    size_t n = (size_t)snprintf(buf, size, "RELGATE_%s_%s", type ? type : "UNKNOWN", stage ? stage : "UNKNOWN");
    for (size_t i = 0; i < n && i < size; i++)
        buf[i] = buf[i] == '-' ? '_' : (char)toupper((unsigned char)buf[i]);
}

static void write_subjects(rg_jw *w, const cJSON *artifacts)
{
    const cJSON *a;
    rg_jw_key(w, "subject");
    rg_jw_array(w);
    cJSON_ArrayForEach(a, artifacts) {
        rg_jw_object(w);
        rg_jw_key_string(w, "name", rg_json_string(a, "name"));
        rg_jw_key(w, "digest");
        rg_jw_item(w, cJSON_GetObjectItemCaseSensitive(a, "digest"));
        rg_jw_end(w, 1);
    }
    rg_jw_end(w, 0);
}

/* A "sha256:HEX" label as a digest set {"sha256": HEX}. */
static void key_digest(rg_jw *w, const char *label)
{
    rg_jw_key(w, "digest");
    rg_jw_object(w);
    rg_jw_key_string(w, "sha256", label && strncmp(label, "sha256:", 7) == 0 ? label + 7 : "");
    rg_jw_end(w, 1);
}

/* Every evidence file the decision read, by path and content. */
static void write_inputs(rg_jw *w, const cJSON *evidence)
{
    const cJSON *e;
    rg_jw_key(w, "inputAttestations");
    rg_jw_array(w);
    cJSON_ArrayForEach(e, evidence) {
        const char *digest = rg_json_string(e, "sha256"), *path = rg_json_string(e, "path");
        if (!digest)
            continue;
        rg_jw_object(w);
        rg_jw_key_string(w, "uri", path && *path ? path : rg_json_string(e, "name"));
        key_digest(w, digest);
        rg_jw_end(w, 1);
    }
    rg_jw_end(w, 0);
}

/* The decision's own summary, under the namespaced key.  LOGGED: whether the decision
 * goes into a decision log that signs its records' positions ("signed") or into none
 * ("none"): an attestation made outside a log cannot pass for a record of one. */
static void write_decision_summary(rg_jw *w, const rg_decision *d, int logged)
{
    rg_jw_key(w, RG_VSA_DECISION_KEY);
    rg_jw_object(w);
    rg_decision_write_identity(w, d);
    rg_jw_end(w, 1);
    rg_jw_key_string(w, "context_digest", d->context_digest);
    rg_jw_key_string(w, "log_position", logged ? "signed" : "none");
    rg_decision_write_summary(w, d);
    rg_jw_key(w, "requirements");
    rg_jw_array(w);
    for (size_t i = 0; i < d->count; i++) {
        rg_jw_object(w);
        rg_jw_key_string(w, "id", d->results[i].id);
        rg_jw_key_string(w, "level", rg_level_name(d->results[i].level));
        rg_jw_key_string(w, "status", rg_status_name(d->results[i].status));
        rg_jw_end(w, 1);
    }
    rg_jw_end(w, 0);
    rg_jw_end(w, 1);
}

char *rg_attest_statement(const rg_decision *d, const rg_context *ctx, const rg_attest_options *options,
                          rg_error *err)
{
    static const rg_attest_options none = {0};
    const rg_attest_options *o = options ? options : &none;
    const cJSON *release = cJSON_GetObjectItemCaseSensitive(ctx->root, "release");
    const cJSON *artifacts = cJSON_GetObjectItemCaseSensitive(release, "artifacts");
    const char *resource = o->resource_uri ? o->resource_uri : rg_json_string(release, "resource_uri");
    int passed = d->verdict == RG_VERDICT_ALLOW || d->verdict == RG_VERDICT_WARN;
    char when[RG_RFC3339_BUFSIZE], level[128];
    rg_strbuf out = {0}, uri = {0};
    rg_jw w;

    if (d->verdict == RG_VERDICT_ERROR) {
        rg_fail(err, RG_ERROR_USAGE, NULL, 0, 0, "an error decision is never attested");
        return NULL;
    }
    if (!cJSON_IsArray(artifacts) || cJSON_GetArraySize(artifacts) == 0) {
        rg_fail(err, RG_ERROR_CONTEXT, ctx->display, 0, 0,
                "%s: release.artifacts is %s: an attestation names the artifacts it is about "
                "([{\"name\", \"digest\": {\"sha256\"}}], docs/context.md)",
                ctx->display, artifacts && !cJSON_IsNull(artifacts) ? "empty" : "missing");
        return NULL;
    }
    if (rg_rfc3339_format(d->evaluated_at, when, sizeof when) != 0) {
        rg_fail(err, RG_ERROR_INTERNAL, NULL, 0, 0, "the evaluation time cannot be written");
        return NULL;
    }
    if (!resource) {
        rg_strbuf_puts(&uri, "pkg:generic/");
        purl_part(&uri, d->release_name ? d->release_name : "");
        rg_strbuf_puts(&uri, "@");
        purl_part(&uri, d->release_version ? d->release_version : "");
        resource = uri.data;
    }
    rg_jw_init(&w, &out, 0);
    rg_jw_object(&w);
    rg_jw_key_string(&w, "_type", RG_INTOTO_STATEMENT_TYPE);
    write_subjects(&w, artifacts);
    rg_jw_key_string(&w, "predicateType", RG_VSA_PREDICATE_TYPE);
    rg_jw_key(&w, "predicate");
    rg_jw_object(&w);
    rg_jw_key(&w, "verifier");
    rg_jw_object(&w);
    rg_jw_key_string(&w, "id", o->verifier_id ? o->verifier_id : RG_ATTEST_DEFAULT_VERIFIER);
    rg_jw_key(&w, "version");
    rg_jw_object(&w);
    rg_jw_key_string(&w, "relgate", rg_version());
    rg_jw_end(&w, 1);
    rg_jw_end(&w, 1);
    rg_jw_key_string(&w, "timeVerified", when);
    rg_jw_key_string(&w, "resourceUri", resource);
    rg_jw_key(&w, "policy");
    rg_jw_object(&w);
    if (o->policy_uri) {
        rg_jw_key_string(&w, "uri", o->policy_uri);
    } else {
        char name[512];
        snprintf(name, sizeof name, "%.250s@%.250s", d->policy_name ? d->policy_name : "policy",
                 d->policy_version ? d->policy_version : "0");
        rg_jw_key_string(&w, "uri", name);
    }
    key_digest(&w, d->policy_digest);
    rg_jw_end(&w, 1);
    write_inputs(&w, d->evidence);
    rg_jw_key_string(&w, "verificationResult", passed ? "PASSED" : "FAILED");
    /* The levels verified: none when the gate failed the release. */
    rg_jw_key(&w, "verifiedLevels");
    rg_jw_array(&w);
    if (passed) {
        level_name(level, sizeof level, d);
        rg_jw_string(&w, level);
    }
    rg_jw_end(&w, 0);
    write_decision_summary(&w, d, o->log_position_signed);
    rg_jw_end(&w, 1);
    rg_jw_end(&w, 1);
    free(rg_strbuf_finish(&uri));
    if (out.failed) {
        free(rg_strbuf_finish(&out));
        rg_fail(err, RG_ERROR_INTERNAL, NULL, 0, 0, "out of memory writing the attestation");
        return NULL;
    }
    return rg_strbuf_finish(&out);
}
