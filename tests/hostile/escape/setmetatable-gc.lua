-- setmetatable with __gc: a finalizer runs outside the limits.
-- expect: policy error; mentions: __gc
setmetatable({}, { __gc = function() while true do end end }) -- @error
requirement "escape" { title = "Escape", check = function(ctx) return pass("escaped", {}) end }
