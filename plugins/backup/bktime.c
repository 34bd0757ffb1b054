/* Times and durations as backup tools write them. */
#include <stdio.h>
#include <string.h>

#include "bk.h"
#include "calendar.h"

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

int bk_offset_parse(const char *t, int *out)
{
    int hh, mm;
    if (!t)
        return -1;
    if (strcmp(t, "Z") == 0 || strcmp(t, "z") == 0 || strcmp(t, "UTC") == 0) {
        *out = 0;
        return 0;
    }
    if ((t[0] != '+' && t[0] != '-') || strlen(t) != 6 || digits(t + 1, 2, &hh) || t[3] != ':' ||
        digits(t + 4, 2, &mm) || hh > 23 || mm > 59)
        return -1;
    *out = (t[0] == '-' ? -1 : 1) * (hh * 3600 + mm * 60);
    return 0;
}

int bk_time_parse(const char *t, int naive_ok, int naive_offset, int64_t *out, const char **why)
{
    int y, mo, d, h, mi, s, off = 0;
    const char *p;
    if (!t) {
        *why = "not a string";
        return -1;
    }
    if (strlen(t) < 19 || digits(t, 4, &y) || t[4] != '-' || digits(t + 5, 2, &mo) || t[7] != '-' ||
        digits(t + 8, 2, &d) || (t[10] != 'T' && t[10] != 't') || digits(t + 11, 2, &h) ||
        t[13] != ':' || digits(t + 14, 2, &mi) || t[16] != ':' || digits(t + 17, 2, &s)) {
        *why = "not a YYYY-MM-DDTHH:MM:SS time";
        return -1;
    }
    if (mo < 1 || mo > 12 || d < 1 || d > rg_days_in_month(y, mo) || h > 23 ||
        mi > 59 || s > 60) {
        *why = "not a calendar date and time";
        return -1;
    }
    p = t + 19;
    if (*p == '.') {
        if (p[1] < '0' || p[1] > '9') {
            *why = "empty fraction of a second";
            return -1;
        }
        for (p++; *p >= '0' && *p <= '9'; p++)
            ;
    }
    if (*p == '\0') {
        if (!naive_ok) {
            *why = "no time zone (Z or +HH:MM)";
            return -1;
        }
        off = naive_offset;
    } else if (bk_offset_parse(p, &off) != 0 || strcmp(p, "UTC") == 0) {
        *why = "bad time zone (Z or +HH:MM)";
        return -1;
    }
    *out = rg_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s - off;
    return 0;
}

int bk_duration_parse(const char *t, int64_t *out)
{
    int64_t total = 0;
    if (!t || !*t)
        return -1;
    while (*t) {
        int64_t n = 0, unit;
        if (*t < '0' || *t > '9')
            return -1;
        for (; *t >= '0' && *t <= '9'; t++) {
            if (n > 1000000000)
                return -1;
            n = n * 10 + (*t - '0');
        }
        switch (*t) {
        case '\0': unit = 1; break;
        case 's': unit = 1; t++; break;
        case 'm': unit = 60; t++; break;
        case 'h': unit = 3600; t++; break;
        case 'd': unit = 86400; t++; break;
        case 'w': unit = 604800; t++; break;
        default: return -1;
        }
        total += n * unit;
        if (total > (int64_t)1 << 40)
            return -1;
    }
    *out = total;
    return 0;
}

void bk_time_format(int64_t t, char *buf, size_t size)
{
    int64_t days = t / 86400, rem = t % 86400, y;
    int m, d;
    if (rem < 0) {
        rem += 86400;
        days--;
    }
    rg_civil_from_days(days, &y, &m, &d);
    snprintf(buf, size, "%04lld-%02d-%02dT%02d:%02d:%02dZ", (long long)y, m, d, (int)(rem / 3600),
             (int)(rem / 60 % 60), (int)(rem % 60));
}

void bk_duration_format(int64_t s, char *buf, size_t size)
{
    if (s >= 2 * 86400 && s % 86400 == 0)
        snprintf(buf, size, "%lldd", (long long)(s / 86400));
    else if (s != 0 && s % 3600 == 0)
        snprintf(buf, size, "%lldh", (long long)(s / 3600));
    else if (s != 0 && s % 60 == 0)
        snprintf(buf, size, "%lldm", (long long)(s / 60));
    else
        snprintf(buf, size, "%llds", (long long)s);
}
