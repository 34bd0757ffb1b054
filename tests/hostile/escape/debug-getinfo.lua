-- debug.getinfo.
-- expect: policy error; mentions: debug
policy { name = "escape-debug" }

requirement "escape" {
  title = "Escape",
  check = function(ctx)
    local info = debug.getinfo(1) -- @error
    return pass("escaped", {})
  end,
}
