-- Grows a table of megabyte strings without end.
local t = {}
while true do t[#t+1] = string.rep("x", 1e6) .. #t end
requirement "never" { title = "Never", check = function(ctx) return pass("never", {}) end }
