/* Text the engine did not write (context values, policy messages and print output, a
 * plugin check's output, names of files from the context) on its way to a place a CI
 * system or a terminal parses: standard error and standard output of a CI job (GitHub
 * Actions, GitLab and Azure Pipelines read commands there), terminals (control
 * sequences), XML reports.
 *
 * What the parsers read, and so what is neutralised here:
 *  - GitHub Actions: a line that starts, after leading white space, with "::name" (a
 *    workflow command, ::stop-commands:: included), and the legacy "##[name]" ANYWHERE in
 *    a line.  The runner splits lines at LF, CR and CRLF.
 *  - Azure Pipelines: "##vso[" anywhere in a line, "##[group]"-style formatting.
 *  - GitLab: "section_start:..." markers, which need a CR and an ESC.
 *  - Terminals: C0 controls (ESC sequences, CR, BS), DEL, C1 controls (U+0080-U+009F,
 *    CSI U+009B among them), bidirectional overrides that reorder what is shown.
 * The functions here never let untrusted text begin a line: line starts are the
 * caller's own text (a prefix), and line breaks are either turned into spaces or handed
 * to the caller to encode (%0A, &#10;). */
#ifndef RG_UNTRUSTED_H
#define RG_UNTRUSTED_H

#include <stddef.h>
#include <stdio.h>

#include "strbuf.h"

/* What becomes of a line break (LF, CRLF, a lone CR) in untrusted text. */
typedef enum rg_breaks {
    RG_BREAKS_SPACE, /* one space: the text stays on the caller's line (tabs too become spaces) */
    RG_BREAKS_KEEP,  /* "\n": the caller encodes it (workflow-command %0A) */
    RG_BREAKS_RAW,   /* LF and CR as they are: the caller encodes each (XML &#10; &#13;) */
} rg_breaks;

/* Append untrusted TEXT (LEN bytes) to B, neutralised:
 *  - bytes that are not well-formed UTF-8, C0 controls but tab, DEL, C1 controls,
 *    bidirectional controls (U+061C, U+200E, U+200F, U+202A-U+202E, U+2066-U+2069),
 *    U+2028, U+2029, U+FFFE and U+FFFF are written as visible escapes: "\x1b" for a
 *    byte, "\u202e" for a character;
 *  - "##[" and "##vso[" (any case, with invisible characters between) get a space after
 *    the first '#': "# #[", so no CI runner reads a command inside the line.
 * Everything else, UTF-8 letters and emoji included, is copied as it is. */
void rg_untrusted_append(rg_strbuf *b, const char *text, size_t len, rg_breaks breaks);

/* rg_untrusted_append of a NUL-terminated string; NULL appends nothing. */
void rg_untrusted_puts(rg_strbuf *b, const char *s, rg_breaks breaks);

/* Non-zero when TEXT (LEN bytes) starts a marker a CI runner reads anywhere in a line:
 * "##[" or "##vso[" (any case, invisible characters between ignored). For writers of
 * other formats (JSON) that escape instead of changing the text. */
int rg_untrusted_marker_at(const char *text, size_t len);

/* Write LEN bytes of untrusted TEXT to OUT as whole lines, each starting with PREFIX
 * (our own text, e.g. "relgate: check ci.status: "; it must not start with white space
 * or ':'), neutralised as rg_untrusted_append does.  LF, CRLF and a lone CR each end a
 * line (the runner splits there too); a final line without a newline gets one. */
void rg_write_untrusted_lines(FILE *out, const char *prefix, const char *text, size_t len);

/* Append S as XML 1.0 text (ATTRIBUTE 0) or attribute value (1): what XML 1.0 cannot
 * hold dropped (C0 controls but tab, LF and CR; DEL; U+FFFE, U+FFFF; bytes that are not
 * well-formed UTF-8, lone surrogates among them), the rest neutralised as
 * rg_untrusted_append does (C1 and bidirectional controls as visible escapes, CI
 * markers broken), the five special characters as entities, and LF and CR as character
 * references (&#10; &#13;: a parser reads them back exactly, and every line of the
 * document stays the writer's own); a tab too in an attribute. */
void rg_untrusted_xml(rg_strbuf *b, const char *s, int attribute);

#endif
