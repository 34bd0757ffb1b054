-- load() of a string.dump of a function: bytecode loading.
-- expect: policy error; mentions: dump
local code = string.dump(function() return 1 end) -- @error
local f = load(code, "x", "b")
requirement "escape" { title = "Escape", check = function(ctx) return pass("escaped", {}) end }
