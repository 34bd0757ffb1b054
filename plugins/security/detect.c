/* Telling report formats apart and handing a report to its reader: the one place that
 * knows every reader (reader_util.c holds what the readers share, so no reader depends
 * on this file). */
#include <stdio.h>
#include <string.h>

#include "report.h"

static void note_other(sec_top *top, const char *key)
{
    size_t n = strlen(top->others);
    if (n >= 3 && strcmp(top->others + n - 3, "...") == 0)
        return;
    if (n + strlen(key) + 8 >= sizeof top->others) {
        snprintf(top->others + n, sizeof top->others - n, "%s...", n ? ", " : "");
        return;
    }
    snprintf(top->others + n, sizeof top->others - n, "%s%s", n ? ", " : "", key[0] ? key : "(odd name)");
}

/* Index the members of the root object. */
static int index_top(jdoc *d, sec_top *top)
{
    jiter it;
    jval v;
    char key[JS_KEY_MAX];
    int r;
    js_open(d, &top->root, &it);
    while ((r = js_next(&it, key, &v)) == 1) {
        for (int i = 0; i < SEC_TOP_COUNT; i++)
            if (strcmp(key, SEC_TOP_KEYS[i]) == 0) {
                if (top->has[i])
                    return js_fail(d, v.at, "the member \"%s\" appears twice", key);
                top->has[i] = 1;
                top->v[i] = v;
            }
        note_other(top, key);
    }
    return r;
}

/* Is string value V a version of dotted numbers ("15.0.7", "2.3")? */
static int numeric_version(jdoc *d, const jval *v)
{
    char buf[32];
    size_t n;
    if (v->type != '"' || js_string(d, v, buf, sizeof buf) != 0 || !buf[0])
        return 0;
    n = strlen(buf);
    if (n >= sizeof buf - 1 || buf[0] == '.' || buf[n - 1] == '.')
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!(buf[i] >= '0' && buf[i] <= '9') && !(buf[i] == '.' && buf[i + 1] != '.'))
            return 0;
    return 1;
}

/* Does the matches list V start with what the Grype reader reads, a match object with a
 * "vulnerability" object?  Grype's descriptor and source are not needed to read matches. */
static int grype_match_first(jdoc *d, const jval *v)
{
    jiter it, el;
    jval m, member;
    char key[JS_KEY_MAX];
    if (v->type != '[')
        return 0;
    js_open(d, v, &it);
    if (js_next(&it, NULL, &m) != 1 || m.type != '{')
        return 0;
    js_open(d, &m, &el);
    while (js_next(&el, key, &member) == 1)
        if (strcmp(key, "vulnerability") == 0)
            return member.type == '{';
    return 0;
}

static sec_format detect_object(jdoc *d, const sec_top *top)
{
    const int *h = top->has;
    char schema[256];
    if (h[SEC_TOP_RUNS])
        return SEC_FMT_SARIF;
    if (h[SEC_TOP_SCHEMA] && js_string(d, &top->v[SEC_TOP_SCHEMA], schema, sizeof schema) == 0 &&
        strstr(schema, "sarif"))
        return SEC_FMT_SARIF;
    if (h[SEC_TOP_SCHEMA_VERSION] || h[SEC_TOP_CLUSTER_NAME] ||
        (h[SEC_TOP_ARTIFACT_NAME] && (h[SEC_TOP_RESULTS] || h[SEC_TOP_CREATED_AT])))
        return SEC_FMT_TRIVY;
    if (h[SEC_TOP_MATCHES] && (h[SEC_TOP_DESCRIPTOR] || h[SEC_TOP_SOURCE] || grype_match_first(d, &top->v[SEC_TOP_MATCHES])))
        return SEC_FMT_GRYPE;
    if (h[SEC_TOP_VULNERABILITIES] && top->v[SEC_TOP_VULNERABILITIES].type == '[' && h[SEC_TOP_VERSION] &&
        numeric_version(d, &top->v[SEC_TOP_VERSION]) && !h[SEC_TOP_BOM_FORMAT])
        return SEC_FMT_GITLAB;
    return SEC_FMT_AUTO;
}

/* A top-level array is legacy Trivy output when its first element has a Target. */
static int legacy_trivy(jdoc *d, const jval *root)
{
    jiter it, el;
    jval v, m;
    char key[JS_KEY_MAX];
    js_open(d, root, &it);
    if (js_next(&it, NULL, &v) != 1 || v.type != '{')
        return 0;
    js_open(d, &v, &el);
    while (js_next(&el, key, &m) == 1)
        if (strcmp(key, "Target") == 0)
            return 1;
    return 0;
}

static const char EXPECTED[] = "expected SARIF 2.1.0, Trivy JSON, Grype JSON or a GitLab security report";

/* A source over a buffer, handed out sarif_chunk_size bytes at a time. */
typedef struct bufsrc {
    const char *text;
    size_t len, pos;
} bufsrc;

static int64_t bufsrc_read(void *ctx, char *buf, size_t cap, const char **why)
{
    bufsrc *b = ctx;
    size_t n = b->len - b->pos < cap ? b->len - b->pos : cap;
    (void)why;
    memcpy(buf, b->text + b->pos, n);
    b->pos += n;
    return (int64_t)n;
}

/* The first byte of TEXT that is not a byte order mark or a blank: its index, or LEN. */
static size_t first_byte(const char *text, size_t len)
{
    size_t i = 0;
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
        i = 3;
    while (i < len && (text[i] == ' ' || text[i] == '\n' || text[i] == '\r' || text[i] == '\t'))
        i++;
    return i;
}

/* What a report that is not even a JSON container looks like; -1 with WHY, or 0 when it
 * may be one. */
static int not_json(const char *text, size_t len, size_t i, char *why, size_t why_size)
{
    (void)text;
    if (i >= len) {
        snprintf(why, why_size, "unrecognised report format: the file is empty");
        return -1;
    }
    if (text[i] != '{' && text[i] != '[' && text[i] != 'n') {
        /* Not even a JSON container: say what it looks like rather than where it breaks. */
        if (text[i] == '<')
            snprintf(why, why_size, "unrecognised report format: XML or HTML, not JSON (%s)", EXPECTED);
        else
            snprintf(why, why_size, "unrecognised report format: not a JSON object (%s)", EXPECTED);
        return -1;
    }
    return 0;
}

/* The formats read from the whole text (SARIF is not among them unless SARIF_DONE is
 * 0: then a SARIF log is read from the text through the streaming reader). */
static int read_whole(const char *text, size_t len, sec_format forced, int sarif_done, sec_scan *s, sec_info *info,
                      char *why, size_t why_size)
{
    jdoc d;
    sec_top top;
    sec_format f;
    size_t i = first_byte(text, len);

    memset(info, 0, sizeof *info);
    memset(&top, 0, sizeof top);
    if (not_json(text, len, i, why, why_size) != 0)
        return -1;
    if (!sarif_done && text[i] == '{' && (forced == SEC_FMT_AUTO || forced == SEC_FMT_SARIF)) {
        bufsrc b = {text, len, 0};
        sec_source src = {bufsrc_read, &b};
        int not_sarif = 0, rc = sec_sarif_stream(&src, forced, s, info, why, why_size, &not_sarif);
        if (!not_sarif)
            return rc < 0 ? -1 : 0;
        memset(info, 0, sizeof *info);
    }
    js_init(&d, text, len, why, why_size);
    if (js_root(&d, &top.root) != 0) {
        char inner[200];
        snprintf(inner, sizeof inner, "%s", why);
        snprintf(why, why_size, "malformed JSON: %s", inner);
        return -1;
    }

    if (top.root.type == 'n') {
        /* Legacy Trivy writes a bare null for a clean scan; so do other tools. */
        if (forced != SEC_FMT_TRIVY) {
            snprintf(why, why_size, "unrecognised report format: the document is JSON null "
                     "(old Trivy writes that for a clean scan: set format = \"trivy\" to accept it)");
            return -1;
        }
        info->format = SEC_FMT_TRIVY;
        snprintf(info->variant, sizeof info->variant, "legacy (null: no results)");
        return 0;
    }
    if (top.root.type == '[') {
        if (forced == SEC_FMT_TRIVY || (forced == SEC_FMT_AUTO && legacy_trivy(&d, &top.root))) {
            info->format = SEC_FMT_TRIVY;
            return sec_trivy_read(&d, &top, s, info);
        }
        if (forced != SEC_FMT_AUTO)
            snprintf(why, why_size, "not a %s report: the document is a JSON array", sec_format_name(forced));
        else
            snprintf(why, why_size, "unrecognised report format: a JSON array whose first element "
                     "has no \"Target\" (not legacy Trivy; %s)", EXPECTED);
        return -1;
    }
    if (top.root.type != '{') {
        snprintf(why, why_size, "unrecognised report format: not a JSON object (%s)", EXPECTED);
        return -1;
    }
    if (index_top(&d, &top) != 0)
        return -1;
    f = forced != SEC_FMT_AUTO ? forced : detect_object(&d, &top);
    info->format = f;
    switch (f) {
    case SEC_FMT_SARIF: /* the streaming reader said it is no SARIF log */
        snprintf(why, why_size, "internal error: a SARIF log read as a whole");
        return -1;
    case SEC_FMT_TRIVY: return sec_trivy_read(&d, &top, s, info);
    case SEC_FMT_GRYPE: return sec_grype_read(&d, &top, s, info);
    case SEC_FMT_GITLAB: return sec_gitlab_read(&d, &top, s, info);
    case SEC_FMT_AUTO: break;
    }
    if (top.has[SEC_TOP_MATCHES] && top.v[SEC_TOP_MATCHES].type == '[') {
        /* Grype's shape with nothing to read that confirms it: say what is missing */
        snprintf(why, why_size, "unrecognised report format: a JSON object with \"matches\" but no match "
                 "with a \"vulnerability\" and no Grype \"descriptor\" or \"source\" (an empty Grype "
                 "report without them: set format = \"grype\" to read it)");
        return -1;
    }
    if (top.has[SEC_TOP_BOM_FORMAT]) {
        snprintf(why, why_size, "unrecognised report format: a CycloneDX BOM (%s)", EXPECTED);
        return -1;
    }
    snprintf(why, why_size, "unrecognised report format: a JSON object with %s%s (%s)",
             top.others[0] ? "the members " : "no members", top.others, EXPECTED);
    return -1;
}

int sec_report_read(const char *text, size_t len, sec_format forced, sec_scan *s, sec_info *info, char *why,
                size_t why_size)
{
    return read_whole(text, len, forced, 0, s, info, why, why_size);
}

/* A source that gives HEAD first, then the rest of SRC. */
typedef struct headsrc {
    const char *head;
    size_t len, pos;
    sec_source *src;
} headsrc;

static int64_t headsrc_read(void *ctx, char *buf, size_t cap, const char **why)
{
    headsrc *h = ctx;
    if (h->pos < h->len) {
        size_t n = h->len - h->pos < cap ? h->len - h->pos : cap;
        memcpy(buf, h->head + h->pos, n);
        h->pos += n;
        return (int64_t)n;
    }
    return h->src->read(h->src->ctx, buf, cap, why);
}

#define HEAD_MAX 4096

int sec_report_stream(sec_source *src, int (*whole)(void *ctx, const char **text, size_t *len, char *why, size_t why_size),
                  void *whole_ctx, sec_format forced, sec_scan *s, sec_info *info, char *why, size_t why_size)
{
    char head[HEAD_MAX];
    size_t len = 0, i;
    const char *text, *rwhy = NULL;
    int sarif_done = 0;

    memset(info, 0, sizeof *info);
    /* Enough of the start to see what the report is. */
    while (len < sizeof head) {
        int64_t n = src->read(src->ctx, head + len, sizeof head - len, &rwhy);
        if (n < 0) {
            snprintf(why, why_size, "%s", rwhy ? rwhy : "read error");
            return -2;
        }
        if (n == 0)
            break;
        len += (size_t)n;
        if (first_byte(head, len) < len)
            break;
    }
    i = first_byte(head, len);
    if (i < len && head[i] == '{' && (forced == SEC_FMT_AUTO || forced == SEC_FMT_SARIF)) {
        headsrc h = {head, len, 0, src};
        sec_source hs = {headsrc_read, &h};
        int not_sarif = 0, rc = sec_sarif_stream(&hs, forced, s, info, why, why_size, &not_sarif);
        if (!not_sarif)
            return rc;
        sarif_done = 1;
    } else if ((i >= len && len < sizeof head) || (i < len && !strchr("{[n", head[i]))) {
        return not_json(head, len, i, why, why_size);
    }
    if (whole(whole_ctx, &text, &len, why, why_size) != 0)
        return -2;
    return read_whole(text, len, forced, sarif_done, s, info, why, why_size);
}
