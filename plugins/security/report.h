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
typedef enum sev {
    SEV_NONE, SEV_UNKNOWN, SEV_LOW, SEV_MEDIUM, SEV_HIGH, SEV_CRITICAL, SEV_COUNT
} sev;

const char *sev_name(sev s);                 /* "none", "unknown", "low", ... */
int sev_parse(const char *name, sev *out);   /* those names, any case; 0 or -1 */
sev sev_from_score(double score);            /* CVSS-like: >=9 critical ... >=0.1 low */

/* ---- Findings ------------------------------------------------------------------------ */

#define ALIAS_MAX 6

/* One finding as a reader sees it; the strings belong to the reader and live only
 * for the call that passes the finding on. */
typedef struct finding {
    const char *id;                 /* CVE, advisory, rule or license id; "" when none */
    const char *alias[ALIAS_MAX];   /* other ids an ignore entry may name; NULL-padded */
    sev severity;
    double score;                   /* a CVSS-like score when known, else -1 */
    const char *kind;               /* "vulnerability", "misconfiguration", "secret", "license", "result" */
    const char *package, *version;  /* or NULL */
    const char *file;               /* or NULL */
    double line;                    /* or 0 */
    const char *target;             /* image, scan target or resource, or NULL */
    const char *title;              /* or NULL */
} finding;

/* Counts for one report (or all of them). */
typedef struct tally {
    long sev[SEV_COUNT];
    long suppressed;   /* suppressed in the report itself: SARIF suppressions, VEX, exceptions */
    long ignored;      /* matched an ignore entry of the policy */
    long passed;       /* entries that are not findings: SARIF kind pass/notApplicable/informational, Trivy PASS */
    long absent;       /* SARIF baselineState "absent": fixed since the baseline */
} tally;

long tally_findings(const tally *t);          /* sum of sev[] */
void tally_merge(tally *into, const tally *t);

/* ---- Ignore entries ---------------------------------------------------------------------- */

typedef enum ignore_state { IGNORE_ACTIVE, IGNORE_EXPIRED, IGNORE_MALFORMED } ignore_state;

/* One entry "ID: YYYY-MM-DD: reason" of the ignore parameter. */
typedef struct ignore_rule {
    const char *entry;      /* as written (borrowed) */
    char id[128];
    char until[11];         /* YYYY-MM-DD */
    char reason[256];
    ignore_state state;
    char problem[128];      /* why it is malformed or expired */
    long matched;           /* findings it covered (or, expired, would have covered) */
} ignore_rule;

/* Read ENTRY into R at time NOW (seconds since the epoch).  An entry applies through
 * the whole of its UNTIL day, UTC. */
void ignore_parse(const char *entry, int64_t now, ignore_rule *r);

/* ---- The scan: findings of all reports ---------------------------------------------------- */

#define WORST_MAX 20
/* What a kept finding keeps of its title and its file, in bytes. */
#define KEPT_TITLE_MAX 200
#define KEPT_FILE_MAX 300

/* The length of S (N bytes) cut to MAX bytes on a UTF-8 boundary. */
size_t utf8_cut(const char *s, size_t n, size_t max);

/* A finding kept for the details (strings owned, freed by scan_free). */
typedef struct kept {
    sev severity;
    double score;
    size_t report;
    long seq;
    char *id, *kind, *package, *version, *file, *target, *title;
    double line;
} kept;

typedef struct scan {
    tally *cur;                 /* the report being read */
    size_t report;              /* its index */
    ignore_rule *ignores;       /* borrowed */
    size_t ignore_count;
    kept worst[WORST_MAX];      /* the most severe findings, most severe first */
    size_t worst_count;
    long seq;
    int oom;                    /* a kept finding could not be copied */
} scan;

void scan_init(scan *s, ignore_rule *ignores, size_t ignore_count);
void scan_free(scan *s);
/* Count what follows into T, as report number REPORT. */
void scan_begin(scan *s, size_t report, tally *t);
/* Count F: ignored when an active ignore entry names its id or an alias, else by
 * severity (and kept when among the worst). */
void scan_add(scan *s, const finding *f);
/* The number the next finding would be counted as, taken (for a finding judged later),
 * and counting F as number SEQ. */
long scan_reserve(scan *s);
void scan_add_seq(scan *s, const finding *f, long seq);
/* Would a finding of SEVERITY and SCORE counted as number SEQ be among the worst now?
 * (The list only gets worse: once it would not, it never will.) */
int scan_would_keep(const scan *s, sev severity, double score, long seq);
/* Forget the kept findings of report REPORT (it turned out unreadable). */
void scan_drop(scan *s, size_t report);

/* ---- Reports ------------------------------------------------------------------------------------ */

typedef enum rformat { FMT_AUTO, FMT_SARIF, FMT_TRIVY, FMT_GRYPE, FMT_GITLAB } rformat;

const char *rformat_name(rformat f);          /* "auto", "sarif", ... */
/* The names in rformat order, NULL-terminated: also the format parameter's allowed values. */
extern const char *const RFORMAT_NAMES[];
int rformat_parse(const char *name, rformat *out);

#define COMMIT_MAX 4

/* What a report says about itself. */
typedef struct rinfo {
    rformat format;
    char variant[48];            /* "2.1.0", "schema 2", "legacy list", "kubernetes", ... */
    char tool[96];               /* the scanner, as the report names it */
    int has_time;                /* the report's time (the oldest, where it has several) */
    int64_t time;
    char time_text[48];
    int time_zoneless;           /* that time named no zone: read as UTC (GitLab writes them so) */
    char commits[COMMIT_MAX][72];/* commits the report says it scanned ("" none) */
    size_t commit_count;
    int commit_overflow;         /* more distinct commits than COMMIT_MAX, or one too long */
    char incomplete[256];        /* the report says the scan did not complete: why */
    long units;                  /* SARIF runs, Trivy results (targets), Kubernetes resources */
    long entries;                /* SARIF results, vulnerabilities, matches, ... read */
} rinfo;

/* The top-level members a reader may use, found once by report_read. */
enum {
    TOP_VERSION, TOP_SCHEMA, TOP_RUNS, TOP_SCHEMA_VERSION, TOP_CREATED_AT, TOP_ARTIFACT_NAME,
    TOP_METADATA, TOP_RESULTS, TOP_CLUSTER_NAME, TOP_RESOURCES, TOP_VULNERABILITIES_K8S,
    TOP_MISCONFIGURATIONS_K8S, TOP_MATCHES, TOP_IGNORED_MATCHES, TOP_DESCRIPTOR, TOP_SOURCE,
    TOP_VULNERABILITIES, TOP_SCAN, TOP_BOM_FORMAT, TOP_COUNT
};

/* The top-level member names, by TOP_ index: what report detection and the SARIF reader look for. */
extern const char *const TOP_KEYS[TOP_COUNT];

typedef struct rtop {
    jval root;
    jval v[TOP_COUNT];
    int has[TOP_COUNT];
    char others[160];            /* the first member names, for messages */
} rtop;

/* Read report TEXT (LEN bytes) as FORCED, or as what it looks like with FMT_AUTO, and
 * count its findings into S.  Returns 0, or -1 with WHY: an unrecognised format, a
 * malformed document, an unsupported version. */
int report_read(const char *text, size_t len, rformat forced, scan *s, rinfo *info, char *why,
                size_t why_size);

/* Where a report's bytes come from: READ fills BUF with up to CAP bytes and returns
 * the count, 0 at the end, or -1 with *WHY. */
typedef struct rsrc {
    int64_t (*read)(void *ctx, char *buf, size_t cap, const char **why);
    void *ctx;
} rsrc;

/* Read the report SRC streams, as report_read does.  SARIF is read as it streams, in
 * bounded memory; the other formats need the whole text, which WHOLE gives (0, or -1
 * with a message in WHY).  Returns 0, -1 (the report is not one we can read: WHY), or
 * -2 (the file could not be read: WHY). */
int report_stream(rsrc *src, int (*whole)(void *ctx, const char **text, size_t *len, char *why, size_t why_size),
                  void *whole_ctx, rformat forced, scan *s, rinfo *info, char *why, size_t why_size);

/* A SARIF log from SRC (whose first non-blank byte is '{'), read with yajl in chunks of
 * sarif_chunk_size bytes.  Returns 0, -1 with WHY, or -2 when SRC fails.  With FMT_AUTO
 * a document that is no SARIF log sets *NOT_SARIF (and returns -1, WHY empty) unless
 * it is not even well-formed JSON. */
int sarif_stream(rsrc *src, rformat forced, scan *s, rinfo *info, char *why, size_t why_size, int *not_sarif);
extern size_t sarif_chunk_size;  /* 256 KiB; tests make it tiny */

/* What the last sarif_stream call held beyond one chunk and one result, for tests. */
typedef struct sarif_stats {
    size_t rules;         /* rules read, all runs */
    size_t rule_bytes;    /* the largest rule table of a run once its tool is read: rules, id index, strings */
    size_t peak_groups;   /* the most deferred groups (results judged at the run's end) at once */
    size_t peak_samples;  /* the most deferred results kept for the worst list at once */
} sarif_stats;
extern sarif_stats sarif_last_stats;

/* The readers, called by report_read with the document and its top-level members. */
int trivy_read(jdoc *d, const rtop *top, scan *s, rinfo *info);
int grype_read(jdoc *d, const rtop *top, scan *s, rinfo *info);
int gitlab_read(jdoc *d, const rtop *top, scan *s, rinfo *info);

/* ---- Helpers the readers share (report.c) ------------------------------------------------------ */

/* Members of objects: rg_json_member (common/json_member.h), which refuses a key given
 * twice; js_parse refuses a loaded value holding one anywhere. */
/* The string at path "a.b.c" under O, or NULL. */
const char *jstr(const cJSON *o, const char *path);
/* The number at PATH, or FALLBACK when absent or not a finite number. */
double jnum(const cJSON *o, const char *path, double fallback);
/* Note TEXT as a report time (the oldest wins) when it parses. */
void info_time(rinfo *info, const char *text);
/* Note a commit the report names. */
void info_commit(rinfo *info, const char *commit);
/* Note that the scan did not complete, and why. */
void info_incomplete(rinfo *info, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

#endif
