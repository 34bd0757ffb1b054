-- require "../outside": climb out of the policy directory by name.
local m = require "../outside" -- @error
requirement "escape" { title = "Escape", check = function(ctx) return pass("escaped", {}) end }
