-- load: compile a chunk at run time.
local f = load("return 1") -- @error
requirement "escape" { title = "Escape", check = function(ctx) return pass("escaped", {}) end }
