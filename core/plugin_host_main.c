/* relgate-plugin-host: where plugin code runs.  The engine starts it (rg_host_spawn) as a
 * fresh program rather than forking itself, so that a plugin never runs in a copy of the
 * engine's memory — the environment relgate was started with (CI tokens), a signing key,
 * a store's credentials, whatever a program embedding librelgate holds — but in an image
 * that holds only what it is sent: the plugin files, and the jobs of the checks.
 *
 *   relgate-plugin-host load ENGINE CPUS COUNT   the loader (plugin_loader.c)
 *   relgate-plugin-host zygote ENGINE CPUS       a plugin's zygote (plugin_zygote.c)
 *
 * Not a command for people: anything else, or a parent that is not ENGINE, ends it. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "isolate.h"
#include "plugin_child.h"
#include "plugin_loader.h"
#include "plugin_zygote.h"

#define HOST_USAGE 94   /* not started by an engine as one of its modes */

int main(int argc, char **argv)
{
    pid_t engine;
    if (argc < 4 || rg_host_enter(argc, argv, &engine) != 0)
        return HOST_USAGE;
    if (strcmp(argv[1], "load") == 0 && argc == 5) {
        char *end;
        unsigned long count = strtoul(argv[4], &end, 10);
        if (*end || count == 0 || count > 299)
            return HOST_USAGE;
        rg_plugin_loader_host((size_t)count);
    }
    if (strcmp(argv[1], "zygote") == 0 && argc == 4)
        rg_zygote_host(engine, rg_isolated_zygote_load, rg_isolated_zygote_child);
    return HOST_USAGE;
}
