/* GitHub Actions workflow commands: an annotation per requirement that needs action
 * and a notice with the verdict.  Every line is one of our commands: untrusted text is
 * first neutralised (untrusted.h: controls, "##[" markers), then escaped by the runner's
 * rules: in data '%', CR and LF; in property values also ':' and ','.  A property is
 * one line (its breaks become spaces); a message keeps its breaks, as %0A. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/* PATH, resolved (symbolic links, "..") when it exists, into OUT; else as given. */
static void resolved(const char *path, char *out)
{
    char *real = realpath(path, NULL);
    rg_strlcpy(out, real ? real : path, PATH_MAX);
    free(real);
}

/* FILE as GitHub resolves an annotation's file: relative to the workspace root.  A
 * relative FILE is taken from the current directory (where the policy was loaded from);
 * one outside WORKSPACE stays as it is. */
static void annotation_path(const char *file, const char *workspace, char *out, size_t size)
{
    char abs[PATH_MAX], root[PATH_MAX], cwd[PATH_MAX];
    size_t n;
    rg_strlcpy(out, file, size);
    if (!workspace || !*workspace || !*file)
        return;
    if (file[0] == '/')
        rg_strlcpy(abs, file, sizeof abs);
    else if (!getcwd(cwd, sizeof cwd) || (size_t)snprintf(abs, sizeof abs, "%s/%s", cwd, file) >= sizeof abs)
        return;
    resolved(abs, abs);
    resolved(workspace, root);
    n = strlen(root);
    while (n > 1 && root[n - 1] == '/')
        root[--n] = '\0';
    if (strncmp(abs, root, n) == 0 && abs[n] == '/')
        rg_strlcpy(out, abs + n + 1, size);
}

char *rg_decision_to_github(const rg_decision *d, const char *workspace)
{
    rg_strbuf b = {0}, title = {0}, msg = {0};
    for (size_t i = 0; i < d->count; i++) {
        const rg_result *r = &d->results[i];
        const char *level;
        char file[PATH_MAX] = "", where[PATH_MAX];
        int line = 0;
        char *colon, *t, *m;
        if (r->status == RG_STATUS_PASS || r->status == RG_STATUS_SKIP)
            continue;
        level = r->status == RG_STATUS_WARN ? "warning" : r->status == RG_STATUS_WAIVED ? "notice" : "error";
        /* Annotate the policy line that last defined the requirement: the override or
         * disable a team policy wrote, else the declaration. */
        rg_strlcpy(where, r->defined_at ? r->defined_at : r->source ? r->source : "", sizeof where);
        if ((colon = strrchr(where, ':')) != NULL) {
            line = atoi(colon + 1);
            *colon = '\0';
        }
        annotation_path(where, workspace, file, sizeof file);
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
