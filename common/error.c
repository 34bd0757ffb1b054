/* Error records: one kind, one message, a location, and every problem found. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

void rg_strlcpy(char *dst, const char *src, size_t size)
{
    size_t n = strlen(src);
    if (size == 0)
        return;
    if (n >= size)
        n = size - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

void rg_error_init(rg_error *err)
{
    err->kind = RG_ERROR_NONE;
    err->message[0] = '\0';
    err->file[0] = '\0';
    err->line = err->column = err->problem_count = 0;
    err->traceback = NULL;
}

void rg_error_clear(rg_error *err)
{
    if (!err)
        return;
    free(err->traceback);
    rg_error_init(err);
}

const char *rg_error_kind_name(rg_error_kind kind)
{
    switch (kind) {
    case RG_ERROR_NONE: return "none";
    case RG_ERROR_USAGE: return "usage";
    case RG_ERROR_IO: return "io";
    case RG_ERROR_CONTEXT: return "context";
    case RG_ERROR_POLICY: return "policy";
    case RG_ERROR_LIMIT: return "limit";
    case RG_ERROR_EVIDENCE: return "evidence";
    case RG_ERROR_INTERNAL: return "internal";
    case RG_ERROR_PLUGIN: return "plugin";
    }
    return "internal";
}

int rg_fail(rg_error *err, rg_error_kind kind, const char *file, int line, int column,
            const char *fmt, ...)
{
    va_list ap;
    if (!err)
        return -1;
    rg_error_clear(err);
    err->kind = kind;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    if (file)
        rg_strlcpy(err->file, file, sizeof err->file);
    err->line = line;
    err->column = column;
    return -1;
}

int rg_add_problem(rg_error *err, rg_error_kind kind, const char *file, const char *fmt, ...)
{
    va_list ap;
    char text[RG_ERROR_MESSAGE_MAX];
    if (!err)
        return -1;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    if (err->kind == RG_ERROR_NONE) {
        err->kind = kind;
        rg_strlcpy(err->message, text, sizeof err->message);
        if (file)
            rg_strlcpy(err->file, file, sizeof err->file);
    }
    if (err->problem_count < RG_ERROR_PROBLEMS_MAX)
        rg_strlcpy(err->problems[err->problem_count++], text, RG_ERROR_MESSAGE_MAX);
    return -1;
}

void rg_error_set_traceback(rg_error *err, char *traceback)
{
    free(err->traceback);
    err->traceback = traceback;
}
