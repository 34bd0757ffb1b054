/* relgate verify: check a signed decision (an attestation written by eval --attest)
 * before acting on it — a deploy step gates on its exit code. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli.h"
#include "error.h"

static const char VERIFY_USAGE[] =
    "usage: relgate verify --attestation PATH --public-key PUB.pem [options]\n"
    "\n"
    "Verify a signed decision: a DSSE envelope (or a file of them, one per line) holding\n"
    "an in-toto statement with a SLSA verification summary, as relgate eval --attest\n"
    "writes it.  On success the verified statement is printed on standard output.\n"
    "\n"
    "  --attestation PATH       the envelope, or an .intoto.jsonl file of envelopes (every\n"
    "                           one must verify; the newest that meets the options answers)\n"
    "  --public-key PUB.pem     a trusted public key (PEM); repeatable\n"
    "  --threshold N            distinct trusted keys that must have signed (default 1)\n"
    "  --subject-digest sha256:HEX  an artifact the attestation must name; repeatable\n"
    "  --policy-digest sha256:HEX   the policy it must have been decided by\n"
    "  --verifier-id URI        the verifier it must come from\n"
    "  --resource-uri URI       the resource it must be about\n"
    "  --stage STAGE            the stage it must be a decision about: pre-release, deploy or post-deploy\n"
    "  --environment ENV        the environment it must be a decision about (release.environment)\n"
    "  --max-age DURATION       how long ago it may have been decided (90s, 30m, 24h, 7d)\n"
    "  --now RFC3339            the clock --max-age counts from (default: now)\n"
    "  -h, --help               show this help\n"
    "\n"
    "exit codes: 0 valid and PASSED, 1 valid and FAILED (the gate denied the release),\n"
    "2 invalid: a bad or missing signature, another payload or statement type, an\n"
    "expectation not met, an unreadable file (the reason is printed).\n";

#define MAX_KEYS 32
#define MAX_SUBJECTS 64

enum { OPT_ATTESTATION, OPT_PUBLIC_KEY, OPT_THRESHOLD, OPT_SUBJECT, OPT_POLICY_DIGEST, OPT_VERIFIER, OPT_RESOURCE, OPT_STAGE, OPT_ENVIRONMENT, OPT_MAX_AGE, OPT_NOW };

static const rg_option VERIFY_OPTIONS[] = {
    {"--attestation", NULL, "a path", OPT_ATTESTATION},
    {"--public-key", NULL, "a PEM public key file", OPT_PUBLIC_KEY | RG_OPT_REPEATS},
    {"--threshold", NULL, "a number from 1 to 32", OPT_THRESHOLD},
    {"--subject-digest", NULL, "a digest such as sha256:HEX", OPT_SUBJECT | RG_OPT_REPEATS},
    {"--policy-digest", NULL, "a digest such as sha256:HEX", OPT_POLICY_DIGEST},
    {"--verifier-id", NULL, "a URI", OPT_VERIFIER},
    {"--resource-uri", NULL, "a URI", OPT_RESOURCE},
    {"--stage", NULL, "a stage", OPT_STAGE},
    {"--environment", NULL, "an environment name", OPT_ENVIRONMENT},
    {"--max-age", NULL, "a duration such as 24h", OPT_MAX_AGE},
    {"--now", NULL, "an RFC 3339 time", OPT_NOW},
    {NULL, NULL, NULL, 0},
};

/* "ALG:HEX" with a known algorithm and hex of its length. */
static int digest_label_ok(const char *v)
{
    size_t n = strlen(v);
    if (strncmp(v, "sha256:", 7) != 0 || n != 7 + 64)
        return 0;
    return strspn(v + 7, "0123456789abcdefABCDEF") == 64;
}

/* " (a deploy decision about payments-api 2.4.0 in production)": what the verified STATEMENT decided,
 * for the message a deploy step's log keeps; "" when it does not say. */
static void decided_about(const char *statement, char *out, size_t size)
{
    cJSON *st = statement ? cJSON_Parse(statement) : NULL;
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(st, "predicate"),
                                                      "https://relgate.dev/decision/v1");
    const cJSON *release = cJSON_GetObjectItemCaseSensitive(d, "release");
    const char *stage = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(d, "stage"));
    const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(release, "name"));
    const char *version = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(release, "version"));
    const char *environment = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(release, "environment"));
    out[0] = '\0';
    if (stage && name && version)
        snprintf(out, size, " (a %.20s decision about %.200s %.100s%s%.50s)", stage, name, version,
                 environment ? " in " : "", environment ? environment : "");
    cJSON_Delete(st);
}

int rg_cmd_verify(int argc, char **argv)
{
    const char *keys[MAX_KEYS], *subjects[MAX_SUBJECTS], *v, *path = NULL;
    rg_attest_expect e;
    rg_opt_state st;
    rg_error err = {0};
    char msg[256], about[400], *statement = NULL;
    uint64_t n;
    int id;
    rg_attest_result r;

    memset(&e, 0, sizeof e);
    e.public_keys = keys;
    e.subject_digests = subjects;
    rg_opt_start(&st, argc, argv);
    while ((id = rg_opt_next(&st, VERIFY_OPTIONS, &v, msg, sizeof msg)) != RG_OPT_END) {
        switch (id) {
        case RG_OPT_HELP: fputs(VERIFY_USAGE, stdout); return 0;
        case RG_OPT_ERROR: return rg_cli_usage("verify", msg);
        case RG_OPT_POSITIONAL:
            snprintf(msg, sizeof msg, "unexpected argument '%.100s'", v);
            return rg_cli_usage("verify", msg);
        case OPT_ATTESTATION: path = v; break;
        case OPT_PUBLIC_KEY:
            if (e.public_key_count == MAX_KEYS)
                return rg_cli_usage("verify", "at most 32 --public-key options");
            keys[e.public_key_count++] = v;
            break;
        case OPT_THRESHOLD:
            if (rg_cli_parse_count(v, &n) != 0 || n > MAX_KEYS) {
                snprintf(msg, sizeof msg, "--threshold '%.50s' is not a number from 1 to 32", v);
                return rg_cli_usage("verify", msg);
            }
            e.threshold = (size_t)n;
            break;
        case OPT_SUBJECT:
        case OPT_POLICY_DIGEST:
            if (!digest_label_ok(v)) {
                snprintf(msg, sizeof msg, "%s '%.80s' is not sha256: and 64 hex digits", st.name, v);
                return rg_cli_usage("verify", msg);
            }
            if (id == OPT_POLICY_DIGEST)
                e.policy_digest = v;
            else if (e.subject_digest_count == MAX_SUBJECTS)
                return rg_cli_usage("verify", "at most 64 --subject-digest options");
            else
                subjects[e.subject_digest_count++] = v;
            break;
        case OPT_VERIFIER: e.verifier_id = v; break;
        case OPT_RESOURCE: e.resource_uri = v; break;
        case OPT_STAGE:
            if (rg_stage_parse(v) == RG_STAGE_UNSET) {
                snprintf(msg, sizeof msg, "--stage '%.50s' is not pre-release, deploy or post-deploy", v);
                return rg_cli_usage("verify", msg);
            }
            e.stage = v;
            break;
        case OPT_ENVIRONMENT:
            if (!*v)
                return rg_cli_usage("verify", "--environment '' names no environment");
            e.environment = v;
            break;
        case OPT_MAX_AGE: {
            double d = rg_duration_parse(v);
            if (d <= 0 || d > 3.2e9) {
                snprintf(msg, sizeof msg, "--max-age '%.50s' is not a duration such as 90s, 30m, 24h or 7d", v);
                return rg_cli_usage("verify", msg);
            }
            /* Ages are whole seconds, and a max_age of 0 is the library's "no limit":
             * 0.5s cut to 0 let an attestation of any age pass (hostile round 24, F01). */
            if (d < 1) {
                snprintf(msg, sizeof msg, "--max-age '%.50s' is less than a second: ages are counted in whole seconds", v);
                return rg_cli_usage("verify", msg);
            }
            e.max_age = (int64_t)d;
            break;
        }
        case OPT_NOW:
            if (rg_time_parse(v, &e.now) != 0) {
                snprintf(msg, sizeof msg, "--now '%.50s' is not an RFC 3339 time such as 2025-06-10T09:00:00Z", v);
                return rg_cli_usage("verify", msg);
            }
            /* A now of 0 is the library's "the current time": the epoch itself would be
             * read as today (round 24, F02), and no decision was made before it. */
            if (e.now <= 0) {
                snprintf(msg, sizeof msg, "--now '%.50s' is not after 1970-01-01T00:00:00Z", v);
                return rg_cli_usage("verify", msg);
            }
            break;
        }
    }
    if (!path)
        return rg_cli_usage("verify", "--attestation is required");
    if (e.public_key_count == 0)
        return rg_cli_usage("verify", "--public-key is required");
    r = rg_attestation_verify(path, &e, &statement, &err);
    if (r == RG_ATTEST_INVALID) {
        rg_cli_report(&err);
        rg_error_clear(&err);
        return RG_EXIT_ERROR;
    }
    if (statement && rg_cli_write_stdout(statement, strlen(statement)) != 0) {
        perror("relgate: error: cannot write the statement to standard output");
        free(statement);
        return RG_EXIT_ERROR;
    }
    decided_about(statement, about, sizeof about);
    free(statement);
    fprintf(stderr, "relgate: the attestation is valid: %s%s\n",
            r == RG_ATTEST_PASSED ? "PASSED" : "FAILED (the gate did not pass the release)", about);
    return r == RG_ATTEST_PASSED ? RG_EXIT_ALLOW : RG_EXIT_DENY;
}
