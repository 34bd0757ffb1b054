-- require from inside a check (modules load with the policy only).
-- expect: policy error; mentions: lib.helper
policy { name = "escape-require-in-check" }

requirement "escape" {
  title = "Escape",
  check = function(ctx)
    local m = require "lib.helper" -- @error
    return pass("escaped", {})
  end,
}
