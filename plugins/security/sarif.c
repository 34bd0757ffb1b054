/* SARIF 2.1.0 logs.  A run's tool, invocations and provenance are loaded whole; its
 * results are loaded one at a time, so a large log never sits in memory as a tree.
 *
 * Severity of a result: the "security-severity" property (a CVSS-like score, as GitHub
 * code scanning reads it) of the result, else of its rule; without one, the result's
 * level (spec 3.27.10: result.level, else the invocation's rule configuration
 * override, else the rule's defaultConfiguration.level, else "warning"), with error =
 * high, warning = medium, note = low, none = none.
 *
 * Not counted: kind pass / notApplicable / informational (not findings), baselineState
 * absent (fixed), and suppressed results: a non-empty suppressions array none of whose
 * entries is under review, rejected, or of a status we do not know. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "report.h"

typedef struct rule_id {
    const char *id;
    size_t index;
} rule_id;

/* A tool component: the driver or an extension, and its rules. */
typedef struct comp {
    const cJSON *obj;
    const cJSON **rules;  /* by index (a list walk per lookup would be quadratic) */
    size_t rule_count;
    rule_id *by_id;       /* sorted by id, then index */
    size_t id_count;
} comp;

typedef struct srun {
    jdoc *d;
    size_t index;         /* 1-based, for messages */
    cJSON *tool, *invocations, *provenance;
    const cJSON **invs;   /* the invocations by index */
    size_t inv_count;
    const char *tool_name;
    comp *comps;          /* [0] the driver, then the extensions */
    size_t comp_count;
    int dup;
} srun;

static int by_id(const void *a, const void *b)
{
    const rule_id *x = a, *y = b;
    int c = strcmp(x->id, y->id);
    return c ? c : (x->index > y->index) - (x->index < y->index);
}

/* Index the rules of component C by position and id (c->rules, c->by_id: heap, freed
 * by run_free).  Returns 0, or -1 when out of memory. */
static int comp_init(comp *c, const cJSON *obj)
{
    const cJSON *rules = jget(obj, "rules", NULL), *rule;
    memset(c, 0, sizeof *c);
    c->obj = obj;
    if (!cJSON_IsArray(rules) || !rules->child)
        return 0;
    for (rule = rules->child; rule; rule = rule->next)
        c->rule_count++;
    c->rules = calloc(c->rule_count, sizeof *c->rules);
    c->by_id = calloc(c->rule_count, sizeof *c->by_id);
    if (!c->rules || !c->by_id)
        return -1;
    c->rule_count = 0;
    for (rule = rules->child; rule; rule = rule->next) {
        const char *id = jstr(rule, "id");
        c->rules[c->rule_count] = cJSON_IsObject(rule) ? rule : NULL;
        if (id) {
            c->by_id[c->id_count].id = id;
            c->by_id[c->id_count].index = c->rule_count;
            c->id_count++;
        }
        c->rule_count++;
    }
    qsort(c->by_id, c->id_count, sizeof *c->by_id, by_id);
    return 0;
}

/* The rule of C at INDEX, or NULL. */
static const cJSON *rule_at(const comp *c, double index)
{
    if (!c || !(index >= 0) || index != floor(index) || index >= (double)c->rule_count)
        return NULL;
    return c->rules[(size_t)index];
}

/* The rule of C named ID: exactly, else by the leading components of a hierarchical
 * id ("CA5350/md5" is a result of rule "CA5350"). */
static const cJSON *rule_named(const comp *c, const char *id, size_t *index)
{
    char buf[256];
    size_t n = strlen(id);
    if (!c || !c->id_count || n >= sizeof buf)
        return NULL;
    memcpy(buf, id, n + 1);
    for (;;) {
        size_t lo = 0, hi = c->id_count;
        while (lo < hi) { /* the first entry with this id */
            size_t mid = lo + (hi - lo) / 2;
            if (strcmp(c->by_id[mid].id, buf) < 0)
                lo = mid + 1;
            else
                hi = mid;
        }
        if (lo < c->id_count && strcmp(c->by_id[lo].id, buf) == 0) {
            *index = c->by_id[lo].index;
            return c->rules[*index];
        }
        char *slash = strrchr(buf, '/');
        if (!slash)
            return NULL;
        *slash = '\0';
    }
}

/* The component a toolComponentReference TC designates, or NULL. */
static const comp *comp_ref(const srun *r, const cJSON *tc)
{
    double idx = jnum(tc, "index", -1);
    const char *guid = jstr(tc, "guid"), *name = jstr(tc, "name");
    if (idx >= 0 && idx == floor(idx) && idx < (double)(r->comp_count - 1))
        return &r->comps[1 + (size_t)idx];
    for (size_t i = 0; i < r->comp_count; i++) {
        const char *g = jstr(r->comps[i].obj, "guid"), *nm = jstr(r->comps[i].obj, "name");
        if ((guid && g && strcasecmp(guid, g) == 0) || (!guid && name && nm && strcmp(name, nm) == 0))
            return &r->comps[i];
    }
    return NULL;
}

/* The reportingDescriptor of result RES (its rule), with its component and index. */
static const cJSON *find_rule(const srun *r, const cJSON *res, const comp **owner, size_t *index)
{
    const cJSON *ref = jget(res, "rule", NULL), *tc = jget(ref, "toolComponent", NULL), *rule;
    const comp *c = &r->comps[0];
    const char *id = jstr(ref, "id") ? jstr(ref, "id") : jstr(res, "ruleId");
    double idx = jnum(ref, "index", jnum(res, "ruleIndex", -1));

    if (cJSON_IsObject(tc) && !(c = comp_ref(r, tc)))
        return NULL;
    if ((rule = rule_at(c, idx)) != NULL) {
        *owner = c;
        *index = (size_t)idx;
        return rule;
    }
    if (!id)
        return NULL;
    if ((rule = rule_named(c, id, index)) != NULL) {
        *owner = c;
        return rule;
    }
    for (size_t i = 1; !cJSON_IsObject(tc) && i < r->comp_count; i++)
        if ((rule = rule_named(&r->comps[i], id, index)) != NULL) {
            *owner = &r->comps[i];
            return rule;
        }
    return NULL;
}

/* A security-severity value: a score 0..10 (number or numeric string), or a severity
 * word.  Returns 1 with *OUT (and *SCORE, or -1), or 0 when V is not usable. */
static int security_severity(const cJSON *v, sev *out, double *score)
{
    double x;
    char *end;
    if (cJSON_IsString(v)) {
        const char *s = v->valuestring;
        while (*s == ' ')
            s++;
        if (sev_parse(s, out) == 0 && *out != SEV_UNKNOWN) {
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
    *out = sev_from_score(x);
    return 1;
}

static sev level_sev(const char *level)
{
    if (strcasecmp(level, "error") == 0) return SEV_HIGH;
    if (strcasecmp(level, "note") == 0) return SEV_LOW;
    if (strcasecmp(level, "none") == 0) return SEV_NONE;
    return SEV_MEDIUM; /* "warning", and what the spec does not know */
}

/* The level a configuration override of the result's invocation gives RULE, or NULL. */
static const char *override_level(const srun *r, const cJSON *res, const comp *owner, size_t index,
                                  const cJSON *rule)
{
    const cJSON *inv = NULL, *o;
    double ii = jnum(jget(res, "provenance", NULL), "invocationIndex", -1);
    const char *rid = jstr(rule, "id");
    if (ii >= 0 && ii == floor(ii) && ii < (double)r->inv_count)
        inv = r->invs[(size_t)ii];
    else if (r->inv_count == 1) /* one invocation: it is the result's */
        inv = r->invs[0];
    o = jget(inv, "ruleConfigurationOverrides", NULL);
    for (o = cJSON_IsArray(o) ? o->child : NULL; o; o = o->next) {
        const cJSON *ref = jget(o, "descriptor", NULL), *tc = jget(ref, "toolComponent", NULL);
        const comp *c = cJSON_IsObject(tc) ? comp_ref(r, tc) : &r->comps[0];
        double di = jnum(ref, "index", -1);
        const char *did = jstr(ref, "id"), *level = jstr(jget(o, "configuration", NULL), "level");
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
        st = jget(e, "status", &dup);
        if (dup || (st && !cJSON_IsNull(st) && !(cJSON_IsString(st) && strcmp(st->valuestring, "accepted") == 0)))
            return 0;
    }
    return 1;
}

static int result_one(srun *r, const cJSON *res, size_t ri, size_t at, scan *s)
{
    int dup = 0;
    const cJSON *kind = jget(res, "kind", &dup), *level = jget(res, "level", &dup);
    const cJSON *base = jget(res, "baselineState", &dup), *sup = jget(res, "suppressions", &dup);
    const cJSON *props = jget(res, "properties", &dup), *rule, *loc, *phys;
    const comp *owner = NULL;
    size_t index = 0;
    finding f;
    int fail_kind = 1;

    if (dup)
        return js_fail(r->d, at, "run %zu, result %zu: a member appears twice", r->index, ri);
    if ((kind && !cJSON_IsString(kind)) || (level && !cJSON_IsNull(level) && !cJSON_IsString(level)) ||
        (base && !cJSON_IsNull(base) && !cJSON_IsString(base)) ||
        (sup && !cJSON_IsNull(sup) && !cJSON_IsArray(sup))) {
        return js_fail(r->d, at, "run %zu, result %zu: kind, level, baselineState or suppressions "
                       "of the wrong type", r->index, ri);
    }
    if (kind) {
        const char *k = kind->valuestring;
        if (strcmp(k, "pass") == 0 || strcmp(k, "notApplicable") == 0 || strcmp(k, "informational") == 0) {
            s->cur->passed++;
            return 0;
        }
        fail_kind = strcmp(k, "open") != 0 && strcmp(k, "review") != 0; /* unknown kinds: as fail */
    }
    if (cJSON_IsString(base) && strcmp(base->valuestring, "absent") == 0) {
        s->cur->absent++;
        return 0;
    }
    if (suppressed(sup)) {
        s->cur->suppressed++;
        return 0;
    }

    memset(&f, 0, sizeof f);
    f.kind = "result";
    f.score = -1;
    rule = find_rule(r, res, &owner, &index);
    if (!security_severity(jget(props, "security-severity", NULL), &f.severity, &f.score) &&
        !security_severity(jget(jget(rule, "properties", NULL), "security-severity", NULL), &f.severity, &f.score)) {
        const char *lv = cJSON_IsString(level) ? level->valuestring : NULL;
        if (!lv && !fail_kind)
            lv = "none";
        if (!lv && rule)
            lv = override_level(r, res, owner, index, rule);
        if (!lv)
            lv = jstr(rule, "defaultConfiguration.level");
        f.severity = level_sev(lv ? lv : "warning");
    }
    f.id = jstr(res, "ruleId") ? jstr(res, "ruleId") : jstr(res, "rule.id") ? jstr(res, "rule.id")
         : jstr(rule, "id") ? jstr(rule, "id") : "";
    if (jstr(rule, "id") && strcmp(jstr(rule, "id"), f.id) != 0)
        f.alias[0] = jstr(rule, "id");
    f.title = jstr(rule, "shortDescription.text") ? jstr(rule, "shortDescription.text")
            : jstr(res, "message.text") ? jstr(res, "message.text") : jstr(rule, "name");
    loc = jget(res, "locations", NULL);
    phys = jget(cJSON_IsArray(loc) ? loc->child : NULL, "physicalLocation", NULL);
    f.file = jstr(phys, "artifactLocation.uri");
    f.line = jnum(phys, "region.startLine", 0);
    f.target = r->tool_name;
    scan_add(s, &f);
    return 0;
}

static void run_free(srun *r)
{
    for (size_t i = 0; i < r->comp_count; i++) {
        free(r->comps[i].rules);
        free(r->comps[i].by_id);
    }
    free(r->comps);
    free(r->invs);
    cJSON_Delete(r->tool);
    cJSON_Delete(r->invocations);
    cJSON_Delete(r->provenance);
}

/* Load member V of the run into *OUT (once; freed by run_free). */
static int load(srun *r, const char *key, const jval *v, cJSON **out)
{
    if (*out)
        return js_fail(r->d, v->at, "run %zu: the member \"%s\" appears twice", r->index, key);
    *out = js_parse(r->d, v);
    return *out ? 0 : -1;
}

static void note_tool(rinfo *info, const cJSON *driver)
{
    const char *name = jstr(driver, "name"), *ver = jstr(driver, "semanticVersion");
    size_t n = strlen(info->tool);
    char one[96];
    if (!ver)
        ver = jstr(driver, "version");
    snprintf(one, sizeof one, "%s%s%s", name && *name ? name : "(unnamed tool)", ver ? " " : "", ver ? ver : "");
    if (strstr(info->tool, one) || n + strlen(one) + 3 >= sizeof info->tool)
        return;
    snprintf(info->tool + n, sizeof info->tool - n, "%s%s", n ? ", " : "", one);
}

static int read_run(jdoc *d, const jval *rv, size_t index, scan *s, rinfo *info)
{
    srun r;
    jiter it;
    jval v, results = {0, 0, 0};
    char key[JS_KEY_MAX];
    const cJSON *driver, *ext, *e;
    int rc, has_results = 0;
    size_t ri = 0;

    memset(&r, 0, sizeof r);
    r.d = d;
    r.index = index;
    if (rv->type != '{')
        return js_fail(d, rv->at, "run %zu is not an object", index);
    js_open(d, rv, &it);
    while ((rc = js_next(&it, key, &v)) == 1) {
        rc = 0;
        if (strcmp(key, "tool") == 0)
            rc = load(&r, key, &v, &r.tool);
        else if (strcmp(key, "invocations") == 0)
            rc = load(&r, key, &v, &r.invocations);
        else if (strcmp(key, "versionControlProvenance") == 0)
            rc = load(&r, key, &v, &r.provenance);
        else if (strcmp(key, "results") == 0) {
            if (has_results)
                rc = js_fail(d, v.at, "run %zu: the member \"results\" appears twice", index);
            has_results = 1;
            results = v;
        }
        if (rc != 0)
            goto out;
    }
    if (rc != 0)
        goto out;
    driver = jget(r.tool, "driver", NULL);
    if (!cJSON_IsObject(driver)) {
        rc = js_fail(d, rv->at, "run %zu has no tool.driver", index);
        goto out;
    }
    r.tool_name = jstr(driver, "name") && *jstr(driver, "name") ? jstr(driver, "name") : "(unnamed tool)";
    note_tool(info, driver);
    if (!has_results || results.type == 'n') {
        rc = js_fail(d, rv->at, "run %zu (%s) has no results: it is not a scan result, or the tool "
                     "did not run to completion", index, r.tool_name);
        goto out;
    }
    if (results.type != '[') {
        rc = js_fail(d, results.at, "run %zu (%s): results is not an array", index, r.tool_name);
        goto out;
    }

    ext = jget(r.tool, "extensions", NULL);
    r.comp_count = 1 + (cJSON_IsArray(ext) ? (size_t)cJSON_GetArraySize(ext) : 0);
    r.comps = calloc(r.comp_count, sizeof *r.comps);
    if (!r.comps || comp_init(&r.comps[0], driver) != 0) {
        rc = js_fail(d, rv->at, "out of memory");
        goto out;
    }
    if (cJSON_IsArray(ext)) {
        size_t i = 1;
        cJSON_ArrayForEach(e, ext)
            if (comp_init(&r.comps[i++], e) != 0) {
                rc = js_fail(d, rv->at, "out of memory");
                goto out;
            }
    }

    for (e = cJSON_IsArray(r.invocations) ? r.invocations->child : NULL; e; e = e->next)
        r.inv_count++;
    if (r.inv_count && !(r.invs = calloc(r.inv_count, sizeof *r.invs))) {
        rc = js_fail(d, rv->at, "out of memory");
        goto out;
    }
    r.inv_count = 0;
    for (e = cJSON_IsArray(r.invocations) ? r.invocations->child : NULL; e; e = e->next) {
        const cJSON *ok = jget(e, "executionSuccessful", NULL);
        r.invs[r.inv_count++] = e;
        if (cJSON_IsFalse(ok)) {
            const cJSON *code = jget(e, "exitCode", NULL);
            if (cJSON_IsNumber(code))
                info_incomplete(info, "run %zu (%s): executionSuccessful is false (exit code %g)", index,
                                r.tool_name, code->valuedouble);
            else
                info_incomplete(info, "run %zu (%s): executionSuccessful is false", index, r.tool_name);
        }
        info_time(info, jstr(e, "endTimeUtc") ? jstr(e, "endTimeUtc") : jstr(e, "startTimeUtc"));
    }
    for (e = cJSON_IsArray(r.provenance) ? r.provenance->child : NULL; e; e = e->next)
        info_commit(info, jstr(e, "revisionId"));

    js_open(d, &results, &it);
    while ((rc = js_next(&it, NULL, &v)) == 1) {
        cJSON *res;
        ri++;
        if (v.type != '{') {
            rc = js_fail(d, v.at, "run %zu, result %zu is not an object", index, ri);
            break;
        }
        if (!(res = js_parse(d, &v))) {
            rc = -1;
            break;
        }
        rc = result_one(&r, res, ri, v.at, s);
        cJSON_Delete(res);
        if (rc != 0)
            break;
        info->entries++;
    }
out:
    run_free(&r);
    return rc < 0 ? -1 : 0;
}

int sarif_read(jdoc *d, const rtop *top, scan *s, rinfo *info)
{
    char version[32];
    jiter it;
    jval v;
    int rc;
    size_t n = 0;

    if (!top->has[TOP_VERSION])
        return js_fail(d, top->root.at, "SARIF log without a \"version\"");
    if (js_string(d, &top->v[TOP_VERSION], version, sizeof version) != 0)
        return js_fail(d, top->v[TOP_VERSION].at, "SARIF \"version\" is not a string");
    if (strcmp(version, "2.1.0") != 0) {
        snprintf(d->why, d->why_size, "SARIF version %s is not supported: only 2.1.0 is", version);
        return -1;
    }
    snprintf(info->variant, sizeof info->variant, "2.1.0");
    if (!top->has[TOP_RUNS] || top->v[TOP_RUNS].type != '[')
        return js_fail(d, top->has[TOP_RUNS] ? top->v[TOP_RUNS].at : top->root.at,
                       "SARIF log without a \"runs\" array");
    js_open(d, &top->v[TOP_RUNS], &it);
    while ((rc = js_next(&it, NULL, &v)) == 1) {
        if (read_run(d, &v, ++n, s, info) != 0)
            return -1;
        info->units++;
    }
    if (rc != 0)
        return -1;
    if (n == 0) {
        snprintf(d->why, d->why_size, "the SARIF log has no runs: it records no analysis");
        return -1;
    }
    return 0;
}
