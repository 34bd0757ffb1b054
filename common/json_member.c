/* Duplicate-refusing member lookup (see json_member.h). */
#include <stdlib.h>
#include <string.h>

#include "json_member.h"

/* Member of OBJ whose key is the LEN bytes at KEY (see rg_json_member). */
static const cJSON *member_n(const cJSON *obj, const char *key, size_t len, int *dup)
{
    const cJSON *found = NULL, *c;
    if (!cJSON_IsObject(obj) || !key)
        return NULL;
    for (c = obj->child; c; c = c->next)
        if (c->string && strncmp(c->string, key, len) == 0 && c->string[len] == '\0') {
            if (found) {
                if (dup)
                    *dup = 1;
                return NULL;
            }
            found = c;
        }
    return found;
}

const cJSON *rg_json_member(const cJSON *obj, const char *key, int *dup)
{
    return key ? member_n(obj, key, strlen(key), dup) : NULL;
}

const cJSON *rg_json_at(const cJSON *obj, const char *path)
{
    while (obj && path && *path) {
        size_t n = strcspn(path, ".");
        obj = member_n(obj, path, n, NULL);
        path += n + (path[n] == '.');
    }
    return obj;
}

static int compare_names(const void *a, const void *b)
{
    const cJSON *x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;
    return strcmp(x->string, y->string);
}

/* A member of object ITEM whose key another member has too, or NULL. */
static const cJSON *duplicate_in(const cJSON *item)
{
    const cJSON *child, *dup = NULL, **names;
    size_t n = 0, i = 0;
    for (child = item->child; child; child = child->next)
        n++;
    /* Large objects sorted; small ones (most), or any when memory is short, pair by pair. */
    names = n > 8 ? malloc(n * sizeof *names) : NULL;
    if (names) {
        for (child = item->child; child; child = child->next)
            names[i++] = child;
        qsort(names, n, sizeof *names, compare_names);
        for (i = 1; i < n && !dup; i++)
            if (strcmp(names[i - 1]->string, names[i]->string) == 0)
                dup = names[i];
        free(names);
    } else {
        const cJSON *a, *b;
        for (a = item->child; a && !dup; a = a->next)
            for (b = a->next; b && !dup; b = b->next)
                if (a->string[0] == b->string[0] && strcmp(a->string, b->string) == 0)
                    dup = b;
    }
    return dup;
}

const cJSON *rg_json_duplicate(const cJSON *item, const cJSON **parent)
{
    const cJSON *child, *dup;
    if (cJSON_IsObject(item) && (dup = duplicate_in(item))) {
        if (parent)
            *parent = item;
        return dup;
    }
    if (cJSON_IsObject(item) || cJSON_IsArray(item))
        for (child = item->child; child; child = child->next)
            if ((dup = rg_json_duplicate(child, parent)))
                return dup;
    return NULL;
}
