/* Loading a store module (module_open.c finds and opens it) and checking its back end. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log_module.h"
#include "module_open.h"
#include "rg_config.h"

struct rg_log_module {
    void *handle;
};

rg_log_module *rg_log_module_load(const char *kind, const rg_log_backend **backend, char *err)
{
    char file[128];
    rg_log_module *m;
    rg_log_backend_fn entry;
    const rg_log_backend *b;
    if (!(m = calloc(1, sizeof *m))) {
        snprintf(err, RG_LOG_ERRMAX, "out of memory");
        return NULL;
    }
    snprintf(file, sizeof file, "relgate-store-%s.so", kind);
    m->handle = rg_module_open("stores", RG_STOREDIR, file, "the store module", kind, err, RG_LOG_ERRMAX);
    if (!m->handle) {
        free(m);
        return NULL;
    }
    entry = (rg_log_backend_fn)dlsym(m->handle, RG_LOG_BACKEND_SYMBOL);
    b = entry ? entry() : NULL;
    if (!b || b->abi != RG_LOG_STORE_ABI || b->size != sizeof *b || strcmp(b->kind, kind) != 0) {
        snprintf(err, RG_LOG_ERRMAX, "cannot load the store module %.200s: %.200s", file,
                 !b ? "no back end in it" : "built for another relgate");
        rg_log_module_unload(m);
        return NULL;
    }
    *backend = b;
    return m;
}

void rg_log_module_unload(rg_log_module *module)
{
    if (!module)
        return;
    if (module->handle)
        dlclose(module->handle);
    free(module);
}
