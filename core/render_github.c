/* GitHub Actions workflow commands: an annotation per requirement that needs action
 * and a notice with the verdict.  Every line is one of our commands: untrusted text is
 * first neutralised (untrusted.h: controls, "##[" markers), then escaped by the runner's
 * rules: in data '%', CR and LF; in property values also ':' and ','.  A property is
 * one line (its breaks become spaces); a message keeps its breaks, as %0A. */
#include <stdlib.h>
#include <string.h>

#include "decision.h"
#include "render.h"
#include "strbuf.h"
#include "untrusted.h"

static void escaped(rg_strbuf *b, const char *text, int property)
{
    rg_strbuf safe = {0};
    const char *s;
    rg_untrusted_puts(&safe, text, property ? RG_BREAKS_SPACE : RG_BREAKS_KEEP);
    if (safe.failed) {
        b->failed = 1;
        return;
    }
    for (s = safe.data; s && *s; s++) {
        switch (*s) {
        case '%': rg_strbuf_puts(b, "%25"); break;
        case '\r': rg_strbuf_puts(b, "%0D"); break;
        case '\n': rg_strbuf_puts(b, "%0A"); break;
        case ':': rg_strbuf_puts(b, property ? "%3A" : ":"); break;
        case ',': rg_strbuf_puts(b, property ? "%2C" : ","); break;
        default: rg_strbuf_add(b, s, 1);
        }
    }
    free(safe.data);
}

/* ::LEVEL file=F,line=L,title=T::MESSAGE */
static void command(rg_strbuf *b, const char *level, const char *file, int line, const char *title,
                    const char *message)
{
    rg_strbuf_printf(b, "::%s ", level);
    if (file && *file) {
        rg_strbuf_puts(b, "file=");
        escaped(b, file, 1);
        if (line > 0) rg_strbuf_printf(b, ",line=%d", line);
        rg_strbuf_puts(b, ",");
    }
    rg_strbuf_puts(b, "title=");
    escaped(b, title, 1);
    rg_strbuf_puts(b, "::");
    escaped(b, message, 0);
    rg_strbuf_puts(b, "\n");
}

char *rg_decision_to_github(const rg_decision *d)
{
    rg_strbuf b = {0}, title = {0}, msg = {0};
    for (size_t i = 0; i < d->count; i++) {
        const rg_result *r = &d->results[i];
        const char *level;
        char file[1024] = "";
        int line = 0;
        char *colon, *t, *m;
        if (r->status == RG_STATUS_PASS || r->status == RG_STATUS_SKIP)
            continue;
        level = r->status == RG_STATUS_WARN ? "warning" : r->status == RG_STATUS_WAIVED ? "notice" : "error";
        /* Annotate the policy line that declares the requirement. */
        rg_strlcpy(file, r->source ? r->source : "", sizeof file);
        if ((colon = strrchr(file, ':')) != NULL) {
            line = atoi(colon + 1);
            *colon = '\0';
        }
        rg_strbuf_printf(&title, "relgate %s: %s (%s)", rg_status_name(r->status), r->id, rg_level_name(r->level));
        rg_strbuf_puts(&msg, r->message);
        if (r->hint) {
            rg_strbuf_puts(&msg, "\nHow to pass: ");
            rg_strbuf_puts(&msg, r->hint);
        }
        t = rg_strbuf_finish(&title);
        m = rg_strbuf_finish(&msg);
        command(&b, level, file, line, t ? t : "", m ? m : "");
        free(t);
        free(m);
    }
    rg_strbuf_printf(&msg, "%s: %s %s (%s) at %s: %zu requirements, %zu pass, %zu fail, %zu warn, %zu waived, %zu error, %zu skip",
                     rg_verdict_name(d->verdict), d->release_name, d->release_version,
                     rg_release_type_name(d->type), rg_stage_name(d->stage), d->count,
                     d->summary[RG_STATUS_PASS], d->summary[RG_STATUS_FAIL], d->summary[RG_STATUS_WARN],
                     d->summary[RG_STATUS_WAIVED], d->summary[RG_STATUS_ERROR], d->summary[RG_STATUS_SKIP]);
    {
        char *m = rg_strbuf_finish(&msg);
        command(&b, d->verdict == RG_VERDICT_ALLOW ? "notice" : d->verdict == RG_VERDICT_WARN ? "warning" : "error",
                NULL, 0, "relgate decision", m ? m : "");
        free(m);
    }
    return rg_strbuf_finish(&b);
}

char *rg_error_to_github(const rg_error *err)
{
    rg_strbuf b = {0};
    command(&b, "error", err->file, err->line, "relgate error: the gate could not be evaluated", err->message);
    return rg_strbuf_finish(&b);
}
