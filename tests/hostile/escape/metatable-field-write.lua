-- A class table keeps its "__" fields raw (Lua reads metamethods raw): changing one from a
-- check is found when the check returns (named at the requirement).
-- expect: policy error; mentions: a check changed field '__index'; line: not asserted
policy { name = "escape-metatable-field" }
local Class = {}
Class.__index = Class

requirement "escape" { -- the JSON error names this line (stderr: the file)
  title = "Escape",
  check = function(ctx)
    Class.__index = { leaked = true }
    return pass("escaped", {})
  end,
}
