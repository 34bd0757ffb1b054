/* Durations as backup tools and policies write them, and times for messages. */
#include <stdio.h>
#include <string.h>

#include "bk.h"
#include "rfc3339.h"

int bk_time_parse(const char *text, int64_t *out)
{
    rg_time t;
    if (!text || rg_timestamp_parse(text, RG_TIME_REPORT, 0, &t, NULL) != 0)
        return -1;
    *out = t.seconds;
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
    if (rg_rfc3339_format(t, buf, size) != 0)
        snprintf(buf, size, "%lld", (long long)t);
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
