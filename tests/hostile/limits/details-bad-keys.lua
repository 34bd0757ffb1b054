-- Details keys that differ only in an invalid byte: written as UTF-8 (U+FFFD) they would
-- read the same, a duplicate key in the decision (a reader might take either).
-- expect: policy error; mentions: cannot be written as JSON | two keys that read the same
requirement "keys" {
  title = "Bad keys",
  check = function(ctx)
    return pass("x", { ["verdict\255"] = "allow", ["verdict\254"] = "deny" })
  end,
}
