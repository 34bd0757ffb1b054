/* SemVer 2.0.0 parsing and comparison (https://semver.org/spec/v2.0.0.html). */
#ifndef RG_SEMVER_H
#define RG_SEMVER_H

#include <stddef.h>
#include <stdint.h>

typedef struct rg_semver {
    uint64_t major, minor, patch;
    /* Pre-release and build parts point into the parsed string (not
     * NUL-terminated); length 0 when absent. */
    const char *prerelease;
    size_t prerelease_len;
    const char *build;
    size_t build_len;
} rg_semver;

/* Parse TEXT as a strict SemVer 2.0.0 version: no leading "v", no leading
 * zeros in numeric identifiers, no empty identifiers, numbers within 2^63.
 * Returns 0 on success.  On failure returns -1 and, when WHY is not NULL,
 * stores a static English reason ("leading zero in minor version", ...). */
int rg_semver_parse(const char *text, rg_semver *out, const char **why);

/* Precedence per SemVer 2.0.0 section 11 (build metadata ignored):
 * negative, 0 or positive like strcmp. */
int rg_semver_compare(const rg_semver *a, const rg_semver *b);

typedef enum rg_bump {
    RG_BUMP_NONE,       /* same precedence */
    RG_BUMP_PATCH,      /* same major.minor, higher patch */
    RG_BUMP_MINOR,      /* same major, higher minor */
    RG_BUMP_MAJOR,      /* higher major */
    RG_BUMP_PRERELEASE, /* same major.minor.patch, higher precedence (pre-release moved on or became final) */
    RG_BUMP_DOWNGRADE   /* TO has lower precedence than FROM */
} rg_bump;

/* Which part changed going FROM -> TO.  The kind is that of the most
 * significant field that increased, so 1.2.3 -> 2.0.5 is MAJOR. */
rg_bump rg_semver_bump(const rg_semver *from, const rg_semver *to);

/* Does V lie in RANGE: comparators (<, <=, >, >=, = or none for equality) that must all
 * hold, separated by spaces, alternatives joined by "||": ">=1.2.0 <2.0.0 || 3.0.0".
 * Ordered by SemVer precedence, so 2.0.0-rc.1 is below 2.0.0.  Returns 1 or 0, or -1
 * with WHY (static text) when RANGE is not a range.  One reading for waivers and for
 * semver.satisfies. */
int rg_semver_satisfies(const rg_semver *v, const char *range, const char **why);

/* "none", "patch", "minor", "major", "prerelease", "downgrade". */
const char *rg_bump_name(rg_bump bump);

#endif
