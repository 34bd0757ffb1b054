/* The report model: items, failing test cases, latest-wins merging, JSON helpers. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ci_parse.h"
#include "json_member.h"
#include "rfc3339.h"

void ci_report_init(ci_report *r)
{
    memset(r, 0, sizeof *r);
    r->declared = -1;
}

static void item_clear(ci_item *it)
{
    free(it->name);
    free(it->state);
    free(it->sha);
    free(it->note);
    free(it->origin);
}

void ci_report_free(ci_report *r)
{
    for (size_t i = 0; i < r->count; i++)
        item_clear(&r->items[i]);
    for (size_t i = 0; i < r->case_count; i++) {
        free(r->cases[i].suite);
        free(r->cases[i].name);
        free(r->cases[i].message);
    }
    free(r->items);
    ci_report_init(r);
}

ci_item *ci_item_add(ci_report *r, const char *kind)
{
    ci_item *it;
    if (r->count == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 16;
        ci_item *grown = cap > r->cap && cap < (size_t)-1 / sizeof *grown
                             ? realloc(r->items, cap * sizeof *grown) : NULL;
        if (!grown)
            return NULL;
        r->items = grown;
        r->cap = cap;
    }
    it = &r->items[r->count++];
    memset(it, 0, sizeof *it);
    it->kind = kind;
    return it;
}

int ci_sha_matches(const char *a, const char *b)
{
    size_t na = strlen(a), nb = strlen(b), n = na < nb ? na : nb;
    if (n < 7)   /* shorter than git's shortest abbreviation: only an exact match */
        return na == nb && strcasecmp(a, b) == 0;
    return strncasecmp(a, b, n) == 0;
}

long ci_report_only_commit(ci_report *r, const char *commit)
{
    long n = 0;
    for (size_t i = 0; i < r->count; i++)
        if (r->items[i].sha && !ci_sha_matches(r->items[i].sha, commit)) {
            r->items[i].ignored = 1;
            n++;
        }
    return n;
}

long ci_report_not_own_run(ci_report *r)
{
    long n = 0;
    for (size_t i = 0; r->own_run > 0 && i < r->count; i++) {
        ci_item *it = &r->items[i];
        if (it->run_system == r->own_system && it->run == r->own_run && !it->ignored && !it->tests &&
            ci_state_pending(it->state)) {
            it->own_run = 1;
            n++;
        }
    }
    return n;
}

char *ci_strdup_cut(const char *s, size_t max, int lower)
{
    size_t n;
    char *out;
    if (!s)
        return NULL;
    n = strlen(s);
    if (n > max) {
        n = max;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)  /* not inside a UTF-8 sequence */
            n--;
    }
    if (!(out = malloc(n + 1)))
        return NULL;
    memcpy(out, s, n);
    out[n] = '\0';
    for (size_t i = 0; lower && i < n; i++)
        out[i] = (char)tolower((unsigned char)out[i]);
    return out;
}

/* Replace *SLOT with a copy of S; 0, or -1 when out of memory. */
static int set(char **slot, const char *s, size_t max, int lower)
{
    char *copy = ci_strdup_cut(s, max, lower);
    if (s && !copy)
        return -1;
    free(*slot);
    *slot = copy;
    return 0;
}

int ci_item_name(ci_item *it, const char *name)
{
    char buf[64];
    if (!name || !*name) {   /* "(unnamed check run)" */
        snprintf(buf, sizeof buf, "(unnamed %s)", it->kind);
        for (char *p = buf; *p; p++)
            if (*p == '_')
                *p = ' ';
        name = buf;
    }
    return set(&it->name, name, (size_t)-1, 0);   /* whole: the name is the item's identity */
}

int ci_item_state(ci_item *it, const char *conclusion, const char *status)
{
    /* A conclusion holds once the item has completed: one beside "in_progress" or
     * "queued" is a re-run's stale answer or an inconsistent report, and the item is
     * still pending (a "success" there passed a check that had not finished). */
    int running = status && *status && strcasecmp(status, "completed") != 0;
    const char *s = conclusion && *conclusion && !running ? conclusion : status && *status ? status : NULL;
    return set(&it->state, s, 64, 1);
}

int ci_item_sha(ci_item *it, const char *sha)
{
    return set(&it->sha, sha && *sha ? sha : NULL, 128, 1);
}

int ci_item_note(ci_item *it, const char *note)
{
    return set(&it->note, note && *note ? note : NULL, CI_MESSAGE_MAX, 0);
}

int ci_item_origin(ci_item *it, const char *origin)
{
    return set(&it->origin, origin && *origin ? origin : NULL, (size_t)-1, 0);
}

int ci_time_parse(ci_report *r, const char *s, int64_t *out)
{
    rg_time t;
    if (!s || rg_timestamp_parse(s, RG_TIME_REPORT | RG_TIME_LOCAL, r->local_offset, &t, NULL) != 0)
        return -1;
    if (!t.zoned)
        r->zone_assumed = 1;
    *out = t.seconds;
    return 0;
}

void ci_item_times(ci_report *r, ci_item *it, const char *done, const char *start)
{
    int64_t t;
    if (done && ci_time_parse(r, done, &t) == 0) {
        it->done = it->order = t;
        it->has_done = it->has_order = 1;
    } else if (start && ci_time_parse(r, start, &t) == 0) {
        it->order = t;
        it->has_order = 1;
    }
}

/* The first non-blank line of S, cut: a heap string, or NULL when S has none. */
static char *first_line(const char *s)
{
    const char *end;
    while (s && *s && isspace((unsigned char)*s))
        s++;
    if (!s || !*s)
        return NULL;
    end = s;
    while (*end && *end != '\n' && *end != '\r')
        end++;
    while (end > s && isspace((unsigned char)end[-1]))
        end--;
    {
        size_t n = (size_t)(end - s);
        char *line = malloc(n + 1), *cut;
        if (!line)
            return NULL;
        memcpy(line, s, n);
        line[n] = '\0';
        cut = ci_strdup_cut(line, CI_MESSAGE_MAX, 0);
        free(line);
        return cut;
    }
}

int ci_case_add(ci_report *r, const char *suite, const char *classname, const char *name,
                const char *kind, const char *message)
{
    ci_case *c;
    char full[2 * CI_NAME_MAX + 2];
    r->failing_cases++;
    if (r->case_count >= CI_CASES_MAX)
        return 0;
    c = &r->cases[r->case_count];
    if (!name || !*name)
        name = "(unnamed)";
    if (classname && *classname)
        snprintf(full, sizeof full, "%.*s.%.*s", CI_NAME_MAX, classname, CI_NAME_MAX, name);
    else
        snprintf(full, sizeof full, "%.*s", CI_NAME_MAX, name);
    c->suite = ci_strdup_cut(suite && *suite ? suite : "(unnamed suite)", CI_NAME_MAX, 0);
    c->name = ci_strdup_cut(full, 2 * CI_NAME_MAX, 0);
    c->message = first_line(message);
    c->kind = kind;
    if (!c->suite || !c->name) {
        free(c->suite);
        free(c->name);
        free(c->message);
        return -1;
    }
    r->case_count++;
    return 0;
}

/* ---- Latest wins ---------------------------------------------------------------------- */

static int cmp_opt(const char *a, const char *b)
{
    return a && b ? strcmp(a, b) : (a != NULL) - (b != NULL);
}

/* Items that are re-runs of one thing compare equal: kind, whole name, origin, run. */
static int cmp_identity(const ci_item *a, const ci_item *b)
{
    int c = strcmp(a->kind, b->kind);
    if (!c)
        c = strcmp(a->name, b->name);
    if (!c)
        c = cmp_opt(a->origin, b->origin);
    if (!c)
        c = (a->run_system > b->run_system) - (a->run_system < b->run_system);
    if (!c)
        c = (a->run > b->run) - (a->run < b->run);
    return c;
}

/* Sorts pointers into one array: their order is the items' order in the report, so qsort
 * needs no context to keep re-runs in report order within a group. */
static int by_identity_then_place(const void *a, const void *b)
{
    const ci_item *x = *(const ci_item *const *)a, *y = *(const ci_item *const *)b;
    int c = cmp_identity(x, y);
    return c ? c : (x > y) - (x < y);
}

/* Is A later than B (A comes after B in the report)? */
static int later(const ci_item *a, const ci_item *b)
{
    if (a->has_attempt && b->has_attempt && a->attempt != b->attempt)
        return a->attempt > b->attempt;
    if (a->has_order && b->has_order && a->order != b->order)
        return a->order > b->order;
    if (a->has_id && b->has_id && a->id != b->id)
        return a->id > b->id;
    return 1;
}

long ci_report_latest(ci_report *r)
{
    const ci_item **group;
    size_t n = r->count, kept = 0;
    unsigned char *drop;
    long dropped = 0;
    if (n < 2)
        return 0;
    group = malloc(n * sizeof *group);
    drop = calloc(n, 1);
    if (!group || !drop) {
        free(group);
        free(drop);
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        if (!r->items[i].unique && !r->items[i].ignored && !r->items[i].own_run)
            group[kept++] = &r->items[i];
    qsort(group, kept, sizeof *group, by_identity_then_place);
    for (size_t g = 0; g < kept;) {
        size_t e = g + 1;
        const ci_item *best = group[g];
        while (e < kept && cmp_identity(group[e], group[g]) == 0)
            e++;
        for (size_t k = g + 1; k < e; k++)   /* report order within a group */
            if (later(group[k], best))
                best = group[k];
        for (size_t k = g; k < e; k++)
            if (group[k] != best)
                drop[group[k] - r->items] = 1;
        g = e;
    }
    kept = 0;   /* compact in one pass: dropping one by one would be quadratic */
    for (size_t i = 0; i < n; i++) {
        if (drop[i]) {
            item_clear(&r->items[i]);
            dropped++;
        } else {
            r->items[kept++] = r->items[i];
        }
    }
    r->count = kept;
    free(group);
    free(drop);
    return dropped;
}

static int by_kind_id_attempt(const void *a, const void *b)
{
    const ci_item *x = *(const ci_item *const *)a, *y = *(const ci_item *const *)b;
    int c = strcmp(x->kind, y->kind);
    if (!c)
        c = (x->id > y->id) - (x->id < y->id);
    if (!c)
        c = (x->attempt > y->attempt) - (x->attempt < y->attempt);
    return c;
}

int ci_report_distinct(const ci_report *r, char *why, size_t why_size)
{
    const ci_item **with_id = r->count ? malloc(r->count * sizeof *with_id) : NULL;
    size_t n = 0;
    int rc = 0;
    if (r->count && !with_id) {
        snprintf(why, why_size, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < r->count; i++)
        if (r->items[i].has_id)
            with_id[n++] = &r->items[i];
    if (n > 1)   /* qsort of none: with_id may be NULL, which qsort must not be given */
        qsort(with_id, n, sizeof *with_id, by_kind_id_attempt);
    for (size_t i = 1; i < n && rc == 0; i++)
        if (by_kind_id_attempt(&with_id[i - 1], &with_id[i]) == 0) {
            snprintf(why, why_size, "the report lists %s id %.0f twice (\"%.60s\"): a listing that repeats a "
                     "result may have left another out (pages that shifted while they were read)",
                     with_id[i]->kind, with_id[i]->id, with_id[i]->name);
            rc = -1;
        }
    free(with_id);
    return rc;
}

/* ---- JSON helpers --------------------------------------------------------------------- */

/* Members through the one duplicate-refusing lookup (common/json_member.h); ci_parse has
 * refused a document with a duplicated key already, so none is met here. */

const char *ci_str(const cJSON *o, const char *key)
{
    const cJSON *v = rg_json_member(o, key, NULL);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

int ci_num(const cJSON *o, const char *key, double *v)
{
    const cJSON *n = rg_json_member(o, key, NULL);
    if (!cJSON_IsNumber(n) || !isfinite(n->valuedouble))
        return 0;
    *v = n->valuedouble;
    return 1;
}

const cJSON *ci_obj(const cJSON *o, const char *key)
{
    const cJSON *v = rg_json_member(o, key, NULL);
    return cJSON_IsObject(v) ? v : NULL;
}

const cJSON *ci_arr(const cJSON *o, const char *key)
{
    const cJSON *v = rg_json_member(o, key, NULL);
    return cJSON_IsArray(v) ? v : NULL;
}
