/* A paginated API listing fetched whole: every page's items in one document, the shape
 * of its first page, so ci_parse reads it as it reads a saved response. */
#ifndef CI_LISTING_H
#define CI_LISTING_H

#include <cjson/cJSON.h>

#include "fetch.h"

/* Fetch URL and every next page.  KEY names the array each page (an object) carries
 * ("check_runs"); NULL: each page is an array (GitLab).  A page of another shape is an
 * error.  Returns the merged document (cJSON_Delete it), or NULL with WHY. */
cJSON *ci_listing_fetch(ci_fetch *f, const char *url, const char *key, char *why, size_t why_size);

/* One object (GitLab's single pipeline): no pagination. */
cJSON *ci_object_fetch(ci_fetch *f, const char *url, char *why, size_t why_size);

#endif
