-- A requirement id with characters ids may not have.
policy { name = "bad-id" }

requirement "Not An Id!" { -- @error
  title = "Bad id",
  check = function(ctx) return pass("ok", {}) end,
}
