/* rg_serve_body_parse (cli/serve_body.c), the walk relgate serve's workers read a
 * POST /v1/decisions body with, against cJSON reading the same body: on every input the
 * strict check takes, what the worker hands on -- the context, printed again for the
 * engine, and each inline evidence entry's "json" value -- must print (raw nodes as the
 * bytes sent) to a text that reads as the body holds it, value for value.  A number kept
 * wrongly, a member lost, a value cut or a raw node that is not one JSON value would
 * read otherwise. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "fuzz.h"
#include "json.h"
#include "serve_body.h"

/* A and B the same JSON value: numbers equal as doubles (inf included), members in
 * order, strings byte for byte. */
static int same(const cJSON *a, const cJSON *b)
{
    const cJSON *x, *y;
    if ((a->type & 0xFF) != (b->type & 0xFF))
        return 0;
    if (cJSON_IsNumber(a))
        return a->valuedouble == b->valuedouble || (isnan(a->valuedouble) && isnan(b->valuedouble));
    if (cJSON_IsString(a))
        return strcmp(a->valuestring, b->valuestring) == 0;
    if (!cJSON_IsArray(a) && !cJSON_IsObject(a))
        return 1;
    for (x = a->child, y = b->child; x && y; x = x->next, y = y->next)
        if ((cJSON_IsObject(a) && strcmp(x->string, y->string) != 0) || !same(x, y))
            return 0;
    return !x && !y;
}

/* WALKED's value printed (its raw nodes as the bytes sent) must read as REFERENCE. */
static void reads_as(const cJSON *walked, const cJSON *reference, const char *body, const char *what)
{
    char *printed = walked ? cJSON_PrintUnformatted(walked) : NULL;
    cJSON *again = printed ? cJSON_Parse(printed) : NULL;
    if (!again || !reference || !same(again, reference)) {
        fprintf(stderr, "body: %.300s\n%s printed: %.300s\n", body, what, printed ? printed : "(nothing)");
        fuzz_fail("a value the worker uses prints as another value than the body holds");
    }
    cJSON_free(printed);
    cJSON_Delete(again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rg_limits limits = rg_limits_default();
    rg_error err = {0};
    char *body = fuzz_text(data, size);
    cJSON *walked, *reference;
    const cJSON *w, *r;
    limits.max_json_depth = 32;
    if (rg_json_check(body, size, "fuzz.json", &limits, &err) != 0) {
        rg_error_clear(&err);
        free(body);
        return 0;
    }
    walked = rg_serve_body_parse(body, size, NULL);
    reference = cJSON_ParseWithLength(body, size);
    if (!walked || !reference)
        fuzz_fail("a body the strict check took did not read");
    /* What the worker hands on as the request holds it: the context, printed again for
     * the engine, and each inline evidence entry's "json" value, written as its file.
     * (Any other member is a string the worker reads, or a body it refuses.) */
    if (cJSON_IsObject(reference)) {
        w = cJSON_GetObjectItemCaseSensitive(walked, "context");
        r = cJSON_GetObjectItemCaseSensitive(reference, "context");
        if (w || r)
            reads_as(w, r, body, "context");
        r = cJSON_GetObjectItemCaseSensitive(reference, "evidence");
        cJSON_ArrayForEach(w, cJSON_GetObjectItemCaseSensitive(walked, "evidence")) {
            const cJSON *json = cJSON_GetObjectItemCaseSensitive(w, "json");
            if (json)
                reads_as(json, cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(r, w->string), "json"),
                         body, w->string);
        }
    }
    cJSON_Delete(walked);
    cJSON_Delete(reference);
    free(body);
    return 0;
}
