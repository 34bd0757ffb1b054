/* The names of files a process wrote or found, each with when it last saw it there
 * (relgate serve's workers: evidence sent again is a file written for an earlier
 * request, and looking for it on disk was an lstat per evidence per request).  Names are
 * compared whole, never by a hash alone. */
#ifndef RG_FILE_MEMO_H
#define RG_FILE_MEMO_H

#include <stddef.h>
#include <time.h>

typedef struct rg_file_memo rg_file_memo;

/* A memo of at most MAX names; NULL when out of memory (then pass NULL: nothing is
 * remembered, every file is looked for). */
rg_file_memo *rg_file_memo_new(size_t max);
void rg_file_memo_free(rg_file_memo *m);

/* Whether NAME was noted at most AGE seconds before NOW. */
int rg_file_memo_fresh(const rg_file_memo *m, const char *name, time_t now, time_t age);

/* Note NAME as seen at NOW.  Past MAX names, every name is forgotten first (the files
 * are then looked for again). */
void rg_file_memo_note(rg_file_memo *m, const char *name, time_t now);

/* Forget every name (the files were removed). */
void rg_file_memo_clear(rg_file_memo *m);

#endif
