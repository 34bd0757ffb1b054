/* Helpers shared by the commands. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <limits.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "fileio.h"
#include "untrusted.h"

/* Error messages quote the context, the policy and its tracebacks: each line goes out
 * neutralised behind our prefix (untrusted.h), so none reads as a CI command. */
static void report_line(const char *prefix, const char *text)
{
    if (!text || !*text)
        fprintf(stderr, "%s\n", prefix); /* the line is still there: something failed */
    else
        rg_write_untrusted_lines(stderr, prefix, text, strlen(text));
}

void rg_cli_retract(const char *path)
{
    int rc = rg_file_retract(path);
    if (rc == 1)
        fprintf(stderr, "relgate: warning: %s is a symbolic link, left as it is: it may lead to an earlier "
                        "answer\n", path);
    else if (rc < 0)
        fprintf(stderr, "relgate: warning: %s may still hold an earlier answer: it can be neither replaced, "
                        "removed nor emptied (%s)\n", path, strerror(errno));
}

void rg_cli_report(const rg_error *err)
{
    if (err->file[0] && !strstr(err->message, err->file)) {
        size_t n = strlen(err->file) + strlen(err->message) + 3;
        char *line = malloc(n);
        if (line) {
            snprintf(line, n, "%s: %s", err->file, err->message);
            report_line("relgate: error: ", line);
            free(line);
        } else {
            report_line("relgate: error: ", err->message);
        }
    } else {
        report_line("relgate: error: ", err->message);
    }
    for (int i = 1; i < err->problem_count; i++)
        report_line("relgate: error: ", err->problems[i]);
    if (err->traceback)
        report_line("relgate: ", err->traceback);
}

int rg_cli_parse_size(const char *text, size_t *out)
{
    char *end;
    unsigned long long v, mult = 1;
    if (!text || !*text || *text == '-' || *text == '+')
        return -1;
    errno = 0;
    v = strtoull(text, &end, 10);
    if (errno || end == text)
        return -1;
    if (*end) {
        switch (*end++) {
        case 'k': case 'K': mult = 1ull << 10; break;
        case 'm': case 'M': mult = 1ull << 20; break;
        case 'g': case 'G': mult = 1ull << 30; break;
        default: return -1;
        }
        if (*end == 'i') end++;
        if (*end == 'B') end++;
        if (*end) return -1;
    }
    if (v == 0 || v > (unsigned long long)SIZE_MAX / mult)
        return -1;
    *out = (size_t)(v * mult);
    return 0;
}

int rg_cli_parse_count(const char *text, uint64_t *out)
{
    char *end;
    unsigned long long v;
    if (!text || !*text || *text == '-' || *text == '+')
        return -1;
    errno = 0;
    v = strtoull(text, &end, 10);
    if (errno || end == text || *end || v == 0)
        return -1;
    *out = v;
    return 0;
}

int rg_cli_parse_seconds(const char *text, double *out)
{
    char *end;
    double v;
    if (!text || !*text || *text == '-' || *text == '+')
        return -1;
    errno = 0;
    v = strtod(text, &end);
    if (errno || end == text || !isfinite(v))
        return -1;
    if (strcmp(end, "ms") == 0) v /= 1000.0;
    else if (strcmp(end, "s") == 0 || *end == '\0') ;
    else return -1;
    if (v <= 0 || v > 86400)
        return -1;
    *out = v;
    return 0;
}

int rg_cli_limit_option(const char *name, const char *value, rg_limits *limits, char *why, size_t why_size)
{
    const char *want = NULL;
    uint64_t n = 0;
    if (strcmp(name, "--timeout") == 0) {
        if (rg_cli_parse_seconds(value, &limits->timeout) != 0)
            want = "a number of seconds between 0 and 86400";
    } else if (strcmp(name, "--max-memory") == 0) {
        if (rg_cli_parse_size(value, &limits->max_memory) != 0 || limits->max_memory < (1u << 20))
            want = "a size of at least 1M, such as 64M";
    } else if (strcmp(name, "--max-instructions") == 0) {
        if (rg_cli_parse_count(value, &limits->max_instructions) != 0)
            want = "a positive whole number";
    } else if (strcmp(name, "--jobs") == 0) {
        if (rg_cli_parse_count(value, &n) != 0 || n > 256)
            want = "a number from 1 to 256";
        else
            limits->jobs = (int)n;
    } else if (strcmp(name, "--check-timeout") == 0) {
        if (rg_cli_parse_seconds(value, &limits->check_timeout) != 0)
            want = "a number of seconds between 0 and 86400";
    } else if (strcmp(name, "--check-memory") == 0) {
        if (rg_cli_parse_size(value, &limits->check_memory) != 0 || limits->check_memory < (16u << 20))
            want = "a size of at least 16M";
    } else if (strcmp(name, "--max-context-size") == 0) {
        if (rg_cli_parse_size(value, &limits->max_context_bytes) != 0)
            want = "a size such as 16M";
    } else if (strcmp(name, "--max-evidence-size") == 0) {
        if (rg_cli_parse_size(value, &limits->max_evidence_bytes) != 0)
            want = "a size such as 1M";
    } else if (strcmp(name, "--max-check-evidence-size") == 0) {
        if (rg_cli_parse_size(value, &limits->max_check_evidence_bytes) != 0)
            want = "a size such as 256M";
    } else if (strcmp(name, "--max-json-depth") == 0) {
        if (rg_cli_parse_count(value, &n) != 0 || n > 1000)   /* cJSON itself stops at 1000 */
            want = "a number from 1 to 1000";
        else
            limits->max_json_depth = (int)n;
    } else if (strcmp(name, "--max-requirements") == 0) {
        if (rg_cli_parse_count(value, &n) != 0 || n > 1000000)
            want = "a number from 1 to 1000000";
        else
            limits->max_requirements = (int)n;
    } else {
        want = "a limit";
    }
    if (!want)
        return 0;
    snprintf(why, why_size, "%s", want);
    return -1;
}

int rg_cli_write_stdout(const char *data, size_t len)
{
    return rg_write_all(STDOUT_FILENO, data, len);
}

int rg_cli_usage(const char *command, const char *message)
{
    fprintf(stderr, "relgate: error: %s (see relgate %s --help)\n", message, command);
    return RG_EXIT_ERROR;
}

#define RG_STRINGIFY(x) #x
#define RG_NUMBER(x) RG_STRINGIFY(x)

const char *rg_cli_plugin_dir_add(const char **dirs, size_t *count, const char *dir)
{
    if (*count >= RG_CLI_MAX_PLUGIN_DIRS)
        return "at most " RG_NUMBER(RG_CLI_MAX_PLUGIN_DIRS) " --plugin-path options";
    dirs[(*count)++] = dir;
    return NULL;
}

int rg_cli_plugin_dir(const char *command, const char **dirs, size_t *count, const char *dir)
{
    const char *why = rg_cli_plugin_dir_add(dirs, count, dir);
    return why ? rg_cli_usage(command, why) : -1;
}

int rg_cli_policy_path(const char *dir, char *why, size_t why_size)
{
    /* The directories given, in order, in front of RELGATE_POLICY_PATH as the command
     * started with it: the engine reads the one variable (batch workers inherit it). */
    static char *given, *original;
    static int have_original;
    struct stat st;
    char *joined;
    size_t n;
    if (strchr(dir, ':') || stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        snprintf(why, why_size, "--policy-path '%.200s' is not a directory%s", dir,
                 strchr(dir, ':') ? " (a ':' separates directories of RELGATE_POLICY_PATH: give each once)" : "");
        return -1;
    }
    if (!have_original) {
        const char *env = getenv("RELGATE_POLICY_PATH");
        original = env && *env ? strdup(env) : NULL;
        have_original = 1;
    }
    n = (given ? strlen(given) + 1 : 0) + strlen(dir) + (original ? strlen(original) + 1 : 0) + 1;
    if (!(joined = malloc(n))) {
        snprintf(why, why_size, "out of memory");
        return -1;
    }
    snprintf(joined, n, "%s%s%s", given ? given : "", given ? ":" : "", dir);
    free(given);
    given = joined;
    if (!(joined = malloc(n))) {
        snprintf(why, why_size, "out of memory");
        return -1;
    }
    snprintf(joined, n, "%s%s%s", given, original ? ":" : "", original ? original : "");
    setenv("RELGATE_POLICY_PATH", joined, 1);
    free(joined);
    return 0;
}

static int streams_closed;   /* bit FD: descriptor FD was closed at the start */

int rg_cli_standard_streams(void)
{
    /* A descriptor 0, 1 or 2 left closed by the caller (`<&-`) is taken by the first file
     * relgate opens: a batch read a plugin's .so as its contexts from "standard input",
     * and logged an error record a line of it; an import read its own temporary file
     * (hostile round 37b, F01).  /dev/null takes the place of standard input and error
     * (nothing read, nothing shown); opened for reading only in that of standard output,
     * so that an answer written there still fails (EBADF), as it did on the closed
     * descriptor: exit 2, the answer did not reach the caller (/dev/full, first used,
     * may be missing in a container, and /dev/null for writing would take the answer). */
    for (int fd = 0; fd <= 2; fd++) {
        int null;
        if (fcntl(fd, F_GETFD) != -1 || errno != EBADF)
            continue;
        streams_closed |= 1 << fd;
        if ((null = open("/dev/null", fd == 2 ? O_WRONLY : O_RDONLY)) < 0)
            return -1;
        if (null != fd && (dup2(null, fd) != fd || close(null) != 0))
            return -1;
    }
    return 0;
}

int rg_cli_beneath(const char *dir, const char *path)
{
    char d[PATH_MAX], parent[PATH_MAX], *slash;
    size_t n;
    if (!dir || !path || !realpath(dir, d))
        return 0;
    if (!realpath(path, parent)) {   /* not made yet: its folder's place */
        if (strlen(path) >= sizeof parent)
            return 0;
        strcpy(parent, path);
        slash = strrchr(parent, '/');
        if (!slash)
            strcpy(parent, ".");
        else if (slash == parent)
            parent[1] = '\0';
        else
            *slash = '\0';
        char resolved[PATH_MAX];
        if (!realpath(parent, resolved))
            return 0;
        strcpy(parent, resolved);
    }
    n = strlen(d);
    return strncmp(parent, d, n) == 0 && (parent[n] == '/' || parent[n] == '\0' || (n == 1 && d[0] == '/'));
}

int rg_cli_is_stdin_file(const char *path)
{
    struct stat in, at;
    return path && fstat(STDIN_FILENO, &in) == 0 && S_ISREG(in.st_mode) && stat(path, &at) == 0 &&
           in.st_dev == at.st_dev && in.st_ino == at.st_ino;
}

int rg_cli_stream_closed(int fd)
{
    return fd >= 0 && fd <= 2 && (streams_closed & (1 << fd));
}

void rg_cli_undumpable(void)
{
    /* From its first instruction, not when it first starts a plugin process: a batch's
     * parent with a warm plugin cache, relgate serve's main process and its workers
     * start none themselves, and a plugin's check of the same user read their
     * environment and wrote their memory through /proc (hostile round 33, F03).  Plugin
     * hosts are also confined (core/plugin_confine.c); this holds where the kernel has
     * no Landlock. */
    prctl(PR_SET_DUMPABLE, 0);
}
