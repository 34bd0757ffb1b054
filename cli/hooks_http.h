/* The one HTTP request the hooks make: a JSON POST of a decision to a deployment tool
 * (libcurl, opened at the first callback: common/curl_lib.h). */
#ifndef HOOKS_HTTP_H
#define HOOKS_HTTP_H

#include <stddef.h>

typedef struct hooks_post {
    const char *url;
    const char *const *headers;   /* "Name: value", NULL-terminated (the credential among them) */
    const char *body;             /* JSON */
    double timeout;               /* seconds for the whole exchange */
} hooks_post;

typedef struct hooks_reply {
    long status;                  /* 0: no response (WHY says why); the body is not kept (http_status.h) */
    char why[256];
} hooks_reply;

/* Open libcurl now (before threads start).  0, or -1 with WHY. */
int hooks_http_init(char *why, size_t why_size);

/* POST REQ: TLS verified, http and https only, no redirect followed (a redirect is an
 * answer, not a place to send the credential to).  0 when a response arrived (any
 * status), -1 with REPLY->why. */
int hooks_http_post(const hooks_post *req, hooks_reply *reply);

/* GET REQ->url (REQ->body unused) as hooks_http_post does, the whole body (at most 1 MiB,
 * NUL-terminated) into *BODY (heap; free it) when a response arrived. */
int hooks_http_get(const hooks_post *req, hooks_reply *reply, char **body);

#endif
