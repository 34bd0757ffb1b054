/* Report timestamps: RFC 3339, plus the zone-less form GitLab writes. */
#include <stddef.h>

#include "calendar.h"
#include "report.h"

static int digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

int ts_date(const char *s, int64_t *days)
{
    int y, m, d;
    if (digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &m) || s[7] != '-' || digits(s + 8, 2, &d))
        return -1;
    if (m < 1 || m > 12 || d < 1 || d > rg_days_in_month(y, m))
        return -1;
    *days = rg_days_from_civil(y, m, d);
    return 0;
}

int ts_parse(const char *t, int64_t *out)
{
    int64_t days;
    int hh, mm, ss, oh, om;
    const char *p;
    int64_t secs;

    if (!t)
        return -1;
    for (p = t; *p && p - t < 10; p++)
        ;
    if (p - t < 10 || ts_date(t, &days) != 0)
        return -1;
    p = t + 10;
    if (*p != 'T' && *p != 't' && *p != ' ')
        return -1;
    p++;
    if (digits(p, 2, &hh) || p[2] != ':' || digits(p + 3, 2, &mm) || p[5] != ':' || digits(p + 6, 2, &ss))
        return -1;
    if (hh > 23 || mm > 59 || ss > 60)
        return -1;
    p += 8;
    if (*p == '.') {
        p++;
        if (*p < '0' || *p > '9')
            return -1;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    secs = days * 86400 + hh * 3600 + mm * 60 + (ss == 60 ? 59 : ss);
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int sign = *p == '-' ? -1 : 1;
        if (digits(p + 1, 2, &oh) || p[3] != ':' || digits(p + 4, 2, &om) || oh > 23 || om > 59)
            return -1;
        secs -= sign * (oh * 3600 + om * 60);
        p += 6;
    } /* else: no zone, read as UTC */
    if (*p)
        return -1;
    *out = secs;
    return 0;
}
