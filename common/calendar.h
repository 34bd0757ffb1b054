/* Proleptic Gregorian calendar arithmetic, shared by the engine and the plugins (each
 * compiles common/calendar.c in: a plugin links nothing of the engine).  Plain
 * arithmetic rather than timegm/gmtime, which are not C11 and depend on TZ. */
#ifndef RG_CALENDAR_H
#define RG_CALENDAR_H

#include <stdint.h>

/* Days since 1970-01-01 of year Y, month M (1-12), day D (Howard Hinnant's
 * days_from_civil, counting in 400-year eras that start in March). */
int64_t rg_days_from_civil(int64_t y, int m, int d);

/* The inverse: the date of day Z since 1970-01-01. */
void rg_civil_from_days(int64_t z, int64_t *y, int *m, int *d);

int rg_is_leap_year(int64_t y);

/* Days in month M (1-12) of year Y. */
int rg_days_in_month(int64_t y, int m);

#endif
