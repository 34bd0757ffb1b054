-- lib/versions.lua: does the version number say what the release type says?
--
-- The release type must be the SemVer bump from the previous release
-- (release.previous_version, the last known-good release) to this one:
--
--   patch  2.3.8 -> 2.3.9     minor  2.3.8 -> 2.4.0     major  2.9.4 -> 3.0.0
--
-- As SemVer 2.0.0 requires, a minor release resets patch to 0 and a major release
-- resets minor and patch: 2.3.8 -> 2.4.1 is refused (it skips 2.4.0 and looks like a
-- patch of a release that never existed).
--
-- Pre-releases. A release candidate that becomes final (3.0.0-rc.2 -> 3.0.0), or a
-- later candidate (3.0.0-rc.1 -> 3.0.0-rc.2), is a "prerelease" bump: it does not
-- change major.minor.patch. We accept it when the version's own shape matches the
-- release type -- X.0.0 is a major release, X.Y.0 a minor one, X.Y.Z (Z > 0) a patch --
-- because the candidate and the final release belong to the same release line, which
-- was checked when the line was started (2.9.4 -> 3.0.0-rc.1 is itself a major bump).

local fields = require "lib.fields"

local M = {}

-- The release type that version V's shape implies, or nil when V is not SemVer.
function M.shape(v)
  local p = semver.parse(v)
  if not p then return nil end
  if p.minor == 0 and p.patch == 0 then return "major" end
  if p.patch == 0 then return "minor" end
  return "patch"
end

-- Hold release.version against release.previous_version and release.type.
-- Returns ok, message, details.
function M.check_bump(ctx)
  local release = ctx.release
  local version, rtype = release.version, release.type
  local details = {
    fields = { "release.previous_version", "release.version", "release.type" },
    version = version, type = rtype,
  }
  local prev, why = fields.string(ctx, "release.previous_version")
  if not prev then
    return false, string.format("%s: cannot verify that %s is a %s bump", why, version, rtype), details
  end
  details.previous_version = prev

  local bump, reason = semver.bump(prev, version)
  if not bump then
    return false, string.format("cannot compare %s with %s: %s", prev, version, reason or "invalid version"), details
  end
  details.bump = bump

  if bump == "none" then
    return false, string.format("version %s has the same precedence as release.previous_version %s: nothing was bumped",
                                version, prev), details
  elseif bump == "downgrade" then
    return false, string.format("version %s is lower than release.previous_version %s", version, prev), details
  elseif bump == "prerelease" then
    local shape = M.shape(version)
    details.shape = shape
    if shape == rtype then
      local v = semver.parse(version)
      return true, string.format("%s -> %s stays on %s release %d.%d.%d (a pre-release bump)",
                                 prev, version, rtype, v.major, v.minor, v.patch), details
    end
    return false, string.format("%s -> %s only moves a pre-release on, and %s is a %s version, not a %s one",
                                prev, version, version, tostring(shape), rtype), details
  elseif bump ~= rtype then
    return false, string.format("%s -> %s is a %s bump, but release.type is %s", prev, version, bump, rtype), details
  end

  local v = semver.parse(version)
  if rtype == "minor" and v.patch ~= 0 then
    return false, string.format("%s -> %s bumps minor but does not reset patch to 0 (expected %d.%d.0)",
                                prev, version, v.major, v.minor), details
  elseif rtype == "major" and (v.minor ~= 0 or v.patch ~= 0) then
    return false, string.format("%s -> %s bumps major but does not reset minor and patch to 0 (expected %d.0.0)",
                                prev, version, v.major), details
  end
  return true, string.format("%s -> %s is a %s bump", prev, version, bump), details
end

return M
