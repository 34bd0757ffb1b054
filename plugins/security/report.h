/* Private to the security plugin: severities, findings, the tally that counts them,
 * policy ignore entries, and the report readers (SARIF, Trivy, Grype, GitLab). */
#ifndef SECURITY_REPORT_H
#define SECURITY_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "json_member.h"
#include "jscan.h"

/* ---- Severities ------------------------------------------------------------------ */

/* Ordered from least to most severe.  UNKNOWN (the report gives no severity) ranks
 * above NONE when findings are sorted, but counts against a limit only when the check
 * is told what to treat it as. */
typedef enum sec_sev {
    SEC_SEV_NONE, SEC_SEV_UNKNOWN, SEC_SEV_LOW, SEC_SEV_MEDIUM, SEC_SEV_HIGH, SEC_SEV_CRITICAL, SEC_SEV_COUNT
} sec_sev;

const char *sec_sev_name(sec_sev s);                 /* "none", "unknown", "low", ... */
int sec_sev_parse(const char *name, sec_sev *out);   /* those names, any case; 0 or -1 */
sec_sev sec_sev_from_score(double score);            /* CVSS-like: >=9 critical ... >=0.1 low */

/* ---- Findings ------------------------------------------------------------------------ */

#define SEC_ALIAS_MAX 6

/* One finding as a reader sees it; the strings belong to the reader and live only
 * for the call that passes the finding on. */
typedef struct sec_finding {
    const char *id;                 /* CVE, advisory, rule or license id; "" when none */
    const char *alias[SEC_ALIAS_MAX];   /* other ids an ignore entry may name; NULL-padded */
    sec_sev severity;
    double score;                   /* a CVSS-like score when known, else -1 */
    const char *kind;               /* "vulnerability", "misconfiguration", "secret", "license", "result" */
    const char *package, *version;  /* or NULL */
    const char *file;               /* or NULL */
    double line;                    /* or 0 */
    const char *target;             /* image, scan target or resource, or NULL */
    const char *title;              /* or NULL */
} sec_finding;

/* Counts for one report (or all of them). */
typedef struct sec_tally {
    long sev[SEC_SEV_COUNT];
    long suppressed;   /* suppressed in the report itself: SARIF suppressions, VEX, exceptions */
    long ignored;      /* matched an ignore entry of the policy */
    long passed;       /* entries that are not findings: SARIF kind pass/notApplicable/informational, Trivy PASS */
    long absent;       /* SARIF baselineState "absent": fixed since the baseline */
} sec_tally;

long sec_tally_findings(const sec_tally *t);          /* sum of sev[] */
void sec_tally_merge(sec_tally *into, const sec_tally *t);

/* ---- Ignore entries ---------------------------------------------------------------------- */

typedef enum sec_ignore_state { SEC_IGNORE_ACTIVE, SEC_IGNORE_EXPIRED, SEC_IGNORE_MALFORMED } sec_ignore_state;

/* One entry "ID: YYYY-MM-DD: reason" of the ignore parameter. */
typedef struct sec_ignore {
    const char *entry;      /* as written (borrowed) */
    char id[128];
    char until[11];         /* YYYY-MM-DD */
    char reason[256];
    sec_ignore_state state;
    char problem[128];      /* why it is malformed or expired */
    long matched;           /* findings it covered (or, expired, would have covered) */
} sec_ignore;

/* Read ENTRY into R at time NOW (seconds since the epoch).  An entry applies through
 * the whole of its UNTIL day, UTC. */
void sec_ignore_parse(const char *entry, int64_t now, sec_ignore *r);

/* ---- The scan: findings of all reports ---------------------------------------------------- */

#define SEC_WORST_MAX 20
/* What a kept finding keeps of its title and its file, in bytes. */
#define SEC_KEPT_TITLE_MAX 200
#define SEC_KEPT_FILE_MAX 300

/* The length of S (N bytes) cut to MAX bytes on a UTF-8 boundary. */
size_t sec_utf8_cut(const char *s, size_t n, size_t max);

/* A finding kept for the details (strings owned, freed by scan_free). */
typedef struct sec_kept {
    sec_sev severity;
    double score;
    size_t report;
    long seq;
    char *id, *kind, *package, *version, *file, *target, *title;
    double line;
} sec_kept;

typedef struct sec_scan {
    sec_tally *cur;                 /* the report being read */
    size_t report;              /* its index */
    sec_ignore *ignores;       /* borrowed */
    size_t ignore_count;
    sec_kept worst[SEC_WORST_MAX];      /* the most severe findings, most severe first */
    size_t worst_count;
    long seq;
    int oom;                    /* a kept finding could not be copied */
} sec_scan;

void sec_scan_init(sec_scan *s, sec_ignore *ignores, size_t ignore_count);
void sec_scan_free(sec_scan *s);
/* Count what follows into T, as report number REPORT. */
void sec_scan_begin(sec_scan *s, size_t report, sec_tally *t);
/* Count F: ignored when an active ignore entry names its id or an alias, else by
 * severity (and kept when among the worst). */
void sec_scan_add(sec_scan *s, const sec_finding *f);
/* The number the next finding would be counted as, taken (for a finding judged later),
 * and counting F as number SEQ. */
long sec_scan_reserve(sec_scan *s);
void sec_scan_add_seq(sec_scan *s, const sec_finding *f, long seq);
/* Would a finding of SEVERITY and SCORE counted as number SEQ be among the worst now?
 * (The list only gets worse: once it would not, it never will.) */
int sec_scan_would_keep(const sec_scan *s, sec_sev severity, double score, long seq);
/* Forget the kept findings of report REPORT (it turned out unreadable). */
void sec_scan_drop(sec_scan *s, size_t report);

/* ---- Reports ------------------------------------------------------------------------------------ */

typedef enum sec_format { SEC_FMT_AUTO, SEC_FMT_SARIF, SEC_FMT_TRIVY, SEC_FMT_GRYPE, SEC_FMT_GITLAB } sec_format;

const char *sec_format_name(sec_format f);          /* "auto", "sarif", ... */
/* The names in rformat order, NULL-terminated: also the format parameter's allowed values. */
extern const char *const SEC_FORMAT_NAMES[];
int sec_format_parse(const char *name, sec_format *out);

#define SEC_COMMIT_MAX 4

/* What a report says about itself. */
typedef struct sec_info {
    sec_format format;
    char variant[48];            /* "2.1.0", "schema 2", "legacy list", "kubernetes", ... */
    char tool[96];               /* the scanner, as the report names it */
    int has_time;                /* the report's time (the oldest, where it has several) */
    int64_t time;
    char time_text[48];
    int time_zoneless;           /* that time named no zone: read as UTC (GitLab writes them so) */
    char commits[SEC_COMMIT_MAX][72];/* commits the report says it scanned ("" none) */
    size_t commit_count;
    int commit_overflow;         /* more distinct commits than COMMIT_MAX, or one too long */
    char incomplete[256];        /* the report says the scan did not complete: why */
    long units;                  /* SARIF runs, Trivy results (targets), Kubernetes resources */
    long entries;                /* SARIF results, vulnerabilities, matches, ... read */
} sec_info;

/* The top-level members a reader may use, found once by sec_report_read. */
enum {
    SEC_TOP_VERSION, SEC_TOP_SCHEMA, SEC_TOP_RUNS, SEC_TOP_SCHEMA_VERSION, SEC_TOP_CREATED_AT, SEC_TOP_ARTIFACT_NAME,
    SEC_TOP_METADATA, SEC_TOP_RESULTS, SEC_TOP_CLUSTER_NAME, SEC_TOP_RESOURCES, SEC_TOP_VULNERABILITIES_K8S,
    SEC_TOP_MISCONFIGURATIONS_K8S, SEC_TOP_MATCHES, SEC_TOP_IGNORED_MATCHES, SEC_TOP_DESCRIPTOR, SEC_TOP_SOURCE,
    SEC_TOP_VULNERABILITIES, SEC_TOP_SCAN, SEC_TOP_BOM_FORMAT, SEC_TOP_FINDINGS, SEC_TOP_COUNT
};

/* The top-level member names, by TOP_ index: what report detection and the SARIF reader look for. */
extern const char *const SEC_TOP_KEYS[SEC_TOP_COUNT];

typedef struct sec_top {
    jval root;
    jval v[SEC_TOP_COUNT];
    int has[SEC_TOP_COUNT];
    char others[160];            /* the first member names, for messages */
} sec_top;

/* Read report TEXT (LEN bytes) as FORCED, or as what it looks like with SEC_FMT_AUTO, and
 * count its findings into S.  Returns 0, or -1 with WHY: an unrecognised format, a
 * malformed document, an unsupported version. */
int sec_report_read(const char *text, size_t len, sec_format forced, sec_scan *s, sec_info *info, char *why,
                size_t why_size);

/* Where a report's bytes come from: READ fills BUF with up to CAP bytes and returns
 * the count, 0 at the end, or -1 with *WHY. */
typedef struct sec_source {
    int64_t (*read)(void *ctx, char *buf, size_t cap, const char **why);
    void *ctx;
} sec_source;

/* Read the report SRC streams, as sec_report_read does.  SARIF is read as it streams, in
 * bounded memory; the other formats need the whole text, which WHOLE gives (0, or -1
 * with a message in WHY).  Returns 0, -1 (the report is not one we can read: WHY), or
 * -2 (the file could not be read: WHY). */
int sec_report_stream(sec_source *src, int (*whole)(void *ctx, const char **text, size_t *len, char *why, size_t why_size),
                  void *whole_ctx, sec_format forced, sec_scan *s, sec_info *info, char *why, size_t why_size);

/* A SARIF log from SRC (whose first non-blank byte is '{'), read with yajl in chunks of
 * sec_sarif_chunk_size bytes.  Returns 0, -1 with WHY, or -2 when SRC fails.  With SEC_FMT_AUTO
 * a document that is no SARIF log sets *NOT_SARIF (and returns -1, WHY empty) unless
 * it is not even well-formed JSON. */
int sec_sarif_stream(sec_source *src, sec_format forced, sec_scan *s, sec_info *info, char *why, size_t why_size, int *not_sarif);
extern size_t sec_sarif_chunk_size;  /* 256 KiB; tests make it tiny */

/* What the last sec_sarif_stream call held beyond one chunk and one result, for tests. */
typedef struct sec_sarif_stats {
    size_t rules;         /* rules read, all runs */
    size_t rule_bytes;    /* the largest rule table of a run once its tool is read: rules, id index, strings */
    size_t peak_groups;   /* the most deferred groups (results judged at the run's end) at once */
    size_t peak_samples;  /* the most deferred results kept for the worst list at once */
} sec_sarif_stats;
extern sec_sarif_stats sec_sarif_last_stats;

/* The readers, called by sec_report_read with the document and its top-level members. */
int sec_trivy_read(jdoc *d, const sec_top *top, sec_scan *s, sec_info *info);
int sec_grype_read(jdoc *d, const sec_top *top, sec_scan *s, sec_info *info);
int sec_gitlab_read(jdoc *d, const sec_top *top, sec_scan *s, sec_info *info);

/* ---- Helpers the readers share (reader_util.c) ------------------------------------------------------ */

/* Members of objects: rg_json_member (common/json_member.h), which refuses a key given
 * twice; js_parse refuses a loaded value holding one anywhere. */
/* The string at path "a.b.c" under O, or NULL. */
const char *sec_jstr(const cJSON *o, const char *path);
/* The number at PATH, or FALLBACK when absent or not a finite number. */
double sec_jnum(const cJSON *o, const char *path, double fallback);
/* Note TEXT as a report time (the oldest wins) when it parses. */
void sec_info_time(sec_info *info, const char *text);
/* Note a commit the report names. */
void sec_info_commit(sec_info *info, const char *commit);
/* Note that the scan did not complete, and why. */
void sec_info_incomplete(sec_info *info, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

#endif
