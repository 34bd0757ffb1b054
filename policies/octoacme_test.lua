-- Policy tests for policies/octoacme.lua (the policy this file is named after): a
-- release that meets the whole release guide, for every release type at every stage,
-- and what the engine does around the requirements (stage and type resolution, context
-- errors).  The requirement-by-requirement failures are in octoacme_<stage>_test.lua.
--
--   build/relgate test policies/ --coverage
--
-- F.context(type) is a release of that type that passes everything at F.NOW; the plugin
-- checks (ci.status, security.scan, backup.present) are mocked by F.mocks(), so no CI
-- report, scan or backup manifest is needed.  See testdata/fixtures.lua.

local F = require "testdata.fixtures"

---------------------------------------------------------------------------------------
-- pre-release: every requirement of the type, and nothing else
---------------------------------------------------------------------------------------

test "patch: a hotfix that meets every pre-release requirement is allowed" {
  stage = "pre-release", now = F.NOW,
  context = F.context("patch"),
  mocks = F.mocks(),
  expect = {
    decision = "allow",
    requirements = {
      ["changes-merged"] = "pass", ["version-bump"] = "pass", ["hotfix-incident"] = "pass",
      ["release-notes"] = "pass", ["migration-steps"] = "absent", ["rollback-plan"] = "pass",
      ["smoke-tests-prepared"] = "pass", ["release-manager-sign-off"] = "pass",
      ["ci-passing"] = "pass", ["security-scan"] = "pass",
      ["staging-deployed"] = "absent", ["production-deployed"] = "absent",
    },
    messages = {
      ["version-bump"] = "5.12.3 -> 5.12.4 is a patch bump",
      ["hotfix-incident"] = "fixes critical incident INC-2231 (EU checkout totals off by one cent)",
      ["release-notes"] = "follows the template and mentions 5.12.4; release named in the title heading",
      ["rollback-plan"] = "testdata/patch/ROLLBACK.md documents the rollback to 5.12.3",
      ["ci-passing"] = "(mocked)",
    },
    actions = {},
  },
}

test "minor: a release that meets every pre-release requirement is allowed" {
  stage = "pre-release", now = F.NOW,
  context = F.context("minor"),
  mocks = F.mocks(),
  expect = {
    decision = "allow",
    requirements = {
      ["changes-merged"] = "pass", ["version-bump"] = "pass", ["hotfix-incident"] = "absent",
      ["release-notes"] = "pass", ["migration-steps"] = "absent", ["rollback-plan"] = "pass",
      ["smoke-tests-prepared"] = "pass", ["release-manager-sign-off"] = "pass",
      ["ci-passing"] = "pass", ["security-scan"] = "pass",
    },
    messages = {
      ["changes-merged"] = "all 2 linked changes are merged with acceptance criteria met",
      ["version-bump"] = "2.3.8 -> 2.4.0 is a minor bump",
      ["release-notes"] = "release named in the section \"Release name / number\" (line 3)",
      ["smoke-tests-prepared"] = "testdata/minor/smoke-tests.md is ready: 4 test(s)",
    },
  },
}

test "major: a release that meets every pre-release requirement is allowed" {
  stage = "pre-release", now = F.NOW,
  context = F.context("major"),
  mocks = F.mocks(),
  expect = {
    decision = "allow",
    requirements = {
      ["changes-merged"] = "pass", ["version-bump"] = "pass", ["hotfix-incident"] = "absent",
      ["release-notes"] = "pass", ["migration-steps"] = "pass", ["rollback-plan"] = "pass",
      ["smoke-tests-prepared"] = "pass", ["release-manager-sign-off"] = "pass",
      ["ci-passing"] = "pass", ["security-scan"] = "pass",
    },
    messages = {
      ["changes-merged"] = "all 3 linked changes are merged",
      ["version-bump"] = "2.9.4 -> 3.0.0 is a major bump",
    },
  },
}

---------------------------------------------------------------------------------------
-- deploy
---------------------------------------------------------------------------------------

test "patch: a hotfix ready to deploy is allowed, with no window and no backup needed" {
  stage = "deploy", now = F.NOW,
  context = F.context("patch"),
  mocks = F.mocks(),
  expect = {
    decision = "allow",
    requirements = {
      ["deployment-window"] = "absent", ["backup-taken"] = "skip", ["staging-deployed"] = "pass",
      ["staging-smoke-tests"] = "pass", ["automated-pipeline"] = "pass", ["rollback-target-known"] = "pass",
      ["changes-merged"] = "absent", ["production-deployed"] = "absent",
    },
    messages = { ["backup-taken"] = "release.data_migrations is false: a patch release without data migrations needs no backup" },
  },
}

test "minor: a release ready to deploy inside its window is allowed" {
  stage = "deploy", now = F.NOW,
  context = F.context("minor"),
  mocks = F.mocks(),
  expect = {
    decision = "allow",
    requirements = {
      ["deployment-window"] = "pass", ["backup-taken"] = "skip", ["staging-deployed"] = "pass",
      ["staging-smoke-tests"] = "pass", ["automated-pipeline"] = "pass", ["rollback-target-known"] = "pass",
    },
  },
}

test "major: a major release ready to deploy, backed up, is allowed" {
  stage = "deploy", now = F.NOW,
  context = F.context("major"),
  mocks = F.mocks(),
  expect = {
    decision = "allow",
    requirements = {
      ["deployment-window"] = "pass", ["backup-taken"] = "pass", ["staging-deployed"] = "pass",
      ["staging-smoke-tests"] = "pass", ["automated-pipeline"] = "pass", ["rollback-target-known"] = "pass",
    },
    messages = { ["backup-taken"] = "snapshot taken 1h ago (mocked)" },
  },
}

---------------------------------------------------------------------------------------
-- post-deploy
---------------------------------------------------------------------------------------

for _, ty in ipairs(F.TYPES) do
  test(ty .. ": a verified, announced release in production is allowed, with no playbook") {
    stage = "post-deploy", now = F.NOW,
    context = F.context(ty),
    -- No plugin check runs after deployment: no mocks needed.
    expect = {
      decision = "allow",
      requirements = {
        ["production-deployed"] = "pass", ["post-deploy-verification"] = "pass", ["release-announced"] = "pass",
        ["staging-deployed"] = "absent", ["ci-passing"] = "absent",
      },
      actions = {},
    },
  }
end

---------------------------------------------------------------------------------------
-- How the engine picks the stage and the type, and rejects a bad context
---------------------------------------------------------------------------------------

test "the stage defaults to the context's stage" {
  now = F.NOW,
  context = F.context("minor", { stage = "post-deploy" }),
  expect = {
    decision = "allow",
    requirements = { ["production-deployed"] = "pass", ["changes-merged"] = "absent" },
  },
}

test "without any stage the gate is pre-release" {
  now = F.NOW, mocks = F.mocks(),
  context = F.context("minor"),
  expect = { requirements = { ["changes-merged"] = "pass", ["staging-deployed"] = "absent" } },
}

test "type overrides release.type: a minor release evaluated as a hotfix" {
  stage = "pre-release", type = "patch", now = F.NOW, mocks = F.mocks(),
  context = F.context("minor"),
  expect = {
    decision = "deny",
    requirements = { ["hotfix-incident"] = "fail", ["version-bump"] = "fail" },
    messages = { ["version-bump"] = "2.3.8 -> 2.4.0 is a minor bump, but release.type is patch" },
  },
}

test "a context the engine refuses is an error decision" {
  stage = "pre-release", now = F.NOW, mocks = F.mocks(),
  context = F.context("minor", { release = { version = "v2.4.0" } }),
  expect = { decision = "error" },
}

test "several failures are all reported in one decision" {
  stage = "pre-release", now = F.NOW,
  context = F.context("minor", {
    release = { author = "mkhan" },
    evidence = { smoke_tests = F.NONE },
  }),
  mocks = F.mocks { ["ci.status"] = fail("lint failed") },
  expect = {
    decision = "deny",
    requirements = {
      ["release-manager-sign-off"] = "fail", ["smoke-tests-prepared"] = "fail", ["ci-passing"] = "fail",
      ["changes-merged"] = "pass", ["security-scan"] = "pass",
    },
  },
}
