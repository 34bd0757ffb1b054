-- A check that returns something other than a result.
policy { name = "non-result" }

requirement "returns-a-string" { -- @error
  title = "Returns a string",
  check = function(ctx)
    return "pass"
  end,
}
