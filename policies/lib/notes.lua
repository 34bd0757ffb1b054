-- lib/notes.lua: the release guide's release-notes template.
--
-- Template sections: Release name / number, Date, Summary, Notable changes,
-- Migration steps (if any), Known issues.
--
-- How each one is recognised:
--
-- * Release name / number: a section titled "Release name / number" (or "Release
--   name", "Release number", "Release") that is not blank. Notes that instead open
--   with a title heading naming the release ("# payments-api 2.4.0") carry the same
--   information, so a first heading naming the release name or version counts too.
--   When a dedicated section exists it must be filled in, title or not: a blank
--   template section is a draft that was not finished.
-- * Date, Summary, Notable changes, Known issues: a section with that title whose
--   body is not blank (markdown.is_blank: only white space and HTML comments). "None" is a fine Known
--   issues section: it is a statement, not a blank.
-- * Migration steps (if any): may be left out of patch and minor notes. A major
--   release must fill it in; that is its own requirement (see migration()).
--
-- Section titles match case-insensitively and ignore a trailing "(if any)" or ":"
-- (markdown.section does that).

local docs = require "lib.documents"

local M = {}

M.EVIDENCE = "release_notes"

-- The sections every release's notes must fill in, besides the release name.
M.REQUIRED = { "Date", "Summary", "Notable changes", "Known issues" }

M.RELEASE_TITLES = { "Release name / number", "Release name", "Release number", "Release" }

M.MIGRATION = "Migration steps"

-- Read the release notes (not blank): text, details -- or nil, message, details.
function M.read(ctx)
  return docs.read_filled(ctx, M.EVIDENCE)
end

-- Does TEXT say which release it is? Returns ok, what (a phrase for messages).
function M.identity(text, release)
  for _, title in ipairs(M.RELEASE_TITLES) do
    local s = markdown.section(text, title)
    if s then
      if markdown.is_blank(s.body) then
        return false, string.format('section "%s" (line %d) is blank', s.title, s.line)
      end
      return true, string.format('section "%s" (line %d)', s.title, s.line)
    end
  end
  local first = markdown.sections(text)[1]
  if first and (docs.mentions_name(first.title, release.name)
                or docs.mentions_version(first.title, release.version)) then
    return true, string.format('title heading "%s" (line %d)', first.title, first.line)
  end
  local seen = first and string.format('the first heading "%s" names neither %s nor %s',
                                       first.title, tostring(release.name), tostring(release.version))
                     or "there is no heading at all"
  return false, 'no "Release name / number" section, and ' .. seen
end

-- State of section TITLE in TEXT: "filled", "blank" or "missing", and the section.
function M.state(text, title)
  local s = markdown.section(text, title)
  if not s then return "missing" end
  if markdown.is_blank(s.body) then return "blank", s end
  return "filled", s
end

-- Hold TEXT against the template for RELEASE (ctx.release).
-- Returns a report:
--   problems  list of one-line findings (empty when the notes are complete)
--   sections  { [title] = "filled" | "blank" | "missing" } for every section looked at
--   missing, blank   lists of section titles
--   identity  how the release name / number was found, or why not
--   mentions_version  whether the notes name release.version
function M.review(text, release)
  local r = { problems = {}, sections = {}, missing = {}, blank = {} }

  local ok, what = M.identity(text, release)
  r.identity = what
  r.sections["Release name / number"] = ok and "filled" or "missing"
  if not ok then r.problems[#r.problems + 1] = "release name / number: " .. what end

  for _, title in ipairs(M.REQUIRED) do
    local state, s = M.state(text, title)
    r.sections[title] = state
    if state == "missing" then
      r.missing[#r.missing + 1] = title
      r.problems[#r.problems + 1] = string.format('no "%s" section', title)
    elseif state == "blank" then
      r.blank[#r.blank + 1] = title
      r.problems[#r.problems + 1] = string.format('"%s" section (line %d) is blank', title, s.line)
    end
  end

  r.sections[M.MIGRATION] = M.state(text, M.MIGRATION)

  r.mentions_version = docs.mentions_version(text, release.version)
  if not r.mentions_version then
    r.problems[#r.problems + 1] = string.format("the notes never mention version %s", tostring(release.version))
  end
  return r
end

-- The Migration steps section of TEXT: ok, message, details.
function M.migration(text)
  local state, s = M.state(text, M.MIGRATION)
  if state == "missing" then
    return false, 'the release notes have no "Migration steps" section', { section = M.MIGRATION, state = state }
  end
  local details = { section = s.title, line = s.line, state = state }
  if state == "blank" then
    return false, string.format('the "%s" section (line %d) is blank', s.title, s.line), details
  end
  details.steps = docs.count_items(s.body)
  local what = details.steps > 0 and string.format("lists %d step(s)", details.steps) or "is filled in"
  return true, string.format('"%s" (line %d) %s', s.title, s.line, what), details
end

return M
