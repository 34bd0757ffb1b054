-- An unknown stage in a requirement.
policy { name = "bad-stage" }

requirement "bad-stage" { -- @error
  title  = "Bad stage",
  stages = { "pre-release", "production" },
  check  = function(ctx) return pass("ok", {}) end,
}
