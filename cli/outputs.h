/* Many renderings of one decision: `--format FMT[=PATH]` (repeatable) for relgate eval and
 * relgate render, and how text is coloured (--color, NO_COLOR, FORCE_COLOR,
 * CLICOLOR_FORCE).  A format without a path is the one standard output carries (json when
 * none is given; at most one); each FMT=PATH is written to PATH atomically, the error
 * rendering included when the gate could not be evaluated, so a CI job always has its
 * report to publish. */
#ifndef RG_CLI_OUTPUTS_H
#define RG_CLI_OUTPUTS_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "relgate/relgate.h"

#define RG_CLI_MAX_OUTPUTS 8

typedef enum { RG_COLOR_AUTO, RG_COLOR_ALWAYS, RG_COLOR_NEVER } rg_cli_color;

typedef struct rg_cli_output {
    rg_format format;
    const char *path;
    char tmp[PATH_MAX];   /* the prepared temporary file, "" when none */
} rg_cli_output;

typedef struct rg_cli_outputs {
    rg_format stdout_format;       /* json unless a --format without a path says otherwise */
    int stdout_given;              /* a --format without a path was given */
    rg_cli_output files[RG_CLI_MAX_OUTPUTS];
    size_t count;
    rg_cli_color color;
} rg_cli_outputs;

/* Parse a format name ("json", "text", "markdown", "junit", "github").  Returns 0 or -1. */
int rg_cli_parse_format(const char *name, rg_format *out);

/* Take one --format value SPEC ("FMT" or "FMT=PATH") into O.  Returns 0, or -1 with WHY
 * (a message without "relgate: error: ") saying what is wrong. */
int rg_cli_outputs_add(rg_cli_outputs *o, const char *spec, char *why, size_t why_size);

/* Take a --color value ("auto", "always", "never").  Returns 0 or -1. */
int rg_cli_parse_color(const char *when, rg_cli_color *out);

/* RG_RENDER_* flags for text going to standard output (TO_FILE 0: a terminal may be
 * there; --output turns it into 1) or to a file: colours by --color, then NO_COLOR, then
 * FORCE_COLOR / CLICOLOR_FORCE, then whether standard output is a terminal; UTF-8 marks
 * where the locale says UTF-8. */
unsigned rg_cli_text_flags(rg_cli_color color, int to_file);

/* Render D (or, when D is NULL, ERR evaluated at NOW) into every FMT=PATH file's
 * temporary file, not yet in place.  WORKSPACE: rg_render_options.  Returns 0, or -1 with
 * FAIL (nothing prepared is left behind). */
int rg_cli_outputs_prepare(rg_cli_outputs *o, const rg_decision *d, const rg_error *err, int64_t now,
                           const char *workspace, rg_error *fail);

/* Put every prepared file in place.  Returns 0, or -1 with FAIL (the others still go in). */
int rg_cli_outputs_commit(rg_cli_outputs *o, rg_error *fail);

/* Remove what was prepared. */
void rg_cli_outputs_abort(rg_cli_outputs *o);

/* Where GitHub annotations are relative to: $GITHUB_WORKSPACE, else the repository root
 * above the current directory (the nearest directory holding .git), else NULL.  OUT holds
 * PATH_MAX bytes. */
const char *rg_cli_workspace(char *out);

#endif
