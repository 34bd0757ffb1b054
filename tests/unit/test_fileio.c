/* Unit tests for core/fileio.c: capped whole-file reads and atomic replacement.
 * Every test gets its own temporary directory. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fileio.h"
#include "plugin_host.h"
#include "rgtest.h"

/* ---- Fixture: the shared one (tests/support/rgtest.h) under this file's names ------- */

typedef rgt_fixture tmpdir;
#define fmt rgt_fmt
#define at rgt_at
#define put_file rgt_put_file
#define slurp rgt_slurp
#define child_defaults rgt_child_defaults

RGT_FIXTURE(setup_tmp, teardown_tmp, "rg-fileio", NULL)

static void put_bytes(const tmpdir *t, const char *rel, const char *data, size_t len)
{
    rgt_write(t->path, rel, data, len);
}

/* A file of N bytes 'a'..'z' repeated. */
static void put_sized(const tmpdir *t, const char *rel, size_t n)
{
    char *data = malloc(n ? n : 1);
    for (size_t i = 0; i < n; i++) data[i] = (char)('a' + i % 26);
    put_bytes(t, rel, data, n);
    free(data);
}

/* The entries of DIR (not . and ..), counted; NAMES gets them joined by '\n'. */
static int list_dir(const char *dir, char *names, size_t size)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;
    names[0] = '\0';
    if (!d)
        return -1;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        n++;
        strncat(names, e->d_name, size - strlen(names) - 2);
        strcat(names, "\n");
    }
    closedir(d);
    return n;
}

/* ---- rg_read_file ------------------------------------------------------------------- */

static void test_read_regular_file(void **state)
{
    tmpdir *t = *state;
    rg_error err = {0};
    char *data = NULL;
    size_t len = 0;
    put_file(t, "ctx.json", "{\"a\": 1}\n");
    assert_int_equal(rg_read_file(at(t, "ctx.json"), "context", 1000, &data, &len, &err), 0);
    assert_int_equal(err.kind, RG_ERROR_NONE);
    assert_int_equal(len, 9);
    assert_string_equal(data, "{\"a\": 1}\n");
    assert_int_equal(data[len], '\0');
    free(data);
}

/* Where an appender cuts a partial last line back to: past the last newline of the
 * first SIZE bytes, across read chunks, 0 without one. */
static void test_last_line_end(void **state)
{
    tmpdir *t = *state;
    char *big = malloc(10001);
    int fd;
    memset(big, 'x', 10000);
    big[10000] = '\0';
    big[3] = '\n';
    put_file(t, "log", big);
    fd = open(at(t, "log"), O_RDONLY);
    assert_true(fd >= 0);
    assert_int_equal(rg_last_line_end(fd, 10000), 4);    /* the newline 9,996 bytes back */
    assert_int_equal(rg_last_line_end(fd, 4), 4);        /* a file that ends with it */
    assert_int_equal(rg_last_line_end(fd, 3), 0);        /* none */
    assert_int_equal(rg_last_line_end(fd, 0), 0);
    close(fd);
    assert_int_equal(rg_last_line_end(-1, 10), -1);      /* unreadable: never 0, which would cut all */
    free(big);
}

static void test_read_empty_file(void **state)
{
    tmpdir *t = *state;
    rg_error err = {0};
    char *data = NULL;
    size_t len = 99;
    put_file(t, "empty", "");
    assert_int_equal(rg_read_file(at(t, "empty"), "context", 10, &data, &len, &err), 0);
    assert_int_equal(len, 0);
    assert_non_null(data);
    assert_string_equal(data, "");
    free(data);
}

static void test_read_binary_content_kept(void **state)
{
    tmpdir *t = *state;
    static const char bytes[] = {'a', '\0', 'b', '\xff', '\n'};
    rg_error err = {0};
    char *data = NULL;
    size_t len = 0;
    put_bytes(t, "bin", bytes, sizeof bytes);
    assert_int_equal(rg_read_file(at(t, "bin"), "evidence", 100, &data, &len, &err), 0);
    assert_int_equal(len, sizeof bytes);
    assert_memory_equal(data, bytes, sizeof bytes);
    free(data);
}

static void test_read_large_file_grows_buffer(void **state)
{
    tmpdir *t = *state;
    rg_error err = {0};
    char *data = NULL;
    size_t len = 0, n = 300000;
    put_sized(t, "big", n);
    assert_int_equal(rg_read_file(at(t, "big"), "evidence", n, &data, &len, &err), 0);
    assert_int_equal(len, n);
    for (size_t i = 0; i < n; i += 4099)
        assert_int_equal(data[i], 'a' + i % 26);
    assert_int_equal(data[n - 1], 'a' + (n - 1) % 26);
    assert_int_equal(data[n], '\0');
    free(data);
}

static void test_read_size_cap_at_edge(void **state)
{
    tmpdir *t = *state;
    rg_error err = {0};
    char *data = NULL;
    size_t len = 0;
    put_sized(t, "edge", 100);
    assert_int_equal(rg_read_file(at(t, "edge"), "policy", 100, &data, &len, &err), 0);
    assert_int_equal(len, 100);
    free(data);
}

static void test_read_size_cap_past_edge(void **state)
{
    tmpdir *t = *state;
    rg_error err = {0};
    char *data = (char *)0x1, want[PATH_MAX + 100];
    size_t len = 0;
    put_sized(t, "over", 101);
    assert_int_equal(rg_read_file(at(t, "over"), "policy", 100, &data, &len, &err), -1);
    assert_int_equal(err.kind, RG_ERROR_IO);
    assert_string_equal(err.file, at(t, "over"));
    fmt(want, sizeof want, "policy %s is larger than the limit of 100 bytes", at(t, "over"));
    assert_string_equal(err.message, want);
    assert_true(data == (char *)0x1); /* untouched on failure */
    rg_error_clear(&err);
}

static void test_read_directory_refused(void **state)
{
    tmpdir *t = *state;
    rg_error err = {0};
    char *data = NULL, want[PATH_MAX + 100];
    size_t len = 0;
    assert_int_equal(mkdir(at(t, "sub"), 0755), 0);
    assert_int_equal(rg_read_file(at(t, "sub"), "context", 1000, &data, &len, &err), -1);
    assert_int_equal(err.kind, RG_ERROR_IO);
    fmt(want, sizeof want, "context %s is a directory, not a file", at(t, "sub"));
    assert_string_equal(err.message, want);
    assert_null(data);
    rg_error_clear(&err);
}

static void test_read_device_refused(void **state)
{
    rg_error err = {0};
    char *data = NULL;
    size_t len = 0;
    (void)state;
    assert_int_equal(rg_read_file("/dev/null", "context", 1000, &data, &len, &err), -1);
    assert_int_equal(err.kind, RG_ERROR_IO);
    assert_string_equal(err.message, "context /dev/null is a device, not a file");
    rg_error_clear(&err);
}

/* Opening a FIFO for reading normally waits for a writer: the read must not. */
static void test_read_fifo_refused_without_blocking(void **state)
{
    tmpdir *t = *state;
    const char *fifo = at(t, "pipe");
    pid_t pid;
    int status = 0;
    assert_int_equal(mkfifo(fifo, 0600), 0);
    fflush(NULL);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        child_defaults();
        rg_error err = {0};
        char *data = NULL, want[PATH_MAX + 64];
        size_t len = 0;
        int rc = rg_read_file(fifo, "context", 1000, &data, &len, &err);
        fmt(want, sizeof want, "context %s is a FIFO, not a file", fifo);
        _exit(rc == -1 && err.kind == RG_ERROR_IO && strcmp(err.message, want) == 0 ? 0 : 3);
    }
    if (rgt_wait_child(pid, &status, 5.0) != 0)
        fail_msg("rg_read_file blocked on a FIFO");
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

static void test_read_missing_file_names_path(void **state)
{
    tmpdir *t = *state;
    rg_error err = {0};
    char *data = NULL, want[PATH_MAX + 100];
    size_t len = 0;
    assert_int_equal(rg_read_file(at(t, "nope.json"), "context", 1000, &data, &len, &err), -1);
    assert_int_equal(err.kind, RG_ERROR_IO);
    assert_string_equal(err.file, at(t, "nope.json"));
    fmt(want, sizeof want, "cannot open context %s: %s", at(t, "nope.json"), strerror(ENOENT));
    assert_string_equal(err.message, want);
    assert_null(data);
    rg_error_clear(&err);
}

static void test_read_through_symlink(void **state)
{
    tmpdir *t = *state;
    rg_error err = {0};
    char *data = NULL;
    size_t len = 0;
    put_file(t, "real", "text");
    assert_int_equal(symlink("real", at(t, "link")), 0);
    assert_int_equal(rg_read_file(at(t, "link"), "policy", 100, &data, &len, &err), 0);
    assert_string_equal(data, "text");
    free(data);
}

/* "-" reads standard input, named "<stdin>" in messages. */
static void test_read_stdin(void **state)
{
    tmpdir *t = *state;
    rg_error err = {0};
    char *data = NULL;
    size_t len = 0;
    int saved = dup(STDIN_FILENO), fd, rc;
    put_file(t, "in", "0123456789");
    fd = open(at(t, "in"), O_RDONLY);
    assert_true(fd >= 0 && saved >= 0);
    dup2(fd, STDIN_FILENO);
    close(fd);
    rc = rg_read_file("-", "context", 10, &data, &len, &err);
    dup2(saved, STDIN_FILENO);
    close(saved);
    assert_int_equal(rc, 0);
    assert_int_equal(len, 10);
    assert_string_equal(data, "0123456789");
    free(data);
}

static void test_read_pipe_past_cap(void **state)
{
    rg_error err = {0};
    char *data = NULL;
    size_t len = 0;
    int fds[2];
    (void)state;
    assert_int_equal(pipe(fds), 0);
    assert_int_equal(write(fds[1], "0123456789", 10), 10);
    close(fds[1]);
    assert_int_equal(rg_read_fd(fds[0], "<stdin>", "context", 9, &data, &len, &err), -1);
    close(fds[0]);
    assert_int_equal(err.kind, RG_ERROR_IO);
    assert_string_equal(err.file, "<stdin>");
    assert_string_equal(err.message, "context <stdin> is larger than the limit of 9 bytes");
    assert_null(data);
    rg_error_clear(&err);
}

static void test_read_pipe_at_cap(void **state)
{
    rg_error err = {0};
    char *data = NULL;
    size_t len = 0;
    int fds[2];
    (void)state;
    assert_int_equal(pipe(fds), 0);
    assert_int_equal(write(fds[1], "0123456789", 10), 10);
    close(fds[1]);
    assert_int_equal(rg_read_fd(fds[0], "<stdin>", "context", 10, &data, &len, &err), 0);
    close(fds[0]);
    assert_int_equal(len, 10);
    assert_string_equal(data, "0123456789");
    free(data);
}

/* ---- rg_write_file_atomic ---------------------------------------------------------- */

static void test_write_creates_file(void **state)
{
    tmpdir *t = *state;
    rg_error err = {0};
    char *back, names[512];
    size_t len = 0;
    assert_int_equal(rg_write_file_atomic(at(t, "out.json"), "{}\n", 3, &err), 0);
    assert_int_equal(err.kind, RG_ERROR_NONE);
    back = slurp(at(t, "out.json"), &len);
    assert_non_null(back);
    assert_int_equal(len, 3);
    assert_string_equal(back, "{}\n");
    free(back);
    assert_int_equal(list_dir(t->path, names, sizeof names), 1);
    assert_string_equal(names, "out.json\n");
}

static void test_write_replaces_file(void **state)
{
    tmpdir *t = *state;
    rg_error err = {0};
    char *back, names[512];
    put_file(t, "out.json", "old content that is longer than the new one\n");
    assert_int_equal(rg_write_file_atomic(at(t, "out.json"), "new", 3, &err), 0);
    back = slurp(at(t, "out.json"), NULL);
    assert_string_equal(back, "new");
    free(back);
    assert_int_equal(list_dir(t->path, names, sizeof names), 1); /* no temporary left */
    assert_string_equal(names, "out.json\n");
}

static void test_write_exact_bytes(void **state)
{
    tmpdir *t = *state;
    static const char bytes[] = {'x', '\0', 'y', '\n', '\xfe'};
    rg_error err = {0};
    size_t len = 0;
    char *back;
    assert_int_equal(rg_write_file_atomic(at(t, "bin"), bytes, sizeof bytes, &err), 0);
    back = slurp(at(t, "bin"), &len);
    assert_int_equal(len, sizeof bytes);
    assert_memory_equal(back, bytes, sizeof bytes);
    free(back);
    assert_int_equal(rg_write_file_atomic(at(t, "empty"), "", 0, &err), 0);
    back = slurp(at(t, "empty"), &len);
    assert_int_equal(len, 0);
    free(back);
}

static void test_write_relative_name(void **state)
{
    tmpdir *t = *state;
    rg_error err = {0};
    char cwd[PATH_MAX], *back;
    int rc;
    assert_non_null(getcwd(cwd, sizeof cwd));
    assert_int_equal(chdir(t->path), 0);
    rc = rg_write_file_atomic("plain.txt", "p", 1, &err);
    assert_int_equal(chdir(cwd), 0);
    assert_int_equal(rc, 0);
    back = slurp(at(t, "plain.txt"), NULL);
    assert_string_equal(back, "p");
    free(back);
}

static void test_write_into_missing_directory(void **state)
{
    tmpdir *t = *state;
    rg_error err = {0};
    char names[512];
    const char *target = at(t, "no/such/dir/out.json");
    assert_int_equal(rg_write_file_atomic(target, "x", 1, &err), -1);
    assert_int_equal(err.kind, RG_ERROR_IO);
    assert_string_equal(err.file, target);
    assert_contains(err.message, target);
    assert_contains(err.message, strerror(ENOENT));
    assert_int_equal(list_dir(t->path, names, sizeof names), 0); /* nothing created */
    rg_error_clear(&err);
}

static void test_write_onto_directory_refused(void **state)
{
    tmpdir *t = *state;
    rg_error err = {0};
    char names[512], want[PATH_MAX + 64];
    assert_int_equal(mkdir(at(t, "d"), 0755), 0);
    put_file(t, "d/keep", "k");
    assert_int_equal(rg_write_file_atomic(at(t, "d"), "x", 1, &err), -1);
    assert_int_equal(err.kind, RG_ERROR_IO);
    fmt(want, sizeof want, "cannot write %s: it is a directory", at(t, "d"));
    assert_string_equal(err.message, want);
    assert_int_equal(list_dir(at(t, "d"), names, sizeof names), 1);
    assert_int_equal(list_dir(t->path, names, sizeof names), 1);
    rg_error_clear(&err);
}

static void test_write_trailing_slash_refused(void **state)
{
    tmpdir *t = *state;
    rg_error err = {0};
    char names[512];
    assert_int_equal(rg_write_file_atomic(at(t, "x/"), "x", 1, &err), -1);
    assert_int_equal(err.kind, RG_ERROR_IO);
    assert_contains(err.message, "not a file name");
    assert_int_equal(list_dir(t->path, names, sizeof names), 0);
    rg_error_clear(&err);
}

/* A write that fails half-way (here: the file size limit) leaves the old file as it
 * was and no temporary file behind. */
static void test_write_failure_leaves_existing_file(void **state)
{
    tmpdir *t = *state;
    rg_error err = {0};
    struct rlimit saved, small;
    void (*old_handler)(int);
    char big[4096], names[512], *back;
    int rc;
    memset(big, 'z', sizeof big);
    put_file(t, "out.json", "{\"old\": true}\n");
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &saved), 0);
    small = saved;
    small.rlim_cur = 100;
    old_handler = signal(SIGXFSZ, SIG_IGN);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
    rc = rg_write_file_atomic(at(t, "out.json"), big, sizeof big, &err);
    setrlimit(RLIMIT_FSIZE, &saved);
    signal(SIGXFSZ, old_handler);
    assert_int_equal(rc, -1);
    assert_int_equal(err.kind, RG_ERROR_IO);
    assert_contains(err.message, at(t, "out.json"));
    assert_contains(err.message, strerror(EFBIG));
    back = slurp(at(t, "out.json"), NULL);
    assert_string_equal(back, "{\"old\": true}\n");
    free(back);
    assert_int_equal(list_dir(t->path, names, sizeof names), 1);
    assert_string_equal(names, "out.json\n");
    rg_error_clear(&err);
}

static mode_t written_mode(const tmpdir *t, const char *rel, mode_t mask)
{
    rg_error err = {0};
    struct stat st;
    mode_t old = umask(mask);
    int rc = rg_write_file_atomic(at(t, rel), "m", 1, &err);
    umask(old);
    assert_int_equal(rc, 0);
    assert_int_equal(stat(at(t, rel), &st), 0);
    return st.st_mode & 07777;
}

static void test_write_mode_honours_umask(void **state)
{
    tmpdir *t = *state;
    assert_int_equal(written_mode(t, "a", 022), 0644);
    assert_int_equal(written_mode(t, "b", 027), 0640);
    assert_int_equal(written_mode(t, "c", 077), 0600);
    assert_int_equal(written_mode(t, "d", 0), 0666);
}

static void test_write_leaves_umask_unchanged(void **state)
{
    tmpdir *t = *state;
    rg_error err = {0};
    mode_t old = umask(023), now;
    assert_int_equal(rg_write_file_atomic(at(t, "u"), "u", 1, &err), 0);
    now = umask(old);
    assert_int_equal(now, 023);
}

/* ---- Buffered reads of a non-blocking pipe (the batch protocol) --------------------- */

static void test_reader_takes_across_reads_and_waits(void **state)
{
    static rg_reader r;
    int fds[2];
    char out[16] = {0}, *p = out;
    size_t len = 6;
    (void)state;
    assert_int_equal(pipe(fds), 0);
    assert_int_equal(fcntl(fds[0], F_SETFL, O_NONBLOCK), 0);
    r.fd = fds[0];
    assert_int_equal(rg_reader_take(&r, &p, &len), 1);          /* nothing there yet */
    assert_int_equal(write(fds[1], "abcd", 4), 4);
    assert_int_equal(rg_reader_take(&r, &p, &len), 0);          /* all four, in one read */
    assert_int_equal(len, 2);
    assert_int_equal(rg_reader_take(&r, &p, &len), 1);          /* the buffer is empty again */
    assert_int_equal(write(fds[1], "efgh", 4), 4);
    assert_int_equal(rg_reader_take(&r, &p, &len), 0);          /* two of four: two stay buffered */
    assert_int_equal(len, 0);
    assert_memory_equal(out, "abcdef", 6);
    close(fds[1]);
    len = 8;
    assert_int_equal(rg_reader_take(&r, &p, &len), 0);          /* the buffered rest first */
    assert_int_equal(len, 6);
    assert_memory_equal(out, "abcdefgh", 8);
    assert_int_equal(rg_reader_take(&r, &p, &len), -1);         /* then the end */
    close(fds[0]);
}

/* ---- File identities: the text every check result's input records carries ------------ */

static void test_file_identity_as_printf_writes_it(void **state)
{
    static const long long secs[] = {0, 1, 1733390000, -1, -86400LL * 365 * 300, 9223372036854775807LL};
    static const long nsecs[] = {0, 1, 999999999, 500000000, 42, 123456789};
    (void)state;
    for (size_t i = 0; i < sizeof secs / sizeof secs[0]; i++) {
        struct stat st;
        char got[RG_FILE_IDENTITY_SIZE], want[RG_FILE_IDENTITY_SIZE];
        memset(&st, 0, sizeof st);
        st.st_dev = i == 5 ? (dev_t)-1 : (dev_t)(2049 + i);
        st.st_ino = i == 5 ? (ino_t)-1 : (ino_t)(1000003 * i);
        st.st_size = i == 3 ? 0 : (off_t)(i * 4096 + 7);
        st.st_mtim.tv_sec = (time_t)secs[i];
        st.st_mtim.tv_nsec = nsecs[i];
        st.st_ctim.tv_sec = (time_t)secs[(i + 1) % 6];
        st.st_ctim.tv_nsec = nsecs[(i + 2) % 6];
        snprintf(want, sizeof want, "%ju:%ju:%jd:%lld.%09ld:%lld.%09ld", (uintmax_t)st.st_dev,
                 (uintmax_t)st.st_ino, (intmax_t)st.st_size, (long long)st.st_mtim.tv_sec,
                 (long)st.st_mtim.tv_nsec, (long long)st.st_ctim.tv_sec, (long)st.st_ctim.tv_nsec);
        rg_file_identity(&st, got, sizeof got);
        assert_string_equal(got, want);
    }
}

/* rg_same_place: one file by identity (through a link), or one name in one folder,
 * spelt differently, made or not; never two names, nor one name in two folders. */
static int same_place_at(const tmpdir *t, const char *a, const char *b)
{
    char *first = strdup(at(t, a));
    int same = rg_same_place(first, at(t, b));
    free(first);
    return same;
}

static void test_same_place(void **state)
{
    tmpdir *t = *state;
    put_file(t, "real/out.json", "{}");
    put_file(t, "other/out.json", "{}");
    assert_int_equal(symlink("real", at(t, "link")), 0);
    assert_true(same_place_at(t, "real/out.json", "real/./out.json"));
    assert_true(same_place_at(t, "real/out.json", "link/out.json"));     /* a link to its folder */
    assert_false(same_place_at(t, "real/out.json", "other/out.json"));   /* the name in another folder */
    assert_true(same_place_at(t, "real/new.json", "link/new.json"));     /* not made yet, one folder */
    assert_false(same_place_at(t, "real/new.json", "real/new.md"));
    assert_false(same_place_at(t, "real/new.json", "missing/new.json")); /* a folder that is not there */
    assert_true(rg_same_place("x.json", "x.json"));
    assert_false(rg_same_place(at(t, "real/out.json"), NULL));
    assert_false(rg_same_place(NULL, NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_read_regular_file, setup_tmp, teardown_tmp),
        cmocka_unit_test_setup_teardown(test_same_place, setup_tmp, teardown_tmp),
        cmocka_unit_test_setup_teardown(test_last_line_end, setup_tmp, teardown_tmp),
        cmocka_unit_test_setup_teardown(test_read_empty_file, setup_tmp, teardown_tmp),
        cmocka_unit_test_setup_teardown(test_read_binary_content_kept, setup_tmp, teardown_tmp),
        cmocka_unit_test_setup_teardown(test_read_large_file_grows_buffer, setup_tmp, teardown_tmp),
        cmocka_unit_test_setup_teardown(test_read_size_cap_at_edge, setup_tmp, teardown_tmp),
        cmocka_unit_test_setup_teardown(test_read_size_cap_past_edge, setup_tmp, teardown_tmp),
        cmocka_unit_test_setup_teardown(test_read_directory_refused, setup_tmp, teardown_tmp),
        cmocka_unit_test_setup_teardown(test_read_device_refused, setup_tmp, teardown_tmp),
        cmocka_unit_test_setup_teardown(test_read_fifo_refused_without_blocking, setup_tmp, teardown_tmp),
        cmocka_unit_test_setup_teardown(test_read_missing_file_names_path, setup_tmp, teardown_tmp),
        cmocka_unit_test_setup_teardown(test_read_through_symlink, setup_tmp, teardown_tmp),
        cmocka_unit_test_setup_teardown(test_read_stdin, setup_tmp, teardown_tmp),
        cmocka_unit_test_setup_teardown(test_read_pipe_past_cap, setup_tmp, teardown_tmp),
        cmocka_unit_test_setup_teardown(test_read_pipe_at_cap, setup_tmp, teardown_tmp),
        cmocka_unit_test_setup_teardown(test_write_creates_file, setup_tmp, teardown_tmp),
        cmocka_unit_test_setup_teardown(test_write_replaces_file, setup_tmp, teardown_tmp),
        cmocka_unit_test_setup_teardown(test_write_exact_bytes, setup_tmp, teardown_tmp),
        cmocka_unit_test_setup_teardown(test_write_relative_name, setup_tmp, teardown_tmp),
        cmocka_unit_test_setup_teardown(test_write_into_missing_directory, setup_tmp, teardown_tmp),
        cmocka_unit_test_setup_teardown(test_write_onto_directory_refused, setup_tmp, teardown_tmp),
        cmocka_unit_test_setup_teardown(test_write_trailing_slash_refused, setup_tmp, teardown_tmp),
        cmocka_unit_test_setup_teardown(test_write_failure_leaves_existing_file, setup_tmp, teardown_tmp),
        cmocka_unit_test_setup_teardown(test_write_mode_honours_umask, setup_tmp, teardown_tmp),
        cmocka_unit_test_setup_teardown(test_write_leaves_umask_unchanged, setup_tmp, teardown_tmp),
        cmocka_unit_test(test_reader_takes_across_reads_and_waits),
        cmocka_unit_test(test_file_identity_as_printf_writes_it),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
