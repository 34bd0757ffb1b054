-- io.open while the policy loads.
-- expect: policy error; mentions: io
local f = io.open("MARKER", "w") -- @error
requirement "escape" { title = "Escape", check = function(ctx) return pass("escaped", {}) end }
