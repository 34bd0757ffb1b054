/* The bundle tar reader and writer (core/tar.c) over archives real tools made
 * (make_tars.py: Python's tarfile, and GNU tar when it is there), hostile ones first:
 * every path trick, link, device, extension header, size lie and broken end is refused
 * with a reason naming it, and a good archive reads back exactly. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "rgtest.h"
#include "tar.h"

static char *dir;   /* where make_tars.py wrote the archives */

/* Read archive NAME; 0 with its members, or -1 with WHY. */
static int read_archive(const char *name, rg_tar_member **m, size_t *n, char *why, size_t why_size)
{
    size_t len = 0;
    char *data = rgt_read(rgt_path(dir, name), &len);
    int rc = rg_tar_read((const unsigned char *)data, len, 32, 1u << 20, m, n, why, why_size);
    /* the members point into the archive: copy what the tests look at */
    if (rc == 0) {
        for (size_t i = 0; i < *n; i++) {
            unsigned char *copy = malloc((*m)[i].size + 1);
            assert_non_null(copy);
            memcpy(copy, (*m)[i].data, (*m)[i].size);
            (*m)[i].data = copy;
        }
    }
    free(data);
    return rc;
}

static void free_members(rg_tar_member *m, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free((void *)m[i].data);
    free(m);
}

static void refused(const char *name, const char *needle)
{
    rg_tar_member *m = NULL;
    size_t n = 0;
    char why[512] = "";
    if (read_archive(name, &m, &n, why, sizeof why) == 0) {
        free_members(m, n);
        fail_msg("%s was read, not refused", name);
    }
    assert_null(m);
    if (!strstr(why, needle))
        fail_msg("%s: '%s' does not say '%s'", name, why, needle);
}

static void read_good(const char *name)
{
    rg_tar_member *m = NULL;
    size_t n = 0;
    char why[512] = "";
    if (read_archive(name, &m, &n, why, sizeof why) != 0)
        fail_msg("%s refused: %s", name, why);
    /* directories are names only: the regular files, normalised, in the archive's order */
    assert_int_equal(n, 2);
    if (strcmp(m[0].name, "bundle.json") != 0) {
        rg_tar_member t = m[0];
        m[0] = m[1];
        m[1] = t;
    }
    assert_string_equal(m[0].name, "bundle.json");
    assert_string_equal(m[1].name, "lib/f.lua");
    assert_int_equal(m[0].size, 72);
    assert_memory_equal(m[0].data, "{\"name\": \"octo\"", 15);
    assert_memory_equal(m[1].data, "requirement \"r\"", 15);
    free_members(m, n);
}

static void test_good_tarfile(void **state) { (void)state; read_good("good.tar"); }
static void test_good_gnu_ustar(void **state) { (void)state; read_good("gnu-ustar.tar"); }
static void test_good_gnu_default(void **state) { (void)state; read_good("gnu-default.tar"); }

static void test_dot_slash(void **state)
{
    rg_tar_member *m = NULL;
    size_t n = 0;
    char why[512] = "";
    (void)state;
    assert_int_equal(read_archive("dotslash.tar", &m, &n, why, sizeof why), 0);
    assert_int_equal(n, 1);
    assert_string_equal(m[0].name, "bundle.json");
    free_members(m, n);
}

static void test_path_tricks(void **state)
{
    (void)state;
    refused("dotdot.tar", "member name lib/../../evil.lua is not allowed");
    refused("parent.tar", "member name ../evil.lua is not allowed");
    refused("absolute.tar", "member name /etc/evil.lua is not allowed");
    refused("badchar.tar", "is not allowed");
}

static void test_links_and_devices(void **state)
{
    (void)state;
    refused("symlink.tar", "member lib is a symbolic link: a bundle holds only regular files");
    refused("hardlink.tar", "member b.lua is a hard link");
    refused("chardev.tar", "member null is a character device");
    refused("blockdev.tar", "member sda is a block device");
    refused("fifo.tar", "member pipe is a FIFO");
}

static void test_gnu_links(void **state)
{
    (void)state;
    refused("gnu-symlink.tar", "is a symbolic link");
    refused("gnu-hardlink.tar", "is a hard link");
}

static void test_extension_headers(void **state)
{
    (void)state;
    refused("pax.tar", "is a pax extended header");
    refused("gnu-longname.tar", "is a GNU long-name header");
}

static void test_duplicates_and_counts(void **state)
{
    (void)state;
    refused("duplicate.tar", "member octo.lua is in the archive twice");
    refused("many.tar", "more than 32 members");
}

static void test_sizes(void **state)
{
    (void)state;
    refused("huge.tar", "member bundle.json is 8589934591 bytes, over the limit of 1048576");
    refused("past-end.tar", "member bundle.json is cut short: it claims 32768 bytes");
    refused("base256.tar", "has a size that is not plain octal");
}

static void test_broken_archives(void **state)
{
    (void)state;
    refused("badsum.tar", "the header at byte 0 is not a tar header (its checksum does not match)");
    refused("v7.tar", "is not a ustar header");
    refused("truncated.tar", "cut short");
    refused("noend.tar", "ends without its end-of-archive blocks");
    refused("trailing.tar", "there is data after the end of the archive");
    refused("empty.tar", "ends without its end-of-archive blocks");
}

/* What the writer makes, the reader reads back; the same input, the same bytes. */
static void test_writer_round_trip(void **state)
{
    unsigned char *a = NULL, *b = NULL;
    size_t alen = 0, blen = 0, n = 0;
    rg_tar_member *m = NULL;
    char why[256], long_name[240];
    (void)state;
    memset(long_name, 'a', sizeof long_name);
    memcpy(long_name + 150, "/", 1);           /* over 100 bytes: the ustar prefix holds its head */
    memcpy(long_name + sizeof long_name - 5, ".lua", 5);
    for (int round = 0; round < 2; round++) {
        unsigned char **out = round ? &b : &a;
        size_t *len = round ? &blen : &alen;
        assert_int_equal(rg_tar_append(out, len, "bundle.json", "{}", 2), 0);
        assert_int_equal(rg_tar_append(out, len, "lib/empty.lua", "", 0), 0);
        assert_int_equal(rg_tar_append(out, len, long_name, "x", 1), 0);
        assert_int_equal(rg_tar_finish(out, len), 0);
    }
    assert_int_equal(alen, blen);
    assert_int_equal(alen % 10240, 0);
    assert_memory_equal(a, b, alen);
    assert_int_equal(rg_tar_read(a, alen, 8, 1024, &m, &n, why, sizeof why), 0);
    assert_int_equal(n, 3);
    assert_string_equal(m[0].name, "bundle.json");
    assert_memory_equal(m[0].data, "{}", 2);
    assert_string_equal(m[1].name, "lib/empty.lua");
    assert_int_equal(m[1].size, 0);
    assert_string_equal(m[2].name, long_name);
    free(m);
    /* what a bundle may not hold is not written either */
    assert_int_equal(rg_tar_append(&a, &alen, "../x.lua", "", 0), -1);
    assert_int_equal(rg_tar_append(&a, &alen, "/x.lua", "", 0), -1);
    free(a);
    free(b);
}

static void test_path_rule(void **state)
{
    char longest[300];
    (void)state;
    assert_true(rg_bundle_path_ok("octo.lua"));
    assert_true(rg_bundle_path_ok("lib/f-1_2+x.lua"));
    assert_true(rg_bundle_path_ok(".hidden/..x"));     /* dots inside a part are fine */
    assert_false(rg_bundle_path_ok(""));
    assert_false(rg_bundle_path_ok("."));
    assert_false(rg_bundle_path_ok(".."));
    assert_false(rg_bundle_path_ok("a/../b"));
    assert_false(rg_bundle_path_ok("a/./b"));
    assert_false(rg_bundle_path_ok("a//b"));
    assert_false(rg_bundle_path_ok("a/"));
    assert_false(rg_bundle_path_ok("/a"));
    assert_false(rg_bundle_path_ok("a\\b"));
    assert_false(rg_bundle_path_ok("a b"));
    memset(longest, 'a', sizeof longest);
    longest[256] = '\0';
    assert_false(rg_bundle_path_ok(longest));
    longest[255] = '\0';                          /* 255 bytes: the most a ustar name holds */
    assert_true(rg_bundle_path_ok(longest));
}

int main(int argc, char **argv)
{
    static char *const env[] = {"PATH=/usr/local/bin:/usr/bin:/bin", NULL};
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_path_rule),
        cmocka_unit_test(test_writer_round_trip),
        cmocka_unit_test(test_good_tarfile),
        cmocka_unit_test(test_good_gnu_ustar),
        cmocka_unit_test(test_good_gnu_default),
        cmocka_unit_test(test_dot_slash),
        cmocka_unit_test(test_path_tricks),
        cmocka_unit_test(test_links_and_devices),
        cmocka_unit_test(test_gnu_links),
        cmocka_unit_test(test_extension_headers),
        cmocka_unit_test(test_duplicates_and_counts),
        cmocka_unit_test(test_sizes),
        cmocka_unit_test(test_broken_archives),
    };
    const char *needs[sizeof tests / sizeof tests[0]] = {0};
    char *make[] = {argc > 1 ? argv[1] : "python3", argc > 2 ? argv[2] : "make_tars.py", NULL, NULL};
    int rc;
    dir = rgt_tmpdir("tar");
    make[2] = dir;
    if (rgt_run_tool(dir, make, env, "make_tars.log") != 0) {
        printf("Bail out! make_tars.py failed (see %s/make_tars.log)\n", dir);
        return 1;
    }
    {
        /* GNU tar's archives are there only where GNU tar is */
        static char gnu[4096];
        snprintf(gnu, sizeof gnu, "%s/gnu-ustar.tar", dir);
        for (size_t i = 0; i < sizeof tests / sizeof tests[0]; i++)
            if (strstr(tests[i].name, "gnu"))
                needs[i] = gnu;
    }
    rc = rgt_run_with_data("tar", tests, needs, sizeof tests / sizeof tests[0]);
    rgt_rmtree(dir);
    free(dir);
    return rc;
}
