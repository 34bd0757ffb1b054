/*
 * relgate/plugin.h — the check plugin ABI.
 *
 * A check plugin is a shared object exporting one function, RG_PLUGIN_ENTRY_SYMBOL,
 * that returns a constant descriptor of the plugin and its checks.  The engine runs
 * every check in a child process (its own, or, for a plugin that sets
 * RG_PLUGIN_FLAG_SHARE_CHILD, one its checks over the same evidence share, one after
 * the other) and hands it a table of host services
 * (parameters, evidence files, the context, the clock, logging, result details), so a
 * plugin links against nothing of the engine: this header is all it needs.
 *
 *     static rg_check_status run(const rg_host *host, rg_check_call *call)
 *     {
 *         const char *text; size_t len; const char *why;
 *         if (host->read_evidence(call, host->param_string(call, "report"), &text, &len, &why) != 0)
 *             return host->fail(call, "cannot read the report: %s", why);
 *         ...
 *         return host->pass(call, "all %d checks passed", n);
 *     }
 *     static const char *const formats[] = { "auto", "json", "text", NULL };
 *     static const rg_param params[] = {
 *         { "report", RG_PARAM_EVIDENCE, 1, NULL, "evidence name of the report", NULL },
 *         { "format", RG_PARAM_STRING, 0, "\"auto\"", "how the report is written", formats },
 *     };
 *     static const rg_check checks[] = {
 *         { "example.check", "What it checks, in one line", params, 2, run },
 *     };
 *     static const rg_plugin plugin = {
 *         RG_PLUGIN_ABI_MAJOR, RG_PLUGIN_ABI_MINOR, sizeof(rg_plugin),
 *         "example", "1.0.0", "An example plugin", "MIT", checks, 1,
 *         0, NULL,   // flags, env: the environment variables it needs (none)
 *         sizeof(rg_check), sizeof(rg_param),   // the element sizes of its tables
 *     };
 *     RG_PLUGIN_EXPORT const rg_plugin *relgate_plugin_entry(void) { return &plugin; }
 *
 * Compatibility (after Varnish's VRT and PipeWire's SPA): the descriptor starts with
 * the ABI major and minor, because they protect the rest, then its own size.  The
 * engine refuses a plugin of another major, or of a newer minor than its own, and one
 * whose descriptor is shorter than the ABI it claims.  Within a major, fields are only
 * ever added at the end of a struct, and host services only at the end of rg_host: a
 * plugin checks host->abi_minor (or host->size) before calling a service added later.
 *
 * ABI changelog
 *   1.0  First version: rg_plugin, rg_check, rg_param, rg_host (parameters,
 *        evidence, context, clock, logging, details, results).
 *   1.1  rg_host gains release_evidence (give back a large buffer early) and
 *        evidence_relative (a file a manifest names, beside the evidence file).
 *   1.2  rg_host gains open_evidence, read_stream, close_stream (read an evidence
 *        file in chunks, memory bounded, not subject to the whole-read cap) and
 *        stream_identity; rg_plugin gains flags (RG_PLUGIN_FLAG_SHARE_CHILD: several
 *        checks of the plugin over the same evidence run in one child, one after the
 *        other).  A 1.0/1.1 descriptor is shorter, without flags: size tells.
 *   1.3  rg_plugin gains env: the names of the environment variables the plugin's
 *        code may see (NULL-terminated list, or NULL for none).  Plugin code runs only
 *        in child processes whose environment holds those variables (when set for
 *        relgate) and PATH=/usr/bin:/bin, nothing else: a CI token in relgate's
 *        environment is not a plugin's unless it asks for it by name.  A 1.0-1.2
 *        descriptor is shorter, without env: its code sees PATH alone.
 *        rg_plugin gains check_size and param_size: sizeof(rg_check) and
 *        sizeof(rg_param) as the plugin was built, so the engine steps through its
 *        tables by the plugin's own element sizes (and those structs can grow within
 *        the major); a 1.3 descriptor whose sizes are smaller than ABI 1.3's structs,
 *        not a multiple of their alignment or beyond 1024 bytes is refused.  1.0-1.2
 *        tables have the 1.0 element sizes.  rg_param gains allowed: the values a
 *        string parameter may take, checked at policy load and lint.  A check's name
 *        must be "<plugin>.<name>", the plugin's own name first (refused at load
 *        otherwise, whatever the ABI minor).
 *   1.4  rg_host gains live evidence (an evidence entry that names a GitHub or GitLab
 *        API source instead of a file): evidence_source (the entry, as JSON text),
 *        record_fetch (a body the plugin fetched: digested into the decision's
 *        evidence with its URL and time, and saved with --save-evidence),
 *        recorded_page (the pages a saved context recorded, for an offline replay)
 *        and time_left (seconds before the check's deadline).
 */
#ifndef RELGATE_PLUGIN_H
#define RELGATE_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define RG_PLUGIN_ABI_MAJOR 1
#define RG_PLUGIN_ABI_MINOR 4

/* The one symbol a plugin exports. */
#define RG_PLUGIN_ENTRY_SYMBOL "relgate_plugin_entry"

#if defined(__GNUC__)
#define RG_PLUGIN_EXPORT __attribute__((visibility("default")))
#define RG_PLUGIN_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define RG_PLUGIN_EXPORT
#define RG_PLUGIN_PRINTF(f, a)
#endif

/* ---- Parameters a check accepts ---------------------------------------------- */

typedef enum rg_param_type {
    RG_PARAM_STRING = 1,     /* a string */
    RG_PARAM_INTEGER = 2,    /* a whole number */
    RG_PARAM_NUMBER = 3,     /* any number */
    RG_PARAM_BOOLEAN = 4,    /* true or false */
    RG_PARAM_STRING_LIST = 5,/* a list of strings (a single string is a list of one) */
    RG_PARAM_EVIDENCE = 6,   /* the name of an evidence file in the context: evidence "ci" */
    RG_PARAM_EVIDENCE_LIST = 7, /* several evidence names */
    RG_PARAM_DURATION = 8    /* seconds, written in a policy as 3600 or "24h", "30m", "7d" */
} rg_param_type;

typedef struct rg_param {
    const char *name;
    rg_param_type type;
    int required;              /* non-zero: the policy must give it */
    const char *default_json;  /* the default as JSON text ("true", "24", "[\"build\"]"), or NULL */
    const char *description;   /* one line for `relgate plugins` and the docs */
    /* ---- ABI 1.3 ---- */
    /* The values a STRING parameter may take, or each item of a STRING_LIST may be
     * ("auto", "sarif", ...), NULL-terminated; NULL for any.  The engine refuses any
     * other value when it loads or lints a policy, naming the allowed ones: a check
     * never sees it.  At most 64 values, each non-empty printable text, no repeats;
     * a default must be one of them. */
    const char *const *allowed;
} rg_param;

/* ---- Results ---------------------------------------------------------------------- */

typedef enum rg_check_status {
    RG_CHECK_PASS = 1,
    RG_CHECK_FAIL = 2,
    RG_CHECK_WARN = 3,
    RG_CHECK_SKIP = 4,
    RG_CHECK_ERROR = 5  /* the check could not decide (unreadable evidence it cannot judge) */
} rg_check_status;

/* One running check (opaque), and a node of its result details (opaque). */
typedef struct rg_check_call rg_check_call;
typedef struct rg_json rg_json;
/* An evidence file open for reading in chunks (ABI 1.2, opaque). */
typedef struct rg_stream rg_stream;

/* ---- Host services -------------------------------------------------------------------- */

typedef struct rg_host {
    uint32_t abi_major;
    uint32_t abi_minor;
    uint32_t size;              /* sizeof(rg_host) of the engine */

    /* Parameters, already validated against the check's rg_param table and with
     * defaults applied.  Asking for an undeclared name, or with the wrong type, gives
     * NULL / 0 / false. */
    int (*param_is_set)(const rg_check_call *call, const char *name);
    const char *(*param_string)(const rg_check_call *call, const char *name);
    int64_t (*param_integer)(const rg_check_call *call, const char *name);
    double (*param_number)(const rg_check_call *call, const char *name);
    int (*param_boolean)(const rg_check_call *call, const char *name);
    /* Lists (STRING_LIST, EVIDENCE_LIST): the length, and item I. */
    size_t (*param_count)(const rg_check_call *call, const char *name);
    const char *(*param_item)(const rg_check_call *call, const char *name, size_t i);

    /* Read evidence NAME (as named in the context's "evidence") under the engine's
     * path rules and size cap.  On success returns 0 and sets *DATA (NUL-terminated,
     * owned by the engine until the check returns) and *LEN.  Otherwise returns -1
     * and sets *WHY: not declared, missing, too large, not a regular file.  A path
     * that leaves the evidence root also returns -1, and the engine then reports the
     * check as an error whatever it returns: path rules are not the check's to judge. */
    int (*read_evidence)(rg_check_call *call, const char *name, const char **data,
                         size_t *len, const char **why);
    /* The resolved path of evidence NAME, or NULL (then *WHY says why): for checks
     * that must hand a path to a library.  The buffer is the call's and is reused by
     * the next call to evidence_path or evidence_relative: copy what you keep. */
    const char *(*evidence_path)(rg_check_call *call, const char *name, const char **why);

    /* A string field of the release context by dotted path ("release.commit"), or
     * NULL when absent or not a string. */
    const char *(*context_string)(const rg_check_call *call, const char *path);

    /* The evaluation clock, seconds since the epoch (what --now fixes). */
    int64_t (*now)(const rg_check_call *call);

    /* A line for the engine's standard error, prefixed with the check's name. */
    void (*log)(rg_check_call *call, const char *fmt, ...) RG_PLUGIN_PRINTF(2, 3);

    /* Details: the result's details object, and children added to an object (with a
     * KEY) or appended to an array (KEY NULL).  Returns the new node, or NULL when
     * out of memory (calls with a NULL parent are ignored). */
    rg_json *(*details)(rg_check_call *call);
    rg_json *(*add_object)(rg_check_call *call, rg_json *parent, const char *key);
    rg_json *(*add_array)(rg_check_call *call, rg_json *parent, const char *key);
    void (*add_string)(rg_check_call *call, rg_json *parent, const char *key, const char *value);
    void (*add_number)(rg_check_call *call, rg_json *parent, const char *key, double value);
    void (*add_boolean)(rg_check_call *call, rg_json *parent, const char *key, int value);

    /* Finish with a status and a one-line message; each returns its status so a check
     * can `return host->fail(call, "...", ...)`. */
    rg_check_status (*pass)(rg_check_call *call, const char *fmt, ...) RG_PLUGIN_PRINTF(2, 3);
    rg_check_status (*fail)(rg_check_call *call, const char *fmt, ...) RG_PLUGIN_PRINTF(2, 3);
    rg_check_status (*warn)(rg_check_call *call, const char *fmt, ...) RG_PLUGIN_PRINTF(2, 3);
    rg_check_status (*skip)(rg_check_call *call, const char *fmt, ...) RG_PLUGIN_PRINTF(2, 3);
    rg_check_status (*error)(rg_check_call *call, const char *fmt, ...) RG_PLUGIN_PRINTF(2, 3);

    /* ---- ABI 1.1: check host->abi_minor >= 1 before calling these ---- */

    /* Give back a buffer read_evidence returned, before the check ends (large reports). */
    void (*release_evidence)(rg_check_call *call, const char *data);
    /* The resolved path of RELATIVE, a path written inside evidence NAME (a manifest's
     * backup file), taken relative to NAME's directory, under the same path rules; or
     * NULL with *WHY.  Shares evidence_path's buffer. */
    const char *(*evidence_relative)(rg_check_call *call, const char *name, const char *relative,
                                     const char **why);

    /* ---- ABI 1.2: check host->abi_minor >= 2 before calling these ---- */

    /* Open evidence NAME for reading in chunks, under exactly the path rules of
     * read_evidence (declared, inside the evidence root, symbolic links checked, a
     * regular file).  Returns the stream and sets *SIZE (may be NULL) to the file's
     * size, or NULL with *WHY; a path that leaves the evidence root makes the check an
     * error, as with read_evidence.  A stream is NOT subject to the whole-read cap
     * (--max-check-evidence-size): it holds one chunk at a time, so a plugin that
     * streams keeps its memory bounded by what it keeps, not by the file.  The engine
     * records the file's digest in the decision as for read_evidence (it hashes what
     * is read, and the rest of the file when a stream is closed early).  Streams still
     * open when the check returns are closed by the engine. */
    rg_stream *(*open_evidence)(rg_check_call *call, const char *name, uint64_t *size,
                                const char **why);
    /* Read up to CAP bytes into BUF: the count, 0 at the end of the file, or -1 with
     * *WHY (a read error, or the file changed size while being read). */
    int64_t (*read_stream)(rg_check_call *call, rg_stream *stream, void *buf, size_t cap,
                           const char **why);
    void (*close_stream)(rg_check_call *call, rg_stream *stream);
    /* A string naming the open file's identity (device, inode, size, modification
     * time) when the check runs in a shared child (RG_PLUGIN_FLAG_SHARE_CHILD) beside
     * other checks of its plugin, else NULL: equal strings within one child mean the
     * same unchanged file, so what was derived from it may be reused by the next check
     * of the child.  Owned by the stream. */
    const char *(*stream_identity)(rg_check_call *call, rg_stream *stream);

    /* ---- ABI 1.4: check host->abi_minor >= 4 before calling these ---- */

    /* The live source evidence NAME names — {"github": "check-runs", "repo", "ref"},
     * {"gitlab": "pipeline-jobs", "project", "ref" | "pipeline"} — as compact JSON text
     * (the call's, valid until the check returns), or NULL when NAME is a file (or not
     * declared).  A replayable entry also carries "recorded": the pages fetched then,
     * which recorded_page serves; a plugin never fetches such an entry.  A check that
     * asks is never reused for another context of a batch (the network is not a file). */
    const char *(*evidence_source)(rg_check_call *call, const char *name);
    /* Record a response body the plugin fetched for evidence NAME from URL (never with
     * a credential in it), and NEXT, the next page's URL the answer named (NULL: the
     * last page): its digest goes into the decision's evidence with the URLs and the
     * time, and with --save-evidence the body is written for a replay.  Returns 0, or
     * -1 with *WHY (the body could not be saved: the check must fail closed). */
    int (*record_fetch)(rg_check_call *call, const char *name, const char *url, const char *next,
                        const char *data, size_t len, const char **why);
    /* Page INDEX (from 0) of what a replayable entry NAME recorded: its URL, the next
     * page's (NULL: the last), and body (NUL-terminated, the call's until it returns),
     * read under the evidence path rules and checked against the digest recorded with
     * it.  Returns 1 with the page, 0 past the last, -1 with *WHY (missing, altered, not
     * a replayable entry). */
    int (*recorded_page)(rg_check_call *call, const char *name, size_t index, const char **url,
                         const char **next, const char **data, size_t *len, const char **why);
    /* Seconds left before the check's deadline (its timeout), or a negative number
     * when it runs without one: waits (a rate limit's Retry-After) must end before. */
    double (*time_left)(const rg_check_call *call);
} rg_host;

/* ---- Descriptors ------------------------------------------------------------------------ */

/* A check: runs in a child process of its own (or, with RG_PLUGIN_FLAG_SHARE_CHILD,
 * one shared with the plugin's other checks over the same evidence); returns what
 * host->pass() & co. returned. */
typedef rg_check_status (*rg_check_fn)(const rg_host *host, rg_check_call *call);

typedef struct rg_check {
    const char *name;          /* "<plugin>.<check>": the plugin's own name, a dot, a name
                                * ("ci.status" in plugin "ci"); so unique across plugins */
    const char *summary;       /* one line */
    const rg_param *params;
    size_t param_count;
    rg_check_fn run;
} rg_check;

typedef struct rg_plugin {
    uint32_t abi_major;        /* RG_PLUGIN_ABI_MAJOR: these three come first, always */
    uint32_t abi_minor;        /* RG_PLUGIN_ABI_MINOR */
    uint32_t size;             /* sizeof(rg_plugin) */
    const char *name;          /* required */
    const char *version;       /* required */
    const char *description;   /* required */
    const char *license;       /* required, an SPDX identifier */
    const rg_check *checks;    /* required, CHECK_COUNT > 0 */
    size_t check_count;
    /* ---- ABI 1.2 ---- */
    uint32_t flags;            /* RG_PLUGIN_FLAG_* */
    /* ---- ABI 1.3 ---- */
    /* The environment variables the plugin's code needs, by name ("TZ",
     * "ARTIFACTORY_URL"), NULL-terminated; NULL for none.  Names are letters, digits
     * and '_' (not starting with a digit), at most 64 of them. */
    const char *const *env;
    /* The element sizes of the tables, as the plugin was built: sizeof(rg_check) for
     * checks, sizeof(rg_param) for every check's params.  The engine steps through the
     * tables by these sizes and reads the fields of the plugin's ABI minor only. */
    uint32_t check_size;
    uint32_t param_size;
} rg_plugin;

/* The engine may run several checks of this plugin that name the same evidence files
 * in ONE child process, one after the other (each with its own timeout, each result
 * sent as it finishes), so the plugin can keep what it derived from a file for the
 * next check (see stream_identity).  If that child crashes, hangs or runs out of
 * memory, the checks it has not answered run again, each in a child of its own. */
#define RG_PLUGIN_FLAG_SHARE_CHILD 0x1u

/* The entry point's type, and its declaration: a plugin defines it with
 * RG_PLUGIN_EXPORT. */
typedef const rg_plugin *(*rg_plugin_entry_fn)(void);
RG_PLUGIN_EXPORT const rg_plugin *relgate_plugin_entry(void);

#ifdef __cplusplus
}
#endif

#endif
