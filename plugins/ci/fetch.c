/* Fetching a live source's pages like a careful client: bounded time, pages, bytes and
 * redirects; credentials only ever sent to the API's own origin, and to a plain-http one
 * only on this machine (the tests' loopback servers); rate limits waited out when they end
 * before the check's deadline; every failure an error naming the URL and the status. */
#define _GNU_SOURCE /* strcasestr */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "fetch.h"
#include "http.h"
#include "http_status.h"
#include "rfc3339.h"

static double monotonic(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void pause_for(double seconds)
{
    struct timespec ts;
    ts.tv_sec = (time_t)seconds;
    ts.tv_nsec = (long)((seconds - (double)ts.tv_sec) * 1e9);
    while (nanosleep(&ts, &ts) != 0)
        ;
}

/* scheme://authority of URL into OUT; -1 unless http(s) without user information. */
static int origin_of(const char *url, char *out, size_t size)
{
    const char *rest = strncmp(url, "https://", 8) == 0 ? url + 8 : strncmp(url, "http://", 7) == 0 ? url + 7 : NULL;
    size_t n;
    if (!rest)
        return -1;
    n = strcspn(rest, "/?#");
    if (n == 0 || memchr(rest, '@', n) || (size_t)(rest - url) + n >= size)
        return -1;
    memcpy(out, url, (size_t)(rest - url) + n);
    out[(size_t)(rest - url) + n] = '\0';
    return 0;
}

/* A plain-http origin is allowed only on the loopback interface: a credential (or the
 * evidence) must not cross a network in clear. */
static int origin_allowed(const char *origin)
{
    static const char *const loopback[] = {"http://127.0.0.1", "http://localhost", "http://[::1]", NULL};
    if (strncmp(origin, "https://", 8) == 0)
        return 1;
    for (size_t i = 0; loopback[i]; i++) {
        size_t n = strlen(loopback[i]);
        if (strncmp(origin, loopback[i], n) == 0 && (origin[n] == '\0' || origin[n] == ':'))
            return 1;
    }
    return 0;
}

static const char *env(const char *a, const char *b)
{
    const char *v = getenv(a);
    if ((!v || !*v) && b)
        v = getenv(b);
    return v && *v ? v : NULL;
}

void ci_fetch_encode(char *out, size_t size, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = strlen(out);
    for (; *s && n + 4 < size; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
            c == '.' || c == '~') {
            out[n++] = (char)c;
        } else {
            out[n++] = '%';
            out[n++] = hex[c >> 4];
            out[n++] = hex[c & 15];
        }
    }
    out[n] = '\0';
}

/* A replay's API base: its first recorded URL up to the API's own path ("/repos/",
 * "/projects/"), so it builds the very URLs it recorded whatever this machine's
 * environment says. */
static int replay_base(ci_fetch *f, int github, char *why, size_t why_size)
{
    const char *url = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(f->recorded, 0), "url"));
    const char *at = url ? strstr(url, github ? "/repos/" : "/projects/") : NULL;
    if (!at || (size_t)(at - url) >= sizeof f->base) {
        snprintf(why, why_size, "the recording of evidence '%s' does not start with a %s API URL", f->name,
                 github ? "GitHub" : "GitLab");
        return -1;
    }
    memcpy(f->base, url, (size_t)(at - url));
    f->base[at - url] = '\0';
    return 0;
}

int ci_fetch_open(ci_fetch *f, const rg_host *h, rg_check_call *call, const char *name, const cJSON *source,
                  int github, size_t max_pages, char *why, size_t why_size)
{
    const char *base, *token, *header;
    double left = h->time_left(call);
    size_t n = 0;

    memset(f, 0, sizeof *f);
    f->h = h;
    f->call = call;
    f->name = name;
    f->max_pages = max_pages;
    f->end = monotonic() + (left >= 0 ? left - 0.5 : CI_FETCH_BUDGET);   /* answer before the engine's kill */
    f->recorded = cJSON_GetObjectItemCaseSensitive(source, "recorded");
    if (f->recorded) {
        f->replay = 1;
        return replay_base(f, github, why, why_size);
    }
    if (github) {
        base = env("GITHUB_API_URL", NULL);
        base = base ? base : "https://api.github.com";
        token = env("GITHUB_TOKEN", "GH_TOKEN");
        header = "Authorization: Bearer ";
    } else {
        base = env("CI_API_V4_URL", NULL);
        base = base ? base : "https://gitlab.com/api/v4";
        token = env("GITLAB_TOKEN", NULL);
        header = token ? "PRIVATE-TOKEN: " : "JOB-TOKEN: ";
        if (!token)
            token = env("CI_JOB_TOKEN", NULL);
    }
    if (strlen(base) >= sizeof f->base || origin_of(base, f->origin, sizeof f->origin) != 0 || strchr(base, '?')) {
        snprintf(why, why_size, "%s is not an http(s) URL without user information: %.200s",
                 github ? "GITHUB_API_URL" : "CI_API_V4_URL", base);
        return -1;
    }
    if (!origin_allowed(f->origin)) {
        snprintf(why, why_size, "%s %s is plain http on another machine: evidence and credentials go over https only",
                 github ? "GITHUB_API_URL" : "CI_API_V4_URL", f->origin);
        return -1;
    }
    snprintf(f->base, sizeof f->base, "%s", base);
    while (f->base[0] && f->base[strlen(f->base) - 1] == '/')
        f->base[strlen(f->base) - 1] = '\0';
    if (token) {
        if (strpbrk(token, "\r\n") || strlen(header) + strlen(token) >= sizeof f->auth) {
            snprintf(why, why_size, "the %s token in the environment is not a single line of usable length",
                     github ? "GitHub" : "GitLab");
            return -1;
        }
        memcpy(f->auth, header, strlen(header));
        memcpy(f->auth + strlen(header), token, strlen(token) + 1);
        f->headers[n++] = f->auth;
    }
    if (github) {
        f->headers[n++] = "Accept: application/vnd.github+json";
        f->headers[n++] = "X-GitHub-Api-Version: 2022-11-28";
    } else {
        f->headers[n++] = "Accept: application/json";
    }
    f->headers[n] = NULL;
    f->ca_file = env("CURL_CA_BUNDLE", "SSL_CERT_FILE");
    return 0;
}

static int replay_page(ci_fetch *f, const char *url, ci_page *page, char *why, size_t why_size)
{
    const char *rurl = NULL, *next = NULL, *data, *reason;
    size_t len;
    int rc = f->h->recorded_page(f->call, f->name, f->pages, &rurl, &next, &data, &len, &reason);
    if (rc < 0) {
        snprintf(why, why_size, "%s", reason);
        return -1;
    }
    if (rc == 0 || strcmp(rurl, url) != 0) {
        snprintf(why, why_size, "the recording of evidence '%s' does not replay this fetch: page %zu asks for %s, "
                 "the recording has %s", f->name, f->pages + 1, url, rc == 0 ? "no more pages" : rurl);
        return -1;
    }
    if (!(page->body = malloc(len + 1))) {
        snprintf(why, why_size, "out of memory");
        return -1;
    }
    memcpy(page->body, data, len);
    page->body[len] = '\0';
    page->len = len;
    /* The next page is the one the live answer named: a recording that stops before it
     * (the live fetch failed there) cannot be replayed as a whole listing. */
    if (next)
        snprintf(page->next, sizeof page->next, "%s", next);
    f->pages++;
    return 0;
}

/* URL with its page parameter set to PAGE (GitLab's x-next-page: offset pagination). */
static void with_page(const char *url, const char *pagenum, char *out, size_t size)
{
    size_t n = 0;
    const char *p = url;
    out[0] = '\0';
    while (*p && n + 1 < size) {
        if ((*p == '?' || *p == '&') && strncmp(p + 1, "page=", 5) == 0) {
            p += 6;
            p += strcspn(p, "&#");
            continue;   /* the old page parameter is dropped */
        }
        out[n++] = *p++;
    }
    out[n] = '\0';
    snprintf(out + n, size - n, "%cpage=%s", strchr(out, '?') ? '&' : '?', pagenum);
}

/* The page number URL's query names (its page parameter: decimal digits), MISSING
 * without one, or 0 when it is not a number (or over a million: no listing relgate
 * reads). */
static long page_number(const char *url, long missing)
{
    const char *q = strchr(url, '?');
    while (q && *q) {
        if ((*q == '?' || *q == '&') && strncmp(q + 1, "page=", 5) == 0) {
            const char *digits = q + 6;
            size_t n = strspn(digits, "0123456789");
            if (n == 0 || n > 6 || (digits[n] && digits[n] != '&' && digits[n] != '#'))
                return 0;
            return strtol(digits, NULL, 10);
        }
        q = strchr(q + 1, '&');
    }
    return missing;
}

/* The next page's URL, in NEXT: relgate's own, the page's URL with its page number one
 * more, when the server says there is one (GitHub's Link rel="next" naming that number
 * on the API's origin, GitLab's x-next-page).  What the server sent is read for that
 * number and nothing else: its text is neither followed nor recorded (a next link quoting
 * the token cut or encoded went into the decision and the log: hostile round 35, F01),
 * and a listing can neither skip a page (which could hold a failure) nor go back.
 * Returns 0 (NEXT empty on the last page), or -1 with WHY (relgate's words). */
static int next_page_url(const ci_fetch *f, const char *url, const ci_http_response *r, char *next, size_t size,
                         char *why, size_t why_size)
{
    char origin[512], number[24];
    long here = page_number(url, 1), named;
    next[0] = '\0';
    if (!r->link_next[0] && !r->next_page[0])
        return 0;
    if (r->link_next[0]) {
        if (origin_of(r->link_next, origin, sizeof origin) != 0 || strcmp(origin, f->origin) != 0) {
            snprintf(why, why_size, "the next page's link is off the API's origin %s: refused (not shown)", f->origin);
            return -1;
        }
        named = page_number(r->link_next, 0);
    } else {
        size_t n = strspn(r->next_page, "0123456789");
        named = n > 0 && n <= 6 && r->next_page[n] == '\0' ? strtol(r->next_page, NULL, 10) : 0;
    }
    if (named <= 0) {
        snprintf(why, why_size, "the next page is not named by a page number (not shown): relgate follows "
                 "numbered pages only");
        return -1;
    }
    if (here <= 0 || named != here + 1) {
        snprintf(why, why_size, "the next page named is page %ld, not page %ld: a listing that skips or goes back "
                 "could leave out failures", named, here + 1);
        return -1;
    }
    snprintf(number, sizeof number, "%ld", named);
    with_page(url, number, next, size);
    return 0;
}

/* A wait until a time that has already come (a reset a second ago, a clock a little
 * behind the server's) is no wait: ask again now, not fail as if not rate limited. */
static double at_least_now(double seconds)
{
    return seconds > 0 ? seconds : 0;
}

/* The wait a rate-limited answer asks for, in seconds, or -1 when it is not one. */
static double rate_limit_wait(const ci_http_response *r)
{
    int hinted = r->retry_after[0] || strcmp(r->ratelimit_remaining, "0") == 0;
    if (r->status != 429 && !(r->status == 403 && hinted))
        return -1;
    if (r->retry_after[0]) {
        char *end;
        double s = strtod(r->retry_after, &end);
        rg_time when;
        if (*end == '\0' && s >= 0)
            return s;
        if (rg_timestamp_parse(r->retry_after, RG_TIME_REPORT, 0, &when, NULL) == 0)
            return at_least_now((double)(when.seconds - (int64_t)time(NULL)));
    }
    if (r->ratelimit_reset[0]) {
        char *end;
        double reset = strtod(r->ratelimit_reset, &end);
        if (*end == '\0')
            return at_least_now(reset - (double)time(NULL));
    }
    return 60;   /* GitHub's advice when it names no time: at least a minute */
}

/* Whether STATUS is a server's passing trouble (a proxy or the API briefly down), worth
 * asking again: 500, 502, 503, 504.  Other 5xx (501 Not Implemented, 505) do not go away. */
static int transient_status(long status)
{
    return status == 500 || status == 502 || status == 503 || status == 504;
}

/* The wait before retry RETRY (1, 2, ...) of a transient answer: its Retry-After when it
 * gives seconds (a 503 may), else 1 s doubling — a gate is one client, so no jitter. */
static double backoff(const ci_http_response *r, int retry)
{
    if (r->retry_after[0]) {
        char *end;
        double s = strtod(r->retry_after, &end);
        if (*end == '\0' && s >= 0)
            return s;
    }
    return (double)(1 << (retry - 1));
}

/* The credential F sends (the value of its header), or NULL. */
static const char *secret_of(const ci_fetch *f)
{
    const char *colon = strchr(f->auth, ':');
    if (!colon)
        return NULL;
    colon++;
    while (*colon == ' ')
        colon++;
    if (strncasecmp(colon, "Bearer ", 7) == 0)
        colon += 7;
    return *colon ? colon : NULL;
}

/* Does the URL S (a redirect's target) quote the credential, or name a request header that
 * carries one?  Such a URL is refused, neither followed nor shown: it would send the token
 * where the server asks.  (A next page is relgate's own URL: next_page_url.) */
static int quotes_credential(const ci_fetch *f, const char *s)
{
    static const char *const headers[] = {"authorization", "bearer ", "private-token", "job-token", NULL};
    const char *secret = secret_of(f);
    if (secret && strstr(s, secret))
        return 1;
    for (size_t i = 0; headers[i]; i++)
        if (strcasestr(s, headers[i]))
            return 1;
    return 0;
}

/* relgate's own words for a status that is not a page (never the server's text:
 * common/http_status.h). */
static const char *status_words(long status)
{
    const char *words = rg_http_status_words(status);
    if (words)
        return words;
    if (status > 200 && status < 300)
        return "not a whole page (only 200 is read)";
    return status >= 300 && status < 400 ? "a redirect without a target" : "not a page";
}

static int json_type(const char *ct)
{
    size_t n = strcspn(ct, "; ");
    return (n == 16 && strncasecmp(ct, "application/json", 16) == 0) ||
           (n > 17 && strncasecmp(ct, "application/", 12) == 0 && strncasecmp(ct + n - 5, "+json", 5) == 0);
}

int ci_fetch_page(ci_fetch *f, const char *url, const char *shown, ci_page *page, char *why, size_t why_size)
{
    char target[2048], origin[512], where[2400], reason_text[1024];
    const char *reason;
    int redirects = 0, retries = 0;

    memset(page, 0, sizeof *page);
    if (f->pages >= f->max_pages) {
        snprintf(why, why_size, "%s: more than %zu pages (max_pages); the rest could hold failures", f->first_url,
                 f->max_pages);
        return -1;
    }
    if (!f->first_url[0])
        snprintf(f->first_url, sizeof f->first_url, "%s", url);
    if (f->replay)
        return replay_page(f, url, page, why, why_size);
    snprintf(target, sizeof target, "%s", url);
    for (int attempt = 0;; attempt++) {
        ci_http_request req;
        ci_http_response r;
        double left = f->end - monotonic(), wait;
        /* Named in relgate's words: a redirect's target is the server's text, never shown. */
        snprintf(where, sizeof where, "%s%s", shown, redirects ? " (after a redirect)" : "");
        if (origin_of(target, origin, sizeof origin) != 0 || strcmp(origin, f->origin) != 0) {
            snprintf(why, why_size, "%s: %s off the API's origin %s: refused (not shown)", where,
                     redirects ? "a redirect leads" : "the page's URL is", f->origin);
            return -1;
        }
        if (left < 0.05) {
            snprintf(why, why_size, "%s: no time left before the check's timeout", where);
            return -1;
        }
        req.url = target;
        req.headers = f->headers;
        req.timeout = left;
        req.max_bytes = CI_FETCH_TOTAL_MAX - f->bytes < CI_FETCH_PAGE_MAX ? CI_FETCH_TOTAL_MAX - f->bytes
                                                                          : CI_FETCH_PAGE_MAX;
        req.ca_file = f->ca_file;
        if (ci_http_get(&req, &r) != 0) {
            snprintf(why, why_size, "%s: %s", where, r.error);
            ci_http_response_free(&r);
            return -1;
        }
        if (r.status >= 300 && r.status < 400 && r.location[0]) {
            ci_http_response_free(&r);
            if (++redirects > CI_FETCH_REDIRECTS) {
                snprintf(why, why_size, "%s: more than %d redirects (a loop?)", shown, CI_FETCH_REDIRECTS);
                return -1;
            }
            if (quotes_credential(f, r.location)) {
                snprintf(why, why_size, "%s: HTTP %ld redirects to a URL that quotes the credential (not shown): "
                         "refused", where, r.status);
                return -1;
            }
            snprintf(target, sizeof target, "%s", r.location);
            continue;
        }
        if ((wait = rate_limit_wait(&r)) >= 0) {
            ci_http_response_free(&r);
            if (wait < 0.001)
                wait = 0.001;
            if (attempt >= 4 || wait >= f->end - monotonic() - 0.1) {
                snprintf(why, why_size, "%s: rate limited (HTTP %ld); the limit lifts in %.0f s, after the check's "
                         "timeout", where, r.status, wait);
                return -1;
            }
            f->h->log(f->call, "%s: rate limited (HTTP %ld), waiting %.1f s", where, r.status, wait);
            pause_for(wait);
            continue;
        }
        if (transient_status(r.status)) {
            /* Asked again a few times, each wait within the check's time; the error names
             * the last status and how often it was asked. */
            wait = backoff(&r, retries + 1);
            if (retries < CI_FETCH_RETRIES && wait < f->end - monotonic() - 0.1) {
                retries++;
                f->h->log(f->call, "%s: HTTP %ld, asking again in %.1f s (retry %d of %d)", where, r.status, wait,
                          retries, CI_FETCH_RETRIES);
                ci_http_response_free(&r);
                pause_for(wait);
                continue;
            }
            snprintf(why, why_size, "%s: HTTP %ld: %s (asked %d time%s%s)", where, r.status, status_words(r.status),
                     retries + 1,
                     retries ? "s" : "",
                     retries < CI_FETCH_RETRIES ? ", no time left to ask again before the check's timeout" : "");
            ci_http_response_free(&r);
            return -1;
        }
        if (r.status != 200) {
            /* Only a 200 is a whole page: a 206 is part of one (a cache answering a range),
             * a 203 a proxy's rewrite, a 202 or 204 no listing at all. */
            snprintf(why, why_size, "%s: HTTP %ld: %s", where, r.status, status_words(r.status));
            ci_http_response_free(&r);
            return -1;
        }
        if (!json_type(r.content_type)) {
            /* Its Content-Type is the server's text: not shown either. */
            snprintf(why, why_size, "%s: the answer is %s, not JSON", where,
                     r.content_type[0] ? "of another type" : "of no declared type");
            ci_http_response_free(&r);
            return -1;
        }
        if (r.link_bad) {
            snprintf(why, why_size, "%s: the Link header is not a link list (RFC 8288): its next page cannot be "
                     "read, and the page cannot be taken as the last", where);
            ci_http_response_free(&r);
            return -1;
        }
        if (next_page_url(f, url, &r, page->next, sizeof page->next, reason_text, sizeof reason_text) != 0) {
            snprintf(why, why_size, "%s: %s", where, reason_text);
            ci_http_response_free(&r);
            return -1;
        }
        /* Recorded before it is read: what the decision is based on is in its evidence. */
        if (f->h->record_fetch(f->call, f->name, url, page->next[0] ? page->next : NULL, r.body, r.len,
                               &reason) != 0) {
            snprintf(why, why_size, "%s: %s", where, reason);
            ci_http_response_free(&r);
            return -1;
        }
        f->bytes += r.len;
        f->pages++;
        page->body = r.body;
        page->len = r.len;
        return 0;
    }
}

int ci_fetch_close(ci_fetch *f, char *why, size_t why_size)
{
    if (f->replay && (size_t)cJSON_GetArraySize(f->recorded) != f->pages) {
        snprintf(why, why_size, "the recording of evidence '%s' has %d pages, the fetch replayed %zu", f->name,
                 cJSON_GetArraySize(f->recorded), f->pages);
        return -1;
    }
    return 0;
}
