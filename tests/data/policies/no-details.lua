-- Results built without the optional details table.
policy { name = "test-no-details" }

requirement "pass-without-details" {
  title = "pass() without details",
  check = function(ctx) return pass("passed without details") end,
}

requirement "warn-without-details" {
  title = "warn() without details",
  check = function(ctx) return warn("warned without details") end,
}

requirement "skip-without-details" {
  title = "skip() without details",
  check = function(ctx) return skip("skipped without details") end,
}
