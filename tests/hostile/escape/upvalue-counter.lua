-- Leaving state in a file-level local the check captures (an upvalue): the error names the
-- function that uses it.
-- expect: policy error; mentions: a check changed 'runs'
policy { name = "escape-upvalue" }
local runs = 0

requirement "escape" {
  title = "Escape",
  check = function(ctx) -- @error
    runs = runs + 1
    return pass("escaped " .. runs, {})
  end,
}
