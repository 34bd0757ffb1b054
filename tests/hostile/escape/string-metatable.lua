-- getmetatable("").__index: modify the string library behind every string.
-- expect: policy error
policy { name = "escape-string-metatable" }

requirement "escape" {
  title = "Escape",
  check = function(ctx)
    getmetatable("").__index.upper = function() return "HACKED" end -- @error
    return pass(("x"):upper(), {})
  end,
}
