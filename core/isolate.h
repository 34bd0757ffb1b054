/* Running plugin checks in child processes, several at once. */
#ifndef RG_ISOLATE_H
#define RG_ISOLATE_H

#include <cjson/cJSON.h>

#include "plugin_host.h"
#include "relgate/relgate.h"

struct rg_loaded_plugin;

typedef struct rg_job {
    const rg_check *check;
    const struct rg_loaded_plugin *plugin; /* what provides CHECK (its file, its flags);
                                            * NULL for a check of the engine's own (tests) */
    const cJSON *params;
    double timeout;            /* seconds */
    const char *label;         /* the requirement it answers, for progress; may be NULL */
    rg_check_result result;    /* filled by rg_run_isolated; clear with rg_check_result_clear */
    double duration_ms;
} rg_job;

/* Run every job, LIMITS->jobs children at a time (0: one per CPU), each in a child process
 * of its own (or shared, one after the other, with the jobs of a plugin that sets
 * RG_PLUGIN_FLAG_SHARE_CHILD over the same evidence), with LIMITS->check_memory of
 * address space, until its timeout.  Every job ends with a
 * result: the check's own, or an error saying what went wrong ("check x killed by
 * SIGSEGV", "check x timed out after 30 s"). */
void rg_run_isolated(rg_job *jobs, size_t count, const rg_context *ctx, int64_t now,
                     const rg_limits *limits);

/* The same in two steps, so the engine can do its own work while the children run:
 * start the first children (as many as run at once), then finish — every job ends with
 * a result, as above.  A child's time limit runs from its start whatever the engine
 * does meanwhile; one whose deadline passed before finish is given one poll slice to
 * show it answered in time.  JOBS, CTX and LIMITS must stay as they are until finish.
 * Returns NULL (every job failed) when out of memory; finish takes NULL. */
typedef struct rg_isolated rg_isolated;
rg_isolated *rg_isolated_start(rg_job *jobs, size_t count, const rg_context *ctx, int64_t now,
                               const rg_limits *limits);
void rg_isolated_finish(rg_isolated *run);

/* For the plugin host's zygote (rg_zygote_host): load FILE's plugin, every symbol bound
 * (each child starts from this image: none resolves them again), checked against the
 * validated one; and in each check child it starts, take the job and run it. */
struct rg_plugin_file;
const rg_plugin *rg_isolated_zygote_load(const struct rg_plugin_file *file);
void rg_isolated_zygote_child(const struct rg_plugin_file *file, const rg_plugin *desc, pid_t engine, int job,
                              int result, int output);

#endif
