-- Unbounded recursion (not a tail call).
local function f() return 1 + f() end
f()
requirement "never" { title = "Never", check = function(ctx) return pass("never", {}) end }
