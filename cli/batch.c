/* relgate eval --batch: many contexts, one JSON object per line, against a policy
 * loaded once; in worker processes (batch_workers.c) unless the decision log must
 * follow the input order. */
#define _GNU_SOURCE 1 /* strcasestr */
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "batch_workers.h"
#include "eval.h"
#include "error.h"
#include "fileio.h"
#include "strbuf.h"
#include "untrusted.h"
/* ---- Batch ------------------------------------------------------------------------- */

/* The clock a line is decided at: --now, or the time as the line starts, so that a line
 * read late in a long batch (or from a pipe) sees the waivers and evidence ages that
 * `eval --context` run then would. */
static int64_t line_clock(const eval_options *o)
{
    return o->now_given ? o->now : (int64_t)time(NULL);
}

/* One JSON line for a context that could not be evaluated. */
static void batch_error(rg_strbuf *out, const eval_options *o, int64_t now, const rg_error *err,
                        const char *batch, long lineno)
{
    rg_error e = *err;
    char *json, prefix[RG_ERROR_FILE_MAX + 8];
    e.traceback = NULL;
    /* The document is one line: its line 1 is the batch file's line LINENO. */
    snprintf(prefix, sizeof prefix, "%s:1:", batch);
    if (strncmp(e.message, prefix, strlen(prefix)) == 0) {
        char msg[RG_ERROR_MESSAGE_MAX];
        snprintf(msg, sizeof msg, "%s:%ld:%s", batch, lineno, e.message + strlen(prefix));
        rg_strlcpy(e.message, msg, sizeof e.message);
    }
    if (strcmp(e.file, batch) == 0 && e.line <= 1)
        e.line = (int)lineno;
    {
        char at[RG_ERROR_FILE_MAX + 32], msg[2 * RG_ERROR_MESSAGE_MAX];
        size_t n = strlen(batch);
        snprintf(at, sizeof at, "%.900s:%ld:", batch, lineno);
        if (!strstr(e.message, at)) {
            const char *rest = strncmp(e.message, batch, n) == 0 && e.message[n] == ':' ? e.message + n + 1 : e.message;
            while (*rest == ' ') rest++;
            if ((size_t)snprintf(msg, sizeof msg, "%s %s", at, rest) < sizeof msg)
                rg_strlcpy(e.message, msg, sizeof e.message);
        }
    }
    rg_cli_report(&e);
    json = rg_eval_error_line(&e, now);
    if (json) {
        rg_strbuf_puts(out, json);
        rg_strbuf_puts(out, "\n");
        rg_eval_log_error(o, &e, json);
    }
    free(json);
}

/* Flush OUT to stdout once it is large: a batch of 10,000 decisions is megabytes. */
static int batch_flush(rg_strbuf *out, const eval_options *o, int force)
{
    if (o->output || out->failed || (!force && out->len < (1u << 16)))
        return out->failed ? -1 : 0;
    if (rg_cli_write_stdout(out->data ? out->data : "", out->len) != 0)
        return -1;
    out->len = 0;
    if (out->data)
        out->data[0] = '\0';
    return 0;
}

/* The batch input: standard input, or a regular file (a FIFO or a directory would hang
 * or read as empty). */
static FILE *open_batch(const char *path, rg_error *err)
{
    struct stat st;
    int fd;
    FILE *f;
    if (strcmp(path, "-") == 0)
        return stdin;
    fd = rg_open_regular(path, O_RDONLY, &st);
    if (fd == RG_OPEN_FAILED) {
        rg_fail(err, RG_ERROR_IO, path, 0, 0, "cannot read batch %s: %s", path, strerror(errno));
        return NULL;
    }
    if (fd == RG_OPEN_NOT_FILE) {
        rg_fail(err, RG_ERROR_IO, path, 0, 0, "batch %s is %s, not a file", path, rg_file_kind(st.st_mode));
        return NULL;
    }
    if (!(f = fdopen(fd, "r"))) {
        close(fd);
        rg_fail(err, RG_ERROR_IO, path, 0, 0, "cannot read batch %s: %s", path, strerror(errno));
    }
    return f;
}

/* End a batch on an error that stops it (the log, the input or the output failed): the
 * error on stderr and as the last JSON line on stdout (with --output, the only one, and
 * the file holds that line alone: no decision was answered). */
static int batch_stop(rg_strbuf *out, const eval_options *o, const rg_error *err)
{
    rg_cli_report(err);
    if (o->output) {
        out->len = 0;
        if (out->data) out->data[0] = '\0';
    }
    {
        char *line = rg_eval_error_line(err, line_clock(o));
        /* A usage stop (refuse_output): the files the batch writes include one it reads,
         * left as it is -- neither the log nor the output takes the error. */
        if (line) {
            rg_strbuf_puts(out, line);
            rg_strbuf_puts(out, "\n");
            if (err->kind != RG_ERROR_USAGE)
                rg_eval_log_error(o, err, line);
        }
        free(line);
        if (err->kind != RG_ERROR_USAGE)
            rg_eval_output_error(o, out->failed ? NULL : out->data, out->len);
        if (out->len)
            rg_cli_write_stdout(out->data, out->len);
        out->len = 0;
    }
    return RG_EXIT_ERROR;
}

/* One batch run: the policy and what every line shares. */
typedef struct batch_run {
    const eval_options *o;
    rg_policy *pol;
    rg_context_options bopt;
    const char *display;
    rg_strbuf out;
    /* --output: the file the decisions are written to as they are made, put in place at
     * the end (-1: none yet, or closed) */
    int out_fd;
    char out_tmp[PATH_MAX];
    rg_strbuf attest;        /* --attest: envelopes not yet appended, one line each */
    rg_error stop;           /* why the batch must stop (kind set) */
    int worst;
    int write_failed;        /* standard output could not be written (its errno): the batch stopped */
    int stopped;             /* the batch stopped: its error line is written */
    long contexts;           /* contexts read (blank lines are none) */
} batch_run;

/* Append the envelopes collected so far to the --attest file: every megabyte, so that a
 * long batch's memory does not grow with it, unless --output holds the answer back (then
 * all at the end, once the output is in place).  0, or -1 with ERR. */
static int batch_attest_flush(batch_run *b, int force, rg_error *err)
{
    if (!b->attest.len || (!force && (b->o->output || b->attest.len < (1u << 20))))
        return 0;
    if (b->attest.failed)
        return rg_fail(err, RG_ERROR_INTERNAL, NULL, 0, 0, "out of memory collecting the attestations");
    if (rg_cli_attest_append(b->o->attest, b->attest.data, b->attest.len - 1, err) != 0)
        return -1;
    b->attest.len = 0;
    b->attest.data[0] = '\0';
    return 0;
}

/* --output: what OUT holds, written to the output's temporary file and taken out of OUT.
 * 0, or -1 with ERR (the file removed). */
static int batch_write_output(batch_run *b, rg_strbuf *out, rg_error *err)
{
    int rc;
    if (b->out_fd < 0 || !out->len)
        return 0;
    if (out->failed)
        return rg_fail(err, RG_ERROR_INTERNAL, NULL, 0, 0, "out of memory collecting the decisions");
    rc = rg_atomic_write(b->out_fd, b->o->output, b->out_tmp, out->data, out->len, err);
    if (rc != 0)
        b->out_fd = -1;   /* closed and removed */
    out->len = 0;
    out->data[0] = '\0';
    return rc;
}

/* The context on line LINENO names as evidence a file the batch writes (--output,
 * --attest, the decision log's file): the batch stops (a usage error, in B->stop), its
 * output never put in place nor written over, nothing appended (hostile round 35, F02;
 * round 36, F05: a report or an envelope over the evidence is what the next gate reads). */
static void refuse_output(batch_run *b, long lineno)
{
    rg_fail(&b->stop, RG_ERROR_USAGE, b->o->batch, (int)lineno, 0,
            "%s:%ld: would be written over: this context names as evidence a file the batch writes (--output, "
            "--attest or the decision log)", b->display, lineno);
}

/* Evaluate the context on line LINENO; its decision (or error decision) goes to OUT,
 * and to the decision log.  Returns the line's exit code.  When the batch cannot go on
 * (the log or memory failed), B->stop says why and nothing was added to OUT. */
static int batch_line(batch_run *b, long lineno, char *line, size_t n, rg_strbuf *out)
{
    const eval_options *o = b->o;
    rg_error err;
    rg_context *ctx;
    rg_decision *d = NULL;
    char *envelope = NULL;
    int64_t now = line_clock(o);
    int code;

    rg_error_init(&err);
    if (batch_attest_flush(b, 0, &b->stop) != 0)
        return RG_EXIT_ERROR;   /* B->stop says why */
    rg_policy_set_clock(b->pol, now);
    ctx = rg_context_parse(line, n, b->display, o->batch, &b->bopt, &err);
    if (ctx && rg_eval_writes_read_file(o, NULL, ctx, NULL)) {
        refuse_output(b, lineno);
        rg_context_free(ctx);
        return RG_EXIT_ERROR;
    }
    if (ctx)
        d = rg_evaluate(b->pol, ctx, &err);
    if (d)
        rg_decision_set_details(d, o->details);
    if (d && o->signer && !(envelope = rg_eval_attest(o, d, ctx, &err))) {
        /* A decision that cannot be signed is this line's error. */
        rg_decision_free(d);
        d = NULL;
    }
    if (d) {
        /* Written straight into the output; the log takes the same bytes (and the
         * envelope with them). */
        size_t at = out->len;
        char *text = rg_decision_render(d, RG_FORMAT_LINE, 0);
        char *record = text && envelope ? rg_eval_log_record(text, strlen(text), envelope) : NULL;
        if (text) {
            rg_strbuf_puts(out, text);
            rg_strbuf_add(out, "\n", 1);
        }
        if (!text || out->failed || (envelope && !record)) {
            out->failed = 0;     /* the buffer holds the lines before this one */
            out->len = at;
            if (out->data) out->data[at] = '\0';
            rg_fail(&b->stop, RG_ERROR_INTERNAL, NULL, 0, 0, "out of memory writing a decision");
        } else if (o->log && batch_write_output(b, out, &b->stop) != 0) {
            /* As eval --context: the answer written (not yet in place) before its record
             * is appended; an output that cannot take it stops the batch unrecorded. */
        } else if (o->log && rg_log_append(o->store, record ? record : text, strlen(record ? record : text),
                                           &b->stop) != 0) {
            /* No decision without its audit record: the batch stops here.  Appended as
             * the line is decided, --output or not: the next line's lookups read it
             * (hostile round 33b, F03). */
            if (b->out_fd < 0) {
                out->len = at;
                if (out->data) out->data[at] = '\0';
            }
        }
        if (b->stop.kind == RG_ERROR_NONE && envelope) {
            rg_strbuf_puts(&b->attest, envelope);
            rg_strbuf_add(&b->attest, "\n", 1);
        }
        free(text);
        free(record);
    }
    free(envelope);
    code = d ? rg_verdict_exit_code(rg_decision_verdict(d), o->fail_on_warn) : RG_EXIT_ERROR;
    if (!d && b->stop.kind == RG_ERROR_NONE)
        batch_error(out, o, now, &err, b->display, lineno);
    rg_decision_free(d);
    rg_context_free(ctx);
    rg_error_clear(&err);
    return code;
}

/* ---- The batch in worker processes -------------------------------------------------- */

static int worker_eval_line(void *arg, long lineno, char *line, size_t len, rg_strbuf *out)
{
    batch_run *b = arg;
    int code = batch_line(b, lineno, line, len, out);
    if (b->stop.kind == RG_ERROR_USAGE) {
        rg_error_clear(&b->stop);   /* refuse_output: the parent stops the batch */
        rg_error_init(&b->stop);
        return RG_BATCH_LINE_REFUSED;
    }
    if (b->stop.kind != RG_ERROR_NONE)
        out->failed = 1;     /* the worker ends; the parent reports its lines as lost */
    return code;
}

/* A worker's watchdog writes nothing to the shared output: it ends the worker with a
 * status the parent turns into error lines, in order, for the lines it had. */
static void worker_start(void *arg)
{
    (void)arg;
    rg_cli_watchdog_stdout(NULL);
    rg_cli_watchdog_exit_code(RG_BATCH_EXIT_TIMEOUT);
}

static int worker_take(void *arg, long lineno, int code, const char *text, size_t len)
{
    batch_run *b = arg;
    if (code == RG_BATCH_LINE_REFUSED) {
        refuse_output(b, lineno);
        b->worst = batch_stop(&b->out, b->o, &b->stop);
        return 1;
    }
    rg_strbuf_add(&b->out, text, len);
    if (code > b->worst)
        b->worst = code;
    if (batch_flush(&b->out, b->o, 0) != 0)
        b->write_failed = errno ? errno : EIO;
    return b->write_failed != 0;
}

static int worker_lost(void *arg, long lineno, const char *why, rg_strbuf *out)
{
    batch_run *b = arg;
    rg_error err;
    rg_error_init(&err);
    rg_fail(&err, RG_ERROR_INTERNAL, b->o->batch, (int)lineno, 0, "%s:%ld: not evaluated: %s", b->display,
            lineno, why);
    batch_error(out, b->o, line_clock(b->o), &err, b->display, lineno);
    return RG_EXIT_ERROR;
}

/* How many worker processes: --jobs (one per CPU unless given); one, so no workers,
 * when the decision log is written, since its records and the post-deploy rollback
 * lookups follow the input order. */
static int batch_workers(const eval_options *o)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    /* The envelopes too are written in input order, by this process. */
    if (o->log || o->signer)
        return 1;
    return o->limits.jobs > 0 ? o->limits.jobs : (int)(cpus > 0 ? cpus : 1);
}

/* The lines of IN in WORKERS processes (rg_batch_run_workers).  Returns 1 when they
 * were all taken there (B->contexts counts them), 0 when no worker started (this process
 * evaluates them), or -1 when the batch stopped (B->stopped) or reading failed
 * (*READ_FAILED). */
static int batch_in_workers(batch_run *b, FILE *in, int workers, int *read_failed)
{
    rg_batch_work work = {worker_eval_line, worker_take, worker_lost, worker_start, b};
    void (*was)(int) = signal(SIGPIPE, SIG_IGN);   /* a dead worker's pipe is an error, not a signal */
    long got = rg_batch_run_workers(in, workers, &work);
    signal(SIGPIPE, was);
    if (got == RG_BATCH_STOPPED) {
        b->stopped = 1;
        return -1;
    }
    if (got == RG_BATCH_READ_FAILED) {
        *read_failed = 1;
        return -1;
    }
    if (got >= 0) {
        b->contexts = got;
        return 1;
    }
    return 0;   /* RG_BATCH_NO_WORKERS */
}

/* The lines of IN evaluated in this process, in order, each written (with --log) as soon
 * as it is logged.  Stops at the first line the batch cannot go on after (B->stopped). */
static void batch_in_process(batch_run *b, FILE *in)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    long lineno = 0;
    while (!b->stopped && (n = getline(&line, &cap, in)) >= 0) {
        int code;
        lineno++;
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            line[--n] = '\0';
        if (n == 0)
            continue;
        b->contexts++;
        code = batch_line(b, lineno, line, (size_t)n, &b->out);
        if (b->stop.kind != RG_ERROR_NONE) {
            b->worst = batch_stop(&b->out, b->o, &b->stop);
            b->stopped = 1;
            break;
        }
        if (code > b->worst)
            b->worst = code;
        /* With --log, each line out as soon as it is logged: a watchdog exit then loses
         * nothing the log already holds.  --output's file takes them a block at a time. */
        if (b->out_fd >= 0) {
            if (b->out.len >= (1u << 16) && batch_write_output(b, &b->out, &b->stop) != 0) {
                b->worst = batch_stop(&b->out, b->o, &b->stop);
                b->stopped = 1;
            }
        } else if (batch_flush(&b->out, b->o, b->o->log != NULL) != 0) {
            b->write_failed = errno ? errno : EIO;
            b->stopped = 1;
        }
    }
    free(line);
}

/* --output: the decisions are written to a file beside it as they are made (with --log,
 * each before its record is appended, as eval --context writes its answer first), and
 * the file is put in place at the end; anything failing on the way stops the batch with
 * nothing answered.  The records are in the decision log already, each appended as its
 * line was decided, as without --output: a later line's rollback lookup reads the
 * earlier lines' records (held back to the end, a post-deploy deny rolled back past a
 * release the same batch had passed: hostile round 33b, F03).  A batch stopped after
 * some lines leaves their records in the log before its error, as a single decision
 * whose output cannot be put in place does. */
static void batch_commit_output(batch_run *b, rg_error *err)
{
    const eval_options *o = b->o;
    int fd = b->out_fd;
    if (batch_write_output(b, &b->out, err) == 0) {
        b->out_fd = -1;
        if (rg_atomic_close(fd, o->output, b->out_tmp, err) == 0 && rg_atomic_commit(b->out_tmp, o->output, err) == 0)
            return;
    }
    b->worst = batch_stop(&b->out, o, err);
    b->stopped = 1;
}

int rg_eval_batch(const eval_options *o, const rg_context_options *copt)
{
    rg_error err = {0};
    rg_plugins *plugins = NULL;
    rg_waivers *waivers = NULL;
    FILE *in = NULL;
    const char *clash;
    int done = 0, read_failed = 0, workers;
    batch_run b = {0};

    b.o = o;
    b.out_fd = -1;
    b.bopt = *copt;
    b.display = strcmp(o->batch, "-") == 0 ? "<stdin>" : o->batch;
    rg_error_init(&b.stop);
    /* The waivers file is read once for the whole batch. */
    if (o->waivers && !(waivers = rg_waivers_load(o->waivers, &o->limits, &err)))
        return rg_eval_fail(o, &err);
    b.bopt.waivers = NULL;
    b.bopt.waiver_list = waivers;
    plugins = rg_plugins_load(o->plugin_dirs, o->plugin_dir_count, 1, &err);
    b.pol = plugins ? rg_policy_load_with_plugins(o->policy, &o->limits, o->now, plugins, &err) : NULL;
    if (b.pol && (clash = rg_eval_writes_read_file(o, b.pol, NULL, plugins))) {
        int code = rg_eval_refuse_output(o, clash, &err);
        rg_error_clear(&err);
        rg_policy_free(b.pol);
        rg_plugins_free(plugins);
        rg_waivers_free(waivers);
        return code;
    }
    if (b.pol)
        in = open_batch(o->batch, &err);
    /* --output's file made before anything is decided, as eval --context writes its
     * answer before its record: one that cannot be made is the batch's one error. */
    if (in && o->output && (b.out_fd = rg_atomic_open(o->output, b.out_tmp, &err)) < 0) {
        if (in != stdin)
            fclose(in);
        in = NULL;
    }
    if (!in) {
        int code = rg_eval_fail(o, &err);
        rg_error_clear(&err);   /* its traceback */
        rg_policy_free(b.pol);
        rg_plugins_free(plugins);
        rg_waivers_free(waivers);
        return code;
    }
    rg_policy_reuse_check_results(b.pol, 1);
    setvbuf(in, NULL, _IOFBF, 1 << 20);   /* a batch is megabytes: read it in large blocks */
    b.bopt.paths = rg_path_cache_new();   /* NULL (out of memory): resolved each time */
    workers = batch_workers(o);
    if (workers > 1)
        done = batch_in_workers(&b, in, workers, &read_failed);
    if (!o->output)
        rg_cli_watchdog_pending(&b.out);   /* written before the watchdog's error line */
    if (done == 0)
        batch_in_process(&b, in);
    if (!b.stopped && (read_failed || ferror(in))) {
        rg_fail(&err, RG_ERROR_IO, o->batch, 0, 0, "cannot read batch %s: %s", b.display, strerror(errno));
        b.worst = batch_stop(&b.out, o, &err);
        b.stopped = 1;
    }
    if (!b.stopped && b.contexts == 0) {
        rg_fail(&err, RG_ERROR_CONTEXT, o->batch, 0, 0, "batch %s holds no contexts: nothing was evaluated",
                b.display);
        b.worst = batch_stop(&b.out, o, &err);
        b.stopped = 1;
    }
    if (in != stdin)
        fclose(in);
    if (!b.stopped && o->output)
        batch_commit_output(&b, &err);
    else if (!b.stopped && batch_flush(&b.out, o, 1) != 0)
        b.write_failed = errno ? errno : EIO;
    /* The rest of the envelopes of the decisions answered, in input order (none when an
     * --output file was not put in place, or standard output failed: then what was
     * answered is not known line by line, and the log's records keep the envelopes). */
    if (!(b.stopped && o->output) && !b.write_failed && batch_attest_flush(&b, 1, &err) != 0) {
        rg_cli_report(&err);
        b.worst = RG_EXIT_ERROR;
    }
    if (b.write_failed) {
        /* Never an answer that was not written: the batch is an error, and the log says so
         * after the decisions it holds (it held their allows alone while CI saw exit 2,
         * hostile round 37c, F08). */
        rg_error failed = {0};
        char *line;
        rg_fail(&failed, RG_ERROR_IO, NULL, 0, 0, "cannot write the decisions to standard output: %s",
                rg_cli_stream_closed(STDOUT_FILENO) ? "it is closed" : strerror(b.write_failed));
        rg_cli_report(&failed);
        line = rg_eval_error_line(&failed, (int64_t)time(NULL));
        rg_eval_log_error(o, &failed, line);
        free(line);
        rg_error_clear(&failed);
        b.worst = RG_EXIT_ERROR;
    }
    if (b.out_fd >= 0) {   /* stopped: never put in place */
        close(b.out_fd);
        rg_atomic_abort(b.out_tmp);
    }
    rg_cli_watchdog_pending(NULL);
    free(rg_strbuf_finish(&b.out));
    free(rg_strbuf_finish(&b.attest));
    rg_error_clear(&err);
    rg_error_clear(&b.stop);
    rg_policy_free(b.pol);
    rg_plugins_free(plugins);
    rg_path_cache_free(b.bopt.paths);
    rg_waivers_free(waivers);
    return b.worst;
}
