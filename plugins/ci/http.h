/* One HTTP GET for the ci plugin's live evidence (libcurl, in the check's child only: the
 * engine never links an HTTP client).  No retries, no redirects followed: fetch.c decides
 * those, so every request it makes is one it chose and recorded. */
#ifndef CI_HTTP_H
#define CI_HTTP_H

#include <stddef.h>

typedef struct ci_http_request {
    const char *url;
    const char *const *headers;   /* "Name: value" lines, NULL-terminated (credentials among them) */
    double timeout;               /* seconds for the whole exchange */
    size_t max_bytes;             /* a larger body is an error, not a cut */
    const char *ca_file;          /* a CA bundle to verify against, or NULL: the system's */
} ci_http_request;

typedef struct ci_http_response {
    long status;                  /* 0: no response (see error) */
    char *body;                   /* heap, NUL-terminated */
    size_t len;
    char content_type[128];
    char link_next[2048];         /* Link: <...>; rel="next" (link.c) */
    int link_bad;                 /* a Link field that is not RFC 8288's grammar */
    char next_page[32];           /* GitLab x-next-page */
    char retry_after[64];
    char ratelimit_remaining[32]; /* x-ratelimit-remaining (GitHub), ratelimit-remaining (GitLab) */
    char ratelimit_reset[32];     /* epoch seconds */
    char location[2048];          /* a redirect's target, absolute */
    char error[512];              /* a transport failure: connection, TLS, timeout, truncation, size */
} ci_http_response;

/* Perform REQ.  Returns 0 when a complete response arrived (whatever its status), or -1
 * with RESP->error.  Free RESP with ci_http_response_free either way. */
int ci_http_get(const ci_http_request *req, ci_http_response *resp);
void ci_http_response_free(ci_http_response *resp);

/* Whether this plugin was built with an HTTP client (-Dlive). */
int ci_http_available(void);

#endif
