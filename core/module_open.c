/* Opening the engine's own modules (module_open.h). */
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "module_open.h"

void *rg_module_open(const char *subdir, const char *installed_dir, const char *file,
                     const char *what, const char *feature, char *err, size_t err_size)
{
    char dir[PATH_MAX], path[PATH_MAX + 128];
    struct stat st;
    void *handle;
    if (!rg_build_tree_dir(subdir, dir, sizeof dir))
        snprintf(dir, sizeof dir, "%s", installed_dir);
    snprintf(path, sizeof path, "%s/%s", dir, file);
    if (stat(path, &st) != 0) {
        snprintf(err, err_size, "relgate was built without %s support (%.300s: %s)", feature, path,
                 strerror(errno));
        return NULL;
    }
    /* Refused unless only its owner (root or the user running relgate) can change it. */
    if ((st.st_uid != 0 && st.st_uid != geteuid()) || (st.st_mode & (S_IWGRP | S_IWOTH))) {
        snprintf(err, err_size, "%s %.300s may be changed by others than its owner", what, path);
        return NULL;
    }
    handle = dlopen(path, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
    if (!handle)
        snprintf(err, err_size, "cannot load %s %.200s: %.200s", what, path, dlerror());
    return handle;
}
