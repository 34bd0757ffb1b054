/* What plugin children and the plugin cache send the engine, over arbitrary bytes: the
 * framed records (loader and check results), a plugin's description as data (decoded,
 * validated, and encoded again to the same description), a check's result with its
 * recorded inputs, and the plugin cache file.  None of it is the engine's own: a plugin
 * child, or whoever wrote the cache, chose the bytes. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"
#include "plugin_cache.h"
#include "plugin_child.h"
#include "plugin_data.h"
#include "plugin_host.h"
#include "plugins.h"

static void frames(const uint8_t *data, size_t size)
{
    size_t at = 0;
    while (at < size) {
        rg_frame f;
        const char *why;
        int rc = rg_frame_parse((const char *)data + at, size - at, "RGCR", 1u << 20, &f, &why);
        if (rc != 1)
            break;
        if (f.used == 0 || f.used > size - at || f.len > f.used)
            fuzz_fail("a frame that takes no bytes, or more than there are");
        at += f.used;
    }
}

static void description(const uint8_t *data, size_t size)
{
    rg_plugin_data d;
    const char *why;
    if (rg_plugin_decode((const char *)data, size, &d, &why) != 0)
        return;
    {
        rg_error err = {0};
        size_t len;
        char *again = rg_plugin_encode(&d.desc, &len, &why);
        (void)rg_plugin_validate_data(&d, "fuzz.so", &err);
        rg_error_clear(&err);
        if (again) {
            rg_plugin_data back;
            size_t len2;
            char *twice;
            if (rg_plugin_decode(again, len, &back, &why) != 0)
                fuzz_fail("a description decoded and encoded again does not decode");
            twice = rg_plugin_encode(&back.desc, &len2, &why);
            if (!twice || len2 != len || memcmp(twice, again, len) != 0)
                fuzz_fail("encoding a decoded description is not stable");
            free(twice);
            rg_plugin_data_clear(&back);
            free(again);
        }
    }
    rg_plugin_data_clear(&d);
}

static void result(const uint8_t *data, size_t size)
{
    char *text = fuzz_text(data, size), why[256];
    rg_check_result r;
    memset(&r, 0, sizeof r);
    if (rg_check_result_from_json(text, size, &r, why, sizeof why) == 0) {
        char *json = rg_check_result_to_json(&r);
        if (!json)
            fuzz_fail("a result that parsed does not print");
        free(json);
    }
    rg_check_result_clear(&r);
    free(text);
}

static void cache(const uint8_t *data, size_t size)
{
    char path[PATH_MAX];
    rg_plugin_cache *c;
    snprintf(path, sizeof path, "%s/plugins.cache", fuzz_workdir());
    fuzz_write(path, data, size);
    chmod(path, 0600);
    if ((c = rg_plugin_cache_open(path))) {
        struct stat st;
        size_t len;
        unsigned char digest[RG_SHA256_LEN];
        memset(&st, 0, sizeof st);
        (void)rg_plugin_cache_find(c, "/nowhere/x.so", &st, &len, digest);
        rg_plugin_cache_free(c);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    frames(data, size);
    description(data, size);
    result(data, size);
    cache(data, size);
    return 0;
}
