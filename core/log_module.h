/* Store modules (stores/): the SQLite and PostgreSQL back ends of the decision log,
 * loaded only when a log URL names one. */
#ifndef RG_LOG_MODULE_H
#define RG_LOG_MODULE_H

#include "log_store.h"

typedef struct rg_log_module rg_log_module;

/* Load the module of KIND ("sqlite", "postgresql") from the build tree when the running
 * binary is in one, else from the installed store directory, and return its back end
 * in *BACKEND.  Returns the module (unload with rg_log_module_unload), or NULL with a
 * message in ERR (RG_LOG_ERRMAX bytes). */
rg_log_module *rg_log_module_load(const char *kind, const rg_log_backend **backend, char *err);
void rg_log_module_unload(rg_log_module *module);

#endif
