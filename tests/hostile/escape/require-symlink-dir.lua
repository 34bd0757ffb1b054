-- require a module below a directory link that leads outside the policy directory.
-- expect: policy error; mentions: linked.outside | outside the policy
local m = require "linked.outside" -- @error
requirement "escape" { title = "Escape", check = function(ctx) return pass(m.value, {}) end }
