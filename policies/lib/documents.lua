-- lib/documents.lua: evidence documents written by people (release notes, rollback
-- plan, smoke-test suite): read them, say what was read, and look inside.

local M = {}

local function count_lines(text)
  if text == "" then return 0 end
  local _, n = text:gsub("\n", "")
  if text:sub(-1) ~= "\n" then n = n + 1 end
  return n
end

-- Read evidence NAME (a key of ctx.evidence).
-- Returns text, details -- or nil, message, details when it cannot be read.
-- details say which evidence and file were looked at, and how big the file is.
function M.read(ctx, name)
  local declared = type(ctx.evidence) == "table" and ctx.evidence[name] or nil
  local details = { evidence = name, file = declared }
  local text, why = evidence.read(name)
  if not text then
    local msg
    if declared == nil then
      msg = string.format('no evidence "%s" is declared (evidence.%s is absent)', name, name)
    else
      msg = string.format('evidence "%s" (%s) could not be read: %s', name, tostring(declared), why or "unknown reason")
    end
    return nil, msg, details
  end
  details.bytes = #text
  details.lines = count_lines(text)
  return text, nil, details
end

-- Read evidence NAME and insist that it holds something that shows (not
-- markdown.is_blank: white space, invisible characters, comments). Returns text, details -- or nil, message, details.
function M.read_filled(ctx, name)
  local text, why, details = M.read(ctx, name)
  if not text then return nil, why, details end
  if markdown.is_blank(text) then
    details.blank = true
    return nil, string.format('evidence "%s" (%s) is blank', name, details.file), details
  end
  return text, nil, details
end

-- True when TEXT mentions version V as a whole version: "2.4.0" is found in
-- "roll back to 2.4.0." but not in "12.4.0" or "2.4.0-rc.1", nor inside an HTML
-- comment ("<!-- 2.4.0 -->") or anything else the rendered document does not show
-- (markdown.visible).
function M.mentions_version(text, v)
  if type(text) ~= "string" or type(v) ~= "string" or v == "" then return false end
  text = markdown.visible(text)
  local from = 1
  while true do
    local i, j = text:find(v, from, true)
    if not i then return false end
    local before = i > 1 and text:sub(i - 1, i - 1) or ""
    local after, after2 = text:sub(j + 1, j + 1), text:sub(j + 2, j + 2)
    local clean_before = not before:find("[%w%.%-+]")
    local clean_after = not after:find("%w")
      and not (after:find("[%.%-+]") and after2:find("%w"))
    if clean_before and clean_after then return true end
    from = i + 1
  end
end

-- True when TEXT mentions NAME, case-insensitively ("payments-api").
function M.mentions_name(text, name)
  if type(text) ~= "string" or type(name) ~= "string" or name == "" then return false end
  return text:lower():find(name:lower(), 1, true) ~= nil
end

-- Number of list items ("- ", "* ", "+ ", "1. ", "- [ ] ") in TEXT.
function M.count_items(text)
  local n = 0
  for line in (text .. "\n"):gmatch("([^\n]*)\n") do
    if line:find("^%s*[-*+]%s+%S") or line:find("^%s*%d+[.)]%s+%S") then n = n + 1 end
  end
  return n
end

-- Titles of the ATX headings of TEXT, in order.
function M.headings(text)
  local titles = {}
  for _, s in ipairs(markdown.sections(text)) do titles[#titles + 1] = s.title end
  return titles
end

return M
