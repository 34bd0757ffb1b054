/* Lint: the globals a policy's functions read that do not exist, found without running
 * them -- `return fial("x")` inside a check, `evidence.raed(...)` -- as luacheck would.
 * Loading already stops at an undefined global in code that runs while the policy
 * loads; this reads the compiled code of every function, checks and `when` included. */
#ifndef RG_LINT_GLOBALS_H
#define RG_LINT_GLOBALS_H

#include <cjson/cJSON.h>
#include <lua.h>

/* For each function of the loaded chunks in the list at CHUNKS (a table of functions,
 * as rg_sandbox_load keeps them while linting) append "file:line: undefined global
 * 'NAME'" and "file:line: 'LIB' has no field 'NAME'" (for the builtin libraries) to
 * PROBLEMS, once per place.  A global counts as defined when the policy's environment
 * has it after loading: builtins and the globals the policy defined.  Returns how many
 * were added; 0 when the Lua in use compiles to a form this reader does not know (it
 * checks itself on a probe first). */
int rg_lint_globals(lua_State *L, int chunks, cJSON *problems);

/* The reader's own check, for the tests: 1 when it finds exactly the global read of a
 * probe chunk, as the Lua in use compiles it. */
int rg_lint_globals_selftest(lua_State *L);

#endif
