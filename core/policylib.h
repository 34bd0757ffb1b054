/* The library policies see: results, list helpers, semver, time, evidence,
 * markdown, approvals. */
#ifndef RG_POLICYLIB_H
#define RG_POLICYLIB_H

#include "sandbox.h"

/* Metatable marking tables made by pass()/fail()/warn()/skip(). */
#define RG_RESULT_META "rg.result"

/* True when the value at IDX was made by by_type { patch = ..., minor = ..., major = ... }. */
int rg_is_by_type(lua_State *L, int idx);

/* Publish the library as builtins of SB. */
void rg_policylib_open(rg_sandbox *sb);

#endif
