-- OctoAcme release guide, as a relgate policy.
--
-- Release types
--   patch  hotfix for a critical production issue
--   minor  incremental features and improvements
--   major  significant functionality or breaking changes
--
-- Stages
--   pre-release  the pre-release requirements
--   deploy       the deployment checklist that must hold before production
--   post-deploy  verifications after production; a deny here makes relgate add the
--                rollback & incident playbook to the decision's actions (open an
--                incident and notify on-call, roll back to release.previous_version,
--                triage the root cause)
--
-- Every check is fail-closed: a missing or ill-typed field fails its requirement with
-- a message naming the field; bad context data never makes a check raise.
--
-- "CI passing", "security scans passing" (pre-release), "backup or snapshot (if
-- applicable)" and the staging smoke-test run (deploy) read real evidence -- a GitHub
-- check-runs response, a SARIF log, a backup manifest, a JUnit report -- through the
-- check plugins ci.status, security.scan and backup.present (`relgate plugins` lists
-- their parameters). The evidence names they read: ci, security_scan, backup,
-- staging_smoke.

policy {
  name        = "octoacme",
  version     = "1.1.0",
  description = "OctoAcme release guide: pre-release requirements, deployment checklist, post-deploy verification",
}

local fields   = require "lib.fields"
local docs     = require "lib.documents"
local notes    = require "lib.notes"
local versions = require "lib.versions"
local deploy   = require "lib.deploy"

local ALL_TYPES = { "patch", "minor", "major" }

-- A check's verdict (ok, message, details) as a result.
local function verdict(ok, message, details)
  if ok then return pass(message, details) end
  return fail(message, details)
end

---------------------------------------------------------------------------------------
-- Pre-release requirements
---------------------------------------------------------------------------------------

requirement "changes-merged" {
  title  = "Acceptance criteria met and PRs merged",
  hint   = "Merge every PR linked to the release and tick its acceptance criteria; or unlink what is not shipping.",
  types  = ALL_TYPES,
  stages = { "pre-release" },
  level  = "mandatory",
  check  = function(ctx)
    local changes, why = fields.list(ctx, "changes")
    if not changes then return fail(why .. ": no linked change is recorded", { field = "changes" }) end
    local total, offending, lines = 0, {}, {}
    for i, c in ipairs(changes) do
      total = total + 1
      local id = type(c) == "table" and (type(c.id) == "string" or type(c.id) == "number") and tostring(c.id)
                 or string.format("changes[%d]", i)
      local problems = {}
      if type(c) ~= "table" then
        problems[#problems + 1] = "is " .. fields.describe(c) .. ", not an object"
      else
        if c.merged ~= true then
          problems[#problems + 1] = c.merged == false and "not merged" or ("merged is " .. fields.describe(c.merged))
        end
        if c.acceptance_criteria_met ~= true then
          problems[#problems + 1] = c.acceptance_criteria_met == false and "acceptance criteria not met"
                                    or ("acceptance_criteria_met is " .. fields.describe(c.acceptance_criteria_met))
        end
      end
      if #problems > 0 then
        offending[#offending + 1] = { id = id, problems = problems }
        lines[#lines + 1] = id .. " " .. table.concat(problems, ", ")
      end
    end
    local details = { field = "changes", checked = total, offending = offending }
    if total == 0 then return fail("changes is empty: no PR is linked to the release", details) end
    if #offending > 0 then
      local of = fields.plural(total, "linked change") .. (total == 1 and " is" or " are")
      return fail(string.format("%d of %s not ready: %s", #offending, of, table.concat(lines, "; ")), details)
    end
    local all = total == 1 and "the one linked change is" or string.format("all %d linked changes are", total)
    return pass(all .. " merged with acceptance criteria met", details)
  end,
}

-- The type is the SemVer bump from release.previous_version; a minor or major bump
-- resets the lower fields. A release candidate promoted to final (3.0.0-rc.2 -> 3.0.0)
-- counts as the type its version's shape implies (X.0.0 major, X.Y.0 minor, else
-- patch). No previous_version: cannot verify, so it fails. See lib/versions.lua.
requirement "version-bump" {
  title  = "Version number matches the release type",
  hint   = "Set release.previous_version to the release now in production, and bump the version as the type says: patch x.y.Z, minor x.Y.0, major X.0.0.",
  description = "The release type is the SemVer bump from the last known-good release; see lib/versions.lua for pre-releases.",
  types  = ALL_TYPES,
  -- every stage: the type chooses what applies at deploy too (the window, the backup),
  -- and each stage is decided on its own context (hostile round 31, F01: 2.9.4 -> 3.0.0
  -- typed patch at deploy skipped the window and the backup)
  stages = { "pre-release", "deploy", "post-deploy" },
  level  = "mandatory",
  check  = function(ctx)
    return verdict(versions.check_bump(ctx))
  end,
}

requirement "hotfix-incident" {
  title  = "A hotfix references the critical production incident it fixes",
  hint   = "Set release.incident to the incident record: { \"id\": \"INC-...\", \"severity\": \"critical\" }. A release that fixes no critical incident is a minor release.",
  types  = { "patch" },
  stages = { "pre-release" },
  level  = "mandatory",
  check  = function(ctx)
    local details = { fields = { "release.incident.id", "release.incident.severity" } }
    local incident, why = fields.object(ctx, "release.incident")
    if not incident then
      return fail(why .. ": a hotfix must reference the critical production incident it fixes", details)
    end
    local id
    id, why = fields.string(ctx, "release.incident.id")
    if not id then return fail(why .. ": the incident cannot be traced", details) end
    details.incident, details.severity = id, incident.severity
    local ok
    ok, why = fields.expect(ctx, "release.incident.severity", "critical")
    if not ok then
      return fail(string.format("incident %s is not critical: %s; patch releases are for critical production issues",
                                id, why), details)
    end
    local summary = type(incident.summary) == "string" and (" (" .. incident.summary .. ")") or ""
    return pass(string.format("fixes critical incident %s%s", id, summary), details)
  end,
}

-- The release name / number is a filled "Release name / number" section, or a first
-- heading naming the release ("# payments-api 2.4.0"); Migration steps may be left
-- out here (major releases: see migration-steps). See lib/notes.lua.
requirement "release-notes" {
  title  = "Release notes drafted from the template",
  hint   = "Fill in every section of the release-notes template: Release name / number, Date, Summary, Notable changes, Migration steps (if any), Known issues (\"None\" is fine); and name the version.",
  types  = ALL_TYPES,
  stages = { "pre-release" },
  level  = "mandatory",
  check  = function(ctx)
    local text, why, details = notes.read(ctx)
    if not text then return fail(why, details) end
    local r = notes.review(text, ctx.release)
    details.sections, details.missing, details.blank = r.sections, r.missing, r.blank
    details.release_name_number, details.mentions_version = r.identity, r.mentions_version
    if #r.problems > 0 then
      return fail(string.format("%s is not complete: %s", details.file, table.concat(r.problems, "; ")), details)
    end
    return pass(string.format("%s follows the template and mentions %s; release named in the %s",
                              details.file, ctx.release.version, r.identity), details)
  end,
}

requirement "migration-steps" {
  title  = "Release notes give migration steps for a major release",
  hint   = "Add a \"Migration steps\" section to the release notes telling users what to change, step by step.",
  types  = { "major" },
  stages = { "pre-release" },
  level  = "mandatory",
  check  = function(ctx)
    local text, why, details = notes.read(ctx)
    if not text then return fail(why, details) end
    local ok, message, d = notes.migration(text)
    for k, v in pairs(d) do details[k] = v end
    return verdict(ok, message, details)
  end,
}

requirement "rollback-plan" {
  title  = "Rollback / mitigation plan documented",
  hint   = "Write the rollback plan (evidence rollback_plan) and name the release it rolls back to: release.previous_version.",
  types  = ALL_TYPES,
  stages = { "pre-release" },
  level  = "mandatory",
  check  = function(ctx)
    local text, why, details = docs.read_filled(ctx, "rollback_plan")
    if not text then return fail(why, details) end
    local target
    target, why = fields.string(ctx, "release.previous_version")
    if not target then
      return fail(why .. ": cannot tell which release the rollback plan must return to", details)
    end
    details.rollback_target = target
    details.names_target = docs.mentions_version(text, target)
    if not details.names_target then
      return fail(string.format("%s never names the rollback target %s (release.previous_version)",
                                details.file, target), details)
    end
    return pass(string.format("%s documents the rollback to %s", details.file, target), details)
  end,
}

requirement "smoke-tests-prepared" {
  title  = "Smoke tests prepared",
  hint   = "Write the smoke-test suite the deployment will run (evidence smoke_tests).",
  types  = ALL_TYPES,
  stages = { "pre-release" },
  level  = "mandatory",
  check  = function(ctx)
    local text, why, details = docs.read_filled(ctx, "smoke_tests")
    if not text then return fail(why, details) end
    details.tests = docs.count_items(text)
    local what = details.tests > 0 and string.format("%d test(s)", details.tests) or string.format("%d line(s)", details.lines)
    return pass(string.format("%s is ready: %s", details.file, what), details)
  end,
}

requirement "release-manager-sign-off" {
  title  = "Release Manager sign-off obtained",
  hint   = "Ask a release manager other than the release author to approve the release.",
  types  = ALL_TYPES,
  stages = { "pre-release" },
  level  = "mandatory",
  check  = function(ctx)
    local list, why = fields.list(ctx, "approvals")
    if not list then return fail(why .. ": nobody has signed off", { field = "approvals" }) end
    local details = { field = "approvals", approvals = fields.count(list) }
    -- Separation of duties needs to know who wrote the release: without an author no
    -- approval can be shown to come from someone else.
    local author = type(ctx.release) == "table" and ctx.release.author or nil
    if approvals.identity(author) == nil then
      details.author = fields.describe(author)
      return fail("release.author is " .. fields.describe(author) .. ": nobody can tell that a sign-off "
        .. "comes from someone other than the release author", details)
    end
    local a = approvals.find(ctx, "release-manager")
    if a then
      details.approver, details.at = a.user, a.at
      return pass(string.format("signed off by release manager %s at %s", a.user, tostring(a.at)), details)
    end
    -- Say why the release-manager approvals that exist do not count.
    local ignored, reasons = {}, {}
    for _, e in ipairs(list) do
      if type(e) == "table" and e.role == "release-manager" then
        local who = type(e.user) == "string" and e.user ~= "" and e.user or "(no user)"
        local reason
        if e.state ~= "approved" then
          reason = "state is " .. fields.describe(e.state)
        elseif who == "(no user)" then
          reason = "it names no user"
        elseif approvals.same_person(who, author) then
          reason = "they are the release author"
        else
          reason = "it does not count"
        end
        ignored[#ignored + 1] = { user = who, reason = reason }
        reasons[#reasons + 1] = who .. ": " .. reason
      end
    end
    details.ignored = ignored
    if #ignored > 0 then
      return fail("no release-manager approval counts (" .. table.concat(reasons, "; ") .. ")", details)
    end
    return fail(string.format("no approval with role release-manager among %d approval(s)", details.approvals), details)
  end,
}

-- The CI checks every release needs, by type: a hotfix needs its build and unit tests;
-- a minor release adds integration tests and lint; a major one adds end-to-end tests.
-- Runs for another commit than release.commit do not count (match_commit, default on);
-- a re-run of a check replaces its earlier run.
requirement "ci-passing" {
  title  = "CI passing",
  hint   = "Make the CI checks of the release commit green (evidence ci: GitHub's check runs for release.commit); re-run or fix what failed.",
  description = "Required checks -- patch: build, unit-tests; minor: + integration-tests, lint; major: + e2e-tests. Any other failing check fails too.",
  types  = ALL_TYPES,
  stages = { "pre-release" },
  level  = "mandatory",
  check  = "ci.status",
  with   = {
    reports  = evidence "ci",
    required = by_type {
      patch = { "build", "unit-tests" },
      minor = { "build", "unit-tests", "integration-tests", "lint" },
      major = { "build", "unit-tests", "integration-tests", "lint", "e2e-tests" },
    },
  },
}

-- Security scan thresholds, by type. A hotfix must not wait for medium (or high)
-- findings, but may not ship a critical one; minor and major releases fail on high.
-- A major release also caps medium findings. The scan must be of release.commit and
-- recent: a week for a hotfix (its base was scanned when it shipped), three days for
-- a minor release, a day for a major one. Suppressed SARIF results (accepted
-- suppressions) do not count.
requirement "security-scan" {
  title  = "Security scans passing",
  hint   = "Scan release.commit (evidence security_scan, SARIF 2.1.0) and fix or upgrade what is over the limit: patch no critical; minor and major no high or critical; major at most 10 medium. Rescan if the report is too old.",
  description = "Limits -- patch: fails on critical, report at most 168h old; minor: fails on high, 72h; major: fails on high, at most 10 medium, 24h.",
  types  = ALL_TYPES,
  stages = { "pre-release" },
  level  = "mandatory",
  check  = "security.scan",
  with   = {
    reports    = evidence "security_scan",
    fail_on    = by_type { patch = "critical", minor = "high", major = "high" },
    max_medium = by_type { major = 10 },
    max_age    = by_type { patch = "168h", minor = "72h", major = "24h" },
    require_commit_match = true,
  },
}

---------------------------------------------------------------------------------------
-- Deployment checklist (before production)
---------------------------------------------------------------------------------------

requirement "deployment-window" {
  title  = "Deployment inside the scheduled deployment window",
  hint   = "Schedule a deployment window (deployment.window.start/end, RFC 3339) and deploy while it is open.",
  description = "\"Deployment window scheduled (if needed)\": minor and major releases need one; a hotfix may deploy outside any window.",
  types  = { "minor", "major" },
  stages = { "deploy" },
  level  = "mandatory",
  check  = function(ctx)
    return verdict(deploy.window(ctx))
  end,
}

-- "Backup or snapshot (if applicable)": it applies to every major release, and to a
-- patch or minor release that migrates data (release.data_migrations == true). The
-- newest completed snapshot decides; a major release's must also have been restored
-- once as a test.
requirement "backup-taken" {
  title  = "Backup or snapshot taken (if applicable)",
  hint   = "Take a backup or snapshot right before deploying and record it in the backup manifest (evidence backup); for a major release, also verify a restore of it.",
  description = "Applies to major releases, and to patch and minor releases with release.data_migrations = true. The newest completed snapshot must be at most 24h old; a major release's must be restore-verified.",
  types  = ALL_TYPES,
  stages = { "deploy" },
  level  = "mandatory",
  when   = function(ctx)
    if ctx.release.type == "major" then return true end
    local migrations = ctx.release.data_migrations
    -- Fail closed: only an explicit false (or no field) spares the backup, and a field
    -- that looks like it misspelt ("data-migrations": true) is no absent field.
    if migrations ~= nil and migrations ~= false then return true end
    if migrations == nil and fields.misspelt(ctx.release, "data_migrations") then return true end
    return false, string.format("release.data_migrations is %s: a %s release without data migrations needs no backup",
                                fields.describe(migrations), ctx.release.type)
  end,
  check  = "backup.present",
  with   = {
    backup  = evidence "backup",
    max_age = "24h",
    require_restore_verified = by_type { patch = false, minor = false, major = true },
  },
}

requirement "staging-deployed" {
  title  = "Deployed to staging",
  hint   = "Deploy the release to staging and record deployment.staging.deployed = true.",
  types  = ALL_TYPES,
  stages = { "deploy" },
  level  = "mandatory",
  check  = function(ctx)
    return verdict(deploy.staging(ctx))
  end,
}

requirement "staging-smoke-tests" {
  title  = "Smoke tests run on staging and passed",
  hint   = "Run the smoke-test suite against staging and attach its JUnit report (evidence staging_smoke); fix what failed and run it again.",
  types  = ALL_TYPES,
  stages = { "deploy" },
  level  = "mandatory",
  check  = "ci.status",
  with   = {
    reports = evidence "staging_smoke",
    format  = "junit",
  },
}

requirement "automated-pipeline" {
  title  = "Production deployment through the automated pipeline (preferred)",
  hint   = "Deploy with the automated pipeline; a manual deployment is allowed but must be justified.",
  types  = ALL_TYPES,
  stages = { "deploy" },
  level  = "advisory",
  check  = function(ctx)
    local ok, why = fields.expect(ctx, "deployment.pipeline", "automated")
    local details = { field = "deployment.pipeline", pipeline = fields.get(ctx, "deployment.pipeline") }
    if not ok then return fail(why .. ": the guide prefers the automated pipeline", details) end
    return pass("deploying through the automated pipeline", details)
  end,
}

requirement "rollback-target-known" {
  title  = "Rollback target known (last known-good release)",
  hint   = "Set release.previous_version to the release now in production: the rollback playbook returns to it.",
  types  = ALL_TYPES,
  stages = { "deploy" },
  level  = "mandatory",
  check  = function(ctx)
    local details = { field = "release.previous_version", version = ctx.release.version }
    local target, why = fields.string(ctx, "release.previous_version")
    if not target then return fail(why .. ": a failed deployment would have no release to roll back to", details) end
    details.rollback_target = target
    if not semver.valid(target) then
      return fail(string.format("release.previous_version %s is not a SemVer version", fields.describe(target)), details)
    end
    if semver.compare(target, ctx.release.version) >= 0 then
      return fail(string.format("release.previous_version %s is not older than %s: it cannot be the last known-good release",
                                target, ctx.release.version), details)
    end
    return pass(string.format("a failed deployment rolls back to %s", target), details)
  end,
}

---------------------------------------------------------------------------------------
-- Post-deploy
---------------------------------------------------------------------------------------

requirement "production-deployed" {
  title  = "Release deployed to production",
  hint   = "Deploy the release to production, then record deployment.production.version.",
  types  = ALL_TYPES,
  stages = { "post-deploy" },
  level  = "mandatory",
  check  = function(ctx)
    local details = { field = "deployment.production.version", expected = ctx.release.version }
    local running, why = fields.string(ctx, "deployment.production.version")
    if not running then return fail(why .. ": nothing says the release reached production", details) end
    details.running = running
    if running ~= ctx.release.version then
      return fail(string.format("production runs %s, not %s", running, ctx.release.version), details)
    end
    local at = fields.get(ctx, "deployment.production.deployed_at")
    details.deployed_at = type(at) == "string" and at or nil
    local when = details.deployed_at and (" since " .. details.deployed_at) or ""
    return pass(string.format("production runs %s%s", running, when), details)
  end,
}

requirement "post-deploy-verification" {
  title  = "Post-deploy verifications passed",
  hint   = "Run the post-deploy verifications; if one fails, follow the rollback & incident playbook.",
  types  = ALL_TYPES,
  stages = { "post-deploy" },
  level  = "mandatory",
  check  = function(ctx)
    return verdict(deploy.verification(ctx))
  end,
}

requirement "release-announced" {
  title  = "Release announced to stakeholders and support",
  hint   = "Announce the release on the stakeholders and support channels and record them in deployment.announcement.channels.",
  types  = ALL_TYPES,
  stages = { "post-deploy" },
  level  = "advisory",
  check  = function(ctx)
    return verdict(deploy.announcement(ctx, { "stakeholders", "support" }))
  end,
}
