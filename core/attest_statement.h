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

#endif
