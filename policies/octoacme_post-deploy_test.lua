-- Policy tests: OctoAcme post-deploy verification, each requirement for every release
-- type, pass and fail.  A post-deploy deny carries the release guide's playbook:
-- incident (notify on-call), rollback to release.previous_version, triage.

local F = require "testdata.fixtures"

local POLICY = "octoacme.lua"
local STAGE = "post-deploy"

-- version-bump: held against the version numbers here too (hostile round 31, F01)
test "patch: a major bump typed patch fails version-bump at post-deploy" {
  policy = POLICY, stage = STAGE, now = F.NOW, mocks = F.mocks(),
  context = F.context("patch", { release = { version = "3.0.0", previous_version = "2.9.4" } }),
  expect = {
    decision = "deny",
    requirements = { ["version-bump"] = "fail" },
    messages = { ["version-bump"] = "2.9.4 -> 3.0.0 is a major bump, but release.type is patch" },
  },
}

-- The rollback & incident playbook, in the order the decision lists it.
local PLAYBOOK = { "incident", "rollback", "triage" }

---------------------------------------------------------------------------------------
-- production-deployed
---------------------------------------------------------------------------------------

for _, ty in ipairs(F.TYPES) do
  test(ty .. ": production-deployed fails when production runs another version, and the playbook rolls back") {
    policy = POLICY, stage = STAGE, now = F.NOW,
    context = F.context(ty, { deployment = { production = { version = F.release(ty).previous_version } } }),
    expect = {
      decision = "deny",
      requirements = { ["production-deployed"] = "fail", ["post-deploy-verification"] = "pass" },
      messages = { ["production-deployed"] = string.format("production runs %s, not %s",
                                                           F.release(ty).previous_version, F.release(ty).version) },
      actions = PLAYBOOK,
      rollback = F.release(ty).previous_version,
    },
  }

  test(ty .. ": production-deployed says since when production runs the release") {
    policy = POLICY, stage = STAGE, now = F.NOW,
    context = F.context(ty),
    expect = {
      requirements = { ["production-deployed"] = "pass" },
      messages = { ["production-deployed"] = "production runs " .. F.release(ty).version .. " since 2025-06-10T13:20:00Z" },
      actions = {},
    },
  }
end

test "minor: production-deployed fails closed when nothing records the production deployment" {
  policy = POLICY, stage = STAGE, now = F.NOW,
  context = F.context("minor", { deployment = { production = F.NONE } }),
  expect = {
    decision = "deny",
    requirements = { ["production-deployed"] = "fail" },
    messages = { ["production-deployed"] = "deployment.production is absent: nothing says the release reached production" },
    actions = PLAYBOOK,
    rollback = "2.3.8",
  },
}

test "minor: a release candidate in production is not the release" {
  policy = POLICY, stage = STAGE, now = F.NOW,
  context = F.context("minor", { deployment = { production = { version = "2.4.0-rc.2" } } }),
  expect = {
    decision = "deny",
    requirements = { ["production-deployed"] = "fail" },
    messages = { ["production-deployed"] = "production runs 2.4.0-rc.2, not 2.4.0" },
    rollback = "2.3.8",
  },
}

---------------------------------------------------------------------------------------
-- post-deploy-verification
---------------------------------------------------------------------------------------

for _, ty in ipairs(F.TYPES) do
  test(ty .. ": post-deploy-verification fails when a check failed, and the playbook rolls back") {
    policy = POLICY, stage = STAGE, now = F.NOW,
    context = F.context(ty, {
      deployment = { verification = { status = "failed", checks = {
        { name = "error-rate", status = "failed", observed = "2.4%" },
        { name = "p99-latency", status = "passed" },
      } } },
    }),
    expect = {
      decision = "deny",
      requirements = { ["post-deploy-verification"] = "fail", ["production-deployed"] = "pass" },
      messages = { ["post-deploy-verification"] = "1 of 2 verification checks did not pass: error-rate (failed: 2.4%)" },
      actions = PLAYBOOK,
      rollback = F.release(ty).previous_version,
    },
  }

  test(ty .. ": post-deploy-verification passes when every check passed") {
    policy = POLICY, stage = STAGE, now = F.NOW,
    context = F.context(ty),
    expect = {
      requirements = { ["post-deploy-verification"] = "pass" },
      messages = { ["post-deploy-verification"] = "all 2 post-deploy verification checks passed" },
    },
  }
end

test "major: post-deploy-verification fails when the overall status failed although every check passed" {
  policy = POLICY, stage = STAGE, now = F.NOW,
  context = F.context("major", { deployment = { verification = { status = "failed" } } }),
  expect = {
    decision = "deny",
    requirements = { ["post-deploy-verification"] = "fail" },
    messages = { ["post-deploy-verification"] = "deployment.verification.status is \"failed\", expected \"passed\" (although all 2 checks passed)" },
    actions = PLAYBOOK,
  },
}

test "patch: post-deploy-verification fails when no verification was run" {
  policy = POLICY, stage = STAGE, now = F.NOW,
  context = F.context("patch", { deployment = { verification = { checks = {} } } }),
  expect = {
    decision = "deny",
    requirements = { ["post-deploy-verification"] = "fail" },
    messages = { ["post-deploy-verification"] = "deployment.verification.checks is empty" },
  },
}

test "minor: post-deploy-verification fails closed for a check without a status" {
  policy = POLICY, stage = STAGE, now = F.NOW,
  context = F.context("minor", { deployment = { verification = { checks = { { name = "refund-reconciliation" } } } } }),
  expect = {
    requirements = { ["post-deploy-verification"] = "fail" },
    messages = { ["post-deploy-verification"] = "refund-reconciliation (no status)" },
  },
}

---------------------------------------------------------------------------------------
-- release-announced (advisory: a failure warns, and a warning carries no playbook)
---------------------------------------------------------------------------------------

for _, ty in ipairs(F.TYPES) do
  test(ty .. ": release-announced warns when support was not told") {
    policy = POLICY, stage = STAGE, now = F.NOW,
    context = F.context(ty, { deployment = { announcement = { channels = { "stakeholders" } } } }),
    expect = {
      decision = "warn",
      requirements = { ["release-announced"] = "warn" },
      messages = { ["release-announced"] = "not announced to support (announced to: stakeholders)" },
      actions = {},
    },
  }

  test(ty .. ": release-announced passes when stakeholders and support were told") {
    policy = POLICY, stage = STAGE, now = F.NOW,
    context = F.context(ty),
    expect = {
      requirements = { ["release-announced"] = "pass" },
      messages = { ["release-announced"] = "announced to stakeholders, support at 2025-06-10T13:45:00Z" },
    },
  }
end

test "major: release-announced warns when nothing records an announcement" {
  policy = POLICY, stage = STAGE, now = F.NOW,
  context = F.context("major", { deployment = { announcement = F.NONE } }),
  expect = {
    decision = "warn",
    requirements = { ["release-announced"] = "warn" },
    messages = { ["release-announced"] = "deployment.announcement is absent: the release was not announced" },
  },
}
