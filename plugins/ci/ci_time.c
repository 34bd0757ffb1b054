/* Timestamps as CI systems write them: RFC 3339 and its near misses. */
#include <ctype.h>
#include <string.h>

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

/* Days from 1970-01-01 to Y-M-D (proleptic Gregorian; after H. Hinnant). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    int64_t era, yoe, doy, doe;
    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int days_in_month(int y, int m)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : days[m - 1];
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
        (d = digits(&p, 2)) < 1 || d > days_in_month(y, mo))
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
    *out = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - off;
    return 0;
}
