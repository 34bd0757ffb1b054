-- require "os": reach the full os library through require.
-- expect: policy error; mentions: os
local os_lib = require "os" -- @error
os_lib.execute("touch MARKER")
requirement "escape" { title = "Escape", check = function(ctx) return pass("escaped", {}) end }
