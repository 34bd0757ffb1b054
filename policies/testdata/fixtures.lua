-- testdata/fixtures.lua: release contexts and mocks shared by the policy tests
-- (policies/*_test.lua).  A test file loads it with
--
--   local F = require "testdata.fixtures"
--
-- (require resolves in the test file's own directory, policies/).
--
-- F.context(type [, changes]) is a release context of that type that passes every
-- requirement of the OctoAcme policy at every stage when evaluated at F.NOW with
-- F.mocks(): each test then changes the one thing it is about.  CHANGES is merged
-- into the context, table by table: { release = { incident = F.NONE } } removes
-- release.incident, { deployment = { pipeline = "manual" } } replaces one field and
-- keeps the rest.  Lists are replaced whole.
--
-- Evidence read by inline Lua checks (release notes, rollback plan, smoke tests) are
-- files under policies/testdata/<type>/; paths resolve against the test file's
-- directory.  The plugin checks (ci.status, security.scan, backup.present) are mocked,
-- so their evidence (ci, security_scan, staging_smoke, backup) needs no file.

local F = {}

-- The clock every test evaluates at (the deployment window is 13:00-15:00 that day).
F.NOW = "2025-06-10T14:00:00Z"

F.TYPES = { "patch", "minor", "major" }

-- Marks a field to remove in F.context's CHANGES.
F.NONE = setmetatable({}, { __name = "F.NONE", __tostring = function() return "F.NONE" end })

-- Three services play the three release types, as in examples/README.md.
local RELEASES = {
  patch = {
    name = "checkout-web", version = "5.12.4", previous_version = "5.12.3", type = "patch",
    commit = "3f9a1c7e52b04d8e9a6f1c3b7d2e8a4f6b0c9d15", author = "apatel", ticket = "PCI-7204",
    data_migrations = false,
    incident = { id = "INC-2231", severity = "critical", summary = "EU checkout totals off by one cent" },
  },
  minor = {
    name = "payments-api", version = "2.4.0", previous_version = "2.3.8", type = "minor",
    commit = "8c4e2d19a07b3f5e6c1d8a9b2e4f70c3d5a6b8e1", author = "dlee", ticket = "PCI-1190",
    data_migrations = false,
  },
  major = {
    name = "ledger-service", version = "3.0.0", previous_version = "2.9.4", type = "major",
    commit = "b71e0d4c9a2f58e3d6c1a0b9f4e7d2c58a3b6e90", author = "ofernandez", ticket = "PCI-1175",
    data_migrations = true,
  },
}

local CHANGES = {
  patch = { { id = "#7712", title = "Round VAT per line item", merged = true, acceptance_criteria_met = true } },
  minor = {
    { id = "#4380", title = "Partial refunds", merged = true, acceptance_criteria_met = true },
    { id = "#4391", title = "Idempotency keys on POST /refunds", merged = true, acceptance_criteria_met = true },
  },
  major = {
    { id = "#1021", title = "Remove the v1 REST API", merged = true, acceptance_criteria_met = true },
    { id = "#1033", title = "Integer amounts", merged = true, acceptance_criteria_met = true },
    { id = "#1046", title = "Split journal_entries", merged = true, acceptance_criteria_met = true },
  },
}

local function copy(v)
  if type(v) ~= "table" or v == F.NONE then return v end
  local out = {}
  for k, x in pairs(v) do out[k] = copy(x) end
  return out
end

local function is_list(t)
  return type(t) == "table" and t[1] ~= nil
end

-- Merge CHANGES into BASE (in place): tables merge key by key, lists and other
-- values replace, F.NONE removes.
local function merge(base, changes)
  for k, v in pairs(changes) do
    if v == F.NONE then
      base[k] = nil
    elseif type(v) == "table" and not is_list(v) and type(base[k]) == "table" and not is_list(base[k]) then
      merge(base[k], v)
    else
      base[k] = copy(v)
    end
  end
  return base
end
F.merge = merge

-- A context of release type TYPE that passes everything, with CHANGES merged in.
function F.context(rtype, changes)
  local r = assert(RELEASES[rtype], "F.context: unknown release type")
  local ctx = {
    release = copy(r),
    approvals = {
      { user = "rjones", role = "qa", state = "approved", at = "2025-06-10T07:55:21Z" },
      { user = "mkhan", role = "release-manager", state = "approved", at = "2025-06-10T08:12:40Z" },
    },
    changes = copy(CHANGES[rtype]),
    deployment = {
      window = { start = "2025-06-10T13:00:00Z", ["end"] = "2025-06-10T15:00:00Z" },
      pipeline = "automated",
      staging = { deployed = true, deployed_at = "2025-06-10T11:40:00Z" },
      production = { version = r.version, deployed_at = "2025-06-10T13:20:00Z", pipeline = "automated" },
      verification = {
        status = "passed",
        checks = {
          { name = "error-rate", status = "passed", observed = "0.02%" },
          { name = "p99-latency", status = "passed", observed = "180ms" },
        },
      },
      announcement = { channels = { "stakeholders", "support" }, at = "2025-06-10T13:45:00Z" },
    },
    evidence = {
      release_notes = "testdata/" .. rtype .. "/RELEASE_NOTES.md",
      rollback_plan = "testdata/" .. rtype .. "/ROLLBACK.md",
      smoke_tests   = "testdata/" .. rtype .. "/smoke-tests.md",
      -- Read by the plugin checks, which the tests mock: no file needed.
      ci            = "ci-check-runs.json",
      security_scan = "trivy.sarif",
      staging_smoke = "staging-smoke.xml",
      backup        = "backup-manifest.json",
    },
  }
  return changes and merge(ctx, changes) or ctx
end

-- Every plugin check passes, unless OVERRIDES (check name -> result) says otherwise.
function F.mocks(overrides)
  local m = {
    ["ci.status"]      = pass("all required checks passed (mocked)"),
    ["security.scan"]  = pass("no findings over the limits (mocked)"),
    ["backup.present"] = pass("snapshot taken 1h ago (mocked)"),
  }
  for k, v in pairs(overrides or {}) do m[k] = v end
  return m
end

-- The release under test, for messages: F.release("minor").version == "2.4.0".
function F.release(rtype)
  return copy(RELEASES[rtype])
end

return F
