/* Waivers for waivable requirements. */
#ifndef RG_WAIVERS_H
#define RG_WAIVERS_H

#include "policy.h"
#include "relgate/relgate.h"

/* Judge every waiver of CTX (from the context and --waivers) against POL and the
 * results in D: a valid waiver turns its requirement's failure into "waived" (its
 * details carry the waiver); every waiver, valid or not, is reported in D->waivers
 * with its status: applied, unused, expired, malformed, self-approved, misapplied or
 * unauthorized.  Call before rg_decision_conclude. */
void rg_waivers_apply(rg_decision *d, const rg_policy *pol, const rg_context *ctx);

/* The first field of waiver W (an object) that a waiver does not have, or NULL.  The
 * context refuses a waiver with one (a misspelt "relase" must not widen a waiver to
 * every release); the engine judges it malformed besides. */
const char *rg_waiver_unknown_field(const cJSON *w);

#endif
