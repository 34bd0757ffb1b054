-- Grows a table of megabyte strings without end.
-- expect: limit error; mentions: memory
local t = {}
while true do t[#t+1] = string.rep("x", 1e6) .. #t end
requirement "never" { title = "Never", check = function(ctx) return pass("never", {}) end }
