/* The Lua sandbox policies run in: restricted globals, read-only data, text-only
 * chunks, a private require, and memory, instruction and time limits. */
#ifndef RG_SANDBOX_H
#define RG_SANDBOX_H

#include <cjson/cJSON.h>
#include <lua.h>
#include <stdint.h>
#include <time.h>

#include "bundle.h"
#include "digest.h"
#include "relgate/relgate.h"

typedef enum rg_limit_hit {
    RG_LIMIT_NONE, RG_LIMIT_MEMORY, RG_LIMIT_INSTRUCTIONS, RG_LIMIT_TIME
} rg_limit_hit;

/* Where a chunk's modules come from: ROOT, the directory nothing may leave (the policy's
 * own, or one of the policy path), and BASE, beneath it, the folder module names are
 * relative to (a base policy's own folder).  Package 0 is the policy's directory. */
typedef struct rg_package {
    char *root, *base;       /* resolved */
    char *display;           /* BASE as messages and chunk names show it */
    rg_bundle *bundle;       /* a bundle (ROOT, BASE: its path): only the files its manifest
                              * lists load, from the bytes checked when it opened; or NULL */
} rg_package;

typedef struct rg_sandbox {
    lua_State *L;
    rg_realloc_fn realloc_fn; /* the allocator the state was created with (rg_set_lua_allocator) */
    rg_free_fn free_fn;
    rg_limits limits;
    size_t mem_used;
    uint64_t instructions;
    uint64_t evaluation;      /* counts evaluations: what was checked in this one holds */
    int hook_every;           /* instructions between limit checks */
    double deadline;          /* CLOCK_MONOTONIC seconds */
    double watchdog_deadline; /* the deadline the watchdog is armed for; 0: disarmed */
    int watchdog_hold;        /* keep it armed between calls (rg_sandbox_hold_watchdog) */
    rg_limit_hit limit_hit;   /* sticky: once set, every hook and pcall rethrows */
    int frozen;               /* the policy has loaded: its state is frozen (rg_sandbox_freeze) */
    lua_State *snapshot;      /* a thread whose stack holds the frozen variables: (owner, slot,
                               * value) triples, compared after every call once frozen */
    int snapshot_len;         /* triples on it */
    int *snapshot_upvalue;    /* per triple: its upvalue index, or 0 for a table field (the
                               * comparison runs after every call: no type tests there) */
    int snapshot_cap;
    const int *watch;         /* set for the next call only: the triples it can reach */
    int watch_count;          /* -1: compare every triple */
    int frozen_len;           /* triples taken before the policy was frozen (later ones, from
                               * memo results, are always compared) */
    int64_t now;              /* the evaluation clock */
    clock_t cpu_at_start;     /* the process's CPU time as the evaluation began (os.clock) */
    char *dir;                /* resolved directory require() may read from */
    char *dir_display;        /* that directory as the user named it, for chunk names */
    rg_package *packages;     /* [0] is the policy's directory; others: bases elsewhere */
    int package_count;
    char **search;            /* the policy path after the policy's directory: resolved
                               * directories (RELGATE_POLICY_PATH, then RG_POLICYDIR) */
    char **search_display;
    int search_count;
    rg_sha256 *digest;        /* over every file loaded, in load order */
    char **loaded;            /* the files it was loaded from, resolved (a bundle: its .tar),
                               * for rg_policy_reads_file */
    size_t loaded_count;
    const rg_context *ctx;    /* set while checks run: evidence.* reads through it */
    cJSON *evidence_log;      /* set while checks run: evidence.read notes what it read */
    rg_error_kind error_kind; /* set with VIOLATION: an error pcall may not swallow */
    char violation[1024];
    char error_file[1024];    /* when set: where the error being raised really is */
    int error_line;
    cJSON *lock_doc;          /* the lock file beside the policy (relgate.lock), once read */
    const cJSON *lock;        /* its "bundles": name -> "sha256:..."; NULL: there is none */
    int lock_read;
    int keep_chunks;          /* linting: every chunk loaded is kept in the registry list
                               * rg.lint.chunks, for lint_globals.c to read */
    size_t printed;           /* bytes print() wrote in evaluation PRINTED_IN */
    uint64_t printed_in;
} rg_sandbox;

/* Whether PATH names one of the files SB was loaded from (rg_same_place). */
int rg_sandbox_loaded_from(const rg_sandbox *sb, const char *path);

/* A new sandbox whose require() reads below DIR (DISPLAY: how messages name DIR).
 * Returns NULL with ERR filled. */
rg_sandbox *rg_sandbox_new(const rg_limits *limits, int64_t now, const char *dir,
                           const char *display, rg_error *err);
void rg_sandbox_free(rg_sandbox *sb);

/* The sandbox owning L. */
rg_sandbox *rg_sandbox_of(lua_State *L);

/* Raise "FILE:LINE: out of memory copying WHAT" from the engine's C code that copies
 * something out of Lua: an internal error (never a policy error the policy could have
 * caused), which no pcall in the policy may swallow.  Does not return. */
int rg_sandbox_out_of_memory(lua_State *L, const char *file, int line, const char *what);

/* Register the value on top of the stack as builtin global NAME (pops it). */
void rg_sandbox_set_builtin(rg_sandbox *sb, const char *name);

/* Resolve PATH (symbolic links followed) into REAL (PATH_MAX bytes) and check it lies below
 * the policy's directory: the rule for modules and for the files of a policy directory.
 * Returns 0, -1 when PATH cannot be resolved (errno says why), -2 when it leads outside. */
int rg_sandbox_resolve_inside(const rg_sandbox *sb, const char *path, char *real);

/* Load PATH as a text chunk named CHUNKNAME ("@" + how messages show it) and push
 * it as a function.  Returns 0, or -1 with ERR (syntax errors carry file and line). */
int rg_sandbox_load(rg_sandbox *sb, const char *path, const char *chunkname, rg_error *err);

/* Call the function below NARGS arguments on the stack, with a traceback handler and
 * the limits in force.  Returns 0 leaving NRESULTS results, or -1 with ERR (kind
 * policy or limit, with file, line and traceback) and nothing pushed. */
int rg_sandbox_call(rg_sandbox *sb, int nargs, int nresults, rg_error *err);

/* Memory the policy may still use under --max-memory. */
size_t rg_sandbox_memory_left(const rg_sandbox *sb);
/* Count BYTES of C heap a builtin holds for the policy (a decoded document) against its
 * memory limit, until rg_sandbox_refund.  Returns 0, or -1 with the limit marked hit
 * (raise any error: the sandbox reports the memory limit, and pcall cannot catch it). */
int rg_sandbox_charge(rg_sandbox *sb, size_t bytes);
void rg_sandbox_refund(rg_sandbox *sb, size_t bytes);

/* Start a fresh instruction and time budget (each evaluation gets its own). */
void rg_sandbox_new_budget(rg_sandbox *sb);

/* ON: leave the watchdog armed between rg_sandbox_call()s (an evaluation makes one call
 * per check: arming and disarming a timer around each was a tenth of a batch's time).
 * OFF disarms it: call it before anything that is not policy code may take long. */
void rg_sandbox_hold_watchdog(rg_sandbox *sb, int on);

/* Move the deadline SECONDS later: time spent outside policy code (plugin checks in
 * their own processes) is not the policy's to pay for. */
void rg_sandbox_pause_clock(rg_sandbox *sb, double seconds);

/* Load and run base policy NAME for `extends` in L (a base runs in the same sandbox as
 * the policy extending it); raises on any error.  NAME is found as a module is: in the
 * folder of the calling chunk's package, then in each directory of the policy path.  A
 * base found in another folder becomes a package of its own, so its `require`s resolve
 * in its folder and its modules never meet the extending policy's of the same name.
 * "NAME@sha256:..." (or a NAME the lock file relgate.lock beside the policy pins) is a
 * bundle (bundle.h): the directory NAME or the file NAME.tar, found the same way, whose
 * bundle.json has that digest; its entry policy runs as the base.  Returns the bundle's
 * package (sb->packages[i].bundle), or 0 for a plain base. */
int rg_sandbox_run_base(lua_State *L, const char *name);

/* --policy on a bundle: run the bundle at PATH (a directory or a .tar) as rg_sandbox_run_base
 * runs one, pinned by the lock file beside it when there is one (named there as its file
 * or directory is, without .tar), else taken as it is.  Returns its package; raises. */
int rg_sandbox_run_bundle(lua_State *L, const char *path);

/* Freezing: nothing a check can reach may carry state from one call to the next.
 *
 * rg_sandbox_seal_reachable seals every table reachable from the value at IDX in place
 * (same identity; the contents move behind a read-only view, see rg_readonly_target; any
 * metatable the policy set still applies) through keys, values, metatables and the
 * upvalues of Lua functions, and snapshots those upvalues (and the raw "__" fields a
 * sealed table keeps for use as a metatable).  Raises (memory): call it protected.
 * rg_sandbox_seal_state does the same for the policy's globals and loaded modules; with
 * BASE (extends "BASE" has just run) it also keeps the globals defined so far from being
 * assigned again.  rg_sandbox_check_snapshot raises, naming the place, when a
 * snapshotted variable changed since it was taken (a team policy that changed its base's
 * state while it loaded).  rg_sandbox_freeze, once the policy has loaded: globals can no
 * longer be assigned, and every later rg_sandbox_call compares the snapshot afterwards:
 * a change is restored and turns a successful call into an error. */
void rg_sandbox_seal_reachable(lua_State *L, int idx);
void rg_sandbox_seal_state(lua_State *L, const char *base);
void rg_sandbox_check_snapshot(lua_State *L);
void rg_sandbox_freeze(rg_sandbox *sb);

/* The snapshot triples policy code started from the function at IDX can change: those of
 * the variables it reaches through variables, tables, metatables and functions, every
 * table field, and, when it can read globals (which also reach the loaded modules), all
 * of theirs.  Returns a malloc'd list (NULL with *COUNT 0 when there are none).  Raises
 * (memory): call it protected, after the last seal. */
int *rg_sandbox_reachable_triples(lua_State *L, int idx, int *count);

/* Compare only the triples WATCH (COUNT of them) after the next rg_sandbox_call: a check
 * cannot change what it cannot reach, and comparing everything after every check of a
 * batch would cost one read per variable of the whole policy. */
void rg_sandbox_watch(rg_sandbox *sb, const int *watch, int count);

/* Push a read-only view of the table at IDX.  That table becomes the view's target and
 * its nested tables are replaced by their views: pass a table nothing else holds (one
 * the engine just built), a tree, not a graph with cycles. */
void rg_push_readonly(lua_State *L, int idx);

/* What a read-only view stands for: JSON objects and arrays are told apart, so that a
 * policy can tell {} from [] (json.type), and an array's length counts its nulls. */
enum { RG_VIEW_NONE = 0, RG_VIEW_TABLE = 1, RG_VIEW_OBJECT = 2, RG_VIEW_ARRAY = 3 };

/* Replace the table on top of the stack by its read-only view of KIND; its nested tables
 * must be views already (rg_push_json_sealed builds such tables bottom-up, with no
 * second pass).  LENGTH: an array's, nulls included. */
void rg_readonly_seal(lua_State *L, int kind, lua_Integer length);

/* The RG_VIEW_ kind of the value at IDX (RG_VIEW_NONE: not a view). */
int rg_readonly_kind(lua_State *L, int idx);

/* The JSON length of the array view at IDX (its nulls included), or -1. */
lua_Integer rg_readonly_length(lua_State *L, int idx);

/* If the value at IDX is a read-only view, push the table behind it and return 1;
 * otherwise push nothing and return 0. */
int rg_readonly_target(lua_State *L, int idx);

#endif
