-- xpcall must not swallow a limit either.
-- expect: limit error; mentions: limit of
-- (the time limit or the instruction limit: whichever a fast or a slow box reaches first)
local function spin() while true do end end
while true do xpcall(spin, function(e) return e end) end
requirement "never" { title = "Never", check = function(ctx) return pass("never", {}) end }
