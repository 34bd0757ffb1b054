-- lib/fields.lua: read the release context fail-closed.
--
-- Each getter takes a table (usually the context) and a dotted path such as
-- "deployment.window.start", and returns the value, or nil and a message that names
-- the field and says what was found instead:
--
--   deployment.window is absent
--   deployment.pipeline is 3, expected a string
--   release.incident.id is "", expected a non-empty string
--
-- Nothing here raises on bad context data: a missing or ill-typed field is the
-- policy's to judge (a failed requirement), never an engine error.

local M = {}

-- True when V is a table that looks like a JSON array. An empty table counts (JSON
-- [] and {} both read as an empty table).
function M.is_list(v)
  if type(v) ~= "table" then return false end
  if v[1] ~= nil then return true end
  for k in pairs(v) do
    if math.type(k) ~= "integer" then return false end
  end
  return true
end

-- True when V is a JSON object, or a table the policy made with no list items.  (A JSON
-- array whose first item is null has no [1] either: json.type tells them apart.)
function M.is_object(v)
  local t = json.type(v)
  return t == "object" or (t == "table" and v[1] == nil)
end

-- Number of elements of list V (0 for anything that is not a table).
function M.count(v)
  local n = 0
  if type(v) == "table" then
    for _ in ipairs(v) do n = n + 1 end
  end
  return n
end

local function short(s)
  if utf8.len(s) and utf8.len(s) > 60 then
    s = s:sub(1, utf8.offset(s, 58) - 1) .. "..."
  end
  return '"' .. s .. '"'
end

-- A value as a person reads it in a message: '"manual"', '3', 'true', 'an array of 2'.
function M.describe(v)
  local t = type(v)
  if t == "nil" then return "absent" end
  if t == "string" then return short(v) end
  if t == "number" then
    return math.type(v) == "integer" and string.format("%d", v) or string.format("%g", v)
  end
  if t == "boolean" then return tostring(v) end
  if t == "table" then
    if v[1] ~= nil then return string.format("an array of %d", M.count(v)) end
    for _ in pairs(v) do return "an object" end
    return "empty"
  end
  return "a " .. t
end

-- The value at PATH under ROOT, or nil (absent). When a step on the way is absent or
-- not an object, returns nil and a message naming that step.
function M.get(root, path)
  local v, walked = root, nil
  for key in path:gmatch("[^.]+") do
    if walked and v == nil then
      return nil, walked .. " is absent"
    end
    if not M.is_object(v) then
      return nil, string.format("%s is %s, expected an object", walked or "the context", M.describe(v))
    end
    v = v[key]
    walked = walked and (walked .. "." .. key) or key
  end
  return v
end

local function typed(expected, accept)
  return function(root, path)
    local v, why = M.get(root, path)
    if why then return nil, why end
    if v == nil then return nil, path .. " is absent" end
    if not accept(v) then
      return nil, string.format("%s is %s, expected %s", path, M.describe(v), expected)
    end
    return v
  end
end

M.string  = typed("a non-empty string", function(v) return type(v) == "string" and v:find("%S") ~= nil end)
M.object  = typed("an object", M.is_object)
M.list    = typed("an array", M.is_list)
M.boolean = typed("true or false", function(v) return type(v) == "boolean" end)
M.number  = typed("a number", function(v) return type(v) == "number" end)

-- The RFC 3339 time at PATH, as seconds since the epoch, or nil and a message.
function M.time(root, path)
  local s, why = M.get(root, path)
  if why then return nil, why end
  if s == nil then return nil, path .. " is absent" end
  if type(s) ~= "string" then
    return nil, string.format("%s is %s, expected an RFC 3339 time", path, M.describe(s))
  end
  local t, reason = time.parse(s)
  if not t then
    return nil, string.format("%s is %s, not an RFC 3339 time (%s)", path, short(s), reason or "unparsable")
  end
  return t
end

-- True when the value at PATH equals WANT; otherwise false and a message saying what
-- was found ('deployment.verification.status is "failed", expected "passed"').
function M.expect(root, path, want)
  local v, why = M.get(root, path)
  if why then return false, why end
  if v == want then return true end
  if v == nil then return false, path .. " is absent" end
  local w = type(want) == "string" and ('"' .. want .. '"') or tostring(want)
  return false, string.format("%s is %s, expected %s", path, M.describe(v), w)
end

-- The key of object T that looks like a misspelling of NAME (two letters off at most, in
-- another case, '-' for '_': "data-migrations", "Data_Migration") when T holds no NAME, or
-- holds it as null; else nil (json.key_distance, the engine's rule).  Read as absent, a misspelt field gives the milder answer:
-- a requirement that spares a release when a field is absent treats such a key as the
-- field being there (the engine does the same for stage, release.environment and
-- release.commit; docs/context.md).
function M.misspelt(t, name)
  if not M.is_object(t) or t[name] ~= nil then return nil end
  for k in pairs(t) do
    local d = k ~= name and json.key_distance(k, name)
    if d and d <= 2 then return k end
  end
  return nil
end

-- "1 change", "4 changes": N and the noun, in the singular when N is 1.
function M.plural(n, singular, plural)
  return string.format("%d %s", n, n == 1 and singular or (plural or singular .. "s"))
end

-- Does list V contain value X?
function M.contains(v, x)
  if type(v) ~= "table" then return false end
  for _, e in ipairs(v) do
    if e == x then return true end
  end
  return false
end

return M
