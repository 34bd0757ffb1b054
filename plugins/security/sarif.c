/* SARIF 2.1.0 logs, read with yajl's callback parser over chunks: memory holds one
 * chunk, one result (or one rule) at a time as a small cJSON tree, the run's rule table
 * reduced to what judging needs (a 24-byte record a rule: its severity inputs decided
 * when it is read, its id and title in a string pool, titles interned), its
 * invocations, and the deferred groups below; never the whole log.  yajl (Debian's
 * libyajl, 2.1) rather than a scanner of our own: a well-kept incremental parser, and
 * the whole document need never be in memory, as cJSON would need it.  The other
 * formats are held whole under the cap and read with jscan.c: SARIF alone outgrows
 * the cap (README.md, "Why two readers").
 *
 * Severity of a result: the "security-severity" property (a CVSS-like score, as GitHub
 * code scanning reads it) of the result, else of its rule; without one, the result's
 * level (spec 3.27.10: result.level, else the invocation's rule configuration
 * override, else the rule's defaultConfiguration.level, else "warning"), with error =
 * high, warning = medium, note = low, none = none.
 *
 * Not counted: kind pass / notApplicable / informational (not findings), baselineState
 * absent (fixed), and suppressed results: a non-empty suppressions array none of whose
 * entries is under review, rejected, or of a status we do not know.
 *
 * A run's members come in any order.  A result that needs its rule before the run's
 * tool was read (or an invocation's rule configuration before the invocations were) is
 * deferred: results alike in everything that decides their severity and ids form a
 * group, held as its key (that part of the result, as JSON) and a count, and all are
 * judged when the run ends.  For the worst list a group also keeps, of its first
 * WORST_MAX results, the message and location of those that may still be among the
 * worst: one is dropped once the list is full of findings it cannot beat however it
 * turns out (its own score; a level when only an override is missing, at most high).
 * Which group ends up the worst is not known before the run ends, so that is at most
 * WORST_MAX a group, not WORST_MAX over all; in practice the list fills early and
 * almost none are kept.  Memory is thus O(rules + deferred groups), never O(results). */
#include <limits.h>
#include <stdint.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <yajl/yajl_parse.h>

#include "report.h"

size_t sec_sarif_chunk_size = 256 * 1024;

#define MAX_DEPTH JS_MAX_DEPTH

/* A place in the document, for messages. */
typedef struct spos {
    size_t line, col;
} spos;

/* What judging needs of a rule (a reportingDescriptor), in 24 bytes: its severity
 * inputs decided when it is read, its strings in the run's pool (the id whole, the
 * title cut to what the worst list shows and interned: tools repeat them). */
#define NO_STR UINT32_MAX
enum { R_OBJECT = 1, R_SHORT = 2 };

typedef struct crule {
    uint32_t id;      /* pool offset of "id", or NO_STR */
    uint32_t title;   /* shortDescription.text (R_SHORT), else name; or NO_STR */
    double score;     /* the security-severity score, or -1 */
    uint8_t ss;       /* 1 + the severity its security-severity gives; 0: none usable */
    uint8_t level;    /* the severity its defaultConfiguration.level gives ("warning" without) */
    uint8_t flags;    /* R_OBJECT: the element is an object (else there is no rule at its index) */
} crule;

typedef struct rule_id {
    uint32_t id;      /* pool offset */
    uint32_t index;
} rule_id;

/* A tool component: the driver or an extension, and its rules. */
typedef struct comp {
    const cJSON *obj;     /* its name, guid and versions; its rules are RULES */
    const crule *rules;   /* by index */
    size_t rule_count;
    rule_id *by_id;       /* sorted by id, then index */
    size_t id_count;
} comp;

/* The rules of one component object as they stream in, one small tree at a time. */
typedef struct cbuild {
    crule *rules;
    size_t count, cap;
    int has_rules;        /* its first "rules" member was seen: a second is not read (jget's rule) */
} cbuild;

/* A deferred result that may still reach the worst list: only what differs within its
 * group.  VMAX/VSCORE: the most severe it can turn out, to drop it once the worst list
 * is full of findings it cannot beat. */
typedef struct psample {
    long seq;
    double line;
    char *file, *msg;     /* cut to what the worst list keeps; NULL: absent */
    double vscore;
    sec_sev vmax;
} psample;

/* A deferred group: results seen before what judges them (the run's tool, or its
 * invocations), alike in all that decides their severity and ids. */
typedef struct pend {
    char *key;            /* 'F' (kind fail) or 'o', and the result without what varies in the
                           * group, as JSON: parsed again to judge the group at the run's end */
    psample *sample;      /* of the first WORST_MAX, those still able to reach the list, by seq */
    long count;
    uint8_t samples, sample_cap;
} pend;

typedef struct srun {
    size_t index;         /* 1-based, for messages */
    spos at;              /* where the run starts */
    cJSON *tool, *invocations, *provenance;
    const cJSON **invs;   /* the invocations by index */
    size_t inv_count;
    const char *tool_name;
    comp *comps;          /* [0] the driver, then the extensions */
    size_t comp_count;
    cbuild *builds;       /* the rules of each component object read, in document order */
    size_t build_count, build_cap;
    char *pool;           /* rule ids and titles */
    size_t pool_len, pool_cap;
    uint32_t *titles;     /* interned titles: pool offsets, open addressing (NO_STR: free) */
    size_t title_cap, title_count;
    int tool_ready, inv_ready; /* the tool's rules and the invocations are indexed */
    int has_results, results_null, results_bad;
    spos results_at;
    char dup[160];        /* the first member given twice, as a message */
    char err[400];        /* the first result that is wrong, as a message */
    size_t ri;            /* results seen */
    long entries;         /* results read */
    pend *pends;          /* deferred results, by key (open addressing) */
    size_t pend_cap, pend_count;
    size_t *pend_order;   /* indexes into pends, in the order first seen */
    size_t samples;       /* deferred samples held */
    size_t sweep_at;      /* drop the samples that can no longer be among the worst beyond this */
} srun;

sec_sarif_stats sec_sarif_last_stats;

static const char *rstr(const srun *r, uint32_t off)
{
    return off == NO_STR ? NULL : r->pool + off;
}

static size_t text_hash(const char *k, size_t n)
{
    size_t h = 1469598103934665603u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)k[i]) * 1099511628211u;
    return h;
}

/* Copy N bytes of S to the pool: 0 with *OFF, or -1 (out of memory, or a pool past
 * 4 GiB). */
static int pool_put(srun *r, const char *s, size_t n, uint32_t *off)
{
    if (r->pool_len + n + 1 > r->pool_cap) {
        size_t cap = r->pool_cap ? r->pool_cap : 4096;
        char *grown;
        if (r->pool_len + n + 1 > UINT32_MAX)
            return -1;
        while (cap < r->pool_len + n + 1)
            cap *= 2;
        if (cap > UINT32_MAX)
            cap = UINT32_MAX;
        if (!(grown = realloc(r->pool, cap)))
            return -1;
        r->pool = grown;
        r->pool_cap = cap;
    }
    memcpy(r->pool + r->pool_len, s, n);
    r->pool[r->pool_len + n] = '\0';
    *off = (uint32_t)r->pool_len;
    r->pool_len += n + 1;
    return 0;
}

/* S cut to KEPT_TITLE_MAX bytes, once in the pool however many rules share it. */
static int title_put(srun *r, const char *s, uint32_t *off)
{
    size_t n = sec_utf8_cut(s, strlen(s), SEC_KEPT_TITLE_MAX), i;
    if (r->title_count * 2 >= r->title_cap) {
        size_t cap = r->title_cap ? r->title_cap * 2 : 256;
        uint32_t *grown = malloc(cap * sizeof *grown);
        if (!grown)
            return -1;
        for (i = 0; i < cap; i++)
            grown[i] = NO_STR;
        for (size_t k = 0; k < r->title_cap; k++) {
            const char *t;
            if (r->titles[k] == NO_STR)
                continue;
            t = r->pool + r->titles[k];
            for (i = text_hash(t, strlen(t)) & (cap - 1); grown[i] != NO_STR; i = (i + 1) & (cap - 1))
                ;
            grown[i] = r->titles[k];
        }
        free(r->titles);
        r->titles = grown;
        r->title_cap = cap;
    }
    for (i = text_hash(s, n) & (r->title_cap - 1); r->titles[i] != NO_STR; i = (i + 1) & (r->title_cap - 1)) {
        const char *t = r->pool + r->titles[i];
        if (strncmp(t, s, n) == 0 && t[n] == '\0') {
            *off = r->titles[i];
            return 0;
        }
    }
    if (pool_put(r, s, n, off) != 0)
        return -1;
    r->titles[i] = *off;
    r->title_count++;
    return 0;
}

/* A component object starts: a builder for its rules.  Returns its index, or -1. */
static int build_new(srun *r)
{
    if (r->build_count == r->build_cap) {
        size_t cap = r->build_cap ? r->build_cap * 2 : 4;
        cbuild *grown;
        if (cap > INT_MAX / 2 || !(grown = realloc(r->builds, cap * sizeof *grown)))
            return -1;
        r->builds = grown;
        r->build_cap = cap;
    }
    memset(&r->builds[r->build_count], 0, sizeof r->builds[0]);
    return (int)r->build_count++;
}

static int security_severity(const cJSON *v, sec_sev *out, double *score);
static sec_sev level_sev(const char *level);

/* The next rule of builder B: RULE (its small tree: NULL or no object, no rule at this
 * index) reduced to what judging needs.  Returns 0, or -1 when out of memory. */
static int rule_add(srun *r, int b, const cJSON *rule)
{
    cbuild *cb;
    crule c = {NO_STR, NO_STR, -1, 0, SEC_SEV_MEDIUM, 0};
    if (b < 0 || (size_t)b >= r->build_count)
        return 0;
    cb = &r->builds[b];
    if (cb->count == cb->cap) {
        size_t cap = cb->cap ? cb->cap * 2 : 16;
        crule *grown;
        if (cb->count >= UINT32_MAX - 1 || !(grown = realloc(cb->rules, cap * sizeof *grown)))
            return -1;
        cb->rules = grown;
        cb->cap = cap;
    }
    if (cJSON_IsObject(rule)) {
        const char *id = sec_jstr(rule, "id"), *lv = sec_jstr(rule, "defaultConfiguration.level"), *t;
        sec_sev sv;
        double sc;
        c.flags = R_OBJECT;
        if (id && pool_put(r, id, strlen(id), &c.id) != 0)
            return -1;
        if (security_severity(rg_json_member(rg_json_member(rule, "properties", NULL), "security-severity", NULL), &sv, &sc)) {
            c.ss = (uint8_t)(1 + sv);
            c.score = sc;
        }
        c.level = (uint8_t)level_sev(lv ? lv : "warning");
        if ((t = sec_jstr(rule, "shortDescription.text")) != NULL)
            c.flags |= R_SHORT;
        else
            t = sec_jstr(rule, "name");
        if (t && title_put(r, t, &c.title) != 0)
            return -1;
    }
    cb->rules[cb->count++] = c;
    return 0;
}

static const char *sort_pool; /* the pool by_id compares in (qsort has no context) */

static int by_id(const void *a, const void *b)
{
    const rule_id *x = a, *y = b;
    int c = strcmp(sort_pool + x->id, sort_pool + y->id);
    return c ? c : (x->index > y->index) - (x->index < y->index);
}

/* Component C is OBJ: its rules (read by the builder OBJ names in its valueint) indexed
 * by id (c->by_id: heap, freed by run_free).  Returns 0, or -1 when out of memory. */
static int comp_init(srun *r, comp *c, const cJSON *obj)
{
    const cbuild *cb;
    memset(c, 0, sizeof *c);
    c->obj = obj;
    if (!cJSON_IsObject(obj) || obj->valueint < 1 || (size_t)obj->valueint > r->build_count)
        return 0;
    cb = &r->builds[obj->valueint - 1];
    if (!cb->count)
        return 0;
    c->rules = cb->rules;
    c->rule_count = cb->count;
    if (!(c->by_id = malloc(cb->count * sizeof *c->by_id)))
        return -1;
    for (size_t i = 0; i < cb->count; i++)
        if ((cb->rules[i].flags & R_OBJECT) && cb->rules[i].id != NO_STR) {
            c->by_id[c->id_count].id = cb->rules[i].id;
            c->by_id[c->id_count].index = (uint32_t)i;
            c->id_count++;
        }
    sort_pool = r->pool;
    qsort(c->by_id, c->id_count, sizeof *c->by_id, by_id);
    return 0;
}

/* The rule of C at INDEX, or NULL. */
static const crule *rule_at(const comp *c, double index)
{
    const crule *rule;
    if (!c || !(index >= 0) || index != floor(index) || index >= (double)c->rule_count)
        return NULL;
    rule = &c->rules[(size_t)index];
    return rule->flags & R_OBJECT ? rule : NULL;
}

/* The rule of C named ID: exactly, else by the leading components of a hierarchical
 * id ("CA5350/md5" is a result of rule "CA5350"). */
/* strcmp of A with the first N bytes of B (which holds no NUL in them) as a string. */
static int compare_prefix(const char *a, const char *b, size_t n)
{
    int c = strncmp(a, b, n);
    return c ? c : a[n] != '\0';   /* equal so far: A has N bytes at least */
}

static const crule *rule_named(const srun *r, const comp *c, const char *id, size_t *index)
{
    /* Ids of any length: the components are prefixes of ID, compared in place. */
    size_t n = strlen(id);
    if (!c || !c->id_count)
        return NULL;
    for (;;) {
        size_t lo = 0, hi = c->id_count;
        while (lo < hi) { /* the first entry with this id */
            size_t mid = lo + (hi - lo) / 2;
            if (compare_prefix(r->pool + c->by_id[mid].id, id, n) < 0)
                lo = mid + 1;
            else
                hi = mid;
        }
        if (lo < c->id_count && compare_prefix(r->pool + c->by_id[lo].id, id, n) == 0) {
            *index = c->by_id[lo].index;
            return &c->rules[*index];
        }
        while (n > 0 && id[n - 1] != '/')
            n--;
        if (n == 0)
            return NULL;
        n--;   /* drop the slash: the leading components */
    }
}

/* The component a toolComponentReference TC designates, or NULL. */
static const comp *comp_ref(const srun *r, const cJSON *tc)
{
    double idx = sec_jnum(tc, "index", -1);
    const char *guid = sec_jstr(tc, "guid"), *name = sec_jstr(tc, "name");
    const comp *by_index = NULL, *by_guid = NULL, *by_name = NULL, *c;
    size_t guids = 0, names = 0;
    if (idx >= 0 && idx == floor(idx) && idx < (double)(r->comp_count - 1))
        by_index = &r->comps[1 + (size_t)idx];
    for (size_t i = 0; i < r->comp_count; i++) {
        const char *g = sec_jstr(r->comps[i].obj, "guid"), *nm = sec_jstr(r->comps[i].obj, "name");
        if (guid && g && strcasecmp(guid, g) == 0)
            by_guid = &r->comps[i], guids++;
        if (name && nm && strcmp(name, nm) == 0)
            by_name = &r->comps[i], names++;
    }
    /* Every part given names one component, the same one (round 23, F08): an index and a
     * name naming two, or a name two components share, is no reference. */
    c = by_index ? by_index : by_guid ? by_guid : by_name;
    if (!c || guids > 1 || names > 1 || (idx != -1 && c != by_index) || (guid && c != by_guid) ||
        (name && c != by_name))
        return NULL;
    return c;
}

/* The reportingDescriptor of result RES (its rule), with its component and index: by
 * its index (rule.index, else ruleIndex) when the rule there has exactly the result's id
 * (rule.id, else ruleId) or the result has none -- several rules may share an id, and the
 * index tells them apart -- else by the id (a hierarchical one by its parents).  The id is the name the finding is shown and ignored by; an index
 * that points at a rule of another id is not followed (a Trivy release wrote ruleIndex
 * counting from each target, so that half of a real file's indexes name other CVEs), or
 * a finding would be judged by one rule while shown as another, and a critical one
 * could pass as low (round 21, F02).  *DISAGREE: the result names its rule in ways that
 * cannot both hold -- ruleId and rule.id, or ruleIndex and rule.index, naming different
 * rules, or a toolComponent that is no object or names no one component of the run --
 * the run's error. */
static const crule *find_rule(const srun *r, const cJSON *res, const comp **owner, size_t *index, int *disagree)
{
    const cJSON *ref = rg_json_member(res, "rule", NULL), *tc = rg_json_member(ref, "toolComponent", NULL);
    const crule *rule;
    const comp *c = &r->comps[0];
    const char *ref_id = sec_jstr(ref, "id"), *result_id = sec_jstr(res, "ruleId");
    const char *id = ref_id ? ref_id : result_id;
    double ref_idx = sec_jnum(ref, "index", -1), rule_idx = sec_jnum(res, "ruleIndex", -1);
    double idx = ref_idx >= 0 ? ref_idx : rule_idx;

    *disagree = (ref_id && result_id && strcmp(ref_id, result_id) != 0) ||
                (ref_idx >= 0 && rule_idx >= 0 && ref_idx != rule_idx);
    if (tc && (!cJSON_IsObject(tc) || !(c = comp_ref(r, tc)))) {
        *disagree = 1;
        return NULL;
    }
    /* The index decides between rules that share the result's id; one whose rule has
     * another id, a parent's or none is not followed (round 23, F07). */
    if ((rule = rule_at(c, idx)) != NULL && (!id || (rule->id != NO_STR && strcmp(id, rstr(r, rule->id)) == 0))) {
        *owner = c;
        *index = (size_t)idx;
        return rule;
    }
    if (!id)
        return NULL;
    if ((rule = rule_named(r, c, id, index)) != NULL) {
        *owner = c;
        return rule;
    }
    for (size_t i = 1; !tc && i < r->comp_count; i++)
        if ((rule = rule_named(r, &r->comps[i], id, index)) != NULL) {
            *owner = &r->comps[i];
            return rule;
        }
    /* No rule has that id, and the index names a rule of another: neither judges it (its
     * own level does), or that rule's score and id would judge and silence it (round 23,
     * F05). */
    return NULL;
}

/* A security-severity value: a score 0..10 (number or numeric string), or a severity
 * word.  Returns 1 with *OUT (and *SCORE, or -1), or 0 when V is not usable. */
static int security_severity(const cJSON *v, sec_sev *out, double *score)
{
    double x;
    char *end;
    if (cJSON_IsString(v)) {
        const char *s = v->valuestring;
        while (*s == ' ')
            s++;
        if (sec_sev_parse(s, out) == 0 && *out != SEC_SEV_UNKNOWN) {
            *score = -1;
            return 1;
        }
        x = strtod(s, &end);
        if (end == s)
            return 0;
        while (*end == ' ')
            end++;
        if (*end)
            return 0;
    } else if (cJSON_IsNumber(v)) {
        x = v->valuedouble;
    } else {
        return 0;
    }
    if (!isfinite(x) || x < 0 || x > 10)
        return 0;
    *score = x;
    *out = sec_sev_from_score(x);
    return 1;
}

static sec_sev level_sev(const char *level)
{
    if (strcasecmp(level, "error") == 0) return SEC_SEV_HIGH;
    if (strcasecmp(level, "note") == 0) return SEC_SEV_LOW;
    if (strcasecmp(level, "none") == 0) return SEC_SEV_NONE;
    return SEC_SEV_MEDIUM; /* "warning", and what the spec does not know */
}

/* The level a configuration override of the result's invocation gives RULE, or NULL. */
static const char *override_level(const srun *r, const cJSON *res, const comp *owner, size_t index,
                                  const crule *rule)
{
    const cJSON *inv = NULL, *o;
    double ii = sec_jnum(rg_json_member(res, "provenance", NULL), "invocationIndex", -1);
    const char *rid = rstr(r, rule->id);
    if (ii >= 0 && ii == floor(ii) && ii < (double)r->inv_count)
        inv = r->invs[(size_t)ii];
    else if (r->inv_count == 1) /* one invocation: it is the result's */
        inv = r->invs[0];
    o = rg_json_member(inv, "ruleConfigurationOverrides", NULL);
    for (o = cJSON_IsArray(o) ? o->child : NULL; o; o = o->next) {
        const cJSON *ref = rg_json_member(o, "descriptor", NULL), *tc = rg_json_member(ref, "toolComponent", NULL);
        const comp *c = cJSON_IsObject(tc) ? comp_ref(r, tc) : &r->comps[0];
        double di = sec_jnum(ref, "index", -1);
        const char *did = sec_jstr(ref, "id"), *level = sec_jstr(rg_json_member(o, "configuration", NULL), "level");
        if (c != owner || !level)
            continue;
        if ((di >= 0 && di == (double)index) || (di < 0 && did && rid && strcmp(did, rid) == 0))
            return level;
    }
    return NULL;
}

/* Suppressed: a non-empty array whose every entry is accepted (or says nothing). */
static int suppressed(const cJSON *sup)
{
    const cJSON *e;
    if (!cJSON_IsArray(sup) || !sup->child)
        return 0;
    cJSON_ArrayForEach(e, sup) {
        const cJSON *st;
        int dup = 0;
        if (!cJSON_IsObject(e))
            return 0;
        st = rg_json_member(e, "status", &dup);
        if (dup || (st && !cJSON_IsNull(st) && !(cJSON_IsString(st) && strcmp(st->valuestring, "accepted") == 0)))
            return 0;
    }
    return 1;
}

/* ---- Results ----------------------------------------------------------------------- */

/* The checks that need nothing but the result: RES's types, and whether it is a finding
 * at all.  Returns -1 (R->err says why), 1 (counted: not a finding, fixed or
 * suppressed) or 0 (a finding: judge it), with *FAIL_KIND. */
static int result_classify(srun *r, const cJSON *res, size_t ri, spos at, sec_scan *s, int *fail_kind)
{
    int dup = 0;
    const cJSON *kind = rg_json_member(res, "kind", &dup), *level = rg_json_member(res, "level", &dup);
    const cJSON *base = rg_json_member(res, "baselineState", &dup), *sup = rg_json_member(res, "suppressions", &dup);
    (void)rg_json_member(res, "properties", &dup);
    *fail_kind = 1;
    if (dup) {
        snprintf(r->err, sizeof r->err, "run %zu, result %zu: a member appears twice at line %zu, column %zu",
                 r->index, ri, at.line, at.col);
        return -1;
    }
    if ((kind && !cJSON_IsString(kind)) || (level && !cJSON_IsNull(level) && !cJSON_IsString(level)) ||
        (base && !cJSON_IsNull(base) && !cJSON_IsString(base)) ||
        (sup && !cJSON_IsNull(sup) && !cJSON_IsArray(sup))) {
        snprintf(r->err, sizeof r->err, "run %zu, result %zu: kind, level, baselineState or suppressions "
                 "of the wrong type at line %zu, column %zu", r->index, ri, at.line, at.col);
        return -1;
    }
    if (kind) {
        const char *k = kind->valuestring;
        if (strcmp(k, "pass") == 0 || strcmp(k, "notApplicable") == 0 || strcmp(k, "informational") == 0) {
            s->cur->passed++;
            return 1;
        }
        *fail_kind = strcmp(k, "open") != 0 && strcmp(k, "review") != 0; /* unknown kinds: as fail */
    }
    if (cJSON_IsString(base) && strcmp(base->valuestring, "absent") == 0) {
        s->cur->absent++;
        return 1;
    }
    if (suppressed(sup)) {
        s->cur->suppressed++;
        return 1;
    }
    return 0;
}

/* Judge finding RES (classified) and count it as number SEQ; SMP, when given, has the
 * message and location (a deferred result: RES is its group's).  Unless FINAL, returns
 * 1 without counting when what judges it has not been read yet. */
static int result_judge(srun *r, const cJSON *res, int fail_kind, long seq, sec_scan *s, int final,
                        const psample *smp)
{
    const cJSON *level = rg_json_member(res, "level", NULL), *props = rg_json_member(res, "properties", NULL), *loc, *phys;
    const crule *rule;
    const comp *owner = NULL;
    const char *rid, *msg;
    size_t index = 0;
    int disagree = 0;
    sec_finding f;

    if (!final && !r->tool_ready)
        return 1;
    memset(&f, 0, sizeof f);
    f.kind = "result";
    f.score = -1;
    rule = r->tool_ready ? find_rule(r, res, &owner, &index, &disagree) : NULL;
    if (disagree) {
        if (!r->err[0])
            snprintf(r->err, sizeof r->err, "run %zu: a result of rule %.80s names its rule in ways that disagree "
                     "(ruleId and rule.id, or ruleIndex and rule.index), or a tool component the run does not have",
                     r->index, sec_jstr(res, "ruleId")     ? sec_jstr(res, "ruleId")
                               : sec_jstr(res, "rule.id") ? sec_jstr(res, "rule.id")
                                                          : "(no id)");
        return 0;
    }
    if (!security_severity(rg_json_member(props, "security-severity", NULL), &f.severity, &f.score)) {
        if (rule && rule->ss) {
            f.severity = (sec_sev)(rule->ss - 1);
            f.score = rule->score;
        } else {
            const char *lv = cJSON_IsString(level) ? level->valuestring : NULL;
            if (!lv && !fail_kind)
                lv = "none";
            if (!lv && rule) {
                if (!final && !r->inv_ready)
                    return 1;
                lv = override_level(r, res, owner, index, rule);
            }
            f.severity = lv ? level_sev(lv) : rule ? (sec_sev)rule->level : SEC_SEV_MEDIUM;
        }
    }
    rid = rule ? rstr(r, rule->id) : NULL;
    f.id = sec_jstr(res, "ruleId") ? sec_jstr(res, "ruleId") : sec_jstr(res, "rule.id") ? sec_jstr(res, "rule.id") : rid ? rid : "";
    if (rid && strcmp(rid, f.id) != 0)
        f.alias[0] = rid;
    msg = smp ? smp->msg : sec_jstr(res, "message.text");
    f.title = rule && (rule->flags & R_SHORT) ? rstr(r, rule->title) : msg ? msg : rule ? rstr(r, rule->title) : NULL;
    if (smp) {
        f.file = smp->file;
        f.line = smp->line;
    } else {
        loc = rg_json_member(res, "locations", NULL);
        phys = rg_json_member(cJSON_IsArray(loc) ? loc->child : NULL, "physicalLocation", NULL);
        f.file = sec_jstr(phys, "artifactLocation.uri");
        f.line = sec_jnum(phys, "region.startLine", 0);
    }
    f.target = r->tool_name;
    sec_scan_add_seq(s, &f, seq);
    return 0;
}

/* The key of a deferred result: everything that decides its severity and ids (heap):
 * RES without the rest (what varies within a group: message, locations; and what was
 * decided already: kind, baselineState, suppressions). */
static char *pend_key(const cJSON *res, int fail_kind)
{
    static const char *const VARY[] = {"message", "locations", "kind", "baselineState", "suppressions"};
    cJSON *copy = cJSON_Duplicate(res, 1);
    char *text, *key;
    size_t n;
    if (!copy)
        return NULL;
    for (size_t i = 0; i < sizeof VARY / sizeof VARY[0]; i++)
        while (cJSON_GetObjectItemCaseSensitive(copy, VARY[i]))
            cJSON_DeleteItemFromObjectCaseSensitive(copy, VARY[i]);
    text = cJSON_PrintUnformatted(copy);
    cJSON_Delete(copy);
    if (!text)
        return NULL;
    n = strlen(text);
    key = malloc(n + 2);
    if (key) {
        key[0] = fail_kind ? 'F' : 'o';
        memcpy(key + 1, text, n + 1);
    }
    free(text);
    return key;
}

static void sample_free(psample *m)
{
    free(m->file);
    free(m->msg);
}

/* Forget the samples no finding still to come could let into the worst list: it is
 * full of findings they cannot beat, and it only gets worse. */
static void pend_sweep(srun *r, const sec_scan *s)
{
    r->samples = 0;
    for (size_t k = 0; k < r->pend_count; k++) {
        pend *p = &r->pends[r->pend_order[k]];
        size_t j = 0;
        for (size_t i = 0; i < p->samples; i++) {
            if (sec_scan_would_keep(s, p->sample[i].vmax, p->sample[i].vscore, p->sample[i].seq))
                p->sample[j++] = p->sample[i];
            else
                sample_free(&p->sample[i]);
        }
        p->samples = j;
        r->samples += j;
    }
    r->sweep_at = r->samples * 2 > 1024 ? r->samples * 2 : 1024;
}

/* A copy of S cut to MAX bytes (on a UTF-8 boundary), or NULL for NULL; sets *OOM. */
static char *cut_copy(const char *s, size_t max, int *oom)
{
    size_t n;
    char *c;
    if (!s)
        return NULL;
    n = sec_utf8_cut(s, strlen(s), max);
    if (!(c = malloc(n + 1))) {
        *oom = 1;
        return NULL;
    }
    memcpy(c, s, n);
    c[n] = '\0';
    return c;
}

/* Defer RES (the caller's) as number SEQ: counted in its group and, when it may be
 * among the worst, kept as a sample.  Returns 0, or -1 when out of memory. */
static int pend_add(srun *r, const cJSON *res, int fail_kind, long seq, sec_scan *s)
{
    char *key = pend_key(res, fail_kind);
    size_t h, i;
    pend *p;
    if (!key)
        return -1;
    if (r->pend_count * 2 >= r->pend_cap) {
        size_t cap = r->pend_cap ? r->pend_cap * 2 : 64;
        pend *grown = calloc(cap, sizeof *grown);
        size_t *order = realloc(r->pend_order, cap * sizeof *order);
        if (!grown || !order) {
            free(grown);
            if (order)
                r->pend_order = order;
            free(key);
            return -1;
        }
        r->pend_order = order;
        for (size_t k = 0; k < r->pend_count; k++) {
            pend *old = &r->pends[r->pend_order[k]];
            for (i = text_hash(old->key, strlen(old->key)) & (cap - 1); grown[i].key; i = (i + 1) & (cap - 1))
                ;
            grown[i] = *old;
            r->pend_order[k] = i;
        }
        free(r->pends);
        r->pends = grown;
        r->pend_cap = cap;
    }
    h = text_hash(key, strlen(key));
    for (i = h & (r->pend_cap - 1); r->pends[i].key && strcmp(r->pends[i].key, key) != 0; i = (i + 1) & (r->pend_cap - 1))
        ;
    p = &r->pends[i];
    if (!p->key) {
        p->key = key;
        r->pend_order[r->pend_count++] = i;
        if (r->pend_count > sec_sarif_last_stats.peak_groups)
            sec_sarif_last_stats.peak_groups = r->pend_count;
    } else {
        free(key);
    }
    /* Only the first WORST_MAX of a group can be among the worst: the others rank
     * behind them.  And only while the list is not full of findings they cannot beat:
     * the most severe they can be is their own security-severity when they have one,
     * else, when only an invocation's override is missing, a level (error: high),
     * else anything. */
    if (p->count++ < SEC_WORST_MAX) {
        psample m;
        const cJSON *loc, *phys;
        int oom = 0;
        memset(&m, 0, sizeof m);
        m.seq = seq;
        if (!security_severity(rg_json_member(rg_json_member(res, "properties", NULL), "security-severity", NULL), &m.vmax, &m.vscore)) {
            m.vmax = r->tool_ready ? SEC_SEV_HIGH : SEC_SEV_CRITICAL;
            m.vscore = r->tool_ready ? -1 : 10;
        }
        if (!sec_scan_would_keep(s, m.vmax, m.vscore, seq))
            return 0;
        if (p->samples == p->sample_cap) {
            size_t cap = p->sample_cap ? p->sample_cap * 2 : 2;
            psample *grown = realloc(p->sample, (cap < SEC_WORST_MAX ? cap : SEC_WORST_MAX) * sizeof *grown);
            if (!grown)
                return -1;
            p->sample = grown;
            p->sample_cap = (uint8_t)(cap < SEC_WORST_MAX ? cap : SEC_WORST_MAX);
        }
        loc = rg_json_member(res, "locations", NULL);
        phys = rg_json_member(cJSON_IsArray(loc) ? loc->child : NULL, "physicalLocation", NULL);
        m.file = cut_copy(sec_jstr(phys, "artifactLocation.uri"), SEC_KEPT_FILE_MAX, &oom);
        m.line = sec_jnum(phys, "region.startLine", 0);
        m.msg = cut_copy(sec_jstr(res, "message.text"), SEC_KEPT_TITLE_MAX, &oom);
        if (oom) {
            sample_free(&m);
            return -1;
        }
        p->sample[p->samples++] = m;
        if (++r->samples > sec_sarif_last_stats.peak_samples)
            sec_sarif_last_stats.peak_samples = r->samples;
        if (r->samples >= r->sweep_at)
            pend_sweep(r, s);
    }
    return 0;
}

/* Judge the deferred results, now that the run is read.  Returns 0, or -1 when out of
 * memory. */
static int pend_resolve(srun *r, sec_scan *s)
{
    for (size_t k = 0; k < r->pend_count; k++) {
        pend *p = &r->pends[r->pend_order[k]];
        cJSON *res = cJSON_Parse(p->key + 1);
        int fail_kind = p->key[0] == 'F';
        if (!res)
            return -1;
        for (size_t j = 0; j < p->samples; j++)
            result_judge(r, res, fail_kind, p->sample[j].seq, s, 1, &p->sample[j]);
        /* The rest are alike the samples: none can rank among the worst ahead of them
         * (or of the full list that made a sample go), but each counts (and may match
         * ignore entries). */
        for (long j = (long)p->samples; j < p->count; j++)
            result_judge(r, res, fail_kind, LONG_MAX, s, 1, NULL);
        cJSON_Delete(res);
    }
    return 0;
}

/* What the rule table of R holds, in bytes. */
static size_t rule_bytes(const srun *r)
{
    size_t n = r->pool_cap + r->title_cap * sizeof *r->titles + r->build_cap * sizeof *r->builds;
    for (size_t i = 0; i < r->build_count; i++)
        n += r->builds[i].cap * sizeof *r->builds[i].rules;
    for (size_t i = 0; i < r->comp_count; i++)
        n += r->comps[i].id_count * sizeof *r->comps[i].by_id;
    return n;
}

static void run_free(srun *r)
{
    for (size_t i = 0; i < r->build_count; i++) {
        sec_sarif_last_stats.rules += r->builds[i].count;
        free(r->builds[i].rules);
    }
    free(r->builds);
    for (size_t i = 0; i < r->comp_count; i++)
        free(r->comps[i].by_id);
    free(r->comps);
    free(r->pool);
    free(r->titles);
    free(r->invs);
    cJSON_Delete(r->tool);
    cJSON_Delete(r->invocations);
    cJSON_Delete(r->provenance);
    for (size_t k = 0; k < r->pend_count; k++) {
        pend *p = &r->pends[r->pend_order[k]];
        free(p->key);
        for (size_t j = 0; j < p->samples; j++)
            sample_free(&p->sample[j]);
        free(p->sample);
    }
    free(r->pends);
    free(r->pend_order);
    memset(r, 0, sizeof *r);
}

static void note_tool(sec_info *info, const cJSON *driver)
{
    const char *name = sec_jstr(driver, "name"), *ver = sec_jstr(driver, "semanticVersion");
    size_t n = strlen(info->tool);
    char one[96];
    if (!ver)
        ver = sec_jstr(driver, "version");
    snprintf(one, sizeof one, "%s%s%s", name && *name ? name : "(unnamed tool)", ver ? " " : "", ver ? ver : "");
    if (strstr(info->tool, one) || n + strlen(one) + 3 >= sizeof info->tool)
        return;
    snprintf(info->tool + n, sizeof info->tool - n, "%s%s", n ? ", " : "", one);
}

/* The tool is read: index its components' rules.  Returns 0, or -1 when out of memory. */
static int tool_ready(srun *r)
{
    const cJSON *driver = rg_json_member(r->tool, "driver", NULL), *ext, *e;
    if (r->tool_ready || !cJSON_IsObject(driver))
        return 0;
    r->tool_name = sec_jstr(driver, "name") && *sec_jstr(driver, "name") ? sec_jstr(driver, "name") : "(unnamed tool)";
    /* No rule comes after the tool: what was room to grow is given back, and the title
     * set is no longer needed (the pool moves: it is reached by offsets). */
    for (size_t i = 0; i < r->build_count; i++) {
        cbuild *cb = &r->builds[i];
        crule *fit = cb->count ? realloc(cb->rules, cb->count * sizeof *fit) : NULL;
        if (cb->count && fit)
            cb->rules = fit;
        if (!cb->count) {
            free(cb->rules);
            cb->rules = NULL;
        }
        cb->cap = cb->count ? (fit ? cb->count : cb->cap) : 0;
    }
    if (r->pool_len && r->pool_len < r->pool_cap) {
        char *fit = realloc(r->pool, r->pool_len);
        if (fit) {
            r->pool = fit;
            r->pool_cap = r->pool_len;
        }
    }
    free(r->titles);
    r->titles = NULL;
    r->title_cap = r->title_count = 0;
    ext = rg_json_member(r->tool, "extensions", NULL);
    r->comp_count = 1 + (cJSON_IsArray(ext) ? (size_t)cJSON_GetArraySize(ext) : 0);
    r->comps = calloc(r->comp_count, sizeof *r->comps);
    if (!r->comps || comp_init(r, &r->comps[0], driver) != 0)
        return -1;
    if (cJSON_IsArray(ext)) {
        size_t i = 1;
        cJSON_ArrayForEach(e, ext)
            if (comp_init(r, &r->comps[i++], e) != 0)
                return -1;
    }
    r->tool_ready = 1;
    if (rule_bytes(r) > sec_sarif_last_stats.rule_bytes)
        sec_sarif_last_stats.rule_bytes = rule_bytes(r);
    return 0;
}

static int invocations_ready(srun *r)
{
    const cJSON *e;
    if (r->inv_ready)
        return 0;
    for (e = cJSON_IsArray(r->invocations) ? r->invocations->child : NULL; e; e = e->next)
        r->inv_count++;
    if (r->inv_count && !(r->invs = calloc(r->inv_count, sizeof *r->invs)))
        return -1;
    r->inv_count = 0;
    for (e = cJSON_IsArray(r->invocations) ? r->invocations->child : NULL; e; e = e->next)
        r->invs[r->inv_count++] = e;
    r->inv_ready = 1;
    return 0;
}

/* An invocation's notifications of level "error" (SARIF's second sign that a run failed,
 * beside executionSuccessful false: toolExecutionNotifications, the tool failed on a file;
 * toolConfigurationNotifications, it could not be set up or could not parse its input):
 * each given to FN with its list's name (FN may be NULL); how many.  Warnings and notes
 * are not. */
static size_t error_notifications(const cJSON *invocation, void (*fn)(const cJSON *note, const char *list, void *data),
                                  void *data)
{
    static const char *const lists[] = {"toolExecutionNotifications", "toolConfigurationNotifications"};
    size_t count = 0;
    for (size_t l = 0; l < sizeof lists / sizeof *lists; l++) {
        const cJSON *notes = rg_json_member(invocation, lists[l], NULL), *n;
        if (!cJSON_IsArray(notes))
            continue;
        cJSON_ArrayForEach(n, notes) {
            const char *level = sec_jstr(n, "level");
            if (level && strcmp(level, "error") == 0) {
                count++;
                if (fn)
                    fn(n, lists[l], data);
            }
        }
    }
    return count;
}

/* Whether run R, which has no results member at all, says it ran to completion and found
 * nothing: invocations, every one with executionSuccessful true and no error-level
 * notification.  staticcheck writes a clean run so (real round 37, F04); a run with no
 * invocations (rules exported), or one null results, stays an error. */
static int clean_without_results(srun *r)
{
    if (invocations_ready(r) != 0 || r->inv_count == 0)
        return 0;
    for (size_t i = 0; i < r->inv_count; i++)
        if (!cJSON_IsTrue(rg_json_member(r->invs[i], "executionSuccessful", NULL)) ||
            error_notifications(r->invs[i], NULL, NULL))
            return 0;
    return 1;
}

/* ---- The parser ------------------------------------------------------------------------- */

/* What is kept of a subtree: members by name ("*": every element of an array, "0": the
 * first only); a member without KIDS is kept as a value (an object or array as an
 * empty one, its type being what matters). */
typedef struct snode {
    const char *key;
    const struct snode *kids;
} snode;

#define LEAF(k) {k, NULL}
#define END {NULL, NULL}

static const snode TEXT_ONLY[] = {LEAF("text"), END};
static const snode SEVERITY_ONLY[] = {LEAF("security-severity"), END};
static const snode LEVEL_ONLY[] = {LEAF("level"), END};
static const snode COMPONENT_REF[] = {LEAF("index"), LEAF("guid"), LEAF("name"), END};
static const snode RULE[] = {LEAF("id"), LEAF("name"), {"shortDescription", TEXT_ONLY},
                             {"properties", SEVERITY_ONLY}, {"defaultConfiguration", LEVEL_ONLY}, END};
static const snode RULES[] = {{"*", RULE}, END};
static const snode COMPONENT[] = {LEAF("name"), LEAF("guid"), LEAF("semanticVersion"), LEAF("version"),
                                  {"rules", RULES}, END};
static const snode COMPONENTS[] = {{"*", COMPONENT}, END};
static const snode TOOL[] = {{"driver", COMPONENT}, {"extensions", COMPONENTS}, END};
static const snode DESCRIPTOR_REF[] = {LEAF("index"), LEAF("id"), {"toolComponent", COMPONENT_REF}, END};
static const snode OVERRIDE[] = {{"descriptor", DESCRIPTOR_REF}, {"configuration", LEVEL_ONLY}, END};
static const snode OVERRIDES[] = {{"*", OVERRIDE}, END};
static const snode NOTIFICATION[] = {LEAF("level"), {"message", TEXT_ONLY}, END};
static const snode NOTIFICATIONS[] = {{"*", NOTIFICATION}, END};
static const snode INVOCATION[] = {LEAF("executionSuccessful"), LEAF("exitCode"), LEAF("endTimeUtc"),
                                   LEAF("startTimeUtc"), {"ruleConfigurationOverrides", OVERRIDES},
                                   {"toolExecutionNotifications", NOTIFICATIONS},
                                   {"toolConfigurationNotifications", NOTIFICATIONS}, END};
static const snode INVOCATIONS[] = {{"*", INVOCATION}, END};
static const snode REVISION[] = {LEAF("revisionId"), END};
static const snode PROVENANCE[] = {{"*", REVISION}, END};
static const snode STATUS_ONLY[] = {LEAF("status"), END};
static const snode SUPPRESSIONS[] = {{"*", STATUS_ONLY}, END};
static const snode RESULT_RULE[] = {LEAF("id"), LEAF("index"), {"toolComponent", COMPONENT_REF}, END};
static const snode ARTIFACT[] = {LEAF("uri"), END};
static const snode REGION[] = {LEAF("startLine"), END};
static const snode PHYSICAL[] = {{"artifactLocation", ARTIFACT}, {"region", REGION}, END};
static const snode LOCATION[] = {{"physicalLocation", PHYSICAL}, END};
static const snode LOCATIONS[] = {{"0", LOCATION}, END};
static const snode INVOCATION_INDEX[] = {LEAF("invocationIndex"), END};
static const snode RESULT[] = {LEAF("kind"), LEAF("level"), LEAF("baselineState"), {"suppressions", SUPPRESSIONS},
                               {"properties", SEVERITY_ONLY}, {"rule", RESULT_RULE}, LEAF("ruleId"),
                               LEAF("ruleIndex"), {"message", TEXT_ONLY}, {"locations", LOCATIONS},
                               {"provenance", INVOCATION_INDEX}, END};

enum { F_ROOT, F_RUNS, F_RUN, F_RESULTS, F_BUILD };
enum { RK_NONE, RK_TOOL, RK_INVOCATIONS, RK_PROVENANCE, RK_RESULTS };

typedef struct frame {
    int kind;
    int array;
    const snode *kids;   /* F_BUILD: what of this container is kept */
    cJSON *node;         /* F_BUILD */
    const snode *next;   /* F_BUILD object: the pending member's schema, NULL: not kept */
    int key;             /* F_ROOT: TOP_* or -1; F_RUN: RK_* */
    int comp;            /* F_BUILD in a tool component: 1 + its builder, else 0 */
    size_t count;        /* elements seen */
} frame;

typedef struct sparse {
    yajl_handle y;
    sec_scan *s;
    sec_info *info;
    frame stack[MAX_DEPTH + 2];
    int depth;           /* frames in use */
    int nest;            /* containers open, read or not */
    long skip;           /* > 0: inside a container not read */
    int build_depth;     /* the depth of the subtree being built (its frame's index + 1) */
    int target;          /* RK_TOOL, RK_INVOCATIONS, RK_PROVENANCE, or RK_RESULTS (a result) */
    spos build_at;
    /* Where we are: the chunk, and lines counted up to LC_POS. */
    const char *chunk;
    size_t base, chunk_len, lc_pos, line, line_start;
    /* The top level. */
    int has[SEC_TOP_COUNT];
    spos root_at, top_at[SEC_TOP_COUNT];
    char version[32], schema[256];
    int version_string, schema_string, runs_array;
    char dup[160];
    /* The runs. */
    size_t runs;
    srun run;
    int in_run, stop;
    char err[512];
    char fatal[200];     /* not JSON we can read: nested too deeply, out of memory */
    char *scratch;
    size_t scratch_cap;
} sparse;

/* Count lines up to ABS, a place in the current chunk. */
static void advance(sparse *p, size_t abs)
{
    const char *c, *end;
    if (abs <= p->lc_pos || abs < p->base)
        return;
    c = p->chunk + (p->lc_pos > p->base ? p->lc_pos - p->base : 0);
    end = p->chunk + (abs - p->base);
    while (c < end && (c = memchr(c, '\n', (size_t)(end - c))) != NULL) {
        p->line++;
        p->line_start = p->base + (size_t)(c - p->chunk) + 1;
        c++;
    }
    p->lc_pos = abs;
}

/* Where the token just read ends (BACK bytes earlier: 1 for a bracket, its start). */
static spos here(sparse *p, size_t back)
{
    size_t abs = p->base + yajl_get_bytes_consumed(p->y);
    spos at;
    abs = abs >= back ? abs - back : 0;
    advance(p, abs);
    at.line = p->line;
    at.col = abs >= p->line_start ? abs - p->line_start + 1 : 1;
    return at;
}

static int fatal(sparse *p, const char *msg)
{
    spos at = here(p, 0);
    snprintf(p->fatal, sizeof p->fatal, "%s at line %zu, column %zu", msg, at.line, at.col);
    return 0; /* stops yajl */
}

static void run_error(sparse *p, spos at, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void run_error(sparse *p, spos at, const char *fmt, ...)
{
    va_list ap;
    size_t n;
    if (p->stop)
        return;
    va_start(ap, fmt);
    vsnprintf(p->err, sizeof p->err, fmt, ap);
    va_end(ap);
    n = strlen(p->err);
    if (at.line && n < sizeof p->err)
        snprintf(p->err + n, sizeof p->err - n, " at line %zu, column %zu", at.line, at.col);
    p->stop = 1;
}

static cJSON *scalar(sparse *p, int type, const char *text, size_t len)
{
    switch (type) {
    case 'n': return cJSON_CreateNull();
    case 't': return cJSON_CreateTrue();
    case 'f': return cJSON_CreateFalse();
    default: break;
    }
    if (len + 1 > p->scratch_cap) {
        size_t cap = len + 1 > 256 ? len + 1 : 256;
        char *grown = realloc(p->scratch, cap);
        if (!grown)
            return NULL;
        p->scratch = grown;
        p->scratch_cap = cap;
    }
    memcpy(p->scratch, text, len);
    p->scratch[len] = '\0';
    return type == '0' ? cJSON_CreateNumber(strtod(p->scratch, NULL)) : cJSON_CreateString(p->scratch);
}

/* The schema of the next value in build frame F (advancing an array's count), or NULL
 * when it is not kept.  *KEY: the member's name (static), NULL in an array. */
static const snode *next_kept(frame *f, const char **key)
{
    *key = NULL;
    if (!f->array) {
        if (f->next)
            *key = f->next->key;
        return f->next;
    }
    f->count++;
    if (f->kids && f->kids[0].key && (f->kids[0].key[0] == '*' || (f->kids[0].key[0] == '0' && f->count == 1)))
        return &f->kids[0];
    return NULL;
}

static int attach_built(frame *f, const char *key, cJSON *item)
{
    if (!item)
        return -1;
    if (key)
        cJSON_AddItemToObjectCS(f->node, key, item);
    else
        cJSON_AddItemToArray(f->node, item);
    return 0;
}

static int process_result(sparse *p, cJSON *res)
{
    srun *r = &p->run;
    int fk, rc;
    long seq;
    rc = result_classify(r, res, r->ri, p->build_at, p->s, &fk);
    if (rc < 0) {
        cJSON_Delete(res);
        return 0;
    }
    if (rc == 0) {
        seq = sec_scan_reserve(p->s);
        if (result_judge(r, res, fk, seq, p->s, 0, NULL) != 0 && pend_add(r, res, fk, seq, p->s) != 0) {
            cJSON_Delete(res);
            return -1;
        }
    }
    r->entries++;
    cJSON_Delete(res);
    return 0;
}

/* A subtree being built is complete: hand it to the run. */
static int deliver(sparse *p, cJSON *v)
{
    srun *r = &p->run;
    if (!v)
        return fatal(p, "out of memory");
    switch (p->target) {
    case RK_TOOL:
        r->tool = v;
        if (tool_ready(r) != 0)
            return fatal(p, "out of memory");
        return 1;
    case RK_INVOCATIONS:
        r->invocations = v;
        if (invocations_ready(r) != 0)
            return fatal(p, "out of memory");
        return 1;
    case RK_PROVENANCE:
        r->provenance = v;
        return 1;
    default:
        return process_result(p, v) == 0 ? 1 : fatal(p, "out of memory");
    }
}

/* Error-level notifications make a run incomplete, as an executionSuccessful of false
 * does: ember-template-lint writes a template it could not parse as one, beside
 * "executionSuccessful": true and no result, and it passed (real round 37, F06). */
typedef struct noting {
    sec_info *info;
    const srun *run;
} noting;

static void note_error(const cJSON *note, const char *list, void *data)
{
    const noting *n = data;
    const char *text = sec_jstr(rg_json_member(note, "message", NULL), "text");
    sec_info_incomplete(n->info, "run %zu (%s): the tool reported an error (%s): %.200s", n->run->index,
                        n->run->tool_name, list, text ? text : "(no message)");
}

static void note_error_notifications(sec_info *info, const srun *r, const cJSON *invocation)
{
    noting n = {info, r};
    error_notifications(invocation, note_error, &n);
}

static void finish_run(sparse *p)
{
    srun *r = &p->run;
    const cJSON *driver = rg_json_member(r->tool, "driver", NULL), *e;
    sec_info *info = p->info;
    if (p->stop) {
        /* an error is known already */
    } else if (r->dup[0]) {
        snprintf(p->err, sizeof p->err, "%s", r->dup);
        p->stop = 1;
    } else if (!cJSON_IsObject(driver)) {
        run_error(p, r->at, "run %zu has no tool.driver", r->index);
    } else if (!r->tool_ready && tool_ready(r) != 0) {
        run_error(p, r->at, "out of memory");
    } else {
        note_tool(info, driver);
        if (r->results_null || (!r->has_results && !clean_without_results(r)))
            run_error(p, r->at, "run %zu (%s) has no results: it is not a scan result, or the tool "
                      "did not run to completion", r->index, r->tool_name);
        else if (r->results_bad)
            run_error(p, r->results_at, "run %zu (%s): results is not an array", r->index, r->tool_name);
        else if (r->err[0]) {
            snprintf(p->err, sizeof p->err, "%s", r->err);
            p->stop = 1;
        } else if (invocations_ready(r) != 0 || pend_resolve(r, p->s) != 0) {
            run_error(p, r->at, "out of memory");
        } else if (r->err[0]) {   /* found judging the results deferred until the rules were read */
            snprintf(p->err, sizeof p->err, "%s", r->err);
            p->stop = 1;
        } else {
            for (size_t i = 0; i < r->inv_count; i++) {
                const cJSON *ok;
                e = r->invs[i];
                ok = rg_json_member(e, "executionSuccessful", NULL);
                if (cJSON_IsFalse(ok)) {
                    const cJSON *code = rg_json_member(e, "exitCode", NULL);
                    if (cJSON_IsNumber(code))
                        sec_info_incomplete(info, "run %zu (%s): executionSuccessful is false (exit code %g)",
                                        r->index, r->tool_name, code->valuedouble);
                    else
                        sec_info_incomplete(info, "run %zu (%s): executionSuccessful is false", r->index,
                                        r->tool_name);
                }
                note_error_notifications(info, r, e);
                sec_info_time(info, sec_jstr(e, "endTimeUtc") ? sec_jstr(e, "endTimeUtc") : sec_jstr(e, "startTimeUtc"));
            }
            for (e = cJSON_IsArray(r->provenance) ? r->provenance->child : NULL; e; e = e->next)
                sec_info_commit(info, sec_jstr(e, "revisionId"));
            info->entries += r->entries;
            info->units++;
        }
    }
    run_free(r);
    p->in_run = 0;
}

static void run_dup(sparse *p, const char *key, spos at)
{
    srun *r = &p->run;
    if (!r->dup[0])
        snprintf(r->dup, sizeof r->dup, "run %zu: the member \"%s\" appears twice at line %zu, column %zu",
                 r->index, key, at.line, at.col);
}

static const char *const RUN_KEYS[] = {NULL, "tool", "invocations", "versionControlProvenance", "results"};

/* Push a frame of KIND for a container just opened (the depth is bounded where the
 * container's start is counted). */
static frame *push_frame(sparse *p, int kind, int array)
{
    frame *nf = &p->stack[p->depth++];
    memset(nf, 0, sizeof *nf);
    nf->kind = kind;
    nf->array = array;
    return nf;
}

/* Copy a top-level string (version, $schema) into BUF, cut to fit. */
static void keep_top_string(char *buf, size_t size, const char *text, size_t len)
{
    size_t n = len < size - 1 ? len : size - 1;
    memcpy(buf, text, n);
    buf[n] = '\0';
}

/* A member of the root object: version and $schema are kept, runs is entered. */
static int root_member(sparse *p, frame *f, int type, const char *text, size_t len, int open)
{
    if (f->key < 0) {
        p->skip = open;
        return 1;
    }
    p->top_at[f->key] = here(p, open);
    if (f->key == SEC_TOP_VERSION && type == '"') {
        keep_top_string(p->version, sizeof p->version, text, len);
        p->version_string = 1;
    } else if (f->key == SEC_TOP_SCHEMA && type == '"') {
        keep_top_string(p->schema, sizeof p->schema, text, len);
        p->schema_string = 1;
    } else if (f->key == SEC_TOP_RUNS && type == '[') {
        p->runs_array = 1;
        push_frame(p, F_RUNS, 1);
        return 1;
    }
    p->skip = open;
    return 1;
}

/* An element of runs: a run object starts, anything else is that run's error. */
static int run_item(sparse *p, int type, int open)
{
    spos at;
    p->runs++;
    at = here(p, open);
    if (p->stop) {
        p->skip = open;
    } else if (type != '{') {
        run_error(p, at, "run %zu is not an object", p->runs);
        p->skip = open;
    } else {
        memset(&p->run, 0, sizeof p->run);
        p->run.index = p->runs;
        p->run.at = at;
        p->in_run = 1;
        push_frame(p, F_RUN, 0);
    }
    return 1;
}

/* A member of a run: results is streamed; tool, invocations and provenance are built
 * whole (once each: a second one is the run's error); the rest is skipped. */
static int run_member(sparse *p, frame *f, int type, const char *text, size_t len, int open)
{
    srun *r = &p->run;
    cJSON **slot = f->key == RK_TOOL ? &r->tool : f->key == RK_INVOCATIONS ? &r->invocations
                 : f->key == RK_PROVENANCE ? &r->provenance : NULL;
    frame *nf;
    spos at;
    if (f->key == RK_NONE || p->stop) {
        p->skip = open;
        return 1;
    }
    at = here(p, open);
    if (f->key == RK_RESULTS) {
        if (r->has_results) {
            run_dup(p, "results", at);
            p->skip = open;
            return 1;
        }
        r->has_results = 1;
        r->results_at = at;
        if (type == '[') {
            push_frame(p, F_RESULTS, 1);
            return 1;
        }
        r->results_null = type == 'n';
        r->results_bad = type != 'n';
        p->skip = open;
        return 1;
    }
    if (*slot || (f->key == RK_TOOL && r->tool_ready)) {
        run_dup(p, RUN_KEYS[f->key], at);
        p->skip = open;
        return 1;
    }
    p->target = f->key;
    if (!open) {
        *slot = NULL;
        return deliver(p, scalar(p, type, text, len));
    }
    nf = push_frame(p, F_BUILD, type == '[');
    nf->kids = f->key == RK_TOOL ? TOOL : f->key == RK_INVOCATIONS ? INVOCATIONS : PROVENANCE;
    nf->node = nf->array ? cJSON_CreateArray() : cJSON_CreateObject();
    p->build_depth = p->depth;
    return nf->node ? 1 : fatal(p, "out of memory");
}

/* An element of a run's results: an object is built (only the members kept), anything
 * else is the run's error. */
static int result_item(sparse *p, int type, int open)
{
    frame *nf;
    spos at;
    p->run.ri++;
    if (p->stop || p->run.err[0]) {
        p->skip = open;
        return 1;
    }
    at = here(p, open);
    if (type != '{') {
        snprintf(p->run.err, sizeof p->run.err, "run %zu, result %zu is not an object at line %zu, column %zu",
                 p->run.index, p->run.ri, at.line, at.col);
        p->skip = open;
        return 1;
    }
    p->target = RK_RESULTS;
    p->build_at = at;
    nf = push_frame(p, F_BUILD, 0);
    nf->kids = RESULT;
    nf->node = cJSON_CreateObject();
    p->build_depth = p->depth;
    return nf->node ? 1 : fatal(p, "out of memory");
}

/* A value inside something being built: kept when the schema of kept members names it,
 * a component's rules going to its builder one at a time. */
static int built_value(sparse *p, frame *f, int type, const char *text, size_t len, int open)
{
    const char *key;
    const snode *want = next_kept(f, &key);
    cJSON *item;
    frame *nf;
    f->next = NULL;
    if (!want) {
        p->skip = open;
        return 1;
    }
    if (f->kids == RULES && !open) /* a rule that is no object: none at this index */
        return rule_add(&p->run, f->comp - 1, NULL) == 0 ? 1 : fatal(p, "out of memory");
    /* A kept member given twice, at any depth, is the run's error, as at the run's and the
     * document's own levels: read as absent or as its first copy, a severity, a level or
     * executionSuccessful given twice fell back to the milder default (round 21, F01). */
    if (key && (cJSON_GetObjectItemCaseSensitive(f->node, key) ||
                (want->kids == RULES && f->comp && p->run.builds[f->comp - 1].has_rules))) {
        run_dup(p, key, here(p, open));
        p->skip = open;
        return 1;
    }
    if (want->kids == RULES) {
        /* A component's rules: the "rules" member, when an array (jget's rule), read one
         * rule at a time into the builder. */
        cbuild *cb = f->comp ? &p->run.builds[f->comp - 1] : NULL;
        if (!cb || type != '[') {
            if (cb)
                cb->has_rules = 1;
            p->skip = open;
            return 1;
        }
        cb->has_rules = 1;
    }
    item = open ? (type == '[' ? cJSON_CreateArray() : cJSON_CreateObject()) : scalar(p, type, text, len);
    if (attach_built(f, key, item) != 0)
        return fatal(p, "out of memory");
    if (!open)
        return 1;
    if (!want->kids) {
        p->skip = 1; /* want as an empty container: its type is what matters */
        return 1;
    }
    nf = push_frame(p, F_BUILD, type == '[');
    nf->kids = want->kids;
    nf->node = item;
    nf->comp = f->comp;
    if (want->kids == COMPONENT && type == '{') {
        /* Its rules go to a builder, which the node names (an object's valueint is
         * otherwise unused) for tool_ready to find. */
        int b = build_new(&p->run);
        if (b < 0)
            return fatal(p, "out of memory");
        nf->comp = b + 1;
        item->valueint = b + 1;
    }
    return 1;
}

/* A value starts: a scalar (TYPE 'n', 't', 'f', '0', '"'), or a container (TYPE '{' or
 * '['; then the frame to push, if any, is set up by what the innermost frame reads). */
static int value(sparse *p, int type, const char *text, size_t len)
{
    int open = type == '{' || type == '[';
    frame *f;
    if (p->skip) {
        p->skip += open;
        return 1;
    }
    if (p->depth == 0) {
        if (type == '{') {
            p->root_at = here(p, 1);
            push_frame(p, F_ROOT, 0)->key = -1;
        } else if (open) {
            p->skip = 1;
        }
        return 1;
    }
    f = &p->stack[p->depth - 1];
    switch (f->kind) {
    case F_ROOT:
        return root_member(p, f, type, text, len, open);
    case F_RUNS:
        return run_item(p, type, open);
    case F_RUN:
        return run_member(p, f, type, text, len, open);
    case F_RESULTS:
        return result_item(p, type, open);
    default: /* F_BUILD */
        return built_value(p, f, type, text, len, open);
    }
}

static int cb_null(void *ctx)
{
    return value(ctx, 'n', NULL, 0);
}

static int cb_boolean(void *ctx, int b)
{
    return value(ctx, b ? 't' : 'f', NULL, 0);
}

static int cb_number(void *ctx, const char *s, size_t len)
{
    return value(ctx, '0', s, len);
}

static int cb_string(void *ctx, const unsigned char *s, size_t len)
{
    return value(ctx, '"', (const char *)s, len);
}

static int cb_start(sparse *p, int type)
{
    if (++p->nest > MAX_DEPTH) {
        char msg[64];
        snprintf(msg, sizeof msg, "nested deeper than %d levels", MAX_DEPTH);
        return fatal(p, msg);
    }
    return value(p, type, NULL, 0);
}

static int cb_start_map(void *ctx)
{
    return cb_start(ctx, '{');
}

static int cb_start_array(void *ctx)
{
    return cb_start(ctx, '[');
}

static int cb_end(void *ctx)
{
    sparse *p = ctx;
    frame *f;
    p->nest--;
    if (p->skip) {
        p->skip--;
        return 1;
    }
    if (p->depth == 0)
        return 1;
    f = &p->stack[--p->depth];
    if (f->kind == F_BUILD && f->kids == RULE) {
        /* A rule is read: keep what judging needs, drop its tree. */
        int rc = rule_add(&p->run, f->comp - 1, f->node);
        cJSON_Delete(cJSON_DetachItemViaPointer(p->stack[p->depth - 1].node, f->node));
        return rc == 0 ? 1 : fatal(p, "out of memory");
    }
    if (f->kind == F_BUILD && p->depth + 1 == p->build_depth) {
        p->build_depth = 0;
        return deliver(p, f->node);
    }
    if (f->kind == F_RUN)
        finish_run(p);
    return 1;
}

static int cb_key(void *ctx, const unsigned char *key, size_t len)
{
    sparse *p = ctx;
    frame *f;
    if (p->skip || p->depth == 0)
        return 1;
    f = &p->stack[p->depth - 1];
    if (f->kind == F_BUILD) {
        f->next = NULL;
        for (const snode *k = f->kids; k && k->key; k++)
            if (strlen(k->key) == len && memcmp(k->key, key, len) == 0) {
                f->next = k;
                break;
            }
    } else if (f->kind == F_RUN) {
        f->key = RK_NONE;
        for (int i = RK_TOOL; i <= RK_RESULTS; i++)
            if (strlen(RUN_KEYS[i]) == len && memcmp(RUN_KEYS[i], key, len) == 0)
                f->key = i;
    } else if (f->kind == F_ROOT) {
        f->key = -1;
        for (int i = 0; i < SEC_TOP_COUNT; i++)
            if (strlen(SEC_TOP_KEYS[i]) == len && memcmp(SEC_TOP_KEYS[i], key, len) == 0) {
                if (p->has[i]) {
                    if (!p->dup[0]) {
                        spos at = here(p, 0);
                        snprintf(p->dup, sizeof p->dup, "the member \"%s\" appears twice at line %zu, column %zu",
                                 SEC_TOP_KEYS[i], at.line, at.col);
                    }
                } else {
                    p->has[i] = 1;
                    f->key = i;
                }
                break;
            }
    }
    return 1;
}

static const yajl_callbacks CALLBACKS = {
    cb_null, cb_boolean, NULL, NULL, cb_number, cb_string,
    cb_start_map, cb_key, cb_end, cb_start_array, cb_end,
};

/* yajl's message, in the words the other readers use. */
static void syntax_error(sparse *p, char *why, size_t why_size, int at_end)
{
    unsigned char *msg = yajl_get_error(p->y, 0, NULL, 0);
    const char *text = msg ? (const char *)msg : "not JSON";
    char clean[160];
    size_t n;
    spos at;
    if (p->fatal[0]) {
        snprintf(why, why_size, "malformed JSON: %s", p->fatal);
        if (msg)
            yajl_free_error(p->y, msg);
        return;
    }
    if (strncmp(text, "parse error: ", 13) == 0)
        text += 13;
    else if (strncmp(text, "lexical error: ", 15) == 0)
        text += 15;
    snprintf(clean, sizeof clean, "%s", text);
    n = strlen(clean);
    while (n && (clean[n - 1] == '\n' || clean[n - 1] == '.' || clean[n - 1] == ' '))
        clean[--n] = '\0';
    if (strstr(clean, "invalid character inside string"))
        snprintf(clean, sizeof clean, "control character in a string");
    else if (strstr(clean, "premature EOF"))
        snprintf(clean, sizeof clean, "unexpected end of the document");
    else if (strstr(clean, "trailing garbage"))
        snprintf(clean, sizeof clean, "more data after the JSON document");
    if (at_end) {
        at.line = p->line;
        at.col = p->lc_pos - p->line_start + 1;
    } else {
        at = here(p, 0);
    }
    snprintf(why, why_size, "malformed JSON: %s at line %zu, column %zu", clean, at.line, at.col);
    if (msg)
        yajl_free_error(p->y, msg);
}

int sec_sarif_stream(sec_source *src, sec_format forced, sec_scan *s, sec_info *info, char *why, size_t why_size, int *not_sarif)
{
    sparse *p = calloc(1, sizeof *p);
    size_t chunk = sec_sarif_chunk_size ? sec_sarif_chunk_size : 1;
    char *buf = malloc(chunk);
    size_t total = 0;
    int rc = -1, bom = 0, bad = 0;
    static const unsigned char BOM[3] = {0xEF, 0xBB, 0xBF};
    const char *rwhy = NULL;

    *not_sarif = 0;
    memset(info, 0, sizeof *info);
    memset(&sec_sarif_last_stats, 0, sizeof sec_sarif_last_stats);
    info->format = SEC_FMT_SARIF;
    if (!p || !buf || !(p->y = yajl_alloc(&CALLBACKS, NULL, p))) {
        snprintf(why, why_size, "out of memory");
        goto out;
    }
    /* Strings are not checked for UTF-8 (as the other readers do not); what reaches a
     * decision is made valid UTF-8 by the engine. */
    yajl_config(p->y, yajl_dont_validate_strings, 1);
    p->s = s;
    p->info = info;
    p->line = 1;
    for (;;) {
        int64_t n = src->read(src->ctx, buf, chunk, &rwhy);
        size_t off = 0;
        yajl_status st;
        if (n < 0) {
            snprintf(why, why_size, "%s", rwhy ? rwhy : "read error");
            rc = -2;
            goto out;
        }
        if (n == 0)
            break;
        /* A byte order mark at the start (perhaps across chunks) is not the JSON's. */
        while (bom >= 0 && off < (size_t)n) {
            if ((unsigned char)buf[off] != BOM[bom]) {
                if (bom > 0 && yajl_parse(p->y, BOM, (size_t)bom) != yajl_status_ok) {
                    syntax_error(p, why, why_size, 0);
                    bad = 1;
                }
                bom = -1;
                break;
            }
            off++;
            if (++bom == 3)
                bom = -1;
        }
        if (bad)
            break;
        p->base = total + off;
        p->chunk_len = (size_t)n - off;
        p->chunk = buf + off;
        st = yajl_parse(p->y, (const unsigned char *)buf + off, (size_t)n - off);
        if (st != yajl_status_ok) {
            syntax_error(p, why, why_size, 0);
            bad = 1;
            break;
        }
        advance(p, p->base + p->chunk_len);
        total += (size_t)n;
    }
    if (!bad && yajl_complete_parse(p->y) != yajl_status_ok) {
        syntax_error(p, why, why_size, 1);
        bad = 1;
    }
    if (bad)
        goto out;
    if (p->dup[0]) {
        snprintf(why, why_size, "%s", p->dup);
        goto out;
    }
    if (forced == SEC_FMT_AUTO && !p->has[SEC_TOP_RUNS] && !(p->schema_string && strstr(p->schema, "sarif"))) {
        *not_sarif = 1;
        goto out;
    }
    if (!p->has[SEC_TOP_VERSION]) {
        snprintf(why, why_size, "SARIF log without a \"version\" at line %zu, column %zu", p->root_at.line,
                 p->root_at.col);
        goto out;
    }
    if (!p->version_string) {
        snprintf(why, why_size, "SARIF \"version\" is not a string at line %zu, column %zu",
                 p->top_at[SEC_TOP_VERSION].line, p->top_at[SEC_TOP_VERSION].col);
        goto out;
    }
    if (strcmp(p->version, "2.1.0") != 0) {
        snprintf(why, why_size, "SARIF version %s is not supported: only 2.1.0 is", p->version);
        goto out;
    }
    snprintf(info->variant, sizeof info->variant, "2.1.0");
    if (!p->runs_array) {
        spos at = p->has[SEC_TOP_RUNS] ? p->top_at[SEC_TOP_RUNS] : p->root_at;
        snprintf(why, why_size, "SARIF log without a \"runs\" array at line %zu, column %zu", at.line, at.col);
        goto out;
    }
    if (p->err[0]) {
        snprintf(why, why_size, "%s", p->err);
        goto out;
    }
    if (p->runs == 0) {
        snprintf(why, why_size, "the SARIF log has no runs: it records no analysis");
        goto out;
    }
    rc = 0;
out:
    if (p) {
        if (p->in_run)
            run_free(&p->run);
        /* A subtree left half built (a syntax error inside it): its root is in the frame
         * where the build started. */
        if (p->build_depth > 0 && p->build_depth <= p->depth)
            cJSON_Delete(p->stack[p->build_depth - 1].node);
        if (p->y)
            yajl_free(p->y);
        free(p->scratch);
        free(p);
    }
    free(buf);
    return rc;
}
