-- Policy tests: the OctoAcme deployment checklist (stage deploy), each requirement for
-- every release type it applies to, pass and fail.  The whole-stage passes are in
-- octoacme_test.lua.

local F = require "testdata.fixtures"

local POLICY = "octoacme.lua"
local STAGE = "deploy"

---------------------------------------------------------------------------------------
-- version-bump: the type chooses what applies here too, so it is held against the
-- version numbers at deploy as at pre-release (hostile round 31, F01: a major release
-- typed patch at deploy skipped the window and the backup)
---------------------------------------------------------------------------------------

test "patch: a major bump typed patch fails version-bump at deploy" {
  policy = POLICY, stage = STAGE, now = F.NOW, mocks = F.mocks(),
  context = F.context("patch", { release = { version = "3.0.0", previous_version = "2.9.4" } }),
  expect = {
    decision = "deny",
    requirements = { ["version-bump"] = "fail" },
    messages = { ["version-bump"] = "2.9.4 -> 3.0.0 is a major bump, but release.type is patch" },
  },
}

for _, ty in ipairs({ "patch", "minor", "major" }) do
  test(ty .. ": version-bump passes at deploy for the bump its type says") {
    policy = POLICY, stage = STAGE, now = F.NOW, mocks = F.mocks(),
    context = F.context(ty),
    expect = { requirements = { ["version-bump"] = "pass" } },
  }
end

---------------------------------------------------------------------------------------
-- deployment-window (minor and major: a hotfix may deploy outside any window)
---------------------------------------------------------------------------------------

for _, ty in ipairs({ "minor", "major" }) do
  test(ty .. ": deployment-window passes inside the window and says how long is left") {
    policy = POLICY, stage = STAGE, now = F.NOW, mocks = F.mocks(),
    context = F.context(ty),
    expect = {
      requirements = { ["deployment-window"] = "pass" },
      messages = { ["deployment-window"] = "2025-06-10T14:00:00Z is inside the deployment window 2025-06-10T13:00:00Z to 2025-06-10T15:00:00Z (1h 00m left)" },
    },
  }

  test(ty .. ": deployment-window fails before the window opens") {
    policy = POLICY, stage = STAGE, now = "2025-06-10T12:35:00Z", mocks = F.mocks(),
    context = F.context(ty),
    expect = {
      decision = "deny",
      requirements = { ["deployment-window"] = "fail" },
      messages = { ["deployment-window"] = "has not opened: it opens in 25m" },
    },
  }

  test(ty .. ": deployment-window fails once the window has closed") {
    policy = POLICY, stage = STAGE, now = "2025-06-10T15:00:00Z", mocks = F.mocks(),
    context = F.context(ty),
    expect = {
      decision = "deny",
      requirements = { ["deployment-window"] = "fail" },
      messages = { ["deployment-window"] = "closed 0s ago" },
    },
  }

  test(ty .. ": deployment-window fails closed when no window is scheduled") {
    policy = POLICY, stage = STAGE, now = F.NOW, mocks = F.mocks(),
    context = F.context(ty, { deployment = { window = F.NONE } }),
    expect = {
      decision = "deny",
      requirements = { ["deployment-window"] = "fail" },
      messages = { ["deployment-window"] = "deployment.window is absent: no deployment window is scheduled" },
    },
  }
end

test "major: deployment-window fails for a window that ends before it starts" {
  policy = POLICY, stage = STAGE, now = F.NOW, mocks = F.mocks(),
  context = F.context("major", { deployment = { window = { start = "2025-06-10T15:00:00Z", ["end"] = "2025-06-10T13:00:00Z" } } }),
  expect = {
    requirements = { ["deployment-window"] = "fail" },
    messages = { ["deployment-window"] = "ends before it starts" },
  },
}

test "minor: deployment-window fails for a time that is not RFC 3339" {
  policy = POLICY, stage = STAGE, now = F.NOW, mocks = F.mocks(),
  context = F.context("minor", { deployment = { window = { ["end"] = "tomorrow 5pm" } } }),
  expect = {
    requirements = { ["deployment-window"] = "fail" },
    messages = { ["deployment-window"] = "deployment.window.end is \"tomorrow 5pm\", not an RFC 3339 time" },
  },
}

test "patch: deployment-window does not apply to a hotfix, even without a window" {
  policy = POLICY, stage = STAGE, now = F.NOW, mocks = F.mocks(),
  context = F.context("patch", { deployment = { window = F.NONE } }),
  expect = { decision = "allow", requirements = { ["deployment-window"] = "absent" } },
}

---------------------------------------------------------------------------------------
-- backup-taken: every major release; patch and minor only with data migrations
---------------------------------------------------------------------------------------

test "major: backup-taken fails when backup.present fails, whatever data_migrations says" {
  policy = POLICY, stage = STAGE, now = F.NOW,
  context = F.context("major", { release = { data_migrations = false } }),
  mocks = F.mocks { ["backup.present"] = fail("the newest completed snapshot is 30h old (max_age 24h)") },
  expect = {
    decision = "deny",
    requirements = { ["backup-taken"] = "fail" },
    messages = { ["backup-taken"] = "30h old" },
  },
}

test "major: backup-taken passes when backup.present passes" {
  policy = POLICY, stage = STAGE, now = F.NOW,
  context = F.context("major"),
  mocks = F.mocks { ["backup.present"] = pass("snapshot pre-deploy-3.0.0 completed 1h 22m ago, restore verified") },
  expect = {
    decision = "allow",
    requirements = { ["backup-taken"] = "pass" },
    messages = { ["backup-taken"] = "restore verified" },
  },
}

for _, ty in ipairs({ "patch", "minor" }) do
  test(ty .. ": backup-taken is skipped, with the reason, without data migrations") {
    policy = POLICY, stage = STAGE, now = F.NOW,
    context = F.context(ty, { release = { data_migrations = false } }),
    -- No mock for backup.present: the check must not even run.
    mocks = { ["ci.status"] = pass("7 smoke tests passed") },
    expect = {
      decision = "allow",
      requirements = { ["backup-taken"] = "skip" },
      messages = { ["backup-taken"] = "release.data_migrations is false: a " .. ty .. " release without data migrations needs no backup" },
    },
  }

  test(ty .. ": backup-taken applies with data migrations and passes") {
    policy = POLICY, stage = STAGE, now = F.NOW,
    context = F.context(ty, { release = { data_migrations = true } }),
    mocks = F.mocks { ["backup.present"] = pass("snapshot taken 1h 22m ago") },
    expect = { decision = "allow", requirements = { ["backup-taken"] = "pass" } },
  }

  test(ty .. ": backup-taken applies with data migrations and fails") {
    policy = POLICY, stage = STAGE, now = F.NOW,
    context = F.context(ty, { release = { data_migrations = true } }),
    mocks = F.mocks { ["backup.present"] = fail("no completed snapshot in the manifest") },
    expect = {
      decision = "deny",
      requirements = { ["backup-taken"] = "fail" },
      messages = { ["backup-taken"] = "no completed snapshot" },
    },
  }
end

test "minor: backup-taken is skipped when data_migrations is absent" {
  policy = POLICY, stage = STAGE, now = F.NOW, mocks = F.mocks(),
  context = F.context("minor", { release = { data_migrations = F.NONE } }),
  expect = {
    requirements = { ["backup-taken"] = "skip" },
    messages = { ["backup-taken"] = "release.data_migrations is absent" },
  },
}

-- A misspelt field read as absent spared the backup (hostile round 25, F03).
for _, spelt in ipairs({ "data-migrations", "Data_Migrations", "data_migration", "datamigrations" }) do
  test("minor: backup-taken applies when data_migrations is misspelt: " .. spelt) {
    policy = POLICY, stage = STAGE, now = F.NOW,
    context = F.context("minor", { release = { data_migrations = F.NONE, [spelt] = true } }),
    mocks = F.mocks { ["backup.present"] = fail("evidence backup is not declared") },
    expect = { decision = "deny", requirements = { ["backup-taken"] = "fail" } },
  }
end

test "patch: backup-taken fails closed: a data_migrations that is not a boolean needs a backup" {
  policy = POLICY, stage = STAGE, now = F.NOW,
  context = F.context("patch", { release = { data_migrations = "no" } }),
  mocks = F.mocks { ["backup.present"] = fail("evidence backup is not declared") },
  expect = { decision = "deny", requirements = { ["backup-taken"] = "fail" } },
}

---------------------------------------------------------------------------------------
-- staging-deployed
---------------------------------------------------------------------------------------

for _, ty in ipairs(F.TYPES) do
  test(ty .. ": staging-deployed fails when the release is not on staging") {
    policy = POLICY, stage = STAGE, now = F.NOW, mocks = F.mocks(),
    context = F.context(ty, { deployment = { staging = { deployed = false } } }),
    expect = {
      decision = "deny",
      requirements = { ["staging-deployed"] = "fail" },
      messages = { ["staging-deployed"] = "deployment.staging.deployed is false, expected true: the release is not deployed to staging" },
    },
  }
end

test "minor: staging-deployed fails closed without deployment.staging" {
  policy = POLICY, stage = STAGE, now = F.NOW, mocks = F.mocks(),
  context = F.context("minor", { deployment = { staging = F.NONE } }),
  expect = {
    requirements = { ["staging-deployed"] = "fail" },
    messages = { ["staging-deployed"] = "deployment.staging is absent" },
  },
}

test "patch: staging-deployed says when" {
  policy = POLICY, stage = STAGE, now = F.NOW, mocks = F.mocks(),
  context = F.context("patch"),
  expect = {
    requirements = { ["staging-deployed"] = "pass" },
    messages = { ["staging-deployed"] = "5.12.4 is deployed to staging at 2025-06-10T11:40:00Z" },
  },
}

---------------------------------------------------------------------------------------
-- staging-smoke-tests: ci.status over the JUnit report, mocked
---------------------------------------------------------------------------------------

for _, ty in ipairs(F.TYPES) do
  test(ty .. ": staging-smoke-tests fails when the smoke run on staging failed") {
    policy = POLICY, stage = STAGE, now = F.NOW,
    context = F.context(ty),
    mocks = F.mocks { ["ci.status"] = fail("1 of 7 tests failed: TestPartialRefundAboveRemainingIsRefused") },
    expect = {
      decision = "deny",
      requirements = { ["staging-smoke-tests"] = "fail", ["staging-deployed"] = "pass" },
      messages = { ["staging-smoke-tests"] = "1 of 7 tests failed" },
    },
  }
end

---------------------------------------------------------------------------------------
-- automated-pipeline (advisory: a failure warns)
---------------------------------------------------------------------------------------

for _, ty in ipairs(F.TYPES) do
  test(ty .. ": automated-pipeline warns on a manual deployment, and the gate allows with a warning") {
    policy = POLICY, stage = STAGE, now = F.NOW, mocks = F.mocks(),
    context = F.context(ty, { deployment = { pipeline = "manual" } }),
    expect = {
      decision = "warn",
      requirements = { ["automated-pipeline"] = "warn" },
      messages = { ["automated-pipeline"] = "deployment.pipeline is \"manual\", expected \"automated\": the guide prefers the automated pipeline" },
      actions = {},
    },
  }
end

test "major: automated-pipeline warns when the pipeline is not recorded" {
  policy = POLICY, stage = STAGE, now = F.NOW, mocks = F.mocks(),
  context = F.context("major", { deployment = { pipeline = F.NONE } }),
  expect = {
    decision = "warn",
    requirements = { ["automated-pipeline"] = "warn" },
    messages = { ["automated-pipeline"] = "deployment.pipeline is absent" },
  },
}

---------------------------------------------------------------------------------------
-- rollback-target-known
---------------------------------------------------------------------------------------

for _, ty in ipairs(F.TYPES) do
  test(ty .. ": rollback-target-known fails without release.previous_version") {
    policy = POLICY, stage = STAGE, now = F.NOW, mocks = F.mocks(),
    context = F.context(ty, { release = { previous_version = F.NONE } }),
    expect = {
      decision = "deny",
      requirements = { ["rollback-target-known"] = "fail" },
      messages = { ["rollback-target-known"] = "release.previous_version is absent: a failed deployment would have no release to roll back to" },
    },
  }

  test(ty .. ": rollback-target-known names the target") {
    policy = POLICY, stage = STAGE, now = F.NOW, mocks = F.mocks(),
    context = F.context(ty),
    expect = {
      requirements = { ["rollback-target-known"] = "pass" },
      messages = { ["rollback-target-known"] = "a failed deployment rolls back to " .. F.release(ty).previous_version },
    },
  }
end

test "minor: rollback-target-known fails when previous_version is not older than the release" {
  policy = POLICY, stage = STAGE, now = F.NOW, mocks = F.mocks(),
  context = F.context("minor", { release = { previous_version = "2.4.0" } }),
  expect = {
    decision = "deny",
    requirements = { ["rollback-target-known"] = "fail" },
    messages = { ["rollback-target-known"] = "release.previous_version 2.4.0 is not older than 2.4.0: it cannot be the last known-good release" },
  },
}
