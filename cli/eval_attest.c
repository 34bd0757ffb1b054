/* eval --attest: the signed envelope of a decision, the attestation file it is appended
 * to, and the decision-log record that keeps it beside the decision (eval.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "eval.h"
#include "error.h"
#include "fileio.h"

/* Cut FD back to the end of its last whole line: a gate killed mid-append (or one whose
 * disk filled) left a partial envelope, and the next one must not be written onto its
 * line (verify refuses a bundle with a broken line, the good envelopes in it too).
 * 0, or -1 with errno. */
static int cut_partial_line(int fd)
{
    struct stat st;
    off_t keep;
    if (fstat(fd, &st) != 0 || (keep = rg_last_line_end(fd, st.st_size)) < 0)
        return -1;
    return keep == st.st_size ? 0 : ftruncate(fd, keep);
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
    } else if (cut_partial_line(fd) != 0 || fstat(fd, &st) != 0) {
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
