/* Local time in a named zone from the system's zone database (Debian: tzdata), through
 * the C library: a deploy window in Europe/Berlin needs no hand-written DST rules. */
#ifndef RG_TIMEZONE_H
#define RG_TIMEZONE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

typedef struct rg_local_time {
    struct tm tm;        /* tm_year + 1900, tm_mon 0-11, tm_wday 0 = Sunday, tm_isdst */
    long offset;         /* seconds east of UTC at that moment */
    char abbr[16];       /* "CEST" */
} rg_local_time;

/* T (seconds since the epoch) in ZONE, an IANA name ("Europe/Berlin", "UTC") the zone
 * database has.  Returns 0, or -1 with WHY (static text) when ZONE is not a zone name or
 * the database does not have it: never silently UTC, which the C library falls back to. */
int rg_local_time_in(int64_t t, const char *zone, rg_local_time *out, const char **why);

#endif
