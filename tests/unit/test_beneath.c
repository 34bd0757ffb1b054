/* Unit tests for core/beneath.c: the one resolve-beneath rule and the open that follows
 * no link, with openat2 where the kernel has it and the component-by-component fallback. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "beneath.h"
#include "path_cache.h"
#include "rgtest.h"

typedef struct fx {
    char *root;      /* canonical: rgt_tmpdir gives the real path */
    char *outside;
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    f->root = rgt_tmpdir("relgate-beneath");
    f->outside = rgt_tmpdir("relgate-beneath-out");
    rgt_write(f->root, "a/b/report.json", "{}", RGT_TEXT);
    rgt_write(f->outside, "secret.txt", "secret", RGT_TEXT);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    rgt_rmtree(f->root);
    rgt_rmtree(f->outside);
    free(f->root);
    free(f->outside);
    free(f);
    return 0;
}

static rg_beneath resolve(fx *f, const char *rel, char *real, char *link)
{
    int errnum;
    return rg_resolve_beneath(f->root, f->root, rel, NULL, real, PATH_MAX, link, PATH_MAX, &errnum);
}

static void test_resolve(void **state)
{
    fx *f = *state;
    char real[PATH_MAX], link[PATH_MAX], want[PATH_MAX * 2];
    snprintf(want, sizeof want, "%s/a/b/report.json", f->root);
    assert_int_equal(resolve(f, "a/b/report.json", real, link), RG_BENEATH_OK);
    assert_string_equal(real, want);
    assert_int_equal(resolve(f, "a/./b/../b/report.json", real, link), RG_BENEATH_OK);
    assert_int_equal(resolve(f, "../x", real, link), RG_BENEATH_LEAVES);
    assert_int_equal(resolve(f, "a/../../x", real, link), RG_BENEATH_LEAVES);
    assert_int_equal(resolve(f, "a/missing.json", real, link), RG_BENEATH_MISSING);
    assert_string_equal(link, "");
    /* a link that stays inside is followed; one that leaves is refused, saying where */
    assert_int_equal(symlink("b/report.json", rgt_path(f->root, "a/inside.json")), 0);
    assert_int_equal(resolve(f, "a/inside.json", real, link), RG_BENEATH_OK);
    assert_string_equal(real, want);
    snprintf(want, sizeof want, "%s/secret.txt", f->outside);
    assert_int_equal(symlink(want, rgt_path(f->root, "a/out.json")), 0);
    assert_int_equal(resolve(f, "a/out.json", real, link), RG_BENEATH_OUTSIDE);
    assert_string_equal(real, want);
    /* a dangling link: missing, with its target for the message */
    assert_int_equal(symlink("/nonexistent/elsewhere", rgt_path(f->root, "a/dangling.json")), 0);
    assert_int_equal(resolve(f, "a/dangling.json", real, link), RG_BENEATH_MISSING);
    assert_string_equal(link, "/nonexistent/elsewhere");
}

static void read_fd(int fd, const char *want)
{
    char buf[64] = "";
    ssize_t n;
    assert_true(fd >= 0);
    n = read(fd, buf, sizeof buf - 1);
    assert_true(n >= 0);
    buf[n] = '\0';
    assert_string_equal(buf, want);
    close(fd);
}

static void test_open(void **state)
{
    fx *f = *state;
    char real[PATH_MAX];
    int dirfd, fd;
    assert_int_equal(resolve(f, "a/b/report.json", real, NULL), RG_BENEATH_OK);
    read_fd(rg_open_beneath(f->root, real, O_RDONLY), "{}");
    /* the fallback gives the same file */
    dirfd = open(f->root, O_RDONLY | O_DIRECTORY);
    read_fd(rg_open_beneath_components(dirfd, "a/b/report.json", O_RDONLY), "{}");
    /* the root itself */
    fd = rg_open_beneath(f->root, f->root, O_RDONLY | O_DIRECTORY);
    assert_true(fd >= 0);
    close(fd);
    /* not a canonical path below the root: refused, not interpreted */
    errno = 0;
    assert_int_equal(rg_open_beneath_components(dirfd, "a/../a/b/report.json", O_RDONLY), -1);
    assert_int_equal(errno, EXDEV);
    assert_int_equal(rg_open_beneath_components(dirfd, "a//b/report.json", O_RDONLY), -1);
    errno = 0;
    assert_int_equal(rg_open_beneath(f->root, "/etc/passwd", O_RDONLY), -1);
    assert_int_equal(errno, EXDEV);
    close(dirfd);
}

/* Checked, then swapped for a link before the open: the open refuses it, whichever way
 * it opens (the check-then-open gap is closed). */
static void test_swapped_after_check(void **state)
{
    fx *f = *state;
    char real[PATH_MAX], moved[PATH_MAX * 2], target[PATH_MAX * 2];
    int dirfd, fd;
    assert_int_equal(resolve(f, "a/b/report.json", real, NULL), RG_BENEATH_OK);
    snprintf(moved, sizeof moved, "%s/a/b-moved", f->root);
    assert_int_equal(rename(rgt_path(f->root, "a/b"), moved), 0);
    rgt_write(f->outside, "b/report.json", "stolen", RGT_TEXT);
    snprintf(target, sizeof target, "%s/b", f->outside);
    assert_int_equal(symlink(target, rgt_path(f->root, "a/b")), 0);   /* a directory on the way */
    errno = 0;
    fd = rg_open_beneath(f->root, real, O_RDONLY);
    assert_int_equal(fd, -1);
    assert_true(errno == ELOOP || errno == EXDEV || errno == ENOTDIR);
    dirfd = open(f->root, O_RDONLY | O_DIRECTORY);
    errno = 0;
    assert_int_equal(rg_open_beneath_components(dirfd, "a/b/report.json", O_RDONLY), -1);
    assert_true(errno == ELOOP || errno == ENOTDIR);
    /* the last component swapped for a link inside the root: refused too */
    assert_int_equal(unlink(rgt_path(f->root, "a/b")), 0);
    assert_int_equal(rename(moved, rgt_path(f->root, "a/b")), 0);
    rgt_write(f->root, "a/b/other.json", "other", RGT_TEXT);
    assert_int_equal(unlink(rgt_path(f->root, "a/b/report.json")), 0);
    assert_int_equal(symlink("other.json", rgt_path(f->root, "a/b/report.json")), 0);
    assert_int_equal(rg_open_beneath(f->root, real, O_RDONLY), -1);
    assert_int_equal(rg_open_beneath_components(dirfd, "a/b/report.json", O_RDONLY), -1);
    close(dirfd);
}

static void test_read_file(void **state)
{
    fx *f = *state;
    char real[PATH_MAX], *data = NULL;
    size_t len = 0;
    rg_error err;
    rg_error_init(&err);
    assert_int_equal(resolve(f, "a/b/report.json", real, NULL), RG_BENEATH_OK);
    assert_int_equal(rg_read_file_beneath(f->root, real, "evidence", 100, &data, &len, &err), 0);
    assert_int_equal(len, 2);
    free(data);
    assert_int_equal(rg_read_file_beneath(f->root, real, "evidence", 1, &data, &len, &err), -1);
    assert_non_null(strstr(err.message, "is larger than the limit of 1 bytes"));
    rg_error_clear(&err);
    assert_int_equal(resolve(f, "a", real, NULL), RG_BENEATH_OK);
    assert_int_equal(rg_read_file_beneath(f->root, real, "evidence", 100, &data, &len, &err), -1);
    assert_non_null(strstr(err.message, "is a directory, not a file"));
    rg_error_clear(&err);
}

/* A path cache (a batch's, a serve worker's) remembers what resolved, never a failure: a
 * file that appears after it was missing is found (a worker writes again an evidence
 * file a cleaner took). */
static void test_cache_forgets_failures(void **state)
{
    fx *f = *state;
    rg_path_cache *cache = rg_path_cache_new();
    char real[PATH_MAX], link[PATH_MAX], want[PATH_MAX * 2];
    int errnum;
    assert_non_null(cache);
    snprintf(want, sizeof want, "%s/late.json", f->root);
    assert_int_equal(rg_resolve_beneath(f->root, f->root, "late.json", cache, real, PATH_MAX, link, PATH_MAX, &errnum),
                     RG_BENEATH_MISSING);
    rgt_write(f->root, "late.json", "{}", RGT_TEXT);
    assert_int_equal(rg_resolve_beneath(f->root, f->root, "late.json", cache, real, PATH_MAX, link, PATH_MAX, &errnum),
                     RG_BENEATH_OK);
    assert_string_equal(real, want);
    rg_path_cache_free(cache);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_resolve, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open, setup, teardown),
        cmocka_unit_test_setup_teardown(test_swapped_after_check, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cache_forgets_failures, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
