-- Policy tests: OctoAcme pre-release requirements, each for every release type it
-- applies to, pass and fail.  Run with `relgate test policies/` (see docs/policies.md).
--
-- Every test starts from F.context(type), a release that passes everything at F.NOW
-- with F.mocks(), and changes one thing.  The whole-stage passes are in octoacme_test.lua.

local F = require "testdata.fixtures"

local POLICY = "octoacme.lua"
local STAGE = "pre-release"

---------------------------------------------------------------------------------------
-- changes-merged
---------------------------------------------------------------------------------------

for _, ty in ipairs(F.TYPES) do
  test(ty .. ": changes-merged fails when a linked PR is not merged") {
    policy = POLICY, stage = STAGE, now = F.NOW, mocks = F.mocks(),
    context = F.context(ty, {
      changes = { { id = "#9001", title = "Half-done", merged = false, acceptance_criteria_met = true } },
    }),
    expect = {
      decision = "deny",
      requirements = { ["changes-merged"] = "fail", ["version-bump"] = "pass" },
      messages = { ["changes-merged"] = "1 of 1 linked change is not ready: #9001 not merged" },
    },
  }
end

test "minor: changes-merged fails when acceptance criteria are not met, naming each PR" {
  policy = POLICY, stage = STAGE, now = F.NOW, mocks = F.mocks(),
  context = F.context("minor", {
    changes = {
      { id = "#4380", merged = true, acceptance_criteria_met = true },
      { id = "#4391", merged = true, acceptance_criteria_met = false },
      { id = 4402, merged = "yes", acceptance_criteria_met = true },
    },
  }),
  expect = {
    decision = "deny",
    requirements = { ["changes-merged"] = "fail" },
    messages = { ["changes-merged"] = "2 of 3 linked changes are not ready: #4391 acceptance criteria not met; 4402 merged is \"yes\"" },
  },
}

test "patch: changes-merged fails when no PR is linked" {
  policy = POLICY, stage = STAGE, now = F.NOW, mocks = F.mocks(),
  context = F.context("patch", { changes = {} }),
  expect = {
    decision = "deny",
    requirements = { ["changes-merged"] = "fail" },
    messages = { ["changes-merged"] = "changes is empty" },
  },
}

test "major: changes-merged fails closed when changes is absent" {
  policy = POLICY, stage = STAGE, now = F.NOW, mocks = F.mocks(),
  context = F.context("major", { changes = F.NONE }),
  expect = {
    decision = "deny",
    requirements = { ["changes-merged"] = "fail" },
    messages = { ["changes-merged"] = "changes is absent: no linked change is recorded" },
  },
}

---------------------------------------------------------------------------------------
-- version-bump
---------------------------------------------------------------------------------------

test "patch: version-bump fails for a minor bump typed patch" {
  policy = POLICY, stage = STAGE, now = F.NOW, mocks = F.mocks(),
  context = F.context("patch", { release = { version = "5.13.0" } }),
  expect = {
    decision = "deny",
    requirements = { ["version-bump"] = "fail" },
    messages = { ["version-bump"] = "5.12.3 -> 5.13.0 is a minor bump, but release.type is patch" },
  },
}

test "minor: version-bump fails when a minor bump does not reset patch" {
  policy = POLICY, stage = STAGE, now = F.NOW, mocks = F.mocks(),
  context = F.context("minor", { release = { version = "2.4.1" } }),
  expect = {
    decision = "deny",
    requirements = { ["version-bump"] = "fail" },
    messages = { ["version-bump"] = "2.3.8 -> 2.4.1 bumps minor but does not reset patch to 0 (expected 2.4.0)" },
  },
}

test "major: version-bump fails for a minor bump typed major" {
  policy = POLICY, stage = STAGE, now = F.NOW, mocks = F.mocks(),
  context = F.context("major", { release = { version = "2.10.0" } }),
  expect = {
    decision = "deny",
    requirements = { ["version-bump"] = "fail" },
    messages = { ["version-bump"] = "2.9.4 -> 2.10.0 is a minor bump, but release.type is major" },
  },
}

test "major: version-bump fails when a major bump does not reset minor and patch" {
  policy = POLICY, stage = STAGE, now = F.NOW, mocks = F.mocks(),
  context = F.context("major", { release = { version = "3.0.1" } }),
  expect = {
    requirements = { ["version-bump"] = "fail" },
    messages = { ["version-bump"] = "bumps major but does not reset minor and patch to 0 (expected 3.0.0)" },
  },
}

for _, ty in ipairs(F.TYPES) do
  test(ty .. ": version-bump fails closed without release.previous_version") {
    policy = POLICY, stage = STAGE, now = F.NOW, mocks = F.mocks(),
    context = F.context(ty, { release = { previous_version = F.NONE } }),
    expect = {
      decision = "deny",
      requirements = { ["version-bump"] = "fail", ["rollback-plan"] = "fail" },
      messages = {
        ["version-bump"] = "release.previous_version is absent: cannot verify that " .. F.release(ty).version
                           .. " is a " .. ty .. " bump",
        ["rollback-plan"] = "release.previous_version is absent: cannot tell which release the rollback plan must return to",
      },
    },
  }
end

test "minor: version-bump fails for a downgrade" {
  policy = POLICY, stage = STAGE, now = F.NOW, mocks = F.mocks(),
  context = F.context("minor", { release = { previous_version = "2.5.0" } }),
  expect = {
    requirements = { ["version-bump"] = "fail" },
    messages = { ["version-bump"] = "version 2.4.0 is lower than release.previous_version 2.5.0" },
  },
}

test "patch: version-bump fails when nothing was bumped" {
  policy = POLICY, stage = STAGE, now = F.NOW, mocks = F.mocks(),
  context = F.context("patch", { release = { previous_version = "5.12.4+build.7" } }),
  expect = {
    requirements = { ["version-bump"] = "fail" },
    messages = { ["version-bump"] = "has the same precedence as release.previous_version 5.12.4+build.7: nothing was bumped" },
  },
}

test "major: version-bump passes a release candidate promoted to final" {
  policy = POLICY, stage = STAGE, now = F.NOW, mocks = F.mocks(),
  context = F.context("major", { release = { previous_version = "3.0.0-rc.2" } }),
  expect = {
    requirements = { ["version-bump"] = "pass" },
    messages = { ["version-bump"] = "3.0.0-rc.2 -> 3.0.0 stays on major release 3.0.0 (a pre-release bump)" },
  },
}

test "minor: version-bump fails a pre-release bump whose version is not of the release type" {
  policy = POLICY, stage = STAGE, now = F.NOW, mocks = F.mocks(),
  context = F.context("minor", { release = { version = "2.4.1", previous_version = "2.4.1-rc.1" } }),
  expect = {
    requirements = { ["version-bump"] = "fail" },
    messages = { ["version-bump"] = "2.4.1 is a patch version, not a minor one" },
  },
}

---------------------------------------------------------------------------------------
-- hotfix-incident (patch only)
---------------------------------------------------------------------------------------

test "patch: hotfix-incident fails when the hotfix references no incident" {
  policy = POLICY, stage = STAGE, now = F.NOW, mocks = F.mocks(),
  context = F.context("patch", { release = { incident = F.NONE } }),
  expect = {
    decision = "deny",
    requirements = { ["hotfix-incident"] = "fail" },
    messages = { ["hotfix-incident"] = "release.incident is absent: a hotfix must reference the critical production incident it fixes" },
  },
}

test "patch: hotfix-incident fails for an incident that is not critical" {
  policy = POLICY, stage = STAGE, now = F.NOW, mocks = F.mocks(),
  context = F.context("patch", { release = { incident = { severity = "high" } } }),
  expect = {
    decision = "deny",
    requirements = { ["hotfix-incident"] = "fail" },
    messages = { ["hotfix-incident"] = "incident INC-2231 is not critical: release.incident.severity is \"high\", expected \"critical\"" },
  },
}

test "patch: hotfix-incident fails for an incident without an id" {
  policy = POLICY, stage = STAGE, now = F.NOW, mocks = F.mocks(),
  context = F.context("patch", { release = { incident = { id = "" } } }),
  expect = {
    requirements = { ["hotfix-incident"] = "fail" },
    messages = { ["hotfix-incident"] = "release.incident.id is \"\", expected a non-empty string: the incident cannot be traced" },
  },
}

for _, ty in ipairs({ "minor", "major" }) do
  test(ty .. ": hotfix-incident does not apply") {
    policy = POLICY, stage = STAGE, now = F.NOW, mocks = F.mocks(),
    context = F.context(ty),
    expect = { decision = "allow", requirements = { ["hotfix-incident"] = "absent" } },
  }
end

---------------------------------------------------------------------------------------
-- release-notes
---------------------------------------------------------------------------------------

for _, ty in ipairs(F.TYPES) do
  test(ty .. ": release-notes fails when a template section is missing") {
    policy = POLICY, stage = STAGE, now = F.NOW, mocks = F.mocks(),
    context = F.context(ty, { evidence = { release_notes = "testdata/broken/notes-no-known-issues.md" } }),
    expect = {
      decision = "deny",
      requirements = { ["release-notes"] = "fail" },
      messages = { ["release-notes"] = "testdata/broken/notes-no-known-issues.md is not complete: no \"Known issues\" section" },
    },
  }
end

test "patch: release-notes fails when the version is named only inside comments" {
  policy = POLICY, stage = STAGE, now = F.NOW, mocks = F.mocks(),
  context = F.context("patch", { evidence = { release_notes = "testdata/broken/notes-version-in-comment.md" } }),
  expect = {
    decision = "deny",
    requirements = { ["release-notes"] = "fail" },
    messages = { ["release-notes"] = "the notes never mention version 5.12.4" },
  },
}

test "minor: release-notes fails for a section left blank" {
  policy = POLICY, stage = STAGE, now = F.NOW, mocks = F.mocks(),
  context = F.context("minor", { evidence = { release_notes = "testdata/broken/notes-blank-summary.md" } }),
  expect = {
    requirements = { ["release-notes"] = "fail" },
    messages = { ["release-notes"] = "\"Summary\" section (line 11) is blank" },
  },
}

test "patch: release-notes fails when the notes never name the version" {
  policy = POLICY, stage = STAGE, now = F.NOW, mocks = F.mocks(),
  context = F.context("patch", { evidence = { release_notes = "testdata/broken/notes-no-version.md" } }),
  expect = {
    requirements = { ["release-notes"] = "fail" },
    messages = { ["release-notes"] = "the notes never mention version 5.12.4" },
  },
}

test "major: release-notes fails when the notes are another release's" {
  policy = POLICY, stage = STAGE, now = F.NOW, mocks = F.mocks(),
  context = F.context("major", { evidence = { release_notes = "testdata/patch/RELEASE_NOTES.md" } }),
  expect = {
    requirements = { ["release-notes"] = "fail" },
    messages = { ["release-notes"] = "the first heading \"checkout-web 5.12.4 — hotfix for INC-2231\" names neither ledger-service nor 3.0.0" },
  },
}

test "minor: release-notes fails when no release notes are declared" {
  policy = POLICY, stage = STAGE, now = F.NOW, mocks = F.mocks(),
  context = F.context("minor", { evidence = { release_notes = F.NONE } }),
  expect = {
    requirements = { ["release-notes"] = "fail" },
    messages = { ["release-notes"] = "no evidence \"release_notes\" is declared (evidence.release_notes is absent)" },
  },
}

test "patch: release-notes fails when the declared file does not exist" {
  policy = POLICY, stage = STAGE, now = F.NOW, mocks = F.mocks(),
  context = F.context("patch", { evidence = { release_notes = "testdata/patch/NO_SUCH_FILE.md" } }),
  expect = {
    requirements = { ["release-notes"] = "fail" },
    messages = { ["release-notes"] = "evidence \"release_notes\" (testdata/patch/NO_SUCH_FILE.md) could not be read" },
  },
}

test "major: release-notes fails for a file that is not UTF-8 text" {
  policy = POLICY, stage = STAGE, now = F.NOW, mocks = F.mocks(),
  context = F.context("major", { evidence = { release_notes = "testdata/broken/not-utf8.md" } }),
  expect = {
    requirements = { ["release-notes"] = "fail", ["migration-steps"] = "fail" },
    messages = { ["release-notes"] = "is not UTF-8 text" },
  },
}

---------------------------------------------------------------------------------------
-- migration-steps (major only)
---------------------------------------------------------------------------------------

test "major: migration-steps passes and counts the steps" {
  policy = POLICY, stage = STAGE, now = F.NOW, mocks = F.mocks(),
  context = F.context("major"),
  expect = {
    requirements = { ["migration-steps"] = "pass" },
    messages = { ["migration-steps"] = "\"Migration steps\" (line 21) lists 3 step(s)" },
  },
}

test "major: migration-steps fails when the notes have no Migration steps section" {
  policy = POLICY, stage = STAGE, now = F.NOW, mocks = F.mocks(),
  context = F.context("major", { evidence = { release_notes = "testdata/major/notes-no-migration.md" } }),
  expect = {
    decision = "deny",
    requirements = { ["migration-steps"] = "fail", ["release-notes"] = "pass" },
    messages = { ["migration-steps"] = "the release notes have no \"Migration steps\" section" },
  },
}

test "major: migration-steps fails when the section holds only a comment" {
  policy = POLICY, stage = STAGE, now = F.NOW, mocks = F.mocks(),
  context = F.context("major", { evidence = { release_notes = "testdata/major/notes-blank-migration.md" } }),
  expect = {
    decision = "deny",
    requirements = { ["migration-steps"] = "fail", ["release-notes"] = "pass" },
    messages = { ["migration-steps"] = "the \"Migration steps\" section (line 19) is blank" },
  },
}

-- What renders as nothing is not there: a heading inside an HTML comment is no section
-- (a template placeholder left commented out), and a section of white space that shows
-- nothing -- ideographic, no-break and zero-width spaces, a BOM, &nbsp; -- is blank.
test "major: migration-steps fails when the section is commented out" {
  policy = POLICY, stage = STAGE, now = F.NOW, mocks = F.mocks(),
  context = F.context("major", { evidence = { release_notes = "testdata/major/notes-commented-migration.md" } }),
  expect = {
    decision = "deny",
    requirements = { ["migration-steps"] = "fail", ["release-notes"] = "pass" },
    messages = { ["migration-steps"] = "the release notes have no \"Migration steps\" section" },
  },
}

test "major: migration-steps fails when the section holds only invisible white space" {
  policy = POLICY, stage = STAGE, now = F.NOW, mocks = F.mocks(),
  context = F.context("major", { evidence = { release_notes = "testdata/major/notes-unicode-blank-migration.md" } }),
  expect = {
    decision = "deny",
    requirements = { ["migration-steps"] = "fail", ["release-notes"] = "pass" },
    messages = { ["migration-steps"] = "the \"Migration steps\" section (line 21) is blank" },
  },
}

for _, ty in ipairs({ "patch", "minor" }) do
  test(ty .. ": migration-steps does not apply, even to notes without the section") {
    policy = POLICY, stage = STAGE, now = F.NOW, mocks = F.mocks(),
    context = F.context(ty),
    expect = { decision = "allow", requirements = { ["migration-steps"] = "absent", ["release-notes"] = "pass" } },
  }
end

---------------------------------------------------------------------------------------
-- rollback-plan
---------------------------------------------------------------------------------------

for _, ty in ipairs(F.TYPES) do
  test(ty .. ": rollback-plan fails when the plan never names the rollback target") {
    policy = POLICY, stage = STAGE, now = F.NOW, mocks = F.mocks(),
    context = F.context(ty, { evidence = { rollback_plan = "testdata/broken/rollback-no-target.md" } }),
    expect = {
      decision = "deny",
      requirements = { ["rollback-plan"] = "fail" },
      messages = { ["rollback-plan"] = "testdata/broken/rollback-no-target.md never names the rollback target "
                                       .. F.release(ty).previous_version .. " (release.previous_version)" },
    },
  }
end

for _, ty in ipairs(F.TYPES) do
  test(ty .. ": rollback-plan fails when the target is named only inside a comment") {
    policy = POLICY, stage = STAGE, now = F.NOW, mocks = F.mocks(),
    context = F.context(ty, { evidence = { rollback_plan = "testdata/broken/rollback-target-in-comment.md" } }),
    expect = {
      decision = "deny",
      requirements = { ["rollback-plan"] = "fail" },
      messages = { ["rollback-plan"] = "never names the rollback target " .. F.release(ty).previous_version },
    },
  }
end

test "minor: rollback-plan fails for a blank plan" {
  policy = POLICY, stage = STAGE, now = F.NOW, mocks = F.mocks(),
  context = F.context("minor", { evidence = { rollback_plan = "testdata/broken/blank.md" } }),
  expect = {
    requirements = { ["rollback-plan"] = "fail" },
    messages = { ["rollback-plan"] = "evidence \"rollback_plan\" (testdata/broken/blank.md) is blank" },
  },
}

test "major: rollback-plan fails when no plan is declared" {
  policy = POLICY, stage = STAGE, now = F.NOW, mocks = F.mocks(),
  context = F.context("major", { evidence = { rollback_plan = F.NONE } }),
  expect = {
    requirements = { ["rollback-plan"] = "fail" },
    messages = { ["rollback-plan"] = "no evidence \"rollback_plan\" is declared" },
  },
}

---------------------------------------------------------------------------------------
-- smoke-tests-prepared
---------------------------------------------------------------------------------------

for _, ty in ipairs(F.TYPES) do
  test(ty .. ": smoke-tests-prepared fails when no smoke-test suite is declared") {
    policy = POLICY, stage = STAGE, now = F.NOW, mocks = F.mocks(),
    context = F.context(ty, { evidence = { smoke_tests = F.NONE } }),
    expect = {
      decision = "deny",
      requirements = { ["smoke-tests-prepared"] = "fail" },
      messages = { ["smoke-tests-prepared"] = "no evidence \"smoke_tests\" is declared (evidence.smoke_tests is absent)" },
    },
  }
end

test "patch: smoke-tests-prepared fails for a blank suite" {
  policy = POLICY, stage = STAGE, now = F.NOW, mocks = F.mocks(),
  context = F.context("patch", { evidence = { smoke_tests = "testdata/broken/blank.md" } }),
  expect = {
    requirements = { ["smoke-tests-prepared"] = "fail" },
    messages = { ["smoke-tests-prepared"] = "is blank" },
  },
}

test "minor: smoke-tests-prepared fails for a suite of invisible white space" {
  policy = POLICY, stage = STAGE, now = F.NOW, mocks = F.mocks(),
  context = F.context("minor", { evidence = { smoke_tests = "testdata/broken/unicode-blank.md" } }),
  expect = {
    decision = "deny",
    requirements = { ["smoke-tests-prepared"] = "fail" },
    messages = { ["smoke-tests-prepared"] = "is blank" },
  },
}

test "major: smoke-tests-prepared counts numbered tests" {
  policy = POLICY, stage = STAGE, now = F.NOW, mocks = F.mocks(),
  context = F.context("major"),
  expect = {
    requirements = { ["smoke-tests-prepared"] = "pass" },
    messages = { ["smoke-tests-prepared"] = "testdata/major/smoke-tests.md is ready: 4 test(s)" },
  },
}

---------------------------------------------------------------------------------------
-- release-manager-sign-off
---------------------------------------------------------------------------------------

for _, ty in ipairs(F.TYPES) do
  test(ty .. ": release-manager-sign-off fails when the release manager is the author") {
    policy = POLICY, stage = STAGE, now = F.NOW, mocks = F.mocks(),
    context = F.context(ty, { release = { author = "mkhan" } }),
    expect = {
      decision = "deny",
      requirements = { ["release-manager-sign-off"] = "fail" },
      messages = { ["release-manager-sign-off"] = "no release-manager approval counts (mkhan: they are the release author)" },
    },
  }
end

-- Approver != author compares identities (approvals.identity): the author's own
-- approval in another spelling does not count either.
for _, spelt in ipairs({ "MKhan", "mkhan ", "@mkhan", " MKHAN\u{00A0}", "mk\u{200B}han" }) do
  test(string.format("minor: release-manager-sign-off fails when the author approves as %q", spelt)) {
    policy = POLICY, stage = STAGE, now = F.NOW, mocks = F.mocks(),
    context = F.context("minor", {
      release = { author = "mkhan" },
      approvals = { { user = spelt, role = "release-manager", state = "approved", at = "2025-06-10T08:12:40Z" } },
    }),
    expect = {
      decision = "deny",
      requirements = { ["release-manager-sign-off"] = "fail" },
      messages = { ["release-manager-sign-off"] = "no release-manager approval counts (" .. spelt .. ": they are the release author)" },
    },
  }
end

-- Without an author nobody can tell the sign-off is someone else's: it fails.
for _, case in ipairs({ { F.NONE, "absent" }, { 7, "7" }, { "", '""' }, { "  ", '"  "' }, { { "mkhan" }, "an array of 1" } }) do
  test("minor: release-manager-sign-off fails when release.author is " .. case[2]) {
    policy = POLICY, stage = STAGE, now = F.NOW, mocks = F.mocks(),
    context = F.context("minor", { release = { author = case[1] } }),
    expect = {
      decision = "deny",
      requirements = { ["release-manager-sign-off"] = "fail" },
      messages = { ["release-manager-sign-off"] = "release.author is " .. case[2]
        .. ": nobody can tell that a sign-off comes from someone other than the release author" },
    },
  }
end

test "minor: release-manager-sign-off fails for an approval still pending" {
  policy = POLICY, stage = STAGE, now = F.NOW, mocks = F.mocks(),
  context = F.context("minor", {
    approvals = { { user = "mkhan", role = "release-manager", state = "pending" } },
  }),
  expect = {
    requirements = { ["release-manager-sign-off"] = "fail" },
    messages = { ["release-manager-sign-off"] = "no release-manager approval counts (mkhan: state is \"pending\")" },
  },
}

test "patch: release-manager-sign-off fails when only QA approved" {
  policy = POLICY, stage = STAGE, now = F.NOW, mocks = F.mocks(),
  context = F.context("patch", {
    approvals = { { user = "rjones", role = "qa", state = "approved" } },
  }),
  expect = {
    requirements = { ["release-manager-sign-off"] = "fail" },
    messages = { ["release-manager-sign-off"] = "no approval with role release-manager among 1 approval(s)" },
  },
}

test "major: release-manager-sign-off fails closed without approvals" {
  policy = POLICY, stage = STAGE, now = F.NOW, mocks = F.mocks(),
  context = F.context("major", { approvals = F.NONE }),
  expect = {
    requirements = { ["release-manager-sign-off"] = "fail" },
    messages = { ["release-manager-sign-off"] = "approvals is absent: nobody has signed off" },
  },
}

test "minor: release-manager-sign-off names the approver" {
  policy = POLICY, stage = STAGE, now = F.NOW, mocks = F.mocks(),
  context = F.context("minor"),
  expect = {
    requirements = { ["release-manager-sign-off"] = "pass" },
    messages = { ["release-manager-sign-off"] = "signed off by release manager mkhan at 2025-06-10T08:12:40Z" },
  },
}

---------------------------------------------------------------------------------------
-- ci-passing and security-scan: plugin checks, mocked
---------------------------------------------------------------------------------------

for _, ty in ipairs(F.TYPES) do
  test(ty .. ": ci-passing fails when ci.status fails") {
    policy = POLICY, stage = STAGE, now = F.NOW,
    context = F.context(ty),
    mocks = F.mocks { ["ci.status"] = fail("integration-tests failed on the release commit", { failed = { "integration-tests" } }) },
    expect = {
      decision = "deny",
      requirements = { ["ci-passing"] = "fail", ["security-scan"] = "pass" },
      messages = { ["ci-passing"] = "integration-tests failed" },
    },
  }

  test(ty .. ": security-scan fails when security.scan fails") {
    policy = POLICY, stage = STAGE, now = F.NOW,
    context = F.context(ty),
    mocks = F.mocks { ["security.scan"] = fail("findings over the limits: 1 critical (allowed 0)") },
    expect = {
      decision = "deny",
      requirements = { ["security-scan"] = "fail", ["ci-passing"] = "pass" },
      messages = { ["security-scan"] = "1 critical" },
    },
  }
end

test "minor: a plugin check that could not decide is an error, which denies" {
  policy = POLICY, stage = STAGE, now = F.NOW,
  context = F.context("minor"),
  mocks = F.mocks { ["security.scan"] = { status = "error", message = "check security.scan timed out after 30 s" } },
  expect = {
    decision = "deny",
    requirements = { ["security-scan"] = "error" },
    messages = { ["security-scan"] = "timed out" },
  },
}

test "patch: a plugin check warning makes the gate warn" {
  policy = POLICY, stage = STAGE, now = F.NOW,
  context = F.context("patch"),
  mocks = F.mocks { ["ci.status"] = warn("lint is still running (pending_fails = false)") },
  expect = { decision = "warn", requirements = { ["ci-passing"] = "warn" } },
}

test "major: a plugin check without a mock is an error" {
  policy = POLICY, stage = STAGE, now = F.NOW,
  context = F.context("major"),
  mocks = { ["ci.status"] = pass("ok") },
  expect = {
    decision = "deny",
    requirements = { ["ci-passing"] = "pass", ["security-scan"] = "error" },
    messages = { ["security-scan"] = "no mock for check security.scan in this test" },
  },
}
