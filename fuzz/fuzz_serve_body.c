/* rg_serve_body_parse (cli/serve_body.c), the walk relgate serve's workers read a
 * POST /v1/decisions body with, against cJSON reading the same body: on every input the
 * strict check takes, the tree it builds must print (its raw nodes -- inline evidence's
 * "json" values and the context's numbers -- as the bytes sent) to a text that reads as
 * the body itself, value for value.  A number kept wrongly, a member lost, a value cut
 * or a raw node that is not one JSON value would read otherwise. */
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rg_limits limits = rg_limits_default();
    rg_error err = {0};
    char *body = fuzz_text(data, size), *printed;
    cJSON *walked, *reference, *again = NULL;
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
    if (!(printed = cJSON_PrintUnformatted(walked)) || !(again = cJSON_Parse(printed))) {
        fprintf(stderr, "printed: %.300s\n", printed ? printed : "(nothing)");
        fuzz_fail("the walked body does not print as JSON");
    }
    if (!same(again, reference)) {
        fprintf(stderr, "body: %.300s\nprinted: %.300s\n", body, printed);
        fuzz_fail("the walked body prints as another value than the body");
    }
    cJSON_free(printed);
    cJSON_Delete(again);
    cJSON_Delete(walked);
    cJSON_Delete(reference);
    free(body);
    return 0;
}
