/* SemVer 2.0.0: strict parsing, precedence (section 11) and bump kinds. */
#include "semver.h"

#include <string.h>

/* Numbers must stay below 2^63 so they fit an int64_t wherever they go. */
#define SV_LIMIT ((uint64_t)1 << 63)

static int isdigit_(int c) { return c >= '0' && c <= '9'; }

static int isident(int c)
{
    return isdigit_(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-';
}

static int isspace_(int c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static int fail(const char **why, const char *msg)
{
    if (why)
        *why = msg;
    return -1;
}

static const char *const sv_missing[] = {
    "missing major version", "missing minor version", "missing patch version"};
static const char *const sv_notnum[] = {
    "major version is not a number", "minor version is not a number",
    "patch version is not a number"};
static const char *const sv_zero[] = {
    "leading zero in major version", "leading zero in minor version",
    "leading zero in patch version"};

/* Numeric identifier number WHICH (0 major, 1 minor, 2 patch) at *PP. */
static int number(const char **pp, int which, uint64_t *v, const char **why)
{
    const char *p = *pp;
    uint64_t x = 0;
    if (!isdigit_(*p))
        return fail(why, (*p == '\0' || *p == '.') ? sv_missing[which] : sv_notnum[which]);
    if (*p == '0' && isdigit_(p[1]))
        return fail(why, sv_zero[which]);
    for (; isdigit_(*p); p++) {
        unsigned d = (unsigned)(*p - '0');
        if (x > (SV_LIMIT - 1 - d) / 10)
            return fail(why, "number too large");
        x = x * 10 + d;
    }
    *v = x;
    *pp = p;
    return 0;
}

/* Dot-separated identifiers at *PP; PRE adds the pre-release rule that
 * numeric identifiers have no leading zeros (build metadata may). */
static int idents(const char **pp, int pre, const char **why)
{
    const char *p = *pp;
    for (;;) {
        const char *s = p;
        int numeric = 1;
        for (; isident(*p); p++)
            if (!isdigit_(*p))
                numeric = 0;
        if (p == s) {
            int end = *p == '\0' || *p == '.' || (pre && *p == '+');
            if (pre)
                return fail(why, end ? "empty pre-release identifier"
                                     : "invalid character in pre-release");
            return fail(why, end ? "empty build identifier"
                                 : "invalid character in build metadata");
        }
        if (pre && numeric && *s == '0' && p - s > 1)
            return fail(why, "leading zero in numeric pre-release identifier");
        if (*p != '.')
            break;
        p++;
    }
    *pp = p;
    return 0;
}

int rg_semver_parse(const char *text, rg_semver *out, const char **why)
{
    rg_semver v;
    const char *p = text;
    if (!text || !*text)
        return fail(why, "empty version");
    for (; *p; p++)
        if (isspace_(*p))
            return fail(why, "whitespace in version");
    if (*text == 'v' || *text == 'V')
        return fail(why, "leading 'v' is not SemVer");
    memset(&v, 0, sizeof v);
    p = text;
    if (number(&p, 0, &v.major, why))
        return -1;
    if (*p != '.')
        return fail(why, *p ? "expected '.' after major version" : sv_missing[1]);
    p++;
    if (number(&p, 1, &v.minor, why))
        return -1;
    if (*p != '.')
        return fail(why, *p ? "expected '.' after minor version" : sv_missing[2]);
    p++;
    if (number(&p, 2, &v.patch, why))
        return -1;
    if (*p == '-') {
        v.prerelease = ++p;
        if (idents(&p, 1, why))
            return -1;
        v.prerelease_len = (size_t)(p - v.prerelease);
        if (*p != '\0' && *p != '+')
            return fail(why, "invalid character in pre-release");
    }
    if (*p == '+') {
        v.build = ++p;
        if (idents(&p, 0, why))
            return -1;
        v.build_len = (size_t)(p - v.build);
        if (*p != '\0')
            return fail(why, "invalid character in build metadata");
    }
    if (*p != '\0')
        return fail(why, "invalid character after patch version");
    if (out)
        *out = v;
    return 0;
}

static int cmpu64(uint64_t a, uint64_t b) { return (a > b) - (a < b); }
static int cmpsize(size_t a, size_t b) { return (a > b) - (a < b); }

static int alldigits(const char *s, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++)
        if (!isdigit_(s[i]))
            return 0;
    return n > 0;
}

/* One pre-release identifier pair, section 11.4.1-11.4.3. */
static int cmpident(const char *a, size_t na, const char *b, size_t nb)
{
    int da = alldigits(a, na), db = alldigits(b, nb), c;
    if (da && db) {
        /* Compare as numbers of any size: without leading zeros the
         * longer one is larger, equal lengths compare bytewise. */
        for (; na > 1 && *a == '0'; a++, na--) {}
        for (; nb > 1 && *b == '0'; b++, nb--) {}
        if (na != nb)
            return cmpsize(na, nb);
        c = memcmp(a, b, na);
        return (c > 0) - (c < 0);
    }
    if (da != db)
        return da ? -1 : 1; /* numeric < alphanumeric */
    c = memcmp(a, b, na < nb ? na : nb);
    if (c)
        return (c > 0) - (c < 0);
    return cmpsize(na, nb);
}

/* Pre-release lists, section 11.3-11.4; an empty list is a release. */
static int cmppre(const char *a, size_t na, const char *b, size_t nb)
{
    size_t i = 0, j = 0;
    if (na == 0 || nb == 0)
        return (na == 0) - (nb == 0); /* release > pre-release */
    for (;;) {
        size_t ei = i, ej = j;
        int c;
        while (ei < na && a[ei] != '.')
            ei++;
        while (ej < nb && b[ej] != '.')
            ej++;
        c = cmpident(a + i, ei - i, b + j, ej - j);
        if (c)
            return c;
        i = ei + 1; /* past the dot, or past the end when this was the last */
        j = ej + 1;
        if (i > na || j > nb)
            return (i <= na) - (j <= nb); /* fewer identifiers is lower */
    }
}

int rg_semver_compare(const rg_semver *a, const rg_semver *b)
{
    int c;
    if ((c = cmpu64(a->major, b->major)) != 0)
        return c;
    if ((c = cmpu64(a->minor, b->minor)) != 0)
        return c;
    if ((c = cmpu64(a->patch, b->patch)) != 0)
        return c;
    return cmppre(a->prerelease, a->prerelease_len, b->prerelease, b->prerelease_len);
}

rg_bump rg_semver_bump(const rg_semver *from, const rg_semver *to)
{
    int c = rg_semver_compare(from, to);
    if (c > 0)
        return RG_BUMP_DOWNGRADE;
    if (c == 0)
        return RG_BUMP_NONE;
    /* TO is higher, so the first differing core field went up. */
    if (to->major != from->major)
        return RG_BUMP_MAJOR;
    if (to->minor != from->minor)
        return RG_BUMP_MINOR;
    if (to->patch != from->patch)
        return RG_BUMP_PATCH;
    return RG_BUMP_PRERELEASE;
}

const char *rg_bump_name(rg_bump bump)
{
    switch (bump) {
    case RG_BUMP_NONE: return "none";
    case RG_BUMP_PATCH: return "patch";
    case RG_BUMP_MINOR: return "minor";
    case RG_BUMP_MAJOR: return "major";
    case RG_BUMP_PRERELEASE: return "prerelease";
    case RG_BUMP_DOWNGRADE: return "downgrade";
    }
    return "unknown";
}

/* One comparator of a range ("<=1.2.3", "1.2.3"): does V satisfy it?  1, 0, or -1 with
 * WHY (static) when the comparator is not one. */
static int satisfies_comparator(const rg_semver *v, const char *text, size_t len, const char **why)
{
    char buf[256];
    size_t op = 0;
    rg_semver bound;
    int c;
    while (op < len && op < 2 && (text[op] == '<' || text[op] == '>' || text[op] == '='))
        op++;
    if (len - op == 0 || len - op >= sizeof buf) {
        *why = "a comparator is an operator (<, <=, >, >=, =) and a version";
        return -1;
    }
    memcpy(buf, text + op, len - op);
    buf[len - op] = '\0';
    if (rg_semver_parse(buf, &bound, why) != 0)
        return -1;
    c = rg_semver_compare(v, &bound);
    if (op == 0 || (op == 1 && text[0] == '=')) return c == 0;
    if (op == 1 && text[0] == '<') return c < 0;
    if (op == 1 && text[0] == '>') return c > 0;
    if (op == 2 && text[1] == '=' && text[0] == '<') return c <= 0;
    if (op == 2 && text[1] == '=' && text[0] == '>') return c >= 0;
    *why = "unknown operator (use <, <=, >, >=, =)";
    return -1;
}

int rg_semver_satisfies(const rg_semver *v, const char *range, const char **why)
{
    /* Alternatives joined by "||"; each a list of comparators, all of which must hold.
     * Every comparator is parsed, even after the answer is known: a range that is
     * malformed anywhere is refused, never half-read. */
    int any = 0, alternatives = 0;
    const char *p = range;
    *why = NULL;
    for (;;) {
        int all = 1, comparators = 0;
        const char *end = strstr(p, "||");
        const char *stop = end ? end : p + strlen(p);
        while (p < stop) {
            const char *start;
            int r;
            while (p < stop && (*p == ' ' || *p == '\t'))
                p++;
            if (p == stop)
                break;
            start = p;
            /* an operator may stand apart from its version: ">= 1.2.0" */
            while (p < stop && (*p == '<' || *p == '>' || *p == '='))
                p++;
            while (p < stop && (*p == ' ' || *p == '\t') && p > start && (p[-1] == '<' || p[-1] == '>' || p[-1] == '='))
                p++;
            while (p < stop && *p != ' ' && *p != '\t')
                p++;
            {
                char joined[256];
                size_t n = 0;
                for (const char *q = start; q < p; q++)
                    if (*q != ' ' && *q != '\t' && n + 1 < sizeof joined)
                        joined[n++] = *q;
                    else if (*q != ' ' && *q != '\t')
                        n = sizeof joined;   /* too long: refused below, never cut (round 28, F05) */
                if (n >= sizeof joined) {
                    *why = "a comparator longer than 254 bytes";
                    return -1;
                }
                joined[n] = '\0';
                r = satisfies_comparator(v, joined, n, why);
            }
            if (r < 0)
                return -1;
            all &= r;
            comparators++;
        }
        if (comparators == 0) {
            *why = "an empty alternative: a range is comparators like \">=1.2.0 <2.0.0\", alternatives joined by ||";
            return -1;
        }
        any |= all;
        alternatives++;
        if (!end)
            break;
        p = end + 2;
    }
    return any && alternatives > 0;
}
