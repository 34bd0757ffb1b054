-- os.getenv: read the environment.
-- expect: policy error; mentions: getenv
policy { name = "escape-os-getenv" }

requirement "escape" {
  title = "Escape",
  check = function(ctx)
    local home = os.getenv("HOME") -- @error
    return pass("HOME is " .. tostring(home), {})
  end,
}
