-- require "..outside": dots that would make a path climb.
-- expect: policy error; mentions: ..outside
local m = require "..outside" -- @error
requirement "escape" { title = "Escape", check = function(ctx) return pass("escaped", {}) end }
