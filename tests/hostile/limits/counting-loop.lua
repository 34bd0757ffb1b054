-- A long but finite loop: one million iterations.
-- expect: limit error; mentions: instructions; args: --max-instructions 100000
local n = 0
for i = 1, 1000000 do n = n + i end
requirement "counted" { title = "Counted", check = function(ctx) return pass(tostring(n), {}) end }
