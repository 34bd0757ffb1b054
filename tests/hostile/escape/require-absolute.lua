-- require "/tmp/x": an absolute module path.
-- expect: policy error; mentions: /etc/passwd
local m = require "/etc/passwd" -- @error
requirement "escape" { title = "Escape", check = function(ctx) return pass("escaped", {}) end }
