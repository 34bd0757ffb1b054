-- string.gsub calling back into itself: C stack recursion through a library.
-- expect: policy or limit error
local function f(s) return (s:gsub(".", f)) end
f("aaaa")
requirement "never" { title = "Never", check = function(ctx) return pass("never", {}) end }
