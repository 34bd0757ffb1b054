/* Loading a store module: our own code, built with the engine, found where the engine
 * was built or installed — never on a search path someone else controls. */
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "log_module.h"
#include "rg_config.h"

struct rg_log_module {
    void *handle;
};

rg_log_module *rg_log_module_load(const char *kind, const rg_log_backend **backend, char *err)
{
    char dir[PATH_MAX], path[PATH_MAX + 64];
    struct stat st;
    rg_log_module *m;
    rg_log_backend_fn entry;
    const rg_log_backend *b;
    if (!rg_build_tree_dir("stores", dir, sizeof dir))
        snprintf(dir, sizeof dir, "%s", RG_STOREDIR);
    snprintf(path, sizeof path, "%s/relgate-store-%s.so", dir, kind);
    if (stat(path, &st) != 0) {
        snprintf(err, RG_LOG_ERRMAX, "relgate was built without %s support (%.300s: %s)", kind, path, strerror(errno));
        return NULL;
    }
    /* Code the engine runs in its own process: refused unless only its owner (root or
     * the user running relgate) can change it. */
    if ((st.st_uid != 0 && st.st_uid != geteuid()) || (st.st_mode & (S_IWGRP | S_IWOTH))) {
        snprintf(err, RG_LOG_ERRMAX, "the store module %.300s may be changed by others than its owner", path);
        return NULL;
    }
    if (!(m = calloc(1, sizeof *m))) {
        snprintf(err, RG_LOG_ERRMAX, "out of memory");
        return NULL;
    }
    /* Never unmapped once loaded: libpq brings TLS and crypto libraries that keep
     * thread keys and exit handlers, which must not point into unmapped code later. */
    m->handle = dlopen(path, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
    entry = m->handle ? (rg_log_backend_fn)dlsym(m->handle, RG_LOG_BACKEND_SYMBOL) : NULL;
    b = entry ? entry() : NULL;
    if (!b || b->abi != RG_LOG_STORE_ABI || b->size != sizeof *b || strcmp(b->kind, kind) != 0) {
        snprintf(err, RG_LOG_ERRMAX, "cannot load the store module %.200s: %.200s", path,
                 !m->handle ? dlerror() : !b ? "no back end in it" : "built for another relgate");
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
