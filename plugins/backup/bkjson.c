/* Snapshot lists and the JSON reading every format shares. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bk.h"

const char *const BK_FORMAT_NAMES[] = {"auto", "manifest", "restic", "borg", "file", "directory", NULL};
#define FORMAT_COUNT (sizeof BK_FORMAT_NAMES / sizeof BK_FORMAT_NAMES[0] - 1)

const char *bk_format_name(bk_format f)
{
    return (unsigned)f < FORMAT_COUNT ? BK_FORMAT_NAMES[f] : "?";
}

int bk_format_parse(const char *name, bk_format *out)
{
    for (size_t i = 0; name && i < FORMAT_COUNT; i++)
        if (strcmp(name, BK_FORMAT_NAMES[i]) == 0) {
            *out = (bk_format)i;
            return 0;
        }
    return -1;
}

const char *bk_status_name(bk_status s)
{
    switch (s) {
    case BK_COMPLETED: return "completed";
    case BK_FAILED: return "failed";
    case BK_RUNNING: return "running";
    case BK_INCOMPLETE: return "incomplete";
    }
    return "?";
}

int bk_json_size(const cJSON *item, int64_t *out)
{
    double v;
    if (!cJSON_IsNumber(item))
        return -1;
    v = item->valuedouble;
    if (!isfinite(v) || v < 0 || v >= 9007199254740992.0 || v != floor(v))
        return -1;
    *out = (int64_t)v;
    return 0;
}

int bk_is_sha256_hex(const char *s)
{
    size_t n = 0;
    for (; s && s[n]; n++)
        if (!((s[n] >= '0' && s[n] <= '9') || (s[n] >= 'a' && s[n] <= 'f') ||
              (s[n] >= 'A' && s[n] <= 'F')))
            return 0;
    return s && n == 64;
}

bk_snapshot *bk_list_add(bk_list *list)
{
    bk_snapshot *s;
    if (list->count == list->cap) {
        size_t cap = list->cap ? list->cap * 2 : 16;
        bk_snapshot *grown;
        if (cap > (size_t)1 << 24)
            return NULL;
        grown = realloc(list->items, cap * sizeof *grown);
        if (!grown)
            return NULL;
        list->items = grown;
        list->cap = cap;
    }
    s = &list->items[list->count++];
    memset(s, 0, sizeof *s);
    s->restore_verified = -1;
    return s;
}

void bk_list_free(bk_list *list)
{
    for (size_t i = 0; i < list->count; i++) {
        free(list->items[i].paths);
        free(list->items[i].words);
    }
    free(list->items);
    cJSON_Delete(list->root);
    memset(list, 0, sizeof *list);
}

/* Length of the valid UTF-8 sequence at S (1-4), or 0 when S starts none. */
static size_t utf8_len(const unsigned char *s)
{
    size_t n;
    if (s[0] < 0x80)
        return 1;
    if (s[0] >= 0xc2 && s[0] <= 0xdf)
        n = 2;
    else if (s[0] >= 0xe0 && s[0] <= 0xef)
        n = 3;
    else if (s[0] >= 0xf0 && s[0] <= 0xf4)
        n = 4;
    else
        return 0;
    for (size_t i = 1; i < n; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] > 0x9f) ||
        (s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] > 0x8f))
        return 0; /* overlong, surrogate, beyond U+10FFFF */
    return n;
}

char *bk_clean(char *dst, size_t size, const char *src)
{
    const unsigned char *s = (const unsigned char *)(src ? src : "");
    size_t n = 0;
    if (size < 8) {
        if (size)
            dst[0] = '\0';
        return dst;
    }
    while (*s) {
        size_t k = utf8_len(s);
        if (n + (k ? k : 1) + 4 > size) { /* keep room for "..." */
            memcpy(dst + n, "...", 4);
            return dst;
        }
        if (k == 0 || *s < 0x20 || *s == 0x7f) {
            dst[n++] = '?';
            s++;
        } else {
            memcpy(dst + n, s, k);
            n += k;
            s += k;
        }
    }
    dst[n] = '\0';
    return dst;
}
