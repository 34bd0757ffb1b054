/* The backup plugin's parsers over arbitrary bytes: bk_parse forced to FUZZ_FORMAT
 * (BK_MANIFEST, BK_RESTIC or BK_BORG; one target each), then detecting the format, with
 * a naive-time offset as borg 1.x needs; every snapshot read is read back. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bk.h"
#include "fuzz.h"

#ifndef FUZZ_FORMAT
#define FUZZ_FORMAT BK_AUTO
#endif

static void check_list(const bk_list *l)
{
    size_t n = 0;
    if (l->count > l->cap)
        fuzz_fail("bk_list.count above its capacity");
    n += l->variant ? strlen(l->variant) : 0;
    n += l->location ? strlen(l->location) : 0;
    for (size_t i = 0; i < l->count; i++) {
        const bk_snapshot *s = &l->items[i];
        char buf[64];
        n += s->id ? strlen(s->id) : 0;
        n += s->short_id ? strlen(s->short_id) : 0;
        n += s->time_kind ? strlen(s->time_kind) : 0;
        n += s->time_text ? strlen(s->time_text) : 0;
        n += s->size_kind ? strlen(s->size_kind) : 0;
        n += s->file ? strlen(s->file) : 0;
        n += s->hostname ? strlen(s->hostname) : 0;
        n += s->paths_why ? strlen(s->paths_why) : 0;
        n += s->note ? strlen(s->note) : 0;
        if (s->sha256 && !bk_is_sha256_hex(s->sha256))
            fuzz_fail("a snapshot sha256 that is not 64 hex digits");
        if (s->has_paths)
            for (size_t k = 0; k < s->path_count; k++)
                n += strlen(s->paths[k]);
        if (s->has_size && s->size < 0)
            fuzz_fail("a negative snapshot size");
        (void)bk_status_name(s->status);
        if (s->has_time)
            bk_time_format(s->time, buf, sizeof buf);
        if (s->id)
            (void)bk_clean(buf, sizeof buf, s->id);
    }
    (void)n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_text(data, size);
    const bk_format formats[2] = {FUZZ_FORMAT, BK_AUTO};
    bk_parse_opts opts = {7200};
    for (size_t i = 0; i < 2; i++) {
        bk_list l;
        int unrecognised = 0;
        char why[512] = "";
        memset(&l, 0, sizeof l);
        if (bk_parse(text, size, formats[i], &opts, &l, &unrecognised, why, sizeof why) == 0) {
            check_list(&l);
            bk_list_free(&l);
        } else if (!why[0]) {
            fuzz_fail("bk_parse failed without saying why");
        }
        if (FUZZ_FORMAT == BK_AUTO)
            break;
    }
    free(text);
    return 0;
}
