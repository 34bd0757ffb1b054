/* The one timestamp parser (common/rfc3339.c) over arbitrary bytes, in each grammar.
 * What it promises: RFC 3339 is a subset of the report grammar with the same value; a
 * time that names its zone does not depend on the assumed one, and a zone-less one moves
 * by exactly the assumed offset; an accepted time in range formats and parses back to
 * itself. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "rfc3339.h"

static int parse(const char *text, unsigned flags, int offset, rg_time *t)
{
    const char *why = NULL;
    int rc = rg_timestamp_parse(text, flags, offset, t, &why);
    if (rc != 0 && (!why || !*why))
        fuzz_fail("rg_timestamp_parse failed without saying why");
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_text(data, size);
    rg_time strict, rep, at0, east;
    int64_t days;
    char buf[RG_RFC3339_BUFSIZE];
    int off;
    if (parse(text, RG_TIME_RFC3339, 0, &strict) == 0) {
        if (parse(text, RG_TIME_REPORT, 0, &rep) != 0 || rep.seconds != strict.seconds || !strict.zoned)
            fuzz_fail("an RFC 3339 time reads differently in the report grammar");
    }
    if (parse(text, RG_TIME_REPORT | RG_TIME_LOCAL, 0, &at0) == 0 &&
        parse(text, RG_TIME_REPORT | RG_TIME_LOCAL, 7200, &east) == 0) {
        if (at0.zoned != east.zoned || (at0.zoned && at0.seconds != east.seconds) ||
            (!at0.zoned && at0.seconds - east.seconds != 7200))
            fuzz_fail("the assumed zone moved a time the wrong way");
        if (rg_rfc3339_format(at0.seconds, buf, sizeof buf) == 0 &&
            (parse(buf, RG_TIME_RFC3339, 0, &strict) != 0 || strict.seconds != at0.seconds))
            fuzz_fail("a formatted time does not parse back to itself");
        if (parse(text, RG_TIME_REPORT, 0, &rep) == 0 && !at0.zoned)
            fuzz_fail("a zone-less time was accepted without RG_TIME_LOCAL");
    }
    (void)rg_date_parse(text, &days);
    if (rg_time_offset_parse(text, &off) == 0 && (off <= -86400 || off >= 86400))
        fuzz_fail("an offset of a day or more");
    free(text);
    return 0;
}
