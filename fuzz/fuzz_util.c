/* Helpers shared by the fuzz targets (see fuzz.h). */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"

void fuzz_fail(const char *message)
{
    fprintf(stderr, "fuzz: invariant broken: %s\n", message);
    abort();
}

char *fuzz_text(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        fuzz_fail("out of memory copying the input");
    if (size)
        memcpy(text, data, size);
    text[size] = '\0';
    return text;
}

static char workdir[4096];

static void remove_tree(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return;
    if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        struct dirent *e;
        char child[4096];
        while (d && (e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            if ((size_t)snprintf(child, sizeof child, "%s/%s", path, e->d_name) < sizeof child)
                remove_tree(child);
        }
        if (d)
            closedir(d);
        rmdir(path);
    } else {
        unlink(path);
    }
}

static void remove_workdir(void)
{
    if (workdir[0])
        remove_tree(workdir);
}

const char *fuzz_workdir(void)
{
    if (!workdir[0]) {
        const char *tmp = getenv("TMPDIR");
        snprintf(workdir, sizeof workdir, "%s/relgate-fuzz-XXXXXX", tmp && *tmp ? tmp : "/tmp");
        if (!mkdtemp(workdir))
            fuzz_fail("cannot make a temporary directory");
        atexit(remove_workdir);
    }
    return workdir;
}

void fuzz_write(const char *path, const void *data, size_t size)
{
    FILE *f = fopen(path, "wb");
    if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f) != 0)
        fuzz_fail("cannot write the input to the work directory");
}

void fuzz_write_text(const char *path, const char *text)
{
    fuzz_write(path, text, strlen(text));
}
