/* Opening libcurl at run time (curl_lib.h says why it is not linked). */
#include "curl_lib.h"

#include <dlfcn.h>
#include <stdio.h>

static rg_curl_lib lib;

const rg_curl_lib *rg_curl_open(char *why, size_t why_size)
{
    static int state;   /* 0 not tried, 1 ready, -1 failed */
    static char failure[256];
    struct { void **slot; const char *name; } syms[] = {
        {(void **)&lib.global_init, "curl_global_init"},   {(void **)&lib.easy_init, "curl_easy_init"},
        {(void **)&lib.easy_setopt, "curl_easy_setopt"},   {(void **)&lib.easy_perform, "curl_easy_perform"},
        {(void **)&lib.easy_getinfo, "curl_easy_getinfo"}, {(void **)&lib.easy_cleanup, "curl_easy_cleanup"},
        {(void **)&lib.easy_strerror, "curl_easy_strerror"}, {(void **)&lib.slist_append, "curl_slist_append"},
        {(void **)&lib.slist_free_all, "curl_slist_free_all"},
    };
    void *handle;
    if (state == 0) {
        state = -1;
        if (!(handle = dlopen(RG_LIBCURL, RTLD_NOW | RTLD_LOCAL))) {
            snprintf(failure, sizeof failure, "cannot open %s (Debian: libcurl3-gnutls): %s", RG_LIBCURL, dlerror());
        } else {
            size_t i;
            for (i = 0; i < sizeof syms / sizeof syms[0]; i++)
                if (!(*syms[i].slot = dlsym(handle, syms[i].name)))
                    break;
            if (i < sizeof syms / sizeof syms[0])
                snprintf(failure, sizeof failure, "%s has no %s", RG_LIBCURL, syms[i].name);
            else if (lib.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
                snprintf(failure, sizeof failure, "libcurl could not start");
            else
                state = 1;
        }
    }
    if (state < 0) {
        snprintf(why, why_size, "%s", failure);
        return NULL;
    }
    return &lib;
}

CURL *rg_curl_request(const rg_curl_lib *curl, const char *url, const char *const *headers, double seconds,
                      const char *user_agent, char *errbuf, struct curl_slist **list, char *why, size_t why_size)
{
    long ms = seconds > 0.001 ? (long)(seconds * 1000) : 1;
    CURL *c = curl->easy_init();
    *list = NULL;
    if (!c) {
        snprintf(why, why_size, "libcurl could not start");
        return NULL;
    }
    for (size_t i = 0; headers && headers[i]; i++) {
        struct curl_slist *more = curl->slist_append(*list, headers[i]);
        if (!more) {
            curl->slist_free_all(*list);
            *list = NULL;
            curl->easy_cleanup(c);
            snprintf(why, why_size, "out of memory");
            return NULL;
        }
        *list = more;
    }
    curl->easy_setopt(c, CURLOPT_URL, url);
    curl->easy_setopt(c, CURLOPT_HTTPHEADER, *list);
    curl->easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl->easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl->easy_setopt(c, CURLOPT_NOSIGNAL, 1L);   /* threads: no SIGALRM for DNS timeouts */
    curl->easy_setopt(c, CURLOPT_TIMEOUT_MS, ms);
    curl->easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, ms < 10000 ? ms : 10000L);
    curl->easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
    curl->easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
    curl->easy_setopt(c, CURLOPT_USERAGENT, user_agent);
    curl->easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    return c;
}
