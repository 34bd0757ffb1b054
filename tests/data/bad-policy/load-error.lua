-- An error raised while the policy file loads.
policy { name = "load-error" }

local limits = nil
local max = limits.max -- @error

requirement "fine" { title = "Fine", check = function(ctx) return pass("ok", {}) end }
