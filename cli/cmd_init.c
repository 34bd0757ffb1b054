/* relgate init [DIR]: a team policy to start from -- a baseline it extends, a
 * requirement of its own, a test, and a release context with evidence that pass -- so a
 * new release manager starts from something that runs, not from a blank page. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "fileio.h"

static const char INIT_USAGE[] =
    "usage: relgate init [DIR]\n"
    "\n"
    "Write a team policy to start from into DIR (default: team-policy), which must not\n"
    "exist or be empty:\n"
    "  org-baseline.lua       the organisation's baseline (stands in for yours: point\n"
    "                         extends at it with --policy-path, then delete this file)\n"
    "  team.lua               the team's policy: extends the baseline, overrides, adds\n"
    "  team_test.lua          its tests (relgate test DIR)\n"
    "  release/context.json   a release context, and the evidence it names\n"
    "  release/RELEASE_NOTES.md\n"
    "Everything passes as written: relgate lint --policy DIR/team.lua, relgate test DIR,\n"
    "relgate eval --policy DIR/team.lua --context DIR/release/context.json.\n";

static const char BASELINE[] =
    "-- The organisation's baseline: every team's policy extends it.  Keep it in one place\n"
    "-- and let teams find it on the policy path (relgate --policy-path DIR, or\n"
    "-- RELGATE_POLICY_PATH) instead of copying it.\n"
    "policy { name = \"org-baseline\", version = \"1.0.0\", max_waiver_days = 30 }\n"
    "\n"
    "requirement \"release-notes\" {\n"
    "  title = \"Release notes describe the release\",\n"
    "  hint  = \"Write RELEASE_NOTES.md with a 'Changes' section and name it as evidence release_notes.\",\n"
    "  level = \"waivable\",\n"
    "  check = function(ctx)\n"
    "    local text, why = evidence.read(\"release_notes\")\n"
    "    if not text then return fail(\"no release notes: \" .. why) end\n"
    "    local changes = markdown.section(text, \"Changes\")\n"
    "    if not changes or markdown.is_blank(changes.body) then\n"
    "      return fail(\"the release notes have no 'Changes' section\", { section = \"Changes\" })\n"
    "    end\n"
    "    return pass(\"release notes have a 'Changes' section\")\n"
    "  end,\n"
    "}\n"
    "\n"
    "requirement \"version-bump\" {\n"
    "  title = \"The version bump matches the release type\",\n"
    "  hint  = \"A patch release bumps the patch number, a minor the minor, a major the major.\",\n"
    "  check = function(ctx)\n"
    "    local previous = ctx.release.previous_version\n"
    "    if not previous then return skip(\"no previous_version: a first release\") end\n"
    "    local bump = semver.bump(previous, ctx.release.version)\n"
    "    if bump ~= ctx.release.type then\n"
    "      return fail(previous .. \" -> \" .. ctx.release.version .. \" is a \" .. tostring(bump) ..\n"
    "                  \" bump, not \" .. ctx.release.type, { bump = bump })\n"
    "    end\n"
    "    return pass(previous .. \" -> \" .. ctx.release.version .. \" is a \" .. bump .. \" bump\")\n"
    "  end,\n"
    "}\n";

static const char TEAM[] =
    "-- The team's policy: the baseline, and what this team changes and adds.  Every\n"
    "-- change to a baseline requirement goes through override or disable, with a reason\n"
    "-- the decision shows.\n"
    "policy { name = \"team\", version = \"0.1.0\" }\n"
    "\n"
    "extends \"org-baseline\"\n"
    "\n"
    "override \"release-notes\" {\n"
    "  level  = \"mandatory\",\n"
    "  reason = \"our customers read the notes: no release without them\",\n"
    "}\n"
    "\n"
    "requirement \"ticket-linked\" {\n"
    "  title = \"The release links its ticket\",\n"
    "  hint  = \"Set release.ticket to the release ticket, like REL-123.\",\n"
    "  check = function(ctx)\n"
    "    local ticket = ctx.release.ticket\n"
    "    if type(ticket) == \"string\" and ticket:match(\"^REL%-%d+$\") then\n"
    "      return pass(\"ticket \" .. ticket)\n"
    "    end\n"
    "    return fail(\"release.ticket is not a REL-123 ticket\", { ticket = ticket })\n"
    "  end,\n"
    "}\n";

static const char TESTS[] =
    "-- relgate test DIR runs these: each names a context, and what the decision must be.\n"
    "local function release(changes)\n"
    "  local r = { name = \"my-service\", version = \"1.3.0\", previous_version = \"1.2.4\", type = \"minor\",\n"
    "              ticket = \"REL-42\" }\n"
    "  for k, v in pairs(changes or {}) do r[k] = v end\n"
    "  return { release = r, evidence = { release_notes = \"release/RELEASE_NOTES.md\" } }\n"
    "end\n"
    "\n"
    "test \"a release that meets the policy is allowed\" {\n"
    "  context = release(),\n"
    "  expect  = { decision = \"allow\",\n"
    "              requirements = { [\"release-notes\"] = \"pass\", [\"version-bump\"] = \"pass\",\n"
    "                               [\"ticket-linked\"] = \"pass\" } },\n"
    "}\n"
    "\n"
    "test \"a minor release with a patch bump is denied\" {\n"
    "  context = release({ version = \"1.2.5\" }),\n"
    "  expect  = { decision = \"deny\", requirements = { [\"version-bump\"] = \"fail\" },\n"
    "              messages = { [\"version-bump\"] = \"is a patch bump, not minor\" } },\n"
    "}\n"
    "\n"
    "test \"a release without its ticket is denied\" {\n"
    "  context = release({ ticket = \"none\" }),\n"
    "  expect  = { decision = \"deny\", requirements = { [\"ticket-linked\"] = \"fail\" } },\n"
    "}\n";

static const char CONTEXT[] =
    "{\n"
    "  \"release\": {\n"
    "    \"name\": \"my-service\",\n"
    "    \"version\": \"1.3.0\",\n"
    "    \"previous_version\": \"1.2.4\",\n"
    "    \"type\": \"minor\",\n"
    "    \"author\": \"alice\",\n"
    "    \"ticket\": \"REL-42\"\n"
    "  },\n"
    "  \"stage\": \"pre-release\",\n"
    "  \"evidence\": {\n"
    "    \"release_notes\": \"RELEASE_NOTES.md\"\n"
    "  }\n"
    "}\n";

static const char NOTES[] =
    "# my-service 1.3.0\n"
    "\n"
    "## Changes\n"
    "\n"
    "- Partial refunds for card payments.\n";

static int write_one(const char *dir, const char *name, const char *text)
{
    char path[PATH_MAX];
    rg_error err = {0};
    if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, name) >= sizeof path) {
        fprintf(stderr, "relgate: error: %s/%s: path too long\n", dir, name);
        return -1;
    }
    if (rg_write_file_atomic(path, text, strlen(text), &err) != 0) {
        rg_cli_report(&err);
        rg_error_clear(&err);
        return -1;
    }
    printf("wrote %s\n", path);
    return 0;
}

/* DIR must be new or empty: init never overwrites someone's policy. */
static int usable_dir(const char *dir)
{
    struct stat st;
    char probe[PATH_MAX];
    if (stat(dir, &st) != 0)
        return mkdir(dir, 0777) == 0 ? 0 : -1;
    if (!S_ISDIR(st.st_mode)) {
        errno = ENOTDIR;
        return -1;
    }
    {
        static const char *const ours[] = {"team.lua", "org-baseline.lua", "team_test.lua", "release", NULL};
        for (const char *const *n = ours; *n; n++) {
            snprintf(probe, sizeof probe, "%s/%s", dir, *n);
            if (stat(probe, &st) == 0) {
                errno = EEXIST;
                return -1;
            }
        }
    }
    return 0;
}

int rg_cmd_init(int argc, char **argv)
{
    const char *dir = NULL;
    char release[PATH_MAX];
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            fputs(INIT_USAGE, stdout);
            return 0;
        }
        if (argv[i][0] == '-' || dir) {
            char msg[300];
            snprintf(msg, sizeof msg, "%s '%.200s'", argv[i][0] == '-' ? "unknown option" : "one directory only:", argv[i]);
            return rg_cli_usage("init", msg);
        }
        dir = argv[i];
    }
    if (!dir)
        dir = "team-policy";
    if (usable_dir(dir) != 0) {
        fprintf(stderr, "relgate: error: %s: %s%s\n", dir, strerror(errno),
                errno == EEXIST ? " (it already holds a policy: init never overwrites one)" : "");
        return RG_EXIT_ERROR;
    }
    snprintf(release, sizeof release, "%s/release", dir);
    if (mkdir(release, 0777) != 0) {
        fprintf(stderr, "relgate: error: %s: %s\n", release, strerror(errno));
        return RG_EXIT_ERROR;
    }
    if (write_one(dir, "org-baseline.lua", BASELINE) || write_one(dir, "team.lua", TEAM) ||
        write_one(dir, "team_test.lua", TESTS) || write_one(release, "context.json", CONTEXT) ||
        write_one(release, "RELEASE_NOTES.md", NOTES))
        return RG_EXIT_ERROR;
    printf("\nnext:\n  relgate lint --policy %s/team.lua\n  relgate test %s\n"
           "  relgate eval --policy %s/team.lua --context %s/release/context.json --format text\n",
           dir, dir, dir, dir);
    return 0;
}
