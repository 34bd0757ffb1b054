/* hooks_http_post over libcurl, Debian's GnuTLS build. */
#include "hooks_http.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "curl_lib.h"

int hooks_http_init(char *why, size_t why_size)
{
    return rg_curl_open(why, why_size) ? 0 : -1;
}

/* A POST's answer is read and dropped: its status says what happened, and its text is
 * never logged (common/http_status.h). */
static size_t drop_body(char *data, size_t size, size_t n, void *user)
{
    (void)data;
    (void)user;
    return size * n;
}

typedef struct kept {
    char *data;
    size_t len, cap;
    int over;
} kept;

#define GET_BODY_MAX (1u << 20)

/* The whole body, up to GET_BODY_MAX: more ends the transfer (an error). */
static size_t keep_body(char *data, size_t size, size_t n, void *user)
{
    kept *k = user;
    size_t len = size * n;
    if (k->len + len > GET_BODY_MAX) {
        k->over = 1;
        return 0;
    }
    if (k->len + len + 1 > k->cap) {
        size_t cap = (k->len + len + 1) * 2;
        char *grown = realloc(k->data, cap);
        if (!grown)
            return 0;
        k->data = grown;
        k->cap = cap;
    }
    memcpy(k->data + k->len, data, len);
    k->len += len;
    k->data[k->len] = '\0';
    return len;
}

/* One exchange: with REQ->body, a POST whose answer is dropped; without,
 * a GET whose whole answer goes into K.  0 when a response arrived, -1 with REPLY->why. */
static int exchange(const hooks_post *req, hooks_reply *reply, kept *k)
{
    const rg_curl_lib *lib;
    struct curl_slist *headers = NULL;
    char errbuf[CURL_ERROR_SIZE] = "";
    CURLcode rc;
    CURL *c;

    memset(reply, 0, sizeof *reply);
    if (!(lib = rg_curl_open(reply->why, sizeof reply->why)) ||
        !(c = rg_curl_request(lib, req->url, req->headers, req->timeout, "relgate-serve/1.0 (+libcurl)", errbuf,
                              &headers, reply->why, sizeof reply->why)))
        return -1;
    if (req->body) {
        lib->easy_setopt(c, CURLOPT_POST, 1L);
        lib->easy_setopt(c, CURLOPT_POSTFIELDS, req->body);
        lib->easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(req->body));
        lib->easy_setopt(c, CURLOPT_WRITEFUNCTION, drop_body);
    } else {
        lib->easy_setopt(c, CURLOPT_HTTPGET, 1L);
        lib->easy_setopt(c, CURLOPT_WRITEFUNCTION, keep_body);
        lib->easy_setopt(c, CURLOPT_WRITEDATA, k);
    }
    rc = lib->easy_perform(c);
    if (rc == CURLE_OK)
        lib->easy_getinfo(c, CURLINFO_RESPONSE_CODE, &reply->status);
    else if (k && k->over)
        snprintf(reply->why, sizeof reply->why, "an answer of more than %u bytes", GET_BODY_MAX);
    else if (rc == CURLE_OPERATION_TIMEDOUT)
        snprintf(reply->why, sizeof reply->why, "no complete response within %.1f s", req->timeout);
    else
        snprintf(reply->why, sizeof reply->why, "%s%s%s", lib->easy_strerror(rc), errbuf[0] ? ": " : "", errbuf);
    lib->slist_free_all(headers);
    lib->easy_cleanup(c);
    return rc == CURLE_OK ? 0 : -1;
}

int hooks_http_get(const hooks_post *req, hooks_reply *reply, char **body)
{
    hooks_post get = *req;
    kept k = {0};
    get.body = NULL;
    *body = NULL;
    if (exchange(&get, reply, &k) != 0) {
        free(k.data);
        return -1;
    }
    *body = k.data ? k.data : strdup("");
    return *body ? 0 : -1;
}

int hooks_http_post(const hooks_post *req, hooks_reply *reply)
{
    return exchange(req, reply, NULL);
}
