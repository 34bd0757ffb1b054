-- A requirement without a title.
policy { name = "missing-title" }

requirement "untitled" { -- @error
  check = function(ctx) return pass("ok", {}) end,
}
