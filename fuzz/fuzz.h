/* What every fuzz target shares: the libFuzzer entry point, and small helpers for
 * targets that need a NUL-terminated copy of the input or a private directory to write
 * it into.  Each target is linked either with libFuzzer (clang -fsanitize=fuzzer) or
 * with regress_main.c, which runs the entry point over files (the regression tests). */
#ifndef RG_FUZZ_H
#define RG_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A heap copy of DATA with a NUL at [SIZE] (aborts when out of memory). */
char *fuzz_text(const uint8_t *data, size_t size);

/* A private directory made once per process (/tmp/relgate-fuzz-XXXXXX, or under
 * $TMPDIR), removed with everything in it at exit. */
const char *fuzz_workdir(void);

/* Write SIZE bytes of DATA to PATH, replacing it.  Aborts when that fails: a target
 * that cannot write its input would fuzz nothing. */
void fuzz_write(const char *path, const void *data, size_t size);

/* fuzz_write of the NUL-terminated TEXT. */
void fuzz_write_text(const char *path, const char *text);

/* Abort with MESSAGE on stderr: an invariant of the code under test broke. */
void fuzz_fail(const char *message);

#endif
