-- A syntax error on the marked line.
policy { name = "syntax-error" }

requirement "fine" {
  title = "Fine",
  check = function(ctx) return pass("ok", {}) end,
}

local broken = = 1 -- @error
