/* relgate serve: where the deployment integrations (GitHub, GitLab, Argo) plug into the
 * server (serve.h): their options and their routes.  This file is theirs; the server's
 * core only calls it. */
#include <stddef.h>

#include "serve.h"

const rg_serve_extra_option rg_serve_hook_options[] = {
    {NULL, NULL, NULL},
};

int rg_serve_hooks_register(rg_serve *srv)
{
    (void)srv;
    return 0;
}
