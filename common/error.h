/* Filling rg_error records (the public struct lives in relgate/relgate.h). */
#ifndef RG_ERROR_H
#define RG_ERROR_H

#include "relgate/relgate.h"

#if defined(__GNUC__)
#define RG_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define RG_PRINTF(f, a)
#endif

/* Make ERR empty (RG_ERROR_NONE) without zeroing its ~18 KB of buffers, which cost
 * more than the work around it in a batch's hot paths.  ERR need not hold anything. */
void rg_error_init(rg_error *err);

/* Set ERR to KIND with a formatted message and, when FILE is not NULL, a location.
 * Replaces whatever ERR held.  Always returns -1 so callers can `return rg_fail(...)`. */
int rg_fail(rg_error *err, rg_error_kind kind, const char *file, int line, int column,
            const char *fmt, ...) RG_PRINTF(6, 7);

/* Add one more problem to ERR (used where every problem is reported at once).  The
 * first problem also becomes ERR's message.  Returns -1. */
int rg_add_problem(rg_error *err, rg_error_kind kind, const char *file,
                   const char *fmt, ...) RG_PRINTF(4, 5);

/* Take ownership of TRACEBACK (a malloc'd string) into ERR. */
void rg_error_set_traceback(rg_error *err, char *traceback);

/* Copy at most SIZE-1 bytes of SRC into DST, always NUL-terminating. */
void rg_strlcpy(char *dst, const char *src, size_t size);

#endif
