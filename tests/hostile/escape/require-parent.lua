-- require "../outside": climb out of the policy directory by name.
-- expect: policy error; mentions: ../outside
local m = require "../outside" -- @error
requirement "escape" { title = "Escape", check = function(ctx) return pass("escaped", {}) end }
