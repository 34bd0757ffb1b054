-- The release gate of the peers (../shared/peers: jq, json-rules-engine, Cedar), as a
-- relgate policy, for the side-by-side benchmark and the decision crosscheck (issue #7).
--
-- The spec is the peers' README, "Requirements" (and the jq peer, gate.jq + lib.jq, where
-- the README is silent): 14 requirements with the peers' ids, applicability and
-- parameters copied from peers/inputs/policy.json. The context is the peers' shape:
-- release {name, version, previous_version, type, commit, author, scheduled_at},
-- approvals [{user, role, state}], evidence {ci_status, security_scan, release_notes,
-- backup_manifest}.
--
-- How each requirement is checked
--   security.no_critical, security.no_high, security.scan_current
--                    the security.scan plugin, which scans the SARIF log without decoding
--                    it whole (a 48 MB report cannot go through evidence.read, capped at
--                    1 MiB, nor be decoded within the policy memory limit). It counts like
--                    the peers on all their inputs; a file that is not SARIF is an error
--                    where the peers fail (docs/performance.md, "Where relgate and the
--                    peers differ", lists the rules that differ on other inputs).
--   everything else  inline Lua over evidence.read + json.decode, because ci.status and
--                    backup.present judge more than the peers do (ci.status fails on a
--                    pending or neutral non-required check, a paginated list, an
--                    unparsable report is an error; backup.present checks the size and
--                    a future date, a malformed manifest is an error).
-- Every inline check is fail-closed like the peers: a missing, unreadable or wrongly
-- shaped evidence file fails every requirement that needs it; context fields of the
-- wrong JSON type count as absent.
--
-- What relgate does not do like the peers, by design of the engine: a context whose
-- release.type is not patch/minor/major, whose release is not an object, whose
-- version/previous_version is not SemVer, whose evidence is not an object of relative
-- paths, or a line that is not a JSON object, is a context error (decision "error",
-- exit 2) before any requirement runs. The peers deny those (an unknown type with the
-- single result release.type).

policy {
  name        = "peers-bench",
  version     = "1.0.0",
  description = "The peers' release gate (14 requirements, peers/inputs/policy.json) for benchmarks and crosschecks",
}

-- The builtins the checks call, as locals: a global is looked up through the sandbox's
-- environment on every use, a local is a register (a batch calls these ~100 times a
-- decision).
local pass, fail, type, ipairs, pairs, tostring, tonumber = pass, fail, type, ipairs, pairs, tostring, tonumber
local concat, sort, format = table.concat, table.sort, string.format
local read_evidence, decode_json = evidence.read, json.decode

---------------------------------------------------------------------------------------
-- Parameters: peers/inputs/policy.json, copied
---------------------------------------------------------------------------------------

local P = {
  patch = {
    required_checks   = { "build", "unit-tests" },
    required_sections = { "Fixes" },
    min_approvals     = 1,
    max_scan_age_h    = 168,
    max_backup_age_h  = 24,
    window = { days = { Mon = true, Tue = true, Wed = true, Thu = true, Fri = true }, start = 6 * 60, stop = 20 * 60 },
  },
  minor = {
    required_checks   = { "build", "unit-tests", "integration-tests", "lint" },
    required_sections = { "Features", "Fixes" },
    min_approvals     = 2,
    max_scan_age_h    = 72,
    max_backup_age_h  = 24,
    window = { days = { Mon = true, Tue = true, Wed = true, Thu = true }, start = 9 * 60, stop = 16 * 60 },
  },
  major = {
    required_checks   = { "build", "unit-tests", "integration-tests", "lint", "e2e-tests" },
    required_sections = { "Features", "Fixes", "Breaking Changes", "Migration Guide" },
    min_approvals     = 3,
    max_scan_age_h    = 24,
    max_backup_age_h  = 24,
    window = { days = { Tue = true, Wed = true }, start = 9 * 60, stop = 12 * 60 },
  },
}

local BAD_CONCLUSIONS = {
  failure = true, timed_out = true, cancelled = true, action_required = true,
  startup_failure = true, stale = true,
}

-- [from, to) as epoch seconds: 2025-06-27T00:00:00Z .. 2025-06-30T06:00:00Z, 2025-12-19T00:00:00Z .. 2026-01-05T00:00:00Z
local FREEZE = {
  { from = 1750982400, to = 1751263200, reason = "quarter close" },
  { from = 1766102400, to = 1767571200, reason = "year-end freeze" },
}

local ALL, MINOR_UP, MAJOR = { "patch", "minor", "major" }, { "minor", "major" }, { "major" }

---------------------------------------------------------------------------------------
-- Helpers
---------------------------------------------------------------------------------------

local function verdict(ok, message)
  if ok then return pass(message) end
  return fail(message)
end

local function missing(kind)
  return fail("evidence missing or unreadable: " .. kind)
end

local function str(x)
  if type(x) == "string" then return x end
  return nil
end

-- What a value is as JSON: the context's tables and json.decode's know whether they were
-- an object or an array, so {} and [] differ, as for the peers.
local jtype = json.type

local function is_array(t) return jtype(t) == "array" end
local function is_object(t) return jtype(t) == "object" end

-- The items of a JSON array as a Lua sequence, JSON nulls (holes) skipped, as the peers
-- skip them or fail the file; anything else has none.  # of a JSON array counts its nulls.
local function items(t)
  local out = {}
  if jtype(t) ~= "array" then return out end
  for i = 1, #t do
    local v = t[i]
    if v ~= nil then out[#out + 1] = v end
  end
  return out
end

-- Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
local function days_from_civil(y, m, d)
  if m <= 2 then y = y - 1 end
  local era = (y >= 0 and y or y - 399) // 400
  local yoe = y - era * 400
  local mp = (m + 9) % 12
  local doy = (153 * mp + 2) // 5 + d - 1
  local doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
  return era * 146097 + doe - 719468
end

-- RFC 3339 UTC with "Z" (a fraction is dropped) -> epoch seconds, like the peers' epoch():
-- "YYYY-MM-DDTHH:MM:SS[.f]Z" only; anything else (another zone, a space, a number) is nil.
local function epoch(s)
  if type(s) ~= "string" then return nil end
  local y, mo, d, h, mi, se = s:match("^(%d%d%d%d)%-(%d%d)%-(%d%d)T(%d%d):(%d%d):(%d%d)Z$")
  if not y then
    y, mo, d, h, mi, se = s:match("^(%d%d%d%d)%-(%d%d)%-(%d%d)T(%d%d):(%d%d):(%d%d)%.%d+Z$")
    if not y then return nil end
  end
  y, mo, d, h, mi, se = tonumber(y), tonumber(mo), tonumber(d), tonumber(h), tonumber(mi), tonumber(se)
  if mo < 1 or mo > 12 or d < 1 or d > 31 or h > 23 or mi > 59 or se > 60 then return nil end
  return days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se
end

-- "N.N.N" without leading zeros -> {M, m, p}, else nil.
local function semver3(v)
  if type(v) ~= "string" then return nil end
  local a, b, c = v:match("^(%d+)%.(%d+)%.(%d+)$")
  if not a then return nil end
  for _, part in ipairs({ a, b, c }) do
    if #part > 1 and part:sub(1, 1) == "0" then return nil end
  end
  return { tonumber(a), tonumber(b), tonumber(c) }
end


-- Order of JSON values as jq sorts them (null < false < true < numbers < strings < ...).
local function jq_rank(v)
  if v == nil then return 0 end
  if v == false then return 1 end
  if v == true then return 2 end
  if type(v) == "number" then return 3 end
  if type(v) == "string" then return 4 end
  return 5
end

local function jq_ge(a, b)   -- a >= b in jq's order (tables: equal, good enough here)
  local ra, rb = jq_rank(a), jq_rank(b)
  if ra ~= rb then return ra > rb end
  if ra == 3 or ra == 4 then return a >= b end
  return true
end

-- Evidence summaries are kept for the run: a batch's contexts mostly name the same
-- files, and relgate hands back the same string (and the same decoded tables) for the
-- same file content, so a summary is worked out once per distinct file (and commit), not
-- once per context.  memo() is relgate's cache for that (docs/policies.md, "memo"): the
-- policy's own tables are frozen once it has loaded, so that no check leaves state for
-- another; memo's results depend only on its arguments and are read-only.
-- A pure function of two strings, and a batch holds few distinct version pairs.
local bump = memo(function(from, to)
  local a, b = semver3(from), semver3(to)
  if not a or not b then return "invalid" end
  if b[1] > a[1] and b[2] == 0 and b[3] == 0 then return "major" end
  if b[1] == a[1] and b[2] > a[2] and b[3] == 0 then return "minor" end
  if b[1] == a[1] and b[2] == a[2] and b[3] > a[3] then return "patch" end
  return "invalid"
end)

local function read_json(name)
  local text = read_evidence(name)
  if not text then return nil end
  return decode_json(text, name)
end

-- Values several requirements need, worked out once per decision: every check of one
-- decision gets the same context table, a new one for each decision (memo keyed by ctx).
-- The approvals that count: state "approved", a non-empty string user, not the author.
local function approvals_of(ctx)
  local r = type(ctx.release) == "table" and ctx.release or {}
  local out = {}
  for _, a in ipairs(items(ctx.approvals)) do
    if is_object(a) and a.state == "approved" and type(a.user) == "string" and a.user ~= ""
        and a.user ~= r.author then
      out[#out + 1] = a
    end
  end
  return out
end

local counted_approvals = memo(approvals_of)

local function has_role(appr, role)
  for _, a in ipairs(appr) do
    if a.role == role then return true end
  end
  return false
end

-- The time the deployment is judged at: scheduled_at, else now; nil when malformed.
local function deploy_time_of(ctx)
  local s = ctx.release.scheduled_at
  if s == nil then return ctx.now end
  return epoch(s)
end

local deploy_time = memo(deploy_time_of)

local BAD_TIME = "scheduled_at is not an RFC 3339 UTC time"
local WEEKDAYS = { [0] = "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" }

---------------------------------------------------------------------------------------
-- Evidence summaries (as the peers' lib.jq)
---------------------------------------------------------------------------------------

-- GitHub check runs -> the latest run per name among those for COMMIT, or nil (unreadable).
local ci_latest_of = memo(function(doc, commit)
  if not is_object(doc) or type(doc.check_runs) ~= "table" or not is_array(doc.check_runs) then return nil end
  local latest, order = {}, {}
  for _, run in ipairs(items(doc.check_runs)) do
    if not is_object(run) then return nil end   -- jq cannot index it: the file is unreadable
    local t = run.completed_at
    if t == nil or t == false then t = run.started_at end
    if t == nil or t == false then t = "" end
    if run.head_sha == commit then
      local key = run.name == nil and "\0null" or tostring(run.name)
      local prev = latest[key]
      if not prev then order[#order + 1] = key end
      if not prev or jq_ge(t, prev.t) then latest[key] = { run = run, t = t } end
    end
  end
  local out = {}
  for _, key in ipairs(order) do out[#out + 1] = latest[key].run end
  return out
end)

local function ci_latest(commit)
  return ci_latest_of(read_json("ci_status"), commit)
end

-- Markdown release notes -> title, set of the "## " sections that hold content.
local notes_of = memo(function(text)
  local title, cur, filled = nil, nil, {}
  local pos, len = 1, #text
  while pos <= len + 1 do
    local nl = text:find("\n", pos, true)
    local line = text:sub(pos, (nl or len + 1) - 1)
    pos = (nl or len + 1) + 1
    if line:sub(-1) == "\r" then line = line:sub(1, -2) end
    if line:sub(1, 3) == "## " then
      cur = line:sub(4):match("^ *(.-) *$")
      if filled[cur] == nil then filled[cur] = false end
    elseif line:sub(1, 2) == "# " then
      if title == nil then title = line:sub(3) end
      cur = nil
    elseif cur ~= nil and not (line:match("^%s*$") or line:match("^%s*<!%-%-.*%-%->%s*$")) then
      filled[cur] = true
    end
    if not nl then break end
  end
  return { title = title or "", filled = filled }
end)

local function notes_summary()
  local text = read_evidence("release_notes")
  if not text then return nil end
  return notes_of(text)
end

-- Backup manifest -> newest completed snapshot {completed = epoch or nil, verified}, or nil.
local backup_of = memo(function(doc)
  if not is_object(doc) or type(doc.snapshots) ~= "table" or not is_array(doc.snapshots) then return nil end
  local best
  for _, s in ipairs(items(doc.snapshots)) do
    if not is_object(s) then return nil end
    if s.status == "completed" and s.completed_at ~= nil and (not best or jq_ge(s.completed_at, best.completed_at)) then
      best = s
    end
  end
  if not best then return { completed = nil, verified = false } end
  return { completed = epoch(best.completed_at), verified = best.restore_verified == true }
end)

local function backup_summary()
  return backup_of(read_json("backup_manifest"))
end

local function hours(s) return (s // 360) / 10 end

---------------------------------------------------------------------------------------
-- The 14 requirements, in the peers' order
---------------------------------------------------------------------------------------

requirement "release.version" {
  title = "The version is a bump of exactly the release type",
  types = ALL,
  check = function(ctx)
    local r = ctx.release
    local b = bump(r.previous_version, r.version)
    return verdict(b == r.type, tostring(r.previous_version) .. " -> " .. tostring(r.version) .. ": " .. b .. " bump")
  end,
}

requirement "ci.passed" {
  title = "Every required CI check passed and none failed (latest run per name, this commit)",
  types = ALL,
  check = function(ctx)
    local t = P[ctx.release.type]
    local runs = ci_latest(ctx.release.commit)
    if not runs then return missing("ci_status") end
    local passed, bad = {}, {}
    for _, run in ipairs(runs) do
      if run.status == "completed" and run.conclusion == "success" and run.name ~= nil then passed[run.name] = true end
      if BAD_CONCLUSIONS[run.conclusion] then bad[#bad + 1] = tostring(run.name) end
    end
    local miss = {}
    for _, c in ipairs(t.required_checks) do
      if not passed[c] then miss[#miss + 1] = c end
    end
    if #miss == 0 and #bad == 0 then
      return pass(#t.required_checks .. " required checks passed")
    end
    for _, b in ipairs(bad) do miss[#miss + 1] = b end
    sort(miss)
    return fail("not passed: " .. concat(miss, ", "))
  end,
}

requirement "security.no_critical" {
  title = "No unsuppressed CRITICAL result in the security scan",
  types = ALL,
  check = "security.scan",
  with  = { reports = evidence "security_scan", format = "sarif", fail_on = "none", unrecognised = "fail", max_critical = 0 },
}

requirement "security.no_high" {
  title = "No unsuppressed HIGH result in the security scan",
  types = MINOR_UP,
  check = "security.scan",
  with  = { reports = evidence "security_scan", format = "sarif", fail_on = "none", unrecognised = "fail", max_high = 0 },
}

requirement "security.scan_current" {
  title = "The security scan is of this commit and recent enough",
  types = ALL,
  check = "security.scan",
  with  = {
    reports = evidence "security_scan", format = "sarif", fail_on = "none", unrecognised = "fail",
    require_commit_match = true,
    max_age = by_type { patch = "168h", minor = "72h", major = "24h" },
  },
}

requirement "notes.sections" {
  title = "The release notes hold every required section, not empty",
  types = ALL,
  check = function(ctx)
    local t = P[ctx.release.type]
    local n = notes_summary()
    if not n then return missing("release_notes") end
    local miss = {}
    for _, s in ipairs(t.required_sections) do
      if not n.filled[s] then miss[#miss + 1] = s end
    end
    if #miss == 0 then return pass("all required sections present") end
    return fail("missing or empty: " .. concat(miss, ", "))
  end,
}

requirement "notes.version" {
  title = "The release notes' title names the version",
  types = ALL,
  check = function(ctx)
    local n = notes_summary()
    if not n then return missing("release_notes") end
    local v = ctx.release.version
    local pos = 1
    while true do
      local sp = n.title:find(" ", pos, true)
      local word = n.title:sub(pos, (sp or 0) - 1)
      if word:sub(1, 1) == "v" then word = word:sub(2) end
      if word == v then return pass("title: " .. n.title) end
      if not sp then break end
      pos = sp + 1
    end
    return fail("title: " .. n.title)
  end,
}

local function approver_list(appr)
  local seen, users = {}, {}
  for _, a in ipairs(appr) do
    if not seen[a.user] then seen[a.user] = true; users[#users + 1] = a.user end
  end
  sort(users)
  return users
end

requirement "approvals.release_manager" {
  title = "A release manager approved",
  types = ALL,
  check = function(ctx)
    local appr = counted_approvals(ctx)
    return verdict(has_role(appr, "release-manager"), "approvers: " .. concat(approver_list(appr), ", "))
  end,
}

requirement "approvals.count" {
  title = "Enough distinct approvers",
  types = ALL,
  check = function(ctx)
    local t = P[ctx.release.type]
    local n = #approver_list(counted_approvals(ctx))
    return verdict(n >= t.min_approvals, n .. " of " .. t.min_approvals .. " approvals")
  end,
}

requirement "approvals.security" {
  title = "A security reviewer approved",
  types = MAJOR,
  check = function(ctx)
    local ok = has_role(counted_approvals(ctx), "security")
    return verdict(ok, "security approval " .. (ok and "" or "not ") .. "present")
  end,
}

requirement "backup.fresh" {
  title = "The newest completed backup is recent enough",
  types = MINOR_UP,
  check = function(ctx)
    local t = P[ctx.release.type]
    local b = backup_summary()
    if not b then return missing("backup_manifest") end
    if not b.completed then return fail("no completed snapshot") end
    local age = ctx.now - b.completed
    return verdict(age <= t.max_backup_age_h * 3600, "newest snapshot " .. hours(age) .. "h old")
  end,
}

requirement "backup.verified" {
  title = "The newest completed backup's restore was verified",
  types = MAJOR,
  check = function(ctx)
    local b = backup_summary()
    if not b then return missing("backup_manifest") end
    if not b.completed then return fail("no completed snapshot") end
    return verdict(b.verified, "restore_verified=" .. tostring(b.verified))
  end,
}

requirement "deploy.window" {
  title = "Scheduled inside the type's deployment window (UTC)",
  types = ALL,
  check = function(ctx)
    local w = P[ctx.release.type].window
    local when = deploy_time(ctx)
    if not when then return fail(BAD_TIME) end
    local day = WEEKDAYS[(when // 86400 + 4) % 7]
    local m = (when % 86400) // 60
    return verdict(w.days[day] and m >= w.start and m < w.stop,
                   format("%s %02d:%02d UTC", day, m // 60, m % 60))
  end,
}

requirement "deploy.freeze" {
  title = "Scheduled outside every freeze period",
  types = MINOR_UP,
  check = function(ctx)
    local when = deploy_time(ctx)
    if not when then return fail(BAD_TIME) end
    local hit = {}
    for _, f in ipairs(FREEZE) do
      if when >= f.from and when < f.to then hit[#hit + 1] = f.reason end
    end
    if #hit == 0 then return pass("outside freeze periods") end
    return fail("in freeze: " .. concat(hit, ", "))
  end,
}
