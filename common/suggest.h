/* "Did you mean ...?": the known name closest to a misspelt one, for messages about an
 * unknown requirement id, field or option.  One rule everywhere: an edit distance
 * (insertions, deletions, substitutions, swaps of neighbours) of at most a third of the
 * word's length, and at least 1; ties go to the first name offered. */
#ifndef RG_SUGGEST_H
#define RG_SUGGEST_H

#include <stddef.h>

typedef struct rg_suggest {
    const char *word;
    const char *best;   /* the closest name offered so far, or NULL */
    size_t distance;
} rg_suggest;

void rg_suggest_start(rg_suggest *s, const char *word);
/* Consider NAME (kept by pointer: it must outlive S). */
void rg_suggest_offer(rg_suggest *s, const char *name);

/* " (did you mean 'NAME'?)" into BUF when a name was close enough, else "". */
const char *rg_suggest_text(const rg_suggest *s, char *buf, size_t size);

/* How far apart A and B are as field names: the same distance, with ASCII case and '-'
 * against '_' not counted ("Data-Migrations" is 0 from "data_migrations"); SIZE_MAX when
 * either is longer than this compares. */
size_t rg_name_distance(const char *a, const char *b);

/* The closest of the NULL-terminated NAMES to WORD as rg_suggest_text. */
const char *rg_suggest_among(const char *word, const char *const *names, char *buf, size_t size);

#endif
