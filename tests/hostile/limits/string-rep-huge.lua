-- A ten-gigabyte string.
-- expect: limit or policy error
local s = string.rep("x", 1e10)
requirement "never" { title = "Never", check = function(ctx) return pass(#s, {}) end }
