-- An error message of a million bytes.
-- expect: policy error
policy { name = "giant-error" }

requirement "shouts" {
  title = "Shouts",
  check = function(ctx)
    error(string.rep("x", 1e6)) -- @error
  end,
}
