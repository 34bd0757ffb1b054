/* Timestamps <-> Unix seconds: the one parser (see rfc3339.h).  Plain calendar
 * arithmetic instead of timegm/gmtime: those are not C11, and they depend on TZ and
 * time_t width. */
#include <string.h>

#include "calendar.h"
#include "rfc3339.h"

/* 0000-01-01T00:00:00Z and 9999-12-31T23:59:59Z: the range format accepts. */
#define RFC_MIN INT64_C(-62167219200)
#define RFC_MAX INT64_C(253402300799)

/* A time of day and date as written, before the zone is applied. */
typedef struct fields {
    int y, mo, d, h, mi, s;
    int zoned;      /* the text named its zone */
    int offset;     /* seconds east of UTC, when zoned */
    int weekday;    /* 0-6 from Sunday as an RFC 2822 date names it, or -1 */
} fields;

static int fail(const char **why, const char *msg)
{
    if (why)
        *why = msg;
    return -1;
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* Exactly N digits at *PP; stops at the first non-digit (so never past NUL). */
static int digits(const char **pp, int n, int *v)
{
    const char *p = *pp;
    int i, x = 0;
    for (i = 0; i < n; i++, p++) {
        if (!is_digit(*p))
            return -1;
        x = x * 10 + (*p - '0');
    }
    *v = x;
    *pp = p;
    return 0;
}

static const char *blanks(const char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    return p;
}

/* Does P start with WORD, case-insensitively, not followed by another letter? */
static int word(const char *p, const char *w)
{
    size_t i;
    for (i = 0; w[i]; i++)
        if (lower(p[i]) != w[i])
            return 0;
    return !(lower(p[i]) >= 'a' && lower(p[i]) <= 'z');
}

/* YYYY-MM-DD at *PP, calendar-checked. */
static int date_part(const char **pp, fields *f, const char **why)
{
    const char *p = *pp;
    if (digits(&p, 4, &f->y))
        return fail(why, "year must be 4 digits");
    if (*p++ != '-')
        return fail(why, "expected '-' after year");
    if (digits(&p, 2, &f->mo))
        return fail(why, "month must be 2 digits");
    if (f->mo < 1 || f->mo > 12)
        return fail(why, "month out of range");
    if (*p++ != '-')
        return fail(why, "expected '-' after month");
    if (digits(&p, 2, &f->d))
        return fail(why, "day must be 2 digits");
    if (f->d < 1 || f->d > rg_days_in_month(f->y, f->mo))
        return fail(why, "day out of range for month");
    *pp = p;
    return 0;
}

/* HH:MM[:SS[.frac]] at *PP; seconds and the fraction's ',' only in REPORT. */
static int clock_part(const char **pp, int report, fields *f, const char **why)
{
    const char *p = *pp;
    if (digits(&p, 2, &f->h))
        return fail(why, "hour must be 2 digits");
    if (f->h > 23)
        return fail(why, "hour out of range");
    if (*p++ != ':')
        return fail(why, "expected ':' after hour");
    if (digits(&p, 2, &f->mi))
        return fail(why, "minute must be 2 digits");
    if (f->mi > 59)
        return fail(why, "minute out of range");
    f->s = 0;
    if (*p != ':') {
        if (!report)
            return fail(why, "expected ':' after minute");
    } else {
        p++;
        if (digits(&p, 2, &f->s))
            return fail(why, "second must be 2 digits");
        if (f->s > 60)
            return fail(why, "second out of range");
        if (*p == '.' || (report && *p == ',')) {
            const char *frac = ++p;
            while (is_digit(*p))
                p++;
            if (p == frac)
                return fail(why, "expected digits after '.'");
        }
    }
    *pp = p;
    return 0;
}

/* +HH:MM (RFC 3339), or in REPORT also +HHMM and +HH, at *PP (on the sign). */
static int numeric_offset(const char **pp, int report, int *out, const char **why)
{
    const char *p = *pp;
    int sign = *p++ == '-' ? -1 : 1, oh, om = 0;
    if (digits(&p, 2, &oh))
        return fail(why, "offset must be +HH:MM or -HH:MM");
    if (*p == ':') {
        p++;
        if (digits(&p, 2, &om))
            return fail(why, "offset must be +HH:MM or -HH:MM");
    } else if (!report) {
        return fail(why, "offset must be +HH:MM or -HH:MM");
    } else if (is_digit(*p) && digits(&p, 2, &om)) {
        return fail(why, "offset must be +HH:MM, +HHMM or +HH");
    }
    if (oh > 23)
        return fail(why, "offset hour out of range");
    if (om > 59)
        return fail(why, "offset minute out of range");
    *out = sign * (oh * 3600 + om * 60);
    *pp = p;
    return 0;
}

/* ISO 8601 as RFC 3339 profiles it, and (REPORT) as report writers bend it. */
static int iso(const char *p, unsigned flags, fields *f, const char **why)
{
    int report = (flags & RG_TIME_REPORT) != 0;
    if (date_part(&p, f, why))
        return -1;
    if (report && *blanks(p) == '\0') {   /* a bare date: its first second */
        f->h = f->mi = f->s = 0;
        return 0;
    }
    if (*p == ' ' && !report)
        return fail(why, "expected 'T' between date and time, not a space");
    if (*p != 'T' && *p != 't' && *p != ' ')
        return fail(why, "expected 'T' between date and time");
    p++;
    if (report)
        p = blanks(p);
    if (clock_part(&p, report, f, why))
        return -1;
    if (report)
        p = blanks(p);
    if (*p == 'Z' || *p == 'z') {
        p++;
        f->zoned = 1;
    } else if (report && (word(p, "utc") || word(p, "gmt"))) {
        p += 3;
        f->zoned = 1;
    } else if (*p == '+' || *p == '-') {
        if (numeric_offset(&p, report, &f->offset, why))
            return -1;
        f->zoned = 1;
    } else if (*p != '\0') {
        return fail(why, "expected 'Z' or an offset after the time");
    }
    if (report)
        p = blanks(p);
    if (*p != '\0')
        return fail(why, "trailing characters after timestamp");
    return 0;
}

/* The index of the 3-letter name at P in NAMES (N of them), or -1. */
static int name_index(const char *p, const char *const *names, int n)
{
    for (int i = 0; i < n; i++)
        if (word(p, names[i]))
            return i;
    return -1;
}

/* RFC 2822 section 3.3 (RFC 1123's HTTP date is a case of it):
 * [Day ","] D[D] Mon YYYY HH:MM[:SS] zone, the zone required. */
static int rfc2822(const char *p, fields *f, const char **why)
{
    static const char *const days[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
    static const char *const months[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                         "jul", "aug", "sep", "oct", "nov", "dec"};
    /* RFC 2822 section 4.3's North American zones, the ones it names. */
    static const struct { const char *name; int hours; } zones[] = {
        {"gmt", 0}, {"utc", 0}, {"ut", 0}, {"edt", -4}, {"est", -5}, {"cdt", -5},
        {"cst", -6}, {"mdt", -6}, {"mst", -7}, {"pdt", -7}, {"pst", -8},
    };
    int i;
    if ((f->weekday = name_index(p, days, 7)) >= 0) {
        p = blanks(p + 3);
        if (*p == ',')
            p = blanks(p + 1);
    }
    if (!is_digit(*p))
        return fail(why, "not a date: expected YYYY-MM-DD or an RFC 2822 date");
    f->d = *p++ - '0';
    if (is_digit(*p))
        f->d = f->d * 10 + (*p++ - '0');
    p = blanks(p);
    if ((f->mo = name_index(p, months, 12) + 1) == 0)
        return fail(why, "expected a month name (Jan ... Dec)");
    p = blanks(p + 3);
    if (digits(&p, 4, &f->y))
        return fail(why, "year must be 4 digits");
    if (f->d < 1 || f->d > rg_days_in_month(f->y, f->mo))
        return fail(why, "day out of range for month");
    if (*p != ' ' && *p != '\t')
        return fail(why, "expected a blank after the year");
    p = blanks(p);
    if (clock_part(&p, 1, f, why))
        return -1;
    p = blanks(p);
    if (*p == '+' || *p == '-') {
        int sign = *p++ == '-' ? -1 : 1, oh, om;
        if (digits(&p, 2, &oh) || digits(&p, 2, &om))
            return fail(why, "offset must be +HHMM or -HHMM");
        if (oh > 23 || om > 59)
            return fail(why, "offset out of range");
        f->offset = sign * (oh * 3600 + om * 60);
    } else if (*p == 'Z' || *p == 'z') {
        p++;
    } else {
        for (i = 0; i < (int)(sizeof zones / sizeof zones[0]); i++)
            if (word(p, zones[i].name))
                break;
        if (i == (int)(sizeof zones / sizeof zones[0]))
            return fail(why, "missing timezone (GMT or an offset like +0100)");
        f->offset = zones[i].hours * 3600;
        p += strlen(zones[i].name);
    }
    f->zoned = 1;
    if (*blanks(p) != '\0')
        return fail(why, "trailing characters after timestamp");
    return 0;
}

static int64_t floor_mod(int64_t a, int64_t b)
{
    int64_t m = a % b;
    return m < 0 ? m + b : m;
}

int rg_timestamp_parse(const char *text, unsigned flags, int local_offset, rg_time *out, const char **why)
{
    fields f;
    const char *p = text;
    int64_t days, minute;
    int rc;
    if (!text || !*text)
        return fail(why, "empty timestamp");
    memset(&f, 0, sizeof f);
    f.weekday = -1;
    if (flags & RG_TIME_REPORT)
        p = blanks(p);
    /* Four digits start an ISO date; anything else a report may hold is RFC 2822. */
    if ((flags & RG_TIME_REPORT) && !(is_digit(p[0]) && is_digit(p[1]) && is_digit(p[2]) && is_digit(p[3])))
        rc = rfc2822(p, &f, why);
    else
        rc = iso(p, flags, &f, why);
    if (rc)
        return -1;
    if (!f.zoned) {
        if (!(flags & RG_TIME_LOCAL))
            return fail(why, "missing timezone ('Z' or an offset)");
        f.offset = local_offset;
    }
    days = rg_days_from_civil(f.y, f.mo, f.d);
    if (f.weekday >= 0 && floor_mod(days + 4, 7) != f.weekday)   /* 1970-01-01 was a Thursday */
        return fail(why, "the day of the week does not match the date");
    minute = days * 86400 + f.h * 3600 + f.mi * 60 - f.offset;
    if (f.s == 60) {
        if (floor_mod(minute, 86400) != 86340)
            return fail(why, "second out of range (a leap second is 23:59:60 UTC)");
        f.s = 59;
    }
    if (out) {
        out->seconds = minute + f.s;
        out->zoned = f.zoned;
    }
    return 0;
}

int rg_rfc3339_parse(const char *text, int64_t *out, const char **why)
{
    rg_time t;
    if (rg_timestamp_parse(text, RG_TIME_RFC3339, 0, &t, why) != 0)
        return -1;
    if (out)
        *out = t.seconds;
    return 0;
}

int rg_date_parse(const char *text, int64_t *days)
{
    fields f;
    const char *p = text;
    if (!text || date_part(&p, &f, NULL) != 0 || *p != '\0')
        return -1;
    *days = rg_days_from_civil(f.y, f.mo, f.d);
    return 0;
}

int rg_time_offset_parse(const char *text, int *seconds)
{
    const char *p = text;
    if (!text)
        return -1;
    if (strcmp(text, "UTC") == 0 || strcmp(text, "Z") == 0 || strcmp(text, "z") == 0) {
        *seconds = 0;
        return 0;
    }
    if ((*p != '+' && *p != '-') || numeric_offset(&p, 0, seconds, NULL) != 0 || *p != '\0')
        return -1;
    return 0;
}

void rg_time_offset_format(int seconds, char *buf, size_t size)
{
    int a = seconds < 0 ? -seconds : seconds;
    if (!buf || size < RG_OFFSET_BUFSIZE) {
        if (buf && size)
            buf[0] = '\0';
        return;
    }
    if (seconds == 0) {
        memcpy(buf, "UTC", 4);
        return;
    }
    buf[0] = seconds < 0 ? '-' : '+';
    buf[1] = (char)('0' + a / 36000 % 10);
    buf[2] = (char)('0' + a / 3600 % 10);
    buf[3] = ':';
    buf[4] = (char)('0' + a / 600 % 6);
    buf[5] = (char)('0' + a / 60 % 10);
    buf[6] = '\0';
}

int rg_time_in_future(int64_t t, int64_t now)
{
    return t > now + RG_TIME_FUTURE_SLACK;
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
