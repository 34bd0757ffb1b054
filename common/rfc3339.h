/* Timestamps: the one parser for the engine and every plugin (each compiles
 * common/rfc3339.c in: a plugin links nothing of the engine).
 *
 * Two grammars over one implementation:
 *   RG_TIME_RFC3339  RFC 3339 section 5.6 "date-time", exactly: what relgate's own
 *                    inputs (waiver expiries, --now, time.parse) must be.
 *   RG_TIME_REPORT   what report writers emit besides: a space for 'T', no seconds,
 *                    a ',' before the fraction, " UTC"/" GMT", +HHMM and +HH offsets,
 *                    a bare date (midnight), blanks around, and RFC 1123 / RFC 2822
 *                    dates ("Sat, 03 Dec 2022 23:10:07 GMT", "3 Dec 2022 23:10 +0100").
 * A zone-less time is refused unless RG_TIME_LOCAL says it is local time at an offset
 * the caller chose (a policy parameter); rg_time.zoned then says the zone was assumed.
 *
 * Leap seconds: a second of 60 is accepted only where one can be, at 23:59:60 UTC
 * (after the offset is applied), and is read as 23:59:59 UTC.  Unix time cannot name
 * that second; reading it as the second before it keeps times in order and, like
 * truncating fractions, never makes evidence look younger or a waiver last longer
 * than it does.  Fractions of a second are truncated. */
#ifndef RG_RFC3339_H
#define RG_RFC3339_H

#include <stddef.h>
#include <stdint.h>

enum {
    RG_TIME_RFC3339 = 0,
    RG_TIME_REPORT = 1u << 0,
    RG_TIME_LOCAL = 1u << 1,
};

/* Seconds a completion time may lie ahead of the evaluation clock (clocks drift);
 * beyond that it is refused as "in the future" by every check that reads times. */
#define RG_TIME_FUTURE_SLACK 300   /* relgate.h's RG_CLOCK_SLACK, for the plugins */

typedef struct rg_time {
    int64_t seconds;   /* since the Unix epoch, UTC */
    int zoned;         /* 1: the text named its zone; 0: the caller's offset was assumed */
} rg_time;

/* Parse TEXT by the grammar FLAGS selects; a zone-less time (RG_TIME_LOCAL) is local
 * time at LOCAL_OFFSET seconds east of UTC.  Returns 0 and fills *OUT (when not NULL);
 * on failure returns -1, leaves *OUT alone and, when WHY is not NULL, stores a static
 * English reason there. */
int rg_timestamp_parse(const char *text, unsigned flags, int local_offset, rg_time *out, const char **why);

/* RFC 3339 exactly, zone required: rg_timestamp_parse(TEXT, RG_TIME_RFC3339, ...). */
int rg_rfc3339_parse(const char *text, int64_t *out, const char **why);

/* A calendar date "YYYY-MM-DD" alone: days since 1970-01-01 in *DAYS.  0 or -1. */
int rg_date_parse(const char *text, int64_t *days);

/* A zone as a parameter names it: "UTC", "Z" or a fixed offset "+HH:MM" / "-HH:MM"
 * (not a region name: that would need tzdata and its daylight-saving rules).  Stores
 * seconds east of UTC; 0 or -1. */
int rg_time_offset_parse(const char *text, int *seconds);

/* Write an offset as "UTC" or "+HH:MM" into BUF (at least RG_OFFSET_BUFSIZE bytes). */
void rg_time_offset_format(int seconds, char *buf, size_t size);
#define RG_OFFSET_BUFSIZE 8

/* Is T more than RG_TIME_FUTURE_SLACK seconds after NOW?  The one future-time rule. */
int rg_time_in_future(int64_t t, int64_t now);

/* Format SECONDS as "YYYY-MM-DDTHH:MM:SSZ" into BUF (at least 21 bytes; years
 * 0000-9999 only).  Returns 0, or -1 when the time is out of that range. */
int rg_rfc3339_format(int64_t seconds, char *buf, size_t size);

#define RG_RFC3339_BUFSIZE 21

#endif
