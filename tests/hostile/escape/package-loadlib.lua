-- package.loadlib: load a C library.
-- expect: policy error; mentions: package
local f = package.loadlib("libc.so.6", "system") -- @error
f("touch MARKER")
requirement "escape" { title = "Escape", check = function(ctx) return pass("escaped", {}) end }
