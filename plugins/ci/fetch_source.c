/* A live evidence source read whole: which API, every page, merged into the document
 * ci_parse reads — the same from the network and from a recording. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fetch_source.h"

double ci_source_own_run(const cJSON *source)
{
    const cJSON *run = cJSON_GetObjectItemCaseSensitive(source, "own_run");
    return cJSON_IsNumber(run) && run->valuedouble > 0 ? run->valuedouble : 0;
}

int ci_live_read(const rg_host *h, rg_check_call *call, const char *name, const char *source_text,
                 size_t max_pages, rg_json *entry, char **text, size_t *len, double *own_run, char *own_system,
                 char *why, size_t why_size)
{
    cJSON *source = cJSON_Parse(source_text), *doc = NULL;
    int github = cJSON_GetObjectItemCaseSensitive(source, "github") != NULL;
    ci_fetch f;
    char what[96];

    *text = NULL;
    *len = 0;
    if (!source) {
        snprintf(why, why_size, "the live source of evidence '%s' is unreadable", name);
        return -1;
    }
    *own_run = ci_source_own_run(source);
    *own_system = github ? 'h' : 'l';
    snprintf(what, sizeof what, "%s %s", github ? "github" : "gitlab",
             cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(source, github ? "github" : "gitlab")));
    h->add_string(call, entry, "source", what);
    if (ci_fetch_open(&f, h, call, name, source, github, max_pages, why, why_size) == 0) {
        doc = github ? ci_fetch_github(&f, source, why, why_size) : ci_fetch_gitlab(&f, source, why, why_size);
        if (doc && ci_fetch_close(&f, why, why_size) != 0) {
            cJSON_Delete(doc);
            doc = NULL;
        }
        if (f.first_url[0])
            h->add_string(call, entry, "url", f.first_url);
        h->add_number(call, entry, "pages", (double)f.pages);
    }
    cJSON_Delete(source);
    if (!doc)
        return -1;
    *text = cJSON_PrintUnformatted(doc);
    cJSON_Delete(doc);
    if (!*text) {
        snprintf(why, why_size, "out of memory");
        return -1;
    }
    *len = strlen(*text);
    return 0;
}
