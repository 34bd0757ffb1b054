-- lib/deploy.lua: the deployment checklist's facts in ctx.deployment.
--
-- Each function returns ok, message, details; details name the fields looked at.

local fields = require "lib.fields"

local M = {}

-- "1h 55m", "25m", "40s", "3d 2h" for a number of seconds.
function M.duration(seconds)
  seconds = math.floor(math.abs(seconds))
  local d, h = seconds // 86400, (seconds % 86400) // 3600
  local m, s = (seconds % 3600) // 60, seconds % 60
  if d > 0 then return string.format("%dd %dh", d, h) end
  if h > 0 then return string.format("%dh %02dm", h, m) end
  if m > 0 then return string.format("%dm", m) end
  return string.format("%ds", s)
end

-- Deployment window: deployment.window.start and .end are RFC 3339 times, start comes
-- before end, and the evaluation time lies in [start, end).
function M.window(ctx)
  local now = time.now()
  local details = { fields = { "deployment.window.start", "deployment.window.end" }, now = time.format(now) }
  local first, why = fields.time(ctx, "deployment.window.start")
  if not first then return false, why .. ": no deployment window is scheduled", details end
  local last
  last, why = fields.time(ctx, "deployment.window.end")
  if not last then return false, why .. ": the deployment window has no end", details end
  details.start, details["end"] = time.format(first), time.format(last)

  local span = string.format("%s to %s", details.start, details["end"])
  if first >= last then
    return false, string.format("the deployment window %s ends before it starts", span), details
  end
  if now < first then
    return false, string.format("the deployment window %s has not opened: it opens in %s", span,
                                M.duration(first - now)), details
  end
  if now >= last then
    return false, string.format("the deployment window %s closed %s ago", span, M.duration(now - last)), details
  end
  return true, string.format("%s is inside the deployment window %s (%s left)", details.now, span,
                             M.duration(last - now)), details
end

-- Staging: the release is deployed there (deployment.staging.deployed is true). The
-- smoke-test run against staging is judged from its JUnit report by ci.status
-- (requirement staging-smoke-tests), not from the context.
function M.staging(ctx)
  local details = { field = "deployment.staging.deployed" }
  local ok, why = fields.expect(ctx, "deployment.staging.deployed", true)
  if not ok then return false, why .. ": the release is not deployed to staging", details end
  local at = fields.get(ctx, "deployment.staging.deployed_at")
  details.deployed_at = type(at) == "string" and at or nil
  local when = details.deployed_at and (" at " .. details.deployed_at) or ""
  return true, string.format("%s is deployed to staging%s", ctx.release.version, when), details
end

-- Post-deploy verification: overall status "passed" and every check passed.
function M.verification(ctx)
  local details = { fields = { "deployment.verification.status", "deployment.verification.checks" } }
  local checks, why = fields.list(ctx, "deployment.verification.checks")
  if not checks then return false, why .. ": no post-deploy verification is recorded", details end
  local total, failing, names = 0, {}, {}
  for i, c in ipairs(checks) do
    total = total + 1
    local name = type(c) == "table" and type(c.name) == "string" and c.name or string.format("checks[%d]", i)
    local status = fields.is_object(c) and c.status or nil
    if status ~= "passed" then
      local found = not fields.is_object(c) and ("is " .. fields.describe(c) .. ", not an object")
                    or status == nil and "no status"
                    or (type(status) == "string" and status ~= "") and status
                    or fields.describe(status)
      failing[#failing + 1] = { name = name, status = found }
      if fields.is_object(c) and (type(c.observed) == "string" or type(c.observed) == "number") then
        failing[#failing].observed = c.observed
        found = found .. ": " .. tostring(c.observed)
      end
      names[#names + 1] = string.format("%s (%s)", name, found)
    end
  end
  details.checks, details.failing = total, failing
  if total == 0 then
    return false, "deployment.verification.checks is empty: no post-deploy verification was run", details
  end
  local status
  status, why = fields.get(ctx, "deployment.verification.status")
  details.status = status
  if #failing > 0 then
    return false, string.format("%d of %d verification checks did not pass: %s", #failing, total,
                                table.concat(names, ", ")), details
  end
  local ok
  ok, why = fields.expect(ctx, "deployment.verification.status", "passed")
  if not ok then
    return false, string.format("%s (although all %d checks passed)", why, total), details
  end
  return true, string.format("all %d post-deploy verification checks passed", total), details
end

-- Announcement: every one of CHANNELS is in deployment.announcement.channels.
function M.announcement(ctx, channels)
  local details = { fields = { "deployment.announcement.channels" }, required = channels }
  local got, why = fields.list(ctx, "deployment.announcement.channels")
  if not got then return false, why .. ": the release was not announced", details end
  local missing = {}
  for _, ch in ipairs(channels) do
    if not fields.contains(got, ch) then missing[#missing + 1] = ch end
  end
  local announced = {}
  for _, ch in ipairs(got) do announced[#announced + 1] = tostring(ch) end
  details.announced, details.missing = announced, missing
  if #missing > 0 then
    local seen = #announced > 0 and table.concat(announced, ", ") or "no channel"
    return false, string.format("not announced to %s (announced to: %s)", table.concat(missing, " and "), seen), details
  end
  local at = ctx.deployment.announcement.at
  local when = type(at) == "string" and (" at " .. at) or ""
  return true, string.format("announced to %s%s", table.concat(announced, ", "), when), details
end

return M
