/* The in-toto Statement of a decision: a SLSA Verification Summary (VSA v1). */
#ifndef RG_ATTEST_STATEMENT_H
#define RG_ATTEST_STATEMENT_H

#include "relgate/relgate.h"

#define RG_INTOTO_STATEMENT_TYPE "https://in-toto.io/Statement/v1"
#define RG_VSA_PREDICATE_TYPE "https://slsa.dev/verification_summary/v1"
/* The predicate member holding the decision's own summary: namespaced, as the VSA
 * leaves room for extensions under a key of their own. */
#define RG_VSA_DECISION_KEY "https://relgate.dev/decision/v1"

/* The statement as compact JSON (heap), or NULL with ERR: an error decision, or a context
 * without release.artifacts. */
char *rg_attest_statement(const rg_decision *d, const rg_context *ctx, const rg_attest_options *options,
                          rg_error *err);

struct rg_key;
struct cJSON;

/* The public keys E names, loaded into KEYS (E->public_key_count of them; clear each with
 * rg_key_clear), and E's threshold checked against the distinct ones.  0, or -1 with ERR. */
int rg_attest_load_keys(const rg_attest_expect *e, struct rg_key *keys, rg_error *err);

/* The envelope ENV (LEN bytes) verified with KEYS (COUNT, THRESHOLD as rg_attest_expect's)
 * and its statement checked for shape as rg_attestation_verify checks it: the statement
 * into *STATEMENT (free with cJSON_Delete) and 0, or -1 with WHY. */
int rg_attest_check_envelope(const char *env, size_t len, const struct rg_key *keys, size_t count, size_t threshold,
                             struct cJSON **statement, char *why, size_t why_size);

#endif
