/* rg_json_parse over arbitrary bytes: the strict validator in front of cJSON.  A
 * document it accepts must print, and the printed text must parse again. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_text(data, size);
    rg_error err = {0};
    cJSON *doc = rg_json_parse(text, size, "fuzz.json", 64, RG_ERROR_CONTEXT, &err);
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
