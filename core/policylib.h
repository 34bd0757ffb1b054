/* The library policies see: results, list helpers, semver, time, evidence,
 * markdown, approvals. */
#ifndef RG_POLICYLIB_H
#define RG_POLICYLIB_H

#include "sandbox.h"

/* Metatable marking tables made by pass()/fail()/warn()/skip(). */
#define RG_RESULT_META "rg.result"

/* Publish the library as builtins of SB. */
void rg_policylib_open(rg_sandbox *sb);

#endif
