-- An __index metamethod that calls itself: C stack recursion.
-- expect: policy or limit error
local t = setmetatable({}, { __index = function(t, k) return t[k] end })
local x = t.anything -- @error
requirement "never" { title = "Never", check = function(ctx) return pass("never", {}) end }
