/* Unit tests for cli/hooks_config.c and cli/hooks_payload.c: the hooks' configuration,
 * request templates, where a credential may go, and reading the tools' webhooks. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "hooks_config.h"
#include "hooks_jobs.h"
#include "hooks_payload.h"
#include "rgtest.h"

#define SHA "8c4e2d19a07b3f5e6c1d8a9b2e4f70c3d5a6b8e1"
#define API "http://127.0.0.1:8089"

static char *dir;

static void chmod_in(const char *name, mode_t mode)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    assert_int_equal(chmod(path, mode), 0);
}

static int setup(void **state)
{
    (void)state;
    dir = rgt_tmpdir("hooks-config");
    rgt_write(dir, "gh.secret", "webhook-secret\n", 15);
    rgt_write(dir, "gl.secret", "gitlab-token", 12);
    rgt_write(dir, "empty.secret", "\n", 1);
    rgt_write(dir, "token", "ghs_installation\n", 17);
    rgt_write(dir, "open.secret", "webhook-secret\n", 15);
    /* Secrets are read only when their owner alone may read them (rg_read_trusted_file). */
    for (const char *const *name = (const char *const[]){"gh.secret", "gl.secret", "empty.secret", "token", NULL};
         *name; name++)
        chmod_in(*name, 0600);
    chmod_in("open.secret", 0644);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    rgt_rmtree(dir);
    free(dir);
    return 0;
}

#define CONFIG                                                                                              \
    "{\"github\": {\"webhook_secret_file\": \"gh.secret\", \"token_file\": \"token\", \"api_url\": \"" API "/\", " \
    "  \"rules\": [{\"repository\": \"octo-org/payments\", \"environment\": \"production\", \"request\": "      \
    "    {\"stage\": \"deploy\", \"context\": {\"release\": {\"name\": \"payments\", \"version\": \"${ref}\"}, " \
    "     \"evidence\": {\"checks\": {\"github\": \"check-runs\", \"repo\": \"${repository}\", \"ref\": \"${sha}\"}}}}}," \
    "    {\"repository\": \"*\", \"request\": {\"context\": {\"env\": \"${environment}\"}}}]}, "                  \
    " \"gitlab\": {\"webhook_token_file\": \"gl.secret\", \"token_file\": \"token\", \"api_url\": \"" API "/api/v4\", " \
    "  \"rules\": [{\"project\": 4211, \"request\": {\"context\": {\"sha\": \"${sha}\"}}}, "                  \
    "             {\"project\": \"*\", \"request\": {\"context\": {\"lax\": true}}}]}, "                    \
    " \"argo\": {\"rules\": [{\"name\": \"canary\", \"request\": {\"context\": {\"v\": \"${args.version}\"}}}]}, " \
    " \"callbacks\": {\"attempts\": 3, \"backoff\": 0.1}}"

static hooks_config *parse(const char *text, char *why)
{
    return hooks_config_parse(text, dir, why, 512);
}

static void loads_and_fills(void **state)
{
    char why[512] = "", *req;
    hooks_config *c = parse(CONFIG, why);
    const hooks_rule *r;
    hooks_vars vars = {0};
    (void)state;
    assert_non_null(c);
    assert_string_equal(c->github.api_url, API);   /* the trailing '/' dropped */
    assert_string_equal(c->github.secret, "webhook-secret");   /* the line break dropped */
    assert_int_equal(c->github.secret_len, 14);
    assert_string_equal(c->gitlab.secret, "gitlab-token");
    assert_int_equal(c->attempts, 3);
    assert_int_equal(c->workers, 2);   /* the default */
    assert_true(c->argo.enabled);

    r = hooks_rule_find(&c->github, "octo-org/payments", NULL, "production");
    assert_ptr_equal(r, &c->github.rules[0]);
    assert_ptr_equal(hooks_rule_find(&c->github, "octo-org/payments", NULL, "staging"), &c->github.rules[1]);
    assert_ptr_equal(hooks_rule_find(&c->github, "other/repo", NULL, "production"), &c->github.rules[1]);
    assert_ptr_equal(hooks_rule_find(&c->gitlab, "4211", NULL, "production"), &c->gitlab.rules[0]);
    assert_ptr_equal(hooks_rule_find(&c->gitlab, "4212", NULL, "production"), &c->gitlab.rules[1]);
    /* Rule by rule: the project's ID rule judges it, not the catch-all after it that its
     * path matches too (hostile round 26, F02). */
    assert_ptr_equal(hooks_rule_find(&c->gitlab, "payments/api", "4211", "production"), &c->gitlab.rules[0]);
    assert_ptr_equal(hooks_rule_find(&c->gitlab, "other/tool", "4212", "production"), &c->gitlab.rules[1]);
    /* GitHub's names are one whatever their case: "Production" is the production rule's,
     * not the catch-all's after it; GitLab compares them exactly. */
    assert_ptr_equal(hooks_rule_find(&c->github, "Octo-Org/Payments", NULL, "Production"), &c->github.rules[0]);
    assert_ptr_equal(hooks_rule_find(&c->github, "octo-org/payments", NULL, "PRODUCTION"), &c->github.rules[0]);

    hooks_vars_set(&vars, "ref", "v1.4.0");
    hooks_vars_set(&vars, "repository", "octo-org/payments");
    hooks_vars_set(&vars, "sha", SHA);
    req = hooks_request_build(r, &vars, why, sizeof why);
    assert_non_null(req);
    assert_string_equal(req, "{\"stage\":\"deploy\",\"context\":{\"release\":{\"name\":\"payments\",\"version\":"
                             "\"v1.4.0\"},\"evidence\":{\"checks\":{\"github\":\"check-runs\",\"repo\":"
                             "\"octo-org/payments\",\"ref\":\"" SHA "\"}}}}");
    free(req);

    /* A value is a JSON string, whatever it holds: no way to change the template's shape. */
    vars.values[0] = "\",\"stage\":\"pre-release";
    req = hooks_request_build(r, &vars, why, sizeof why);
    assert_non_null(strstr(req, "\"version\":\"\\\",\\\"stage\\\":\\\"pre-release\""));
    free(req);

    /* A placeholder without a value: no request. */
    vars.n = 1;
    assert_null(hooks_request_build(r, &vars, why, sizeof why));
    assert_non_null(strstr(why, "${repository}"));
    hooks_config_free(c);
}

static void refuses_bad_configurations(void **state)
{
    static const struct { const char *text, *says; } bad[] = {
        {"[]", "not a JSON object"},
        {"{}", "none of github"},
        {"{\"githbu\": {}}", "unknown member \"githbu\""},
        {"{\"github\": {\"token_file\": \"token\", \"rules\": [{\"repository\": \"*\", \"request\": {}}]}}",
         "webhook_secret_file is required"},
        {"{\"github\": {\"webhook_secret_file\": \"empty.secret\", \"token_file\": \"token\", \"rules\": "
         "[{\"repository\": \"*\", \"request\": {}}]}}", "is empty"},
        {"{\"github\": {\"webhook_secret_file\": \"open.secret\", \"token_file\": \"token\", \"rules\": "
         "[{\"repository\": \"*\", \"request\": {}}]}}", "may be read by others than its owner (mode 644)"},
        {"{\"github\": {\"webhook_secret_file\": \"missing.secret\", \"token_file\": \"token\", \"rules\": "
         "[{\"repository\": \"*\", \"request\": {}}]}}", "missing.secret"},
        {"{\"github\": {\"webhook_secret_file\": \"gh.secret\", \"token_file\": \"token\", \"api_url\": "
         "\"http://api.example.com\", \"rules\": [{\"repository\": \"*\", \"request\": {}}]}}", "https:// only"},
        {"{\"github\": {\"webhook_secret_file\": \"gh.secret\", \"token_file\": \"token\", \"api_url\": "
         "\"http://127.0.0.1.evil.example\", \"rules\": [{\"repository\": \"*\", \"request\": {}}]}}", "https:// only"},
        {"{\"github\": {\"webhook_secret_file\": \"gh.secret\", \"token_file\": \"token\", \"rules\": []}}",
         "non-empty array"},
        {"{\"github\": {\"webhook_secret_file\": \"gh.secret\", \"token_file\": \"token\", \"rules\": "
         "[{\"repository\": \"*\", \"request\": {\"context\": {\"x\": \"${shaa}\"}}}]}}", "unknown placeholder \"${shaa}\""},
        {"{\"github\": {\"webhook_secret_file\": \"gh.secret\", \"token_file\": \"token\", \"rules\": "
         "[{\"repository\": \"*\", \"request\": {\"context\": {\"x\": \"${args.v}\"}}}]}}", "unknown placeholder"},
        {"{\"github\": {\"webhook_secret_file\": \"gh.secret\", \"token_file\": \"token\", \"rules\": "
         "[{\"repository\": \"*\", \"enviroment\": \"prod\", \"request\": {}}]}}", "unknown member \"enviroment\""},
        {"{\"argo\": {\"rules\": [{\"name\": \"x\", \"request\": {\"a\": \"${sha}\"}}]}}", "unknown placeholder"},
        {"{\"argo\": {\"rules\": [{\"request\": {}}]}}", "name is required"},
        {"{\"argo\": {\"rules\": [{\"name\": \"x\", \"environment\": \"prod\", \"request\": {}}]}}",
         "unknown member \"environment\""},
        {"{\"github\": {\"webhook_secret_file\": \"gh.secret\", \"token_file\": \"token\", \"rules\": "
         "[{\"project\": \"a/b\", \"request\": {}}]}}", "unknown member \"project\""},
        {"{\"argo\": {\"rules\": [{\"name\": \"x\", \"request\": {}}]}, \"callbacks\": {\"attempts\": 100}}",
         "attempts must be a number from 1 to 10"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char why[512] = "";
        hooks_config *c = parse(bad[i].text, why);
        if (c || !strstr(why, bad[i].says))
            fail_msg("case %zu: %s: got \"%s\", wanted \"%s\"", i, bad[i].text, why, bad[i].says);
    }
}

static void url_beneath(void **state)
{
    (void)state;
    assert_true(hooks_url_beneath(API "/repos/o/r/actions/runs/1/deployment_protection_rule", API));
    assert_true(hooks_url_beneath("https://api.github.com/repos/o/r", "https://api.github.com"));
    assert_false(hooks_url_beneath(API, API));                                 /* the base itself */
    assert_false(hooks_url_beneath(API "0/repos", API));                       /* another port */
    assert_false(hooks_url_beneath(API ".evil.example/repos", API));
    assert_false(hooks_url_beneath(API "@evil.example/repos", API));
    assert_false(hooks_url_beneath("https://api.github.com.evil.example/x", "https://api.github.com"));
    assert_false(hooks_url_beneath("https://api.github.com/x/../../evil", "https://api.github.com"));
    assert_false(hooks_url_beneath("https://api.github.com/x/./y", "https://api.github.com"));
    assert_false(hooks_url_beneath("https://api.github.com//evil.example/x", "https://api.github.com"));
    assert_false(hooks_url_beneath("https://api.github.com/x%2F..%2Fy", "https://api.github.com"));
    assert_false(hooks_url_beneath("https://api.github.com/x?to=evil", "https://api.github.com"));
    assert_false(hooks_url_beneath("https://api.github.com/x#y", "https://api.github.com"));
    assert_false(hooks_url_beneath("https://api.github.com/x\\y", "https://api.github.com"));
    assert_false(hooks_url_beneath("http://api.github.com/x", "https://api.github.com"));
    assert_false(hooks_url_beneath(NULL, "https://api.github.com"));
}

#define GH_PAYLOAD(action, sha, url)                                                                              \
    "{\"action\": \"" action "\", \"environment\": \"production\", \"event\": \"push\", "                       \
    "\"deployment_callback_url\": \"" url "\", \"deployment\": {\"id\": 1234, \"sha\": \"" sha "\", "          \
    "\"ref\": \"v1.4.0\"}, \"repository\": {\"full_name\": \"octo-org/payments\", \"owner\": {\"login\": "     \
    "\"octo-org\"}}, \"sender\": {\"login\": \"hubot\"}}"
#define CALLBACK API "/repos/octo-org/payments/actions/runs/99/deployment_protection_rule"

static int gh(const char *payload, hooks_delivery *d, char *why)
{
    return hooks_github_parse(payload, strlen(payload), API, d, why, 512);
}

static const char *var(const hooks_delivery *d, const char *name)
{
    for (size_t i = 0; i < d->vars.n; i++)
        if (!strcmp(d->vars.names[i], name))
            return d->vars.values[i];
    return NULL;
}

static void github_payloads(void **state)
{
    hooks_delivery d;
    char why[512];
    (void)state;
    assert_int_equal(gh(GH_PAYLOAD("requested", SHA, CALLBACK), &d, why), HOOKS_PAYLOAD_OK);
    assert_string_equal(d.match, "octo-org/payments");
    assert_string_equal(d.environment, "production");
    assert_string_equal(d.callback_url, CALLBACK);
    assert_string_equal(var(&d, "sha"), SHA);
    assert_string_equal(var(&d, "ref"), "v1.4.0");
    assert_string_equal(var(&d, "version"), "1.4.0");
    assert_string_equal(var(&d, "deployment_id"), "1234");
    assert_string_equal(var(&d, "owner"), "octo-org");
    assert_string_equal(var(&d, "sender"), "hubot");
    assert_string_equal(var(&d, "event"), "push");
    hooks_delivery_free(&d);

    assert_int_equal(gh(GH_PAYLOAD("completed", SHA, CALLBACK), &d, why), HOOKS_PAYLOAD_IGNORED);
    assert_int_equal(gh(GH_PAYLOAD("requested", "8c4e2d1", CALLBACK), &d, why), HOOKS_PAYLOAD_BAD);
    assert_non_null(strstr(why, "deployment.sha"));
    assert_int_equal(gh(GH_PAYLOAD("requested", SHA, "https://evil.example/steal"), &d, why), HOOKS_PAYLOAD_ELSEWHERE);
    assert_int_equal(gh(GH_PAYLOAD("requested", SHA, API "/../x"), &d, why), HOOKS_PAYLOAD_ELSEWHERE);
    /* Beneath the base, but another repository's run, or not a run's callback at all. */
    assert_int_equal(gh(GH_PAYLOAD("requested", SHA, API "/repos/octo-org/other/actions/runs/99/deployment_protection_rule"),
                        &d, why), HOOKS_PAYLOAD_ELSEWHERE);
    assert_non_null(strstr(why, "/repos/octo-org/payments/actions/runs/ID/deployment_protection_rule"));
    assert_int_equal(gh(GH_PAYLOAD("requested", SHA, API "/repos/octo-org/payments/actions/runs/99/approve"), &d, why),
                     HOOKS_PAYLOAD_ELSEWHERE);
    assert_int_equal(gh(GH_PAYLOAD("requested", SHA, API "/repos/octo-org/payments/actions/runs//deployment_protection_rule"),
                        &d, why), HOOKS_PAYLOAD_ELSEWHERE);
    assert_int_equal(gh(GH_PAYLOAD("requested", SHA, API "/repos/octo-org/payments/pulls/1"), &d, why),
                     HOOKS_PAYLOAD_ELSEWHERE);
    /* GitHub's paths ignore case: the same repository spelt otherwise is accepted. */
    assert_int_equal(gh(GH_PAYLOAD("requested", SHA, API "/repos/Octo-Org/Payments/actions/runs/99/deployment_protection_rule"),
                        &d, why), HOOKS_PAYLOAD_OK);
    hooks_delivery_free(&d);
    assert_int_equal(gh("[1]", &d, why), HOOKS_PAYLOAD_BAD);
    assert_int_equal(gh("{\"action\": \"requested\"", &d, why), HOOKS_PAYLOAD_BAD);
}

#define GL_PAYLOAD(status)                                                                                      \
    "{\"object_kind\": \"deployment\", \"status\": \"" status "\", \"deployment_id\": 15, \"environment\": "   \
    "\"production\", \"project\": {\"id\": 4211, \"path_with_namespace\": \"payments/api\"}, \"ref\": \"main\", " \
    "\"short_sha\": \"8c4e2d19\", \"commit_url\": \"https://gitlab.example.com/payments/api/-/commit/" SHA "\", " \
    "\"user\": {\"username\": \"root\"}}"

static void gitlab_payloads(void **state)
{
    hooks_delivery d;
    char why[512];
    const char *blocked = GL_PAYLOAD("blocked"), *running = GL_PAYLOAD("running");
    (void)state;
    assert_int_equal(hooks_gitlab_parse(blocked, strlen(blocked), API "/api/v4", &d, why, sizeof why), HOOKS_PAYLOAD_OK);
    assert_string_equal(d.callback_url, API "/api/v4/projects/4211/deployments/15/approval");
    assert_string_equal(d.match, "payments/api");
    assert_string_equal(d.match_alt, "4211");
    assert_string_equal(var(&d, "sha"), SHA);
    assert_string_equal(var(&d, "project"), "payments/api");
    assert_string_equal(var(&d, "user"), "root");
    hooks_delivery_free(&d);
    assert_int_equal(hooks_gitlab_parse(running, strlen(running), API, &d, why, sizeof why), HOOKS_PAYLOAD_IGNORED);
    assert_int_equal(hooks_gitlab_parse("{\"object_kind\": \"pipeline\"}", 28, API, &d, why, sizeof why),
                     HOOKS_PAYLOAD_BAD);
}

static void versions(void **state)
{
    (void)state;
    assert_string_equal(hooks_version_of("refs/tags/v1.4.0"), "1.4.0");
    assert_string_equal(hooks_version_of("v2.0.0-rc.1"), "2.0.0-rc.1");
    assert_string_equal(hooks_version_of("1.0.0"), "1.0.0");
    assert_string_equal(hooks_version_of("main"), "main");
    assert_string_equal(hooks_version_of("vnext"), "vnext");
    assert_null(hooks_version_of(NULL));
}

static void callback_bodies(void **state)
{
    char *s;
    (void)state;
    s = hooks_github_review("production", 1, "✅ fine");
    assert_string_equal(s, "{\"environment_name\":\"production\",\"state\":\"approved\",\"comment\":\"✅ fine\"}");
    free(s);
    s = hooks_github_review("production", 0, "no");
    assert_non_null(strstr(s, "\"state\":\"rejected\""));
    free(s);
    s = hooks_gitlab_approval(0, "no");
    assert_string_equal(s, "{\"status\":\"rejected\",\"comment\":\"no\"}");
    free(s);
}

/* Only a 200 allow or warn approves: everything else fails closed. */
static void approves(void **state)
{
    (void)state;
    assert_true(hooks_approves(200, "{\"decision\": \"allow\"}", 21));
    assert_true(hooks_approves(200, "{\"decision\": \"warn\"}", 20));
    assert_false(hooks_approves(200, "{\"decision\": \"deny\"}", 20));
    assert_false(hooks_approves(200, "{\"decision\": \"error\"}", 21));
    assert_false(hooks_approves(503, "{\"decision\": \"allow\"}", 21));
    assert_false(hooks_approves(200, "{\"decision\": \"allow\"", 20));
    assert_false(hooks_approves(200, NULL, 0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(loads_and_fills),
        cmocka_unit_test(refuses_bad_configurations),
        cmocka_unit_test(url_beneath),
        cmocka_unit_test(github_payloads),
        cmocka_unit_test(gitlab_payloads),
        cmocka_unit_test(versions),
        cmocka_unit_test(callback_bodies),
        cmocka_unit_test(approves),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
