/* Signing decisions (relgate.h, "Signed decisions"): a signer holds one private key; a
 * decision's statement is signed into a DSSE envelope. */
#include <stdlib.h>
#include <string.h>

#include "attest_statement.h"
#include "dsse.h"
#include "error.h"
#include "keys.h"

struct rg_signer {
    rg_key key;
};

rg_signer *rg_signer_load(const char *key_path, rg_error *err)
{
    rg_signer *s = calloc(1, sizeof *s);
    if (!s) {
        rg_fail(err, RG_ERROR_INTERNAL, NULL, 0, 0, "out of memory");
        return NULL;
    }
    if (rg_key_load(key_path, 1, &s->key, err) != 0) {
        free(s);
        return NULL;
    }
    return s;
}

const rg_key *rg_signer_key(const rg_signer *signer)
{
    return &signer->key;
}

void rg_signer_free(rg_signer *signer)
{
    if (!signer)
        return;
    rg_key_clear(&signer->key);
    free(signer);
}

char *rg_decision_attest(const rg_decision *decision, const rg_context *ctx, const rg_attest_options *options,
                         const rg_signer *signer, rg_error *err)
{
    char *statement, *envelope;
    if (!decision || !ctx || !signer) {
        rg_fail(err, RG_ERROR_USAGE, NULL, 0, 0, "rg_decision_attest needs a decision, its context and a signer");
        return NULL;
    }
    if (!(statement = rg_attest_statement(decision, ctx, options, err)))
        return NULL;
    envelope = rg_dsse_sign(&signer->key, RG_INTOTO_PAYLOAD_TYPE, statement, strlen(statement), err);
    free(statement);
    return envelope;
}
