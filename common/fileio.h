/* Reading whole files under a size cap, and replacing files atomically. */
#ifndef RG_FILEIO_H
#define RG_FILEIO_H

#include <stddef.h>
#include <sys/stat.h>

#include "relgate/relgate.h"

/* The directory part of PATH into DIR (SIZE bytes): "." when PATH has no '/', "/" for
 * a file at the root. */
void rg_path_dir(const char *path, char *dir, size_t size);

/* Read the regular file at PATH ("-": standard input) into a NUL-terminated heap
 * buffer the caller frees.  A directory, FIFO, device or socket is refused (except
 * standard input, which may be a pipe), and so is a file over MAX bytes.  WHAT names
 * the input in messages ("context", "policy").  Returns 0 and sets *DATA and *LEN,
 * or -1 with ERR (kind io) naming the file. */
int rg_read_file(const char *path, const char *what, size_t max, char **data, size_t *len,
                 rg_error *err);

/* Like rg_read_file for an already open descriptor (not closed). */
int rg_read_fd(int fd, const char *display, const char *what, size_t max, char **data,
               size_t *len, rg_error *err);

/* Open PATH (FLAGS: O_RDONLY, or O_WRONLY | O_APPEND | O_CREAT for a log) only if it is a
 * regular file, without waiting on a FIFO; close-on-exec.  Returns the descriptor with
 * *ST filled, RG_OPEN_FAILED (errno says why) or RG_OPEN_NOT_FILE (*ST says what it is:
 * rg_file_kind). */
#define RG_OPEN_FAILED (-1)
#define RG_OPEN_NOT_FILE (-2)
int rg_open_regular(const char *path, int flags, struct stat *st);

/* The one rule both rg_open_regular and core/beneath.c's opener apply to what they opened
 * (with O_NONBLOCK, so that a FIFO did not wait for a writer): FD (or -1 from the open,
 * errno set) kept only if it is a regular file, blocking again.  Returns FD with *ST
 * filled, RG_OPEN_FAILED or RG_OPEN_NOT_FILE (FD closed). */
int rg_keep_regular(int fd, struct stat *st);

/* The rest of rg_read_file for what an opener above returned (FD, *ST): its messages
 * (OPEN_WHY: why an RG_OPEN_FAILED open failed), the size limit, the read; FD closed. */
/* rg_read_file for a file that grants trust (relgate serve's token hashes, a webhook
 * secret, the hooks configuration): also refused unless it belongs to root or to this
 * user and nobody else may change it (no group or other write bit), since whoever could
 * write it could let themselves in; with RG_TRUSTED_SECRET nobody else may read it either.
 * The rule of the plugin loader (core/plugins.c) for what runs as relgate, for what
 * decides who may ask relgate. */
#define RG_TRUSTED_SECRET 1u
int rg_read_trusted_file(const char *path, const char *what, unsigned flags, size_t max, char **data,
                         size_t *len, rg_error *err);

int rg_read_opened(int fd, const struct stat *st, const char *path, const char *what, size_t max,
                   char **data, size_t *len, const char *open_why, rg_error *err);

/* "a directory", "a FIFO", ...: what MODE is, for messages. */
const char *rg_file_kind(mode_t mode);

/* Write all LEN bytes of DATA to FD (through short writes and EINTR); 0, or -1 (errno). */
int rg_write_all(int fd, const void *data, size_t len);

/* One read(2) of at most *LEN bytes from FD into *P, both advanced past what was read
 * (nothing on EINTR); 0, or -1 at the end of the file or an error. */
int rg_read_some(int fd, char **p, size_t *len);

/* Read exactly LEN bytes from FD into DATA; 0, or -1 at an early end or an error. */
int rg_read_all(int fd, void *data, size_t len);

/* Buffered reads from a non-blocking descriptor (a pipe of the batch protocol): one
 * read(2) takes what is there, up to the buffer, instead of one read and one poll per
 * field. */
#define RG_READER_BYTES 65536u
typedef struct rg_reader {
    int fd;
    size_t pos, end;       /* what BUF holds and was not yet taken */
    char buf[RG_READER_BYTES];
} rg_reader;

/* Take at most *LEN bytes into *P (both advanced), reading FD only when the buffer is
 * empty: 0 when something was taken (or EINTR), 1 when FD has nothing yet (wait with
 * poll, then call again), -1 at its end or an error. */
int rg_reader_take(rg_reader *r, char **p, size_t *len);

/* Whether paths A and B name one place: the same file (by identity, through links), or
 * the same name in the same folder (a file not made yet, a link's own name: relgate's
 * outputs are written by rename, so a name is what gets replaced).  0 when either is
 * NULL. */
int rg_same_place(const char *a, const char *b);

/* Replace PATH with DATA in one step: write a temporary file beside it, flush it to
 * disk, rename it over PATH.  On any failure PATH is left as it was and the temporary
 * file is removed.  Returns 0, or -1 with ERR (kind io). */
int rg_write_file_atomic(const char *path, const char *data, size_t len, rg_error *err);

/* The same in two steps, so something else (the decision log) can happen between
 * writing and publishing: rg_atomic_prepare writes DATA to a synced temporary file beside
 * PATH and returns its name in TMP (PATH_MAX bytes); rg_atomic_commit renames it over
 * PATH; rg_atomic_abort removes it.  Return 0, or -1 with ERR. */
int rg_atomic_prepare(const char *path, const char *data, size_t len, char *tmp, rg_error *err);
/* rg_atomic_prepare in pieces, for a file written as it is made (a batch's --output):
 * rg_atomic_open makes the temporary file (its descriptor, or -1 with ERR);
 * rg_atomic_write adds to it; rg_atomic_close syncs and closes it.  On a failure each
 * closes and removes it. */
int rg_atomic_open(const char *path, char *tmp, rg_error *err);
int rg_atomic_write(int fd, const char *path, const char *tmp, const char *data, size_t len, rg_error *err);
int rg_atomic_close(int fd, const char *path, const char *tmp, rg_error *err);
int rg_atomic_commit(const char *tmp, const char *path, rg_error *err);
void rg_atomic_abort(const char *tmp);

/* How long a gate waits for a lock another process holds (the decision log's, an
 * attestation bundle's) before it answers an error: never without end. */
#define RG_LOCK_WAIT_SECONDS 60

/* Take FD's flock OP (LOCK_EX or LOCK_SH), waiting at most SECONDS for other holders to
 * let it go: 0, or -1 with errno (EWOULDBLOCK: still held). */
int rg_lock_within(int fd, int op, int seconds);

/* Where the last whole line of FD's first SIZE bytes ends: the offset just past its
 * '\n', 0 when there is none; -1 with errno when they cannot be read.  What an appender
 * cuts a partial last line back to (a writer killed mid-append left it). */
off_t rg_last_line_end(int fd, off_t size);

/* Remove every temporary file rg_atomic_prepare made that is neither committed nor
 * aborted yet: for a handler of an ending signal (only unlink; async-signal-safe), so that
 * a run ended while it waited (for the decision log's lock, say) leaves no complete
 * answer beside its output that nothing will publish or remove.  TMP must stay where it
 * is between prepare and commit or abort; every caller's does. */
void rg_atomic_abort_pending(void);

/* A new answer could not be written at PATH (a decision, a report): take back what an
 * earlier run left there, so that it never stands for this run's.  A regular file is
 * removed, else (its folder not writable) emptied in place.  0 when nothing is left to
 * mislead (removed, emptied, or nothing there), 1 when PATH is a symbolic link (left: its
 * target is not ours to change), -1 with errno when the file could be neither removed nor
 * emptied. */
int rg_file_retract(const char *path);

/* <directory of the running binary>/SUB into OUT (SIZE bytes) when that directory is a
 * meson build tree (it holds build.ninja): where a relgate run from its build finds the
 * plugins and store modules built beside it.  Returns 1, or 0 when it is not. */
int rg_build_tree_dir(const char *sub, char *out, size_t size);

#endif
