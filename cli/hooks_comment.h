/* The markdown comment a deployment tool shows beside its approval: the verdict and the
 * requirements that need action, within the tool's limit (GitHub: 1024 characters). */
#ifndef HOOKS_COMMENT_H
#define HOOKS_COMMENT_H

#include <stddef.h>

#define HOOKS_COMMENT_MAX 1024

/* Render the decision JSON DECISION (LEN bytes, as the service answered it with HTTP
 * STATUS) in at most MAX bytes (at least 128): a headline with the verdict, the release
 * and the stage; one line per requirement that did not pass (errors, failures, warnings,
 * waivers, in that order), the message shortened at a character boundary when a line
 * would not fit and the rest counted ("… and 3 more"); the summary and the decision's id
 * last, always kept.  Text from the decision is escaped (common/markdown_text.h).  A
 * DECISION that is not a decision (a 4xx/5xx body, NULL) renders as the gate's refusal
 * with STATUS and its error message.  Returns a string to free, or NULL when out of
 * memory. */
char *hooks_comment(const char *decision, size_t len, int status, size_t max);

/* A comment for a deployment refused before any evaluation (PROBLEM: our own sentence,
 * escaped all the same), within MAX bytes. */
char *hooks_comment_refused(const char *problem, size_t max);

/* The UTF-8 prefix of S no longer than MAX bytes: its length, never cutting a character. */
size_t hooks_utf8_prefix(const char *s, size_t max);

#endif
