/* RFC 3339 date-time <-> Unix seconds.  Plain calendar arithmetic instead of
 * timegm/gmtime: those are not C11, and they depend on TZ and time_t width. */
#include "calendar.h"
#include "rfc3339.h"

/* 0000-01-01T00:00:00Z and 9999-12-31T23:59:59Z: the range format accepts. */
#define RFC_MIN INT64_C(-62167219200)
#define RFC_MAX INT64_C(253402300799)

static int fail(const char **why, const char *msg)
{
    if (why)
        *why = msg;
    return -1;
}

/* Exactly N digits at *PP; stops at the first non-digit (so never past NUL). */
static int digits(const char **pp, int n, int *v)
{
    const char *p = *pp;
    int i, x = 0;
    for (i = 0; i < n; i++, p++) {
        if (*p < '0' || *p > '9')
            return -1;
        x = x * 10 + (*p - '0');
    }
    *v = x;
    *pp = p;
    return 0;
}

int rg_rfc3339_parse(const char *text, int64_t *out, const char **why)
{
    const char *p = text;
    int y, mo, d, h, mi, s, oh = 0, om = 0, sign = 0;
    int64_t t;
    if (!text || !*text)
        return fail(why, "empty timestamp");
    if (digits(&p, 4, &y))
        return fail(why, "year must be 4 digits");
    if (*p++ != '-')
        return fail(why, "expected '-' after year");
    if (digits(&p, 2, &mo))
        return fail(why, "month must be 2 digits");
    if (mo < 1 || mo > 12)
        return fail(why, "month out of range");
    if (*p++ != '-')
        return fail(why, "expected '-' after month");
    if (digits(&p, 2, &d))
        return fail(why, "day must be 2 digits");
    if (d < 1 || d > rg_days_in_month(y, mo))
        return fail(why, "day out of range for month");
    if (*p == ' ')
        return fail(why, "expected 'T' between date and time, not a space");
    if (*p != 'T' && *p != 't')
        return fail(why, "expected 'T' between date and time");
    p++;
    if (digits(&p, 2, &h))
        return fail(why, "hour must be 2 digits");
    if (h > 23)
        return fail(why, "hour out of range");
    if (*p++ != ':')
        return fail(why, "expected ':' after hour");
    if (digits(&p, 2, &mi))
        return fail(why, "minute must be 2 digits");
    if (mi > 59)
        return fail(why, "minute out of range");
    if (*p++ != ':')
        return fail(why, "expected ':' after minute");
    if (digits(&p, 2, &s))
        return fail(why, "second must be 2 digits");
    if (s > 60)
        return fail(why, "second out of range");
    if (*p == '.') {
        const char *f = ++p;
        while (*p >= '0' && *p <= '9')
            p++;
        if (p == f)
            return fail(why, "expected digits after '.'");
    }
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        sign = *p++ == '+' ? 1 : -1;
        if (digits(&p, 2, &oh) || *p++ != ':' || digits(&p, 2, &om))
            return fail(why, "offset must be +HH:MM or -HH:MM");
        if (oh > 23)
            return fail(why, "offset hour out of range");
        if (om > 59)
            return fail(why, "offset minute out of range");
    } else if (*p == '\0') {
        return fail(why, "missing timezone ('Z' or an offset)");
    } else {
        return fail(why, "expected 'Z' or an offset after the time");
    }
    if (*p != '\0')
        return fail(why, "trailing characters after timestamp");
    /* Local time minus the offset is UTC; a leap second :60 simply lands on
     * the first second of the next minute. */
    t = rg_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
    t -= sign * (oh * 3600 + om * 60);
    if (out)
        *out = t;
    return 0;
}

/* N decimal digits of V (non-negative) at P, then SEP unless it is 0. */
static char *put(char *p, int64_t v, int n, char sep)
{
    int i;
    for (i = n - 1; i >= 0; i--, v /= 10)
        p[i] = (char)('0' + v % 10);
    p += n;
    if (sep)
        *p++ = sep;
    return p;
}

int rg_rfc3339_format(int64_t seconds, char *buf, size_t size)
{
    int64_t days, rem, y;
    int m, d;
    char *p = buf;
    if (buf && size > 0)
        buf[0] = '\0';
    if (!buf || size < RG_RFC3339_BUFSIZE || seconds < RFC_MIN || seconds > RFC_MAX)
        return -1;
    days = seconds / 86400; /* floor division: C truncates toward zero */
    rem = seconds % 86400;
    if (rem < 0) {
        rem += 86400;
        days--;
    }
    rg_civil_from_days(days, &y, &m, &d);
    p = put(p, y, 4, '-');
    p = put(p, m, 2, '-');
    p = put(p, d, 2, 'T');
    p = put(p, rem / 3600, 2, ':');
    p = put(p, rem / 60 % 60, 2, ':');
    p = put(p, rem % 60, 2, 'Z');
    *p = '\0';
    return 0;
}
