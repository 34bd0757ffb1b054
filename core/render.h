/* Renderings of a decision (and of an error) for people and CI systems.  Each returns
 * a heap string the caller frees, or NULL when out of memory. */
#ifndef RG_RENDER_H
#define RG_RENDER_H

#include <stdint.h>

#include "relgate/relgate.h"

typedef struct rg_text_style {
    int color;   /* ANSI colours */
    int utf8;    /* marks like ✔ ✘; plain ASCII otherwise */
} rg_text_style;

/* For a person at a terminal or reading a job log: the verdict, one aligned line per
 * requirement, and for each that needs action its hint and what was looked at. */
char *rg_decision_to_text(const rg_decision *d, const rg_text_style *style);
/* "ERROR  the gate could not be evaluated", where, the message and every further problem. */
char *rg_error_to_text(const rg_error *err);

/* A GitHub step summary or merge-request comment: a heading, a table, details. */
char *rg_decision_to_markdown(const rg_decision *d);
char *rg_error_to_markdown(const rg_error *err);

/* JUnit XML: one test case per requirement; fail -> <failure>, error -> <error>,
 * skip and waived -> <skipped>, warn -> passed with the warning in <system-out>. */
char *rg_decision_to_junit(const rg_decision *d);
char *rg_error_to_junit(const rg_error *err, int64_t now);

/* GitHub Actions workflow commands (::error, ::warning, ::notice), escaped.  Annotations
 * point at the line that last defined the requirement (an override's, else the
 * declaration's), named relative to WORKSPACE when the file lies inside it. */
char *rg_decision_to_github(const rg_decision *d, const char *workspace);
char *rg_error_to_github(const rg_error *err);

#endif
