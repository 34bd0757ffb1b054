/* The bundle tar reader (core/tar.c) over arbitrary bytes: hostile archives are its
 * everyday input.  What it promises: it never reads outside the buffer; whatever it
 * accepts has names a bundle may hold, each once, and data inside the archive; a refusal
 * says why; and what it accepts, written again by the writer, reads back the same. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "tar.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rg_tar_member *m = NULL, *again = NULL;
    size_t n = 0, n_again = 0, len = 0;
    unsigned char *out = NULL;
    char why[512] = "";
    /* a private copy of exactly SIZE bytes, so that ASan sees any read past the end */
    unsigned char *copy = malloc(size ? size : 1);
    if (!copy)
        return 0;
    memcpy(copy, data, size);
    if (rg_tar_read(copy, size, 64, 1u << 16, &m, &n, why, sizeof why) != 0) {
        if (!why[0] || m || n)
            fuzz_fail("a refused archive left members behind or said nothing");
        free(copy);
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        if (!rg_bundle_path_ok(m[i].name))
            fuzz_fail("an accepted member has a name a bundle may not hold");
        if (m[i].data < copy || m[i].data + m[i].size > copy + size)
            fuzz_fail("an accepted member's data lies outside the archive");
        for (size_t j = 0; j < i; j++)
            if (strcmp(m[i].name, m[j].name) == 0)
                fuzz_fail("an accepted archive holds a name twice");
        if (rg_tar_append(&out, &len, m[i].name, m[i].data, m[i].size) != 0)
            fuzz_fail("the writer refused a member the reader accepted");
    }
    if (rg_tar_finish(&out, &len) != 0)
        fuzz_fail("out of memory");
    if (rg_tar_read(out, len, 64, 1u << 16, &again, &n_again, why, sizeof why) != 0 || n_again != n)
        fuzz_fail("what the writer wrote does not read back");
    for (size_t i = 0; i < n; i++)
        if (strcmp(again[i].name, m[i].name) != 0 || again[i].size != m[i].size ||
            memcmp(again[i].data, m[i].data, m[i].size) != 0)
            fuzz_fail("a member read back differently");
    free(again);
    free(out);
    free(m);
    free(copy);
    return 0;
}
