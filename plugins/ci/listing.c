/* Paginated listings merged into one document.  Each page must parse and have the
 * listing's shape: a truncated or foreign page is an error, never fewer checks. */
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

cJSON *ci_listing_fetch(ci_fetch *f, const char *url, const char *key, char *why, size_t why_size)
{
    cJSON *merged = NULL, *into = NULL;
    char current[2048];
    snprintf(current, sizeof current, "%s", url);
    while (current[0]) {
        ci_page page;
        cJSON *doc, *items, *item;
        if (ci_fetch_page(f, current, &page, why, why_size) != 0)
            break;
        doc = parse_page(current, &page, why, why_size);
        free(page.body);
        if (!doc)
            break;
        items = key ? cJSON_GetObjectItemCaseSensitive(doc, key) : doc;
        if (!cJSON_IsArray(items)) {
            snprintf(why, why_size, "%s: the answer is not a page of %s", current, key ? key : "a list");
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
        if (!current[0])
            return merged;
    }
    cJSON_Delete(merged);
    return NULL;
}

cJSON *ci_object_fetch(ci_fetch *f, const char *url, char *why, size_t why_size)
{
    ci_page page;
    cJSON *doc;
    if (ci_fetch_page(f, url, &page, why, why_size) != 0)
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
