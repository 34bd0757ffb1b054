-- Changing a captured variable inside pcall, from a closure made in the check: still found.
-- expect: policy error; mentions: a check changed 'leaked'
policy { name = "escape-upvalue-pcall" }
local leaked = nil

requirement "escape" {
  title = "Escape",
  check = function(ctx) -- @error
    pcall(function() leaked = { ctx.release.name } end)
    return pass("escaped", {})
  end,
}
