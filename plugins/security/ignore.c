/* Ignore entries of the policy: "ID: YYYY-MM-DD: reason".  Every entry carries an
 * expiry and a reason, so that an ignore is a dated, explained decision; one without
 * them is malformed and does not apply. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "report.h"
#include "rfc3339.h"

static int shape_of_date(const char *s)
{
    for (int i = 0; i < 10; i++) {
        if (i == 4 || i == 7) {
            if (s[i] != '-')
                return 0;
        } else if (!isdigit((unsigned char)s[i])) {
            return 0;
        }
    }
    return 1;
}

static const char *skip_blanks(const char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    return p;
}

void sec_ignore_parse(const char *entry, int64_t now, sec_ignore *r)
{
    const char *sep = NULL, *date = NULL, *reason = NULL, *p, *end;
    int64_t days;
    size_t n;

    memset(r, 0, sizeof *r);
    r->entry = entry;
    r->state = SEC_IGNORE_MALFORMED;
    if (!entry) {
        snprintf(r->problem, sizeof r->problem, "not a string");
        return;
    }
    /* The separator is the first ':' followed by a date and another ':', so that an
     * id may itself contain colons. */
    for (p = strchr(entry, ':'); p; p = strchr(p + 1, ':')) {
        const char *q = skip_blanks(p + 1);
        if (strlen(q) >= 10 && shape_of_date(q) && *skip_blanks(q + 10) == ':') {
            sep = p;
            date = q;
            reason = skip_blanks(skip_blanks(q + 10) + 1);
            break;
        }
    }
    if (!sep) {
        snprintf(r->problem, sizeof r->problem, "expected \"ID: YYYY-MM-DD: reason\"");
        return;
    }
    p = skip_blanks(entry);
    for (end = sep; end > p && isspace((unsigned char)end[-1]); end--)
        ;
    n = (size_t)(end - p);
    if (n == 0) {
        snprintf(r->problem, sizeof r->problem, "no id before the date");
        return;
    }
    if (n >= sizeof r->id) {
        snprintf(r->problem, sizeof r->problem, "the id is longer than %zu characters", sizeof r->id - 1);
        return;
    }
    for (const char *c = p; c < end; c++)
        if (isspace((unsigned char)*c)) {
            snprintf(r->problem, sizeof r->problem, "the id contains a blank");
            return;
        }
    memcpy(r->id, p, n);
    r->id[n] = '\0';
    memcpy(r->until, date, 10);
    r->until[10] = '\0';
    if (rg_date_parse(r->until, &days) != 0) {
        snprintf(r->problem, sizeof r->problem, "%s is not a date", r->until);
        return;
    }
    for (end = reason + strlen(reason); end > reason && isspace((unsigned char)end[-1]); end--)
        ;
    n = (size_t)(end - reason);
    if (n == 0) {
        snprintf(r->problem, sizeof r->problem, "no reason after the date");
        return;
    }
    if (n >= sizeof r->reason)
        n = sizeof r->reason - 1;
    memcpy(r->reason, reason, n);
    r->reason[n] = '\0';
    if (now >= (days + 1) * 86400) {
        r->state = SEC_IGNORE_EXPIRED;
        snprintf(r->problem, sizeof r->problem, "expired at the end of %s (UTC)", r->until);
        return;
    }
    r->state = SEC_IGNORE_ACTIVE;
}
