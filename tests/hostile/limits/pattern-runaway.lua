-- A pattern match that runs for hours inside one C call (no instruction hook fires).
-- expect: limit error; mentions: time limit
local s = string.rep("a", 100000)
local found = string.find(s, ".-.-.-.-.-b")
requirement "never" { title = "Never", check = function(ctx) return pass("never", {}) end }
