/* rgtest: what relgate's cmocka tests share (see rgtest.h). */
#include "rgtest.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "plugins.h"

void rgt_fmt(char *buf, size_t size, const char *format, ...)
{
    va_list ap;
    int n;
    va_start(ap, format);
    n = vsnprintf(buf, size, format, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= size)
        fail_msg("text too long (%d bytes, room for %zu): %.60s...", n, size, buf);
}

void rgt_child_defaults(void)
{
    static const int sigs[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGSYS};
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        signal(sigs[i], SIG_DFL);
}

int rgt_wait_child(pid_t pid, int *status, double seconds)
{
    for (long ms = 0; ms < (long)(seconds * 1000); ms += 10) { /* polled every 10 ms */
        if (waitpid(pid, status, WNOHANG) == pid)
            return 0;
        usleep(10000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, status, 0);
    return -1;
}

/* ---- Files ------------------------------------------------------------------------- */

int rgt_mktemp(char *out, size_t size, const char *name)
{
    const char *base = getenv("TMPDIR");
    char tmpl[PATH_MAX], real[PATH_MAX];
    int n = snprintf(tmpl, sizeof tmpl, "%s/%s-XXXXXX", base && *base ? base : "/tmp", name);
    if (n < 0 || (size_t)n >= sizeof tmpl || !mkdtemp(tmpl))
        return -1;
    /* the real path: the engine resolves evidence to real paths, and /tmp may be a link */
    if (!realpath(tmpl, real) || strlen(real) >= size) {
        rmdir(tmpl);
        return -1;
    }
    memcpy(out, real, strlen(real) + 1);
    return 0;
}

char *rgt_tmpdir(const char *name)
{
    char dir[PATH_MAX], *copy;
    if (rgt_mktemp(dir, sizeof dir, name) != 0)
        fail_msg("cannot make a temporary directory %s-XXXXXX: %s", name, strerror(errno));
    copy = strdup(dir);
    assert_non_null(copy);
    return copy;
}

int rgt_rmtree(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return -1;
    if (S_ISDIR(st.st_mode)) {
        DIR *d;
        struct dirent *e;
        char child[PATH_MAX];
        /* a test may leave a directory unreadable or unwritable: open it up again */
        if ((st.st_mode & 0700) != 0700)
            chmod(path, 0700);
        d = opendir(path);
        while (d && (e = readdir(d)) != NULL) {
            int n;
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            n = snprintf(child, sizeof child, "%s/%s", path, e->d_name);
            if (n > 0 && (size_t)n < sizeof child)
                rgt_rmtree(child);
        }
        if (d)
            closedir(d);
        return rmdir(path);
    }
    return unlink(path);
}

const char *rgt_path(const char *dir, const char *rel)
{
    static char bufs[16][PATH_MAX];
    static unsigned next;
    char *b = bufs[next++ % 16];
    rgt_fmt(b, PATH_MAX, "%s/%s", dir, rel);
    return b;
}

/* Make the directories above PATH (its last component is left alone). */
static void make_parents(const char *path)
{
    char buf[PATH_MAX];
    rgt_fmt(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            mkdir(buf, 0755);
            *p = '/';
        }
    }
}

void rgt_mkdirs(const char *path)
{
    make_parents(path);
    mkdir(path, 0755);
}

void rgt_write(const char *dir, const char *rel, const void *data, size_t len)
{
    char path[PATH_MAX];
    FILE *f;
    if (dir)
        rgt_fmt(path, sizeof path, "%s/%s", dir, rel);
    else
        rgt_fmt(path, sizeof path, "%s", rel);
    if (len == RGT_TEXT)
        len = strlen(data);
    make_parents(path);
    f = fopen(path, "wb");
    if (!f)
        fail_msg("cannot create %s: %s", path, strerror(errno));
    if (len && fwrite(data, 1, len, f) != len)
        fail_msg("cannot write %s: %s", path, strerror(errno));
    if (fclose(f) != 0)
        fail_msg("cannot write %s: %s", path, strerror(errno));
}

char *rgt_slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t cap = 0, n = 0, got;
    if (!f)
        return NULL;
    do { /* read to the end, not to a size from stat: pipes and /proc files have none */
        if (n + 65536 + 1 > cap) {
            char *g = realloc(buf, cap = n + 65536 + 1);
            if (!g) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = g;
        }
        got = fread(buf + n, 1, 65536, f);
        n += got;
    } while (got > 0);
    if (ferror(f)) {
        free(buf);
        fclose(f);
        return NULL;
    }
    fclose(f);
    buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

char *rgt_read(const char *path, size_t *len)
{
    char *data = rgt_slurp(path, len);
    if (!data)
        fail_msg("cannot read %s: %s", path, strerror(errno));
    return data;
}

void rgt_copy(const char *dir, const char *rel, const char *src)
{
    size_t len;
    char *data = rgt_read(src, &len);
    rgt_write(dir, rel, data, len);
    free(data);
}

/* ---- Contexts and policies from text ---------------------------------------------- */

rg_context *rgt_load_context(const char *dir, const char *rel, const char *json,
                             const rg_context_options *opt, rg_error *err)
{
    char path[PATH_MAX];
    rgt_fmt(path, sizeof path, "%s/%s", dir, rel);
    rgt_write(NULL, path, json, RGT_TEXT);
    return rg_context_load(path, opt, err);
}

rg_policy *rgt_load_policy(const char *dir, const char *rel, const char *lua, const rg_limits *limits,
                           int64_t now, rg_error *err)
{
    char path[PATH_MAX];
    rgt_fmt(path, sizeof path, "%s/%s", dir, rel);
    rgt_write(NULL, path, lua, RGT_TEXT);
    return rg_policy_load(path, limits, now, err);
}

/* ---- The unit tests' fixture -------------------------------------------------------- */

int rgt_setup(void **state, const char *name, const char *outside)
{
    rgt_fixture *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    if (rgt_mktemp(f->path, sizeof f->path, name) != 0) {
        free(f);
        return -1;
    }
    if (outside && rgt_mktemp(f->outside, sizeof f->outside, outside) != 0) {
        rgt_rmtree(f->path);
        free(f);
        return -1;
    }
    f->limits = rg_limits_default();
    *state = f;
    return 0;
}

int rgt_teardown(void **state)
{
    rgt_fixture *f = *state;
    rg_decision_free(f->d);
    rg_policy_free(f->pol);
    rg_context_free(f->ctx);
    rg_error_clear(&f->err);
    rgt_rmtree(f->path);
    if (f->outside[0])
        rgt_rmtree(f->outside);
    free(f);
    return 0;
}

const char *rgt_at(const rgt_fixture *f, const char *rel)
{
    return rgt_path(f->path, rel);
}

void rgt_put_file(const rgt_fixture *f, const char *rel, const char *text)
{
    rgt_write(f->path, rel, text, RGT_TEXT);
}

/* ---- Plugin checks ------------------------------------------------------------------ */

const rg_check *rgt_find_check(const rg_plugin *plugin, const char *name)
{
    for (size_t i = 0; i < plugin->check_count; i++)
        if (strcmp(plugin->checks[i].name, name) == 0)
            return &plugin->checks[i];
    fail_msg("no check %s in the plugin's descriptor", name);
    return NULL;
}

rg_context *rgt_release(const char *dir, const char *commit, const char *evidence, const char *evidence_root)
{
    static const char form[] =
        "{\"release\": {\"name\": \"payments-api\", \"version\": \"2.4.0\", \"type\": \"minor\"%s%s%s},\n"
        " \"evidence\": {%s}}\n";
    rg_context_options opt;
    rg_error err = {0};
    rg_context *ctx;
    char *doc;
    int n;
    if (!evidence)
        evidence = "";
    n = snprintf(NULL, 0, form, commit ? ", \"commit\": \"" : "", commit ? commit : "", commit ? "\"" : "",
                 evidence);
    doc = malloc((size_t)n + 1);
    assert_non_null(doc);
    snprintf(doc, (size_t)n + 1, form, commit ? ", \"commit\": \"" : "", commit ? commit : "", commit ? "\"" : "",
             evidence);
    memset(&opt, 0, sizeof opt);
    opt.evidence_root = evidence_root;
    ctx = rgt_load_context(dir, "release.json", doc, &opt, &err);
    free(doc);
    if (!ctx)
        fail_msg("context refused: %s", err.message);
    rg_error_clear(&err);
    return ctx;
}

/* The parameters PARAMS as rg_check_params makes them for CHECK; with RGT_MISSING_OK,
 * against a copy of CHECK whose parameters are all optional and allow any value. */
static cJSON *engine_params(const rg_check *check, const char *params, unsigned flags, char *why, size_t why_size)
{
    cJSON *given = cJSON_Parse(params), *out;
    rg_check lax = *check;
    rg_param *decls = NULL;
    if (!given)
        fail_msg("test parameters are not JSON: %s", params);
    if (flags & RGT_MISSING_OK) {
        decls = calloc(check->param_count ? check->param_count : 1, sizeof *decls);
        assert_non_null(decls);
        for (size_t i = 0; i < check->param_count; i++) {
            decls[i] = check->params[i];
            decls[i].required = 0;
            decls[i].allowed = NULL;
        }
        lax.params = decls;
        check = &lax;
    }
    out = rg_check_params(check, given, why, why_size);
    free(decls);
    cJSON_Delete(given);
    return out;
}

void rgt_refused(const rg_check *check, const char *params, const char *needle)
{
    char why[512] = "";
    cJSON *norm = engine_params(check, params, 0, why, sizeof why);
    if (norm) {
        cJSON_Delete(norm);
        fail_msg("parameters %s accepted by the engine", params);
    }
    if (!strstr(why, needle))
        fail_msg("parameters %s refused with \"%s\", not \"%s\"", params, why, needle);
}

int rgt_run_check(const rg_check *check, const char *params, unsigned flags, const rg_context *ctx, int64_t now,
                  size_t max_evidence, rg_check_result *out)
{
    char why[512] = "";
    cJSON *norm = engine_params(check, params, flags, why, sizeof why);
    if (!norm) {
        if (flags & RGT_MUST_ACCEPT)
            fail_msg("parameters %s refused by the engine: %s", params, why);
        return -1;
    }
    rg_check_run_inline(check, norm, ctx, now, max_evidence ? max_evidence : (size_t)64 << 20, out);
    cJSON_Delete(norm);
    return 0;
}

const cJSON *rgt_detail(const rg_check_result *r, const char *path)
{
    const cJSON *node = r->details;
    char key[128];
    while (node && *path) {
        size_t n = strcspn(path, ".");
        char *end;
        long idx;
        if (n >= sizeof key)
            return NULL;
        memcpy(key, path, n);
        key[n] = '\0';
        idx = strtol(key, &end, 10);
        if (cJSON_IsArray(node) && *end == '\0' && end != key)
            node = cJSON_GetArrayItem(node, (int)idx);
        else
            node = cJSON_GetObjectItemCaseSensitive(node, key);
        path += n;
        if (*path == '.')
            path++;
    }
    return node;
}

double rgt_detail_number(const rg_check_result *r, const char *path)
{
    const cJSON *v = rgt_detail(r, path);
    if (!cJSON_IsNumber(v))
        fail_msg("details.%s is not a number", path);
    return v->valuedouble;
}

const char *rgt_detail_string(const rg_check_result *r, const char *path)
{
    const cJSON *v = rgt_detail(r, path);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

int rgt_detail_size(const rg_check_result *r, const char *path)
{
    const cJSON *v = rgt_detail(r, path);
    return cJSON_IsArray(v) ? cJSON_GetArraySize(v) : 0;
}

/* ---- Tests that need data from outside the repository ------------------------------ */

const char *rgt_env_path(const char *var, const char *sub)
{
    static char bufs[8][PATH_MAX];
    static int next;
    const char *dir = getenv(var);
    char *buf = bufs[next++ % 8];
    if (!dir || !*dir)
        return NULL;
    rgt_fmt(buf, PATH_MAX, "%s%s%s", dir, *sub ? "/" : "", sub);
    return buf;
}

int rgt_run_with_data(const char *name, const struct CMUnitTest *tests, const char *const *needs,
                      size_t count)
{
    struct CMUnitTest *keep = calloc(count ? count : 1, sizeof *keep);
    size_t kept = 0;
    int rc;
    if (!keep)
        return 1;
    for (size_t i = 0; i < count; i++) {
        if (needs[i] && access(needs[i], F_OK) != 0) {
            printf("# %s not run: %s is not there\n", tests[i].name, needs[i]);
            continue;
        }
        keep[kept++] = tests[i];
    }
    if (kept == 0) {
        printf("1..0 # SKIP %s: the data its tests need is not there\n", name);
        free(keep);
        return 0;
    }
    fflush(stdout);
    rc = _cmocka_run_group_tests(name, keep, kept, NULL, NULL);
    free(keep);
    return rc;
}

/* ---- Real tools ---------------------------------------------------------------------- */

int rgt_have(const char *name)
{
    const char *path = getenv("PATH");
    char full[PATH_MAX];
    while (path && *path) {
        size_t n = strcspn(path, ":");
        if ((size_t)snprintf(full, sizeof full, "%.*s/%s", (int)n, n ? path : ".", name) < sizeof full &&
            access(full, X_OK) == 0)
            return 1;
        path += n + (path[n] == ':');
    }
    return 0;
}

int rgt_run_tool(const char *dir, char *const argv[], char *const envp[], const char *log)
{
    extern char **environ;
    int status;
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        int in = open("/dev/null", O_RDONLY), out;
        if (chdir(dir) != 0 || in < 0 || (out = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644)) < 0)
            _exit(127);
        dup2(in, 0);
        dup2(out, 1);
        dup2(out, 2);
        environ = (char **)envp;   /* execvp searches the tool's own PATH */
        execvp(argv[0], argv);
        _exit(127);
    }
    if (rgt_wait_child(pid, &status, 120) != 0 || !WIFEXITED(status))
        return -1;
    return WEXITSTATUS(status);
}
