-- require a module that is precompiled bytecode.
-- expect: policy error; mentions: bytecode; line: not asserted
local m = require "lib.compiled" -- @error
requirement "escape" { title = "Escape", check = function(ctx) return pass("escaped", {}) end }
