-- loadstring / loadfile: the other loaders.
local f = loadfile("x.lua") -- @error
requirement "escape" { title = "Escape", check = function(ctx) return pass("escaped", {}) end }
