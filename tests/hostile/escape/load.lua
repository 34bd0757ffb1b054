-- load: compile a chunk at run time.
-- expect: policy error; mentions: load
local f = load("return 1") -- @error
requirement "escape" { title = "Escape", check = function(ctx) return pass("escaped", {}) end }
