/* The release context: the loaded document and what the engine derives from it. */
#ifndef RG_CONTEXT_H
#define RG_CONTEXT_H

#include <cjson/cJSON.h>
#include <stdint.h>

#include "relgate/relgate.h"

struct rg_context {
    cJSON *root;             /* the whole document */
    char *display;           /* the name used in messages: the path, or "<stdin>" */
    char *dir;               /* absolute, resolved directory relative evidence paths start from */
    char *evidence_root;     /* absolute, resolved directory evidence must stay inside */
    rg_path_cache *paths;    /* the run's resolved paths (rg_context_options), or NULL */
    int content_addressed;   /* evidence directories named by their file's digest (rg_context_options) */
    const char *name;        /* release.name (points into ROOT) */
    const char *version;     /* release.version */
    const char *previous_version; /* release.previous_version, or NULL */
    const char *environment; /* release.environment, or NULL: where it is deployed */
    rg_release_type type;    /* release.type, or the --type override */
    rg_stage stage;          /* stage, or the --stage override, or pre-release */
    unsigned char digest[32];/* SHA-256 of the document's bytes */
    cJSON *waivers;          /* every waiver given: the context's, then --waivers' */
    cJSON *waiver_sources;   /* where each came from ("context.json: waivers[0]") */
    rg_log *decision_log;    /* where a post-deploy rollback looks for the last good
                              * release (rg_context_options; not owned), or NULL */
    char *save_dir;          /* absolute, resolved --save-evidence directory, or NULL */
};

/* A waivers file read once for many contexts (rg_waivers_load). */
struct rg_waivers {
    cJSON *list;
    char *name;              /* where they came from, for messages: the path or "<stdin>" */
};

#endif
