-- require "/tmp/x": an absolute module path.
local m = require "/etc/passwd" -- @error
requirement "escape" { title = "Escape", check = function(ctx) return pass("escaped", {}) end }
