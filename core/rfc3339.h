/* RFC 3339 timestamps (section 5.6, "date-time"). */
#ifndef RG_RFC3339_H
#define RG_RFC3339_H

#include <stddef.h>
#include <stdint.h>

/* Parse TEXT as an RFC 3339 date-time: YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM).
 * 't' and 'z' are accepted as RFC 3339 allows; a space instead of 'T' is not.
 * Calendar-checked (leap years, days per month); a leap second (:60) is accepted and
 * folded into the next second. Fractions are truncated.  Stores seconds since the
 * Unix epoch (UTC) in *OUT and returns 0; on failure returns -1 and, when WHY is not
 * NULL, stores a static English reason. */
int rg_rfc3339_parse(const char *text, int64_t *out, const char **why);

/* Format SECONDS as "YYYY-MM-DDTHH:MM:SSZ" into BUF (at least 21 bytes; years
 * 0000-9999 only).  Returns 0, or -1 when the time is out of that range. */
int rg_rfc3339_format(int64_t seconds, char *buf, size_t size);

#define RG_RFC3339_BUFSIZE 21

#endif
