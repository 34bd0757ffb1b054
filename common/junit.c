/* The one JUnit XML writer (junit.h). */
#include <string.h>
#include <time.h>

#include "junit.h"

/* Seconds as Ant and Surefire write them: three decimals, never negative. */
static void seconds(rg_strbuf *b, const char *attribute, double s)
{
    rg_strbuf_printf(b, " %s=\"%.3f\"", attribute, s > 0 ? s : 0.0);
}

static void attribute(rg_strbuf *b, const char *name, const char *value)
{
    rg_strbuf_printf(b, " %s=\"", name);
    rg_strbuf_xml(b, value ? value : "", 1);
    rg_strbuf_puts(b, "\"");
}

void rg_junit_begin(rg_strbuf *b, const char *name, const rg_junit_totals *t)
{
    rg_strbuf_puts(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites");
    attribute(b, "name", name);
    rg_strbuf_printf(b, " tests=\"%zu\" failures=\"%zu\" errors=\"%zu\"", t->tests, t->failures, t->errors);
    seconds(b, "time", t->seconds);
    rg_strbuf_puts(b, ">\n");
}

void rg_junit_suite_begin(rg_strbuf *b, size_t id, const char *name, const char *package,
                          const rg_junit_totals *t, int64_t when, const char *const *props, size_t count)
{
    char stamp[32] = "1970-01-01T00:00:00";
    time_t t0 = (time_t)when;
    struct tm tm;
    /* Ant's timestamp has no zone designator: it is UTC. */
    if (gmtime_r(&t0, &tm) && tm.tm_year + 1900 >= 0 && tm.tm_year + 1900 <= 9999)
        strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
    rg_strbuf_puts(b, "  <testsuite");
    attribute(b, "name", name);
    rg_strbuf_printf(b, " tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" skipped=\"%zu\"", t->tests, t->failures,
                     t->errors, t->skipped);
    seconds(b, "time", t->seconds);
    rg_strbuf_printf(b, " timestamp=\"%s\" hostname=\"relgate\" id=\"%zu\"", stamp, id);
    attribute(b, "package", package);
    rg_strbuf_puts(b, ">\n    <properties>\n");
    for (size_t i = 0; i < count; i++) {
        rg_strbuf_puts(b, "      <property");
        attribute(b, "name", props[2 * i]);
        attribute(b, "value", props[2 * i + 1]);
        rg_strbuf_puts(b, "/>\n");
    }
    rg_strbuf_puts(b, "    </properties>\n");
}

void rg_junit_case_write(rg_strbuf *b, const rg_junit_case *c)
{
    static const char *const tags[] = {[RG_JUNIT_FAILURE] = "failure", [RG_JUNIT_ERROR] = "error",
                                       [RG_JUNIT_SKIPPED] = "skipped"};
    rg_strbuf_puts(b, "    <testcase");
    attribute(b, "name", c->name);
    attribute(b, "classname", c->classname);
    seconds(b, "time", c->seconds);
    if (c->outcome == RG_JUNIT_PASS && !c->out) {
        rg_strbuf_puts(b, "/>\n");
        return;
    }
    rg_strbuf_puts(b, ">\n");
    if (c->outcome != RG_JUNIT_PASS) {
        const char *tag = tags[c->outcome];
        rg_strbuf_printf(b, "      <%s", tag);
        if (c->message)
            attribute(b, "message", c->message);
        if (c->type)
            attribute(b, "type", c->type);
        if (c->text) {
            rg_strbuf_puts(b, ">");
            rg_strbuf_xml(b, c->text, 0);
            rg_strbuf_printf(b, "</%s>\n", tag);
        } else {
            rg_strbuf_puts(b, "/>\n");
        }
    }
    if (c->out) {
        rg_strbuf_puts(b, "      <system-out>");
        rg_strbuf_xml(b, c->out, 0);
        rg_strbuf_puts(b, "</system-out>\n");
    }
    rg_strbuf_puts(b, "    </testcase>\n");
}

void rg_junit_suite_end(rg_strbuf *b)
{
    rg_strbuf_puts(b, "    <system-out/>\n    <system-err/>\n  </testsuite>\n");
}

void rg_junit_end(rg_strbuf *b)
{
    rg_strbuf_puts(b, "</testsuites>\n");
}
