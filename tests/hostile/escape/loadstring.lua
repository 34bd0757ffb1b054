-- loadstring / loadfile: the other loaders.
-- expect: policy error; mentions: loadfile
local f = loadfile("x.lua") -- @error
requirement "escape" { title = "Escape", check = function(ctx) return pass("escaped", {}) end }
