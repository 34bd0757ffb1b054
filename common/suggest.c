/* "Did you mean ...?" for unknown names: the closest known one by edit distance. */
#include "suggest.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define LONGEST 64   /* longer words are not compared: no sensible suggestion, no cost */

/* Optimal string alignment distance of A and B (both at most LONGEST bytes). */
static size_t distance(const char *a, size_t n, const char *b, size_t m)
{
    size_t d[LONGEST + 1][LONGEST + 1];
    for (size_t i = 0; i <= n; i++)
        d[i][0] = i;
    for (size_t j = 0; j <= m; j++)
        d[0][j] = j;
    for (size_t i = 1; i <= n; i++) {
        for (size_t j = 1; j <= m; j++) {
            size_t cost = a[i - 1] != b[j - 1], best = d[i - 1][j - 1] + cost;
            if (d[i - 1][j] + 1 < best) best = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < best) best = d[i][j - 1] + 1;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < best)
                best = d[i - 2][j - 2] + 1;
            d[i][j] = best;
        }
    }
    return d[n][m];
}

size_t rg_name_distance(const char *a, const char *b)
{
    char fa[LONGEST], fb[LONGEST];
    size_t n = strlen(a), m = strlen(b);
    if (n > LONGEST || m > LONGEST)
        return SIZE_MAX;
    for (size_t i = 0; i < n; i++)
        fa[i] = a[i] == '-' ? '_' : a[i] >= 'A' && a[i] <= 'Z' ? (char)(a[i] - 'A' + 'a') : a[i];
    for (size_t i = 0; i < m; i++)
        fb[i] = b[i] == '-' ? '_' : b[i] >= 'A' && b[i] <= 'Z' ? (char)(b[i] - 'A' + 'a') : b[i];
    return distance(fa, n, fb, m);
}

void rg_suggest_start(rg_suggest *s, const char *word)
{
    s->word = word;
    s->best = NULL;
    s->distance = 0;
}

void rg_suggest_offer(rg_suggest *s, const char *name)
{
    size_t n = s->word ? strlen(s->word) : 0, m = name ? strlen(name) : 0, limit = n / 3 ? n / 3 : 1, d;
    if (!n || !m || n > LONGEST || m > LONGEST || strcmp(s->word, name) == 0)
        return;
    d = distance(s->word, n, name, m);
    if (d <= limit && (!s->best || d < s->distance)) {
        s->best = name;
        s->distance = d;
    }
}

const char *rg_suggest_text(const rg_suggest *s, char *buf, size_t size)
{
    if (!s->best)
        snprintf(buf, size, "%s", "");
    else
        snprintf(buf, size, " (did you mean '%s'?)", s->best);
    return buf;
}

const char *rg_suggest_among(const char *word, const char *const *names, char *buf, size_t size)
{
    rg_suggest s;
    rg_suggest_start(&s, word);
    for (; names && *names; names++)
        rg_suggest_offer(&s, *names);
    return rg_suggest_text(&s, buf, size);
}
