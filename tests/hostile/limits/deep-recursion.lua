-- Unbounded recursion (not a tail call).
-- expect: limit or policy error
local function f() return 1 + f() end
f()
requirement "never" { title = "Never", check = function(ctx) return pass("never", {}) end }
