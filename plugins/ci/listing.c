/* Paginated listings merged into one document.  Each page must parse as strictly as a
 * report file (ci_json_parse: one document, no key twice) and have the listing's shape,
 * and every page must declare the same total: a truncated, foreign or shifting page is
 * an error, never fewer checks. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ci_parse.h"
#include "listing.h"

static cJSON *parse_page(const char *url, ci_page *page, char *why, size_t why_size)
{
    char what[256];
    cJSON *doc = ci_json_parse(page->body, page->len, what, sizeof what);
    if (!doc)
        snprintf(why, why_size, "%s: the answer is not well-formed JSON, one document with no key twice "
                 "(%zu bytes): %s", url, page->len, what);
    return doc;
}

/* DOC's total_count into *TOTAL: 1 when it gives one, 0 when it gives none, -1 (WHY) when
 * it gives something that is not a count. */
static int page_total(const cJSON *doc, const char *url, double *total, char *why, size_t why_size)
{
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(doc, "total_count");
    if (!t)
        return 0;
    if (!cJSON_IsNumber(t) || !isfinite(t->valuedouble) || t->valuedouble < 0 ||
        t->valuedouble != floor(t->valuedouble)) {
        snprintf(why, why_size, "%s: total_count is not a count", url);
        return -1;
    }
    *total = t->valuedouble;
    return 1;
}

cJSON *ci_listing_fetch(ci_fetch *f, const char *url, const char *key, char *why, size_t why_size)
{
    cJSON *merged = NULL, *into = NULL;
    char current[2048], place[2400];
    double total = 0;
    int has_total = 0;
    size_t page_no = 0;
    snprintf(current, sizeof current, "%s", url);
    while (current[0]) {
        ci_page page;
        cJSON *doc, *items, *item;
        double this_total = 0;
        int has_this;
        /* In relgate's words: page 2's URL on is the server's (ci_fetch_page). */
        if (page_no == 0)
            snprintf(place, sizeof place, "%s", url);
        else
            snprintf(place, sizeof place, "%s (page %zu)", url, page_no + 1);
        if (ci_fetch_page(f, current, place, &page, why, why_size) != 0)
            break;
        doc = parse_page(place, &page, why, why_size);
        free(page.body);
        if (!doc)
            break;
        page_no++;
        items = key ? cJSON_GetObjectItemCaseSensitive(doc, key) : doc;
        if (!cJSON_IsArray(items)) {
            snprintf(why, why_size, "%s: the answer is not a page of %s", place, key ? key : "a list");
            cJSON_Delete(doc);
            break;
        }
        /* Every page's total must be the first's: a total that changes (or comes and goes)
         * says the listing moved while it was paged, and the pages read may miss results
         * that are on none of them. */
        if ((has_this = key ? page_total(doc, place, &this_total, why, why_size) : 0) < 0) {
            cJSON_Delete(doc);
            break;
        }
        if (page_no == 1) {
            has_total = has_this;
            total = this_total;
        } else if (has_this != has_total || this_total != total) {
            char said[32] = "none", first[32] = "none";
            if (has_this)
                snprintf(said, sizeof said, "%.0f", this_total);
            if (has_total)
                snprintf(first, sizeof first, "%.0f", total);
            snprintf(why, why_size, "%s: page %zu declares total_count %s, page 1 declared %s: the listing changed "
                     "while it was paged, so results may be on no page read", place, page_no, said, first);
            cJSON_Delete(doc);
            break;
        }
        if (!merged) {
            merged = doc;   /* the first page is the document; later pages' items join it */
            into = items;
        } else {
            while ((item = items->child)) {
                cJSON_DetachItemViaPointer(items, item);
                cJSON_AddItemToArray(into, item);
            }
            cJSON_Delete(doc);
        }
        snprintf(current, sizeof current, "%s", page.next);
        if (current[0])
            continue;
        if (has_total && (double)cJSON_GetArraySize(into) > total) {
            snprintf(why, why_size, "%s: %d results on %zu pages, every page declaring total_count %.0f: the "
                     "listing changed while it was paged", url, cJSON_GetArraySize(into), page_no, total);
            break;
        }
        return merged;   /* fewer than the total: ci.status fails it (declared_total) */
    }
    cJSON_Delete(merged);
    return NULL;
}

cJSON *ci_object_fetch(ci_fetch *f, const char *url, char *why, size_t why_size)
{
    ci_page page;
    cJSON *doc;
    if (ci_fetch_page(f, url, url, &page, why, why_size) != 0)
        return NULL;
    doc = parse_page(url, &page, why, why_size);
    free(page.body);
    if (doc && !cJSON_IsObject(doc)) {
        snprintf(why, why_size, "%s: the answer is not an object", url);
        cJSON_Delete(doc);
        doc = NULL;
    }
    return doc;
}
