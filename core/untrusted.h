/* Text the engine did not write (context values, policy messages and print output, a
 * plugin check's output) on its way to a place a CI system parses: standard error (GitHub
 * Actions reads workflow commands there), terminals (control sequences). */
#ifndef RG_UNTRUSTED_H
#define RG_UNTRUSTED_H

#include <stddef.h>
#include <stdio.h>

/* Write LEN bytes of untrusted TEXT to OUT as whole lines, each starting with PREFIX
 * (our own text, e.g. "relgate: check ci.status: "), neutralised so that no line can be
 * read as a CI workflow command and no byte is a terminal control sequence.  A final
 * line without a newline gets one. */
void rg_write_untrusted_lines(FILE *out, const char *prefix, const char *text, size_t len);

#endif
