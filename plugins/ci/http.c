/* ci_http_get over libcurl (Debian's GnuTLS build: the project's one crypto family).
 * Verification stays on; only http and https; a body past the cap, a response cut short
 * or a timeout is an error, never a shorter page.
 *
 * libcurl is opened when the first live source is fetched, not linked: linked, it maps
 * some 30 libraries (GnuTLS, Kerberos, LDAP, SSH, ...) into every child that loads the ci
 * plugin — every ci.status check and the plugin loader — though most read files
 * (docs/performance.md, "Live evidence").  common/curl_lib.c opens it, the GnuTLS build
 * only, for the service's deployment callbacks too. */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "curl_lib.h"
#include "http.h"
#include "link.h"

typedef struct sink {
    ci_http_response *resp;
    size_t cap, max;
    int too_large;
} sink;

int ci_http_available(void)
{
    return 1;
}

static size_t on_body(char *data, size_t size, size_t n, void *user)
{
    sink *s = user;
    size_t len = size * n;
    if (len > s->max - s->resp->len) {
        s->too_large = 1;
        return 0;   /* aborts the transfer: CURLE_WRITE_ERROR */
    }
    if (s->resp->len + len + 1 > s->cap) {
        size_t cap = s->cap ? s->cap : 16384;
        char *grown;
        while (cap < s->resp->len + len + 1)
            cap *= 2;
        if (!(grown = realloc(s->resp->body, cap)))
            return 0;
        s->resp->body = grown;
        s->cap = cap;
    }
    memcpy(s->resp->body + s->resp->len, data, len);
    s->resp->len += len;
    s->resp->body[s->resp->len] = '\0';
    return len;
}

/* VALUE (LEN bytes, trimmed) into OUT (SIZE), cut to fit. */
static void keep(char *out, size_t size, const char *value, size_t len)
{
    while (len && (value[0] == ' ' || value[0] == '\t')) {
        value++;
        len--;
    }
    while (len && (value[len - 1] == '\r' || value[len - 1] == '\n' || value[len - 1] == ' '))
        len--;
    if (len >= size)
        len = size - 1;
    memcpy(out, value, len);
    out[len] = '\0';
}

/* A Link field line: its next page (link.c), unless an earlier Link line gave one; a line
 * that is not a Link value marks the response (fetch.c refuses it). */
static void link_next(ci_http_response *r, const char *v, size_t len)
{
    char next[sizeof r->link_next];
    int rc = ci_link_next(v, len, next, sizeof next);
    if (rc < 0)
        r->link_bad = 1;
    else if (rc > 0 && !r->link_next[0])
        memcpy(r->link_next, next, strlen(next) + 1);
}

static size_t on_header(char *line, size_t size, size_t n, void *user)
{
    ci_http_response *r = user;
    size_t len = size * n;
    const char *colon = memchr(line, ':', len);
    if (len >= 5 && strncmp(line, "HTTP/", 5) == 0) {
        /* A new response (after a 100 Continue): forget the headers of the last. */
        r->content_type[0] = r->link_next[0] = r->next_page[0] = r->retry_after[0] = '\0';
        r->ratelimit_remaining[0] = r->ratelimit_reset[0] = '\0';
        r->link_bad = 0;
    }
    if (colon) {
        size_t name = (size_t)(colon - line), vlen = len - name - 1;
        const char *v = colon + 1;
#define IS(h) (name == sizeof h - 1 && strncasecmp(line, h, name) == 0)
        if (IS("content-type"))
            keep(r->content_type, sizeof r->content_type, v, vlen);
        else if (IS("link"))
            link_next(r, v, vlen);
        else if (IS("x-next-page"))
            keep(r->next_page, sizeof r->next_page, v, vlen);
        else if (IS("retry-after"))
            keep(r->retry_after, sizeof r->retry_after, v, vlen);
        else if (IS("x-ratelimit-remaining") || IS("ratelimit-remaining"))
            keep(r->ratelimit_remaining, sizeof r->ratelimit_remaining, v, vlen);
        else if (IS("x-ratelimit-reset") || IS("ratelimit-reset"))
            keep(r->ratelimit_reset, sizeof r->ratelimit_reset, v, vlen);
#undef IS
    }
    return len;
}

int ci_http_get(const ci_http_request *req, ci_http_response *resp)
{
    struct curl_slist *headers = NULL;
    sink s = {resp, 0, req->max_bytes, 0};
    char errbuf[CURL_ERROR_SIZE] = "";
    CURLcode rc;
    CURL *c;
    char *redirect = NULL;
    const rg_curl_lib *lib;

    memset(resp, 0, sizeof *resp);
    if (!(lib = rg_curl_open(resp->error, sizeof resp->error)) ||
        !(c = rg_curl_request(lib, req->url, req->headers, req->timeout, "relgate-ci/1.0 (+libcurl)", errbuf,
                              &headers, resp->error, sizeof resp->error)))
        return -1;
    lib->easy_setopt(c, CURLOPT_HTTPGET, 1L);
    if (req->ca_file)
        lib->easy_setopt(c, CURLOPT_CAINFO, req->ca_file);
    lib->easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)req->max_bytes);
    lib->easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    lib->easy_setopt(c, CURLOPT_WRITEDATA, &s);
    lib->easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    lib->easy_setopt(c, CURLOPT_HEADERDATA, resp);

    rc = lib->easy_perform(c);
    if (rc == CURLE_OK) {
        lib->easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp->status);
        if (lib->easy_getinfo(c, CURLINFO_REDIRECT_URL, &redirect) == CURLE_OK && redirect)
            keep(resp->location, sizeof resp->location, redirect, strlen(redirect));
        if (!resp->body && !(resp->body = calloc(1, 1))) {
            strcpy(resp->error, "out of memory");
            rc = CURLE_OUT_OF_MEMORY;
        }
    } else if (s.too_large || rc == CURLE_FILESIZE_EXCEEDED) {
        snprintf(resp->error, sizeof resp->error, "the response is larger than %zu bytes", req->max_bytes);
    } else if (rc == CURLE_PARTIAL_FILE) {
        snprintf(resp->error, sizeof resp->error, "the response was cut short (%zu bytes arrived)", resp->len);
    } else if (rc == CURLE_OPERATION_TIMEDOUT) {
        snprintf(resp->error, sizeof resp->error, "no complete response within %.1f s", req->timeout);
    } else {
        snprintf(resp->error, sizeof resp->error, "%s%s%s", lib->easy_strerror(rc), errbuf[0] ? ": " : "", errbuf);
    }
    lib->slist_free_all(headers);
    lib->easy_cleanup(c);
    if (rc != CURLE_OK)
        resp->status = 0;
    return rc == CURLE_OK ? 0 : -1;
}

void ci_http_response_free(ci_http_response *resp)
{
    free(resp->body);
    resp->body = NULL;
    resp->len = 0;
}
