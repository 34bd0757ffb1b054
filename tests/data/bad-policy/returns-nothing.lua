-- A check that returns nothing at all.
policy { name = "returns-nothing" }

requirement "returns-nothing" { -- @error
  title = "Returns nothing",
  check = function(ctx) end,
}
