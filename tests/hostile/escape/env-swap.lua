-- Replacing the chunk's _ENV (an upvalue shared by every function of the file) from a check.
-- expect: policy error; mentions: a check changed '_ENV'
policy { name = "escape-env-swap" }

requirement "escape" {
  title = "Escape",
  check = function(ctx) -- @error
    _ENV = { pass = pass }
    return pass("escaped", {})
  end,
}
