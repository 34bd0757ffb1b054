/* eval --attest: the signed envelope of a decision, the attestation file it is appended
 * to, and the decision-log record that keeps it beside the decision (eval.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "eval.h"
#include "error.h"
#include "fileio.h"

/* Whether the LEN bytes of FD from AT are one JSON object, white space around it. */
static int whole_object_at(int fd, off_t at, size_t len)
{
    char *text = len < ((size_t)1 << 26) ? malloc(len + 1) : NULL;
    const char *end = NULL;
    cJSON *doc = NULL;
    int whole;
    if (text && pread(fd, text, len, at) == (ssize_t)len && !memchr(text, '\0', len)) {
        text[len] = '\0';
        doc = cJSON_ParseWithLengthOpts(text, len, &end, 0);
    }
    whole = cJSON_IsObject(doc) && end && strspn(end, " \t\r\n") == (size_t)(text + len - end);
    cJSON_Delete(doc);
    free(text);
    return whole;
}

/* The length of FD's first line (it has a newline), or -1 with errno. */
static off_t first_line_length(int fd)
{
    char buf[8192];
    off_t at = 0;
    for (;;) {
        ssize_t n = pread(fd, buf, sizeof buf, at);
        const char *nl;
        if (n <= 0) {
            if (n == 0)
                errno = EIO;
            return -1;
        }
        if ((nl = memchr(buf, '\n', (size_t)n)))
            return at + (nl - buf);
        at += n;
    }
}

/* Whether FD (SIZE bytes, its last newline ending at KEEP) is one envelope written over
 * several lines: 1, 0, or -1 with errno. */
static int one_pretty_envelope(int fd, off_t size, off_t keep)
{
    off_t first;
    if (keep == 0)
        return 0;
    if ((first = first_line_length(fd)) < 0)
        return -1;
    return !whole_object_at(fd, 0, (size_t)first) && whole_object_at(fd, 0, (size_t)size);
}

static int refuse_pretty(const char *path, rg_error_kind kind, rg_error *err)
{
    return rg_fail(err, kind, path, 0, 0, "the attestation %s is one envelope written over several lines: relgate "
                   "appends one envelope a line, which would leave it unreadable; give --attest a file of its own",
                   path);
}

int rg_cli_attest_check(const char *path, rg_error *err)
{
    struct stat st;
    off_t keep;
    int fd = rg_open_regular(path, O_RDONLY, &st), pretty;
    if (fd == RG_OPEN_FAILED && errno == ENOENT)
        return 0;   /* made by the first append */
    if (fd == RG_OPEN_FAILED)
        return rg_fail(err, RG_ERROR_IO, path, 0, 0, "cannot read the attestation %s: %s", path, strerror(errno));
    if (fd == RG_OPEN_NOT_FILE)
        return rg_fail(err, RG_ERROR_IO, path, 0, 0, "the attestation %s is %s, not a file", path, rg_file_kind(st.st_mode));
    pretty = (keep = rg_last_line_end(fd, st.st_size)) < 0 ? -1 : one_pretty_envelope(fd, st.st_size, keep);
    close(fd);
    if (pretty < 0)
        return rg_fail(err, RG_ERROR_IO, path, 0, 0, "cannot read the attestation %s: %s", path, strerror(errno));
    return pretty ? refuse_pretty(path, RG_ERROR_USAGE, err) : 0;
}

/* Make FD end with a whole line before the next envelope.  A last line without its
 * newline is either an envelope that lost only the newline (a copy through a tool that
 * drops it: verify accepts it) -- its newline is put back, as the decision log's last
 * record's is (hostile round 37a, F01: it was cut away, a PASSED envelope lost) -- or what
 * a gate killed mid-append (or a full disk) left: cut, since the next envelope must not
 * be written onto its line (verify refuses a bundle with a broken line, the good
 * envelopes in it too).  A file that is one pretty-printed envelope is not appended to:
 * with a line after it, it would be read line by line, and no line of it verifies.
 * 0, or -1 with WHY. */
static int end_with_whole_line(int fd, const char *path, rg_error *err)
{
    struct stat st;
    off_t keep;
    int pretty = 0;
    if (fstat(fd, &st) != 0 || (keep = rg_last_line_end(fd, st.st_size)) < 0 ||
        (pretty = one_pretty_envelope(fd, st.st_size, keep)) < 0)
        return rg_fail(err, RG_ERROR_IO, path, 0, 0, "cannot write the attestation %s: %s", path, strerror(errno));
    /* rg_cli_attest_check refused it before anything was decided; made so since: an error
     * the log records after the decision */
    if (pretty)
        return refuse_pretty(path, RG_ERROR_IO, err);
    if (keep == st.st_size)
        return 0;
    if (whole_object_at(fd, keep, (size_t)(st.st_size - keep))) {
        if (rg_write_all(fd, "\n", 1) != 0)
            return rg_fail(err, RG_ERROR_IO, path, 0, 0, "cannot end the attestation %s's last envelope with a "
                           "newline: %s", path, strerror(errno));
        return 0;
    }
    if (ftruncate(fd, keep) != 0)
        return rg_fail(err, RG_ERROR_IO, path, 0, 0, "cannot write the attestation %s: %s", path, strerror(errno));
    return 0;
}

int rg_cli_attest_append(const char *path, const char *line, size_t len, rg_error *err)
{
    struct stat st;
    char *buf;
    int fd, rc = 0;
    fd = rg_open_regular(path, O_RDWR | O_APPEND | O_CREAT, &st);
    if (fd == RG_OPEN_FAILED)
        return rg_fail(err, RG_ERROR_IO, path, 0, 0, "cannot write the attestation %s: %s", path, strerror(errno));
    if (fd == RG_OPEN_NOT_FILE)
        return rg_fail(err, RG_ERROR_IO, path, 0, 0, "the attestation %s is %s, not a file", path, rg_file_kind(st.st_mode));
    if (!(buf = malloc(len + 1))) {
        close(fd);
        return rg_fail(err, RG_ERROR_INTERNAL, NULL, 0, 0, "out of memory");
    }
    memcpy(buf, line, len);
    buf[len] = '\n';
    /* One write under the lock: two gates appending to one bundle never interleave; a
     * lock held for good is waited for as the decision log's is, then an error. */
    if (rg_lock_within(fd, LOCK_EX, RG_LOCK_WAIT_SECONDS) != 0) {
        rc = errno == EWOULDBLOCK
                 ? rg_fail(err, RG_ERROR_IO, path, 0, 0, "cannot write the attestation %s: another process has held "
                           "its lock for %d s: not waiting longer", path, RG_LOCK_WAIT_SECONDS)
                 : rg_fail(err, RG_ERROR_IO, path, 0, 0, "cannot write the attestation %s: %s", path, strerror(errno));
    } else if (end_with_whole_line(fd, path, err) != 0) {
        rc = -1;
    } else if (fstat(fd, &st) != 0) {
        rc = rg_fail(err, RG_ERROR_IO, path, 0, 0, "cannot write the attestation %s: %s", path, strerror(errno));
    } else if (rg_write_all(fd, buf, len + 1) != 0 || fsync(fd) != 0) {
        rc = rg_fail(err, RG_ERROR_IO, path, 0, 0, "cannot write the attestation %s: %s", path, strerror(errno));
        /* A short write (a full disk) leaves no half envelope for the next gate. */
        if (ftruncate(fd, st.st_size) == 0)
            (void)fsync(fd);
    }
    free(buf);
    if (close(fd) != 0 && rc == 0)
        rc = rg_fail(err, RG_ERROR_IO, path, 0, 0, "cannot write the attestation %s: %s", path, strerror(errno));
    return rc;
}

char *rg_eval_attest(const eval_options *o, const rg_decision *d, const rg_context *ctx, rg_error *err)
{
    rg_attest_options a = {o->verifier_id, o->resource_uri, NULL, o->store != NULL};
    return rg_decision_attest(d, ctx, &a, o->signer, err);
}

char *rg_eval_log_record(const char *line, size_t len, const char *envelope)
{
    static const char member[] = ",\"attestation\":";
    size_t elen = envelope ? strlen(envelope) : 0;
    char *out;
    if (!envelope || len < 2 || line[len - 1] != '}')
        return NULL;
    if (!(out = malloc(len + sizeof member + elen + 1)))
        return NULL;
    /* The decision's members, then the envelope as one more: {..., "attestation": {...}}. */
    memcpy(out, line, len - 1);
    memcpy(out + len - 1, member, sizeof member - 1);
    memcpy(out + len - 1 + sizeof member - 1, envelope, elen);
    memcpy(out + len - 1 + sizeof member - 1 + elen, "}", 2);
    return out;
}
