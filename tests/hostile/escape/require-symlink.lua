-- require a module whose file is a link to a file outside the policy directory.
-- expect: policy error; mentions: lib.outside | outside the policy
local m = require "lib.outside" -- @error
requirement "escape" { title = "Escape", check = function(ctx) return pass(m.value, {}) end }
