-- Reaching a frozen metatable through getmetatable and adding to it.
-- expect: policy error; mentions: cannot modify module/global table | leaked
policy { name = "escape-metatable-reach" }
local Class = {}
Class.__index = Class
local object = setmetatable({}, Class)

requirement "escape" {
  title = "Escape",
  check = function(ctx)
    getmetatable(object).leaked = true -- @error
    return pass("escaped", {})
  end,
}
