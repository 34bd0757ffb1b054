-- Giving a frozen table a metatable of the check's (a writable __index store).
-- expect: policy error; mentions: protected metatable
policy { name = "escape-setmetatable-frozen" }
local CONFIG = { strict = true }

requirement "escape" {
  title = "Escape",
  check = function(ctx)
    setmetatable(CONFIG, { __index = {} }) -- @error
    return pass("escaped", {})
  end,
}
