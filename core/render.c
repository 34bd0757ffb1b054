/* The public renderings (relgate.h): one entry point over the renderers of each format. */
#include <stdlib.h>
#include <time.h>

#include "decision.h"
#include "render.h"
#include "rfc3339.h"

char *rg_decision_render(const rg_decision *d, rg_format format, unsigned flags)
{
    rg_render_options options = {flags, NULL};
    return rg_decision_render_with(d, format, &options);
}

char *rg_decision_render_with(const rg_decision *d, rg_format format, const rg_render_options *options)
{
    unsigned flags = options ? options->flags : 0;
    switch (format) {
    case RG_FORMAT_JSON: return rg_decision_to_json(d);
    case RG_FORMAT_LINE: {
        rg_strbuf out = {0};
        /* Sized for a typical line at once (the peers' gate writes 6.5 KB): growing from
         * 1 KB copied it four times over, for every line of a batch. */
        rg_strbuf_reserve(&out, 8191);
        rg_decision_write(d, &out, 0);
        return rg_strbuf_finish(&out);
    }
    case RG_FORMAT_TEXT: {
        rg_text_style style = {(flags & RG_RENDER_COLOR) != 0, (flags & RG_RENDER_UTF8) != 0};
        return rg_decision_to_text(d, &style);
    }
    case RG_FORMAT_MARKDOWN: return rg_decision_to_markdown(d);
    case RG_FORMAT_JUNIT: return rg_decision_to_junit(d);
    case RG_FORMAT_GITHUB: return rg_decision_to_github(d, options ? options->workspace : NULL);
    }
    return NULL;
}

char *rg_error_render(const rg_error *err, rg_format format, int64_t now)
{
    switch (format) {
    case RG_FORMAT_JSON: return rg_error_to_json(err, now);
    case RG_FORMAT_LINE: return rg_error_to_line(err, now);
    case RG_FORMAT_MARKDOWN: return rg_error_to_markdown(err);
    case RG_FORMAT_JUNIT: return rg_error_to_junit(err, now);
    case RG_FORMAT_GITHUB: return rg_error_to_github(err);
    case RG_FORMAT_TEXT: return rg_error_to_text(err);
    }
    return NULL;
}

_Static_assert(RG_CLOCK_SLACK == RG_TIME_FUTURE_SLACK, "one future-time rule for the engine and the plugins");

int rg_time_ahead_of_clock(int64_t seconds)
{
    return rg_time_in_future(seconds, (int64_t)time(NULL));
}

int rg_time_parse(const char *text, int64_t *seconds)
{
    const char *why;
    char utc[RG_RFC3339_BUFSIZE];
    int64_t t;
    if (!text || rg_rfc3339_parse(text, &t, &why) != 0)
        return -1;
    if (rg_rfc3339_format(t, utc, sizeof utc) != 0)
        return -2;
    *seconds = t;
    return 0;
}
