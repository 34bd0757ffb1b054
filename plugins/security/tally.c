/* Severities, counts, and the most severe findings across all reports. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "report.h"

static const char *const SEC_SEV_NAMES[SEC_SEV_COUNT] = {
    "none", "unknown", "low", "medium", "high", "critical",
};

const char *sec_sev_name(sec_sev s)
{
    return s < SEC_SEV_COUNT ? SEC_SEV_NAMES[s] : "unknown";
}

int sec_sev_parse(const char *name, sec_sev *out)
{
    for (int i = 0; name && i < SEC_SEV_COUNT; i++)
        if (strcasecmp(name, SEC_SEV_NAMES[i]) == 0) {
            *out = (sec_sev)i;
            return 0;
        }
    return -1;
}

sec_sev sec_sev_from_score(double score)
{
    if (score >= 9.0) return SEC_SEV_CRITICAL;
    if (score >= 7.0) return SEC_SEV_HIGH;
    if (score >= 4.0) return SEC_SEV_MEDIUM;
    if (score >= 0.1) return SEC_SEV_LOW;
    return SEC_SEV_NONE;
}

long sec_tally_findings(const sec_tally *t)
{
    long n = 0;
    for (int i = 0; i < SEC_SEV_COUNT; i++)
        n += t->sev[i];
    return n;
}

void sec_tally_merge(sec_tally *into, const sec_tally *t)
{
    for (int i = 0; i < SEC_SEV_COUNT; i++)
        into->sev[i] += t->sev[i];
    into->suppressed += t->suppressed;
    into->ignored += t->ignored;
    into->passed += t->passed;
    into->absent += t->absent;
}

void sec_scan_init(sec_scan *s, sec_ignore *ignores, size_t ignore_count)
{
    memset(s, 0, sizeof *s);
    s->ignores = ignores;
    s->ignore_count = ignore_count;
}

static void kept_free(sec_kept *k)
{
    free(k->id);
    free(k->kind);
    free(k->package);
    free(k->version);
    free(k->file);
    free(k->target);
    free(k->title);
    memset(k, 0, sizeof *k);
}

void sec_scan_free(sec_scan *s)
{
    for (size_t i = 0; i < s->worst_count; i++)
        kept_free(&s->worst[i]);
    s->worst_count = 0;
}

void sec_scan_begin(sec_scan *s, size_t report, sec_tally *t)
{
    s->report = report;
    s->cur = t;
}

/* Does F carry id ID (case aside)?  Its own id, or its one other name: a GHSA and its
 * CVE are one vulnerability.  A finding with several other names is an advisory that
 * bundles several vulnerabilities (Grype's ALAS with two CVEs related, Trivy's vendor
 * ids) or a class (GitLab's CWE and OWASP identifiers): an ignore entry naming one of them
 * silenced the others, assessed by nobody (hostile round 28a, F02). */
static int names(const sec_finding *f, const char *id)
{
    const char *other = NULL;
    if (f->id && strcasecmp(f->id, id) == 0)
        return 1;
    for (int i = 0; i < SEC_ALIAS_MAX && f->alias[i]; i++) {
        if (f->id && strcasecmp(f->alias[i], f->id) == 0)
            continue;
        if (other && strcasecmp(other, f->alias[i]) != 0)
            return 0;   /* two other names: only the finding's own id silences it */
        other = f->alias[i];
    }
    return other && strcasecmp(other, id) == 0;
}

size_t sec_utf8_cut(const char *s, size_t n, size_t max)
{
    if (n > max) {
        n = max;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--;
    }
    return n;
}

/* A copy of S cut to MAX bytes (on a UTF-8 boundary; heap, the caller frees), or NULL
 * for NULL; sets *OOM when out of memory. */
static char *copy(const char *s, size_t max, int *oom)
{
    size_t n;
    char *c;
    if (!s)
        return NULL;
    n = sec_utf8_cut(s, strlen(s), max);
    c = malloc(n + 1);
    if (!c) {
        *oom = 1;
        return NULL;
    }
    memcpy(c, s, n);
    c[n] = '\0';
    return c;
}

/* Is A worse than B?  Severity, then score; ties go to the one seen first. */
static int worse(sec_sev as, double ascore, long aseq, const sec_kept *b)
{
    if (as != b->severity)
        return as > b->severity;
    if (ascore != b->score)
        return ascore > b->score;
    return aseq < b->seq;
}

static void keep(sec_scan *s, const sec_finding *f, long seq)
{
    size_t at = s->worst_count;
    sec_kept k;
    while (at > 0 && worse(f->severity, f->score, seq, &s->worst[at - 1]))
        at--;
    if (at >= SEC_WORST_MAX)
        return;
    memset(&k, 0, sizeof k);
    k.severity = f->severity;
    k.score = f->score;
    k.report = s->report;
    k.seq = seq;
    k.id = copy(f->id ? f->id : "", 200, &s->oom);
    k.kind = copy(f->kind, 40, &s->oom);
    k.package = copy(f->package, 200, &s->oom);
    k.version = copy(f->version, 100, &s->oom);
    k.file = copy(f->file, SEC_KEPT_FILE_MAX, &s->oom);
    k.target = copy(f->target, 200, &s->oom);
    k.title = copy(f->title, SEC_KEPT_TITLE_MAX, &s->oom);
    k.line = f->line;
    if (s->worst_count == SEC_WORST_MAX)
        kept_free(&s->worst[--s->worst_count]);
    memmove(&s->worst[at + 1], &s->worst[at], (s->worst_count - at) * sizeof s->worst[0]);
    s->worst[at] = k;
    s->worst_count++;
}

int sec_scan_would_keep(const sec_scan *s, sec_sev severity, double score, long seq)
{
    return s->worst_count < SEC_WORST_MAX || worse(severity, score, seq, &s->worst[SEC_WORST_MAX - 1]);
}

long sec_scan_reserve(sec_scan *s)
{
    return s->seq++;
}

void sec_scan_add(sec_scan *s, const sec_finding *f)
{
    sec_scan_add_seq(s, f, -1);
}

void sec_scan_add_seq(sec_scan *s, const sec_finding *f, long seq)
{
    int ignored = 0;
    for (size_t i = 0; i < s->ignore_count; i++) {
        sec_ignore *r = &s->ignores[i];
        if (r->state == SEC_IGNORE_MALFORMED || !names(f, r->id))
            continue;
        r->matched++;
        if (r->state == SEC_IGNORE_ACTIVE)
            ignored = 1;
    }
    if (ignored) {
        s->cur->ignored++;
        return;
    }
    s->cur->sev[f->severity < SEC_SEV_COUNT ? f->severity : SEC_SEV_UNKNOWN]++;
    keep(s, f, seq >= 0 ? seq : s->seq++);
}

void sec_scan_drop(sec_scan *s, size_t report)
{
    size_t j = 0;
    for (size_t i = 0; i < s->worst_count; i++) {
        if (s->worst[i].report == report)
            kept_free(&s->worst[i]);
        else
            s->worst[j++] = s->worst[i];
    }
    s->worst_count = j;
}
