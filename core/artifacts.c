/* release.artifacts (artifacts.h). */
#include <string.h>

#include "artifacts.h"
#include "error.h"
#include "json_writer.h"

int rg_is_lower_hex(const char *text, size_t hex_len)
{
    size_t n = 0;
    if (!text)
        return 0;
    for (; text[n]; n++)
        if (!((text[n] >= '0' && text[n] <= '9') || (text[n] >= 'a' && text[n] <= 'f')))
            return 0;
    return hex_len ? n == hex_len : n > 0;
}

static void bad(rg_error *err, const char *display, int i, const char *why)
{
    rg_add_problem(err, RG_ERROR_CONTEXT, display, "%s: release.artifacts[%d] %s", display, i, why);
}

void rg_artifacts_validate(const cJSON *release, const char *display, rg_error *err)
{
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(release, "artifacts"), *a, *alg;
    int i = 0;
    if (!list || cJSON_IsNull(list))
        return;
    if (!cJSON_IsArray(list)) {
        rg_add_problem(err, RG_ERROR_CONTEXT, display,
                       "%s: release.artifacts must be a list of {\"name\", \"digest\": {\"sha256\"}}", display);
        return;
    }
    cJSON_ArrayForEach(a, list) {
        const cJSON *digest = cJSON_GetObjectItemCaseSensitive(a, "digest");
        const char *name = rg_json_string(a, "name");
        if (!cJSON_IsObject(a))
            bad(err, display, i, "must be an object {\"name\", \"digest\": {\"sha256\"}}");
        else if (!name || !*name)
            bad(err, display, i, "needs a non-empty \"name\"");
        else if (!cJSON_IsObject(digest) || !rg_is_lower_hex(rg_json_string(digest, "sha256"), 64))
            bad(err, display, i, "needs \"digest\": {\"sha256\": 64 lower-case hex digits}");
        else
            cJSON_ArrayForEach(alg, digest)
                if (!rg_is_lower_hex(cJSON_IsString(alg) ? alg->valuestring : NULL, 0)) {
                    bad(err, display, i, "has a digest that is not lower-case hex");
                    break;
                }
        i++;
    }
}
