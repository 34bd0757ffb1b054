/* Timestamps as CI systems write them: RFC 3339 and its near misses. */
#include <ctype.h>
#include <string.h>

#include "calendar.h"
#include "ci_parse.h"

/* N digits at *P as a number (advancing *P), or -1. */
static int digits(const char **p, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++, (*p)++) {
        if (!isdigit((unsigned char)**p))
            return -1;
        v = v * 10 + (**p - '0');
    }
    return v;
}

int ci_time_parse(const char *s, int64_t *out)
{
    const char *p = s;
    int y, mo, d, h = 0, mi = 0, sec = 0, off = 0;
    if (!s)
        return -1;
    while (*p == ' ')
        p++;
    y = digits(&p, 4);
    if (y < 1 || *p++ != '-' || (mo = digits(&p, 2)) < 1 || mo > 12 || *p++ != '-' ||
        (d = digits(&p, 2)) < 1 || d > rg_days_in_month(y, mo))
        return -1;
    if (*p == 'T' || *p == 't' || *p == ' ') {
        const char *t = p + 1;
        while (*t == ' ')
            t++;
        if (isdigit((unsigned char)*t)) {
            p = t;
            if ((h = digits(&p, 2)) < 0 || h > 23 || *p++ != ':' || (mi = digits(&p, 2)) < 0 || mi > 59)
                return -1;
            if (*p == ':') {
                p++;
                if ((sec = digits(&p, 2)) < 0 || sec > 60)   /* a leap second folds forward */
                    return -1;
                if (*p == '.' || *p == ',') {
                    p++;
                    if (!isdigit((unsigned char)*p))
                        return -1;
                    while (isdigit((unsigned char)*p))
                        p++;
                }
            }
        }
    }
    while (*p == ' ')
        p++;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (strncmp(p, "UTC", 3) == 0 || strncmp(p, "GMT", 3) == 0) {
        p += 3;
    } else if (*p == '+' || *p == '-') {
        int sign = *p++ == '-' ? -1 : 1, oh, om = 0;
        if ((oh = digits(&p, 2)) < 0 || oh > 23)
            return -1;
        if (*p == ':')
            p++;
        if (isdigit((unsigned char)*p) && ((om = digits(&p, 2)) < 0 || om > 59))
            return -1;
        off = sign * (oh * 3600 + om * 60);
    }
    while (*p == ' ')
        p++;
    if (*p)
        return -1;
    *out = rg_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - off;
    return 0;
}
