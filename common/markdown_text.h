/* Untrusted text into Markdown (GitHub Flavored): literal, on one line, no mentions. */
#ifndef RG_MARKDOWN_TEXT_H
#define RG_MARKDOWN_TEXT_H

#include "strbuf.h"

/* Append untrusted S to B as Markdown (CommonMark, GitHub Flavored) that renders as its
 * literal text on one line, in a GitHub step summary or a pull-request comment:
 * line breaks become spaces, control sequences and CI markers are neutralised
 * (untrusted.h), Markdown punctuation is backslash-escaped, '<', '>' and '&' become
 * entities (no HTML, no <autolinks>), and a zero-width space (&#8203;) goes after an '@'
 * or a ':' before a word and after "www", so GitHub makes no mention (a notification),
 * emoji (":x:" would show a status mark) or bare link (https://, www.) of it.  "#123"
 * stays an issue reference: a link into the same repository.  '|' is escaped too, so
 * the text fits in a table cell. */
void rg_md_escape(rg_strbuf *b, const char *s);

/* Append untrusted S to B as a code span: fenced by one backtick more than the longest
 * run inside it, line breaks as spaces, control sequences and CI markers neutralised;
 * IN_TABLE escapes '|' (GitHub's tables read "\|" inside code too). */
void rg_md_code(rg_strbuf *b, const char *s, int in_table);

#endif
