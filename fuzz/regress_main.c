/* The fuzz targets without libFuzzer: run LLVMFuzzerTestOneInput over every file named
 * on the command line, and every file in every directory named (not recursively,
 * hidden files skipped, in name order), so that crashes the fuzzers found stay fixed.
 * "--seeds LIST TARGET ROOT" also runs the seed files of TARGET: the glob patterns
 * (relative to ROOT) of the lines "TARGET PATTERN..." of LIST (fuzz/seeds.txt).
 * A directory that does not exist counts as empty.  Works with gcc as with clang; under
 * ASan/UBSan (make test-san) a memory error aborts the run. */
#include <dirent.h>
#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

static int run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    unsigned char *buf = NULL;
    size_t len = 0, cap = 0, n;
    if (!f) {
        fprintf(stderr, "%s: %s\n", path, strerror(errno));
        return -1;
    }
    do {
        if (len == cap) {
            unsigned char *grown = realloc(buf, cap = cap ? cap * 2 : 65536);
            if (!grown) {
                fclose(f);
                free(buf);
                fprintf(stderr, "%s: out of memory\n", path);
                return -1;
            }
            buf = grown;
        }
        n = fread(buf + len, 1, cap - len, f);
        len += n;
    } while (n > 0);
    fclose(f);
    printf("running %s (%zu bytes)\n", path, len);
    fflush(stdout);
    /* A copy of exactly LEN bytes, so that ASan sees reads past the input's end. */
    {
        unsigned char *exact = malloc(len ? len : 1);
        if (!exact) {
            free(buf);
            return -1;
        }
        if (len)
            memcpy(exact, buf, len);
        LLVMFuzzerTestOneInput(exact, len);
        free(exact);
    }
    free(buf);
    return 0;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int run_dir(const char *dir, int *count, int *failed)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char **names = NULL, path[4096];
    size_t n = 0, cap = 0;
    int rc = 0;
    if (!d)
        return errno == ENOENT ? 0 : (fprintf(stderr, "%s: %s\n", dir, strerror(errno)), -1);
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        if (n == cap) {
            char **grown = realloc(names, (cap = cap ? cap * 2 : 16) * sizeof *names);
            if (!grown)
                break;
            names = grown;
        }
        if (!(names[n] = strdup(e->d_name)))
            break;
        n++;
    }
    closedir(d);
    if (n)
        qsort(names, n, sizeof *names, compare_names);
    for (size_t i = 0; i < n; i++) {
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
            if (run_file(path) != 0) {
                (*failed)++;
                rc = -1;
            } else {
                (*count)++;
            }
        }
        free(names[i]);
    }
    free(names);
    return rc;
}

/* The seed files of TARGET in LIST, run one by one.  The seeds are in the repository:
 * a pattern that matches no file, or a target with no line, is a stale list and fails. */
static int run_seeds(const char *list, const char *target, const char *root, int *count, int *failed)
{
    FILE *f = fopen(list, "r");
    char line[4096];
    int rc = 0, listed = 0;
    if (!f) {
        fprintf(stderr, "%s: %s\n", list, strerror(errno));
        (*failed)++;
        return -1;
    }
    while (fgets(line, sizeof line, f)) {
        char *save = NULL, *word = strtok_r(line, " \t\r\n", &save);
        if (!word || word[0] == '#' || strcmp(word, target) != 0)
            continue;
        listed = 1;
        while ((word = strtok_r(NULL, " \t\r\n", &save)) != NULL) {
            char pattern[8192];
            glob_t g;
            int matched = 0;
            snprintf(pattern, sizeof pattern, "%s/%s", root, word);
            if (glob(pattern, 0, NULL, &g) == 0) {
                for (size_t i = 0; i < g.gl_pathc; i++) {
                    struct stat st;
                    if (stat(g.gl_pathv[i], &st) != 0 || !S_ISREG(st.st_mode))
                        continue;
                    matched++;
                    if (run_file(g.gl_pathv[i]) != 0) {
                        (*failed)++;
                        rc = -1;
                    } else {
                        (*count)++;
                    }
                }
            }
            globfree(&g);
            if (!matched) {
                fprintf(stderr, "%s: seed pattern %s of %s matches no file\n", list, word, target);
                (*failed)++;
                rc = -1;
            }
        }
    }
    fclose(f);
    if (!listed) {
        fprintf(stderr, "%s: no seeds for %s\n", list, target);
        (*failed)++;
        rc = -1;
    }
    return rc;
}

int main(int argc, char **argv)
{
    int rc = 0, count = 0, failed = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--seeds") == 0 && i + 3 < argc) {
            if (run_seeds(argv[i + 1], argv[i + 2], argv[i + 3], &count, &failed) != 0)
                rc = 1;
            i += 3;
            continue;
        }
        struct stat st;
        if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode)) {
            if (run_dir(argv[i], &count, &failed) != 0)
                rc = 1;
        } else if (stat(argv[i], &st) != 0 && errno == ENOENT) {
            continue; /* a regression folder not made yet: nothing to run */
        } else if (run_file(argv[i]) != 0) {
            failed++;
            rc = 1;
        } else {
            count++;
        }
    }
    /* The plain closing line test runners read.  Nothing run is a failure too: a
     * replay that covers nothing cannot catch anything. */
    printf("%d passed, %d failed\n", count, failed);
    if (count == 0) {
        fprintf(stderr, "no input was replayed\n");
        rc = 1;
    }
    return rc;
}
