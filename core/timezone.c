/* Local time in a named zone: localtime_r under TZ=":ZONE", the C library reading the
 * zone database.  glibc has no per-zone call, so TZ is set, read and restored under a
 * lock; nothing else in relgate reads the local time zone (decisions, logs and the
 * policy clock are UTC), so no other reader sees the change. */
#include "timezone.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>

static pthread_mutex_t tz_lock = PTHREAD_MUTEX_INITIALIZER;

/* An IANA zone name: letters, digits, '_', '-', '+' in '/'-separated parts, none of them
 * "." or ".." (a name is a path below the database: it must stay there). */
static int valid_zone(const char *zone)
{
    size_t n = strlen(zone), part = 0;
    if (n == 0 || n > 64 || zone[0] == '/')
        return 0;
    for (const char *p = zone; *p; p++) {
        if (*p == '/') {
            if (part == 0)
                return 0;
            part = 0;
            continue;
        }
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
              *p == '_' || *p == '-' || *p == '+' || *p == '.'))
            return 0;
        if (*p == '.' && (part == 0 || p[-1] == '.'))
            return 0;
        part++;
    }
    return part > 0;
}

/* Is ZONE a zone of the database (TZDIR, else /usr/share/zoneinfo): a regular file in
 * the compiled zone format ("TZif")?  The database's folder also holds tables
 * (zone.tab, tzdata.zi, leapseconds...) that the C library cannot read as a zone and
 * would silently take for UTC; and "localtime", the machine's own zone, would make the
 * answer depend on where the gate runs.  Neither is a zone here. */
static int in_database(const char *zone)
{
    const char *dir = getenv("TZDIR");
    char path[512], magic[4];
    struct stat st;
    int fd, zone_file;
    if (!dir || !*dir)
        dir = "/usr/share/zoneinfo";
    if (strcmp(zone, "localtime") == 0)
        return 0;
    if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, zone) >= sizeof path)
        return 0;
    if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)) < 0)
        return 0;
    zone_file = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && read(fd, magic, sizeof magic) == (ssize_t)sizeof magic &&
                memcmp(magic, "TZif", sizeof magic) == 0;
    close(fd);
    return zone_file;
}

int rg_local_time_in(int64_t t, const char *zone, rg_local_time *out, const char **why)
{
    char *saved = NULL, tz[80];
    const char *old;
    time_t when = (time_t)t;
    int ok;
    memset(out, 0, sizeof *out);
    if (!zone || !valid_zone(zone)) {
        *why = "not a time zone name (an IANA name such as \"Europe/Berlin\" or \"UTC\")";
        return -1;
    }
    if (!in_database(zone)) {
        *why = "not in the system's zone database (Debian: install tzdata)";
        return -1;
    }
    snprintf(tz, sizeof tz, ":%s", zone);
    pthread_mutex_lock(&tz_lock);
    old = getenv("TZ");
    if (old && !(saved = strdup(old))) {
        pthread_mutex_unlock(&tz_lock);
        *why = "out of memory";
        return -1;
    }
    setenv("TZ", tz, 1);
    tzset();
    ok = localtime_r(&when, &out->tm) != NULL;
    if (ok) {
        out->offset = out->tm.tm_gmtoff;
        snprintf(out->abbr, sizeof out->abbr, "%s", out->tm.tm_zone ? out->tm.tm_zone : "");
        out->tm.tm_zone = NULL;   /* points into the C library's state: not kept */
    }
    if (saved)
        setenv("TZ", saved, 1);
    else
        unsetenv("TZ");
    tzset();
    pthread_mutex_unlock(&tz_lock);
    free(saved);
    if (!ok) {
        *why = "the time is outside what the C library can convert";
        return -1;
    }
    return 0;
}
