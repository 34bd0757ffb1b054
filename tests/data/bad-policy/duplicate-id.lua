-- Two requirements with one id.
policy { name = "duplicate-id" }

requirement "same-id" {
  title = "First",
  check = function(ctx) return pass("ok", {}) end,
}

requirement "same-id" { -- @error
  title = "Second",
  check = function(ctx) return pass("ok", {}) end,
}
