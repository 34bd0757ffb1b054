/* relgate serve: the service (docs/service.md) is a program of its own, relgate-serve,
 * which this command execs.  It links libmicrohttpd and GnuTLS and runs threads; keeping
 * them out of this binary keeps them off relgate eval's cold path (a decision maps only
 * what it needs; tests/cli/test_attest.py holds that for GnuTLS). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "error.h"

#ifndef RG_LIBEXECDIR
#define RG_LIBEXECDIR "/usr/local/libexec/relgate"
#endif

/* relgate-serve beside this binary (the build tree), else where it is installed. */
static void find_server(char *out, size_t size)
{
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n > 0) {
        char *slash;
        self[n] = '\0';
        if ((slash = strrchr(self, '/')) != NULL) {
            *slash = '\0';
            snprintf(out, size, "%s/relgate-serve", self);
            if (access(out, X_OK) == 0)
                return;
        }
    }
    snprintf(out, size, "%s/relgate-serve", RG_LIBEXECDIR);
}

int rg_cmd_serve(int argc, char **argv)
{
    char path[PATH_MAX + 16];
    char **args = calloc((size_t)argc + 2, sizeof *args);
    if (!args)
        return RG_EXIT_ERROR;
    find_server(path, sizeof path);
    args[0] = path;
    for (int i = 0; i < argc; i++)
        args[i + 1] = argv[i];   /* "serve" and its options */
    fflush(NULL);
    execv(path, args);
    fprintf(stderr, "relgate: error: cannot run the server %s: %s (relgate was built without it, or it was "
                    "not installed)\n", path, strerror(errno));
    free(args);
    return RG_EXIT_ERROR;
}
