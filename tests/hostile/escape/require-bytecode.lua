-- require a module that is precompiled bytecode.
local m = require "lib.compiled" -- @error
requirement "escape" { title = "Escape", check = function(ctx) return pass("escaped", {}) end }
