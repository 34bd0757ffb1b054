/* Unit tests for common/rfc3339.c: the one timestamp parser of the engine and the plugins. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "rfc3339.h"

static int64_t ok(const char *text)
{
    int64_t t = INT64_MIN;
    const char *why = NULL;
    if (rg_rfc3339_parse(text, &t, &why) != 0)
        fail_msg("\"%s\" rejected: %s", text, why ? why : "(no reason)");
    return t;
}

static void expect(const char *text, int64_t want)
{
    int64_t got = ok(text);
    if (got != want)
        fail_msg("\"%s\" = %lld, expected %lld", text, (long long)got, (long long)want);
}

/* TEXT is rejected, with a reason containing REASON (when not NULL). */
static void bad(const char *text, const char *reason)
{
    int64_t t = 12345;
    const char *why = NULL;
    if (rg_rfc3339_parse(text, &t, &why) != -1)
        fail_msg("\"%s\" accepted", text ? text : "(null)");
    assert_non_null(why);
    if (reason && !strstr(why, reason))
        fail_msg("\"%s\": reason \"%s\", expected \"%s\"", text ? text : "(null)", why, reason);
    assert_int_equal(t, 12345); /* output untouched on failure */
}

static void fmt(int64_t seconds, const char *want)
{
    char buf[RG_RFC3339_BUFSIZE];
    memset(buf, 'x', sizeof buf);
    if (rg_rfc3339_format(seconds, buf, sizeof buf) != 0)
        fail_msg("format(%lld) failed", (long long)seconds);
    assert_string_equal(buf, want);
}

static void test_parse_epoch(void **state)
{
    (void)state;
    expect("1970-01-01T00:00:00Z", 0);
    expect("1970-01-01T00:00:01Z", 1);
    expect("1970-01-02T00:00:00Z", 86400);
}

static void test_parse_known_values(void **state)
{
    (void)state;
    expect("2025-06-10T09:00:00Z", 1749546000);
    expect("2000-01-01T00:00:00Z", 946684800);
    expect("2038-01-19T03:14:07Z", 2147483647);
    expect("2038-01-19T03:14:08Z", INT64_C(2147483648));
    expect("2024-02-29T12:00:00Z", 1709208000);
    expect("2000-02-29T00:00:00Z", 951782400);
}

static void test_parse_before_epoch(void **state)
{
    (void)state;
    expect("1969-12-31T23:59:59Z", -1);
    expect("1900-01-01T00:00:00Z", INT64_C(-2208988800));
    expect("1600-03-01T00:00:00Z", INT64_C(-11670912000));
}

static void test_parse_year_limits(void **state)
{
    (void)state;
    expect("0000-01-01T00:00:00Z", INT64_C(-62167219200));
    expect("0001-01-01T00:00:00Z", INT64_C(-62135596800)); /* year 0 is leap */
    expect("9999-12-31T23:59:59Z", INT64_C(253402300799));
}

static void test_parse_lowercase_t_and_z(void **state)
{
    (void)state;
    expect("2025-06-10t09:00:00z", 1749546000);
    expect("2025-06-10t09:00:00Z", 1749546000);
}

static void test_parse_positive_offset(void **state)
{
    (void)state;
    /* +02:00 is two hours ahead of UTC: subtract to get UTC. */
    expect("2025-06-10T11:00:00+02:00", 1749546000);
    expect("2025-06-10T14:30:00+05:30", 1749546000);
    expect("2025-06-10T09:01:00+00:01", 1749546000);
}

static void test_parse_negative_offset(void **state)
{
    (void)state;
    expect("2025-06-10T04:00:00-05:00", 1749546000);
    expect("2025-06-09T23:15:00-09:45", 1749546000);
}

static void test_parse_offset_crosses_year(void **state)
{
    (void)state;
    expect("2025-01-01T01:00:00+02:00", ok("2024-12-31T23:00:00Z"));
    expect("2024-12-31T22:00:00-03:00", ok("2025-01-01T01:00:00Z"));
    expect("2025-06-10T00:00:00+23:59", 1749546000 - 9 * 3600 - 23 * 3600 - 59 * 60);
}

static void test_parse_zero_offsets(void **state)
{
    (void)state;
    expect("2025-06-10T09:00:00+00:00", 1749546000);
    expect("2025-06-10T09:00:00-00:00", 1749546000);
}

static void test_parse_fraction_truncated(void **state)
{
    (void)state;
    expect("2025-06-10T09:00:00.999999999Z", 1749546000);
    expect("2025-06-10T09:00:00.5+01:00", 1749546000 - 3600);
    expect("2025-06-10T09:00:00.0Z", 1749546000);
    expect("1969-12-31T23:59:59.75Z", -1);
}

/* A leap second is read as the second before it (rfc3339.h says why), and only where one
 * can be: at 23:59:60 UTC, wherever the offset puts it in local time. */
static void test_parse_leap_second(void **state)
{
    (void)state;
    expect("2016-12-31T23:59:60Z", 1483228799);
    expect("2016-12-31T23:59:60Z", ok("2016-12-31T23:59:59Z"));
    expect("2016-12-31T23:59:60.5Z", 1483228799);
    expect("2015-06-30T23:59:60Z", ok("2015-06-30T23:59:59Z"));
    expect("2016-12-31T15:59:60-08:00", 1483228799);   /* RFC 3339 section 5.7's example form */
    expect("2017-01-01T01:29:60+01:30", 1483228799);
    bad("2016-12-31T23:58:60Z", "leap second");
    bad("2016-12-31T12:00:60Z", "leap second");
    bad("2016-12-31T23:59:60+01:00", "leap second");   /* 22:59:60 UTC */
    /* never after the second that follows it */
    assert_true(ok("2016-12-31T23:59:60Z") < ok("2017-01-01T00:00:00Z"));
}

static int64_t report(const char *text, unsigned flags, int offset, int zoned)
{
    rg_time t = {INT64_MIN, -1};
    const char *why = NULL;
    if (rg_timestamp_parse(text, RG_TIME_REPORT | flags, offset, &t, &why) != 0)
        fail_msg("\"%s\" rejected: %s", text, why ? why : "(no reason)");
    if (t.zoned != zoned)
        fail_msg("\"%s\": zoned %d, expected %d", text, t.zoned, zoned);
    return t.seconds;
}

static void report_bad(const char *text, unsigned flags, const char *reason)
{
    rg_time t = {12345, 7};
    const char *why = NULL;
    if (rg_timestamp_parse(text, RG_TIME_REPORT | flags, 0, &t, &why) != -1)
        fail_msg("\"%s\" accepted", text ? text : "(null)");
    assert_non_null(why);
    if (reason && !strstr(why, reason))
        fail_msg("\"%s\": reason \"%s\", expected \"%s\"", text, why, reason);
    assert_int_equal(t.seconds, 12345);
}

/* What JUnit, CI and scanner writers emit besides RFC 3339. */
static void test_report_forms(void **state)
{
    (void)state;
    assert_int_equal(report("2025-06-10T09:00:00Z", 0, 0, 1), 1749546000);
    assert_int_equal(report("2025-06-10 09:00:00Z", 0, 0, 1), 1749546000);
    assert_int_equal(report("  2025-06-10 09:00:00 UTC ", 0, 0, 1), 1749546000);   /* GitLab */
    assert_int_equal(report("2025-06-10 09:00:00 gmt", 0, 0, 1), 1749546000);
    assert_int_equal(report("2025-06-10T11:00:00+0200", 0, 0, 1), 1749546000);
    assert_int_equal(report("2025-06-10T11:00:00+02", 0, 0, 1), 1749546000);
    assert_int_equal(report("2025-06-10T09:00Z", 0, 0, 1), 1749546000);
    assert_int_equal(report("2025-06-10T09:00:00,123Z", 0, 0, 1), 1749546000);
    assert_int_equal(report("2025-06-10T09:00:00.123456789+00:00", 0, 0, 1), 1749546000);
    report_bad("2025-06-10T09:00:00+2", 0, "offset");
    report_bad("2025-06-10T09:00:00+021", 0, "offset");
    report_bad("2025-06-10T09:00:00 UTCx", 0, NULL);
    report_bad("2025-06-10T09:00:00Z junk", 0, "trailing");
    report_bad("", 0, "empty");
    report_bad(NULL, 0, "empty");
}

/* Zone-less times: refused unless the caller names the zone they are local to. */
static void test_report_local_times(void **state)
{
    (void)state;
    report_bad("2025-06-10T09:00:00", 0, "missing timezone");
    report_bad("2025-06-10", 0, "missing timezone");
    /* ctest and pytest write the runner's local time: 11:00 at +02:00 is 09:00 UTC */
    assert_int_equal(report("2025-06-10T11:00:00", RG_TIME_LOCAL, 7200, 0), 1749546000);
    assert_int_equal(report("2025-06-10T04:00:00.5", RG_TIME_LOCAL, -5 * 3600, 0), 1749546000);
    assert_int_equal(report("2025-06-10T09:00:00", RG_TIME_LOCAL, 0, 0), 1749546000);
    assert_int_equal(report("2025-06-10", RG_TIME_LOCAL, 0, 0), 1749513600);   /* a bare date: midnight */
    /* a time that names its zone ignores the assumed one */
    assert_int_equal(report("2025-06-10T09:00:00Z", RG_TIME_LOCAL, 7200, 1), 1749546000);
    /* the engine's own inputs never take a zone-less time */
    bad("2025-06-10T09:00:00", "missing timezone");
}

/* RFC 1123 (mocha's xunit: JavaScript's toUTCString) and RFC 2822 dates. */
static void test_report_rfc2822(void **state)
{
    (void)state;
    assert_int_equal(report("Tue, 10 Jun 2025 09:00:00 GMT", 0, 0, 1), 1749546000);
    assert_int_equal(report("Sat, 03 Dec 2022 23:10:07 GMT", 0, 0, 1), 1670109007);
    assert_int_equal(report("10 Jun 2025 11:00:00 +0200", 0, 0, 1), 1749546000);
    assert_int_equal(report("Tue, 10 Jun 2025 05:00 EDT", 0, 0, 1), 1749546000);
    assert_int_equal(report("tue, 10 jun 2025 01:00:00 pst", 0, 0, 1), 1749546000);
    assert_int_equal(report("Tue,10 Jun 2025 09:00:00 UT", 0, 0, 1), 1749546000);
    assert_int_equal(report("Sat, 31 Dec 2016 23:59:60 GMT", 0, 0, 1), 1483228799);
    report_bad("Wed, 10 Jun 2025 09:00:00 GMT", 0, "day of the week");
    report_bad("Tue, 10 Jun 2025 09:00:00", 0, "missing timezone");
    report_bad("Tue, 10 Jun 2025 09:00:00 CEST", 0, "missing timezone");
    report_bad("Tue, 31 Jun 2025 09:00:00 GMT", 0, "day out of range");
    report_bad("Tue, 10 Jux 2025 09:00:00 GMT", 0, "month");
    report_bad("Tue, 10 Jun 25 09:00:00 GMT", 0, "year");
    report_bad("Tuesday, 10-Jun-25 09:00:00 GMT", 0, NULL);
    report_bad("Tue, 10 Jun 2025 09:00:00 +02:00", 0, "offset");
    report_bad("Tue, 10 Jun 2025 24:00:00 GMT", 0, "hour");
    /* the engine's grammar is RFC 3339 only */
    bad("Tue, 10 Jun 2025 09:00:00 GMT", "year");
}

static void test_offsets(void **state)
{
    int off = 1;
    char buf[RG_OFFSET_BUFSIZE];
    (void)state;
    assert_int_equal(rg_time_offset_parse("UTC", &off), 0);
    assert_int_equal(off, 0);
    assert_int_equal(rg_time_offset_parse("Z", &off), 0);
    assert_int_equal(rg_time_offset_parse("+05:30", &off), 0);
    assert_int_equal(off, 19800);
    assert_int_equal(rg_time_offset_parse("-09:45", &off), 0);
    assert_int_equal(off, -35100);
    assert_int_equal(rg_time_offset_parse("+24:00", &off), -1);
    assert_int_equal(rg_time_offset_parse("+0200", &off), -1);
    assert_int_equal(rg_time_offset_parse("+02:00 ", &off), -1);
    assert_int_equal(rg_time_offset_parse("Europe/Berlin", &off), -1);
    assert_int_equal(rg_time_offset_parse("", &off), -1);
    assert_int_equal(rg_time_offset_parse(NULL, &off), -1);
    rg_time_offset_format(0, buf, sizeof buf);
    assert_string_equal(buf, "UTC");
    rg_time_offset_format(19800, buf, sizeof buf);
    assert_string_equal(buf, "+05:30");
    rg_time_offset_format(-35100, buf, sizeof buf);
    assert_string_equal(buf, "-09:45");
    rg_time_offset_format(23 * 3600 + 59 * 60, buf, sizeof buf);
    assert_string_equal(buf, "+23:59");
}

static void test_dates(void **state)
{
    int64_t d = 0;
    (void)state;
    assert_int_equal(rg_date_parse("2025-06-10", &d), 0);
    assert_int_equal(d, 1749513600 / 86400);
    assert_int_equal(rg_date_parse("2025-02-29", &d), -1);
    assert_int_equal(rg_date_parse("2025-06-10T00:00:00Z", &d), -1);
    assert_int_equal(rg_date_parse("2025-6-10", &d), -1);
    assert_int_equal(rg_date_parse(NULL, &d), -1);
}

/* The one future-time rule of every check: more than five minutes ahead is refused. */
static void test_future_rule(void **state)
{
    (void)state;
    assert_int_equal(RG_TIME_FUTURE_SLACK, 300);
    assert_false(rg_time_in_future(1000, 1000));
    assert_false(rg_time_in_future(1300, 1000));
    assert_true(rg_time_in_future(1301, 1000));
    assert_false(rg_time_in_future(-5000, 1000));
}

static void test_parse_leap_years(void **state)
{
    (void)state;
    ok("2024-02-29T00:00:00Z");
    bad("2023-02-29T00:00:00Z", "day out of range");
    ok("2000-02-29T00:00:00Z");
    bad("1900-02-29T00:00:00Z", "day out of range");
    bad("2100-02-29T00:00:00Z", "day out of range");
    ok("2400-02-29T00:00:00Z");
    ok("0000-02-29T00:00:00Z");
    ok("2023-02-28T23:59:59Z");
}

static void test_parse_year_lengths(void **state)
{
    (void)state;
    /* Every year 0000-9998 is 365 or 366 days long, by the Gregorian rule. */
    char a[32], b[32];
    int y;
    for (y = 0; y < 9999; y++) {
        int leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
        int64_t d;
        memcpy(a, "0000-01-01T00:00:00Z", 21);
        memcpy(b, a, 21);
        a[0] = (char)('0' + y / 1000); a[1] = (char)('0' + y / 100 % 10);
        a[2] = (char)('0' + y / 10 % 10); a[3] = (char)('0' + y % 10);
        b[0] = (char)('0' + (y + 1) / 1000); b[1] = (char)('0' + (y + 1) / 100 % 10);
        b[2] = (char)('0' + (y + 1) / 10 % 10); b[3] = (char)('0' + (y + 1) % 10);
        d = ok(b) - ok(a);
        if (d != (leap ? 366 : 365) * INT64_C(86400))
            fail_msg("year %d is %lld seconds long", y, (long long)d);
    }
}

static void test_parse_days_per_month(void **state)
{
    (void)state;
    ok("2025-01-31T00:00:00Z");
    bad("2025-01-32T00:00:00Z", "day out of range");
    ok("2025-04-30T00:00:00Z");
    bad("2025-04-31T00:00:00Z", "day out of range");
    bad("2025-06-31T00:00:00Z", "day out of range");
    bad("2025-09-31T00:00:00Z", "day out of range");
    bad("2025-11-31T00:00:00Z", "day out of range");
    ok("2025-12-31T00:00:00Z");
    bad("2025-06-00T00:00:00Z", "day out of range");
}

static void test_reject_month_range(void **state)
{
    (void)state;
    bad("2025-00-10T09:00:00Z", "month out of range");
    bad("2025-13-10T09:00:00Z", "month out of range");
}

static void test_reject_time_ranges(void **state)
{
    (void)state;
    bad("2025-06-10T24:00:00Z", "hour out of range");
    bad("2025-06-10T09:60:00Z", "minute out of range");
    bad("2025-06-10T09:00:61Z", "second out of range");
    bad("2025-06-10T09:00:99Z", "second out of range");
    ok("2025-06-10T23:59:59Z");
}

static void test_reject_offset_ranges(void **state)
{
    (void)state;
    bad("2025-06-10T09:00:00+24:00", "offset hour out of range");
    bad("2025-06-10T09:00:00-24:00", "offset hour out of range");
    bad("2025-06-10T09:00:00+02:60", "offset minute out of range");
    ok("2025-06-10T09:00:00+23:59");
}

static void test_reject_missing_timezone(void **state)
{
    (void)state;
    bad("2025-06-10T09:00:00", "missing timezone");
    bad("2025-06-10T09:00:00.123", "missing timezone");
    bad("2025-06-10T09:00:00 Z", NULL);
    bad("2025-06-10T09:00:00UTC", NULL);
}

static void test_reject_malformed_offset(void **state)
{
    (void)state;
    bad("2025-06-10T09:00:00+0200", "offset");
    bad("2025-06-10T09:00:00+02", "offset");
    bad("2025-06-10T09:00:00+2:00", "offset");
    bad("2025-06-10T09:00:00+", "offset");
}

static void test_reject_trailing_garbage(void **state)
{
    (void)state;
    bad("2025-06-10T09:00:00Zjunk", "trailing");
    bad("2025-06-10T09:00:00Z ", "trailing");
    bad("2025-06-10T09:00:00+02:00x", "trailing");
    bad("2025-06-10T09:00:00+02:000", "trailing");
    bad("2025-06-10T09:00:00ZZ", "trailing");
}

static void test_reject_space_separator(void **state)
{
    (void)state;
    bad("2025-06-10 09:00:00Z", "'T'");
    bad("2025-06-10_09:00:00Z", "'T'");
}

static void test_reject_malformed(void **state)
{
    (void)state;
    bad("", "empty");
    bad(NULL, "empty");
    bad("2025-6-10T09:00:00Z", "month");
    bad("25-06-10T09:00:00Z", "year");
    bad("12025-06-10T09:00:00Z", NULL);
    bad("-2025-06-10T09:00:00Z", "year");
    bad("2025-06-1T09:00:00Z", "day");
    bad("2025-06-10T9:00:00Z", "hour");
    bad("2025-06-10T09:0:00Z", "minute");
    bad("2025-06-10T09:00Z", "':' after minute");
    bad("2025-06-10T09:00:00.Z", "digits after '.'");
    bad("2025-06-10", NULL);
    bad("2025-06-10T", "hour");
    bad("2025/06/10T09:00:00Z", "'-'");
    bad("2025-06-10T09-00-00Z", "':'");
}

static void test_parse_allows_null_out_and_why(void **state)
{
    (void)state;
    assert_int_equal(rg_rfc3339_parse("2025-06-10T09:00:00Z", NULL, NULL), 0);
    assert_int_equal(rg_rfc3339_parse("2025-06-10T09:00:00", NULL, NULL), -1);
}

static void test_format_epoch(void **state)
{
    (void)state;
    fmt(0, "1970-01-01T00:00:00Z");
    fmt(59, "1970-01-01T00:00:59Z");
    fmt(86399, "1970-01-01T23:59:59Z");
}

static void test_format_known_values(void **state)
{
    (void)state;
    fmt(1749546000, "2025-06-10T09:00:00Z");
    fmt(951782400, "2000-02-29T00:00:00Z");
    fmt(1709208000, "2024-02-29T12:00:00Z");
    fmt(INT64_C(2147483648), "2038-01-19T03:14:08Z");
    fmt(1483228800, "2017-01-01T00:00:00Z");
}

static void test_format_before_epoch(void **state)
{
    (void)state;
    fmt(-1, "1969-12-31T23:59:59Z");
    fmt(-86400, "1969-12-31T00:00:00Z");
    fmt(-86401, "1969-12-30T23:59:59Z");
    fmt(INT64_C(-2208988800), "1900-01-01T00:00:00Z");
}

static void test_format_limits(void **state)
{
    (void)state;
    char buf[64];
    fmt(INT64_C(-62167219200), "0000-01-01T00:00:00Z");
    fmt(INT64_C(253402300799), "9999-12-31T23:59:59Z");
    strcpy(buf, "sentinel");
    assert_int_equal(rg_rfc3339_format(INT64_C(-62167219201), buf, sizeof buf), -1);
    assert_string_equal(buf, "");
    assert_int_equal(rg_rfc3339_format(INT64_C(253402300800), buf, sizeof buf), -1);
    assert_int_equal(rg_rfc3339_format(INT64_MIN, buf, sizeof buf), -1);
    assert_int_equal(rg_rfc3339_format(INT64_MAX, buf, sizeof buf), -1);
}

static void test_format_buffer_size(void **state)
{
    (void)state;
    char buf[RG_RFC3339_BUFSIZE];
    assert_int_equal(rg_rfc3339_format(0, buf, RG_RFC3339_BUFSIZE - 1), -1);
    assert_int_equal(rg_rfc3339_format(0, buf, 0), -1);
    assert_int_equal(rg_rfc3339_format(0, NULL, 64), -1);
    assert_int_equal(rg_rfc3339_format(0, buf, RG_RFC3339_BUFSIZE), 0);
    assert_int_equal(strlen(buf), RG_RFC3339_BUFSIZE - 1);
}

static void test_round_trip(void **state)
{
    (void)state;
    /* Format then parse across the whole range, in prime-sized steps so that
     * every time of day, month and leap-year position gets hit. */
    char buf[RG_RFC3339_BUFSIZE];
    int64_t t;
    for (t = INT64_C(-62167219200); t <= INT64_C(253402300799); t += 9999991) {
        assert_int_equal(rg_rfc3339_format(t, buf, sizeof buf), 0);
        if (ok(buf) != t)
            fail_msg("%lld -> %s -> %lld", (long long)t, buf, (long long)ok(buf));
    }
}

static void test_round_trip_every_day(void **state)
{
    (void)state;
    char buf[RG_RFC3339_BUFSIZE];
    int64_t day;
    for (day = -200000; day <= 200000; day++) {
        int64_t t = day * 86400 + 43200;
        assert_int_equal(rg_rfc3339_format(t, buf, sizeof buf), 0);
        if (ok(buf) != t)
            fail_msg("%lld -> %s", (long long)t, buf);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_epoch),
        cmocka_unit_test(test_parse_known_values),
        cmocka_unit_test(test_parse_before_epoch),
        cmocka_unit_test(test_parse_year_limits),
        cmocka_unit_test(test_parse_lowercase_t_and_z),
        cmocka_unit_test(test_parse_positive_offset),
        cmocka_unit_test(test_parse_negative_offset),
        cmocka_unit_test(test_parse_offset_crosses_year),
        cmocka_unit_test(test_parse_zero_offsets),
        cmocka_unit_test(test_parse_fraction_truncated),
        cmocka_unit_test(test_parse_leap_second),
        cmocka_unit_test(test_report_forms),
        cmocka_unit_test(test_report_local_times),
        cmocka_unit_test(test_report_rfc2822),
        cmocka_unit_test(test_offsets),
        cmocka_unit_test(test_dates),
        cmocka_unit_test(test_future_rule),
        cmocka_unit_test(test_parse_leap_years),
        cmocka_unit_test(test_parse_year_lengths),
        cmocka_unit_test(test_parse_days_per_month),
        cmocka_unit_test(test_reject_month_range),
        cmocka_unit_test(test_reject_time_ranges),
        cmocka_unit_test(test_reject_offset_ranges),
        cmocka_unit_test(test_reject_missing_timezone),
        cmocka_unit_test(test_reject_malformed_offset),
        cmocka_unit_test(test_reject_trailing_garbage),
        cmocka_unit_test(test_reject_space_separator),
        cmocka_unit_test(test_reject_malformed),
        cmocka_unit_test(test_parse_allows_null_out_and_why),
        cmocka_unit_test(test_format_epoch),
        cmocka_unit_test(test_format_known_values),
        cmocka_unit_test(test_format_before_epoch),
        cmocka_unit_test(test_format_limits),
        cmocka_unit_test(test_format_buffer_size),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_round_trip_every_day),
    };
    return cmocka_run_group_tests(tests, 0, NULL);
}
