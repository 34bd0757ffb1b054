-- Assigning a global inside a check (state that would leak to the next check).
-- expect: policy error; mentions: counter
policy { name = "escape-global" }

requirement "escape" {
  title = "Escape",
  check = function(ctx)
    counter = 1 -- @error
    return pass("escaped", {})
  end,
}
