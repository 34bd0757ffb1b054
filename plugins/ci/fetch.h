/* Pages of a live evidence source, fetched (http.c) or replayed from a saved context
 * (the host's recorded_page): one interface, so the GitHub and GitLab readers build the
 * same document either way, and a replayed decision is the live one. */
#ifndef CI_FETCH_H
#define CI_FETCH_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "relgate/plugin.h"

#define CI_FETCH_PAGE_MAX ((size_t)16 << 20)   /* bytes a page may have */
#define CI_FETCH_TOTAL_MAX ((size_t)64 << 20)  /* bytes a source may fetch in all */
#define CI_FETCH_REDIRECTS 5                  /* redirects a request may follow, same origin only */
#define CI_FETCH_RETRIES 3                    /* times a 500/502/503/504 is asked again */
#define CI_FETCH_BUDGET 60.0                  /* seconds, where the check has no deadline */

typedef struct ci_fetch {
    const rg_host *h;
    rg_check_call *call;
    const char *name;           /* the evidence name */
    int replay;                 /* the entry carries "recorded": pages come from it */
    const cJSON *recorded;      /* that list (replay) */
    char base[1024];            /* the API base, without a trailing '/' */
    char origin[512];           /* scheme://host[:port] of BASE: the only origin requests go to */
    char auth[2048];            /* the credential header, or "" (never printed) */
    const char *headers[5];     /* what every request sends */
    const char *ca_file;        /* CURL_CA_BUNDLE / SSL_CERT_FILE, or NULL */
    double end;                 /* CLOCK_MONOTONIC time by which the fetch must be done */
    size_t pages, max_pages, bytes;
    char first_url[2048];
} ci_fetch;

typedef struct ci_page {
    char *body;                 /* heap, NUL-terminated */
    size_t len;
    char next[2048];            /* the next page's URL, or "" */
} ci_page;

/* Start fetching live evidence NAME whose entry is SOURCE (parsed evidence_source text),
 * a GitHub (GITHUB) or GitLab source: API base and credential from the environment (a
 * replay needs neither).  Returns 0, or -1 with WHY. */
int ci_fetch_open(ci_fetch *f, const rg_host *h, rg_check_call *call, const char *name, const cJSON *source,
                  int github, size_t max_pages, char *why, size_t why_size);

/* Fetch (or replay) URL into PAGE: a 200 JSON body, recorded with the host.  Follows
 * same-origin redirects, waits out rate limits that end within the check's time, asks
 * again after a 500, 502, 503 or 504 (CI_FETCH_RETRIES times, 1, 2, 4 s apart or as
 * Retry-After says, each wait within the check's time), and
 * fails — returns -1 with WHY naming the page as SHOWN says and the status — on
 * anything else.  SHOWN is relgate's own words for the page (the URL it built, "... (page
 * 2)"): a later page's URL, a redirect's target and every header are the server's text,
 * never shown, since a server echoing the request could quote the credential in them.
 * Free PAGE->body. */
int ci_fetch_page(ci_fetch *f, const char *url, const char *shown, ci_page *page, char *why, size_t why_size);

/* The end of a fetch: a replay must have used every page it recorded.  0 or -1 with WHY. */
int ci_fetch_close(ci_fetch *f, char *why, size_t why_size);

/* Append the percent-encoded form of S (a GitLab "group/name" path) to OUT. */
void ci_fetch_encode(char *out, size_t size, const char *s);

#endif
