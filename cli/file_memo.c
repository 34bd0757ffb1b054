/* The names of files a process saw, and when (file_memo.h): open addressing over a table
 * twice the size of the names it may hold, so a lookup ends at an empty slot soon. */
#include <stdlib.h>
#include <string.h>

#include "file_memo.h"

typedef struct seen {
    char *name;                /* NULL: an empty slot */
    time_t at;
} seen;

struct rg_file_memo {
    seen *slots;
    size_t cap;                /* a power of two, at least twice MAX */
    size_t count, max;
};

static size_t name_hash(const char *s)
{
    size_t h = 14695981039346656037u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211u;
    return h;
}

rg_file_memo *rg_file_memo_new(size_t max)
{
    rg_file_memo *m = calloc(1, sizeof *m);
    size_t cap = 16;
    while (cap < 2 * max)
        cap *= 2;
    if (!m || !(m->slots = calloc(cap, sizeof *m->slots))) {
        free(m);
        return NULL;
    }
    m->cap = cap;
    m->max = max;
    return m;
}

void rg_file_memo_clear(rg_file_memo *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->cap; i++) {
        free(m->slots[i].name);
        m->slots[i].name = NULL;
    }
    m->count = 0;
}

void rg_file_memo_free(rg_file_memo *m)
{
    rg_file_memo_clear(m);
    if (m)
        free(m->slots);
    free(m);
}

/* NAME's slot, or the empty slot where it would go. */
static seen *slot_of(const rg_file_memo *m, const char *name)
{
    size_t mask = m->cap - 1, i = name_hash(name) & mask;
    while (m->slots[i].name && strcmp(m->slots[i].name, name) != 0)
        i = (i + 1) & mask;
    return &m->slots[i];
}

int rg_file_memo_fresh(const rg_file_memo *m, const char *name, time_t now, time_t age)
{
    const seen *s;
    if (!m)
        return 0;
    s = slot_of(m, name);
    return s->name && s->at <= now && now - s->at <= age;
}

void rg_file_memo_note(rg_file_memo *m, const char *name, time_t now)
{
    seen *s;
    if (!m)
        return;
    s = slot_of(m, name);
    if (!s->name) {
        if (m->count >= m->max) {
            rg_file_memo_clear(m);
            s = slot_of(m, name);
        }
        if (!(s->name = strdup(name)))
            return;
        m->count++;
    }
    s->at = now;
}
