/* rg_json_parse over arbitrary bytes: the strict validator in front of cJSON.  A
 * document it accepts must print, and the printed text must parse again.
 *
 * And rg_json_check_known, differentially: the values a check of the input's first half
 * took (at the depth its first byte picks, under any key) are remembered, and the second
 * half must get the same answer, message and place from rg_json_check_known with them as
 * from rg_json_check without. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "json.h"

typedef struct learned {
    char *values[16];
    size_t lens[16], count;
} learned;

static size_t learned_find(void *ctx, const char *at, size_t left)
{
    learned *l = ctx;
    for (size_t i = 0; i < l->count; i++)
        if (l->lens[i] <= left && memcmp(l->values[i], at, l->lens[i]) == 0)
            return l->lens[i];
    return 0;
}

static void learned_checked(void *ctx, const char *at, size_t len)
{
    learned *l = ctx;
    if (l->count < 16 && (l->values[l->count] = malloc(len)) != NULL) {
        memcpy(l->values[l->count], at, len);
        l->lens[l->count++] = len;
    }
}

static void known_differential(const uint8_t *data, size_t size)
{
    rg_limits limits = rg_limits_default();
    learned l = {0};
    rg_json_known known = {1 + data[0] % 4, NULL, learned_find, learned_checked, &l};
    size_t half = (size - 1) / 2;
    char *first = fuzz_text(data + 1, half), *second = fuzz_text(data + 1 + half, size - 1 - half);
    rg_error a = {0}, b = {0}, ignored = {0};
    int ra, rb;
    limits.max_json_depth = 16;
    rg_json_check_known(first, half, "fuzz.json", &limits, &known, &ignored);
    ra = rg_json_check(second, size - 1 - half, "fuzz.json", &limits, &a);
    rb = rg_json_check_known(second, size - 1 - half, "fuzz.json", &limits, &known, &b);
    if (ra != rb || (ra != 0 && (strcmp(a.message, b.message) != 0 || a.line != b.line || a.column != b.column))) {
        fprintf(stderr, "plain %d '%s'; known %d '%s'\n", ra, a.message, rb, b.message);
        fuzz_fail("rg_json_check_known answered otherwise than rg_json_check");
    }
    for (size_t i = 0; i < l.count; i++)
        free(l.values[i]);
    rg_error_clear(&a);
    rg_error_clear(&b);
    rg_error_clear(&ignored);
    free(first);
    free(second);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_text(data, size);
    rg_error err = {0};
    cJSON *doc;
    if (size > 1)
        known_differential(data, size);
    doc = rg_json_parse(text, size, "fuzz.json", 64, RG_ERROR_CONTEXT, &err);
    if (doc) {
        char *printed = rg_json_print_pretty(doc);
        if (printed) {
            rg_error again = {0};
            cJSON *back = rg_json_parse(printed, strlen(printed), "printed.json", 64, RG_ERROR_CONTEXT, &again);
            if (!back) {
                fprintf(stderr, "reparse: %s\n", again.message);
                fuzz_fail("a document rg_json_parse accepted does not parse once printed");
            }
            cJSON_Delete(back);
            rg_error_clear(&again);
            free(printed);
        }
        cJSON_Delete(doc);
    } else if (err.kind == RG_ERROR_NONE) {
        fuzz_fail("rg_json_parse failed without saying why");
    }
    rg_error_clear(&err);
    free(text);
    return 0;
}
