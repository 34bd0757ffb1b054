/* Many renderings of one decision (outputs.h). */
#define _GNU_SOURCE 1 /* strcasestr */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "error.h"
#include "fileio.h"
#include "outputs.h"

int rg_cli_parse_format(const char *s, rg_format *out)
{
    static const struct { const char *name; rg_format format; } names[] = {
        {"json", RG_FORMAT_JSON}, {"text", RG_FORMAT_TEXT}, {"markdown", RG_FORMAT_MARKDOWN},
        {"junit", RG_FORMAT_JUNIT}, {"github", RG_FORMAT_GITHUB},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(s, names[i].name) == 0) {
            *out = names[i].format;
            return 0;
        }
    return -1;
}

int rg_cli_outputs_add(rg_cli_outputs *o, const char *spec, char *why, size_t why_size)
{
    char name[16];
    const char *eq = strchr(spec, '=');
    size_t n = eq ? (size_t)(eq - spec) : strlen(spec);
    rg_format format;
    if (n >= sizeof name || (memcpy(name, spec, n), name[n] = '\0', rg_cli_parse_format(name, &format) != 0)) {
        snprintf(why, why_size, "--format '%.200s' is not json, text, markdown, junit or github (FMT or FMT=PATH)", spec);
        return -1;
    }
    if (!eq) {
        if (o->stdout_given) {
            snprintf(why, why_size, "only one --format goes to standard output; give the others a file: --format %s=PATH", name);
            return -1;
        }
        o->stdout_format = format;
        o->stdout_given = 1;
        return 0;
    }
    if (!eq[1]) {
        snprintf(why, why_size, "--format %s= needs a path after '='", name);
        return -1;
    }
    for (size_t i = 0; i < o->count; i++)
        if (strcmp(o->files[i].path, eq + 1) == 0) {
            snprintf(why, why_size, "--format: two outputs into %.200s", eq + 1);
            return -1;
        }
    if (o->count == RG_CLI_MAX_OUTPUTS) {
        snprintf(why, why_size, "at most %d --format FMT=PATH outputs", RG_CLI_MAX_OUTPUTS);
        return -1;
    }
    o->files[o->count].format = format;
    o->files[o->count].path = eq + 1;
    o->files[o->count].tmp[0] = '\0';
    o->count++;
    return 0;
}

int rg_cli_parse_color(const char *when, rg_cli_color *out)
{
    if (strcmp(when, "auto") == 0) *out = RG_COLOR_AUTO;
    else if (strcmp(when, "always") == 0) *out = RG_COLOR_ALWAYS;
    else if (strcmp(when, "never") == 0) *out = RG_COLOR_NEVER;
    else return -1;
    return 0;
}

/* An environment variable set to something other than "" and "0". */
static int env_on(const char *name)
{
    const char *v = getenv(name);
    return v && *v && strcmp(v, "0") != 0;
}

unsigned rg_cli_text_flags(rg_cli_color color, int to_file)
{
    const char *locale = getenv("LC_ALL"), *term = getenv("TERM");
    unsigned flags = 0;
    int colour;
    if (!locale || !*locale) locale = getenv("LC_CTYPE");
    if (!locale || !*locale) locale = getenv("LANG");
    if (color != RG_COLOR_AUTO)
        colour = color == RG_COLOR_ALWAYS;
    else if (getenv("NO_COLOR") && *getenv("NO_COLOR"))   /* no-color.org: set and not empty */
        colour = 0;
    else if (env_on("FORCE_COLOR") || env_on("CLICOLOR_FORCE"))  /* CI logs that show colours */
        colour = 1;
    else
        colour = !to_file && isatty(STDOUT_FILENO) && !(term && strcmp(term, "dumb") == 0);
    if (colour)
        flags |= RG_RENDER_COLOR;
    if (locale && (strcasestr(locale, "utf-8") || strcasestr(locale, "utf8")))
        flags |= RG_RENDER_UTF8;
    return flags;
}

/* None of this run's reports can be written: none may be an earlier run's either. */
static void retract_all(const rg_cli_outputs *o)
{
    for (size_t i = 0; i < o->count; i++)
        rg_cli_retract(o->files[i].path);
}

int rg_cli_outputs_prepare(rg_cli_outputs *o, const rg_decision *d, const rg_error *err, int64_t now,
                           const char *workspace, rg_error *fail)
{
    for (size_t i = 0; i < o->count; i++) {
        rg_cli_output *f = &o->files[i];
        rg_render_options options = {0, workspace};
        char *text;
        /* Text in a file is coloured only when asked for (--color always). */
        if (f->format == RG_FORMAT_TEXT)
            options.flags = rg_cli_text_flags(o->color == RG_COLOR_ALWAYS ? RG_COLOR_ALWAYS : RG_COLOR_NEVER, 1);
        text = d ? rg_decision_render_with(d, f->format, &options) : rg_error_render(err, f->format, now);
        if (!text) {
            rg_fail(fail, RG_ERROR_INTERNAL, f->path, 0, 0, "out of memory writing %s", f->path);
            rg_cli_outputs_abort(o);
            retract_all(o);
            return -1;
        }
        if (rg_atomic_prepare(f->path, text, strlen(text), f->tmp, fail) != 0) {
            f->tmp[0] = '\0';
            free(text);
            rg_cli_outputs_abort(o);
            retract_all(o);
            return -1;
        }
        free(text);
    }
    return 0;
}

int rg_cli_outputs_commit(rg_cli_outputs *o, rg_error *fail)
{
    int rc = 0;
    for (size_t i = 0; i < o->count; i++) {
        rg_cli_output *f = &o->files[i];
        rg_error e = {0};
        if (!f->tmp[0])
            continue;
        if (rg_atomic_commit(f->tmp, f->path, &e) != 0) {
            if (rc == 0)
                *fail = e;
            else
                rg_error_clear(&e);
            rg_cli_retract(f->path);
            rc = -1;
        }
        f->tmp[0] = '\0';
    }
    return rc;
}

void rg_cli_outputs_abort(rg_cli_outputs *o)
{
    for (size_t i = 0; i < o->count; i++)
        if (o->files[i].tmp[0]) {
            rg_atomic_abort(o->files[i].tmp);
            o->files[i].tmp[0] = '\0';
        }
}

const char *rg_cli_workspace(char *out)
{
    const char *ws = getenv("GITHUB_WORKSPACE");
    char dir[PATH_MAX];
    if (ws && *ws) {
        rg_strlcpy(out, ws, PATH_MAX);
        return out;
    }
    if (!getcwd(dir, sizeof dir))
        return NULL;
    for (;;) {
        char git[PATH_MAX + 8];
        struct stat st;
        char *slash;
        snprintf(git, sizeof git, "%s/.git", dir);
        if (stat(git, &st) == 0) {
            rg_strlcpy(out, dir, PATH_MAX);
            return out;
        }
        if (!(slash = strrchr(dir, '/')) || slash == dir)
            return NULL;
        *slash = '\0';
    }
}
