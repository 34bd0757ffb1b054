/* ci_http_get in a ci plugin built without libcurl (-Dlive=disabled): a live source is an
 * error result, never a pass; replaying a saved context needs no HTTP client. */
#include <stdio.h>
#include <string.h>

#include "http.h"

int ci_http_available(void)
{
    return 0;
}

int ci_http_get(const ci_http_request *req, ci_http_response *resp)
{
    (void)req;
    memset(resp, 0, sizeof *resp);
    snprintf(resp->error, sizeof resp->error,
             "this ci plugin was built without libcurl (-Dlive=disabled): live evidence cannot be fetched");
    return -1;
}

void ci_http_response_free(ci_http_response *resp)
{
    (void)resp;
}
