/* What a check's status or conclusion means, across GitHub and GitLab vocabularies. */
#include <string.h>
#include <strings.h>

#include "ci_parse.h"

static int member(const char *s, const char *const *set)
{
    for (; s && *set; set++)
        if (strcasecmp(s, *set) == 0)
            return 1;
    return 0;
}

int ci_state_failing(const char *state)
{
    static const char *const failing[] = {
        "failure", "timed_out", "cancelled", "action_required", "startup_failure", "stale",
        "error",                                 /* GitHub commit statuses */
        "failed", "canceled", "canceling",       /* GitLab */
        NULL};
    return member(state, failing);
}

int ci_state_pending(const char *state)
{
    static const char *const pending[] = {
        "queued", "in_progress", "waiting", "requested", "pending", "expected",   /* GitHub */
        "created", "waiting_for_resource", "preparing", "running", "scheduled",   /* GitLab */
        "manual", "waiting_for_callback",
        NULL};
    return member(state, pending);
}

ci_outcome ci_classify(const char *state, const char *const *success, size_t n)
{
    if (!state || !*state)
        return CI_FAILED;
    for (size_t i = 0; i < n; i++)
        if (success[i] && strcasecmp(state, success[i]) == 0 && !ci_state_failing(state))
            return CI_PASSED;
    if (ci_state_pending(state))
        return CI_PENDING;
    return CI_FAILED;
}
