/* libcurl, opened when first needed rather than linked: linked, it maps some 30 libraries
 * (GnuTLS, Kerberos, LDAP, SSH, ...) into every process that links it — the relgate
 * command's cold path and every plugin child — though most never speak HTTP
 * (docs/performance.md, "Live evidence").  Only Debian's GnuTLS build is opened, by its
 * soname (RG_LIBCURL; a build may define another), never the OpenSSL one: one crypto
 * family. */
#ifndef RG_CURL_LIB_H
#define RG_CURL_LIB_H

#include <curl/curl.h>
#include <stddef.h>

#ifndef RG_LIBCURL
#define RG_LIBCURL "libcurl-gnutls.so.4"
#endif

/* The libcurl functions relgate uses. */
typedef struct rg_curl_lib {
    CURLcode (*global_init)(long flags);
    CURL *(*easy_init)(void);
    CURLcode (*easy_setopt)(CURL *c, CURLoption option, ...);
    CURLcode (*easy_perform)(CURL *c);
    CURLcode (*easy_getinfo)(CURL *c, CURLINFO info, ...);
    void (*easy_cleanup)(CURL *c);
    const char *(*easy_strerror)(CURLcode code);
    struct curl_slist *(*slist_append)(struct curl_slist *list, const char *s);
    void (*slist_free_all)(struct curl_slist *list);
} rg_curl_lib;

/* Open libcurl and initialise it, once per process (call it before starting threads:
 * curl_global_init is not thread-safe everywhere).  Returns the functions, or NULL with
 * WHY (every later call fails the same way). */
const rg_curl_lib *rg_curl_open(char *why, size_t why_size);

/* An easy handle set up as every request relgate makes is (the ci plugin's evidence, the
 * service's callbacks): URL with HEADERS ("Name: value", NULL-terminated, may be NULL),
 * http and https only, no redirect followed, TLS verified, no signals (threads), the
 * whole request within SECONDS (the connection within 10 s of it), USER_AGENT, messages
 * into ERRBUF (CURL_ERROR_SIZE bytes).  *LIST receives the header list, freed after the
 * transfer with CURL->slist_free_all.  NULL with WHY when libcurl cannot start or memory
 * runs out.  The caller adds the method, the body and what it reads. */
CURL *rg_curl_request(const rg_curl_lib *curl, const char *url, const char *const *headers, double seconds,
                      const char *user_agent, char *errbuf, struct curl_slist **list, char *why, size_t why_size);

#endif
