-- Assigning into a shared library table.
-- expect: policy error; mentions: read-only
policy { name = "escape-library-write" }

requirement "escape" {
  title = "Escape",
  check = function(ctx)
    string.upper = function() return "HACKED" end -- @error
    return pass(("x"):upper(), {})
  end,
}
