/* A release gate embedded in another program through librelgate (docs/embedding.md).
 *
 *     cc gate.c $(pkg-config --cflags --libs relgate) -o gate
 *     ./gate POLICY CONTEXT [NOW]
 *
 * Loads the check plugins relgate finds ($RELGATE_PLUGIN_PATH, then the installed plugin
 * directory), the policy and the release context, evaluates the gate, prints the verdict
 * and one line per requirement, and exits as relgate eval does: 0 allow or warn, 1 deny,
 * 2 the gate could not be evaluated. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <relgate/relgate.h>

int main(int argc, char **argv)
{
    rg_error err = {0};
    rg_limits limits = rg_limits_default();
    int64_t now = (int64_t)time(NULL);
    rg_plugins *plugins = NULL;
    rg_context *ctx = NULL;
    rg_policy *policy = NULL;
    rg_decision *decision = NULL;
    char *text;
    int code;

    if (argc < 3 || (argc > 3 && rg_time_parse(argv[3], &now) != 0)) {
        fprintf(stderr, "usage: gate POLICY CONTEXT [RFC3339-TIME]\n");
        return 2;
    }
    plugins = rg_plugins_load(NULL, 0, 1, &err);
    if (plugins)
        ctx = rg_context_load(argv[2], NULL, &err);
    if (ctx)
        policy = rg_policy_load_with_plugins(argv[1], &limits, now, plugins, &err);
    if (policy)
        decision = rg_evaluate(policy, ctx, &err);
    if (!decision) {
        /* Fail closed: no decision is an error decision, never an allow. */
        fprintf(stderr, "gate: %s error: %s\n", rg_error_kind_name(err.kind), err.message);
        code = 2;
    } else {
        text = rg_decision_render(decision, RG_FORMAT_TEXT, 0);
        printf("verdict: %s\n%s", rg_verdict_name(rg_decision_verdict(decision)), text ? text : "");
        free(text);
        code = rg_verdict_exit_code(rg_decision_verdict(decision), 0);
    }
    rg_decision_free(decision);
    rg_policy_free(policy);
    rg_context_free(ctx);
    rg_plugins_free(plugins);
    rg_error_clear(&err);
    return code;
}
