-- xpcall must not swallow a limit either.
-- expect: limit error; mentions: time limit
local function spin() while true do end end
while true do xpcall(spin, function(e) return e end) end
requirement "never" { title = "Never", check = function(ctx) return pass("never", {}) end }
