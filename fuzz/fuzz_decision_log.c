/* The decision log's file store over arbitrary bytes: a log (and, after a NUL, its head)
 * that anyone with write access to the file may have left.  Reading, listing, last-good
 * and verify must never crash; and a log that verifies whole must still verify whole
 * after one more append (the chain continues from whatever the last record is). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fcntl.h>
#include <unistd.h>

#include "decision_log.h"
#include "fuzz.h"

static int count(const char *entry, size_t len, void *data)
{
    (void)entry;
    (void)len;
    ++*(size_t *)data;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[4096], head[4200], problem[RG_ERROR_MESSAGE_MAX];
    const uint8_t *nul = memchr(data, 0, size);
    size_t log_len = nul ? (size_t)(nul - data) : size, records = 0, seen = 0, skipped = 0;
    rg_error err = {0};
    rg_log *log;
    char *good;
    int whole, devnull;
    static const char entry[] = "{\"decision\":\"allow\",\"stage\":\"post-deploy\",\"release\":{\"name\":\"svc\",\"version\":\"9.9.9\"}}";

    snprintf(path, sizeof path, "%s/log.jsonl", fuzz_workdir());
    snprintf(head, sizeof head, "%s.head", path);
    fuzz_write(path, data, log_len);
    unlink(head);
    if (nul)
        fuzz_write(head, nul + 1, size - log_len - 1);
    if (!(log = rg_log_open(path, 1, &err)))
        fuzz_fail("a file log did not open");
    rg_log_each(log, NULL, count, &seen, &skipped, &err);
    rg_error_clear(&err);
    good = rg_log_last_good(log, "svc", NULL, &err);
    free(good);
    rg_error_clear(&err);
    devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
    rg_log_export(log, devnull, &err);
    close(devnull);
    rg_error_clear(&err);
    whole = rg_log_verify(log, &records, problem, &err);
    rg_error_clear(&err);
    if (rg_log_append(log, entry, sizeof entry - 1, &err) == 0 && whole == 0) {
        /* The head may have been any bytes: a whole chain ends where its records do. */
        if (rg_log_verify(log, &records, problem, &err) != 0) {
            fprintf(stderr, "after an append: %s %s\n", problem, err.message);
            fuzz_fail("a whole log did not stay whole after an append");
        }
    }
    rg_error_clear(&err);
    rg_log_close(log);
    return 0;
}
