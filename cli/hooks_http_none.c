/* hooks_http for a build without libcurl's headers (-Dlive=disabled): --hooks refuses to
 * start rather than take webhooks it could never answer. */
#include <stdio.h>

#include "hooks_http.h"

int hooks_http_init(char *why, size_t why_size)
{
    snprintf(why, why_size, "this relgate was built without libcurl (-Dlive): the hooks cannot post decisions");
    return -1;
}

int hooks_http_get(const hooks_post *req, hooks_reply *reply, char **body)
{
    *body = NULL;
    return hooks_http_post(req, reply);
}

int hooks_http_post(const hooks_post *req, hooks_reply *reply)
{
    (void)req;
    snprintf(reply->why, sizeof reply->why, "built without libcurl");
    reply->status = 0;
    return -1;
}
