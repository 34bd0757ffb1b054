/* relgate eval: what the single decision (cmd_eval.c) and the batch driver (batch.c)
 * share. */
#ifndef RG_CLI_EVAL_H
#define RG_CLI_EVAL_H

#include <stdint.h>

#include "cli.h"
#include "outputs.h"
#include "relgate/relgate.h"

typedef struct eval_options {
    const char *policy, *context, *output, *evidence_root, *log, *waivers, *batch, *save_evidence;
    const char *attest, *signing_key, *verifier_id, *resource_uri;   /* --attest and its options */
    const char *plugin_dirs[RG_CLI_MAX_PLUGIN_DIRS];
    size_t plugin_dir_count;
    rg_stage stage;
    rg_release_type type;
    rg_format format;            /* standard output's: OUTS.stdout_format */
    rg_cli_outputs outs;         /* --format FMT[=PATH]... and --color */
    rg_details_mode details;
    int no_color, fail_on_warn;
    int64_t now;
    int now_given;   /* --now: every decision at that time; else each at the time it is made */
    rg_limits limits;
    rg_log *store;   /* --log, opened before anything is evaluated */
    rg_signer *signer; /* --signing-key, loaded before anything is evaluated */
} eval_options;

/* Print an error: the message on stderr, and on stdout the error in the chosen format
 * (text says it all on stderr); into the decision log too (not for usage errors); with
 * --output, in that file's place (rg_eval_output_error), and into each --format report.
 * Returns the exit code 2. */
int rg_eval_fail(const eval_options *o, const rg_error *err);

/* An output that would be written over a file the decision reads (rg_policy_reads_file,
 * rg_context_reads_file), found once they are loaded: a usage error, written to none of
 * the outputs.  Returns the exit code 2. */
int rg_eval_refuse_output(const eval_options *o, const char *clash, rg_error *err);

/* The first file O writes (an output, --attest, the decision log's file or one its store
 * keeps beside it: rg_log_kept_file) that POL was loaded from, CTX names as evidence or
 * is one of PLUGINS' files (any may be NULL: rg_policy_reads_file, rg_context_reads_file,
 * RG_PLUGIN_PATH); or a file --save-evidence writes for CTX that is one of those, or one
 * the options name; or NULL.  The name returned may be in a buffer of this function's,
 * good until its next call. */
const char *rg_eval_writes_read_file(const eval_options *o, const rg_policy *pol, const rg_context *ctx,
                                     const rg_plugins *plugins);

/* With --output, put TEXT (LEN bytes: this run's error) in the file's place, or, when it
 * cannot be written, remove (else empty) what an earlier run left there: the file never
 * holds an earlier answer after this run failed.  TEXT NULL: remove or empty only. */
void rg_eval_output_error(const eval_options *o, const char *text, size_t len);

/* Append LINE (ERR as one compact JSON line) to the decision log, unless the log itself
 * is what failed; a log that fails here is only reported. */
void rg_eval_log_error(const eval_options *o, const rg_error *err, const char *line);

/* ERR as one compact JSON line (heap; NULL when out of memory). */
char *rg_eval_error_line(const rg_error *err, int64_t now);

/* ---- eval --attest (eval_attest.c) ---- */

/* The signed envelope of D (CTX's release.artifacts its subjects): one JSON line (heap),
 * or NULL with ERR. */
char *rg_eval_attest(const eval_options *o, const rg_decision *d, const rg_context *ctx, rg_error *err);

/* Append LINE and a newline to the attestation file PATH (an .intoto.jsonl bundle, made
 * 0644 if missing) in one write under an exclusive lock, synced.  0, or -1 with ERR. */
int rg_cli_attest_append(const char *path, const char *line, size_t len, rg_error *err);

/* Whether the --attest file at PATH can be appended to (absent, or a bundle of one
 * envelope a line): asked before anything is decided, so that a refusal comes before the
 * decision is logged.  0, or -1 with ERR (usage: one pretty-printed envelope; io). */
int rg_cli_attest_check(const char *path, rg_error *err);

/* The decision-log record of a signed decision: the decision LINE (LEN bytes, one JSON
 * object) with its ENVELOPE added as member "attestation".  Heap, or NULL when out of
 * memory. */
char *rg_eval_log_record(const char *line, size_t len, const char *envelope);

/* relgate eval --batch (batch.c): returns the worst line's exit code. */
int rg_eval_batch(const eval_options *o, const rg_context_options *copt);

#endif
