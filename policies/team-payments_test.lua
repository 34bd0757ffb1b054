-- Policy tests for policies/team-payments.lua: the payments team's policy, which
-- extends the OctoAcme baseline.  What the team changed:
--
--   override "automated-pipeline"  level advisory -> mandatory (a manual deployment denies)
--   override "security-scan"       fail_on for a patch: critical -> high
--   disable  "release-announced"   skip, with the team's reason in the decision
--   requirement "pci-change-ticket" (deploy, every type): release.ticket is PCI-<n>
--
-- Everything else is the baseline's and behaves as in octoacme_*_test.lua; the
-- whole-stage passes below exercise every inherited requirement through this policy.

local F = require "testdata.fixtures"

-- Tests in this file default to team-payments.lua (the file is named after it); a few
-- evaluate the baseline on the same release, to show the difference.
local BASELINE = "octoacme.lua"

---------------------------------------------------------------------------------------
-- A release that meets the baseline and the team's rules, at every stage
---------------------------------------------------------------------------------------

for _, ty in ipairs(F.TYPES) do
  test(ty .. ": pre-release passes under the team policy") {
    stage = "pre-release", now = F.NOW, mocks = F.mocks(),
    context = F.context(ty),
    expect = {
      decision = "allow",
      requirements = {
        ["changes-merged"] = "pass", ["version-bump"] = "pass", ["release-notes"] = "pass",
        ["rollback-plan"] = "pass", ["smoke-tests-prepared"] = "pass", ["release-manager-sign-off"] = "pass",
        ["ci-passing"] = "pass", ["security-scan"] = "pass",
        ["hotfix-incident"] = ty == "patch" and "pass" or "absent",
        ["migration-steps"] = ty == "major" and "pass" or "absent",
        ["pci-change-ticket"] = "absent",
      },
    },
  }

  test(ty .. ": deploy passes under the team policy with a PCI change ticket") {
    stage = "deploy", now = F.NOW, mocks = F.mocks(),
    context = F.context(ty),
    expect = {
      decision = "allow",
      requirements = {
        ["deployment-window"] = ty == "patch" and "absent" or "pass",
        ["backup-taken"] = ty == "major" and "pass" or "skip",
        ["staging-deployed"] = "pass", ["staging-smoke-tests"] = "pass", ["automated-pipeline"] = "pass",
        ["rollback-target-known"] = "pass", ["pci-change-ticket"] = "pass",
      },
      messages = { ["pci-change-ticket"] = "change ticket " .. F.release(ty).ticket },
    },
  }

  test(ty .. ": post-deploy passes under the team policy, release-announced disabled") {
    stage = "post-deploy", now = F.NOW,
    context = F.context(ty),
    expect = {
      decision = "allow",
      requirements = {
        ["production-deployed"] = "pass", ["post-deploy-verification"] = "pass", ["release-announced"] = "skip",
      },
      actions = {},
    },
  }
end

---------------------------------------------------------------------------------------
-- override "automated-pipeline" { level = "mandatory" }
---------------------------------------------------------------------------------------

for _, ty in ipairs(F.TYPES) do
  test(ty .. ": a manual deployment denies under the team policy") {
    stage = "deploy", now = F.NOW, mocks = F.mocks(),
    context = F.context(ty, { deployment = { pipeline = "manual" } }),
    expect = {
      decision = "deny",
      requirements = { ["automated-pipeline"] = "fail" },
      messages = { ["automated-pipeline"] = "deployment.pipeline is \"manual\", expected \"automated\"" },
    },
  }

  test(ty .. ": the same manual deployment only warns under the baseline") {
    policy = BASELINE, stage = "deploy", now = F.NOW, mocks = F.mocks(),
    context = F.context(ty, { deployment = { pipeline = "manual" } }),
    expect = { decision = "warn", requirements = { ["automated-pipeline"] = "warn" } },
  }
end

---------------------------------------------------------------------------------------
-- override "security-scan" { with = { fail_on = by_type { patch = "high" } } }
--
-- Mocks replace a plugin check's result, not its parameters, so these tests run the
-- real security.scan plugin: no `mocks` at all means every plugin check runs on the
-- context's evidence.  testdata/patch/trivy-high.sarif holds one high and one medium
-- finding for the hotfix's commit.  (ci.status runs too, and answers error for want of
-- a CI report: these tests only look at security-scan.)
---------------------------------------------------------------------------------------

test "patch: a high finding fails a payments hotfix (fail_on high)" {
  stage = "pre-release", now = F.NOW,
  context = F.context("patch", { evidence = { security_scan = "testdata/patch/trivy-high.sarif" } }),
  expect = {
    decision = "deny",
    requirements = { ["security-scan"] = "fail" },
    messages = { ["security-scan"] = "findings over the limits: 1 high (allowed 0)" },
  },
}

test "patch: the same high finding passes a baseline hotfix (fail_on critical)" {
  policy = BASELINE, stage = "pre-release", now = F.NOW,
  context = F.context("patch", { evidence = { security_scan = "testdata/patch/trivy-high.sarif" } }),
  expect = {
    requirements = { ["security-scan"] = "pass" },
    messages = { ["security-scan"] = "none over the limits (fail_on critical): 1 high, 1 medium" },
  },
}

test "minor: the team leaves minor releases at the baseline's fail_on high" {
  stage = "pre-release", now = F.NOW,
  context = F.context("minor", {
    release = { commit = "3f9a1c7e52b04d8e9a6f1c3b7d2e8a4f6b0c9d15" },
    evidence = { security_scan = "testdata/patch/trivy-high.sarif" },
  }),
  expect = {
    requirements = { ["security-scan"] = "fail" },
    messages = { ["security-scan"] = "1 high (allowed 0)" },
  },
}

test "major: the team leaves major releases at the baseline's limits" {
  stage = "pre-release", now = F.NOW,
  context = F.context("major", {
    release = { commit = "3f9a1c7e52b04d8e9a6f1c3b7d2e8a4f6b0c9d15" },
    evidence = { security_scan = "testdata/patch/trivy-high.sarif" },
  }),
  expect = {
    requirements = { ["security-scan"] = "fail" },
    messages = { ["security-scan"] = "1 high (allowed 0)" },
  },
}

---------------------------------------------------------------------------------------
-- disable "release-announced" { reason = ... }
---------------------------------------------------------------------------------------

for _, ty in ipairs(F.TYPES) do
  test(ty .. ": release-announced is skipped with the team's reason, even with no announcement") {
    stage = "post-deploy", now = F.NOW,
    context = F.context(ty, { deployment = { announcement = F.NONE } }),
    expect = {
      decision = "allow",
      requirements = { ["release-announced"] = "skip" },
      messages = { ["release-announced"] = "team-payments.lua:26: announced by the status-page bot on deploy (see RUNBOOK.md#announce)" },
    },
  }
end

test "minor: the baseline warns about the same missing announcement" {
  policy = BASELINE, stage = "post-deploy", now = F.NOW,
  context = F.context("minor", { deployment = { announcement = F.NONE } }),
  expect = { decision = "warn", requirements = { ["release-announced"] = "warn" } },
}

test "major: a failed verification still denies with the playbook under the team policy" {
  stage = "post-deploy", now = F.NOW,
  context = F.context("major", { deployment = { verification = { status = "failed" } } }),
  expect = {
    decision = "deny",
    requirements = { ["post-deploy-verification"] = "fail", ["release-announced"] = "skip" },
    actions = { "incident", "rollback", "triage" },
    rollback = "2.9.4",
  },
}

---------------------------------------------------------------------------------------
-- requirement "pci-change-ticket" (added by the team)
---------------------------------------------------------------------------------------

for _, ty in ipairs(F.TYPES) do
  test(ty .. ": pci-change-ticket fails for a ticket that is not a PCI change ticket") {
    stage = "deploy", now = F.NOW, mocks = F.mocks(),
    context = F.context(ty, { release = { ticket = "REL-1190" } }),
    expect = {
      decision = "deny",
      requirements = { ["pci-change-ticket"] = "fail" },
      messages = { ["pci-change-ticket"] = "release.ticket is 'REL-1190', not a PCI change ticket (PCI-1234)" },
    },
  }
end

test "minor: pci-change-ticket fails when release.ticket is missing" {
  stage = "deploy", now = F.NOW, mocks = F.mocks(),
  context = F.context("minor", { release = { ticket = F.NONE } }),
  expect = {
    decision = "deny",
    requirements = { ["pci-change-ticket"] = "fail" },
    messages = { ["pci-change-ticket"] = "release.ticket is missing" },
  },
}

test "minor: the baseline has no pci-change-ticket" {
  policy = BASELINE, stage = "deploy", now = F.NOW, mocks = F.mocks(),
  context = F.context("minor", { release = { ticket = "REL-1190" } }),
  expect = { decision = "allow", requirements = { ["pci-change-ticket"] = "undeclared" } },
}

test "patch: baseline requirements still apply through extends" {
  stage = "pre-release", now = F.NOW, mocks = F.mocks(),
  context = F.context("patch", { release = { incident = F.NONE } }),
  expect = { decision = "deny", requirements = { ["hotfix-incident"] = "fail", ["changes-merged"] = "pass" } },
}
