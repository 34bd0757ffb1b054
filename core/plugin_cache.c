/* The plugin description cache: see plugin_cache.h.  The file is a run of frames (the
 * loader's own record format, plugin_child.h: checksummed, with an end marker), one an
 * entry: the file's identity, its path, its SHA-256, the description. */
#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "fileio.h"
#include "plugin_cache.h"
#include "plugin_child.h"

/* The magic names the entry format: a cache of another (an older relgate's, whose
 * descriptions this one would not decode) is foreign, so ignored and rewritten. */
#define CACHE_MAGIC "RGP2"
#define CACHE_MAX (8u << 20)     /* bytes: a cache larger than this is not ours */
#define ENTRY_MAX (4u << 20)
#define IDENTITY_WORDS 7         /* dev, ino, size, mtime s/ns, ctime s/ns */
/* Cache files of other sets of plugin folders kept beside a new one: each temporary
 * plugin folder (a test's, a CI job's) leaves a file of its own, and without a bound a
 * long-lived runner's cache folder only grows (one had 693 of them). */
#define SETS_KEPT 32
#define SET_NAME_PREFIX "plugins-"
#define SET_NAME_HEX 16
#define SET_NAME_SUFFIX ".cache"

typedef struct entry {
    uint64_t identity[IDENTITY_WORDS];
    unsigned char digest[RG_SHA256_LEN];
    char *path;
    char *record;
    size_t len;
} entry;

struct rg_plugin_cache {
    entry *entries;
    size_t count;
};

char *rg_plugin_cache_path(const char *const *folders, size_t count)
{
    const char *env = getenv("RELGATE_PLUGIN_CACHE"), *base;
    char path[PATH_MAX], name[64];
    unsigned char digest[RG_SHA256_LEN];
    rg_sha256 *h;
    if (env)
        return *env ? strdup(env) : NULL;
    /* One file per set of folders searched, named by their digest: a start reads and
     * checks only the entries of its own plugins, not those of every build tree and
     * test folder that ever ran (one shared file had grown to 19 entries, 83 KB, parsed
     * and copied whole on every start: ~90 of the engine's 490 page faults). */
    if (!(h = rg_sha256_new()))
        return NULL;
    for (size_t i = 0; i < count; i++)
        if (folders[i])
            rg_sha256_update(h, folders[i], strlen(folders[i]) + 1);
    rg_sha256_final(h, digest);
    snprintf(name, sizeof name, SET_NAME_PREFIX "%02x%02x%02x%02x%02x%02x%02x%02x" SET_NAME_SUFFIX, digest[0], digest[1],
             digest[2], digest[3], digest[4], digest[5], digest[6], digest[7]);
    if ((base = getenv("XDG_CACHE_HOME")) && *base == '/')
        snprintf(path, sizeof path, "%s/relgate/%s", base, name);
    else if ((base = getenv("HOME")) && *base == '/')
        snprintf(path, sizeof path, "%s/.cache/relgate/%s", base, name);
    else
        return NULL;
    return strdup(path);
}

static void identity_of(const struct stat *st, uint64_t out[IDENTITY_WORDS])
{
    out[0] = (uint64_t)st->st_dev;
    out[1] = (uint64_t)st->st_ino;
    out[2] = (uint64_t)st->st_size;
    out[3] = (uint64_t)st->st_mtim.tv_sec;
    out[4] = (uint64_t)st->st_mtim.tv_nsec;
    out[5] = (uint64_t)st->st_ctim.tv_sec;
    out[6] = (uint64_t)st->st_ctim.tv_nsec;
}

static void forget_all(rg_plugin_cache *c)
{
    for (size_t i = 0; i < c->count; i++) {
        free(c->entries[i].path);
        free(c->entries[i].record);
    }
    free(c->entries);
    c->entries = NULL;
    c->count = 0;
}

void rg_plugin_cache_free(rg_plugin_cache *c)
{
    if (!c)
        return;
    forget_all(c);
    free(c);
}

/* Entry PAYLOAD (LEN bytes): identity, path length, path, digest, description. */
static int add_parsed(rg_plugin_cache *c, const char *payload, size_t len)
{
    uint64_t id[IDENTITY_WORDS];
    unsigned char digest[RG_SHA256_LEN];
    uint32_t path_len;
    struct stat st;
    char *path;
    int rc;
    if (len < sizeof id + sizeof path_len)
        return -1;
    memcpy(id, payload, sizeof id);
    memcpy(&path_len, payload + sizeof id, sizeof path_len);
    if (path_len == 0 || path_len >= PATH_MAX || len - sizeof id - sizeof path_len < (size_t)path_len + sizeof digest)
        return -1;
    if (!(path = strndup(payload + sizeof id + sizeof path_len, path_len)) || strlen(path) != path_len) {
        free(path);
        return -1;
    }
    memset(&st, 0, sizeof st);
    st.st_dev = (dev_t)id[0];
    st.st_ino = (ino_t)id[1];
    st.st_size = (off_t)id[2];
    st.st_mtim.tv_sec = (time_t)id[3];
    st.st_mtim.tv_nsec = (long)id[4];
    st.st_ctim.tv_sec = (time_t)id[5];
    st.st_ctim.tv_nsec = (long)id[6];
    {
        size_t head = sizeof id + sizeof path_len + path_len;
        memcpy(digest, payload + head, sizeof digest);
        head += sizeof digest;
        rc = rg_plugin_cache_put(c, path, &st, digest, payload + head, len - head);
    }
    free(path);
    return rc;
}

rg_plugin_cache *rg_plugin_cache_open(const char *path)
{
    rg_plugin_cache *c = calloc(1, sizeof *c);
    struct stat st;
    char *data = NULL;
    size_t len = 0, at = 0;
    rg_error err;
    int fd;
    if (!c || !path)
        return c;
    rg_error_init(&err);
    /* The user's own file, which no one else may write: else it is not taken. */
    if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)) < 0)
        return c;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 022) ||
        rg_read_fd(fd, path, "plugin cache", CACHE_MAX, &data, &len, &err) != 0) {
        rg_error_clear(&err);
        close(fd);
        return c;
    }
    close(fd);
    while (at < len) {
        rg_frame f;
        const char *why;
        if (rg_frame_parse(data + at, len - at, CACHE_MAGIC, ENTRY_MAX, &f, &why) != 1 ||
            f.seq != c->count || add_parsed(c, f.payload, f.len) != 0) {
            forget_all(c); /* damaged somewhere: none of it is taken */
            break;
        }
        at += f.used;
    }
    free(data);
    return c;
}

const char *rg_plugin_cache_find(const rg_plugin_cache *c, const char *path, const struct stat *st,
                                 size_t *len, unsigned char digest[RG_SHA256_LEN])
{
    uint64_t id[IDENTITY_WORDS];
    identity_of(st, id);
    for (size_t i = 0; c && i < c->count; i++)
        if (strcmp(c->entries[i].path, path) == 0 && memcmp(c->entries[i].identity, id, sizeof id) == 0) {
            *len = c->entries[i].len;
            memcpy(digest, c->entries[i].digest, RG_SHA256_LEN);
            return c->entries[i].record;
        }
    return NULL;
}

int rg_plugin_cache_put(rg_plugin_cache *c, const char *path, const struct stat *st,
                        const unsigned char digest[RG_SHA256_LEN], const char *record, size_t len)
{
    entry e, *grown;
    size_t i;
    identity_of(st, e.identity);
    memcpy(e.digest, digest, sizeof e.digest);
    e.len = len;
    e.path = strdup(path);
    e.record = malloc(len ? len : 1);
    if (!e.path || !e.record) {
        free(e.path);
        free(e.record);
        return -1;
    }
    memcpy(e.record, record, len);
    for (i = 0; i < c->count; i++)
        if (strcmp(c->entries[i].path, path) == 0)
            break;
    if (i == c->count) {
        if (!(grown = realloc(c->entries, (c->count + 1) * sizeof *grown))) {
            free(e.path);
            free(e.record);
            return -1;
        }
        c->entries = grown;
        c->count++;
    } else {
        free(c->entries[i].path);
        free(c->entries[i].record);
    }
    c->entries[i] = e;
    return 0;
}

/* The folders above PATH's file, made 0700 where missing. */
static void make_folders(const char *path)
{
    char dir[PATH_MAX];
    if (strlen(path) >= sizeof dir)
        return;
    strcpy(dir, path);
    for (char *p = dir + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            (void)mkdir(dir, 0700); /* EEXIST for the folders already there */
            *p = '/';
        }
}

/* Whether NAME is a per-set cache file's name: plugins-HEX.cache. */
static int is_set_name(const char *name)
{
    size_t prefix = strlen(SET_NAME_PREFIX);
    if (strncmp(name, SET_NAME_PREFIX, prefix) != 0 || strcmp(name + prefix + SET_NAME_HEX, SET_NAME_SUFFIX) != 0)
        return 0;
    for (size_t i = prefix; i < prefix + SET_NAME_HEX; i++)
        if (!((name[i] >= '0' && name[i] <= '9') || (name[i] >= 'a' && name[i] <= 'f')))
            return 0;
    return 1;
}

typedef struct set_file {
    char name[sizeof SET_NAME_PREFIX + SET_NAME_HEX + sizeof SET_NAME_SUFFIX];
    struct timespec written;
} set_file;

static int newer_first(const void *a, const void *b)
{
    const struct timespec *x = &((const set_file *)a)->written, *y = &((const set_file *)b)->written;
    if (x->tv_sec != y->tv_sec)
        return x->tv_sec < y->tv_sec ? 1 : -1;
    return x->tv_nsec < y->tv_nsec ? 1 : x->tv_nsec > y->tv_nsec ? -1 : 0;
}

/* Beside the cache file just written at PATH, keep the SETS_KEPT - 1 other sets' files
 * written last and remove the older ones: only the user's own regular files named as
 * relgate names them.  A file removed while another relgate uses it costs that start
 * one loader child, nothing more: the cache only saves time. */
static void prune_other_sets(const char *path)
{
    const char *slash = strrchr(path, '/');
    char dir[PATH_MAX];
    set_file *files = NULL;
    size_t count = 0, cap = 0;
    struct dirent *d;
    DIR *folder;
    int dfd;
    if (!slash || !is_set_name(slash + 1) || (size_t)(slash - path) >= sizeof dir)
        return;
    memcpy(dir, path, (size_t)(slash - path));
    dir[slash - path] = '\0';
    if (!(folder = opendir(slash == path ? "/" : dir)))
        return;
    dfd = dirfd(folder);
    while ((d = readdir(folder))) {
        struct stat st;
        if (!is_set_name(d->d_name) || strcmp(d->d_name, slash + 1) == 0 ||
            fstatat(dfd, d->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode) ||
            st.st_uid != geteuid())
            continue;
        if (count == cap) {
            set_file *grown = realloc(files, (cap = cap ? 2 * cap : 64) * sizeof *files);
            if (!grown)
                break;
            files = grown;
        }
        strcpy(files[count].name, d->d_name);
        files[count++].written = st.st_mtim;
    }
    if (count >= SETS_KEPT) {
        qsort(files, count, sizeof *files, newer_first);
        for (size_t i = SETS_KEPT - 1; i < count; i++)
            (void)unlinkat(dfd, files[i].name, 0);
    }
    free(files);
    closedir(folder);
}

void rg_plugin_cache_save(const rg_plugin_cache *c, const char *path)
{
    char tmp[PATH_MAX];
    size_t total = 0, at = 0;
    char *out;
    int fd;
    int *keep = calloc(c->count ? c->count : 1, sizeof *keep);
    size_t kept = 0;
    if (!keep)
        return;
    /* Only entries of files still there as they were: the cache stays as small as the
     * plugin folders in use (a test's or a removed folder's entries go). */
    for (size_t i = 0; i < c->count; i++) {
        struct stat st;
        uint64_t id[IDENTITY_WORDS];
        if (stat(c->entries[i].path, &st) == 0) {
            identity_of(&st, id);
            keep[i] = memcmp(id, c->entries[i].identity, sizeof id) == 0;
        }
        if (keep[i])
            total += RG_FRAME_OVERHEAD + sizeof c->entries[i].identity + 4 + strlen(c->entries[i].path) +
                     sizeof c->entries[i].digest + c->entries[i].len;
    }
    if (total > CACHE_MAX || (size_t)snprintf(tmp, sizeof tmp, "%s.XXXXXX", path) >= sizeof tmp ||
        !(out = malloc(total ? total : 1))) {
        free(keep);
        return;
    }
    for (size_t i = 0; i < c->count; i++) {
        const entry *e = &c->entries[i];
        uint32_t path_len = (uint32_t)strlen(e->path);
        size_t len = sizeof e->identity + sizeof path_len + path_len + sizeof e->digest + e->len;
        char *payload;
        if (!keep[i])
            continue;
        if (!(payload = malloc(len)) || len > ENTRY_MAX) {
            free(payload);
            free(out);
            free(keep);
            return;
        }
        memcpy(payload, e->identity, sizeof e->identity);
        memcpy(payload + sizeof e->identity, &path_len, sizeof path_len);
        memcpy(payload + sizeof e->identity + sizeof path_len, e->path, path_len);
        memcpy(payload + sizeof e->identity + sizeof path_len + path_len, e->digest, sizeof e->digest);
        memcpy(payload + sizeof e->identity + sizeof path_len + path_len + sizeof e->digest, e->record, e->len);
        rg_frame_build(out + at, CACHE_MAGIC, 1, (uint32_t)kept++, payload, (uint32_t)len);
        at += RG_FRAME_OVERHEAD + len;
        free(payload);
    }
    free(keep);
    make_folders(path);
    /* mkstemp: 0600, the user's own; renamed over the old cache in one step. */
    if ((fd = mkstemp(tmp)) < 0) {
        free(out);
        return;
    }
    {
        int written = rg_write_all(fd, out, at) == 0;
        if (close(fd) != 0 || !written || rename(tmp, path) != 0)
            unlink(tmp);
        else if (!getenv("RELGATE_PLUGIN_CACHE")) /* a path of relgate's choosing, in its own folder */
            prune_other_sets(path);
    }
    free(out);
}
