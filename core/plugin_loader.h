/* The loader child: the one place plugin files are opened as code (dlopen, their
 * constructors, their entry points) during discovery — never in the engine. */
#ifndef RG_PLUGIN_LOADER_H
#define RG_PLUGIN_LOADER_H

#include <stddef.h>

#include "plugins.h"

/* Called in search order with the description file INDEX sent (PAYLOAD, LEN bytes);
 * returns 0, or -1 with ERR to stop loading. */
typedef int (*rg_loader_take_fn)(void *arg, size_t index, const char *payload, size_t len,
                                 rg_error *err);

/* Load FILES (each open, fd pinned) in ONE child process with a time limit per file
 * (RG_PLUGIN_LOAD_TIMEOUT), its own process group, only those files and a pipe open,
 * and a minimal environment.  Each file's description comes back as a framed record
 * and goes to TAKE.  A file whose loading crashes, hangs, exits (with any status, 0
 * too, before or after its record), writes anything but its record, or fails to
 * describe itself stops the load: returns -1 with ERR naming the file (its index in
 * *FAILED_AT).  Returns 0
 * when every file was described and the child ended as the loader does, after the
 * last record and nothing more. */
int rg_plugin_loader_run(rg_plugin_file *const *files, size_t count, rg_loader_take_fn take,
                         void *arg, size_t *failed_at, rg_error *err);

/* In a plugin child: load the plugin open as descriptor FD, call its entry point.
 * Returns its descriptor, or NULL with *KIND (RG_LOAD_*) and *WHY (may be dlerror's).
 * BIND_NOW: resolve every symbol of the plugin and the libraries it brings now (a zygote,
 * whose children would otherwise each resolve the same ones again), else as they are
 * first called. */
enum {
    RG_LOAD_OK = 1,
    RG_LOAD_CANNOT_OPEN = 2,
    RG_LOAD_NO_SYMBOL = 3,
    RG_LOAD_NO_DESCRIPTOR = 4,
    RG_LOAD_OUT_OF_BOUNDS = 5
};
/* In the plugin host ("load COUNT"): the records pipe is descriptor 3, the COUNT plugin
 * files follow it; load and describe each in turn, send its record, end. */
void rg_plugin_loader_host(size_t count) __attribute__((noreturn));

const rg_plugin *rg_plugin_open_fd(int fd, int bind_now, int *kind, const char **why);

#endif
