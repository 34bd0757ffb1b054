-- An unknown enforcement level.
policy { name = "bad-level" }

requirement "bad-level" { -- @error
  title = "Bad level",
  level = "hard-mandatory",
  check = function(ctx) return pass("ok", {}) end,
}
