-- An infinite loop inside a check.
-- expect: limit error; mentions: limit of
policy { name = "infinite-loop-check" }

requirement "spins" {
  title = "Spins",
  check = function(ctx)
    while true do end
  end,
}
