policy { name = "module-loop" }
local a = require "lib.a"
requirement "fine" { title = "Fine", check = function(ctx) return pass("ok", {}) end }
