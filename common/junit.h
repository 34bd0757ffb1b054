/* The one JUnit XML writer: `relgate eval --format junit` (a decision, core/render_junit.c)
 * and `relgate test --format junit` (policy tests) both write through it, so both hold
 * to the same two readers: Jenkins xunit's junit-10.xsd (no `skipped` or `timestamp` on
 * <testsuites>; times as Surefire writes them) and the attributes the Ant schema
 * requires (a testsuite's name, tests, failures, errors, time, timestamp, hostname, id
 * and package; a testcase's name, classname and time; <properties>, <system-out> and
 * <system-err> in every testsuite).  Every piece of text is escaped for XML 1.0 here
 * (rg_strbuf_xml): callers pass plain, untrusted text. */
#ifndef RG_JUNIT_H
#define RG_JUNIT_H

#include <stddef.h>
#include <stdint.h>

#include "strbuf.h"

typedef struct rg_junit_totals {
    size_t tests, failures, errors, skipped;
    double seconds;
} rg_junit_totals;

typedef enum rg_junit_outcome {
    RG_JUNIT_PASS, RG_JUNIT_FAILURE, RG_JUNIT_ERROR, RG_JUNIT_SKIPPED
} rg_junit_outcome;

typedef struct rg_junit_case {
    const char *name, *classname;
    double seconds;
    rg_junit_outcome outcome;
    const char *message;   /* the failure's, error's or skip's one line (NULL: none) */
    const char *type;      /* the failure's or error's type attribute (NULL: none) */
    const char *text;      /* the failure's or error's body (NULL: none) */
    const char *out;       /* <system-out> of the case (NULL: none) */
} rg_junit_case;

/* The XML declaration and <testsuites NAME ...> with the run's totals. */
void rg_junit_begin(rg_strbuf *b, const char *name, const rg_junit_totals *totals);

/* <testsuite> number ID (0, 1, ...) of PACKAGE, begun at WHEN (seconds since the
 * epoch, UTC), and its <properties>: COUNT name/value pairs (PROPS[2i], PROPS[2i+1]). */
void rg_junit_suite_begin(rg_strbuf *b, size_t id, const char *name, const char *package,
                          const rg_junit_totals *totals, int64_t when, const char *const *props,
                          size_t count);

/* One <testcase>. */
void rg_junit_case_write(rg_strbuf *b, const rg_junit_case *c);

/* The suite's (empty) <system-out> and <system-err>, and </testsuite>. */
void rg_junit_suite_end(rg_strbuf *b);

/* </testsuites>. */
void rg_junit_end(rg_strbuf *b);

#endif
