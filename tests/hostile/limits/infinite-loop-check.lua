-- An infinite loop inside a check.
policy { name = "infinite-loop-check" }

requirement "spins" {
  title = "Spins",
  check = function(ctx)
    while true do end
  end,
}
