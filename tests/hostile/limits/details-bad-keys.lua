-- Details keys a NUL would cut, or an invalid byte turn into U+FFFD: "a\0b" and "a\0c"
-- would both come out as "a", a duplicate key in the decision.
requirement "keys" {
  title = "Bad keys",
  check = function(ctx)
    return pass("x", { ["a\0b"] = "allow", ["a\0c"] = "deny", ["\255"] = 1, ["\254"] = 2 })
  end,
}
