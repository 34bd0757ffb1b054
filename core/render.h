/* Human-readable renderings of a decision. */
#ifndef RG_RENDER_H
#define RG_RENDER_H

#include "relgate/relgate.h"

/* The decision as plain text for a person at a terminal or in a job log: the verdict,
 * one line per requirement with its message, and for each one that did not pass its
 * hint and the details looked at.  Returns a string the caller frees, or NULL. */
char *rg_decision_to_text(const rg_decision *d);

#endif
